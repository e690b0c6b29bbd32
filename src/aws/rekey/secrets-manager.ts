import {
  DescribeSecretCommand,
  InvalidRequestException,
  ResourceNotFoundException,
  RotateSecretCommand,
  UpdateSecretCommand,
  paginateListSecrets,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/**
 * Secrets whose KMS key is the old one. UpdateSecret re-encrypts the labelled versions under the new key; the value
 * itself was readable with the old key, so the notes always ask for a value rotation too.
 */
export class SecretsManagerReEncrypter implements ServiceReEncrypter {
  readonly service = 'secretsmanager' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['secretsmanager:ListSecrets'] as const;
  readonly iamActions = [
    'secretsmanager:ListSecrets',
    'secretsmanager:DescribeSecret',
    'secretsmanager:UpdateSecret',
    'secretsmanager:RotateSecret',
    // RotateSecret API reference: "You also need lambda:InvokeFunction permissions on the rotation function."
    'lambda:InvokeFunction',
    // UpdateSecret API reference: with a customer managed key the caller needs kms:GenerateDataKey, kms:Encrypt and
    // kms:Decrypt; without kms:Encrypt on the new key the existing versions are not re-encrypted.
    'kms:Decrypt',
    'kms:Encrypt',
    'kms:GenerateDataKey',
  ] as const;

  constructor(private readonly clientIn: (region: string) => SecretsManagerClient) {}

  /** ListSecrets leaves out secrets scheduled for deletion: they cannot be updated, and they are gone soon. */
  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    for await (const page of paginateListSecrets({ client: this.clientIn(region) }, {})) {
      for (const secret of page.SecretList ?? []) {
        if (!secret.ARN || !namesOldKey(secret.KmsKeyId, oldKey)) continue;
        found.push({
          service: this.service,
          kind: 'secret',
          id: secret.ARN,
          region,
          detail: {
            name: secret.Name ?? secret.ARN,
            rotationEnabled: secret.RotationEnabled === true,
            ...(secret.PrimaryRegion ? { primaryRegion: secret.PrimaryRegion } : {}),
          },
        });
      }
    }
    return found;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string, _oldKey: OldKey): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    const secret = await this.describe(client, resource.id);
    if (!secret) return { status: 'skipped', detail: `secret ${resource.id} no longer exists` };
    if (secret.DeletedDate) {
      return {
        status: 'skipped',
        detail: `secret ${resource.id} is scheduled for deletion on ${secret.DeletedDate.toISOString()}`,
      };
    }
    if (namesKey(secret.KmsKeyId, newKeyArn))
      return { status: 'skipped', detail: `secret ${resource.id} is already on ${newKeyArn}` };
    if (secret.PrimaryRegion && secret.PrimaryRegion !== resource.region) {
      // Secrets Manager refuses UpdateSecret on a replica: its key is set from the primary's Region.
      return {
        status: 'needs-human',
        detail: `secret ${resource.id} is a replica of a secret in ${secret.PrimaryRegion}`,
        instructions: [
          `In ${secret.PrimaryRegion}, remove ${resource.region} from the secret's replication (RemoveRegionsFromReplication).`,
          `Then replicate it back with the new key: ReplicateSecretToRegions with AddReplicaRegions=[{Region: ${resource.region}, KmsKeyId: ${newKeyArn}}].`,
          `Readers in ${resource.region} cannot read the secret between the two calls: do it in a quiet moment.`,
        ],
      };
    }

    await client.send(new UpdateSecretCommand({ SecretId: resource.id, KmsKeyId: newKeyArn }));
    const notes = [
      'Secrets Manager re-encrypted the AWSCURRENT, AWSPENDING and AWSPREVIOUS versions; older versions (no staging label) stay encrypted under the old key.',
      'The value was readable by anyone who could Decrypt with the old key: if the attacker could, rotate the value itself (a new credential), not just the key.',
    ];
    if (secret.RotationEnabled) notes.push(await this.startRotation(client, resource.id));
    return { status: 're-encrypted', detail: `secret ${resource.id} is now encrypted under ${newKeyArn}`, notes };
  }

  private async describe(
    client: SecretsManagerClient,
    secretId: string,
  ): Promise<DescribeSecretCommandOutput | undefined> {
    try {
      return await client.send(new DescribeSecretCommand({ SecretId: secretId }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /** A rotation writes a new AWSCURRENT under the new key. One still in progress makes RotateSecret refuse: say so. */
  private async startRotation(client: SecretsManagerClient, secretId: string): Promise<string> {
    try {
      await client.send(new RotateSecretCommand({ SecretId: secretId }));
      return 'Rotation is enabled on this secret, so a rotation was started: its new value is written under the new key.';
    } catch (error) {
      if (error instanceof InvalidRequestException) {
        return `Rotation is enabled but could not be started (${error.message}): start it by hand once the current rotation finishes.`;
      }
      throw error;
    }
  }
}
