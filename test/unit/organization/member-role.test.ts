import { memberRoleArn, parseMemberRole, sessionNameFor } from '../../../src/organization/member-role';

describe('the member role', () => {
  it('is named by its path and name, and has an ARN in each account', () => {
    const parsed = parseMemberRole('/kms-warden/kms-warden-member-prod', 'kms-warden-prod');
    expect(parsed).toEqual({
      ok: true,
      role: { path: '/kms-warden/', name: 'kms-warden-member-prod', externalId: 'kms-warden-prod' },
    });
    if (!parsed.ok) throw new Error('unreachable');
    expect(memberRoleArn(parsed.role, '222233334444')).toBe(
      'arn:aws:iam::222233334444:role/kms-warden/kms-warden-member-prod',
    );
    expect(memberRoleArn(parsed.role, '222233334444', 'aws-cn')).toBe(
      'arn:aws-cn:iam::222233334444:role/kms-warden/kms-warden-member-prod',
    );
    expect(parseMemberRole('kms-warden-member', 'xy')).toEqual({
      ok: true,
      role: { path: '/', name: 'kms-warden-member', externalId: 'xy' },
    });
  });

  it.each([
    ['/kms-warden/', 'kms-warden', 'must end with an IAM role name'],
    ['/kms-warden/has space', 'kms-warden', 'must end with an IAM role name'],
    [`/kms-warden/${'r'.repeat(65)}`, 'kms-warden', 'must end with an IAM role name'],
    ['/kms-warden/member', 'x', 'the external id must be 2 to 1224'],
    ['/kms-warden/member', 'has space', 'the external id must be 2 to 1224'],
    ['/kms-warden/member', 'e'.repeat(1225), 'the external id must be 2 to 1224'],
  ])('refuses %s with external id %s: what STS and IAM would refuse', (role, externalId, problem) => {
    const parsed = parseMemberRole(role, externalId);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problem).toContain(problem);
  });
});

describe('session names in member accounts', () => {
  it('say kms-warden and what for, within STS RoleSessionName (2 to 64 of [\\w+=,.@-])', () => {
    expect(sessionNameFor('kw-20261206-0123456789ab')).toBe('kms-warden-kw-20261206-0123456789ab');
    const hostile = sessionNameFor('incident/with spaces;and\u0007bell'.repeat(5));
    expect(hostile).toMatch(/^kms-warden-[\w+=,.@-]{1,53}$/);
    expect(hostile.length).toBeLessThanOrEqual(64);
  });
});
