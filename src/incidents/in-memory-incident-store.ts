import type { ActionResult } from '../actions/action';
import type { PlannedAction } from '../actions';
import type { Signal } from '../detections/detection';
import { StateConflictError } from '../errors';
import {
  boundedEvidence,
  boundedProgress,
  containmentSucceeded,
  incidentBounds,
  placeInStory,
  continuesStory,
  continuing,
  type CarriedOut,
  type Decision,
  type Incident,
  type RekeyPreview,
  type RekeyProgress,
  type ResourceEntry,
  type ResourceProgress,
  type SignalEntry,
  type TimelineEntry,
} from './incident';
import { canMove, decisionRules, isActive, rekeyingStatuses } from './lifecycle';
import { expiresAfter } from './retention';
import type { AttachResult, IncidentStore, OpenResult, StoryChange } from './incident-store';
import { raisedBy, storyFieldsOf } from './incident-store';
import type { DecisionAction, IncidentStatus } from './lifecycle';
import { containmentNote, decisionNote, attachNote } from './timeline';

/** The incident store in process memory, with the same conditions as the DynamoDB one (replay, tests). */
export class InMemoryIncidentStore implements IncidentStore {
  readonly incidents = new Map<string, Incident>();

  constructor(private readonly retentionDays = 90) {}
  /** Group -> the incident holding it. */
  readonly groups = new Map<string, string>();

  /** Signal id -> the incident that took it (the DynamoDB store's SIGNAL# claim items). */
  readonly claims = new Map<string, string>();

  async open(opening: Incident): Promise<OpenResult> {
    let incident = opening;
    const existing = this.incidents.get(incident.id);
    if (existing) return { outcome: 'exists', incident: structuredClone(existing) };
    const claimedBy = this.incidents.get(this.claims.get(incident.signalIds[0] ?? '') ?? '');
    if (claimedBy) return { outcome: 'grouped', incident: structuredClone(claimedBy) };
    const holder = this.incidents.get(this.groups.get(incident.group) ?? '');
    // A signal the holder already had (from before claims): that incident's, as the DynamoDB store answers.
    if (holder && incident.signalIds.some((signalId) => holder.signalIds.includes(signalId)))
      return { outcome: 'grouped', incident: structuredClone(holder) };
    const place = holder ? placeInStory(holder, incident) : 'after';
    const active = holder !== undefined && isActive(holder.status);
    if (active && place === 'within' && holder.signalIds.length < incidentBounds.maxSignalsPerIncident)
      return { outcome: 'grouped', incident: structuredClone(holder) };
    if (holder && continuesStory(holder, incident)) incident = continuing(incident, holder);
    this.incidents.set(incident.id, structuredClone(incident));
    for (const signalId of incident.signalIds) this.claims.set(signalId, incident.id);
    // A late event (before the holder's story) is an incident of its own; the group stays with the story.
    if (!(active && place === 'before')) this.groups.set(incident.group, incident.id);
    return { outcome: 'created', incident };
  }

  async attachSignal(
    id: string,
    entry: SignalEntry,
    steps: PlannedAction[],
    planLength: number,
    at: string,
    story?: StoryChange,
  ): Promise<AttachResult> {
    const current = this.incidents.get(id);
    if (current?.signalIds.includes(entry.id)) return { attached: false, incident: structuredClone(current) };
    const claimedBy = this.incidents.get(this.claims.get(entry.id) ?? '');
    if (claimedBy) return { attached: false, incident: structuredClone(claimedBy) };
    const aligned = current?.plan.length === planLength && current.results?.length === planLength;
    if (
      !current ||
      !aligned ||
      (story && current.signalIds.length !== story.signalCount) ||
      !isActive(current.status) ||
      current.status === 'rejected' ||
      current.signalIds.length >= incidentBounds.maxSignalsPerIncident
    )
      throw new StateConflictError(id, current);
    const next: Incident = {
      ...current,
      signals: [...current.signals, { ...entry, planFrom: planLength, planSteps: steps.length }],
      signalIds: [...current.signalIds, entry.id],
      plan: [...current.plan, ...steps],
      results: [
        ...current.results!,
        ...steps.map((): ActionResult => ({ outcome: 'pending', reason: 'recorded before it runs' })),
      ],
      lastSeenAt: at,
      ...(story ? storyFieldsOf(story) : {}),
    };
    this.claims.set(entry.id, id);
    return {
      attached: true,
      incident: this.put(next, { at, what: attachNote(entry, steps.length, story && raisedBy(story)) }),
    };
  }

  async recordSignalResults(id: string, from: number, results: ActionResult[], at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current || (current.results?.length ?? 0) < from + results.length) throw new StateConflictError(id, current);
    const next = [...current.results!];
    results.forEach((result, i) => (next[from + i] = result));
    return this.put({ ...current, results: next }, { at, what: containmentNote(results) });
  }

  async recordContainment(id: string, results: ActionResult[], at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (current?.status !== 'open') throw new StateConflictError(id, current);
    const status = containmentSucceeded(results) ? 'contained' : 'open';
    return this.put({ ...current, status, results, updatedAt: at }, { at, status, what: containmentNote(results) });
  }

  async beginRekey(id: string, progress: RekeyProgress, at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (current?.status === 're-keying' || current?.status === 're-keyed') return structuredClone(current);
    if (!current || !canMove(current.status, 're-keying')) throw new StateConflictError(id, current);
    return this.put(
      { ...current, status: 're-keying', rekey: progress, updatedAt: at },
      { at, status: 're-keying', what: `re-keying started by ${progress.startedBy}` },
    );
  }

  async recordRekey(
    id: string,
    fields: Partial<Omit<RekeyProgress, 'resources'>>,
    at: string,
    what: string | null,
  ): Promise<Incident> {
    const current = this.rekeying(id);
    const set = Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
    const next = { ...current, rekey: { ...current.rekey!, ...set } };
    if (what !== null) return this.put(next, { at, what });
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async claimReplacementKey(id: string, keyArn: string, at: string): Promise<string> {
    const current = this.incidents.get(id);
    if (!current?.rekey) throw new StateConflictError(id, current);
    if (current.rekey.replacementKeyArn) return current.rekey.replacementKeyArn;
    this.put(
      { ...current, rekey: { ...current.rekey, replacementKeyArn: keyArn } },
      { at, what: `replacement key ${keyArn}` },
    );
    return keyArn;
  }

  async recordResources(id: string, resources: readonly ResourceEntry[]): Promise<void> {
    if (resources.length === 0) return;
    const current = this.rekeying(id);
    // As in DynamoDB, where each resource is an item of its own: no line in the incident's timeline.
    const recorded = { ...current.rekey!.resources };
    for (const [key, progress] of resources)
      if (recorded[key]?.status !== 'acknowledged') recorded[key] = boundedProgress(progress);
    this.incidents.set(id, { ...current, rekey: { ...current.rekey!, resources: recorded } });
  }

  async recordAcknowledgement(id: string, key: string, progress: ResourceProgress): Promise<void> {
    const current = this.rekeying(id);
    const resources = { ...current.rekey!.resources, [key]: boundedProgress({ ...progress, status: 'acknowledged' }) };
    this.incidents.set(id, { ...current, rekey: { ...current.rekey!, resources } });
  }

  async advance(id: string, to: IncidentStatus, at: string, what: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current || !canMove(current.status, to)) throw new StateConflictError(id, current);
    return this.put(
      {
        ...current,
        status: to,
        updatedAt: at,
        ...(isActive(to) ? {} : { expiresAt: expiresAfter(at, this.retentionDays) }),
      },
      { at, status: to, what },
    );
  }

  /** The incident, if re-keying is under way; else the conflict the DynamoDB store's condition would raise. */
  private rekeying(id: string): Incident {
    const current = this.incidents.get(id);
    if (!current?.rekey || !rekeyingStatuses.includes(current.status)) throw new StateConflictError(id, current);
    return current;
  }

  async awaitDecision(id: string, at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current || !canMove(current.status, 'awaiting-approval')) throw new StateConflictError(id, current);
    return this.put(
      { ...current, status: 'awaiting-approval', updatedAt: at },
      { at, status: 'awaiting-approval', what: 'decision links sent' },
    );
  }

  async claimNews(id: string, at: string, quietSince: string): Promise<Incident | undefined> {
    const current = this.incidents.get(id);
    if (!current?.notifiedAt || current.notifiedAt > quietSince || (current.newsToldAt ?? '') > quietSince)
      return undefined;
    const { newsPendingSince: _told, ...rest } = current;
    const next = { ...rest, newsToldAt: at };
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async listNewsPending(before: string): Promise<string[]> {
    return [...this.incidents.values()]
      .filter((incident) => incident.newsPendingSince !== undefined && incident.newsPendingSince <= before)
      .sort((a, b) => a.newsPendingSince!.localeCompare(b.newsPendingSince!))
      .map((incident) => incident.id);
  }

  async markNews(id: string, at: string): Promise<void> {
    const current = this.incidents.get(id);
    if (current) this.incidents.set(id, { ...current, newsPendingSince: current.newsPendingSince ?? at });
  }

  async markNotified(id: string, status: IncidentStatus, notificationId: string, at: string): Promise<boolean> {
    const current = this.incidents.get(id);
    if (!current || current.notifiedStatus === status) return false;
    this.put(
      { ...current, notifiedAt: at, notifiedStatus: status, notificationId },
      { at, what: `people told of ${status} (${notificationId})` },
    );
    return true;
  }

  async recordRepeat(id: string, signal: Signal, at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current) throw new StateConflictError(id, undefined);
    const next = {
      ...current,
      occurrences: (current.occurrences ?? 0) + 1,
      lastSeenAt: at,
      lastEvidence: boundedEvidence(signal.evidence),
    };
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async decide(id: string, to: IncidentStatus, decision: Decision): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current || !canMove(current.status, to)) throw new StateConflictError(id, current);
    return this.put(
      {
        ...current,
        status: to,
        decisions: [...(current.decisions ?? []), decision],
        updatedAt: decision.at,
        ...(isActive(to) ? {} : { expiresAt: expiresAfter(decision.at, this.retentionDays) }),
      },
      { at: decision.at, status: to, what: decisionNote(decision) },
    );
  }

  async recordDecision(id: string, decision: Decision & { action: DecisionAction }): Promise<Incident> {
    const current = this.incidents.get(id);
    const rule = decisionRules[decision.action];
    const recordable =
      current &&
      (rule.from as readonly IncidentStatus[]).includes(current.status) &&
      (!rule.moves || canMove(current.status, rule.moves)) &&
      !(rule.once && (current.onceTaken ?? []).includes(decision.action));
    if (!current || !recordable) throw new StateConflictError(id, current);
    if (rule.moves) return this.decide(id, rule.moves, decision);
    return this.put(
      {
        ...current,
        decisions: [...(current.decisions ?? []), decision],
        ...(rule.once ? { onceTaken: [...(current.onceTaken ?? []), decision.action].sort() } : {}),
        updatedAt: decision.at,
      },
      { at: decision.at, what: decisionNote(decision) },
    );
  }

  async giveBack(id: string, action: DecisionAction, at: string, why: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current) throw new StateConflictError(id, undefined);
    return this.put(
      { ...current, onceTaken: (current.onceTaken ?? []).filter((taken) => taken !== action), updatedAt: at },
      { at, what: `${action} may be decided again: ${why}` },
    );
  }

  async claimExecution(id: string, decisionId: string, at: string, until: string): Promise<Incident | undefined> {
    const current = this.incidents.get(id);
    if (!current) throw new StateConflictError(id, undefined);
    const held = current.executing;
    if (held && held.until >= at && held.decisionId !== decisionId) return undefined;
    const claimed = { ...current, executing: { decisionId, until } };
    this.incidents.set(id, structuredClone(claimed));
    return structuredClone(claimed);
  }

  async releaseExecution(id: string, decisionId: string): Promise<void> {
    const current = this.incidents.get(id);
    if (!current || current.executing?.decisionId !== decisionId) return;
    const { executing: _executing, ...rest } = current;
    this.incidents.set(id, structuredClone(rest));
  }

  async recordUndone(id: string, decision: { index: number; id: string }, undone: string[]): Promise<void> {
    const current = this.incidents.get(id);
    const found = current?.decisions?.[decision.index];
    if (!current || found?.id !== decision.id || current.executing?.decisionId !== decision.id)
      throw new StateConflictError(id, current);
    const decisions = [...current.decisions!];
    decisions[decision.index] = { ...found, undone: [...undone] };
    this.incidents.set(id, structuredClone({ ...current, decisions }));
  }

  async completeDecision(
    id: string,
    decision: { index: number; id: string },
    carriedOut: CarriedOut,
    results?: ActionResult[],
  ): Promise<Incident> {
    const current = this.incidents.get(id);
    const found = current?.decisions?.[decision.index];
    if (!current || found?.id !== decision.id) throw new StateConflictError(id, current);
    if (found.carriedOut) throw new StateConflictError(id, structuredClone(current));
    const decisions = [...current.decisions!];
    decisions[decision.index] = { ...found, carriedOut, ...(results ? { results } : {}) };
    const { executing: _executing, ...rest } = current;
    const note = { at: carriedOut.at, what: `carried out: ${carriedOut.detail}` };
    return this.put({ ...rest, decisions }, note);
  }

  async listByStatus(statuses: readonly IncidentStatus[], before: string): Promise<Incident[]> {
    return [...this.incidents.values()]
      .filter((i) => statuses.includes(i.status) && i.updatedAt < before)
      .map((i) => structuredClone(i));
  }

  async listByKey(keyArn: string): Promise<Incident[]> {
    return [...this.incidents.values()]
      .filter((i) => i.keyArn === keyArn)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((i) => structuredClone(i));
  }

  async markReminded(id: string, at: string, since: string): Promise<boolean> {
    const current = this.incidents.get(id);
    if (!current || (current.remindedAt !== undefined && current.remindedAt >= since)) return false;
    this.incidents.set(id, { ...current, remindedAt: at });
    return true;
  }

  async recordSlackMessage(
    id: string,
    message: { channel: string; ts: string },
    previousTs?: string,
  ): Promise<boolean> {
    const current = this.incidents.get(id);
    if (!current || current.slackMessage?.ts !== previousTs) return false;
    this.incidents.set(id, { ...current, slackMessage: message });
    return true;
  }

  async get(id: string): Promise<Incident | undefined> {
    const incident = this.incidents.get(id);
    return incident && structuredClone(incident);
  }

  async recordRekeyPlan(id: string, plan: RekeyPreview): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current || !['open', 'contained', 'awaiting-approval'].includes(current.status) || current.rekeyPlan)
      throw new StateConflictError(id, current);
    return this.put(
      { ...current, rekeyPlan: plan },
      {
        at: plan.at,
        what: `re-key plan: ${plan.moves} move on their own, ${plan.person} wait for a person${plan.refused ? '; re-keying would refuse this key' : ''}`,
      },
    );
  }

  async head(id: string): Promise<Incident | undefined> {
    const incident = this.incidents.get(id);
    if (!incident) return undefined;
    const copy = structuredClone(incident);
    if (copy.rekey) copy.rekey.resources = {};
    return copy;
  }

  async resourcesAfter(
    id: string,
    after: string,
    limit: number,
  ): Promise<{ resources: Array<[string, ResourceProgress]>; next?: string }> {
    // In key order, as DynamoDB keeps the items of a partition (by sort key, bytewise).
    const all = Object.entries(this.incidents.get(id)?.rekey?.resources ?? {})
      .filter(([key]) => key > after)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const resources = structuredClone(all.slice(0, limit));
    return all.length > limit ? { resources, next: resources.at(-1)![0] } : { resources };
  }

  private put(next: Incident, entry: TimelineEntry): Incident {
    const stored = { ...next, timeline: [...next.timeline, entry] };
    this.incidents.set(next.id, stored);
    return structuredClone(stored);
  }
}
