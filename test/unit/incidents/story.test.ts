import type { Signal } from '../../../src/detections';
import { rekeyCandidates, signalEntryOf, storyAfter, titleOf } from '../../../src/incidents/incident';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';
import {
  activityOf,
  storyKeyOf,
  storySeverity,
  widen,
  windowOf,
  withinWindow,
  type StoryStep,
} from '../../../src/incidents/story';

const role = 'arn:aws:iam::111122223333:role/team/ci-deployer';
const principal = (changes: Partial<Signal['principal']> = {}): Signal['principal'] => ({
  kind: 'assumed-role',
  arn: role,
  sessionName: 'build-42',
  ...changes,
});

describe('the story a signal belongs to', () => {
  it('is the role behind every session, with or without its path (GuardDuty names roles without one)', () => {
    const cloudTrail = storyKeyOf({ detector: 'key-enumeration', principal: principal() });
    expect(cloudTrail).toBe('story|arn:aws:iam::111122223333:role/ci-deployer');
    expect(
      storyKeyOf({
        detector: 'guardduty-credential-compromise',
        principal: principal({ arn: 'arn:aws:iam::111122223333:role/ci-deployer', sessionName: 'other' }),
      }),
    ).toBe(cloudTrail);
  });

  it('is the user behind its access keys, and differs between accounts and principals', () => {
    const user = (arn: string, accessKeyId: string) =>
      storyKeyOf({ detector: 'new-source-for-principal', principal: { kind: 'iam-user', arn, accessKeyId } });
    expect(user('arn:aws:iam::111122223333:user/alice', 'AKIA1')).toBe(
      user('arn:aws:iam::111122223333:user/alice', 'AKIA2'),
    );
    expect(user('arn:aws:iam::111122223333:user/alice', 'AKIA1')).not.toBe(
      user('arn:aws:iam::444455556666:user/alice', 'AKIA1'),
    );
    expect(user('arn:aws:iam::111122223333:user/alice', 'AKIA1')).not.toBe(
      user('arn:aws:iam::111122223333:user/bob', 'AKIA1'),
    );
  });

  it("splits an Identity Center role by session: a permission set's role is many people", () => {
    const person = (sessionName: string) =>
      storyKeyOf({
        detector: 'key-disabled',
        principal: principal({
          kind: 'identity-center',
          arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123',
          sessionName,
        }),
      });
    expect(person('alice@example.com')).not.toBe(person('bob@example.com'));
  });

  it('is none for AWS services, unknown callers and operators (their signals group as before)', () => {
    expect(
      storyKeyOf({
        detector: 'rotation-noncompliant',
        principal: { kind: 'aws-service', arn: 'config.amazonaws.com' },
      }),
    ).toBeUndefined();
    expect(storyKeyOf({ detector: 'key-disabled', principal: { kind: 'unknown', arn: 'unknown' } })).toBeUndefined();
    expect(storyKeyOf({ detector: 'operator-rekey', principal: principal() })).toBeUndefined();
  });
});

describe('when a signal happened', () => {
  const source = { eventTime: '2026-11-28T12:00:00Z' } as Signal['source'];
  it("is CloudTrail's event time", () => {
    expect(activityOf({ source, evidence: {} })).toEqual({
      from: '2026-11-28T12:00:00.000Z',
      to: '2026-11-28T12:00:00.000Z',
    });
  });
  it("is GuardDuty's first to last sight of the activity, not the finding's creation", () => {
    expect(
      activityOf({
        source,
        evidence: { eventFirstSeen: '2026-11-28T09:00:00Z', eventLastSeen: '2026-11-28T10:00:00Z' },
      }),
    ).toEqual({ from: '2026-11-28T09:00:00.000Z', to: '2026-11-28T10:00:00.000Z' });
  });
  it('ignores sightings that are no time, or end before they begin', () => {
    expect(activityOf({ source, evidence: { eventFirstSeen: 'soon', eventLastSeen: 7 } }).from).toBe(
      '2026-11-28T12:00:00.000Z',
    );
    expect(
      activityOf({
        source,
        evidence: { eventFirstSeen: '2026-11-28T09:00:00Z', eventLastSeen: '2026-11-28T08:00:00Z' },
      }),
    ).toEqual({ from: '2026-11-28T09:00:00.000Z', to: '2026-11-28T09:00:00.000Z' });
  });
});

describe('a story window', () => {
  const at = (time: string) => ({ from: time, to: time });
  it('takes what falls within the window hours of any step, and grows as steps join', () => {
    const window = windowOf(at('2026-11-28T12:00:00.000Z'), 6);
    expect(withinWindow(window, at('2026-11-28T17:59:00.000Z'))).toBe(true);
    expect(withinWindow(window, at('2026-11-28T18:01:00.000Z'))).toBe(false);
    expect(withinWindow(window, at('2026-11-28T05:59:00.000Z'))).toBe(false);
    const grown = widen(window, at('2026-11-28T17:00:00.000Z'), 6);
    expect(withinWindow(grown, at('2026-11-28T22:59:00.000Z'))).toBe(true);
    expect(grown.since).toBe(window.since);
  });
});

describe("a story's severity", () => {
  const step = (detector: string, severity: StoryStep['severity'], minute: number, keyArn?: string): StoryStep => ({
    detector,
    severity,
    at: new Date(Date.UTC(2026, 10, 28, 12, minute)).toISOString(),
    keyArn,
  });

  it('is critical for the stolen-role attack though no step is: reconnaissance followed by destruction', () => {
    expect(
      storySeverity([
        step('key-enumeration', 'medium', 0),
        step('access-denied-burst', 'high', 2, 'k1'),
        step('new-source-for-principal', 'medium', 3, 'k1'),
        step('grant-external-principal', 'high', 4, 'k1'),
        step('key-deletion-scheduled', 'high', 5, 'k1'),
      ]),
    ).toEqual({ severity: 'critical', reason: 'reconnaissance followed by destruction' });
  });

  it('is the worst step alone, without a reason, when the steps make nothing more together', () => {
    expect(storySeverity([step('key-enumeration', 'medium', 0)])).toEqual({ severity: 'medium' });
    expect(storySeverity([step('new-source-for-principal', 'medium', 0), step('usage-spike', 'high', 1)])).toEqual({
      severity: 'high',
    });
  });

  it('reads the order of events: destruction before reconnaissance is not "followed by"', () => {
    expect(
      storySeverity([step('key-deletion-scheduled', 'high', 0, 'k1'), step('key-enumeration', 'medium', 5)]),
    ).toEqual({ severity: 'high' });
  });

  it('counts no step below medium (a key administrator disabling a key is expected)', () => {
    expect(storySeverity([step('key-enumeration', 'medium', 0), step('key-disabled', 'low', 5, 'k1')])).toEqual({
      severity: 'medium',
    });
  });

  it('raises destruction across keys, a GuardDuty compromise that changed keys, and three stages', () => {
    expect(
      storySeverity([step('key-disabled', 'high', 0, 'k1'), step('key-deletion-scheduled', 'high', 1, 'k2')]),
    ).toEqual({ severity: 'critical', reason: 'destruction across 2 keys' });
    expect(
      storySeverity([step('guardduty-credential-compromise', 'high', 0), step('key-policy-public', 'high', 1, 'k1')]),
    ).toEqual({ severity: 'critical', reason: 'GuardDuty found the credential compromised, and it changed keys' });
    expect(
      storySeverity([
        step('new-source-for-principal', 'medium', 0, 'k1'),
        step('rotation-disabled', 'medium', 1, 'k1'),
        step('key-policy-cross-account', 'high', 2, 'k1'),
      ]),
    ).toEqual({
      severity: 'critical',
      reason:
        'a multi-stage attack: use of the credential, then protection weakened, then access handed to an outsider',
    });
    expect(
      storySeverity([step('key-enumeration', 'medium', 0), step('grant-external-principal', 'medium', 1, 'k1')]),
    ).toEqual({ severity: 'high', reason: 'reconnaissance followed by access handed to an outsider' });
  });

  it('never falls as steps are added', () => {
    const steps = [
      step('key-enumeration', 'medium', 0),
      step('key-deletion-scheduled', 'high', 1, 'k1'),
      step('key-disabled', 'low', 2, 'k2'),
      step('new-principal-for-key', 'medium', 3, 'k3'),
    ];
    const rank = { low: 0, medium: 1, high: 2, critical: 3 };
    let last = 0;
    for (let n = 1; n <= steps.length; n += 1) {
      const now = rank[storySeverity(steps.slice(0, n)).severity];
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });
});

describe('a story as an incident keeps it', () => {
  const deletion = incidentFrom(record('ScheduleKeyDeletion.assumed-role'));
  const later = (name: string, eventID: string, changes: Partial<Signal> = {}) => ({
    ...signalEntryOf({ ...incidentFrom({ ...record(name), eventID }).signal, ...changes }, '2026-11-28T12:05:00.000Z'),
  });

  it('never lowers the severity, whatever the steps make', () => {
    // Stored critical by an earlier version's reading; a low step joins.
    const incident = { ...deletion, severity: 'critical' as const };
    const low = later('DisableKey.assumed-role', 'low-step', { severity: 'low' });
    expect(storyAfter(incident, low, 6).severity).toBe('critical');
  });

  it("keeps keys of other accounts out of the story's keys, and never adopts one as the incident's key", () => {
    const outside = 'arn:aws:kms:us-east-1:999988887777:key/outside';
    const noKey = { ...deletion, keyArn: undefined, keys: [] };
    const entry = later('DisableKey.assumed-role', 'outside-step', { keyArn: outside });
    expect(storyAfter(noKey, entry, 6)).toMatchObject({ keys: [], keyArn: undefined });
    const own = later('DisableKey.assumed-role', 'own-step');
    expect(storyAfter(noKey, own, 6)).toMatchObject({ keys: [own.keyArn], keyArn: own.keyArn });
  });

  it('offers for re-keying the keys a step handed out, weakened or attacked, and not those only probed', () => {
    const other = 'arn:aws:kms:us-west-2:123456789012:key/2';
    const probed = 'arn:aws:kms:us-west-2:123456789012:key/3';
    const incident = {
      ...deletion,
      keys: [deletion.keyArn!, other, probed],
      signals: [
        ...deletion.signals,
        { ...later('DisableKey.assumed-role', 'a'), keyArn: other, detector: 'grant-external-principal' },
        { ...later('DisableKey.assumed-role', 'b'), keyArn: probed, detector: 'access-denied-burst' },
        { ...later('DisableKey.assumed-role', 'c'), keyArn: probed, detector: 'key-enumeration' },
      ],
    };
    expect(rekeyCandidates(incident).map((c) => [c.keyArn, c.suggested])).toEqual([
      [deletion.keyArn, true],
      [other, true],
    ]);
  });

  it("titles a story of several kinds of step by its principal and reason, one kind by its signal's title", () => {
    expect(titleOf(deletion)).toBe(deletion.signal.title);
    const story = {
      ...deletion,
      severityReason: 'reconnaissance followed by destruction',
      signals: [...deletion.signals, { ...deletion.signals[0]!, detector: 'key-enumeration' }],
    };
    expect(titleOf(story)).toBe('Attack by role/tester: reconnaissance followed by destruction');
  });
});
