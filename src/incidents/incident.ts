import { createHash } from 'node:crypto';
import type { ActionResult } from '../actions/action';
import type { PlannedAction } from '../actions';
import type { Severity, Signal } from '../detections/detection';
import { familyOf } from '../detections';
import { principalKey } from '../events/principal';
import { accountOfKey } from '../events/accounts';
import { actionIdOf } from '../events/kms-api-call';
import type { KeyFacts } from '../policy/key-facts';
import type { PriorKeyState } from '../policy/prior-key-state';
import { isActive, type IncidentStatus } from './lifecycle';
import {
  activityOf,
  afterWindow,
  higherSeverity,
  stageOf,
  withinWindow,
  isStoryGroup,
  storyKeyOf,
  storySeverity,
  widen,
  windowOf,
  type Activity,
  type StoryWindow,
} from './story';
import { defaultThresholds } from '../detections/detection';

export interface Decision {
  /** Names the decision for the executor that carries it out (decisions recorded before there was one have none). */
  id?: string;
  action: string;
  by: string;
  channel: 'approval-link' | 'slack' | 'cli';
  at: string;
  results?: ActionResult[];
  /** What carrying it out did, once it finished: recorded after the decision, which moved the incident first. */
  carriedOut?: CarriedOut;
  /** The Slack press that made it: the executor replaces its message with the outcome (Slack's hosts only). */
  press?: { user: string; responseUrl?: string };
  /** A release or reject carrying out: the steps undone so far (`step:<index>`, `decision:<id>`), to resume from. */
  undone?: string[];
  /** A decision on one thing of the incident (acknowledge: the resource's key), and the reason a person gave. */
  subject?: string;
  /** approve-rekey: the keys of the story the person ticked (absent: the incident's key alone). */
  keys?: string[];
  why?: string;
}

export interface CarriedOut {
  at: string;
  detail: string;
  /** False when it did not fully happen (a step not undone, a key not disabled). */
  complete: boolean;
}

/** One signal attached to an incident, with the evidence people need to judge it. */
export interface SignalEntry {
  /** detector#eventId: the same signal delivered again attaches once. */
  id: string;
  detector: string;
  severity: Severity;
  summary: string;
  eventId: string;
  eventName: string;
  eventTime: string;
  region: string;
  sourceIp: string | undefined;
  userAgent: string | undefined;
  evidence: Record<string, unknown>;
  receivedAt: string;
  /** The key it is about, the caller (the role or user, and the session or access key used) and its techniques. */
  keyArn?: string;
  principalArn?: string;
  sessionName?: string;
  accessKeyId?: string;
  mitre?: readonly string[];
  /** When its activity happened (GuardDuty: first to last sight), which places it in the story. */
  activity?: Activity;
  /** Where this signal's own steps sit in the incident's plan: [planFrom, planFrom + planSteps). */
  planFrom?: number;
  planSteps?: number;
}

/** The key's aliases, description and tags (kms-warden's own tags left out). */
export interface KeyProfile {
  aliases: string[];
  description?: string | undefined;
  tags: Record<string, string>;
  /** A multi-Region primary's replicas in other Regions: keys of their own, each to be checked. */
  replicas?: string[];
  /** AWS: an AWS managed key, which kms-warden never changes. */
  keyManager?: string;
}

/** What became of one resource the old key protected. */
export interface ResourceProgress {
  service: string;
  kind: string;
  id: string;
  region: string;
  /** cut-over: it waited for a person, and is no longer on the old key (verification found it gone or moved). */
  status: 'pending' | 're-encrypted' | 'needs-human' | 'cut-over' | 'skipped' | 'acknowledged';
  detail: string;
  notes?: string[];
  instructions?: string[];
  /** What the service adapter needs to move it (sizes, counts, storage classes), as its inventory found it. */
  resourceDetail?: Record<string, string | number | boolean>;
  at: string;
}

/** A resource's key on the incident (`service:region:kind:id`) and what became of it. */
export type ResourceEntry = readonly [key: string, progress: ResourceProgress];

/**
 * A resource's progress as stored: its texts capped (a few KB an item), so a hundred fit a DynamoDB transaction's
 * 4 MB many times over, and messages that list many stay small. The CLI and messages show what is kept; the full
 * instructions are rebuilt by running the step.
 */
export const boundedProgress = (progress: ResourceProgress): ResourceProgress => {
  const cap = (texts: string[] | undefined, total: number) => {
    if (!texts) return undefined;
    const kept: string[] = [];
    let left = total;
    for (const text of texts) {
      if (left <= 0) break;
      kept.push(text.length > left ? `${text.slice(0, left - 1)}…` : text);
      left -= text.length;
    }
    return kept;
  };
  const notes = cap(progress.notes, 600);
  const instructions = cap(progress.instructions, 1500);
  return {
    ...progress,
    detail: progress.detail.slice(0, 300),
    ...(notes ? { notes } : {}),
    ...(instructions ? { instructions } : {}),
  };
};

/**
 * What re-keying would do, inventoried before anyone approves it (handlers/plan-rekey.ts), for the approval page and
 * the messages. Bounded: the first resources only, with the count of the rest.
 */
export interface RekeyPreview {
  at: string;
  /** Why re-keying would refuse this key (imported material, a custom key store, a replica), if it would. */
  refused?: string[];
  /** Resources on the old key: moved by re-keying on its own, and waiting for a person's cutover. */
  moves: number;
  person: number;
  lines: Array<{ key: string; how: string; person: boolean; stays: string }>;
  /** Resources not in `lines`. */
  more: number;
  /** Services that could not be listed: the plan is incomplete until they are. */
  gaps: Record<string, string>;
  /** A multi-Region key's replica Regions, whose resources a person moves. */
  replicaRegions: string[];
}

/** What a re-key execution waits for people to do: move or acknowledge what is left, or approve the deletion. */
export type RekeyWait = 'people' | 'deletion-approval';

/** Where re-keying stands: written by the workflow's steps, each write conditional, read by people and the CLI. */
export interface RekeyProgress {
  startedAt: string;
  startedBy: string;
  oldKeyArn: string;
  /** Days between ScheduleKeyDeletion and the deletion: 7 to 30. */
  pendingWindowDays: number;
  snapshot?: import('./key-snapshot').KeySnapshot;
  replacementKeyArn?: string;
  aliasesMoved?: string[];
  /** By `service:region:id`. */
  resources: Record<string, ResourceProgress>;
  /** Services whose inventory failed: verification cannot pass while one is unexplained. */
  inventoryGaps?: Record<string, string>;
  oldKeyDisabledAt?: string;
  /** When verification last inventoried every service: it does so at most once per settle period. */
  inventoriedAt?: string;
  /** When a person last acknowledged something left on the old key: a wait that began before it is resumed. */
  lastAcknowledgedAt?: string;
  /**
   * The execution waiting for people, and on what: its task token, sent back (SendTaskSuccess) by whoever ends the
   * wait (an acknowledgement, the deletion's approval). Never shown: it resumes the execution.
   */
  awaiting?: { for: RekeyWait; token: string; since: string };
  /** When re-encryption last told people of its progress (at most every few minutes, however many batches). */
  progressToldAt?: string;
  /** What verification last told people was left, so it tells again only when that changes. */
  remainingReported?: string;
  verifiedAt?: string;
  /** The old key's last successful use GetKeyLastUsage reported at verification ('unknown' where it is unavailable). */
  lastUsedAt?: string;
  deletionRequestedAt?: string;
  deletionDate?: string;
  failure?: { error: string; cause: string; at: string };
}

/** What happened to an incident, in order: created, contained, signals attached, messages sent, decisions. */
export interface TimelineEntry {
  at: string;
  /** The status the change moved the incident to, when it moved it. */
  status?: IncidentStatus;
  what: string;
}

export interface Incident {
  id: string;
  status: IncidentStatus;
  createdAt: string;
  updatedAt: string;
  keyArn: string | undefined;
  /** The key as its owners describe it, read when the incident opened: messages say what the key protects. */
  keyProfile?: KeyProfile;
  /** Organization mode: the name Organizations gives the account the signal came from, when the incident opened. */
  accountName?: string;
  /**
   * The story (the principal; incidents/story) or, for signals that are no actor's story, the key, principal and
   * detector family: while the incident is active, later signals of its group within its window attach to it.
   */
  group: string;
  /** The story's severity: its worst signal's, raised by the stages its signals reached together. Only rises. */
  severity?: Severity;
  /** Why the severity is above the worst signal's ("reconnaissance followed by destruction"). */
  severityReason?: string;
  /** The times within which a later signal of the group joins the story; grows as signals join. */
  storyWindow?: StoryWindow;
  /** Every key the story's signals were about, in the order they came. */
  keys?: string[];
  /** The story this incident is part of (a key of its re-key, on an incident of its own). */
  parentId?: string;
  /** The earlier story of the same principal this one continues (that one full, or decided on, within the window). */
  previousId?: string;
  /** The signal that opened the incident. */
  signal: Signal;
  /** Every signal of the incident, the first included, in the order they arrived. */
  signals: SignalEntry[];
  /** The ids of `signals`, for the condition that attaches a signal once. */
  signalIds: string[];
  timeline: TimelineEntry[];
  priorKeyState: PriorKeyState;
  /** What re-keying would do, inventoried before the approval is asked for; absent until it is. */
  rekeyPlan?: RekeyPreview;
  /** The key's mode and protection when the plan was made. */
  keyMode?: KeyFacts;
  /** Planned and recorded, not applied. */
  dryRun?: boolean;
  /** The first signal's steps, then the steps later signals added that changed something or wait for a decision. */
  plan: PlannedAction[];
  /** One per plan step, in plan order, once containment ran. */
  results?: ActionResult[];
  /** Deliveries of the signal after the first (redeliveries, GuardDuty re-publications), and the latest one. */
  occurrences?: number;
  lastSeenAt?: string;
  lastEvidence?: Record<string, unknown>;
  /** What people decided, in order: who, when, through which channel, and what it did. */
  decisions?: Decision[];
  /** Decisions taken once that stand (disable-key, approve-deletion): the condition that makes a second one lose. */
  onceTaken?: string[];
  /** The decision being carried out, and until when its executor holds the incident (one executor at a time). */
  executing?: { decisionId: string; until: string };
  remindedAt?: string;
  notifiedAt?: string;
  /** The status people were last told about: a change of status is worth a new message, a redelivery is not. */
  notifiedStatus?: IncidentStatus;
  notificationId?: string;
  /** When people were last sent a short update of the story (later signals), after the message itself. */
  newsToldAt?: string;
  /** When news came that people have not been told yet (a signal within the quiet period after the last message). */
  newsPendingSince?: string;
  rekey?: RekeyProgress;
  /** The Slack message kept up to date as the incident moves (bot token configured); absent with a webhook. */
  slackMessage?: { channel: string; ts: string };
  /**
   * Epoch seconds: DynamoDB's TTL removes the record after this. Set when the incident is released or closed, never
   * while it is active: an incident waiting on people must not vanish.
   */
  expiresAt?: number;
}

/**
 * A signal's id, claimed once (SIGNAL#<id>): a redelivered event, and the other account's record of one cross-account
 * call (an organization's events reach kms-warden from both accounts, with one sharedEventID), are the same signal.
 */
export const signalIdOf = (signal: Pick<Signal, 'detector' | 'source'>): string =>
  `${signal.detector}#${actionIdOf(signal.source)}`;

/**
 * An incident is one DynamoDB item (400 KB at most), and much of what it holds is written by the attacker: a key
 * policy's statements in the evidence, a summary that lists its actions. Each is kept to a size, with what was
 * left out said; and an incident takes at most `maxSignalsPerIncident` signals, after which the next one opens a
 * new incident for the same group.
 */
export const incidentBounds = { evidenceChars: 2000, summaryChars: 600, maxSignalsPerIncident: 40 } as const;

const boundedText = (text: string, limit: number) =>
  text.length > limit ? `${text.slice(0, limit - 1)}… (${text.length - limit + 1} more characters not kept)` : text;

export const boundedEvidence = (evidence: Record<string, unknown>): Record<string, unknown> => {
  const text = JSON.stringify(evidence);
  return text.length <= incidentBounds.evidenceChars
    ? evidence
    : { truncated: true, size: text.length, excerpt: text.slice(0, incidentBounds.evidenceChars - 200) };
};

/** The signal as an incident keeps it: its evidence and summary bounded. */
export const boundedSignal = (signal: Signal): Signal => ({
  ...signal,
  summary: boundedText(signal.summary, incidentBounds.summaryChars),
  evidence: boundedEvidence(signal.evidence),
});

/** Signals about the same key, from the same principal (sessions of one role are one principal), in one family. */
export const incidentGroupOf = (signal: Pick<Signal, 'detector' | 'keyArn' | 'principal'>): string =>
  [signal.keyArn ?? 'no-key', principalKey(signal.principal.arn), familyOf(signal.detector)].join('|');

/** The group an incident for this signal holds: its story, or for signals that are no actor's story, the old key. */
export const groupOf = (signal: Pick<Signal, 'detector' | 'keyArn' | 'principal'>): string =>
  storyKeyOf(signal) ?? incidentGroupOf(signal);

export const signalEntryOf = (signal: Signal, receivedAt: string): SignalEntry => ({
  id: signalIdOf(signal),
  detector: signal.detector,
  severity: signal.severity,
  summary: boundedText(signal.summary, incidentBounds.summaryChars),
  eventId: signal.source.eventId,
  eventName: signal.source.eventName,
  eventTime: signal.source.eventTime,
  region: signal.source.region,
  sourceIp: signal.source.sourceIp,
  userAgent: signal.source.userAgent,
  evidence: boundedEvidence(signal.evidence),
  receivedAt,
  ...(signal.keyArn ? { keyArn: signal.keyArn } : {}),
  principalArn: signal.principal.arn,
  ...(signal.principal.sessionName ? { sessionName: signal.principal.sessionName } : {}),
  ...(signal.principal.accessKeyId ? { accessKeyId: signal.principal.accessKeyId } : {}),
  mitre: [...signal.mitre],
  activity: activityOf(signal),
});

/** The story's severity, for incidents stored before stories (the first signal's). */
export const severityOf = (incident: Pick<Incident, 'severity' | 'signal'>): Severity =>
  incident.severity ?? incident.signal.severity;

/**
 * Where a new signal stands against the story that holds its group: within its window (it joins), after it (a new
 * story takes the group over) or before it (a late event: an incident of its own, the group left to the story).
 * Incidents stored before stories have no window: everything is within, as it was.
 */
export const placeInStory = (
  holder: Pick<Incident, 'storyWindow' | 'group' | 'status'>,
  draft: Pick<Incident, 'signals'>,
): 'within' | 'after' | 'before' => {
  // Groups that are no actor's story (an operator's request, Config's findings) hold while active, as before stories:
  // an operator's second re-key of a key is refused however late it comes.
  if (!isStoryGroup(holder.group)) return 'within';
  // A story a person has decided on (approved, re-keying, and on): a later step is news of its own, with its own
  // decisions; it opens the next story, which continues this one.
  if (!storyTakesSteps.has(holder.status)) return 'after';
  const activity = draft.signals[0]?.activity;
  if (!holder.storyWindow || !activity || withinWindow(holder.storyWindow, activity)) return 'within';
  return afterWindow(holder.storyWindow, activity) ? 'after' : 'before';
};

/**
 * Whether a new incident continues the story holding its group rather than starting afresh: the holder is the same
 * principal's story, active, within the window, but full or decided on.
 */
export const continuesStory = (
  holder: Pick<Incident, 'group' | 'status' | 'signalIds' | 'storyWindow'>,
  draft: Pick<Incident, 'signals'>,
): boolean => {
  if (!isStoryGroup(holder.group) || !isActive(holder.status)) return false;
  const activity = draft.signals[0]?.activity;
  const inWindow = !holder.storyWindow || !activity || withinWindow(holder.storyWindow, activity);
  return (
    inWindow && (holder.signalIds.length >= incidentBounds.maxSignalsPerIncident || !storyTakesSteps.has(holder.status))
  );
};

/** The statuses in which a story takes later steps: until a person decides on it. */
const storyTakesSteps: ReadonlySet<string> = new Set(['open', 'contained', 'awaiting-approval']);

/**
 * A story opened where another of the same principal left off (that one full, or decided on, within the window):
 * it starts as severe as the steps of both make it, and names the one it continues.
 */
export const continuing = (draft: Incident, previous: Pick<Incident, 'id' | 'signals' | 'severity' | 'signal'>) => {
  const steps = [...previous.signals, ...draft.signals].map((step) => ({
    detector: step.detector,
    severity: step.severity,
    at: step.activity?.from ?? step.eventTime,
    keyArn: step.keyArn,
  }));
  const story = storySeverity(steps);
  const severity = higherSeverity(severityOf(draft), higherSeverity(story.severity, severityOf(previous)));
  return {
    ...draft,
    previousId: previous.id,
    severity,
    ...(story.reason && severity === story.severity ? { severityReason: `${story.reason} (with ${previous.id})` } : {}),
  };
};

/**
 * The incident's title: its signal's, or for a story of several kinds of step, the attack's, with why it is as severe
 * as it is. The principal's name is the caller's to choose: each message escapes it for its medium.
 */
export const titleOf = (incident: Pick<Incident, 'signal' | 'signals' | 'severityReason'>): string => {
  const kinds = new Set(incident.signals.map((entry) => entry.detector)).size;
  if (kinds < 2) return incident.signal.title;
  const who = principalKey(incident.signal.principal.arn).split(':').at(-1);
  return `Attack by ${who}: ${incident.severityReason ?? `${kinds} kinds of step`}`;
};

/** What a step acts on: its kind, key and principal. */
const targetOf = (step: PlannedAction): string => {
  const params = step.params as unknown as Record<string, unknown>;
  return [step.type, params.keyArn ?? '', params.principalArn ?? params.suspectArn ?? ''].join('|');
};

/**
 * Steps offered for a person (not run) that another step of the story applied since on the same key and principal:
 * the enumeration's quarantine, offered, then applied by the grant's. Nothing is left to decide on them.
 */
export const supersededOffers = (incident: Pick<Incident, 'plan' | 'results'>): Set<number> => {
  const results = incident.results ?? [];
  const applied = new Set(
    incident.plan.flatMap((step, i) => (results[i]?.outcome === 'applied' ? [targetOf(step)] : [])),
  );
  return new Set(
    incident.plan.flatMap((step, i) => (results[i]?.outcome === 'not-run' && applied.has(targetOf(step)) ? [i] : [])),
  );
};

/** A key of the story that could be re-keyed, and whether the page ticks it before the person chooses. */
export interface RekeyCandidate {
  keyArn: string;
  suggested: boolean;
  /** The story's steps on it, as their detectors. */
  steps: string[];
}

/** Stages after which a key's data is no longer the owner's alone, or its protection is gone: ticked by default. */
const rekeySuggestingStages = new Set(['access-handed-out', 'defence-weakened', 'destruction']);

/**
 * The keys a re-key of the story may cover: the incident's key first, then each other key a step of the story was
 * about. Suggested (ticked) for the incident's key and for keys handed out, weakened or attacked; a key only used or
 * read is listed for the person to tick.
 */
export const rekeyCandidates = (incident: Pick<Incident, 'keyArn' | 'keys' | 'signals'>): RekeyCandidate[] => {
  const keys = [...new Set([...(incident.keyArn ? [incident.keyArn] : []), ...(incident.keys ?? [])])];
  return keys.flatMap((keyArn) => {
    const on = incident.signals.filter((entry) => entry.keyArn === keyArn);
    // A key the principal was only refused on, or only read, is not offered: it never had the key's use.
    if (keyArn !== incident.keyArn && on.every((entry) => stageOf(entry.detector) === 'reconnaissance')) return [];
    return {
      keyArn,
      suggested:
        keyArn === incident.keyArn || on.some((entry) => rekeySuggestingStages.has(stageOf(entry.detector) ?? '')),
      steps: [...new Set(on.map((entry) => entry.detector))],
    };
  });
};

/** What a story looks like once a signal joined: its severity (never lower), window and keys. */
export const storyAfter = (
  incident: Pick<Incident, 'signals' | 'severity' | 'signal' | 'storyWindow' | 'keys' | 'keyArn'>,
  entry: SignalEntry,
  windowHours: number,
): Required<Pick<Incident, 'severity' | 'storyWindow' | 'keys'>> & Pick<Incident, 'severityReason' | 'keyArn'> => {
  const steps = [...incident.signals, entry].map((step) => ({
    detector: step.detector,
    severity: step.severity,
    at: step.activity?.from ?? step.eventTime,
    keyArn: step.keyArn,
  }));
  const story = storySeverity(steps);
  const before = severityOf(incident);
  const activity = entry.activity ?? { from: entry.eventTime, to: entry.eventTime };
  const keys = [...(incident.keys ?? (incident.keyArn ? [incident.keyArn] : []))];
  // Only keys of the account the story is in: a key of another account (data encrypted under an outsider's key) is
  // the attacker's, never one to re-key, disable or adopt as the incident's.
  const account = incident.signal.source.accountId;
  const ours = entry.keyArn !== undefined && (account === undefined || accountOfKey(entry.keyArn) === account);
  if (ours && !keys.includes(entry.keyArn!)) keys.push(entry.keyArn!);
  return {
    severity: higherSeverity(before, story.severity),
    ...(story.reason ? { severityReason: story.reason } : {}),
    storyWindow: incident.storyWindow
      ? widen(incident.storyWindow, activity, windowHours)
      : windowOf(activity, windowHours),
    keys,
    // A story opened by a signal about no key (enumeration) takes the first key of its own account a later signal
    // names.
    keyArn: incident.keyArn ?? (ours ? entry.keyArn : undefined),
  };
};

/** A new incident for a signal, not yet stored: the fields every incident starts with. */
export const newIncident = (
  signal: Signal,
  at: string,
  fields: Pick<Incident, 'priorKeyState' | 'plan'> &
    Partial<Pick<Incident, 'keyMode' | 'dryRun' | 'keyProfile' | 'accountName'>>,
  windowHours = defaultThresholds.correlationWindowHours,
): Incident => ({
  id: incidentIdFor(signal),
  status: 'open',
  createdAt: at,
  updatedAt: at,
  keyArn: signal.keyArn,
  group: groupOf(signal),
  signal: boundedSignal(signal),
  signals: [{ ...signalEntryOf(signal, at), planFrom: 0, planSteps: fields.plan.length }],
  signalIds: [signalIdOf(signal)],
  severity: signal.severity,
  storyWindow: windowOf(activityOf(signal), windowHours),
  keys: signal.keyArn ? [signal.keyArn] : [],
  timeline: [
    { at, status: 'open', what: `opened on ${signal.detector} (${signal.source.eventName} ${signal.source.eventId})` },
  ],
  ...fields,
});

/** EventBridge delivers at least once: the same source event always names the same incident. */
export const incidentIdFor = (signal: Pick<Signal, 'detector' | 'source'>): string => {
  // A cross-account call's two records name one incident (and take one circuit-breaker slot).
  const digest = createHash('sha256')
    .update(`${signal.detector}\n${actionIdOf(signal.source)}`)
    .digest('hex');
  return `kw-${signal.source.eventTime.slice(0, 10).replaceAll('-', '')}-${digest.slice(0, 12)}`;
};

export const containmentSucceeded = (results: readonly ActionResult[]): boolean =>
  results.every((result) => result.outcome !== 'failed');
