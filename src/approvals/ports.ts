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

/**
 * Organization mode: re-keying runs with the central account's own roles, so a key of another account is not started
 * (its first step would fail there): the approval is recorded and the page says how to re-key it.
 */
export const onlyKeysOf = (account: string, workflow: RekeyWorkflow): RekeyWorkflow => ({
  start: async (run, attempt) => {
    const keyAccount = run.keyArn.split(':')[4];
    if (keyAccount === account) return workflow.start(run, attempt);
    return {
      started: false,
      detail: `approval recorded; re-keying a key of account ${keyAccount} is not carried out from the central account yet: re-key it from that account with its own credentials (npx kms-warden rekey run ${run.keyArn} --yes)`,
    };
  },
  resume: (...args) => workflow.resume(...args),
});
