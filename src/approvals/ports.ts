/** A refused or accepted approval attempt, kept for the audit trail whether or not it names a real incident. */
export interface AuditEntry {
  at: string;
  outcome: 'refused' | 'decided' | 'viewed';
  reason: string;
  incidentId?: string | undefined;
  action?: string | undefined;
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}

/** Starts re-keying an incident's key: the Step Functions workflow of the re-key issue. */
export interface RekeyWorkflow {
  start(incidentId: string, keyArn: string): Promise<{ started: boolean; detail: string }>;
}

/** Until the re-key workflow exists, an approval is recorded and nothing starts: said plainly on the page. */
export const rekeyNotYetAvailable: RekeyWorkflow = {
  start: async () => ({ started: false, detail: 'approval recorded; the re-key workflow is not deployed yet, so re-keying has to be done by hand' }),
};
