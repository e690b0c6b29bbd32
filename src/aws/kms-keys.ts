import {
  CancelKeyDeletionCommand,
  CreateGrantCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  KMSInvalidStateException,
  NotFoundException,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateListAliases,
  paginateListGrants,
  paginateListResourceTags,
  type GrantOperation,
} from '@aws-sdk/client-kms';
import type { Grant, KeyOperations, KeyStatus } from '../actions/ports';
import { KeyNotFoundError, KeyStateConflictError } from '../errors';

const keyArnPattern = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key\/([\w-]+)$/;

/**
 * Where a key lives. A multi-Region key has the same id in every Region, so each call goes to the client of the
 * key's own Region with the bare id, and can never land on a replica elsewhere.
 */
export const keyLocation = (keyArn: string): { region: string; account: string; keyId: string } => {
  const match = keyArnPattern.exec(keyArn);
  if (!match) throw new KeyNotFoundError(keyArn, { cause: new Error('not a KMS key ARN') });
  return { region: match[1]!, account: match[2]!, keyId: match[3]! };
};

/**
 * The KMS calls kms-warden makes, with KMS's errors translated into named ones. Each goes to the key's own Region and,
 * in an organization, its own account: only the key's account may change it (a key policy that lets another account
 * use a key never lets it manage it).
 */
export class KmsKeys implements KeyOperations {
  constructor(private readonly clientIn: (region: string, account: string) => KMSClient) {}

  async status(keyArn: string): Promise<KeyStatus> {
    const { KeyMetadata } = await this.call(keyArn, 'DescribeKey', (client, KeyId) =>
      client.send(new DescribeKeyCommand({ KeyId })),
    );
    const multiRegion = KeyMetadata?.MultiRegionConfiguration;
    return {
      state: KeyMetadata?.KeyState ?? 'Unknown',
      deletionDate: KeyMetadata?.DeletionDate?.toISOString(),
      description: KeyMetadata?.Description || undefined,
      keyManager: KeyMetadata?.KeyManager,
      ...(multiRegion?.MultiRegionKeyType
        ? {
            multiRegion: {
              type: multiRegion.MultiRegionKeyType,
              primary: multiRegion.PrimaryKey?.Arn,
              replicas: (multiRegion.ReplicaKeys ?? []).flatMap((r) => (r.Arn ? [r.Arn] : [])),
            },
          }
        : {}),
    };
  }

  async cancelKeyDeletion(keyArn: string): Promise<void> {
    await this.call(keyArn, 'CancelKeyDeletion', (client, KeyId) =>
      client.send(new CancelKeyDeletionCommand({ KeyId })),
    );
  }

  async enableKey(keyArn: string): Promise<void> {
    await this.call(keyArn, 'EnableKey', (client, KeyId) => client.send(new EnableKeyCommand({ KeyId })));
  }

  async disableKey(keyArn: string): Promise<void> {
    await this.call(keyArn, 'DisableKey', (client, KeyId) => client.send(new DisableKeyCommand({ KeyId })));
  }

  /** The key's tags as a map (ListResourceTags, every page). */
  async tags(keyArn: string): Promise<Record<string, string>> {
    return this.call(keyArn, 'ListResourceTags', async (client, KeyId) => {
      const tags: Record<string, string> = {};
      for await (const page of paginateListResourceTags({ client }, { KeyId })) {
        for (const tag of page.Tags ?? []) if (tag.TagKey) tags[tag.TagKey] = tag.TagValue ?? '';
      }
      return tags;
    });
  }

  async tagKey(keyArn: string, tags: Record<string, string>): Promise<void> {
    await this.call(keyArn, 'TagResource', (client, KeyId) =>
      client.send(
        new TagResourceCommand({
          KeyId,
          Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        }),
      ),
    );
  }

  async untagKey(keyArn: string, tagKeys: string[]): Promise<void> {
    await this.call(keyArn, 'UntagResource', (client, KeyId) =>
      client.send(new UntagResourceCommand({ KeyId, TagKeys: tagKeys })),
    );
  }

  /** The key's alias names (alias/...), for people: messages name a key by what its owners call it. */
  async aliases(keyArn: string): Promise<string[]> {
    return this.call(keyArn, 'ListAliases', async (client, KeyId) => {
      const names: string[] = [];
      for await (const page of paginateListAliases({ client }, { KeyId })) {
        for (const alias of page.Aliases ?? []) if (alias.AliasName) names.push(alias.AliasName);
      }
      return names.sort();
    });
  }

  async rotationEnabled(keyArn: string): Promise<boolean> {
    const { KeyRotationEnabled } = await this.call(keyArn, 'GetKeyRotationStatus', (client, KeyId) =>
      client.send(new GetKeyRotationStatusCommand({ KeyId })),
    );
    return KeyRotationEnabled === true;
  }

  async enableKeyRotation(keyArn: string): Promise<void> {
    await this.call(keyArn, 'EnableKeyRotation', (client, KeyId) =>
      client.send(new EnableKeyRotationCommand({ KeyId })),
    );
  }

  async disableKeyRotation(keyArn: string): Promise<void> {
    await this.call(keyArn, 'DisableKeyRotation', (client, KeyId) =>
      client.send(new DisableKeyRotationCommand({ KeyId })),
    );
  }

  /** The key policy as its JSON text (keys have one policy, named "default"). */
  async keyPolicy(keyArn: string): Promise<string> {
    const { Policy } = await this.call(keyArn, 'GetKeyPolicy', (client, KeyId) =>
      client.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' })),
    );
    return Policy ?? '{}';
  }

  /** Never bypasses KMS's lockout safety check: a policy that would lock the caller out is refused by KMS. */
  async putKeyPolicy(keyArn: string, policy: string): Promise<void> {
    await this.call(keyArn, 'PutKeyPolicy', (client, KeyId) =>
      client.send(
        new PutKeyPolicyCommand({
          KeyId,
          PolicyName: 'default',
          Policy: policy,
          BypassPolicyLockoutSafetyCheck: false,
        }),
      ),
    );
  }

  /** Every grant on the key, through all pages of ListGrants. */
  async grants(keyArn: string): Promise<Grant[]> {
    return this.call(keyArn, 'ListGrants', async (client, KeyId) => {
      const grants: Grant[] = [];
      for await (const page of paginateListGrants({ client, pageSize: 100 }, { KeyId })) {
        for (const grant of page.Grants ?? []) {
          if (!grant.GrantId) continue;
          grants.push({
            grantId: grant.GrantId,
            name: grant.Name,
            granteePrincipal: grant.GranteePrincipal,
            retiringPrincipal: grant.RetiringPrincipal,
            operations: grant.Operations ?? [],
            constraints: grant.Constraints,
            issuingAccount: grant.IssuingAccount,
          });
        }
      }
      return grants;
    });
  }

  async revokeGrant(keyArn: string, grantId: string): Promise<void> {
    await this.call(keyArn, 'RevokeGrant', (client, KeyId) =>
      client.send(new RevokeGrantCommand({ KeyId, GrantId: grantId })),
    );
  }

  /** Creates a grant like one that was revoked; returns the new grant id. */
  async createGrant(keyArn: string, grant: Omit<Grant, 'grantId' | 'issuingAccount'>): Promise<string> {
    const { GrantId } = await this.call(keyArn, 'CreateGrant', (client, KeyId) =>
      client.send(
        new CreateGrantCommand({
          KeyId,
          GranteePrincipal: grant.granteePrincipal,
          RetiringPrincipal: grant.retiringPrincipal,
          Operations: grant.operations as GrantOperation[],
          Constraints: grant.constraints,
          Name: grant.name,
        }),
      ),
    );
    return GrantId ?? 'unknown';
  }

  private async call<T>(
    keyArn: string,
    operation: string,
    send: (client: KMSClient, keyId: string) => Promise<T>,
  ): Promise<T> {
    const { region, account, keyId } = keyLocation(keyArn);
    try {
      return await send(this.clientIn(region, account), keyId);
    } catch (error) {
      if (error instanceof NotFoundException) throw new KeyNotFoundError(keyArn, { cause: error });
      if (error instanceof KMSInvalidStateException)
        throw new KeyStateConflictError(keyArn, operation, { cause: error });
      throw error;
    }
  }
}
