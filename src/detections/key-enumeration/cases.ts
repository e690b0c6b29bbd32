import {
  describeKey,
  invokedByService,
  keyArn,
  minutes,
  otherKey,
  start,
  times,
  type SequenceCase,
} from '../../../test/support/cases/sequence';

/**
 * Fixtures that must fire key-enumeration and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [
    {
      name: 'DescribeKey on 20 keys in 10 minutes',
      records: times(20, start, 10_000).map((at, i) => describeKey(at, otherKey(i))),
    },
  ],
  noMatch: [
    { name: 'DescribeKey on 19 keys', records: times(19, start, 10_000).map((at, i) => describeKey(at, otherKey(i))) },
    { name: 'DescribeKey 20 times on one key', records: times(20, start, 10_000).map((at) => describeKey(at, keyArn)) },
    {
      name: 'DescribeKey on 20 keys over two hours',
      records: times(20, start, minutes(6)).map((at, i) => describeKey(at, otherKey(i))),
    },
    {
      name: 'a service describing 20 keys for a customer',
      records: times(20, start, 1000).map((at, i) => invokedByService(describeKey(at, otherKey(i)))),
    },
  ],
};
