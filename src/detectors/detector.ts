import type { ConfigComplianceChange } from '../events/config-compliance-change';
import type { GuardDutyFinding } from '../events/guardduty-finding';
import type { KmsApiCall } from '../events/kms-api-call';
import type { Principal } from '../events/principal';
import type { DetectionMemory } from '../state/detection-memory';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface DetectionSettings {
  /** Principals whose key deletions and disables are expected (their signals are lower and not undone). */
  keyAdministrators: readonly string[];
  /** Accounts that are not "external" even though they do not own the key. */
  trustedAccounts: readonly string[];
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
   * GuardDuty severity from which a compromised principal is quarantined on its own; below it quarantine is offered
   * for approval. 7 is where GuardDuty's High begins (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html).
   */
  guardDutyQuarantineSeverity: number;
}

export const defaultThresholds: Thresholds = {
  accessDeniedBurst: { count: 20, windowMinutes: 10 },
  keyEnumeration: { distinctKeys: 20, windowMinutes: 10 },
  learningPeriodDays: 7,
  usageSpike: { factor: 10, minimumCalls: 1000 },
  guardDutyMinimumSeverity: 4,
  guardDutyQuarantineSeverity: 7,
};

export const defaultDetectionSettings: DetectionSettings = { keyAdministrators: [], trustedAccounts: [], thresholds: defaultThresholds };

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

interface DetectorInfo {
  /** Same as the file name and stable: alerts, playbooks and tests key on it. */
  id: string;
  family: DetectorFamily;
  title: string;
  severity: Severity;
  mitre: readonly string[];
}

/** A detector over CloudTrail API calls, run for the event names it lists. */
export interface Detector extends DetectorInfo {
  appliesTo: readonly string[];
  detect: (event: KmsApiCall, settings: DetectionSettings) => Detection | null;
}

/** A detector over API calls that also reads what earlier events left in detection memory. */
export interface StatefulDetector extends DetectorInfo {
  appliesTo: readonly string[];
  stateful: true;
  detect: (event: KmsApiCall, settings: DetectionSettings, memory: DetectionMemory, at: number) => Detection | null;
}

export interface FindingDetector extends DetectorInfo {
  input: 'guardduty-finding';
  detect: (finding: GuardDutyFinding, settings: DetectionSettings) => Detection | null;
}

export interface ComplianceDetector extends DetectorInfo {
  input: 'config-compliance';
  detect: (change: ConfigComplianceChange, settings: DetectionSettings) => Detection | null;
}

export type AnyDetector = Detector | StatefulDetector | FindingDetector | ComplianceDetector;

export interface Signal {
  detector: string;
  title: string;
  severity: Severity;
  mitre: readonly string[];
  keyArn: string | undefined;
  principal: Principal;
  summary: string;
  evidence: Record<string, unknown>;
  source: {
    eventId: string;
    eventName: string;
    eventTime: string;
    region: string;
    accountId: string | undefined;
    sourceIp: string | undefined;
    userAgent: string | undefined;
  };
}

/** The usual negatives: a failed call, kms-warden's own call, an AWS service acting for a customer. */
export const isDirectSuccessfulCall = (event: KmsApiCall): boolean => event.succeeded && !event.byResponder && !event.invokedBy;
