import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { byResponder, failed, invokedByService, record, renamed } from '../../support/records';

/** A sequence of calls; the detector must fire on the last one and on none before it (or on none at all). */
export interface SequenceCase {
  name: string;
  records: CloudTrailRecord[];
}

const start = Date.parse('2026-11-01T00:00:00Z');
const minutes = (n: number) => n * 60_000;
const days = (n: number) => n * 86_400_000;

const decrypt = record('Decrypt.iam-user');
const keyArn = 'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let serial = 0;
/** The Decrypt record at a time, from an address, by a user, on a key: only those fields change. */
const call = (
  at: number,
  { ip = '192.0.2.0', user = 'Alice', key = keyArn, base = decrypt }: { ip?: string; user?: string; key?: string; base?: CloudTrailRecord } = {},
): CloudTrailRecord => ({
  ...base,
  eventID: `seq-${(serial += 1)}`,
  eventTime: new Date(at).toISOString(),
  sourceIPAddress: ip,
  userIdentity: { ...base.userIdentity, arn: `arn:aws:iam::111122223333:user/${user}`, userName: user },
  resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: key }],
});

const times = (count: number, from: number, step: number) => Array.from({ length: count }, (_, i) => from + i * step);
const otherKey = (i: number) => keyArn.replace('1234abcd', String(10_000_000 + i));
const denied = (at: number, opts: { user?: string } = {}) => failed(call(at, opts), 'AccessDeniedException');
const describeKey = (at: number, key: string) => renamed(call(at, { key }), 'DescribeKey');

/** Ten calls an hour for eight days, then `burst` calls in one hour. */
const steadyThenBurst = (perHour: number, burst: number) => [
  ...times(8 * 24 * perHour, start, 3_600_000 / perHour).map((at) => call(at)),
  ...times(burst, start + days(8) + minutes(1), 1000).map((at) => call(at)),
];

export const statefulCases: Record<string, { match: SequenceCase[]; noMatch: SequenceCase[] }> = {
  'access-denied-burst': {
    match: [{ name: '20 refused calls in 10 minutes', records: times(20, start, 20_000).map((at) => denied(at)) }],
    noMatch: [
      { name: '19 refused calls', records: times(19, start, 20_000).map((at) => denied(at)) },
      { name: '20 refused calls over an hour', records: times(20, start, minutes(3)).map((at) => denied(at)) },
      { name: '20 refused calls by 20 principals', records: times(20, start, 1000).map((at, i) => denied(at, { user: `u${i}` })) },
      { name: '20 calls throttled, not refused', records: times(20, start, 1000).map((at) => failed(call(at), 'ThrottlingException')) },
      { name: "20 of the responder's own refused calls", records: times(20, start, 1000).map((at) => byResponder(denied(at))) },
    ],
  },
  'key-enumeration': {
    match: [{ name: 'DescribeKey on 20 keys in 10 minutes', records: times(20, start, 10_000).map((at, i) => describeKey(at, otherKey(i))) }],
    noMatch: [
      { name: 'DescribeKey on 19 keys', records: times(19, start, 10_000).map((at, i) => describeKey(at, otherKey(i))) },
      { name: 'DescribeKey 20 times on one key', records: times(20, start, 10_000).map((at) => describeKey(at, keyArn)) },
      { name: 'DescribeKey on 20 keys over two hours', records: times(20, start, minutes(6)).map((at, i) => describeKey(at, otherKey(i))) },
      { name: 'a service describing 20 keys for a customer', records: times(20, start, 1000).map((at, i) => invokedByService(describeKey(at, otherKey(i)))) },
    ],
  },
  'new-principal-for-key': {
    match: [{ name: 'Bob after a week of Alice', records: [call(start), call(start + days(8), { user: 'Bob' })] }],
    noMatch: [
      { name: 'Bob during the learning period', records: [call(start), call(start + days(2), { user: 'Bob' })] },
      { name: 'Alice again', records: [call(start), call(start + days(8))] },
      { name: "Bob's refused call", records: [call(start), failed(call(start + days(8), { user: 'Bob' }))] },
      { name: 'a service acting for Bob', records: [call(start), invokedByService(call(start + days(8), { user: 'Bob' }), 'dynamodb.amazonaws.com')] },
    ],
  },
  'new-source-for-principal': {
    match: [{ name: 'Alice from a new address after learning', records: [call(start), call(start + days(8), { ip: '203.0.113.50' })] }],
    noMatch: [
      { name: 'Alice from her usual address', records: [call(start), call(start + days(8))] },
      { name: 'a new address during learning', records: [call(start), call(start + days(3), { ip: '203.0.113.50' })] },
      { name: 'a service acting for Alice', records: [call(start), invokedByService(call(start + days(8)), 'secretsmanager.amazonaws.com')] },
      { name: 'a principal never seen on the key', records: [call(start), call(start + days(8), { user: 'Bob', ip: '203.0.113.50' })] },
    ],
  },
  'usage-spike': {
    match: [{ name: '1000 calls in an hour against 10 an hour', records: steadyThenBurst(10, 1000) }],
    noMatch: [
      { name: '999 calls in an hour against 10 an hour', records: steadyThenBurst(10, 999) },
      { name: '1500 calls in an hour against 200 an hour', records: steadyThenBurst(200, 1500) },
    ],
  },
};
