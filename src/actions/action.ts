import type { KeyOperations, PrincipalOperations } from './ports';
import type { KeyPolicyLock, PolicyTexts } from '../state/policy-texts';

export interface ActionDeps {
  kms: KeyOperations;
  iam: PrincipalOperations;
  /** Key policies kept out of the incident item (plans and results carry references). */
  policyTexts: PolicyTexts;
  /** One read-modify-write of a key policy at a time, across functions. */
  keyPolicyLock: KeyPolicyLock;
  /**
   * IAM in another account of the organization (organization mode): a principal is quarantined where it lives.
   * Absent, `iam` is the only account kms-warden acts in.
   */
  principalsIn?: (account: string) => PrincipalOperations;
  /**
   * The same adapters acting for one incident: the sessions they open in member accounts are named after it, so the
   * member account's CloudTrail says which incident each change was for.
   */
  forIncident?: (incidentId: string) => ActionDeps;
}

/** The adapters to act with for an incident: named after it where the deps can be, as they are otherwise. */
export const actingFor = <D extends ActionDeps>(deps: D, incidentId: string | undefined): ActionDeps =>
  incidentId && deps.forIncident ? deps.forIncident(incidentId) : deps;

export interface ActionContext {
  /** True when an earlier attempt at the same plan was interrupted: an action may find its own half-done work. */
  resuming: boolean;
  /** This step's result from the interrupted attempt, when there was one: what it had done is kept. */
  previous?: ActionResult | undefined;
}

export type ActionResult =
  | { outcome: 'applied'; before: Record<string, unknown>; after: Record<string, unknown> }
  | { outcome: 'skipped'; reason: string; before?: Record<string, unknown> }
  /**
   * Failed for a reason a retry may fix. `before`/`after`: what it did before failing, kept for the retry and release.
   */
  | {
      outcome: 'failed';
      error: string;
      message: string;
      before?: Record<string, unknown>;
      after?: Record<string, unknown>;
    }
  /**
   * AWS refused it for a reason retrying cannot change: recorded with what a person must do, never retried. When
   * part of it was done before the refusal, `before` and `after` say what, and undo takes that part back.
   */
  | {
      outcome: 'needs-person';
      error: string;
      message: string;
      remedy: string;
      before?: Record<string, unknown>;
      after?: Record<string, unknown>;
    }
  /** Not run on purpose: offered for a person's approval, or a dry run. */
  | { outcome: 'not-run'; reason: string }
  /** Recorded before it runs (a later signal's step): a retry finds it and finishes it. */
  | { outcome: 'pending'; reason: string };

/** A step that changed something release must take back: applied, or done in part before AWS refused the rest. */
export const changedSomething = (result: ActionResult | undefined): boolean =>
  result?.outcome === 'applied' ||
  ((result?.outcome === 'needs-person' || result?.outcome === 'failed') && result.before !== undefined);

/** A result a retry must not replace: the step finished one way or another. */
export const isFinal = (result: ActionResult | undefined): boolean =>
  result !== undefined && result.outcome !== 'pending' && result.outcome !== 'failed';

/** An error after part of a step was done: what was done travels with it into the step's failed result. */
export class PartialStepError extends Error {
  override readonly name: string;
  constructor(
    readonly done: { before: Record<string, unknown>; after: Record<string, unknown> },
    readonly failure: Error,
  ) {
    super(failure.message, { cause: failure });
    this.name = failure.name;
  }
}

export interface Action<P> {
  type: string;
  /** Every IAM action apply and undo may call; the function roles are checked against these. */
  iamActions: readonly string[];
  reversible: boolean;
  /** Steps in the same lane touch the same thing and run in plan order; different lanes run at the same time. */
  lane: (params: P) => string;
  /** A one-line description for people, e.g. in a notification. */
  describe: (params: P) => string;
  apply: (params: P, deps: ActionDeps, context: ActionContext) => Promise<ActionResult>;
  undo: (params: P, deps: ActionDeps, result: ActionResult) => Promise<void>;
  /**
   * What a person must do when AWS refuses this action for good, where the action knows better than the error's code.
   */
  remedy?: (params: P, error: Error) => string | undefined;
}
