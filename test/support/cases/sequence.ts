import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { byResponder, failed, invokedByService, record, renamed } from '../records';

/** A sequence of calls; the detector must fire on the last one and on none before it (or on none at all). */
export interface SequenceCase {
  name: string;
  records: CloudTrailRecord[];
  /**
   * For a detector that estimates a count (usage-spike, past 64 calls an hour): it fires once, on a record at this
   * index or after, rather than on the last.
   */
  firesOnceFrom?: number;
  /** What the signal must say, beyond firing. */
  expect?: { severity?: string; evidence?: Record<string, unknown> };
}

export const start = Date.parse('2026-11-01T00:00:00Z');
export const minutes = (n: number) => n * 60_000;
export const days = (n: number) => n * 86_400_000;

export const decrypt = record('Decrypt.iam-user');
export const keyArn = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let serial = 0;
/** The Decrypt record at a time, from an address, by a user, on a key: only those fields change. */
export const call = (
  at: number,
  {
    ip = '192.0.2.0',
    user = 'Alice',
    key = keyArn,
    base = decrypt,
  }: { ip?: string; user?: string; key?: string; base?: CloudTrailRecord } = {},
): CloudTrailRecord => ({
  ...base,
  eventID: `seq-${(serial += 1)}`,
  eventTime: new Date(at).toISOString(),
  sourceIPAddress: ip,
  userIdentity: { ...base.userIdentity, arn: `arn:aws:iam::111122223333:user/${user}`, userName: user },
  resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: key }],
});

export const times = (count: number, from: number, step: number) =>
  Array.from({ length: count }, (_, i) => from + i * step);
export const otherKey = (i: number) => keyArn.replace('1234abcd', String(10_000_000 + i));
export const denied = (at: number, opts: { user?: string } = {}) => failed(call(at, opts), 'AccessDeniedException');
export const describeKey = (at: number, key: string) => renamed(call(at, { key }), 'DescribeKey');

/** Ten calls an hour for eight days, then `burst` calls in one hour. */
export const steadyThenBurst = (perHour: number, burst: number) => [
  ...times(8 * 24 * perHour, start, 3_600_000 / perHour).map((at) => call(at)),
  ...times(burst, start + days(8) + minutes(1), 1000).map((at) => call(at)),
];

export { byResponder, failed, invokedByService, record, renamed };
