/**
 * Per-key journals of what kms-warden saw happen to a key: the latest change and the one before it. KMS keeps no
 * such history of its own, and an attack is undone by going back to the change before the suspect's.
 */
export interface JournalEntry {
  changedBy: string;
  eventId: string;
  eventTime: string;
}

export interface KeyHistory<C extends JournalEntry> {
  current: C;
  previous: C | undefined;
}

export interface KeyJournal<C extends JournalEntry> {
  history(keyArn: string): Promise<KeyHistory<C> | undefined>;
  /** Records a change unless a newer one (or the same event) is already recorded. Returns whether it was recorded. */
  record(keyArn: string, change: C): Promise<boolean>;
}

/**
 * Enabled/Disabled changes (DisableKey, EnableKey, CancelKeyDeletion, CreateKey): KMS cannot say what state a key
 * was in before ScheduleKeyDeletion, as the key then reads PendingDeletion.
 */
export interface KeyStateChange extends JournalEntry {
  state: 'Enabled' | 'Disabled';
}

/** Policies set by PutKeyPolicy or CreateKey: after a malicious one, the one before is the policy to put back. */
export interface KeyPolicyChange extends JournalEntry {
  /** The policy document as JSON text. */
  policy: string;
}

/**
 * kms-warden:* tags set or removed. The administrators' journal keeps, cumulatively, the values key administrators
 * last set (null: removed); the other keeps the latest change by anyone else.
 */
export interface KeySettingsChange extends JournalEntry {
  /** What this event set (null: removed). */
  changed: Record<string, string | null>;
  /** Administrators' journal only: every value administrators have set so far, this change included. */
  values: Record<string, string | null>;
}

export type KeyStateHistory = KeyHistory<KeyStateChange>;
export type KeySettingsJournal = KeyJournal<KeySettingsChange>;
export type KeyStateJournal = KeyJournal<KeyStateChange>;
export type KeyPolicyHistory = KeyHistory<KeyPolicyChange>;
export type KeyPolicyJournal = KeyJournal<KeyPolicyChange>;

/** Whether a change may replace the recorded one: newer (or as new) and not the same event again. */
export const supersedes = (change: JournalEntry, known: JournalEntry | undefined): boolean =>
  !known || (known.eventTime <= change.eventTime && known.eventId !== change.eventId);
