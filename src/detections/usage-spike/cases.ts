import { steadyThenBurst, type SequenceCase } from '../../../test/support/cases/sequence';

/** Fixtures that must fire usage-spike and fixtures that must not (test/unit/detections/cases.test.ts runs them). */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [{ name: '1000 calls in an hour against 10 an hour', records: steadyThenBurst(10, 1000) }],
  noMatch: [
    { name: '999 calls in an hour against 10 an hour', records: steadyThenBurst(10, 999) },
    { name: '1500 calls in an hour against 200 an hour', records: steadyThenBurst(200, 1500) },
  ],
};
