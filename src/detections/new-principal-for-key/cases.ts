import { call, days, failed, invokedByService, start, type SequenceCase } from '../../../test/support/cases/sequence';

/**
 * Fixtures that must fire new-principal-for-key and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [{ name: 'Bob after a week of Alice', records: [call(start), call(start + days(8), { user: 'Bob' })] }],
  noMatch: [
    { name: 'Bob during the learning period', records: [call(start), call(start + days(2), { user: 'Bob' })] },
    { name: 'Alice again', records: [call(start), call(start + days(8))] },
    { name: "Bob's refused call", records: [call(start), failed(call(start + days(8), { user: 'Bob' }))] },
    {
      name: 'a service acting for Bob',
      records: [call(start), invokedByService(call(start + days(8), { user: 'Bob' }), 'dynamodb.amazonaws.com')],
    },
  ],
};
