/**
 * What the stateful detectors remember between events, per principal, per key and per (key, principal).
 * Detectors only read it; each detection's `learn` (src/detections/<id>) writes its own slice after detection.
 * Times are epoch milliseconds.
 */
export interface PrincipalMemory {
  /** Times of recent failed KMS calls, oldest first, within the burst window. */
  denied: number[];
  /** The event ids of `denied`, same order: an event delivered twice (EventBridge is at-least-once) counts once. */
  deniedIds?: string[];
  deniedAlertedAt?: number;
  /** Key ARN -> last read-only management call on it, within the enumeration window. */
  enumerated: Record<string, number>;
  enumerationAlertedAt?: number;
  /** Key ARN -> last use by this principal (to the hour): the keys to protect when its credentials leak. */
  keysUsed?: Record<string, number>;
}

export interface KeyMemory {
  firstSeen: number;
}

export interface PairMemory {
  firstSeen: number;
  /** Network source (IP or VPC endpoint) -> first seen. */
  sources: Record<string, number>;
  /** Hour index (epoch hours) -> calls in that hour, for the last week. */
  hourly: Record<string, number>;
  spikeAlertedHour?: number;
}

export interface DetectionMemory {
  principal(principalArn: string): PrincipalMemory | undefined;
  key(keyArn: string): KeyMemory | undefined;
  pair(keyArn: string, principalArn: string): PairMemory | undefined;
  /** Stores an entry; adapters persist what changed when flushed. */
  putPrincipal(principalArn: string, memory: PrincipalMemory): void;
  putKey(keyArn: string, memory: KeyMemory): void;
  putPair(keyArn: string, principalArn: string, memory: PairMemory): void;
}

/** A memory that an adapter fills before detection and persists after it (DynamoDB in Lambda). */
export interface DetectionMemoryStore extends DetectionMemory {
  /** Loads the entries one event may read. */
  prefetch(entries: { principalArn?: string; keyArn?: string }): Promise<void>;
  /** Writes the entries changed since the last flush: at most one write per entry. */
  flush(): Promise<void>;
}
