import type { ActionResult } from '../actions/action';
import type { Severity, Signal } from '../detections/detection';
import type { PlannedAction } from '../actions';
import type {
  CarriedOut,
  Decision,
  Incident,
  RekeyPreview,
  RekeyProgress,
  ResourceEntry,
  ResourceProgress,
  SignalEntry,
} from './incident';
import type { DecisionAction, IncidentStatus } from './lifecycle';

export type OpenResult =
  | { outcome: 'created'; incident: Incident }
  /** The signal's own incident exists: a redelivery, a re-published finding, or an interrupted response. */
  | { outcome: 'exists'; incident: Incident }
  /** Another active incident holds the signal's group (key, principal, family): the signal belongs to it. */
  | { outcome: 'grouped'; incident: Incident };

/**
 * What a signal joining a story changes besides the signal and its steps (`storyAfter`), and the number of signals
 * the story had when it was computed: the attach is refused if another joined since, so a severity is never computed
 * from a story missing a step.
 */
export interface StoryChange
  extends Pick<Incident, 'severity' | 'severityReason' | 'storyWindow' | 'keys'>, Partial<Pick<Incident, 'keyArn'>> {
  signalCount: number;
  /** The story's severity before the signal joined. */
  before: Severity;
}

/** The incident's fields a story change sets (not the count it was computed from). */
export const storyFieldsOf = ({ signalCount: _count, before: _before, ...fields }: StoryChange): Partial<Incident> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));

/** What the timeline says of a severity the signal raised. */
export const raisedBy = (story: StoryChange) => ({
  from: story.before,
  to: story.severity ?? story.before,
  reason: story.severityReason,
});

export type AttachResult = { attached: true; incident: Incident } | { attached: false; incident: Incident };

/** Where incidents live. Every change is a conditional write; a lost race raises StateConflictError. */
export interface IncidentStore {
  /**
   * Creates the incident and makes it the holder of its group, unless one with its id exists, its signal was already
   * taken by another incident (returned as 'grouped': the signal is known there), or another active incident holds
   * the group and the signal's activity falls within that story's window: those are returned untouched. An incident
   * that was released or closed holds its group no longer, nor one whose window the signal comes after; a signal from
   * before the holder's window (a late event) opens an incident of its own that does not take the group.
   */
  open(incident: Incident): Promise<OpenResult>;
  /**
   * Adds a later signal to an active incident, with its steps, before they run: their results are 'pending' until
   * recordSignalResults. The steps go after the incident's `planLength` steps, and only if the incident still has
   * exactly that many steps, each with a result (its own containment recorded). attached: false when the signal
   * was already attached. Otherwise a lost race, an incident whose results are not recorded yet, or one that is no
   * longer active (or rejected, on its way to release) raises StateConflictError.
   */
  attachSignal(
    id: string,
    entry: SignalEntry,
    steps: PlannedAction[],
    planLength: number,
    at: string,
    story?: StoryChange,
  ): Promise<AttachResult>;
  /** Records the results of an attached signal's steps, which start at `from` in the plan. */
  recordSignalResults(id: string, from: number, results: ActionResult[], at: string): Promise<Incident>;
  /**
   * Moves approved -> re-keying with the run's starting progress. An incident already re-keying or re-keyed is a
   * resumed run: returned as it is, its progress kept. Any other status raises StateConflictError.
   */
  beginRekey(id: string, progress: RekeyProgress, at: string): Promise<Incident>;
  /**
   * Records re-keying progress (not resources) while the incident is re-keying, re-keyed or deletion-scheduled, with a
   * line in the timeline, or none when `what` is null (bookkeeping repeated on every wait would fill it).
   */
  recordRekey(
    id: string,
    fields: Partial<Omit<RekeyProgress, 'resources'>>,
    at: string,
    what: string | null,
  ): Promise<Incident>;
  /** Records the replacement key once; a second, different key loses and the first is returned. */
  claimReplacementKey(id: string, keyArn: string, at: string): Promise<string>;
  /**
   * Records what re-keying did to resources, each on its own item (the last entry of a key wins), for an incident
   * that is re-keying (StateConflictError otherwise). What is recorded already happened, so it is not undone by the
   * incident moving on meanwhile; a person's acknowledgement of a resource stands (its entry is dropped). Returns
   * nothing: re-reading an incident with thousands of resources after each would be quadratic; callers that need the
   * incident read it once, when they need it.
   */
  recordResources(id: string, resources: readonly ResourceEntry[]): Promise<void>;
  /**
   * A person's acknowledgement that a resource may stay on the old key, recorded only while the incident is re-keying
   * (StateConflictError otherwise): a decision, so conditional on the incident, where recordResources records effects.
   */
  recordAcknowledgement(id: string, key: string, progress: ResourceProgress): Promise<void>;
  /**
   * Records what re-keying would do, once, while re-keying may still be approved (open, contained,
   * awaiting-approval): a plan that arrives after the approval, or after another, is not recorded
   * (StateConflictError); the run's own inventory is what counts.
   */
  recordRekeyPlan(id: string, plan: RekeyPreview): Promise<Incident>;
  /** The incident's own item, without its resource items: one read, however many resources it re-keys. */
  head(id: string): Promise<Incident | undefined>;
  /**
   * Up to `limit` resource items after the resource key `after` ('' from the first), in key order, and the key to go
   * on after when there may be more: how re-keying walks thousands of resources a batch at a time.
   */
  resourcesAfter(
    id: string,
    after: string,
    limit: number,
  ): Promise<{ resources: Array<[string, ResourceProgress]>; next?: string }>;
  /** A move the workflow makes (re-keying -> re-keyed -> deletion-scheduled), conditional on the lifecycle table. */
  advance(id: string, to: IncidentStatus, at: string, what: string): Promise<Incident>;
  /** Moves contained -> awaiting-approval when decision links go out to people. */
  awaitDecision(id: string, at: string): Promise<Incident>;
  /** Stores the action results; moves open -> contained when every action finished, else stays open. */
  recordContainment(id: string, results: ActionResult[], at: string): Promise<Incident>;
  /** Records that people were told of the incident in this status; false when that was already recorded. */
  markNotified(id: string, status: IncidentStatus, notificationId: string, at: string): Promise<boolean>;
  /**
   * Records where the incident's Slack message is, replacing `previousTs` (a message posted again after someone
   * deleted it); false when another run recorded a different one first.
   */
  recordSlackMessage(id: string, message: { channel: string; ts: string }, previousTs?: string): Promise<boolean>;
  get(id: string): Promise<Incident | undefined>;
  /**
   * Moves the incident to `to`, recording the decision, if the lifecycle allows that move from its status. A lost
   * race raises StateConflictError carrying the winner's state.
   */
  decide(id: string, to: IncidentStatus, decision: Decision): Promise<Incident>;
  /**
   * Records a decision before anything is carried out, under the one condition lifecycle's decisionRules gives it: the
   * move it makes (approve-rekey, reject, release) from the statuses it may be made from, or, for a decision that moves
   * nothing (disable-key, approve-deletion), those statuses and, taken once, none of its kind standing. The winner of
   * two decisions made at once is the one whose write lands; the other raises StateConflictError with its state.
   */
  recordDecision(id: string, decision: Decision & { action: DecisionAction }): Promise<Incident>;
  /** Gives a decision taken once back (it did not happen: a disable AWS refused), so it may be decided again. */
  giveBack(id: string, action: DecisionAction, at: string, why: string): Promise<Incident>;
  /**
   * Makes `decisionId`'s executor the one carrying out the incident's decisions until `until` (one at a time, so a
   * release never undoes while a disable is half done). The incident when claimed; undefined while another holds it.
   */
  claimExecution(id: string, decisionId: string, at: string, until: string): Promise<Incident | undefined>;
  /** Lets go of the claim `decisionId`'s executor holds, if it holds it, recording nothing. */
  releaseExecution(id: string, decisionId: string): Promise<void>;
  /** Records the steps a release (or reject) has undone so far, so a run that stops halfway resumes from there. */
  recordUndone(id: string, decision: { index: number; id: string }, undone: string[]): Promise<void>;
  /**
   * Records what carrying a decision out did (and the results of its actions), and lets go of the claim. Once: a
   * decision already carried out (by an overlapping run of the same job) is a StateConflictError, and what the first
   * run recorded stands.
   */
  completeDecision(
    id: string,
    decision: { index: number; id: string },
    carriedOut: CarriedOut,
    results?: ActionResult[],
  ): Promise<Incident>;
  /** Incidents in one of these statuses whose last change is older than `before`, oldest first. */
  listByStatus(statuses: readonly IncidentStatus[], before: string): Promise<Incident[]>;
  /** Every incident about a key, newest first. */
  listByKey(keyArn: string): Promise<Incident[]>;
  /** Records a reminder; false when one was already sent since `since` (another run got there first). */
  markReminded(id: string, at: string, since: string): Promise<boolean>;
  /** Counts another delivery of the incident's signal and keeps its latest evidence; changes nothing else. */
  /**
   * Claims telling people of what happened since they were last told, once the quiet period has passed since the last
   * message (`notifiedAt`, `newsToldAt` both before `quietSince`, the page sent): one sender per burst. Clears the
   * pending news and returns the incident as it is then, every step attached so far in it; undefined when a message
   * went out within the quiet period, the page has not, or another sender claimed first.
   */
  claimNews(id: string, at: string, quietSince: string): Promise<Incident | undefined>;
  /** The incidents with news noted before `before` (the byNews index): their ids, oldest first. */
  listNewsPending(before: string): Promise<string[]>;
  /** Notes news not yet told (from its first moment): the scheduled sweep tells it once the quiet period is over. */
  markNews(id: string, at: string): Promise<void>;
  recordRepeat(id: string, signal: Signal, at: string): Promise<Incident>;
}
