import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { signToken, verifyToken } from '../../src/notify/approval-token';
import { CachedSecret } from '../../src/aws/cached-secret';
import { documentClient, secretsClient } from '../../src/aws/clients';
import { DynamoDbNonceStore } from '../../src/aws/dynamodb-nonce-store';
import { provisionResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';

describe('approval tokens against moto: the secret and single use', () => {
  const moto = useMoto();
  let nonces: DynamoDbNonceStore;
  let approvalSecrets: SecretsManagerClient;

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
    ({ nonces, approvalSecrets } = await moto.asFunction('approvals', () => ({
      nonces: new DynamoDbNonceStore(documentClient(), stack.incidentTable),
      approvalSecrets: secretsClient(),
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
