/**
 * The key policies kms-warden saw set (PutKeyPolicy, CreateKey), per key: the latest and the one before it. After a
 * malicious PutKeyPolicy the one before is the policy to put back: KMS keeps no history of its own.
 */
export interface KeyPolicyChange {
  /** The policy document as JSON text. */
  policy: string;
  changedBy: string;
  eventId: string;
  eventTime: string;
}

export interface KeyPolicyHistory {
  current: KeyPolicyChange;
  previous: KeyPolicyChange | undefined;
}

export interface KeyPolicyJournal {
  history(keyArn: string): Promise<KeyPolicyHistory | undefined>;
  /** Records a change unless a newer one (or the same event) is already recorded. */
  record(keyArn: string, change: KeyPolicyChange): Promise<boolean>;
}
