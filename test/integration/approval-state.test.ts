import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signToken, verifyToken } from '../../src/notify/approval-token';
import { CachedSecret } from '../../src/aws/cached-secret';
import { documentClient, secretsClient } from '../../src/aws/clients';
import { DynamoDbNonceStore } from '../../src/aws/dynamodb-nonce-store';
import { DynamoDbAuditLog } from '../../src/aws/dynamodb-audit-log';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { provisionResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';

describe('approval tokens against moto: the secret and single use', () => {
  const moto = useMoto();
  let nonces: DynamoDbNonceStore;
  let approvalSecrets: SecretsManagerClient;
  let audit: DynamoDbAuditLog;
  let table: string;

  beforeAll(async () => {
    const stack = await provisionResponderStack('approvals');
    const client = new SecretsManagerClient({});
    const { ARN: signing } = await client.send(
      new CreateSecretCommand({ Name: 'kms-warden/approvals', SecretString: 'x'.repeat(48) }),
    );
    const { ARN: short } = await client.send(
      new CreateSecretCommand({ Name: 'kms-warden/short', SecretString: 'too short' }),
    );
    moto.aws.useStack(stack, { ApprovalSigningSecret: { Ref: signing }, SlackSigningSecret: { Ref: short } });
    // The approvals function spends nonces and reads its secrets with its own role.
    table = stack.incidentTable;
    ({ nonces, approvalSecrets, audit } = await moto.asFunction('approvals', () => ({
      nonces: new DynamoDbNonceStore(documentClient(), stack.incidentTable),
      approvalSecrets: secretsClient(),
      audit: new DynamoDbAuditLog(documentClient(), stack.incidentTable, 365, 5),
    })));
  });

  it('uses a token once: the second use of its nonce is refused, in any order of arrival', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const results = await Promise.all([
      nonces.consume('n-1', 'kw-1', expiresAt),
      nonces.consume('n-1', 'kw-1', expiresAt),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await nonces.consume('n-1', 'kw-1', expiresAt)).toBe(false);
    expect(await nonces.consume('n-2', 'kw-1', expiresAt)).toBe(true);
    // A spent link's page shows the decision: the store says which nonces are used.
    expect(await nonces.spent('n-1')).toBe(true);
    expect(await nonces.spent('n-3')).toBe(false);
  });

  it('audits refusals from one address up to its rate, says when it stops, and keeps counting', async () => {
    const at = '2026-12-05T10:00:30.000Z';
    const refusal = (sourceIp: string, i: number) =>
      audit.record({ at, outcome: 'refused', reason: `forged: #${i}`, sourceIp, userAgent: 'x'.repeat(5000) });
    for (let i = 0; i < 9; i += 1) await refusal('203.0.113.66', i);
    await refusal('198.51.100.1', 0);
    await audit.record({ at, outcome: 'decided', reason: 'release by a person', incidentId: 'kw-1' });
    const { Items = [] } = await documentClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDIT#2026-12-05' },
      }),
    );
    const flood = Items.filter((item) => item.sourceIp === '203.0.113.66');
    // Five recorded, then one saying the rest are only counted; none after.
    expect(flood).toHaveLength(6);
    expect(flood.filter((item) => String(item.reason).startsWith('rate limited: more than 5 refusals'))).toHaveLength(
      1,
    );
    expect(Items.filter((item) => item.sourceIp === '198.51.100.1')).toHaveLength(1);
    expect(Items.filter((item) => item.outcome === 'decided')).toHaveLength(1);
    // Whatever the sender wrote is kept bounded.
    expect(Math.max(...Items.map((item) => String(item.userAgent ?? '').length))).toBeLessThanOrEqual(513);
    const { Items: counted = [] } = await documentClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'AUDITRATE#203.0.113.66' },
      }),
    );
    expect(counted).toEqual([expect.objectContaining({ sk: '2026-12-05T10:00', refusals: 9 })]);
  });

  it('reads the signing secret once per cache period, and refuses a short one', async () => {
    const client = new SecretsManagerClient({});
    let clock = 0;
    const secret = new CachedSecret(approvalSecrets, 'kms-warden/approvals', { ttlMs: 1000, now: () => clock });
    const first = await secret.bytes();
    await client.send(new PutSecretValueCommand({ SecretId: 'kms-warden/approvals', SecretString: 'y'.repeat(48) }));
    expect(await secret.bytes()).toEqual(first);
    clock = 2000;
    const rotated = await secret.bytes();
    expect(rotated.toString()).toBe('y'.repeat(48));

    const token = signToken(
      { incidentId: 'kw-1', action: 'reject', expiresAt: Math.floor(Date.now() / 1000) + 60 },
      rotated,
    );
    expect(verifyToken(token, first, { now: new Date() })).toMatchObject({ ok: false, refusal: 'forged' });

    await expect(new CachedSecret(approvalSecrets, 'kms-warden/short').bytes()).rejects.toThrow(
      /shorter than 32 bytes/,
    );
    // Any other secret is not the function's to read.
    await client.send(new CreateSecretCommand({ Name: 'payments/db', SecretString: 'x'.repeat(48) }));
    await expect(new CachedSecret(approvalSecrets, 'payments/db').bytes()).rejects.toThrow(
      /not authorized to perform: secretsmanager:GetSecretValue/,
    );
  });
});
