import { defaultDetectionSettings, detectSignals } from '../../../src/detections';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { InMemoryDetectionMemory } from '../../../src/state/in-memory-detection-memory';
import { describeKey, keyArn, start } from '../../support/cases/sequence';
import { failed, responderRoles, withRequest } from '../../support/records';

describe("key-enumeration's memory", () => {
  it('stays a few dozen entries while one principal probes 1,500 long alias names in minutes', () => {
    const memory = new InMemoryDetectionMemory();
    let fired = 0;
    for (let i = 0; i < 1500; i += 1) {
      const probe = withRequest(
        { ...failed(describeKey(start + i * 300, keyArn), 'NotFoundException'), resources: undefined },
        { keyId: `alias/${'x'.repeat(230)}-${i}` },
      );
      fired += detectSignals(normaliseKmsApiCall(probe, { responderRoles }), defaultDetectionSettings, memory).filter(
        (s) => s.detector === 'key-enumeration',
      ).length;
    }
    const seen = memory.principal('arn:aws:iam::111122223333:user/Alice')!;
    // Twice the threshold (20) kept, each under a short hashed name; reported once per 10-minute window.
    expect(Object.keys(seen.enumerated).length).toBeLessThanOrEqual(40);
    expect(Object.keys(seen.refusedReads!).length).toBeLessThanOrEqual(40);
    expect(Math.max(...Object.keys(seen.enumerated).map((k) => k.length))).toBeLessThan(40);
    expect(fired).toBe(1);
  });
});
