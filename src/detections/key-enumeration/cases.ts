import {
  call,
  describeKey,
  invokedByService,
  keyArn,
  minutes,
  otherKey,
  start,
  times,
  type SequenceCase,
} from '../../../test/support/cases/sequence';
import { byResponder, failed, renamed, withRequest } from '../../../test/support/records';

/**
 * A read refused by IAM or the key policy, as CloudTrail logs a denied caller's attempt: the call's fields and an
 * AccessDenied error code, and no resources (origin: https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html:
 * "CloudTrail logs ... attempted calls that failed, such as when the caller is denied access to a resource").
 */
const refusedRead = (at: number, key: string) => {
  const read = describeKey(at, key);
  return { ...failed(read, 'AccessDenied'), resources: undefined, requestParameters: { keyId: key } };
};
/** A refused read that names an alias, as a caller guessing names does (the record then names no key ARN). */
const refusedAliasRead = (at: number, i: number) =>
  withRequest(
    { ...failed(describeKey(at, keyArn), 'NotFoundException'), resources: undefined },
    {
      keyId: `alias/guess-${i}`,
    },
  );

/**
 * Fixtures that must fire key-enumeration and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 * Reads count whether allowed or refused: a caller probing keys it may not read is enumerating them all the same, and
 * one whose reads are mostly refused is probing (high).
 */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [
    {
      name: 'DescribeKey on 20 keys in 10 minutes',
      records: times(20, start, 10_000).map((at, i) => describeKey(at, otherKey(i))),
      expect: { severity: 'medium', evidence: { distinctKeys: 20, refusedKeys: 0 } },
    },
    {
      name: 'DescribeKey refused on 20 keys in 10 minutes',
      records: times(20, start, 10_000).map((at, i) => refusedRead(at, otherKey(i))),
      expect: { severity: 'high', evidence: { distinctKeys: 20, refusedKeys: 20 } },
    },
    {
      name: 'GetKeyPolicy on 12 keys allowed and 8 refused',
      records: times(20, start, 10_000).map((at, i) =>
        i < 12
          ? renamed(describeKey(at, otherKey(i)), 'GetKeyPolicy')
          : renamed(refusedRead(at, otherKey(i)), 'GetKeyPolicy'),
      ),
      expect: { severity: 'medium', evidence: { distinctKeys: 20, refusedKeys: 8 } },
    },
    {
      // Throttled (origin: https://docs.aws.amazon.com/kms/latest/developerguide/throttling.html): read, not refused.
      name: 'DescribeKey throttled on 20 keys: reads, not refusals',
      records: times(20, start, 10_000).map((at, i) => ({
        ...refusedRead(at, otherKey(i)),
        errorCode: 'ThrottlingException',
      })),
      expect: { severity: 'medium', evidence: { distinctKeys: 20, refusedKeys: 0 } },
    },
    {
      name: 'DescribeKey of 20 guessed alias names, each refused as not found',
      records: times(20, start, 10_000).map((at, i) => refusedAliasRead(at, i)),
      expect: { severity: 'high', evidence: { distinctKeys: 20, refusedKeys: 20 } },
    },
  ],
  noMatch: [
    { name: 'DescribeKey on 19 keys', records: times(19, start, 10_000).map((at, i) => describeKey(at, otherKey(i))) },
    {
      name: 'DescribeKey refused on 19 keys',
      records: times(19, start, 10_000).map((at, i) => refusedRead(at, otherKey(i))),
    },
    { name: 'DescribeKey 20 times on one key', records: times(20, start, 10_000).map((at) => describeKey(at, keyArn)) },
    {
      name: 'DescribeKey refused 20 times on one key',
      records: times(20, start, 10_000).map((at) => refusedRead(at, keyArn)),
    },
    {
      name: 'DescribeKey on 20 keys over two hours',
      records: times(20, start, minutes(6)).map((at, i) => describeKey(at, otherKey(i))),
    },
    {
      name: 'a service describing 20 keys for a customer',
      records: times(20, start, 1000).map((at, i) => invokedByService(describeKey(at, otherKey(i)))),
    },
    {
      name: "kms-warden's own reads of 20 keys",
      records: times(20, start, 1000).map((at, i) => byResponder(describeKey(at, otherKey(i)))),
    },
    {
      name: 'Decrypt on 20 keys (use, not reading settings)',
      records: times(20, start, 10_000).map((at, i) => call(at, { key: otherKey(i) })),
    },
  ],
};
