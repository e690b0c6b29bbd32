import { supersedes, type JournalEntry, type KeyHistory, type KeyJournal } from './key-journal';

/** A key journal in process memory, with the DynamoDB adapter's ordering rule (replay, tests). */
export class InMemoryKeyJournal<C extends JournalEntry> implements KeyJournal<C> {
  private readonly byKey = new Map<string, KeyHistory<C>>();

  async history(keyArn: string) {
    return this.byKey.get(keyArn);
  }

  async record(keyArn: string, change: C) {
    const known = this.byKey.get(keyArn);
    if (!supersedes(change, known?.current)) return false;
    this.byKey.set(keyArn, { current: change, previous: known?.current });
    return true;
  }
}
