import type { KeyStateChange, KeyStateHistory, KeyStateJournal } from './key-state-journal';

/** The key state journal in process memory, with the DynamoDB adapter's ordering rule (replay, tests). */
export class InMemoryKeyStateJournal implements KeyStateJournal {
  private readonly byKey = new Map<string, KeyStateHistory>();

  async history(keyArn: string): Promise<KeyStateHistory | undefined> {
    return this.byKey.get(keyArn);
  }

  async record(keyArn: string, change: KeyStateChange): Promise<boolean> {
    const known = this.byKey.get(keyArn);
    if (known && (known.current.eventTime > change.eventTime || known.current.eventId === change.eventId)) return false;
    this.byKey.set(keyArn, { current: change, previous: known?.current });
    return true;
  }
}
