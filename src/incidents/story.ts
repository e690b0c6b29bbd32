import type { AttackStage, Severity, Signal } from '../detections/detection';
import { detectionOf } from '../detections/registry';
import { principalKey } from '../events/principal';

/**
 * One attack, one incident. A principal's signals within the correlation window are one story, across keys and
 * detectors, whose severity is the story's (the stages it reached), not each signal's. Pure: the responder and replay
 * group with the same functions, so a backtest shows the stories on-call would have been given.
 */

/** When a signal's activity happened: CloudTrail's event time; GuardDuty's first and last sight of the activity. */
export interface Activity {
  from: string;
  to: string;
}

/** The part of a story an incident keeps to decide whether a later signal belongs to it. */
export interface StoryWindow {
  /** A signal whose activity ends before this is another story (the earliest step, less the window). */
  since: string;
  /** A signal whose activity begins after this is another story (the latest step, plus the window). */
  until: string;
}

/** One step of a story, as the escalation reads it. */
export interface StoryStep {
  detector: string;
  severity: Severity;
  at: string;
  keyArn?: string | undefined;
}

export const stageTitles: Record<AttackStage, string> = {
  reconnaissance: 'reconnaissance',
  'credential-use': 'use of the credential',
  'access-handed-out': 'access handed to an outsider',
  'defence-weakened': 'protection weakened',
  destruction: 'destruction',
};

const stageOrder: readonly AttackStage[] = [
  'reconnaissance',
  'credential-use',
  'access-handed-out',
  'defence-weakened',
  'destruction',
];

export const severityRank: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export const higherSeverity = (a: Severity, b: Severity): Severity => (severityRank[b] > severityRank[a] ? b : a);

/** A detector's stage; undefined for an operator's request or a detector an older version had. */
export const stageOf = (detector: string): AttackStage | undefined => detectionOf(detector)?.stage;

/** The technique ids of a detector (entries stored before they carried their own). */
export const mitreOf = (detector: string): readonly string[] => detectionOf(detector)?.mitre ?? [];

/**
 * The story a signal belongs to, or undefined when its signals are not one actor's story:
 * - an operator's request (each is its own incident, `openOperatorIncident` refuses grouping);
 * - an AWS service (Config's compliance changes are about keys, not an attacker) or an unknown caller.
 * A role is one story behind all its sessions (an attacker takes new ones at will) and a user behind its access keys
 * (each step keeps the key it used); the account is in the ARN, so accounts never share a story. Identity Center
 * roles are split by session: a permission set's role is shared by every person it is assigned to, and their session
 * name is the person.
 */
export const storyKeyOf = (signal: Pick<Signal, 'detector' | 'principal'>): string | undefined => {
  if (signal.detector.startsWith('operator-')) return undefined;
  const { kind, arn, sessionName, issuerArn } = signal.principal;
  if (kind === 'aws-service' || kind === 'unknown') return undefined;
  // A federated user's name is the caller's choice at each GetFederationToken: its story is the IAM user behind it.
  const who = principalKey(kind === 'federated-user' && issuerArn ? issuerArn : arn);
  return kind === 'identity-center' ? `story|${who}|${sessionName ?? ''}` : `story|${who}`;
};

/** Whether a group is an actor's story (not the key, principal and family of signals that are none). */
export const isStoryGroup = (group: string): boolean => group.startsWith('story|');

/** The longest activity one signal places in a story: the longest correlation window allowed (72 hours). */
const longestActivityMs = 72 * 3_600_000;

const isTime = (value: unknown): value is string => typeof value === 'string' && Number.isFinite(Date.parse(value));

/**
 * When a signal's activity happened. GuardDuty's source time is the finding's creation, which lags the activity by
 * minutes to hours: its evidence's eventFirstSeen and eventLastSeen place it among the CloudTrail steps.
 */
export const activityOf = (signal: Pick<Signal, 'source' | 'evidence'>): Activity => {
  const { eventFirstSeen, eventLastSeen } = signal.evidence;
  const at = signal.source.eventTime;
  const first = isTime(eventFirstSeen) ? eventFirstSeen : at;
  const to = isTime(eventLastSeen) && Date.parse(eventLastSeen) >= Date.parse(first) ? eventLastSeen : first;
  // A finding seen for weeks is placed by its last three days: a story's reach stays within the window's cap.
  const from = Math.max(Date.parse(first), Date.parse(to) - longestActivityMs);
  return { from: new Date(from).toISOString(), to: new Date(Date.parse(to)).toISOString() };
};

const hours = (count: number) => count * 3_600_000;

/** The window of a story of one activity. */
export const windowOf = (activity: Activity, windowHours: number): StoryWindow => ({
  since: new Date(Date.parse(activity.from) - hours(windowHours)).toISOString(),
  until: new Date(Date.parse(activity.to) + hours(windowHours)).toISOString(),
});

/** A story's window once an activity joined it: it only grows. */
export const widen = (window: StoryWindow, activity: Activity, windowHours: number): StoryWindow => {
  const own = windowOf(activity, windowHours);
  return {
    since: own.since < window.since ? own.since : window.since,
    until: own.until > window.until ? own.until : window.until,
  };
};

/** Whether an activity belongs to a story of this window. ISO times of one format compare as strings. */
export const withinWindow = (window: StoryWindow, activity: Activity): boolean =>
  activity.from <= window.until && activity.to >= window.since;

/** Whether an activity is later than the story's window: a new story takes the principal's group over. */
export const afterWindow = (window: StoryWindow, activity: Activity): boolean => activity.from > window.until;

export interface StorySeverity {
  severity: Severity;
  /** Why the story is more severe than its worst step, when it is. */
  reason?: string;
}

/**
 * A story's severity: its worst step's, raised by what the steps make together. Only steps of medium or more count
 * towards a stage (a key administrator's expected disable is low, and no attack). Adding a step never lowers it: each
 * rule only asks for steps to exist (in event-time order), so more steps match more.
 */
export const storySeverity = (steps: readonly StoryStep[]): StorySeverity => {
  const worst = steps.reduce<Severity>((severity, step) => higherSeverity(severity, step.severity), 'low');
  const counted = steps.filter((step) => severityRank[step.severity] >= severityRank.medium);
  const at = (stage: AttackStage) =>
    counted.filter((step) => stageOf(step.detector) === stage).map((step) => Date.parse(step.at));
  const first = (stage: AttackStage) => Math.min(...at(stage));
  const last = (stage: AttackStage) => Math.max(...at(stage));
  const followed = (before: AttackStage, after: AttackStage) => at(before).length > 0 && first(before) <= last(after);
  const destroyedKeys = new Set(
    counted.filter((step) => stageOf(step.detector) === 'destruction' && step.keyArn).map((step) => step.keyArn),
  );
  const compromised = counted.some((step) => step.detector === 'guardduty-credential-compromise');
  const stages = stageOrder.filter((stage) => at(stage).length > 0);

  const rules: Array<[boolean, Severity, string]> = [
    [followed('reconnaissance', 'destruction'), 'critical', 'reconnaissance followed by destruction'],
    [followed('access-handed-out', 'destruction'), 'critical', 'access handed to an outsider, then the key destroyed'],
    [
      compromised && (at('access-handed-out').length > 0 || at('destruction').length > 0),
      'critical',
      'GuardDuty found the credential compromised, and it changed keys',
    ],
    [destroyedKeys.size >= 2, 'critical', `destruction across ${destroyedKeys.size} keys`],
    [
      stages.length >= 3,
      'critical',
      `a multi-stage attack: ${[...stages]
        .sort((a, b) => first(a) - first(b))
        .map((stage) => stageTitles[stage])
        .join(', then ')}`,
    ],
    [
      followed('reconnaissance', 'access-handed-out'),
      'high',
      'reconnaissance followed by access handed to an outsider',
    ],
  ];
  const rule = rules.find(([matches, severity]) => matches && severityRank[severity] >= severityRank[worst]);
  return rule ? { severity: rule[1], reason: rule[2] } : { severity: worst };
};
