import type { KmsApiCall } from '../events/kms-api-call';
import type { Principal } from '../events/principal';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export interface DetectionSettings {
  /** Principals whose key deletions are expected (their signals are lower and not undone). */
  keyAdministrators: readonly string[];
}

/** What a detector says about one event; the engine turns it into a Signal. */
export interface Detection {
  keyArn: string;
  summary: string;
  severity?: Severity;
  evidence: Record<string, unknown>;
}

export interface Detector {
  /** Same as the file name and stable: alerts, playbooks and tests key on it. */
  id: string;
  title: string;
  severity: Severity;
  mitre: readonly string[];
  appliesTo: readonly string[];
  detect: (event: KmsApiCall, settings: DetectionSettings) => Detection | null;
}

export interface Signal {
  detector: string;
  title: string;
  severity: Severity;
  mitre: readonly string[];
  keyArn: string;
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
