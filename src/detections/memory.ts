import type { DetectionMemory, PairMemory, PrincipalMemory } from '../state/detection-memory';

/** A principal's slice of detection memory, made empty the first time it is seen. */
export const principalMemoryOf = (memory: DetectionMemory, principalArn: string): PrincipalMemory =>
  memory.principal(principalArn) ?? { denied: {}, enumerated: {} };

/**
 * What is remembered of one principal's use of one key. The first use makes it (new-principal-for-key learns that),
 * and the detections that read it add their slice.
 */
export const pairMemoryOf = (memory: DetectionMemory, keyArn: string, principalArn: string, at: number): PairMemory => {
  const known = memory.pair(keyArn, principalArn);
  if (known) return known;
  const pair: PairMemory = { firstSeen: at, sources: {}, hourly: {} };
  memory.putPair(keyArn, principalArn, pair);
  return pair;
};

/** Sources learnt per (key, principal): past this, a principal is all over the map, and a new one says nothing. */
export const maxSources = 100;
