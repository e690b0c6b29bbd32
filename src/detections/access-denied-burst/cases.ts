import {
  byResponder,
  call,
  denied,
  failed,
  minutes,
  start,
  times,
  type SequenceCase,
} from '../../../test/support/cases/sequence';

/**
 * Fixtures that must fire access-denied-burst and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [{ name: '20 refused calls in 10 minutes', records: times(20, start, 20_000).map((at) => denied(at)) }],
  noMatch: [
    { name: '19 refused calls', records: times(19, start, 20_000).map((at) => denied(at)) },
    { name: '20 refused calls over an hour', records: times(20, start, minutes(3)).map((at) => denied(at)) },
    {
      name: '20 refused calls by 20 principals',
      records: times(20, start, 1000).map((at, i) => denied(at, { user: `u${i}` })),
    },
    {
      name: '20 calls throttled, not refused',
      records: times(20, start, 1000).map((at) => failed(call(at), 'ThrottlingException')),
    },
    {
      name: "20 of the responder's own refused calls",
      records: times(20, start, 1000).map((at) => byResponder(denied(at))),
    },
  ],
};
