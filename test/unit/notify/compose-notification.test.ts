import type { Incident } from '../../../src/incidents/incident';
import { incidentFrom } from '../../support/incidents';
import { composeNotification } from '../../../src/notify/compose-notification';
import { record } from '../../support/records';

const incident = (overrides: Partial<Incident> = {}): Incident =>
  incidentFrom(record('ScheduleKeyDeletion.assumed-role'), {
    status: 'contained',
    results: [{ outcome: 'applied', before: { state: 'PendingDeletion' }, after: { state: 'Enabled' } }],
    ...overrides,
  });

describe('the on-call notification', () => {
  it('names the incident, the key, the principal, what was done and the next step', () => {
    const { subject, text, incidentId } = composeNotification(incident());
    expect(incidentId).toMatch(/^kw-20190101-[0-9a-f]{12}$/);
    expect(subject).toBe(`[kms-warden] CRITICAL A KMS key was scheduled for deletion: contained (${incidentId})`);
    expect(text).toContain(`Incident:   ${incidentId} (contained)`);
    expect(text).toContain('Key:        arn:aws:kms:us-west-2:123456789012:key/1');
    expect(text).toContain('Principal:  arn:aws:iam::123456789012:role/tester');
    expect(text).toContain(
      'cancel the scheduled deletion of arn:aws:kms:us-west-2:123456789012:key/1 and enable it again: done: key state PendingDeletion -> Enabled',
    );
    expect(text).toContain('from 111.111.111.111 (user agent Mozilla), CloudTrail event 1.');
    expect(text).toContain('assumed Enabled');
    expect(text).toMatch(/Next step: Ask the owner of arn:aws:iam::123456789012:role\/tester/);
  });

  it('says plainly when containment failed and what to check', () => {
    const { subject, text } = composeNotification(
      incident({
        status: 'open',
        results: [{ outcome: 'failed', error: 'ThrottlingException', message: 'Rate exceeded' }],
      }),
    );
    expect(subject).toContain('containment FAILED');
    expect(text).toContain('FAILED: ThrottlingException: Rate exceeded');
    expect(text).toContain('Next step: Containment did not finish and will be retried.');
  });

  it('says when nothing was done', () => {
    const reported = incident({ plan: [], results: [] });
    const byAdministrator = {
      ...reported,
      signal: { ...reported.signal, evidence: { ...reported.signal.evidence, callerIsKeyAdministrator: true } },
    };
    const { subject, text } = composeNotification(byAdministrator);
    expect(subject).toContain('no action taken');
    expect(text).toContain('nothing (the caller is a key administrator)');
  });
});

describe('notifications for signals other than a deletion', () => {
  it('leaves out the prior key state and says nothing automatic was done', () => {
    const { text } = composeNotification(
      incidentFrom(record('DisableKeyRotation.iam-user'), { plan: [], results: [], status: 'contained' }),
    );
    expect(text).not.toContain('Key state before');
    expect(text).toContain('nothing automatic: this signal is reported for a person to judge');
    expect(text).toContain('Next step: No action was taken.');
  });
});

describe('where the incident stands, in the first line', () => {
  const plan = (run: 'automatic' | 'approval') => [
    { type: 'disable-key' as const, params: { keyArn: 'arn:aws:kms:us-west-2:123456789012:key/1' }, run },
  ];

  it('says a dry run applied nothing', () => {
    const dry = incidentFrom(record('ScheduleKeyDeletion.assumed-role'), {
      status: 'contained',
      dryRun: true,
      plan: plan('automatic'),
      results: [{ outcome: 'not-run', reason: 'dry run: planned, not applied' }],
    });
    const { subject, text } = composeNotification(dry);
    expect(subject).toContain('DRY RUN, nothing applied');
    expect(text).toContain('Next step: kms-warden is in dry run');
  });

  it('says a decision is awaited when steps were only offered, and names the risk of disabling', () => {
    const offered = incidentFrom(record('ScheduleKeyDeletion.assumed-role'), {
      status: 'contained',
      plan: plan('approval'),
      results: [{ outcome: 'not-run', reason: 'disabling a key stops every workload that uses it: a person decides' }],
    });
    const { subject, text } = composeNotification(offered);
    expect(subject).toContain('awaiting a decision');
    expect(text).toContain(
      'every workload that uses the key fails until it is enabled again: not run: disabling a key stops every workload',
    );
    expect(text).toContain('decide on each step marked "not run"');
  });
});
