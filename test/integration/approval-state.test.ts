import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { signToken, verifyToken } from '../../src/approvals/token';
import { CachedSecret } from '../../src/aws/cached-secret';
import { DynamoDbNonceStore } from '../../src/aws/dynamodb-nonce-store';
import { provisionResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';

describe('approval tokens against moto: the secret and single use', () => {
  useMoto();
  let nonces: DynamoDbNonceStore;

  beforeAll(async () => {
    const stack = await provisionResponderStack('approvals');
    nonces = new DynamoDbNonceStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), stack.incidentTable);
  });

  it('uses a token once: the second use of its nonce is refused, in any order of arrival', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const results = await Promise.all([nonces.consume('n-1', 'kw-1', expiresAt), nonces.consume('n-1', 'kw-1', expiresAt)]);
    expect(results.sort()).toEqual([false, true]);
    expect(await nonces.consume('n-1', 'kw-1', expiresAt)).toBe(false);
    expect(await nonces.consume('n-2', 'kw-1', expiresAt)).toBe(true);
  });

  it('reads the signing secret once per cache period, and refuses a short one', async () => {
    const client = new SecretsManagerClient({});
    await client.send(new CreateSecretCommand({ Name: 'kms-warden/approvals', SecretString: 'x'.repeat(48) }));
    let clock = 0;
    const secret = new CachedSecret(client, 'kms-warden/approvals', { ttlMs: 1000, now: () => clock });
    const first = await secret.bytes();
    await client.send(new PutSecretValueCommand({ SecretId: 'kms-warden/approvals', SecretString: 'y'.repeat(48) }));
    expect(await secret.bytes()).toEqual(first);
    clock = 2000;
    const rotated = await secret.bytes();
    expect(rotated.toString()).toBe('y'.repeat(48));

    const token = signToken({ incidentId: 'kw-1', action: 'reject', expiresAt: Math.floor(Date.now() / 1000) + 60 }, rotated);
    expect(verifyToken(token, first, { now: new Date() })).toMatchObject({ ok: false, refusal: 'forged' });

    await client.send(new CreateSecretCommand({ Name: 'kms-warden/short', SecretString: 'too short' }));
    await expect(new CachedSecret(client, 'kms-warden/short').bytes()).rejects.toThrow(/shorter than 32 bytes/);
  });
});
