import { detectors, detectSignals } from '../../../src/detectors';
import type { DetectionSettings } from '../../../src/detectors/detector';
import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { byResponder, failed, invokedByService, record } from '../../support/records';

const settings: DetectionSettings = { keyAdministrators: ['arn:aws:iam::111122223333:user/Alice'] };
const options = { responderRolePath: '/kms-warden/test/' };

interface Case {
  name: string;
  record: CloudTrailRecord;
  expect?: { severity: string; evidence?: Record<string, unknown> };
}

/** Per detector: records that must fire it and records that must not. Every registered detector needs both. */
const cases: Record<string, { match: Case[]; noMatch: Case[] }> = {
  'key-deletion-scheduled': {
    match: [
      {
        name: 'a key administrator with a 20-day window',
        record: record('ScheduleKeyDeletion.iam-user'),
        expect: { severity: 'high', evidence: { pendingWindowInDays: 20, callerIsKeyAdministrator: true } },
      },
      {
        name: 'a role that is not a key administrator',
        record: record('ScheduleKeyDeletion.assumed-role'),
        expect: { severity: 'critical', evidence: { pendingWindowInDays: 30, callerIsKeyAdministrator: false } },
      },
      {
        name: 'a key administrator with the shortest window',
        record: { ...record('ScheduleKeyDeletion.iam-user'), requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', pendingWindowInDays: 7 } },
        expect: { severity: 'critical', evidence: { pendingWindowInDays: 7, callerIsKeyAdministrator: true } },
      },
      { name: 'a multi-Region replica', record: record('ScheduleKeyDeletion.multi-region-replica'), expect: { severity: 'high' } },
      { name: 'a key in a custom key store', record: record('ScheduleKeyDeletion.custom-key-store'), expect: { severity: 'high' } },
      { name: 'a record without resources[]', record: record('ScheduleKeyDeletion.assumed-role.missing-resources'), expect: { severity: 'critical' } },
    ],
    noMatch: [
      { name: 'a failed call', record: failed(record('ScheduleKeyDeletion.assumed-role')) },
      { name: "the responder's own call", record: byResponder(record('ScheduleKeyDeletion.assumed-role')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('ScheduleKeyDeletion.assumed-role')) },
      { name: 'a different KMS call', record: record('DisableKey.assumed-role') },
      { name: 'cancelling a deletion', record: record('CancelKeyDeletion.iam-user') },
    ],
  },
};

describe('detector registry', () => {
  it('gives every detector a unique id and both kinds of fixtures', () => {
    const ids = detectors.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(cases[id]?.match.length ?? 0).toBeGreaterThan(0);
      expect(cases[id]?.noMatch.length ?? 0).toBeGreaterThan(0);
    }
  });
});

describe.each(Object.entries(cases))('%s', (id, { match, noMatch }) => {
  it.each(match.map((c) => [c.name, c] as const))('fires on %s', (_name, c) => {
    const signals = detectSignals(normaliseKmsApiCall(c.record, options), settings).filter((s) => s.detector === id);
    expect(signals).toHaveLength(1);
    expect(signals[0]!.keyArn).toMatch(/^arn:aws:kms:/);
    expect(signals[0]!.source.eventId).toBe(c.record.eventID);
    if (c.expect) expect(signals[0]).toMatchObject(c.expect);
  });

  it.each(noMatch.map((c) => [c.name, c] as const))('stays quiet on %s', (_name, c) => {
    const signals = detectSignals(normaliseKmsApiCall(c.record, options), settings).filter((s) => s.detector === id);
    expect(signals).toEqual([]);
  });
});
