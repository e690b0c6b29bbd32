import { actions, type ActionType } from '../actions';
import { changedSomething } from '../actions/action';
import { supersededOffers, type Incident } from './incident';

/**
 * Every status an incident can have and the moves allowed between them. Stores check a move against this
 * table before the conditional write that makes it.
 */
export const transitions = {
  open: ['contained', 'released'],
  contained: ['awaiting-approval', 'approved', 'released', 'closed'],
  'awaiting-approval': ['approved', 'rejected', 'released'],
  approved: ['re-keying'],
  rejected: ['released'],
  're-keying': ['re-keyed'],
  're-keyed': ['deletion-scheduled'],
  'deletion-scheduled': ['closed'],
  released: [],
  closed: [],
} as const satisfies Record<string, readonly string[]>;

export type IncidentStatus = keyof typeof transitions;

/** The statuses in which re-keying is under way or has effects still to record. */
export const rekeyingStatuses: readonly IncidentStatus[] = ['re-keying', 're-keyed', 'deletion-scheduled'];

export const canMove = (from: IncidentStatus, to: IncidentStatus): boolean =>
  (transitions[from] as readonly IncidentStatus[]).includes(to);

/** Every status from which an incident may move to `to`. */
export const statusesLeadingTo = (to: IncidentStatus): IncidentStatus[] =>
  (Object.keys(transitions) as IncidentStatus[]).filter((from) => canMove(from, to));

/** An incident still being handled: it can move on. Released and closed ones cannot, and take no more decisions. */
export const isActive = (status: IncidentStatus): boolean => transitions[status].length > 0;

/** The decisions people make on an incident (an approval link, a Slack button or the CLI carries one). */
export type DecisionAction =
  'approve-rekey' | 'disable-key' | 'release' | 'reject' | 'approve-deletion' | 'acknowledge';

export interface OpenDecision {
  action: DecisionAction;
  /**
   * kms-warden asks for it: the incident waits for a person (it moves to awaiting-approval, reminders go out). A
   * decision not asked for may still be made; release is offered as a link, reject beside the approval it rejects.
   */
  asked: boolean;
  /** A link (and a Slack button) of its own is sent for it. */
  linked: boolean;
}

/** Re-keying answers a key that may be in someone else's hands: for high and critical signals, not hygiene findings. */
const rekeyWorthy: ReadonlySet<string> = new Set(['high', 'critical']);

/**
 * How each decision is recorded, before anything is carried out: the status it moves the incident to, if any, the
 * statuses it may be recorded from, and whether it is taken once. The store's conditional write checks exactly this,
 * so of two decisions made at once one wins and the other acts on nothing.
 *
 * - approve-rekey moves to approved; reject to rejected (its executor then undoes and moves on to released); release
 *   to released, from any status before approval but rejected (a rejection is already releasing).
 * - disable-key is recorded before a re-key is approved (disabling the old key then would stop re-encryption) or after
 *   one was refused; approve-deletion once re-keying verified. Both are taken once: a disable that did not happen is
 *   given back by its executor, and may be decided again.
 */
export const decisionRules = {
  'approve-rekey': { moves: 'approved', from: ['contained', 'awaiting-approval'], once: false },
  reject: { moves: 'rejected', from: ['awaiting-approval'], once: false },
  release: { moves: 'released', from: ['open', 'contained', 'awaiting-approval'], once: false },
  'disable-key': { moves: undefined, from: ['open', 'contained', 'awaiting-approval', 'rejected'], once: true },
  'approve-deletion': { moves: undefined, from: ['re-keyed'], once: true },
  // One resource left on the old key, taken as it is by a person: many, one per resource, while re-keying waits.
  acknowledge: { moves: undefined, from: ['re-keying'], once: false },
} as const satisfies Record<
  DecisionAction,
  { moves: IncidentStatus | undefined; from: readonly IncidentStatus[]; once: boolean }
>;

const recordableFrom = (action: DecisionAction, status: IncidentStatus): boolean =>
  (decisionRules[action].from as readonly IncidentStatus[]).includes(status);

/** Decisions taken once that stand: recorded (new) or, for incidents from before, decided and not failed. */
const takenOnce = (incident: Incident): Set<string> => {
  const didNotHappen = new Set(['failed', 'needs-person']);
  return new Set([
    ...(incident.onceTaken ?? []),
    ...(incident.decisions ?? [])
      .filter((decision) => decision.id === undefined)
      .filter((decision) => !didNotHappen.has(decision.results?.[0]?.outcome ?? 'none'))
      .map((decision) => decision.action),
  ]);
};

/**
 * The one answer to "which decisions can this incident still take": the decision endpoint refuses any other, the
 * links and buttons offer the `linked` ones, and the reminders wait on the `asked` ones.
 *
 * - approve-rekey: until approved, for an incident about a key; asked for (and linked) when it is high or critical and
 *   not a dry run, open to a person who chooses it (the CLI) otherwise.
 * - reject: while the incident awaits approval (on the approval page, beside Approve).
 * - disable-key: as decisionRules says, until a decision disabled it (a failed one is given back); asked for (and
 *   linked) when containment offered it rather than applying it.
 * - approve-deletion: once, when re-keying verified everything and asked for it.
 * - release: until the incident is approved, rejected, released or closed; linked when a reversible step changed
 *   something;
 *   asked while steps containment only offered (other than disabling the key) wait undecided for a person, who
 *   applies them by hand or releases the incident.
 */
export const openDecisions = (incident: Incident): OpenDecision[] => {
  const open: OpenDecision[] = [];
  const results = incident.results ?? [];
  const taken = takenOnce(incident);
  const may = (action: DecisionAction) =>
    recordableFrom(action, incident.status) && !(decisionRules[action].once && taken.has(action));
  if (incident.keyArn && may('approve-rekey')) {
    // Any incident about a key may be re-keyed by a person who chooses to (the CLI, say); kms-warden asks for it, and
    // links it, only for high and critical signals it acted on for real.
    const worthy = !incident.dryRun && rekeyWorthy.has(incident.severity ?? incident.signal.severity);
    open.push({ action: 'approve-rekey', asked: worthy, linked: worthy });
  }
  if (may('disable-key')) {
    const offered =
      !incident.dryRun &&
      incident.plan.some((step, i) => step.type === 'disable-key' && results[i]?.outcome === 'not-run');
    open.push({ action: 'disable-key', asked: offered, linked: offered });
  }
  if (incident.rekey?.deletionRequestedAt && may('approve-deletion'))
    open.push({ action: 'approve-deletion', asked: true, linked: true });
  if (may('release')) {
    const undoable = incident.plan.some(
      (step, i) => changedSomething(results[i]) && actions[step.type as ActionType].reversible,
    );
    // Steps offered that no decision of their own answers (a quarantine for approval, say) wait for a person too:
    // applied by hand, or the incident released.
    // An offer a later step of the story applied anyway is no longer waiting.
    const superseded = supersededOffers(incident);
    const undecidedOffers =
      !incident.dryRun &&
      (incident.decisions ?? []).length === 0 &&
      incident.plan.some(
        (step, i) => step.type !== 'disable-key' && results[i]?.outcome === 'not-run' && !superseded.has(i),
      );
    open.push({ action: 'release', asked: undecidedOffers, linked: undoable });
  }
  if (may('reject')) open.push({ action: 'reject', asked: false, linked: false });
  // Each resource left waits for its own link (the verification's message carries them), not one for the incident.
  if (may('acknowledge') && leftForPeople(incident).length > 0)
    open.push({ action: 'acknowledge', asked: false, linked: false });
  return open;
};

/**
 * What re-keying left for a person that a person may acknowledge: resources waiting for a person, and services it
 * could not list (`inventory:SERVICE`), unless acknowledged already. By resource key.
 */
export const leftForPeople = (incident: Incident): string[] => {
  const resources = incident.rekey?.resources ?? {};
  return [
    ...Object.entries(resources).flatMap(([key, r]) => (r.status === 'needs-human' ? [key] : [])),
    ...Object.keys(incident.rekey?.inventoryGaps ?? {})
      .map((service) => `inventory:${service}`)
      .filter((key) => resources[key]?.status !== 'acknowledged'),
  ];
};

/** Whether `action` can still be decided on this incident. */
export const isOpenDecision = (incident: Incident, action: DecisionAction): boolean =>
  openDecisions(incident).some((open) => open.action === action);
