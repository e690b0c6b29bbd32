import type { ConfigComplianceChange } from '../events/config-compliance-change';
import type { GuardDutyFinding } from '../events/guardduty-finding';
import type { KmsApiCall } from '../events/kms-api-call';
import type { Principal } from '../events/principal';
import type { DetectionMemory } from '../state/detection-memory';
import type { KeyPolicyHistory } from '../state/key-journal';
import type { PlannedAction } from '../actions';
import type { KeyFacts } from '../policy/key-facts';
import type { PriorKeyState } from '../policy/prior-key-state';
import type { DetectionId } from './registry';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface DetectionSettings {
  /** Principals whose key deletions and disables are expected (their signals are lower and not undone). */
  keyAdministrators: readonly string[];
  /** Accounts that are not "external" even though they do not own the key. */
  trustedAccounts: readonly string[];
  /** Organization ids (o-...) a key policy may hold "*" to: aws:PrincipalOrgID and the like naming only these pass. */
  trustedOrganizations: readonly string[];
  thresholds: Thresholds;
}

export interface Thresholds {
  accessDeniedBurst: { count: number; windowMinutes: number };
  keyEnumeration: { distinctKeys: number; windowMinutes: number };
  /** Days of observed history before a key's new principals and sources are reported. */
  learningPeriodDays: number;
  usageSpike: { factor: number; minimumCalls: number };
  guardDutyMinimumSeverity: number;
  /**
   * The minimum for `Policy:IAMUser/RootCredentialUsage`, which GuardDuty rates Low (1 to 3.9): by default every one
   * passes, as root should not be in use at all.
   */
  guardDutyRootCredentialSeverity: number;
  /**
   * GuardDuty severity from which a compromised principal is quarantined on its own; below it quarantine is offered
   * for approval. 7 is where GuardDuty's High begins (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html).
   */
  guardDutyQuarantineSeverity: number;
  /**
   * Hours between one principal's signals for them to be one story (one incident): measured on the events' own times,
   * so replay groups as the live path does.
   */
  correlationWindowHours: number;
}

export const defaultThresholds: Thresholds = {
  accessDeniedBurst: { count: 20, windowMinutes: 10 },
  keyEnumeration: { distinctKeys: 20, windowMinutes: 10 },
  learningPeriodDays: 7,
  usageSpike: { factor: 10, minimumCalls: 1000 },
  guardDutyMinimumSeverity: 4,
  guardDutyRootCredentialSeverity: 1,
  guardDutyQuarantineSeverity: 7,
  correlationWindowHours: 6,
};

export const defaultDetectionSettings: DetectionSettings = {
  keyAdministrators: [],
  trustedAccounts: [],
  trustedOrganizations: [],
  thresholds: defaultThresholds,
};

/**
 * The steps of an attack on keys, in the order an attacker takes them: finding keys, using a stolen credential,
 * handing access out, weakening protection, destroying. One principal's signals within the correlation window are
 * one story, whose severity follows the stages it reached (incidents/story).
 */
export type AttackStage =
  'reconnaissance' | 'credential-use' | 'access-handed-out' | 'defence-weakened' | 'destruction';

/** What a detector says about one event; the engine turns it into a Signal. */
export interface Detection {
  /** The key concerned, when there is one (key enumeration and GuardDuty findings span keys). */
  keyArn?: string | undefined;
  summary: string;
  severity?: Severity;
  evidence: Record<string, unknown>;
}

/**
 * What a signal threatens. Signals of one family about the same key and principal are one incident while it is
 * open: a second ScheduleKeyDeletion after a DisableKey by the same caller is the same attack, not a new page.
 */
export type DetectorFamily =
  /** Making data unreadable: deletion, disabling, lockout, deleted key material, data encrypted under a foreign key. */
  | 'key-sabotage'
  /** Letting someone else use the key: policy, grants, replicas, aliases pointed elsewhere. */
  | 'access-widened'
  /** Weakening the key's protection: rotation off, key material brought from outside. */
  | 'protection-weakened'
  /** Use that does not fit: another account, bursts of denials, enumeration, new principals or networks, spikes. */
  | 'suspicious-use'
  /** A finding that a principal's credentials are in someone else's hands. */
  | 'credential-compromise';

/** What the response pipeline gathers before a detection plans, because its playbook reads it. */
export type Need =
  /** The key policy before and after the suspect's change (the policy journal): restoring it. */
  | 'keyPolicyHistory'
  /**
   * The keys the suspect used recently (detection memory, then CloudTrail): a leaked credential is shut out of each.
   */
  | 'keysUsedBySuspect'
  /** The kms-warden tags as key administrators last set them: putting changed ones back. */
  | 'administratorTags';

/** What a playbook knows beyond the signal when it plans. Facts a detection does not declare in `needs` are absent. */
export interface PlanningFacts {
  priorKeyState: PriorKeyState;
  policyHistory?: KeyPolicyHistory | undefined;
  key: KeyFacts;
  trustedAccounts: readonly string[];
  /** kms-warden's own roles, never contained. */
  responderRoles: readonly string[];
  /** The account's break-glass principals: offered to a person, never contained on kms-warden's own say. */
  breakGlass?: readonly string[];
  /** The account kms-warden acts in. */
  ownAccount: string | undefined;
  /** When the plan is made: sessions issued before it are cut off by quarantine. */
  now: string;
  revokesPerSecond?: number;
  /** For signals about a principal rather than a key (GuardDuty): the keys it used recently, with their modes. */
  keysUsed?: Array<{ keyArn: string; key: KeyFacts }>;
  /** The kms-warden tags as key administrators last set them (null: removed), for putting changed ones back. */
  administratorTags?: Record<string, string | null>;
  /** An AWS managed key: its service owns it, and nothing is done to it. */
  awsManagedKey?: boolean;
  /** GuardDuty severity from which quarantine runs on its own (thresholds.guardDutyQuarantineSeverity). */
  guardDutyQuarantineSeverity?: number;
}

/** How a detection's signal is answered: plain data, shaped afterwards by the key's mode (respond/plan-response). */
export type Playbook = (signal: Signal, facts: PlanningFacts) => PlannedAction[];

/** What a stateful detection learns from each API call, after every detector has read it. */
export type Learn = (
  event: KmsApiCall,
  memory: DetectionMemory,
  context: { settings: DetectionSettings; at: number; fired: boolean },
) => void;

/** How people are told of this detection's incidents, where it differs from the rest. */
export interface Telling {
  /** The next step when the owner of the principal says the change was intended. */
  ifIntended?: string;
  /** Lines of "what happened" beyond the signal's summary, e.g. the key's state before the change. */
  whatHappened?: (incident: { priorKeyState: PriorKeyState }) => string[];
}

interface DetectionInfo<Id extends string> {
  /** Same as the folder name and stable: incidents, alerts and tests key on it. */
  id: Id;
  family: DetectorFamily;
  title: string;
  severity: Severity;
  mitre: readonly string[];
  /** Where its signal sits in an attack: a story's severity rises as its steps reach later stages (incidents/story). */
  stage: AttackStage;
  /** How its signal is answered. Required: a detection without a response does not compile. */
  respond: Playbook;
  /** What the pipeline gathers for `respond`. */
  needs?: readonly Need[];
  /** Disabling the key adds nothing to this detection's response (the key is already disabled, or being restored). */
  disablingAddsNothing?: boolean;
  tell?: Telling;
  /** What it learns from every API call (stateful detections own their slice of detection memory). */
  learn?: Learn;
}

/** A detection over CloudTrail API calls, run for the event names it lists. */
export interface ApiCallDetection<Id extends string = string> extends DetectionInfo<Id> {
  appliesTo: readonly string[];
  detect: (event: KmsApiCall, settings: DetectionSettings) => Detection | null;
  /**
   * For a finding that repeats with every call of one act (each object a workload writes under a bucket's wrong
   * default): raised once per principal and subject within the window, the repeats left out (engine/withoutRepeats).
   * A signal whose subject is undefined is always raised.
   * Needs detection memory: without it (one event out of context) every call is raised.
   */
  reportedOncePer?: { hours: number; subject: (signal: Signal) => string | undefined };
}

/** A detection over API calls that also reads what earlier events left in detection memory. */
export interface StatefulDetection<Id extends string = string> extends DetectionInfo<Id> {
  appliesTo: readonly string[];
  stateful: true;
  detect: (event: KmsApiCall, settings: DetectionSettings, memory: DetectionMemory, at: number) => Detection | null;
}

export interface FindingDetection<Id extends string = string> extends DetectionInfo<Id> {
  input: 'guardduty-finding';
  detect: (finding: GuardDutyFinding, settings: DetectionSettings) => Detection | null;
}

export interface ComplianceDetection<Id extends string = string> extends DetectionInfo<Id> {
  input: 'config-compliance';
  detect: (change: ConfigComplianceChange, settings: DetectionSettings) => Detection | null;
}

export type AnyDetection<Id extends string = string> =
  ApiCallDetection<Id> | StatefulDetection<Id> | FindingDetection<Id> | ComplianceDetection<Id>;

/** Declare a detection of its kind; its id is kept as a literal type for the registry (`DetectionId`). */
export const apiCallDetection = <const Id extends string>(detection: ApiCallDetection<Id>) => detection;
export const statefulDetection = <const Id extends string>(detection: StatefulDetection<Id>) => detection;
export const findingDetection = <const Id extends string>(detection: FindingDetection<Id>) => detection;
export const complianceDetection = <const Id extends string>(detection: ComplianceDetection<Id>) => detection;

/** Incidents a person opens from the CLI, with no detection behind them. */
export type OperatorRequestKind = 'operator-rekey' | 'operator-contain';

export interface Signal {
  /** The detection that raised it, or the kind of an operator's request. */
  detector: DetectionId | OperatorRequestKind;
  title: string;
  severity: Severity;
  mitre: readonly string[];
  keyArn: string | undefined;
  principal: Principal;
  summary: string;
  evidence: Record<string, unknown>;
  source: {
    eventId: string;
    /** The cross-account call's id in both accounts' records: one signal for the two (incidents/signalIdOf). */
    sharedEventId?: string;
    eventName: string;
    eventTime: string;
    region: string;
    accountId: string | undefined;
    sourceIp: string | undefined;
    userAgent: string | undefined;
  };
}

/** The usual negatives: a failed call, kms-warden's own call, an AWS service acting for a customer. */
export const isDirectSuccessfulCall = (event: KmsApiCall): boolean =>
  event.succeeded && !event.byResponder && !event.invokedBy;
