import type {
  AnyDetection,
  ApiCallDetection,
  ComplianceDetection,
  Detection,
  DetectionSettings,
  FindingDetection,
  Signal,
  StatefulDetection,
} from './detection';
import type { ConfigComplianceChange } from '../events/config-compliance-change';
import type { GuardDutyFinding } from '../events/guardduty-finding';
import type { KmsApiCall } from '../events/kms-api-call';
import type { DetectionMemory } from '../state/detection-memory';
import { detections, type DetectionId } from './registry';
import { principalMemoryOf } from './memory';
import { principalKey } from '../events/principal';

type ApiCallDetector = ApiCallDetection | StatefulDetection;
const isApiCallDetector = (d: AnyDetection): d is ApiCallDetector => 'appliesTo' in d;
const isStateful = (d: ApiCallDetector): d is StatefulDetection => 'stateful' in d;

const noneFired: ReadonlySet<string> = new Set();

/** API-call detectors by event name, built once: the hot path looks up, it does not scan. */
const byEventName = new Map<string, ApiCallDetector[]>();
const forEveryEvent: ApiCallDetector[] = [];
for (const detector of (detections as readonly AnyDetection[]).filter(isApiCallDetector)) {
  for (const name of detector.appliesTo) {
    if (name === '*') forEveryEvent.push(detector);
    else byEventName.set(name, [...(byEventName.get(name) ?? []), detector]);
  }
}
const findingDetectors = (detections as readonly AnyDetection[]).filter(
  (d): d is FindingDetection => 'input' in d && d.input === 'guardduty-finding',
);
const complianceDetectors = (detections as readonly AnyDetection[]).filter(
  (d): d is ComplianceDetection => 'input' in d && d.input === 'config-compliance',
);

/** Detections that learn from API calls, in registry order. */
const learners = (detections as readonly AnyDetection[]).filter((d) => d.learn !== undefined);

const signalOf = (
  detector: AnyDetection,
  detection: Detection,
  principal: Signal['principal'],
  source: Signal['source'],
): Signal => ({
  // Every detection the engine runs comes from the registry.
  detector: detector.id as DetectionId,
  title: detector.title,
  severity: detection.severity ?? detector.severity,
  mitre: detector.mitre,
  keyArn: detection.keyArn,
  principal,
  summary: detection.summary,
  evidence: detection.evidence,
  source,
});

const sourceOf = (event: KmsApiCall): Signal['source'] => ({
  eventId: event.eventId,
  ...(event.sharedEventId === undefined ? {} : { sharedEventId: event.sharedEventId }),
  eventName: event.eventName,
  eventTime: event.eventTime,
  region: event.region,
  accountId: event.accountId,
  sourceIp: event.sourceIp,
  userAgent: event.userAgent,
});

const statelessFor = (eventName: string) =>
  [...(byEventName.get(eventName) ?? []), ...forEveryEvent].filter((d) => !isStateful(d)) as ApiCallDetection[];
const statefulFor = (eventName: string) => [...(byEventName.get(eventName) ?? []), ...forEveryEvent].filter(isStateful);
/** Detector lists per event name, computed on first sight. */
const statelessByName = new Map<string, ApiCallDetection[]>();
const statefulByName = new Map<string, StatefulDetection[]>();

/** The detectors that need nothing but the event itself. They may read the request and the response. */
export const detectStateless = (event: KmsApiCall, settings: DetectionSettings): Signal[] => {
  let list = statelessByName.get(event.eventName);
  if (!list) statelessByName.set(event.eventName, (list = statelessFor(event.eventName)));
  const signals: Signal[] = [];
  for (const detector of list) {
    const detection = detector.detect(event, settings);
    if (detection) signals.push(signalOf(detector, detection, event.principal, sourceOf(event)));
  }
  return signals;
};

/**
 * The detectors that read detection memory, then what each detection learns from the call. They never read the request
 * or
 * the response, so callers may drop those before calling (replay does, to move events between threads cheaply).
 */
export const detectStateful = (
  event: KmsApiCall,
  settings: DetectionSettings,
  memory: DetectionMemory,
  alreadyFired: readonly Signal[] = [],
  /** The event's time in ms, when the caller has it already. */
  at = Date.parse(event.eventTime),
): Signal[] => {
  let list = statefulByName.get(event.eventName);
  if (!list) statefulByName.set(event.eventName, (list = statefulFor(event.eventName)));
  const signals: Signal[] = [];
  for (const detector of list) {
    const detection = detector.detect(event, settings, memory, at);
    if (detection) signals.push(signalOf(detector, detection, event.principal, sourceOf(event)));
  }
  const fired =
    signals.length + alreadyFired.length === 0
      ? noneFired
      : new Set([...alreadyFired, ...signals].map((s) => s.detector));
  for (const detection of learners) detection.learn!(event, memory, { settings, at, fired: fired.has(detection.id) });
  return signals;
};

const onceDetections = new Map(
  (detections as readonly AnyDetection[])
    .filter((d): d is ApiCallDetection => isApiCallDetector(d) && !isStateful(d) && 'reportedOncePer' in d)
    .map((d) => [d.id, d.reportedOncePer!] as const),
);
/** Subjects remembered per principal: an attacker's many buckets cannot grow its memory past this. */
const maxReported = 100;
/** A subject is the attacker's text too (bucket names): kept to this length in memory. */
const subjectChars = 400;

/**
 * The stateless signals of a call less those its detection reports once per window (`reportedOncePer`) and already
 * raised for this principal and subject; remembers the ones kept. Called once per call, before stateful detection.
 */
export const withoutRepeats = (signals: Signal[], event: KmsApiCall, memory: DetectionMemory, at: number): Signal[] => {
  if (signals.length === 0 || onceDetections.size === 0) return signals;
  const kept: Signal[] = [];
  for (const signal of signals) {
    const once = onceDetections.get(signal.detector);
    if (!once) {
      kept.push(signal);
      continue;
    }
    const about = once.subject(signal);
    if (about === undefined) {
      kept.push(signal);
      continue;
    }
    const principalArn = principalKey(event.principal.arn);
    const seen = principalMemoryOf(memory, principalArn);
    const reported = (seen.reported ??= {});
    const subject = `${signal.detector}|${about}`.slice(0, subjectChars);
    const last = reported[subject];
    // A repeat within the window either side (events arrive somewhat out of order): left out.
    if (last !== undefined && Math.abs(at - last) < once.hours * 3_600_000) continue;
    const entries = Object.entries(reported);
    if (last === undefined && entries.length >= maxReported) {
      entries.sort(([, a], [, b]) => a - b);
      for (const [old] of entries.slice(0, entries.length - maxReported + 1)) delete reported[old];
    }
    reported[subject] = Math.max(at, last ?? at);
    memory.putPrincipal(principalArn, seen);
    kept.push(signal);
  }
  return kept;
};

/**
 * Runs every detector that applies to an API call. With a memory, stateful detectors run too and the call is
 * learnt afterwards, and a finding reported once per window is left out when it repeats; without one (a single
 * event out of context), only the stateless detectors run.
 */
export const detectSignals = (
  event: KmsApiCall,
  settings: DetectionSettings,
  memory?: DetectionMemory,
  at = Date.parse(event.eventTime),
): Signal[] => {
  const stateless = detectStateless(event, settings);
  if (!memory) return stateless;
  const kept = withoutRepeats(stateless, event, memory, at);
  return [...kept, ...detectStateful(event, settings, memory, kept, at)];
};

/** One signal per principal the finding names: each suspect gets its own incident and containment. */
export const detectInFinding = (finding: GuardDutyFinding, settings: DetectionSettings): Signal[] =>
  findingDetectors.flatMap((detector) => {
    const detection = detector.detect(finding, settings);
    if (!detection) return [];
    return finding.principals.map((principal, index) =>
      signalOf(detector, detection, principal, {
        eventId: index === 0 ? finding.id : `${finding.id}#${principal.arn}`,
        eventName: finding.type,
        // The finding's first publication: its re-publications name the same incident.
        eventTime: finding.createdAt,
        region: finding.region,
        accountId: finding.accountId,
        sourceIp: finding.sourceIp,
        userAgent: undefined,
      }),
    );
  });

export const detectInComplianceChange = (change: ConfigComplianceChange, settings: DetectionSettings): Signal[] =>
  complianceDetectors.flatMap((detector) => {
    const detection = detector.detect(change, settings);
    return detection
      ? [
          signalOf(
            detector,
            detection,
            { kind: 'aws-service', arn: 'config.amazonaws.com', accountId: change.awsAccountId },
            {
              eventId: change.eventId,
              eventName: 'ConfigRulesComplianceChange',
              eventTime: change.notificationCreationTime,
              region: change.awsRegion,
              accountId: change.awsAccountId,
              sourceIp: undefined,
              userAgent: undefined,
            },
          ),
        ]
      : [];
  });
