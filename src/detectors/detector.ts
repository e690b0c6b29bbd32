import type { KmsApiCall } from '../events/kms-api-call';
import type { Principal } from '../events/principal';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface DetectionSettings {
  /** Principals whose key deletions and disables are expected (their signals are lower and not undone). */
  keyAdministrators: readonly string[];
  /** Accounts that are not "external" even though they do not own the key. */
  trustedAccounts: readonly string[];
}

export const defaultDetectionSettings: DetectionSettings = { keyAdministrators: [], trustedAccounts: [] };

/** What a detector says about one event; the engine turns it into a Signal. */
export interface Detection {
  /** The key concerned, when there is one (key enumeration and GuardDuty findings span keys). */
  keyArn?: string | undefined;
  summary: string;
  severity?: Severity;
  evidence: Record<string, unknown>;
}

interface DetectorInfo {
  /** Same as the file name and stable: alerts, playbooks and tests key on it. */
  id: string;
  title: string;
  severity: Severity;
  mitre: readonly string[];
}

/** A detector over CloudTrail API calls, run for the event names it lists. */
export interface Detector extends DetectorInfo {
  appliesTo: readonly string[];
  detect: (event: KmsApiCall, settings: DetectionSettings) => Detection | null;
}

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
