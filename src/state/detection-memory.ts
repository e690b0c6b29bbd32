/**
 * What the stateful detectors remember between events, per principal, per key and per (key, principal).
 * Detectors only read it; each detection's `learn` (src/detections/<id>) writes its own slice after detection.
 * Times are epoch milliseconds.
 */
export interface PrincipalMemory {
  /**
   * Event id -> time of recent failed KMS calls within the burst window, the latest `count` at most: an event
   * delivered twice (EventBridge is at-least-once) counts once.
   */
  denied: Record<string, number>;
  deniedAlertedAt?: number;
  /**
   * Key ARN (or region:alias) -> last read-only management call on it, allowed or refused, within the enumeration
   * window.
   */
  enumerated: Record<string, number>;
  /** The same, for the reads that were refused. */
  refusedReads?: Record<string, number>;
  enumerationAlertedAt?: number;
  /**
   * Key ARN -> last use by this principal (to the hour): the keys to protect when its credentials leak. The most
   * recent 50 are what counts; up to 100 are kept between prunings.
   */
  keysUsed?: Record<string, number>;
  /**
   * "detector|subject" -> when a detection reported once per window (`reportedOncePer`) last raised it for this
   * principal; the most recent 100 are kept.
   */
  reported?: Record<string, number>;
}

export interface KeyMemory {
  firstSeen: number;
}

export interface PairMemory {
  firstSeen: number;
  /** Network source (IP or VPC endpoint) -> first seen; the first `maxSources` only. */
  sources: Record<string, number>;
  /** Hour index (epoch hours) -> calls in that hour, for the last week. */
  hourly: Record<string, number>;
  spikeAlertedHour?: number;
  /**
   * The distinct calls (by event id) of the latest hour with calls, as usage-spike/distinct-calls writes them: a
   * redelivered event is not counted again.
   */
  callsThisHour?: Uint8Array;
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

/**
 * Where a batch of a stream ends: its shard and the sequence number of its last record. A store that keeps it per
 * entry writes a retried batch (the whole or a part, as Lambda bisects a failing one) only to entries it did not
 * reach the first time, so nothing is counted twice.
 */
export interface StreamMark {
  shard: string;
  sequence: string;
}

/** A memory that an adapter fills before detection and persists after it (DynamoDB in Lambda). */
export interface DetectionMemoryStore extends DetectionMemory {
  /**
   * Loads the entries the events of a batch may read (each principal, key and their pair), forgetting those loaded
   * before.
   */
  prefetch(entries: ReadonlyArray<{ principalArn?: string; keyArn?: string }>): Promise<void>;
  /**
   * Writes what changed in the entries since they were read or last flushed: one write per changed entry, whatever
   * the number of events that changed it, and never in conflict with another writer of the same entry. With a
   * mark, an entry already written by a batch of the same shard that reached as far is left as it is.
   */
  flush(mark?: StreamMark): Promise<void>;
}
