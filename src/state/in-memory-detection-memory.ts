import type { DetectionMemoryStore, KeyMemory, PairMemory, PrincipalMemory } from './detection-memory';

/** Detection memory in process memory: replay, tests and the local demo. */
export class InMemoryDetectionMemory implements DetectionMemoryStore {
  private readonly principals = new Map<string, PrincipalMemory>();
  private readonly keys = new Map<string, KeyMemory>();
  private readonly pairs = new Map<string, PairMemory>();

  principal(principalArn: string) {
    return this.principals.get(principalArn);
  }
  key(keyArn: string) {
    return this.keys.get(keyArn);
  }
  pair(keyArn: string, principalArn: string) {
    return this.pairs.get(`${keyArn}\n${principalArn}`);
  }
  putPrincipal(principalArn: string, memory: PrincipalMemory) {
    this.principals.set(principalArn, memory);
  }
  putKey(keyArn: string, memory: KeyMemory) {
    this.keys.set(keyArn, memory);
  }
  putPair(keyArn: string, principalArn: string, memory: PairMemory) {
    this.pairs.set(`${keyArn}\n${principalArn}`, memory);
  }
  async prefetch() {}
  async flush() {}
}
