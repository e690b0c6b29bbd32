import {
  closeStatement,
  closingWithTrustedOrganizations,
  limitsCaller,
} from '../../../src/actions/close-open-key-policy';
import { planResponse } from '../../../src/respond/plan-response';
import { detectSignals, type PlanningFacts } from '../../../src/detections';
import { isDirectSuccessfulCall } from '../../../src/detections/detection';
import { cases as crossAccountCases } from '../../../src/detections/key-policy-cross-account/cases';
import { cases as publicCases } from '../../../src/detections/key-policy-public/cases';
import { accountOfKey } from '../../../src/events/accounts';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { keyFactsFrom } from '../../../src/policy/key-facts';
import { record, withRequest } from '../../support/records';
import { options, settings } from '../detections/settings';

const params = {
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  ownAccount: '111122223333',
  trustedAccounts: ['444455556666'],
  trustedOrganizations: ['o-a1b2c3d4e5'],
};
const open = (Condition?: Record<string, Record<string, unknown>>) => ({
  Sid: 'Open',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: 'kms:Decrypt',
  Resource: '*',
  ...(Condition ? { Condition } : {}),
});

describe('what close-open-key-policy takes out', () => {
  it.each([
    ['no condition', undefined, false],
    ['kms:CallerAccount, this account', { StringEquals: { 'kms:CallerAccount': '111122223333' } }, true],
    ['aws:PrincipalOrgID, a trusted organisation', { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }, true],
    ['aws:PrincipalOrgID, another organisation', { StringEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } }, false],
    [
      'aws:PrincipalOrgPaths, a path in a trusted organisation',
      { 'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': 'o-a1b2c3d4e5/r-ab12/*' } },
      true,
    ],
    ['aws:SourceVpce alone (cannot be tied to the account)', { StringEquals: { 'aws:SourceVpce': 'vpce-1' } }, false],
    ['aws:userid alone', { StringLike: { 'aws:userid': 'AROAATTACKER:*' } }, false],
    ['aws:SourceArn, an S3 bucket (no account)', { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::a-bucket' } }, false],
    [
      'aws:SourceVpc and kms:CallerAccount, this account (conditions are ANDed)',
      { StringEquals: { 'aws:SourceVpc': 'vpc-1', 'kms:CallerAccount': '111122223333' } },
      true,
    ],
    [
      'aws:SourceVpc and aws:PrincipalOrgID, a trusted organisation',
      { StringEquals: { 'aws:SourceVpc': 'vpc-1', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      true,
    ],
    [
      'an outside account in a trusted organisation (only its members pass)',
      { StringEquals: { 'kms:CallerAccount': '999988887777', 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } },
      true,
    ],
    [
      'StringEqualsIfExists aws:PrincipalAccount, this account (service principals pass)',
      { StringEqualsIfExists: { 'aws:PrincipalAccount': '111122223333' } },
      false,
    ],
    [
      'ArnLike aws:SourceArn, this account in any Region',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:*:111122223333:alerts' } },
      true,
    ],
    [
      'StringLike aws:SourceArn, this account in any Region (a string "*" spans fields)',
      { StringLike: { 'aws:SourceArn': 'arn:aws:sns:*:111122223333:alerts' } },
      false,
    ],
    [
      'kms:CallerAccount, a trusted account',
      { StringEquals: { 'kms:CallerAccount': ['111122223333', '444455556666'] } },
      true,
    ],
    ['kms:CallerAccount, any account by wildcard', { StringLike: { 'kms:CallerAccount': '*' } }, false],
    ['kms:CallerAccount, an outside account', { StringEquals: { 'kms:CallerAccount': '999988887777' } }, false],
    ['a negated operator', { StringNotEquals: { 'aws:PrincipalAccount': '000000000000' } }, false],
    [
      'StringEqualsIfExists kms:CallerAccount, this account (in every request: a missing key lets no one pass)',
      { StringEqualsIfExists: { 'kms:CallerAccount': '111122223333' } },
      true,
    ],
    [
      'StringEqualsIfExists aws:PrincipalOrgID (principals in no organisation pass)',
      { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-abc123' } },
      false,
    ],
    [
      'ForAllValues:StringEquals aws:PrincipalOrgID (matches a request without the key)',
      { 'ForAllValues:StringEquals': { 'aws:PrincipalOrgID': 'o-abc123' } },
      false,
    ],
    [
      'StringNotEquals kms:CallerAccount, this account',
      { StringNotEquals: { 'kms:CallerAccount': '111122223333' } },
      false,
    ],
    ['Null on kms:CallerAccount', { Null: { 'kms:CallerAccount': 'false' } }, false],
    [
      'aws:PrincipalArn, a role of this account',
      { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/app-*' } },
      true,
    ],
    [
      'aws:PrincipalArn, a role of an outside account',
      { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::999988887777:role/app' } },
      false,
    ],
    ['aws:PrincipalArn, a role of any account', { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/x' } }, false],
    [
      'kms:ViaService alone (any account through the service)',
      { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      false,
    ],
  ])('an Allow to "*" with %s limits the caller: %s', (_what, condition, limited) => {
    expect(limitsCaller(open(condition), params)).toBe(limited);
    expect(closeStatement(open(condition), params).kept === undefined).toBe(!limited);
  });

  it('takes out an Allow with NotPrincipal (everyone but those named) and leaves a Deny with NotPrincipal', () => {
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    const bob = { AWS: ['arn:aws:iam::444455556666:user/Bob', 'arn:aws:iam::444455556666:root'] };
    const allow = { Effect: 'Allow', NotPrincipal: bob, Action: 'kms:*', Resource: '*' };
    const deny = { ...allow, Effect: 'Deny' };
    expect(closeStatement(allow, params)).toEqual({ kept: undefined, removed: ['*'] });
    expect(closeStatement(deny, params)).toEqual({ kept: deny, removed: [] });
  });

  it('leaves an Allow with NotPrincipal held to this account by kms:CallerAccount', () => {
    const held = {
      Effect: 'Allow',
      NotPrincipal: { AWS: 'arn:aws:iam::111122223333:user/Bob' },
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: { StringEquals: { 'kms:CallerAccount': '111122223333' } },
    };
    expect(closeStatement(held, params)).toEqual({ kept: held, removed: [] });
  });

  describe('with the Deny statements of the policy (an explicit deny overrides an allow)', () => {
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
    const allowAll = { Sid: 'Open', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' };
    const denyAllBut = (Condition: Record<string, Record<string, unknown>>, Action: unknown = 'kms:*') => ({
      Effect: 'Deny',
      Principal: '*',
      Action,
      Resource: '*',
      Condition,
    });

    it.each([
      [
        'outside a trusted organisation',
        denyAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
        true,
      ],
      [
        'of "*" outside this account, IfExists',
        denyAllBut({ StringNotEqualsIfExists: { 'kms:CallerAccount': '111122223333' } }, '*'),
        true,
      ],
      [
        'outside a trusted organisation but AWS service principals',
        denyAllBut({
          StringNotEqualsIfExists: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
          BoolIfExists: { 'aws:PrincipalIsAWSService': 'false' },
        }),
        true,
      ],
      [
        'outside another organisation',
        denyAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } }),
        false,
      ],
      [
        'of one organisation (StringEquals)',
        denyAllBut({ StringEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } }),
        false,
      ],
      [
        'of kms:Decrypt only (the rest of kms:* stays open)',
        denyAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }, 'kms:Decrypt'),
        false,
      ],
      [
        'with a second condition (the deny holds only when both do)',
        denyAllBut({
          StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
          Bool: { 'aws:SecureTransport': 'true' },
        }),
        false,
      ],
      [
        'for all but one role (NotPrincipal)',
        {
          ...denyAllBut({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } }),
          Principal: undefined,
          NotPrincipal: { AWS: 'arn:aws:iam::111122223333:role/a' },
        },
        false,
      ],
    ])('an Allow of kms:* to "*" with a Deny %s is kept: %s', (_what, deny, kept) => {
      const policy = [allowAll, deny];
      expect(closeStatement(allowAll, params, policy).kept === allowAll).toBe(kept);
      expect(closeStatement(allowAll, params).kept).toBeUndefined();
    });
  });

  it('takes outside principals out of a statement and keeps the rest of it', () => {
    const shared = {
      Sid: 'Share',
      Effect: 'Allow',
      Principal: { AWS: ['arn:aws:iam::111122223333:role/app', 'arn:aws:iam::999988887777:root'] },
      Action: 'kms:Decrypt',
      Resource: '*',
    };
    expect(closeStatement(shared, params)).toEqual({
      kept: { ...shared, Principal: { AWS: 'arn:aws:iam::111122223333:role/app' } },
      removed: ['arn:aws:iam::999988887777:root'],
    });
  });
});

describe('close-open-key-policy and the key policy detectors', () => {
  const direct = [publicCases, crossAccountCases]
    .flatMap(({ match, noMatch }) => [...match, ...noMatch])
    .map((c) => ({ name: c.name, call: normaliseKmsApiCall(c.record, options) }))
    .filter(({ call }) => isDirectSuccessfulCall(call) && call.requestParameters.policy !== undefined);

  it.each(direct.map(({ name, call }) => [name, call] as const))(
    'closes what a detector reports, and only that: %s',
    (_name, call) => {
      // Prepare
      const text = call.requestParameters.policy;
      let document: { Statement: Array<Record<string, unknown>> };
      try {
        document = (typeof text === 'string' ? JSON.parse(text) : text) as typeof document;
      } catch {
        return; // not a policy: neither reads it
      }
      const ownAccount = (call.keyArn && accountOfKey(call.keyArn)) ?? call.accountId!;
      const signals = detectSignals(call, settings).filter((s) =>
        ['key-policy-public', 'key-policy-cross-account'].includes(s.detector),
      );
      // The organizations the action trusts come from the signal, as the playbook passes them.
      const steps = closingWithTrustedOrganizations(
        [
          {
            type: 'close-open-key-policy',
            params: { keyArn: 'k', ownAccount, trustedAccounts: [...settings.trustedAccounts] },
            run: 'automatic',
          },
        ],
        signals[0]?.evidence.trustedOrganizations ?? settings.trustedOrganizations,
      );
      const closing = steps[0]!.params as Parameters<typeof closeStatement>[1];
      // Act
      const reported = signals.length > 0;
      const closed = document.Statement.some(
        (statement) => closeStatement(statement, closing, document.Statement).removed.length > 0,
      );
      // Assess
      expect(closed).toBe(reported);
    },
  );
});

describe("the key policy detectors' playbooks and close-open-key-policy", () => {
  const call = (policy: string) =>
    normaliseKmsApiCall(withRequest(record('PutKeyPolicy.default-policy'), { policy }), options);
  const signalOf = (policy: string, detector: string) =>
    detectSignals(call(policy), settings).find((s) => s.detector === detector)!;
  const facts: PlanningFacts = {
    priorKeyState: { state: 'Enabled', basis: 'assumed' },
    key: keyFactsFrom('k', {}, { defaultMode: 'contain', protectedKeys: [] }),
    trustedAccounts: [],
    responderRoles: [],
    ownAccount: '111122223333',
    now: '2026-11-28T12:00:00.000Z',
  };
  const shape = (policy: string, detector: string) =>
    planResponse(signalOf(policy, detector), facts).map((step) => `${step.type}:${step.run}`);
  const anyoneHeldBy = (Condition: Record<string, Record<string, unknown>>) =>
    JSON.stringify({ Statement: [{ ...open(Condition), Action: 'kms:*' }] });

  it('offers, rather than applies, closing a statement held only to a VPC endpoint, and isolating its author', () => {
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html#vpce-policy
    const steps = shape(
      anyoneHeldBy({ StringEquals: { 'aws:SourceVpce': 'vpce-0attacker' } }),
      'key-policy-cross-account',
    );
    expect(steps[0]).toBe('close-open-key-policy:approval');
    expect(steps.filter((step) => step.endsWith(':automatic'))).toEqual([]);
  });

  it('closes an untrusted organisation at once, and hands the trusted ones to the action', () => {
    // origin: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
    const policy = anyoneHeldBy({ StringEquals: { 'aws:PrincipalOrgID': 'o-attacker123' } });
    const [close] = planResponse(signalOf(policy, 'key-policy-cross-account'), facts);
    expect(close).toMatchObject({
      type: 'close-open-key-policy',
      run: 'automatic',
      params: { trustedOrganizations: ['o-a1b2c3d4e5'] },
    });
  });

  it('hands the trusted organisations to the action from key-policy-public too', () => {
    const policy = anyoneHeldBy({ Bool: { 'aws:SecureTransport': 'true' } });
    const [close] = planResponse(signalOf(policy, 'key-policy-public'), facts);
    expect(close).toMatchObject({ type: 'close-open-key-policy', params: { trustedOrganizations: ['o-a1b2c3d4e5'] } });
  });
});
