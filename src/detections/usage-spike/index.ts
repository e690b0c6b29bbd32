import { pairMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import type { PairMemory } from '../../state/detection-memory';
import { isKeyUse } from '../new-principal-for-key';
import { DistinctCalls, fingerprintOf } from './distinct-calls';
import { actionIdOf } from '../../events/kms-api-call';

export const hourOf = (at: number): number => Math.floor(at / 3_600_000);
const baselineHours = 7 * 24;

/** The baseline last computed for a pair: it changes only when the hour does. */
const baselines = new WeakMap<PairMemory, { hour: number; mean: number }>();

/** Mean calls per hour over the week before the current hour, counting quiet hours since the pair was first seen. */
export const baselineHourlyMean = (pair: PairMemory, hour: number): number => {
  const known = baselines.get(pair);
  if (known?.hour === hour) return known.mean;
  const mean = meanOver(pair, hour);
  baselines.set(pair, { hour, mean });
  return mean;
};

const meanOver = (pair: PairMemory, hour: number): number => {
  const from = Math.max(hourOf(pair.firstSeen), hour - baselineHours);
  const hours = hour - from;
  if (hours <= 0) return 0;
  let calls = 0;
  for (const [h, count] of Object.entries(pair.hourly)) if (Number(h) >= from && Number(h) < hour) calls += count;
  return calls / hours;
};

/** The pair's distinct calls as last read or written: parsed once per pair object, not once per event. */
const parsed = new WeakMap<PairMemory, { bytes: Uint8Array; calls: DistinctCalls }>();

/** The distinct calls the pair remembers, of whatever hour (undefined: none, or a layout this code does not read). */
const distinctCallsOf = (pair: PairMemory): DistinctCalls | undefined => {
  const bytes = pair.callsThisHour;
  if (!(bytes instanceof Uint8Array)) return undefined;
  const known = parsed.get(pair);
  if (known?.bytes === bytes) return known.calls;
  const calls = DistinctCalls.fromBytes(bytes);
  if (calls) parsed.set(pair, { bytes, calls });
  return calls;
};

/**
 * The pair's calls in the event's hour with this event counted, or undefined when the event was counted already (a
 * redelivery). Only the latest hour's ids are known: an event late from an earlier hour is counted as it comes.
 */
export const callsWith = (pair: PairMemory, hour: number, actionId: string): number | undefined => {
  const calls = distinctCallsOf(pair);
  const before = pair.hourly[hour] ?? 0;
  if (!calls || calls.hour !== hour) return before + 1;
  const fingerprint = fingerprintOf(actionId);
  if (!calls.isNew(fingerprint)) return undefined;
  return Math.max(before, calls.countWith(fingerprint));
};

const countCall = (pair: PairMemory, hour: number, actionId: string) => {
  let calls = distinctCallsOf(pair);
  if (calls && calls.hour > hour) {
    pair.hourly[hour] = (pair.hourly[hour] ?? 0) + 1;
    return;
  }
  if (!calls || calls.hour < hour) calls = DistinctCalls.empty(hour);
  if (!calls.add(fingerprintOf(actionId)) && pair.callsThisHour !== undefined) return;
  const bytes = calls.toBytes();
  pair.callsThisHour = bytes;
  parsed.set(pair, { bytes, calls });
  // Never below what was counted before the hour had ids (memory written by an older version).
  pair.hourly[hour] = Math.max(pair.hourly[hour] ?? 0, calls.count());
};

export const usageSpike = statefulDetection({
  id: 'usage-spike',
  family: 'suspicious-use',
  title: "A principal's use of a KMS key spiked",
  severity: 'high',
  mitre: ['T1530', 'T1005'],
  stage: 'credential-use',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  learn: (event, memory, { at, fired }) => {
    if (!isKeyUse(event)) return;
    const principalArn = principalKey(event.principal.arn);
    const pair = pairMemoryOf(memory, event.keyArn!, principalArn, at);
    const hour = hourOf(at);
    if (pair.hourly[hour] === undefined) {
      for (const h of Object.keys(pair.hourly)) if (Number(h) < hour - baselineHours) delete pair.hourly[h];
    }
    countCall(pair, hour, actionIdOf(event));
    // Reported once per hour.
    if (fired) pair.spikeAlertedHour = hour;
    memory.putPair(event.keyArn!, principalArn, pair);
  },
  appliesTo: ['*'],
  stateful: true,
  detect: (event, settings, memory, at) => {
    if (!isKeyUse(event)) return null;
    const pair = memory.pair(event.keyArn!, principalKey(event.principal.arn));
    const learnedFor = settings.thresholds.learningPeriodDays * 86_400_000;
    if (!pair || at - pair.firstSeen < learnedFor) return null;
    const hour = hourOf(at);
    if (pair.spikeAlertedHour === hour) return null;
    const calls = callsWith(pair, hour, actionIdOf(event));
    // A redelivered event, or the other account's record of a cross-account call, adds nothing.
    if (calls === undefined) return null;
    const { factor, minimumCalls } = settings.thresholds.usageSpike;
    if (calls < minimumCalls) return null;
    const mean = baselineHourlyMean(pair, hour);
    if (calls <= factor * mean) return null;
    const exact = distinctCallsOf(pair)?.isExact ?? true;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} made ${exact ? '' : 'about '}${calls} calls on ${event.keyArn} this hour against a baseline of ${mean.toFixed(1)} an hour`,
      evidence: {
        callsThisHour: calls,
        // Past 64 distinct calls an hour they are estimated (about 3% standard error): distinct-calls.ts.
        callsCounted: exact ? 'exactly' : 'estimated',
        baselineHourlyMean: Number(mean.toFixed(2)),
        factor,
      },
    };
  },
});
