import { detectInComplianceChange, detectInFinding, detectSignals } from '../detectors';
import type { DetectionSettings, Signal } from '../detectors/detector';
import { classifyInput, type InputEvent } from '../events/input';
import { normaliseKmsApiCall } from '../events/kms-api-call';
import { InMemoryDetectionMemory } from '../state/in-memory-detection-memory';
import type { RawInput } from './read-inputs';

export interface ReplayStats {
  events: number;
  malformed: number;
  /** Events that arrived later than the reorder window allowed: detected, but out of time order. */
  late: number;
  signals: number;
  /** The first few malformed inputs, with where and why. */
  problems: string[];
}

/** Events are put in time order within this window; CloudTrail files overlap by minutes, not hours. */
const reorderWindowMs = 15 * 60_000;

type Timed = { at: number; event: InputEvent };

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

const timeOf = (event: InputEvent): number =>
  Date.parse(
    event.kind === 'api-call' ? event.record.eventTime : event.kind === 'guardduty-finding' ? event.finding.updatedAt : event.change.notificationCreationTime,
  );

/**
 * Runs every detector over a stream of inputs in event-time order, with in-memory detection state, and hands
 * each signal to `onSignal`. Malformed inputs are counted and skipped.
 */
export const replay = async (
  inputs: AsyncIterable<RawInput>,
  settings: DetectionSettings,
  onSignal: (signal: Signal) => void,
  options: { responderRolePath?: string } = {},
): Promise<ReplayStats> => {
  const stats: ReplayStats = { events: 0, malformed: 0, late: 0, signals: 0, problems: [] };
  const memory = new InMemoryDetectionMemory();
  const normalise = { responderRolePath: options.responderRolePath ?? '/kms-warden/' };
  const heap = new TimeHeap();
  let watermark = -Infinity;
  let newest = -Infinity;

  const detect = ({ event }: Timed) => {
    const signals =
      event.kind === 'api-call'
        ? detectSignals(normaliseKmsApiCall(event.record, normalise), settings, memory)
        : event.kind === 'guardduty-finding'
          ? detectInFinding(event.finding, settings)
          : detectInComplianceChange(event.change, settings);
    stats.signals += signals.length;
    for (const signal of signals) onSignal(signal);
  };

  const malformed = (where: string, problem: string) => {
    stats.malformed += 1;
    if (stats.problems.length < 20) stats.problems.push(`${where}: ${problem}`);
  };

  for await (const input of inputs) {
    if (!input.ok) {
      malformed(input.where, input.problem);
      continue;
    }
    const classified = classifyInput(input.value);
    if (!classified.ok) {
      malformed(input.where, classified.problems.join('; '));
      continue;
    }
    stats.events += 1;
    const timed = { at: timeOf(classified.event), event: classified.event };
    if (timed.at < watermark) {
      stats.late += 1;
      detect(timed);
      continue;
    }
    heap.push(timed);
    if (timed.at > newest) newest = timed.at;
    while (heap.size > 0 && heap.peek()!.at < newest - reorderWindowMs) {
      const next = heap.pop()!;
      watermark = next.at;
      detect(next);
    }
  }
  while (heap.size > 0) detect(heap.pop()!);
  return stats;
};
