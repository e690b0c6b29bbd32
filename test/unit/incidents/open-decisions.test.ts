import type { ActionResult } from '../../../src/actions/action';
import type { PlannedAction } from '../../../src/actions';
import type { Incident } from '../../../src/incidents/incident';
import { isOpenDecision, openDecisions, transitions, type IncidentStatus } from '../../../src/incidents/lifecycle';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

const base = incidentFrom(record('ScheduleKeyDeletion.assumed-role'));
const keyArn = base.keyArn!;
const cancel: PlannedAction = {
  type: 'cancel-key-deletion',
  params: { keyArn, restoreState: 'Enabled' },
  run: 'automatic',
};
const disable: PlannedAction = { type: 'disable-key', params: { keyArn }, run: 'approval' };
const applied: ActionResult = { outcome: 'applied', before: { state: 'PendingDeletion' }, after: { state: 'Enabled' } };
const offered: ActionResult = { outcome: 'not-run', reason: 'offered for approval' };

/** A high-severity incident whose containment applied a reversible step and offered disabling the key. */
const incident = (status: IncidentStatus, overrides: Partial<Incident> = {}): Incident => ({
  ...base,
  severity: 'high',
  signal: { ...base.signal, severity: 'high' },
  status,
  plan: [cancel, disable],
  results: [applied, offered],
  ...overrides,
});

const open = (i: Incident) =>
  openDecisions(i).map((d) => `${d.action}${d.asked ? ' asked' : ''}${d.linked ? ' linked' : ''}`);

describe('the decisions an incident can still take (one definition for links, the endpoint and reminders)', () => {
  it.each<[IncidentStatus, string[]]>([
    ['open', ['disable-key asked linked', 'release linked']],
    ['contained', ['approve-rekey asked linked', 'disable-key asked linked', 'release linked']],
    ['awaiting-approval', ['approve-rekey asked linked', 'disable-key asked linked', 'release linked', 'reject']],
    ['approved', []],
    // A rejection is already releasing: its executor undoes and moves on; no second release.
    ['rejected', ['disable-key asked linked']],
    ['re-keying', []],
    ['re-keyed', []],
    ['deletion-scheduled', []],
    ['released', []],
    ['closed', []],
  ])('%s: %j', (status, expected) => {
    expect(open(incident(status))).toEqual(expected);
  });

  it('covers every status of the lifecycle', () => {
    expect(Object.keys(transitions).sort()).toEqual([
      'approved',
      'awaiting-approval',
      'closed',
      'contained',
      'deletion-scheduled',
      'open',
      're-keyed',
      're-keying',
      'rejected',
      'released',
    ]);
  });

  it('asks for the old key deletion once re-keying verified and asked, and only until someone approved it', () => {
    const asked = incident('re-keyed', {
      rekey: {
        startedAt: 't',
        startedBy: 'a',
        oldKeyArn: keyArn,
        pendingWindowDays: 30,
        resources: {},
        deletionRequestedAt: '2026-11-29T00:00:00.000Z',
      },
    });
    expect(open(asked)).toEqual(['approve-deletion asked linked']);
    expect(
      openDecisions({ ...asked, decisions: [{ action: 'approve-deletion', by: 'a', channel: 'cli', at: 't' }] }),
    ).toEqual([]);
  });

  it('asks for re-keying only for a high or critical incident about a key, not a dry run; a person may choose it for any', () => {
    const rekey = (overrides: Partial<Incident>) =>
      openDecisions(incident('contained', overrides)).find((d) => d.action === 'approve-rekey');
    expect(rekey({ severity: 'medium', signal: { ...base.signal, severity: 'medium' } })).toEqual({
      action: 'approve-rekey',
      asked: false,
      linked: false,
    });
    expect(rekey({ dryRun: true })).toEqual({ action: 'approve-rekey', asked: false, linked: false });
    expect(rekey({ severity: 'critical', signal: { ...base.signal, severity: 'critical' } })).toEqual({
      action: 'approve-rekey',
      asked: true,
      linked: true,
    });
    // Still a decision the endpoint takes (the CLI's `rekey approve`): open, just not asked for.
    expect(
      isOpenDecision(
        incident('contained', { severity: 'medium', signal: { ...base.signal, severity: 'medium' } }),
        'approve-rekey',
      ),
    ).toBe(true);
    expect(isOpenDecision(incident('contained', { keyArn: undefined }), 'approve-rekey')).toBe(false);
    expect(isOpenDecision(incident('approved'), 'approve-rekey')).toBe(false);
  });

  it('lets a key be disabled once, asked only when containment offered it', () => {
    const notOffered = incident('contained', { plan: [cancel], results: [applied] });
    expect(openDecisions(notOffered)).toContainEqual({ action: 'disable-key', asked: false, linked: false });
    const decided = incident('contained', { decisions: [{ action: 'disable-key', by: 'a', channel: 'cli', at: 't' }] });
    expect(isOpenDecision(decided, 'disable-key')).toBe(false);
    // A disable AWS refused leaves the decision open: a person may try again once the cause is fixed.
    const failed = incident('contained', {
      decisions: [
        {
          action: 'disable-key',
          by: 'a',
          channel: 'cli',
          at: 't',
          results: [{ outcome: 'failed', error: 'ThrottlingException', message: 'Rate exceeded' }],
        },
      ],
    });
    expect(isOpenDecision(failed, 'disable-key')).toBe(true);
    const done = incident('contained', {
      decisions: [{ action: 'disable-key', by: 'a', channel: 'cli', at: 't', results: [applied] }],
    });
    expect(isOpenDecision(done, 'disable-key')).toBe(false);
    expect(openDecisions(incident('contained', { dryRun: true }))).toContainEqual({
      action: 'disable-key',
      asked: false,
      linked: false,
    });
  });

  it('links release only when a reversible step changed something, and asks for it while offered steps wait undecided', () => {
    expect(
      openDecisions(
        incident('contained', {
          plan: [disable],
          results: [offered],
          severity: 'low',
          signal: { ...base.signal, severity: 'low' },
        }),
      ),
    ).toEqual([
      { action: 'approve-rekey', asked: false, linked: false },
      { action: 'disable-key', asked: true, linked: true },
      { action: 'release', asked: false, linked: false },
    ]);
    const quarantineOffered: PlannedAction = {
      type: 'quarantine-principal',
      params: { principalArn: 'arn:aws:iam::123456789012:role/ci', sessionsIssuedBefore: 't' },
      run: 'approval',
    };
    const waiting = incident('contained', {
      plan: [quarantineOffered],
      results: [offered],
      severity: 'low',
      signal: { ...base.signal, severity: 'low' },
    });
    expect(openDecisions(waiting)).toEqual([
      { action: 'approve-rekey', asked: false, linked: false },
      { action: 'disable-key', asked: false, linked: false },
      { action: 'release', asked: true, linked: false },
    ]);
    expect(
      openDecisions({ ...waiting, decisions: [{ action: 'disable-key', by: 'a', channel: 'cli', at: 't' }] }),
    ).toEqual([
      { action: 'approve-rekey', asked: false, linked: false },
      { action: 'release', asked: false, linked: false },
    ]);
  });

  it("does not wait on an offer a later step of the story applied to the same principal (it is no one's to decide)", () => {
    const quarantine = (at: string): PlannedAction => ({
      type: 'quarantine-principal',
      params: { principalArn: 'arn:aws:iam::123456789012:role/ci', sessionsIssuedBefore: at },
      run: 'approval',
    });
    const quarantined: ActionResult = {
      outcome: 'applied',
      before: {},
      after: { inlinePolicy: 'KmsWardenQuarantine' },
    };
    // The enumeration's quarantine was offered; the grant's, minutes later, applied it.
    const story = incident('contained', {
      plan: [quarantine('t1'), { ...quarantine('t2'), run: 'automatic' }],
      results: [offered, quarantined],
      severity: 'low',
      signal: { ...base.signal, severity: 'low' },
    });
    expect(openDecisions(story).find((d) => d.action === 'release')).toEqual({
      action: 'release',
      asked: false,
      linked: true,
    });
    // Another principal's quarantine applied leaves this one's offer waiting.
    const elsewhere: PlannedAction = {
      type: 'quarantine-principal',
      params: { principalArn: 'arn:aws:iam::123456789012:role/x', sessionsIssuedBefore: 't2' },
      run: 'automatic',
    };
    const other: Incident = { ...story, plan: [quarantine('t1'), elsewhere] };
    expect(openDecisions(other).find((d) => d.action === 'release')).toMatchObject({ asked: true });
  });
});
