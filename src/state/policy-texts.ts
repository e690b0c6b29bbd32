import { createHash } from 'node:crypto';

/**
 * Key policies kept out of the incident item, by their SHA-256: a policy is up to 32 KB and an attacker can set many,
 * while an incident item must stay under DynamoDB's 400 KB. Plans and results carry the reference.
 */
export interface PolicyTexts {
  /** Stores the text (idempotent) and returns its reference. */
  put(text: string): Promise<string>;
  get(ref: string): Promise<string | undefined>;
}

export const policyRefOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

export class InMemoryPolicyTexts implements PolicyTexts {
  private readonly texts = new Map<string, string>();

  async put(text: string) {
    const ref = policyRefOf(text);
    this.texts.set(ref, text);
    return ref;
  }

  async get(ref: string) {
    return this.texts.get(ref);
  }
}

/**
 * One writer at a time per key policy: a key policy is changed by reading it, adding or removing statements and
 * writing it whole, so two functions doing so at once would lose one's statements.
 */
export interface KeyPolicyLock {
  around<T>(keyArn: string, work: () => Promise<T>): Promise<T>;
}

/** In one process: a queue per key. */
export class InProcessKeyPolicyLock implements KeyPolicyLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  around<T>(keyArn: string, work: () => Promise<T>): Promise<T> {
    const turn = (this.tails.get(keyArn) ?? Promise.resolve()).then(work, work);
    this.tails.set(
      keyArn,
      turn.catch(() => undefined),
    );
    return turn;
  }
}
