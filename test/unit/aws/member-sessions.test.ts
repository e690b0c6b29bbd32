import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MemberSessions } from '../../../src/aws/member-sessions';
import { MemberRoleRefusedError } from '../../../src/errors';

const sts = mockClient(STSClient);
const role = { path: '/kms-warden/', name: 'kms-warden-member-prod', externalId: 'kms-warden-prod' };
const start = Date.parse('2026-12-06T10:00:00Z');

const issued = (n: number, expiresInMinutes = 60, at = start) => ({
  Credentials: {
    AccessKeyId: `ASIA${n}`,
    SecretAccessKey: `secret-${n}`,
    SessionToken: `token-${n}`,
    Expiration: new Date(at + expiresInMinutes * 60_000),
  },
});

const refusal = (name: string) =>
  new STSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'refused' });

beforeEach(() => sts.reset());

describe('sessions of the member role', () => {
  it('assume the role in the account, with the external id and a session name that says kms-warden and why', async () => {
    sts.on(AssumeRoleCommand).resolves(issued(1));
    const sessions = new MemberSessions(new STSClient({ region: 'eu-west-1' }), role, 'aws', () => start);

    const credentials = await sessions.credentials('222233334444', 'kw-20261206-0123456789ab');

    expect(credentials).toMatchObject({ accessKeyId: 'ASIA1', secretAccessKey: 'secret-1', sessionToken: 'token-1' });
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: 'arn:aws:iam::222233334444:role/kms-warden/kms-warden-member-prod',
      RoleSessionName: 'kms-warden-kw-20261206-0123456789ab',
      ExternalId: 'kms-warden-prod',
    });
  });

  it('are kept per account and purpose until five minutes before they expire, then renewed', async () => {
    let now = start;
    sts
      .on(AssumeRoleCommand)
      .resolvesOnce(issued(1))
      .resolvesOnce(issued(2))
      .resolvesOnce(issued(3, 60, start + 56 * 60_000));
    const sessions = new MemberSessions(new STSClient({}), role, 'aws', () => now);

    expect((await sessions.credentials('222233334444', 'a')).accessKeyId).toBe('ASIA1');
    expect((await sessions.credentials('222233334444', 'a')).accessKeyId).toBe('ASIA1');
    expect((await sessions.credentials('333344445555', 'a')).accessKeyId).toBe('ASIA2');
    now = start + 54 * 60_000;
    expect((await sessions.credentials('222233334444', 'a')).accessKeyId).toBe('ASIA1');
    now = start + 56 * 60_000;
    expect((await sessions.credentials('222233334444', 'a')).accessKeyId).toBe('ASIA3');
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 3);
  });

  it('asks once for calls made at the same time', async () => {
    sts.on(AssumeRoleCommand).resolves(issued(1));
    const sessions = new MemberSessions(new STSClient({}), role, 'aws', () => start);
    await Promise.all([1, 2, 3].map(() => sessions.credentials('222233334444', 'a')));
    expect(sts).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
  });

  it.each(['AccessDenied', 'RegionDisabledException'])(
    'name a refusal (%s) as the member role refused, with what to do, and ask again next time',
    async (code) => {
      sts.on(AssumeRoleCommand).rejectsOnce(refusal(code)).resolves(issued(2));
      const sessions = new MemberSessions(new STSClient({}), role, 'aws', () => start);

      const error = await sessions.credentials('222233334444', 'a').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(MemberRoleRefusedError);
      expect((error as Error).message).toContain('222233334444');
      expect((error as Error).message).toMatch(code === 'AccessDenied' ? /member StackSet/ : /activate/);
      expect((await sessions.credentials('222233334444', 'a')).accessKeyId).toBe('ASIA2');
    },
  );

  it('let throttling through as it is: the SDK retried it, and the step fails for a retry', async () => {
    sts.on(AssumeRoleCommand).rejects(refusal('Throttling'));
    const sessions = new MemberSessions(new STSClient({}), role, 'aws', () => start);
    await expect(sessions.credentials('222233334444', 'a')).rejects.toMatchObject({ name: 'Throttling' });
  });
});
