import type { DetectionMemoryStore, KeyMemory, PairMemory, PrincipalMemory } from './detection-memory';

/** Detection memory in process memory: replay, tests and the local demo. */
export class InMemoryDetectionMemory implements DetectionMemoryStore {
  private readonly principals = new Map<string, PrincipalMemory>();
  private readonly keys = new Map<string, KeyMemory>();
  /** Key ARN -> principal ARN -> memory: no joined strings to build and hash on every lookup. */
  private readonly pairs = new Map<string, Map<string, PairMemory>>();
  // The detectors of one event all ask for the same pair in a row: remember the last answer.
  private last: { keyArn: string; principalArn: string; pair: PairMemory | undefined } | undefined;

  principal(principalArn: string) {
    return this.principals.get(principalArn);
  }
  key(keyArn: string) {
    return this.keys.get(keyArn);
  }
  pair(keyArn: string, principalArn: string) {
    const last = this.last;
    if (last && last.keyArn === keyArn && last.principalArn === principalArn) return last.pair;
    const pair = this.pairs.get(keyArn)?.get(principalArn);
    this.last = { keyArn, principalArn, pair };
    return pair;
  }
  putPrincipal(principalArn: string, memory: PrincipalMemory) {
    this.principals.set(principalArn, memory);
  }
  putKey(keyArn: string, memory: KeyMemory) {
    this.keys.set(keyArn, memory);
  }
  putPair(keyArn: string, principalArn: string, memory: PairMemory) {
    let byPrincipal = this.pairs.get(keyArn);
    if (!byPrincipal) this.pairs.set(keyArn, (byPrincipal = new Map()));
    byPrincipal.set(principalArn, memory);
    this.last = { keyArn, principalArn, pair: memory };
  }
  async prefetch() {}
  async flush() {}
}
