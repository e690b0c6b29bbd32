/** A refused or accepted approval attempt, kept for the audit trail whether or not it names a real incident. */
export interface AuditEntry {
  at: string;
  outcome: 'refused' | 'decided' | 'carried-out' | 'viewed';
  reason: string;
  incidentId?: string | undefined;
  action?: string | undefined;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

import type { RekeyRun } from '../rekey/step';
import type { TaskResumer } from '../rekey/waiting';

export type { TaskResumer } from '../rekey/waiting';

/** Starts re-keying an incident's key, and resumes it: the Step Functions workflow, or the local interpreter. */
export interface RekeyWorkflow extends TaskResumer {
  /** `attempt` names a resumed run; the first run of an incident is named after it, so a second start is a no-op. */
  start(run: RekeyRun, attempt?: string): Promise<{ started: boolean; detail: string }>;
}

/** Where no state machine is configured, an approval is recorded and nothing starts: said plainly on the page. */
export const rekeyNotConfigured: RekeyWorkflow = {
  start: async (run) => ({
    started: false,
    detail: `approval recorded; no re-key state machine is configured here: start it with npx kms-warden rekey run ${run.keyArn} --yes`,
  }),
  resume: async () => false,
};
