import {
  detectInComplianceChange,
  detectInFinding,
  detectStateful,
  detectStateless,
  withoutRepeats,
} from '../detections';
import type { KmsApiCall } from '../events/kms-api-call';
import type { DetectionSettings, Signal } from '../detections/detection';
import { InMemoryDetectionMemory } from '../state/in-memory-detection-memory';
import type { Prepared, PreparedEvent } from './prepare';

export interface ReplayStats {
  events: number;
  malformed: number;
  /** Sources that could not be read to their end: their events before the failure are counted in `events`. */
  unreadable: number;
  /** Each source not read to its end, and why. */
  unreadableSources: string[];
  /** Events that arrived later than the reorder window allowed: detected, but out of time order. */
  late: number;
  /**
   * The second account's records of cross-account calls (an organization trail logs such a call in the caller's
   * account and in the key owner's, with one sharedEventID): read, and left out of detection.
   */
  secondCopies: number;
  signals: number;
  /** The first few malformed inputs, with where and why. */
  problems: string[];
}

/** Events are put in time order within this window: CloudTrail delivers a file about every five minutes. */
const reorderWindowMs = 5 * 60_000;
/**
 * At most this many events wait to be put in order, whatever the rate of the archive: past it, the oldest goes on
 * (memory stays bounded; an event that then arrives earlier than it is counted out of order).
 */
const maxWaiting = 100_000;
/**
 * A cross-account call's two records have the same event time: its sharedEventID is remembered this long past the
 * watermark (the reorder window twice), then forgotten, so memory stays bounded on any archive.
 */
const sharedIdsKeptMs = 2 * reorderWindowMs;

type Timed = PreparedEvent;

/** A binary min-heap on event time. */
class TimeHeap {
  private readonly items: Timed[] = [];
  get size() {
    return this.items.length;
  }
  peek() {
    return this.items[0];
  }
  push(item: Timed) {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.at <= item.at) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }
  pop(): Timed | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]!.at < items[left]!.at ? right : left;
        if (items[child]!.at >= last.at) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

/**
 * Runs every detector over prepared events in event-time order, with in-memory detection state, and hands each
 * signal to `onSignal`. Malformed inputs are counted and skipped.
 */
export const replay = async (
  batches: AsyncIterable<Prepared[]>,
  settings: DetectionSettings,
  onSignal: (signal: Signal) => void,
  /** Told the events read so far after each batch. */
  onProgress?: (events: number) => void,
): Promise<ReplayStats> => {
  const stats: ReplayStats = {
    events: 0,
    malformed: 0,
    unreadable: 0,
    unreadableSources: [],
    late: 0,
    secondCopies: 0,
    signals: 0,
    problems: [],
  };
  /** sharedEventID -> event time, for the calls detected recently. */
  const sharedIds = new Map<string, number>();
  let sharedPrunedAt = -Infinity;
  /**
   * Records of cross-account calls that name their caller only by account and id (the key owner's copy may:
   * `userIdentity.type` `AWSAccount`, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html),
   * held back for the reorder window in case the caller's copy, which names it by ARN, comes: that one is detected
   * instead. Bounded by the calls of one window.
   */
  const thinCopies = new Map<string, Extract<PreparedEvent, { kind: 'api-call' }>>();
  /** What to do with a record: detect it, leave it out (the call was detected), or hold it (a thin copy). */
  const copyOf = (event: PreparedEvent): 'detect' | 'second' | 'held' => {
    if (event.kind !== 'api-call' || event.call.sharedEventId === undefined) return 'detect';
    const id = event.call.sharedEventId;
    if (sharedIds.has(id)) return 'second';
    if (event.call.principal.kind === 'unknown') {
      if (thinCopies.has(id)) return 'second';
      thinCopies.set(id, event);
      return 'held';
    }
    if (thinCopies.delete(id)) stats.secondCopies += 1;
    sharedIds.set(id, event.at);
    if (event.at - sharedPrunedAt > sharedIdsKeptMs) {
      for (const [seen, at] of sharedIds) if (at < event.at - sharedIdsKeptMs) sharedIds.delete(seen);
      sharedPrunedAt = event.at;
    }
    return 'detect';
  };
  const memory = new InMemoryDetectionMemory();
  const heap = new TimeHeap();
  let watermark = -Infinity;
  let newest = -Infinity;

  const withStateful = (call: KmsApiCall, found: Signal[], at: number) => {
    const stateless = withoutRepeats(found, call, memory, at);
    const stateful = detectStateful(call, settings, memory, stateless, at);
    return stateful.length === 0 ? stateless : [...stateless, ...stateful];
  };

  const detect = (event: PreparedEvent) => {
    const copy = copyOf(event);
    if (copy === 'second') stats.secondCopies += 1;
    if (copy !== 'detect') return;
    runDetectors(event);
  };
  /** A held copy whose sibling did not come within the window is the only record of its call: detected. */
  const releaseThinCopies = (before: number) => {
    // Held in time order (detection runs in time order): the first not yet due ends the walk.
    for (const [id, held] of thinCopies) {
      if (held.at >= before) break;
      thinCopies.delete(id);
      sharedIds.set(id, held.at);
      runDetectors(held);
    }
  };
  const runDetectors = (event: PreparedEvent) => {
    const signals =
      event.kind === 'api-call'
        ? withStateful(event.call, event.signals ?? detectStateless(event.call, settings), event.at)
        : event.kind === 'guardduty-finding'
          ? detectInFinding(event.finding, settings)
          : detectInComplianceChange(event.change, settings);
    stats.signals += signals.length;
    for (const signal of signals) onSignal(signal);
  };

  for await (const batch of batches) {
    for (const item of batch) {
      if (!item.ok) {
        if (item.unreadable) {
          stats.unreadable += 1;
          stats.unreadableSources.push(`${item.where}: ${item.problem}`);
          continue;
        }
        stats.malformed += 1;
        if (stats.problems.length < 20) stats.problems.push(`${item.where}: ${item.problem}`);
        continue;
      }
      const event = item.event;
      stats.events += 1;
      if (event.at < watermark) {
        stats.late += 1;
        detect(event);
        continue;
      }
      heap.push(event);
      if (event.at > newest) newest = event.at;
      while (heap.size > 0 && (heap.peek()!.at < newest - reorderWindowMs || heap.size > maxWaiting)) {
        const next = heap.pop()!;
        watermark = next.at;
        detect(next);
        if (thinCopies.size > 0) releaseThinCopies(watermark - reorderWindowMs);
      }
    }
    onProgress?.(stats.events);
  }
  while (heap.size > 0) detect(heap.pop()!);
  releaseThinCopies(Infinity);
  return stats;
};
