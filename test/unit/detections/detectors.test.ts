import { detectSignals } from '../../../src/detections';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { apiCallCases } from '../../support/detection-cases';
import { options, settings } from './settings';

describe.each(Object.entries(apiCallCases))('%s', (id, { match, noMatch }) => {
  it.each(match.map((c) => [c.name, c] as const))('fires on %s', (_name, c) => {
    const signals = detectSignals(normaliseKmsApiCall(c.record, options), settings).filter((s) => s.detector === id);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.source.eventId).toBe(c.record.eventID);
    if (c.expect) expect(signals[0]).toMatchObject(c.expect);
  });

  it.each(noMatch.map((c) => [c.name, c] as const))('stays quiet on %s', (_name, c) => {
    const signals = detectSignals(normaliseKmsApiCall(c.record, options), settings).filter((s) => s.detector === id);
    expect(signals).toEqual([]);
  });
});
