import { detectSignals } from '../../../src/detections';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { InMemoryDetectionMemory } from '../../../src/state/in-memory-detection-memory';
import { settings, options } from './settings';
import { statefulCases } from '../../support/detection-cases';

const firings = (records: Parameters<typeof normaliseKmsApiCall>[0][], id: string) => {
  const memory = new InMemoryDetectionMemory();
  return records.flatMap((r, index) =>
    detectSignals(normaliseKmsApiCall(r, options), settings, memory)
      .filter((s) => s.detector === id)
      .map((signal) => ({ index, signal })),
  );
};

describe.each(Object.entries(statefulCases))('%s', (id, { match, noMatch }) => {
  it.each(match.map((c) => [c.name, c] as const))('fires on the last of %s', (_name, c) => {
    const fired = firings(c.records, id);
    if (c.expect?.severity) expect(fired.map((f) => f.signal.severity)).toEqual([c.expect.severity]);
    if (c.expect?.evidence) expect(fired[0]?.signal.evidence).toMatchObject(c.expect.evidence);
    if (c.firesOnceFrom !== undefined) {
      expect(fired).toHaveLength(1);
      expect(fired[0]!.index).toBeGreaterThanOrEqual(c.firesOnceFrom);
      return;
    }
    expect(fired.map((f) => f.index)).toEqual([c.records.length - 1]);
    expect(fired[0]!.signal.source.eventId).toBe(c.records.at(-1)!.eventID);
  });

  it.each(noMatch.map((c) => [c.name, c] as const))('stays quiet on %s', (_name, c) => {
    expect(firings(c.records, id)).toEqual([]);
  });

  it('does not fire without memory: a single event out of context says nothing', () => {
    const last = match[0]!.records.at(-1)!;
    expect(detectSignals(normaliseKmsApiCall(last, options), settings).filter((s) => s.detector === id)).toEqual([]);
  });
});

describe('reporting once', () => {
  it('reports a burst of 60 refused calls once, not 41 times', () => {
    const [burst] = statefulCases['access-denied-burst']!.match;
    const more = [...burst!.records, ...burst!.records, ...burst!.records].map((r, i) => ({
      ...r,
      eventID: `again-${i}`,
      eventTime: new Date(Date.parse(burst!.records[0]!.eventTime) + i * 5_000).toISOString(),
    }));
    expect(firings(more, 'access-denied-burst')).toHaveLength(1);
  });

  it('counts an event delivered twice once: 19 refused calls, each delivered twice, are no burst of 20', () => {
    const [burst] = statefulCases['access-denied-burst']!.match;
    const nineteen = burst!.records.slice(0, 19);
    expect(nineteen).toHaveLength(19);
    expect(firings([...nineteen, ...nineteen], 'access-denied-burst')).toHaveLength(0);
    expect(firings([...nineteen, ...nineteen, burst!.records[19]!], 'access-denied-burst')).toHaveLength(1);
  });

  it('honours thresholds from the settings', () => {
    const memory = new InMemoryDetectionMemory();
    const strict = {
      ...settings,
      thresholds: { ...settings.thresholds, accessDeniedBurst: { count: 3, windowMinutes: 10 } },
    };
    const fired = statefulCases['access-denied-burst']!.noMatch[0]!.records.slice(0, 3).flatMap((r) =>
      detectSignals(normaliseKmsApiCall(r, options), strict, memory).filter(
        (s) => s.detector === 'access-denied-burst',
      ),
    );
    expect(fired).toHaveLength(1);
  });
});
