import type { KeyPolicyChange, KeyPolicyHistory, KeyPolicyJournal } from './key-policy-journal';

export class InMemoryKeyPolicyJournal implements KeyPolicyJournal {
  private readonly byKey = new Map<string, KeyPolicyHistory>();

  async history(keyArn: string) {
    return this.byKey.get(keyArn);
  }

  async record(keyArn: string, change: KeyPolicyChange) {
    const known = this.byKey.get(keyArn);
    if (known && (known.current.eventTime > change.eventTime || known.current.eventId === change.eventId)) return false;
    this.byKey.set(keyArn, { current: change, previous: known?.current });
    return true;
  }
}
