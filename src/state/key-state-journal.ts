/**
 * The last Enabled/Disabled change kms-warden saw for each key, and the one before it. KMS cannot say what state a
 * key was in before ScheduleKeyDeletion (the key reads PendingDeletion), so the responder keeps this itself, from
 * the DisableKey, EnableKey, CancelKeyDeletion and CreateKey events its lifecycle rule receives.
 */
export interface KeyStateChange {
  state: 'Enabled' | 'Disabled';
  changedBy: string;
  eventId: string;
  eventTime: string;
}

export interface KeyStateHistory {
  current: KeyStateChange;
  previous: KeyStateChange | undefined;
}

export interface KeyStateJournal {
  history(keyArn: string): Promise<KeyStateHistory | undefined>;
  /** Records a change unless a newer one (or the same event) is already recorded. Returns whether it was recorded. */
  record(keyArn: string, change: KeyStateChange): Promise<boolean>;
}
