import { call, days, invokedByService, start, type SequenceCase } from '../../../test/support/cases/sequence';

/**
 * Fixtures that must fire new-source-for-principal and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [
    {
      name: 'Alice from a new address after learning',
      records: [call(start), call(start + days(8), { ip: '203.0.113.50' })],
    },
  ],
  noMatch: [
    { name: 'Alice from her usual address', records: [call(start), call(start + days(8))] },
    { name: 'a new address during learning', records: [call(start), call(start + days(3), { ip: '203.0.113.50' })] },
    {
      name: 'a service acting for Alice',
      records: [call(start), invokedByService(call(start + days(8)), 'secretsmanager.amazonaws.com')],
    },
    {
      name: 'a principal never seen on the key',
      records: [call(start), call(start + days(8), { user: 'Bob', ip: '203.0.113.50' })],
    },
  ],
};
