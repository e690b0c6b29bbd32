import { kindOfError, remedyFor } from './error-kinds';
import { KeyNotFoundError, PrincipalNotFoundError } from '../errors';
import {
  actingFor,
  isFinal,
  PartialStepError,
  type Action,
  type ActionContext,
  type ActionDeps,
  type ActionResult,
} from './action';
import { askAPerson } from './ask-a-person';
import { cancelKeyDeletion } from './cancel-key-deletion';
import { closeOpenKeyPolicy } from './close-open-key-policy';
import { denyPrincipalInKeyPolicy } from './deny-principal-in-key-policy';
import { disableKey } from './disable-key';
import { enableKeyRotation } from './enable-key-rotation';
import { quarantinePrincipal } from './quarantine-principal';
import { restoreKeyPolicy } from './restore-key-policy';
import { restoreKeyTags } from './restore-key-tags';
import { revokeGrants } from './revoke-grants';

/** Every action, by type, explicitly. */
export const actions = {
  'cancel-key-deletion': cancelKeyDeletion,
  'deny-principal-in-key-policy': denyPrincipalInKeyPolicy,
  'revoke-grants': revokeGrants,
  'enable-key-rotation': enableKeyRotation,
  'disable-key': disableKey,
  'quarantine-principal': quarantinePrincipal,
  'restore-key-policy': restoreKeyPolicy,
  'restore-key-tags': restoreKeyTags,
  'ask-a-person': askAPerson,
  'close-open-key-policy': closeOpenKeyPolicy,
} as const satisfies Record<string, Action<never>>;

export type ActionType = keyof typeof actions;
export type ActionParams<T extends ActionType> = Parameters<(typeof actions)[T]['apply']>[0];

/** How a step runs: now, on its own, or only once a person approves it. */
export type RunMode = 'automatic' | 'approval';

/** A step of a plan: plain data that can be stored, shown to a person and applied later. */
export type PlannedAction = {
  [T in ActionType]: { type: T; params: ActionParams<T>; run: RunMode; why?: string };
}[ActionType];

const actionFor = <T extends ActionType>(step: { type: T }) => actions[step.type] as unknown as Action<ActionParams<T>>;

export const describeAction = (step: PlannedAction): string => actionFor(step).describe(step.params);

const runStep = async (
  step: PlannedAction,
  deps: ActionDeps,
  context: ActionContext & { dryRun?: boolean },
): Promise<ActionResult> => {
  if (step.run !== 'automatic') return { outcome: 'not-run', reason: step.why ?? 'offered for approval' };
  if (context.dryRun) return { outcome: 'not-run', reason: 'dry run: planned, not applied' };
  try {
    return await actionFor(step).apply(step.params, deps, context);
  } catch (error) {
    // A key or principal that does not exist stays so: retrying cannot help, so the step is skipped, not failed.
    if (error instanceof KeyNotFoundError || error instanceof PrincipalNotFoundError)
      return { outcome: 'skipped', reason: error.message };
    const partial = error instanceof PartialStepError ? error.done : undefined;
    const failure =
      error instanceof PartialStepError ? error.failure : error instanceof Error ? error : new Error(String(error));
    // Refused for good: a person is told what to do, and the event is not retried into the dead-letter queue.
    if (kindOfError(failure) === 'permanent') {
      const remedy = actionFor(step).remedy?.(step.params, failure) ?? remedyFor(failure);
      return { outcome: 'needs-person', error: failure.name, message: failure.message, remedy, ...partial };
    }
    return { outcome: 'failed', error: failure.name, message: failure.message, ...partial };
  }
};

/**
 * Applies a plan and records what happened, one result per step in plan order. Steps on different things (the
 * key's state, its policy, its grants, the suspect) run at the same time; steps on the same thing run in plan
 * order (a restored policy before the deny added to it). A step that fails is recorded and the rest still run.
 *
 * `recorded`: the results an interrupted attempt recorded. A step that finished keeps its result and does not run
 * again (its "applied" is what a release undoes; running it again would find nothing to do and say "skipped");
 * a failed or pending one runs again, given what it had done.
 */
export const applyPlan = async (
  steps: readonly PlannedAction[],
  deps: ActionDeps,
  options: Omit<ActionContext, 'previous'> & {
    dryRun?: boolean;
    recorded?: readonly ActionResult[] | undefined;
    /** The incident the plan is for: sessions opened in member accounts are named after it. */
    incidentId?: string | undefined;
  },
): Promise<ActionResult[]> => {
  const acting = actingFor(deps, options.incidentId);
  const results: ActionResult[] = new Array(steps.length);
  const lanes = new Map<string, number[]>();
  steps.forEach((step, index) => {
    const lane = actionFor(step).lane(step.params);
    lanes.set(lane, [...(lanes.get(lane) ?? []), index]);
  });
  await Promise.all(
    [...lanes.values()].map(async (indexes) => {
      for (const index of indexes) {
        const previous = options.recorded?.[index];
        results[index] = isFinal(previous)
          ? previous!
          : await runStep(steps[index]!, acting, { resuming: options.resuming, dryRun: options.dryRun, previous });
      }
    }),
  );
  return results;
};
