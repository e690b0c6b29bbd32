import { closeStatement, limitsCaller } from '../../../src/actions/close-open-key-policy';

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
    ['...IfExists', { StringEqualsIfExists: { 'kms:CallerAccount': '111122223333' } }, false],
    [
      'kms:ViaService alone (any account through the service)',
      { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
      false,
    ],
  ])('an Allow to "*" with %s limits the caller: %s', (_what, condition, limited) => {
    expect(limitsCaller(open(condition), params)).toBe(limited);
    expect(closeStatement(open(condition), params).kept === undefined).toBe(!limited);
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
