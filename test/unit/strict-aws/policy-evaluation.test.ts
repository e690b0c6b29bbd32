import { authorizeKms, evaluateIdentityPolicies, evaluateResourcePolicy, parsePolicy, type Caller, type PolicyDocument } from '../../support/strict-aws/policy-evaluation';

const account = '111122223333';
const session: Caller = {
  kind: 'assumed-role',
  account,
  partition: 'aws',
  arn: `arn:aws:sts::${account}:assumed-role/deployer/build-7`,
  principalArn: `arn:aws:iam::${account}:role/ci/deployer`,
  tokenIssueTime: '2026-11-28T10:00:00Z',
};
const user: Caller = { kind: 'user', account, partition: 'aws', arn: `arn:aws:iam::${account}:user/alice`, principalArn: `arn:aws:iam::${account}:user/alice` };
const key = `arn:aws:kms:us-east-1:${account}:key/1234`;
const policy = (...Statement: PolicyDocument['Statement'][]): PolicyDocument => ({ Version: '2012-10-17', Statement: Statement.flat() });
const effect = (policies: PolicyDocument[], caller: Caller, action: string, resource = key, context = {}) => evaluateIdentityPolicies(policies, { caller, action, resource, context }).effect;

describe('IAM policy evaluation (the strict layer)', () => {
  it('matches actions without regard to case, with * and ?', () => {
    const p = policy({ Effect: 'Allow', Action: ['KMS:Describe*', 'kms:Get?eyPolicy'], Resource: '*' });
    expect(effect([p], user, 'kms:DescribeKey')).toBe('allow');
    expect(effect([p], user, 'kms:GetKeyPolicy')).toBe('allow');
    expect(effect([p], user, 'kms:GetKeyRotationStatus')).toBe('neutral');
  });

  it('takes NotAction and NotResource as "everything but"', () => {
    const p = policy({ Effect: 'Allow', NotAction: 'kms:ScheduleKeyDeletion', NotResource: `arn:aws:kms:us-east-1:${account}:key/other` });
    expect(effect([p], user, 'kms:Decrypt')).toBe('allow');
    expect(effect([p], user, 'kms:ScheduleKeyDeletion')).toBe('neutral');
    expect(effect([p], user, 'kms:Decrypt', `arn:aws:kms:us-east-1:${account}:key/other`)).toBe('neutral');
  });

  it('matches resources with wildcards, case-sensitively, and an action without resource only by "*"', () => {
    const p = policy({ Effect: 'Allow', Action: 'kms:*', Resource: `arn:aws:kms:*:${account}:key/*` });
    expect(effect([p], user, 'kms:Decrypt')).toBe('allow');
    expect(effect([p], user, 'kms:Decrypt', key.toUpperCase())).toBe('neutral');
    expect(effect([p], user, 'kms:CreateKey', '*')).toBe('neutral');
    expect(effect([policy({ Effect: 'Allow', Action: 'kms:CreateKey', Resource: '*' })], user, 'kms:CreateKey', '*')).toBe('allow');
  });

  it('lets an explicit deny win over any allow, in any policy', () => {
    const allow = policy({ Effect: 'Allow', Action: '*', Resource: '*' });
    const deny = policy({ Effect: 'Deny', Action: 'kms:*', Resource: '*' });
    expect(effect([allow, deny], user, 'kms:Decrypt')).toBe('deny');
    expect(effect([allow, deny], user, 's3:GetObject', 'arn:aws:s3:::b/k')).toBe('allow');
  });

  it('denies sessions issued before a DateLessThan on aws:TokenIssueTime, and never a user\'s long-term keys by it', () => {
    const revoke = policy({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': '2026-11-28T12:00:00Z' } } });
    expect(effect([revoke], session, 'kms:Decrypt')).toBe('deny');
    expect(effect([revoke], { ...session, tokenIssueTime: '2026-11-28T13:00:00Z' }, 'kms:Decrypt')).toBe('neutral');
    expect(effect([revoke], user, 'kms:Decrypt')).toBe('neutral');
  });

  it('takes a negated operator as met, and a positive one as not, when the key is absent; IfExists as met', () => {
    const notEquals = policy({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:PrincipalOrgID': 'o-1' } } });
    expect(effect([notEquals], user, 'kms:Decrypt')).toBe('deny');
    const equals = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-1' } } });
    expect(effect([equals], user, 'kms:Decrypt')).toBe('neutral');
    const ifExists = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringEqualsIfExists: { 'aws:PrincipalOrgID': 'o-1' } } });
    expect(effect([ifExists], user, 'kms:Decrypt')).toBe('allow');
    expect(effect([ifExists], user, 'kms:Decrypt', key, { 'aws:PrincipalOrgID': 'o-2' })).toBe('neutral');
  });

  it('tests presence with Null, and sets with ForAllValues and ForAnyValue', () => {
    const absent = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { Null: { 'aws:TokenIssueTime': 'true' } } });
    expect(effect([absent], user, 'kms:Decrypt')).toBe('allow');
    expect(effect([absent], session, 'kms:Decrypt')).toBe('neutral');
    const onlyOurs = policy({ Effect: 'Allow', Action: 'kms:TagResource', Resource: '*', Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': 'kms-warden:*' } } });
    expect(effect([onlyOurs], user, 'kms:TagResource', key, { 'aws:TagKeys': ['kms-warden:mode'] })).toBe('allow');
    expect(effect([onlyOurs], user, 'kms:TagResource', key, { 'aws:TagKeys': ['kms-warden:mode', 'team'] })).toBe('neutral');
    // With no values at all, ForAllValues holds (the documented trap) and ForAnyValue does not.
    expect(effect([onlyOurs], user, 'kms:TagResource', key)).toBe('allow');
    const any = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'team' } } });
    expect(effect([any], user, 'kms:TagResource', key)).toBe('neutral');
    expect(effect([any], user, 'kms:TagResource', key, { 'aws:TagKeys': ['x', 'team'] })).toBe('allow');
  });

  it('compares ARNs part by part with ArnLike, and reads aws:PrincipalArn as the role of a session', () => {
    const deny = policy({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${account}:role/*/deployer` } } });
    expect(effect([deny], session, 'kms:Decrypt')).toBe('deny');
    expect(effect([deny], user, 'kms:Decrypt')).toBe('neutral');
    // A * in one part never spans into the next.
    const wrongPart = policy({ Effect: 'Deny', Action: '*', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*' } } });
    expect(effect([wrongPart], session, 'kms:Decrypt')).toBe('neutral');
  });

  it('refuses to guess an operator it does not know', () => {
    const odd = policy({ Effect: 'Allow', Action: '*', Resource: '*', Condition: { StringSortOf: { 'aws:username': 'alice' } } });
    expect(() => effect([odd], user, 'kms:Decrypt')).toThrow('condition operator StringSortOf is not implemented');
  });

  it('says what is wrong with a policy that is not one', () => {
    expect(() => parsePolicy('{"Version":')).toThrow(/not a policy/);
    expect(() => parsePolicy('{"Version":"2012-10-17"}')).toThrow('not a policy: no Statement');
  });

  describe('key policies and KMS', () => {
    const root = { Sid: 'Root', Effect: 'Allow' as const, Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' };
    const iamAllows = policy({ Effect: 'Allow', Action: 'kms:*', Resource: key });

    it('tells a statement naming the caller from one naming its account', () => {
      expect(evaluateResourcePolicy(policy(root), { caller: session, action: 'kms:Decrypt', resource: '*' })).toMatchObject({ allowAccount: true, allowDirect: false });
      const role = { Effect: 'Allow' as const, Principal: { AWS: session.principalArn }, Action: 'kms:Decrypt', Resource: '*' };
      expect(evaluateResourcePolicy(policy(role), { caller: session, action: 'kms:Decrypt', resource: '*' })).toMatchObject({ allowDirect: true });
    });

    it('needs an identity policy too when the key policy only delegates to the account', () => {
      expect(authorizeKms(policy(root), [iamAllows], { caller: session, action: 'kms:Decrypt', resource: key }).allowed).toBe(true);
      expect(authorizeKms(policy(root), [], { caller: session, action: 'kms:Decrypt', resource: key })).toEqual({ allowed: false, reason: 'no identity-based policy allows the kms:Decrypt action' });
    });

    it('allows a caller the key policy names, whatever IAM says, unless IAM denies', () => {
      const named = policy({ Effect: 'Allow', Principal: { AWS: session.principalArn }, Action: 'kms:Decrypt', Resource: '*' });
      expect(authorizeKms(named, [], { caller: session, action: 'kms:Decrypt', resource: key }).allowed).toBe(true);
      expect(authorizeKms(named, [policy({ Effect: 'Deny', Action: 'kms:*', Resource: '*' })], { caller: session, action: 'kms:Decrypt', resource: key }).allowed).toBe(false);
    });

    it("refuses a caller the key policy does not name at all, with KMS's own words", () => {
      const other = policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'kms:*', Resource: '*' });
      expect(authorizeKms(other, [iamAllows], { caller: session, action: 'kms:Decrypt', resource: key })).toEqual({ allowed: false, reason: 'no resource-based policy allows the kms:Decrypt action' });
    });

    it("applies kms-warden's own deny statement to the suspect's sessions only", () => {
      const deny = { Sid: 'KmsWardenDeny', Effect: 'Deny' as const, Principal: { AWS: '*' }, NotAction: 'kms:DescribeKey', Resource: '*', Condition: { ArnLike: { 'aws:PrincipalArn': [session.principalArn, `arn:aws:iam::${account}:role/*/deployer`] } } };
      expect(authorizeKms(policy(root, deny), [iamAllows], { caller: session, action: 'kms:Decrypt', resource: key }).allowed).toBe(false);
      expect(authorizeKms(policy(root, deny), [iamAllows], { caller: session, action: 'kms:DescribeKey', resource: key }).allowed).toBe(true);
      expect(authorizeKms(policy(root, deny), [iamAllows], { caller: user, action: 'kms:Decrypt', resource: key }).allowed).toBe(true);
    });

    it('lets an Allow with NotPrincipal in everyone but those it names', () => {
      const notAlice = policy({ Effect: 'Allow', NotPrincipal: { AWS: user.arn }, Action: 'kms:Decrypt', Resource: '*' });
      expect(authorizeKms(notAlice, [], { caller: session, action: 'kms:Decrypt', resource: key }).allowed).toBe(true);
      expect(authorizeKms(notAlice, [], { caller: user, action: 'kms:Decrypt', resource: key }).allowed).toBe(false);
    });
  });
});
