import type { KmsApiCall } from '../events/kms-api-call';
import { principalKey } from '../events/principal';
import type { DetectionMemory } from '../state/detection-memory';
import { isDeniedKmsCall } from './access-denied-burst';
import type { DetectionSettings } from './detector';
import { isKeyRead } from './key-enumeration';
import { isKeyUse } from './new-principal-for-key';
import { networkSourceOf } from './new-source-for-principal';
import { hourOf } from './usage-spike';

const weekOfHours = 7 * 24;
/** Keys remembered per principal, the most recently used kept. */
const maxKeysUsed = 50;

/** Records that a principal used a key; written at most once an hour per key, so busy principals cost no extra writes. */
const rememberKeyUsed = (memory: DetectionMemory, principalArn: string, keyArn: string, at: number) => {
  const seen = memory.principal(principalArn) ?? { denied: [], enumerated: {} };
  const used = seen.keysUsed ?? {};
  if (used[keyArn] !== undefined && hourOf(used[keyArn]!) === hourOf(at)) return;
  used[keyArn] = at;
  const entries = Object.entries(used);
  seen.keysUsed = entries.length > maxKeysUsed ? Object.fromEntries(entries.sort(([, a], [, b]) => b - a).slice(0, maxKeysUsed)) : used;
  memory.putPrincipal(principalArn, seen);
};

/**
 * Updates detection memory with one event, after the detectors have read it. `fired` names the detectors that
 * fired on it, so a burst is reported once per window and a spike once per hour.
 */
export const learn = (event: KmsApiCall, memory: DetectionMemory, settings: DetectionSettings, at: number, fired: ReadonlySet<string>) => {
  const principalArn = principalKey(event.principal.arn);
  const denied = isDeniedKmsCall(event);
  const read = isKeyRead(event);
  if (denied || read) {
    const seen = memory.principal(principalArn) ?? { denied: [], enumerated: {} };
    if (denied) {
      const { count, windowMinutes } = settings.thresholds.accessDeniedBurst;
      const since = at - windowMinutes * 60_000;
      // Only the last `count` times can matter for the threshold; an event seen before is not counted again.
      const ids = seen.deniedIds ?? [];
      if (!ids.includes(event.eventId)) {
        const kept = seen.denied.map((time, i) => ({ time, id: ids[i] ?? '' })).filter((d) => d.time > since);
        const next = [...kept, { time: at, id: event.eventId }].slice(-count);
        seen.denied = next.map((d) => d.time);
        seen.deniedIds = next.map((d) => d.id);
      }
      if (fired.has('access-denied-burst')) seen.deniedAlertedAt = at;
    }
    if (read) {
      const since = at - settings.thresholds.keyEnumeration.windowMinutes * 60_000;
      for (const [key, time] of Object.entries(seen.enumerated)) if (time <= since) delete seen.enumerated[key];
      seen.enumerated[event.keyArn!] = at;
      if (fired.has('key-enumeration')) seen.enumerationAlertedAt = at;
    }
    memory.putPrincipal(principalArn, seen);
  }

  if (!event.keyArn) return;
  if (!memory.key(event.keyArn)) memory.putKey(event.keyArn, { firstSeen: at });
  if (!isKeyUse(event)) return;
  rememberKeyUsed(memory, principalArn, event.keyArn, at);
  const pair = memory.pair(event.keyArn, principalArn) ?? { firstSeen: at, sources: {}, hourly: {} };
  const source = networkSourceOf(event);
  if (source && pair.sources[source] === undefined) pair.sources[source] = at;
  const hour = hourOf(at);
  if (pair.hourly[hour] === undefined) {
    for (const h of Object.keys(pair.hourly)) if (Number(h) < hour - weekOfHours) delete pair.hourly[h];
  }
  pair.hourly[hour] = (pair.hourly[hour] ?? 0) + 1;
  if (fired.has('usage-spike')) pair.spikeAlertedHour = hour;
  memory.putPair(event.keyArn, principalArn, pair);
};
