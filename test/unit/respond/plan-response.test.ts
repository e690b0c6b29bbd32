import {
  defaultDetectionSettings,
  detectInFinding,
  detectSignals,
  type PlanningFacts,
  type Signal,
} from '../../../src/detections';
import { accountOfKey } from '../../../src/events/accounts';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { keyFactsFrom, trustedContainmentTags, type KeyMode } from '../../../src/policy/key-facts';
import { planResponse } from '../../../src/respond/plan-response';
import { apiCallCases, classified, inputCases, statefulCases } from '../../support/detection-cases';
import { InMemoryDetectionMemory } from '../../../src/state/in-memory-detection-memory';
import { byRoot, record, responderRoles, withRequest } from '../../support/records';
import { policyRefOf } from '../../../src/state/policy-texts';

const settings = { ...defaultDetectionSettings, keyAdministrators: ['arn:aws:iam::111122223333:user/Alice'] };
const options = { responderRoles };

/** The signal a detector raises on its first match fixture. */
const signalOf = (detector: string): Signal => {
  if (apiCallCases[detector]) {
    // The first fixture not made by a key administrator.
    const fixture =
      apiCallCases[detector].match.find((c) => !c.record.userIdentity?.arn?.endsWith('user/Alice')) ??
      apiCallCases[detector].match[0]!;
    return detectSignals(normaliseKmsApiCall(fixture.record, options), settings).find((s) => s.detector === detector)!;
  }
  if (statefulCases[detector]) {
    const memory = new InMemoryDetectionMemory();
    const signals = statefulCases[detector].match[0]!.records.flatMap((r) =>
      detectSignals(normaliseKmsApiCall(r, options), settings, memory),
    );
    return signals.find((s) => s.detector === detector)!;
  }
  const event = classified(inputCases[detector]!.match[0]!.input);
  return event.kind === 'guardduty-finding' ? detectInFinding(event.finding, settings)[0]! : (undefined as never);
};

const facts = (
  mode: KeyMode,
  overrides: { protected?: boolean; tags?: Record<string, string> } = {},
): PlanningFacts => ({
  priorKeyState: { state: 'Enabled', basis: 'assumed' },
  key: {
    ...keyFactsFrom('k', overrides.tags ?? { 'kms-warden:mode': mode }, { defaultMode: 'contain', protectedKeys: [] }),
    ...(overrides.protected ? { protected: true } : {}),
  },
  trustedAccounts: [],
  responderRoles,
  ownAccount: '111122223333',
  now: '2026-11-28T12:00:00.000Z',
});

/** The account kms-warden acts in, as the pipeline picks it without ACCOUNT_ID: the key's, else the event's. */
const inItsAccount = (signal: Signal, f: PlanningFacts): PlanningFacts => ({
  ...f,
  ownAccount: (signal.keyArn ? accountOfKey(signal.keyArn) : undefined) ?? signal.source.accountId,
});
const planFor = (signal: Signal, f: PlanningFacts) => planResponse(signal, inItsAccount(signal, f));
const shape = (signal: Signal, f: PlanningFacts) => planFor(signal, f).map((step) => `${step.type}:${step.run}`);

const isolateAuto = [
  'deny-principal-in-key-policy:automatic',
  'revoke-grants:automatic',
  'quarantine-principal:automatic',
];
const isolateOffered = [
  'deny-principal-in-key-policy:approval',
  'revoke-grants:approval',
  'quarantine-principal:approval',
];

describe('the response policy: detector x key mode x guards -> plan', () => {
  it.each([
    ['key-deletion-scheduled', 'contain', {}, ['cancel-key-deletion:automatic', ...isolateAuto]],
    ['key-deletion-scheduled', 'observe', {}, ['cancel-key-deletion:approval', ...isolateOffered]],
    ['key-disabled', 'contain', {}, isolateAuto],
    ['key-disabled', 'lockdown', {}, isolateAuto],
    // No earlier policy known (no journal in these facts): the openings are taken out of the policy as it stands.
    [
      'key-policy-cross-account',
      'contain',
      {},
      ['close-open-key-policy:automatic', ...isolateAuto, 'disable-key:approval'],
    ],
    [
      'key-policy-cross-account',
      'lockdown',
      {},
      ['close-open-key-policy:automatic', ...isolateAuto, 'disable-key:automatic'],
    ],
    [
      'key-policy-cross-account',
      'lockdown',
      { protected: true },
      ['close-open-key-policy:automatic', ...isolateAuto, 'disable-key:approval'],
    ],
    [
      'key-policy-cross-account',
      'observe',
      {},
      ['close-open-key-policy:approval', ...isolateOffered, 'disable-key:approval'],
    ],
    ['grant-external-principal', 'contain', {}, [...isolateAuto, 'disable-key:approval']],
    ['rotation-disabled', 'contain', {}, ['enable-key-rotation:automatic']],
    ['rotation-disabled', 'lockdown', {}, ['enable-key-rotation:automatic']],
    ['imported-material-deleted', 'lockdown', {}, isolateAuto],
    ['key-material-imported', 'contain', {}, isolateOffered],
    ['alias-retargeted', 'contain', {}, isolateOffered],
    // The caller belongs to another account: denied here, and its own account's people asked to revoke it.
    [
      'cross-account-key-use',
      'contain',
      {},
      [
        'deny-principal-in-key-policy:automatic',
        'revoke-grants:automatic',
        'ask-a-person:automatic',
        'disable-key:approval',
      ],
    ],
    ['access-denied-burst', 'contain', {}, [...isolateOffered, 'disable-key:approval']],
    ['usage-spike', 'lockdown', {}, [...isolateOffered, 'disable-key:automatic']],
    ['new-principal-for-key', 'contain', {}, isolateOffered],
    ['guardduty-credential-compromise', 'lockdown', {}, ['quarantine-principal:automatic']],
  ] as const)('%s in %s mode %j', (detector, mode, guards, expected) => {
    expect(shape(signalOf(detector), facts(mode, guards))).toEqual(expected);
  });

  it.each([
    // The writer chose the outside key: the attacker, isolated at once (the key is the outsider's: no deny on it).
    ['PutObject under a key of another account', ['quarantine-principal:automatic']],
    // The bucket's default chose it: the writer is likelier a workload; the bucket is for a person to fix.
    [
      "PutObject encrypted by the bucket's default, an outside key",
      ['ask-a-person:automatic', 'quarantine-principal:approval'],
    ],
    // Whoever made the outside key the bucket's default set the trap: isolated, and the bucket is for a person.
    [
      "PutBucketEncryption making an outside key the bucket's default",
      ['quarantine-principal:automatic', 'ask-a-person:automatic'],
    ],
    // Through a stack: likelier a pipeline aimed at a central key account not listed as trusted: offered.
    [
      'PutBucketEncryption by a stack (invokedBy CloudFormation) setting an outside key',
      ['quarantine-principal:approval', 'ask-a-person:automatic'],
    ],
  ] as const)('answers external-key-encryption by how the key came to be used: %s', (name, expected) => {
    const fixture = apiCallCases['external-key-encryption']!.match.find((c) => c.name === name)!;
    // Not Alice: this file's settings make her a key administrator.
    const byMallory = {
      ...fixture.record,
      userIdentity: {
        ...fixture.record.userIdentity,
        arn: 'arn:aws:iam::111122223333:user/Mallory',
        userName: 'Mallory',
      },
    };
    const signal = detectSignals(normaliseKmsApiCall(byMallory, options), settings).find(
      (s) => s.detector === 'external-key-encryption',
    )!;
    // The account the data was written in: the key is the outsider's (organization.ts never acts in the key's account).
    const plan = planResponse(signal, { ...facts('contain'), ownAccount: '111122223333' });
    expect(plan.map((step) => `${step.type}:${step.run}`)).toEqual(expected);
  });

  it('does nothing to a key administrator scheduling a deletion', () => {
    const signal = detectSignals(normaliseKmsApiCall(record('ScheduleKeyDeletion.iam-user'), options), settings)[0]!;
    expect(planFor(signal, facts('lockdown'))).toEqual([]);
  });

  it('keeps a cancelled deletion Disabled in lockdown', () => {
    const [cancel] = planFor(signalOf('key-deletion-scheduled'), facts('lockdown'));
    expect(cancel).toMatchObject({
      type: 'cancel-key-deletion',
      params: { restoreState: 'Disabled' },
      run: 'automatic',
    });
  });

  it('restores the policy the suspect replaced, when kms-warden saw the one before', () => {
    const signal = detectSignals(
      normaliseKmsApiCall(
        withRequest(record('PutKeyPolicy.default-policy'), {
          policy: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*"}]}',
        }),
        options,
      ),
      settings,
    ).find((s) => s.detector === 'key-policy-public')!;
    const policyHistory = {
      current: {
        policy: 'open',
        changedBy: signal.principal.arn,
        eventId: signal.source.eventId,
        eventTime: signal.source.eventTime,
      },
      previous: { policy: 'earlier', changedBy: 'admin', eventId: 'e0', eventTime: '2020-01-01T00:00:00.000Z' },
    };
    // By reference: the texts (up to 32 KB each) are stored apart from the incident.
    expect(planFor(signal, { ...facts('contain'), policyHistory })[0]).toEqual({
      type: 'restore-key-policy',
      params: { keyArn: signal.keyArn, policyRef: policyRefOf('earlier'), replacedPolicyRef: policyRefOf('open') },
      run: 'automatic',
    });
  });

  it('takes the openings out of a policy when no earlier one is known, and only then', () => {
    const signal = detectSignals(
      normaliseKmsApiCall(
        withRequest(record('PutKeyPolicy.default-policy'), {
          policy: '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*"}]}',
        }),
        options,
      ),
      settings,
    ).find((s) => s.detector === 'key-policy-public')!;
    expect(planFor(signal, facts('contain'))[0]).toEqual({
      type: 'close-open-key-policy',
      params: { keyArn: signal.keyArn, ownAccount: '111122223333', trustedAccounts: [] },
      run: 'automatic',
    });
  });

  it('changes nothing on an AWS managed key, and tells a person why', () => {
    const plan = planFor(signalOf('key-disabled'), { ...facts('lockdown'), awsManagedKey: true });
    expect(plan.map((step) => step.type)).toEqual(['quarantine-principal', 'ask-a-person']);
    expect(plan[1]).toMatchObject({ params: { why: expect.stringContaining('AWS managed key') } });
  });

  it('contains an IAM Identity Center role through the key policy, and asks a person to end its sessions', () => {
    const sso = 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef';
    const base = signalOf('key-disabled');
    const signal = {
      ...base,
      principal: { ...base.principal, kind: 'identity-center' as const, arn: sso, sessionName: 'mallory@example.com' },
    };
    const plan = planFor(signal, facts('contain'));
    expect(plan.map((step) => `${step.type}:${step.run}`)).toEqual([
      'deny-principal-in-key-policy:automatic',
      'revoke-grants:automatic',
      'ask-a-person:automatic',
    ]);
    expect(plan[2]).toMatchObject({ params: { what: expect.stringContaining('IAM Identity Center') } });
  });

  describe('asks the principal guard, as the actions do', () => {
    const asSuspect = (arn: string, detector: 'key-disabled' | 'guardduty-credential-compromise' = 'key-disabled') => {
      const base = signalOf(detector);
      return { ...base, principal: { ...base.principal, kind: 'assumed-role' as const, arn } };
    };
    const serviceLinked =
      'arn:aws:iam::111122223333:role/aws-service-role/elasticmapreduce.amazonaws.com/AWSServiceRoleForEMRCleanup';

    it('offers the deny of a service-linked role for approval, takes no grants, and asks a person to find the resource', () => {
      const signal = asSuspect(serviceLinked);
      expect(shape(signal, facts('contain'))).toEqual([
        'deny-principal-in-key-policy:approval',
        'ask-a-person:automatic',
      ]);
    });

    it('never contains kms-warden’s own role, and asks a person whether kms-warden made the call', () => {
      for (const detector of ['key-disabled', 'guardduty-credential-compromise'] as const) {
        const signal = asSuspect(responderRoles[0]!, detector);
        const keysUsed = [{ keyArn: 'arn:aws:kms:us-east-1:111122223333:key/a', key: facts('lockdown').key }];
        const plan = planFor(signal, { ...facts('lockdown'), keysUsed });
        // The plan is never empty, so the incident cannot read "contained" on nothing done.
        expect(plan.filter((step) => step.type !== 'disable-key').map((step) => step.type)).toEqual(['ask-a-person']);
        expect(plan[0]).toMatchObject({ params: { what: expect.stringContaining('credentials are in other hands') } });
      }
    });

    it('offers the deny of a break-glass principal, quarantines nothing, and asks its holders', () => {
      const breakGlass = 'arn:aws:iam::111122223333:role/ops/BreakGlass';
      const signal = asSuspect(breakGlass);
      const plan = planFor(signal, { ...facts('lockdown'), breakGlass: [breakGlass] });
      expect(plan.filter((step) => step.type !== 'disable-key').map((step) => `${step.type}:${step.run}`)).toEqual([
        'deny-principal-in-key-policy:approval',
        'ask-a-person:automatic',
      ]);
      expect(plan[0]!.params).toMatchObject({ breakGlass: [breakGlass] });
    });

    it('only offers to shut a leaked service-linked role out of the keys it used, even in lockdown', () => {
      const signal = asSuspect(serviceLinked, 'guardduty-credential-compromise');
      const keysUsed = [{ keyArn: 'arn:aws:kms:us-east-1:111122223333:key/a', key: facts('lockdown').key }];
      const plan = planFor(signal, { ...facts('lockdown'), keysUsed });
      expect(plan.filter((step) => step.type === 'deny-principal-in-key-policy').map((step) => step.run)).toEqual([
        'approval',
      ]);
      expect(plan.some((step) => step.type === 'quarantine-principal')).toBe(false);
    });
  });

  it('offers, and does not apply, the quarantine GuardDuty asks for below High (7), by default', () => {
    const signal = signalOf('guardduty-credential-compromise');
    const medium = { ...signal, severity: 'medium' as const, evidence: { ...signal.evidence, guardDutySeverity: 5 } };
    expect(planFor(medium, { ...facts('contain'), guardDutyQuarantineSeverity: 7 })[0]).toMatchObject({
      type: 'quarantine-principal',
      run: 'approval',
      why: expect.stringContaining('below 7'),
    });
    const high = { ...signal, evidence: { ...signal.evidence, guardDutySeverity: 7.5 } };
    expect(planFor(high, { ...facts('contain'), guardDutyQuarantineSeverity: 7 })[0]).toMatchObject({
      type: 'quarantine-principal',
      run: 'automatic',
    });
    expect(planFor(medium, { ...facts('contain'), guardDutyQuarantineSeverity: 4 })[0]).toMatchObject({
      type: 'quarantine-principal',
      run: 'automatic',
    });
  });

  it('puts back kms-warden tags changed by someone who is not a key administrator, as an administrator last set them', () => {
    const base = signalOf('containment-tag-changed');
    const plan = planFor(base, { ...facts('contain'), administratorTags: { 'kms-warden:mode': 'lockdown' } });
    expect(plan[0]).toEqual({
      type: 'restore-key-tags',
      params: { keyArn: base.keyArn, tags: { 'kms-warden:mode': 'lockdown' } },
      run: 'automatic',
    });
    // Never set by an administrator: the tag goes.
    expect(planFor(base, facts('contain'))[0]).toMatchObject({ params: { tags: { 'kms-warden:mode': null } } });
  });

  it('plans with the kms-warden tags a key administrator last set, not with what anyone else tagged since', () => {
    const live = { 'kms-warden:mode': 'observe', team: 'payments' };
    // Observe is weaker than the default: it counts only as a key administrator's setting, whatever order events came
    // in.
    expect(trustedContainmentTags(live, {}, 'contain')).toEqual({
      tags: { team: 'payments' },
      source: expect.stringContaining('no key administrator set it'),
    });
    expect(
      trustedContainmentTags(
        live,
        { administrator: { eventTime: '2026-11-01T00:00:00Z', values: { 'kms-warden:mode': 'observe' } } },
        'contain',
      ).tags,
    ).toEqual(live);
    expect(trustedContainmentTags(live, {}, 'observe').tags).toEqual(live);
    // Stricter than the default, or protected, the live tag stands.
    expect(
      trustedContainmentTags({ 'kms-warden:mode': 'lockdown', 'kms-warden:protected': 'true' }, {}, 'contain').tags,
    ).toEqual({ 'kms-warden:mode': 'lockdown', 'kms-warden:protected': 'true' });
    expect(trustedContainmentTags(live, { tampered: { eventTime: '2026-11-28T10:00:00Z' } }).tags).toEqual({
      team: 'payments',
    });
    const administrator = { eventTime: '2026-11-01T00:00:00Z', values: { 'kms-warden:mode': 'lockdown' } };
    expect(
      trustedContainmentTags(live, { administrator, tampered: { eventTime: '2026-11-28T10:00:00Z' } }),
    ).toMatchObject({
      tags: { team: 'payments', 'kms-warden:mode': 'lockdown' },
      source: expect.stringContaining('not a key administrator'),
    });
    // An administrator's change after the tampering is the setting again.
    expect(
      trustedContainmentTags(
        { ...live, 'kms-warden:mode': 'contain' },
        {
          administrator: { eventTime: '2026-11-29T00:00:00Z', values: { 'kms-warden:mode': 'contain' } },
          tampered: { eventTime: '2026-11-28T10:00:00Z' },
        },
      ).tags,
    ).toMatchObject({ 'kms-warden:mode': 'contain' });
  });

  it('offers, never runs, the quarantine of root', () => {
    const signal = detectSignals(normaliseKmsApiCall(byRoot(record('DisableKey.iam-user')), options), settings).find(
      (s) => s.detector === 'key-disabled',
    )!;
    expect(shape(signal, facts('contain'))).toContain('quarantine-principal:approval');
  });

  it('reads the mode from the tag, falls back to the default, and says which', () => {
    expect(
      keyFactsFrom('k', { 'kms-warden:mode': 'LOCKDOWN' }, { defaultMode: 'contain', protectedKeys: [] }),
    ).toMatchObject({ mode: 'lockdown' });
    expect(
      keyFactsFrom('k', { 'kms-warden:mode': 'panic' }, { defaultMode: 'observe', protectedKeys: [] }),
    ).toMatchObject({ mode: 'observe', modeSource: expect.stringContaining('not a mode') });
    expect(
      keyFactsFrom('k', { 'kms-warden:protected': 'true' }, { defaultMode: 'contain', protectedKeys: [] }),
    ).toMatchObject({ protected: true });
    expect(keyFactsFrom('k', {}, { defaultMode: 'contain', protectedKeys: ['k'] })).toMatchObject({ protected: true });
  });

  it('shuts a leaked credential out of every key it used, each key as its mode says', () => {
    const signal = signalOf('guardduty-credential-compromise');
    const keyFacts = (mode: KeyMode, isProtected = false) => ({
      ...keyFactsFrom('k', { 'kms-warden:mode': mode }, { defaultMode: 'contain', protectedKeys: [] }),
      protected: isProtected,
    });
    const plan = planFor(
      { ...signal, severity: 'high' },
      {
        ...facts('contain'),
        keysUsed: [
          { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/a', key: keyFacts('contain') },
          { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/b', key: keyFacts('lockdown') },
          { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/c', key: keyFacts('observe') },
          { keyArn: 'arn:aws:kms:us-east-1:123456789012:key/d', key: keyFacts('lockdown', true) },
        ],
      },
    );
    expect(
      plan.map((step) => `${step.type}:${'keyArn' in step.params ? step.params.keyArn.slice(-1) : '-'}:${step.run}`),
    ).toEqual([
      'quarantine-principal:-:automatic',
      'deny-principal-in-key-policy:a:automatic',
      'revoke-grants:a:automatic',
      'disable-key:a:approval',
      'deny-principal-in-key-policy:b:automatic',
      'revoke-grants:b:automatic',
      'disable-key:b:automatic',
      'deny-principal-in-key-policy:c:approval',
      'revoke-grants:c:approval',
      'disable-key:c:approval',
      'deny-principal-in-key-policy:d:automatic',
      'revoke-grants:d:automatic',
      'disable-key:d:approval',
    ]);
  });
});

describe("a key of another account than the event's", () => {
  it('is acted on only with a person’s approval: its ARN may be what the caller wrote', () => {
    const inB = signalOf('key-deletion-scheduled');
    const keyOfC = inB.keyArn!.replace(/:\d{12}:/, ':333344445555:');
    const signal: Signal = { ...inB, keyArn: keyOfC };
    const plan = planResponse(signal, { ...facts('contain'), ownAccount: inB.source.accountId });
    const onKey = plan.filter((step) => 'keyArn' in step.params);
    expect(onKey.length).toBeGreaterThan(0);
    for (const step of onKey) {
      expect(step.run).toBe('approval');
      expect(step.why).toContain(`the key is in account 333344445555, not ${inB.source.accountId}`);
    }
    // The same signal about the event's own account's key runs on its own.
    expect(planResponse(inB, facts('contain')).find((s) => s.type === 'cancel-key-deletion')?.run).toBe('automatic');
  });
});
