import { pairMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import type { PairMemory } from '../../state/detection-memory';
import { isKeyUse } from '../new-principal-for-key';

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
    pair.hourly[hour] = (pair.hourly[hour] ?? 0) + 1;
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
    const calls = (pair.hourly[hour] ?? 0) + 1;
    const { factor, minimumCalls } = settings.thresholds.usageSpike;
    if (calls < minimumCalls) return null;
    const mean = baselineHourlyMean(pair, hour);
    if (calls <= factor * mean) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} made ${calls} calls on ${event.keyArn} this hour against a baseline of ${mean.toFixed(1)} an hour`,
      evidence: { callsThisHour: calls, baselineHourlyMean: Number(mean.toFixed(2)), factor },
    };
  },
});
