import type { Incident } from '../../../src/incidents/incident';
import { renderRekeyProgress } from '../../../src/notify/rekey-progress';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

const at = '2026-11-28T13:00:00.000Z';
const incident: Incident = {
  ...incidentFrom(record('ScheduleKeyDeletion.assumed-role'), { status: 're-keying' }),
  rekey: {
    startedAt: at,
    startedBy: 'alice',
    oldKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/1',
    pendingWindowDays: 30,
    replacementKeyArn: 'arn:aws:kms:us-west-2:123456789012:key/2',
    aliasesMoved: ['alias/payments'],
    resources: {
      'ssm:us-west-2:parameter:/a': {
        service: 'ssm',
        kind: 'parameter',
        id: '/a',
        region: 'us-west-2',
        status: 're-encrypted',
        detail: 'moved',
        at,
      },
      'ssm:us-west-2:parameter:/b': {
        service: 'ssm',
        kind: 'parameter',
        id: '/b',
        region: 'us-west-2',
        status: 'pending',
        detail: 'found',
        at,
      },
      'rds:us-west-2:db-instance:orders': {
        service: 'rds',
        kind: 'db-instance',
        id: 'orders',
        region: 'us-west-2',
        status: 'needs-human',
        detail: 'copied; cut over',
        instructions: ['1. restore', '2. rename'],
        at,
      },
    },
  },
};

describe('re-key progress for people', () => {
  it('draws a bar per service in a terminal', () => {
    expect(renderRekeyProgress(incident, { tty: true })).toEqual([
      `${incident.id}: re-keying`,
      'old key:         arn:aws:kms:us-west-2:123456789012:key/1',
      'replacement key: arn:aws:kms:us-west-2:123456789012:key/2',
      'aliases moved:   alias/payments',
      'rds             [--------------------] 0/1  1 needs-human',
      'ssm             [##########----------] 1/2  1 re-encrypted, 1 pending',
      'waiting for a person: rds:us-west-2:db-instance:orders: copied; cut over',
      '  1. restore',
      '  2. rename',
    ]);
  });

  it('writes plain lines for a log', () => {
    const lines = renderRekeyProgress(
      {
        ...incident,
        status: 'deletion-scheduled',
        rekey: { ...incident.rekey!, resources: {}, deletionDate: '2026-12-28T00:00:00.000Z' },
      },
      { tty: false },
    );
    expect(lines.every((line) => !line.includes('['))).toBe(true);
    expect(lines.at(-1)).toBe(
      'deletion:        scheduled for 2026-12-28T00:00:00.000Z; to cancel: aws kms cancel-key-deletion --key-id arn:aws:kms:us-west-2:123456789012:key/1',
    );
  });
});
