import { closeStatement, limitsCaller } from '../../../src/actions/close-open-key-policy';
import { detectSignals } from '../../../src/detections';
import { isDirectSuccessfulCall } from '../../../src/detections/detection';
import { cases as crossAccountCases } from '../../../src/detections/key-policy-cross-account/cases';
import { cases as publicCases } from '../../../src/detections/key-policy-public/cases';
import { accountOfKey } from '../../../src/events/accounts';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { options, settings } from '../detections/settings';

const params = {
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k',
  ownAccount: '111122223333',
  trustedAccounts: ['444455556666'],
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
    ['aws:PrincipalOrgID, exactly', { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }, true],
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
      const closing = { keyArn: call.keyArn ?? 'a key', ownAccount, trustedAccounts: [...settings.trustedAccounts] };
      // Act
      const reported = detectSignals(call, settings).some((s) =>
        ['key-policy-public', 'key-policy-cross-account'].includes(s.detector),
      );
      const closed = document.Statement.some((statement) => closeStatement(statement, closing).removed.length > 0);
      // Assess
      expect(closed).toBe(reported);
    },
  );
});
