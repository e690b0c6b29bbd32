import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyLastUsageCommand,
  KMSInvalidStateException,
  NotFoundException,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  paginateListKeys,
  type KeySpec,
  type KeyUsageType,
  type KMSClient,
  type OriginType,
} from '@aws-sdk/client-kms';
import { KeyNotFoundError, KeyStateConflictError } from '../../errors';
import type { ReplicaSnapshot } from '../../incidents/key-snapshot';
import type { KeySnapshot } from '../../rekey/key-snapshot';
import { inRegion, policyWithoutContainment } from '../../rekey/key-snapshot';
import { KmsKeys, keyLocation } from '../kms-keys';

/** Whether KMS rotates this kind of key automatically: symmetric encryption keys of AWS KMS's own material. */
const canRotate = (keySpec: string | undefined, origin: string | undefined) =>
  (keySpec ?? 'SYMMETRIC_DEFAULT') === 'SYMMETRIC_DEFAULT' && (origin ?? 'AWS_KMS') === 'AWS_KMS';

/** The KMS calls re-keying makes: read the old key whole, create its replacement, move aliases, schedule deletion. */
export class KeyReplacement {
  static readonly iamActions = [
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:ListResourceTags',
    'kms:ListAliases',
    'kms:ListKeys',
    'kms:CreateKey',
    // A multi-Region replacement's replicas. ReplicateKey also needs kms:CreateKey in the replica's Region, and
    // kms:TagResource there for its Tags (https://docs.aws.amazon.com/kms/latest/APIReference/API_ReplicateKey.html).
    'kms:ReplicateKey',
    // The old key shut to all but re-keying while it runs (rekey/old-key-shut.ts); and KMS's lockout safety check
    // at CreateKey asks whether the caller could call PutKeyPolicy on the new key, counting its IAM policy where the
    // copied key policy delegates to the account (API_CreateKey, Policy).
    'kms:PutKeyPolicy',
    'kms:TagResource',
    'kms:EnableKeyRotation',
    'kms:UpdateAlias',
    'kms:DisableKey',
    'kms:EnableKey',
    'kms:ScheduleKeyDeletion',
    'kms:GetKeyLastUsage',
  ] as const;

  /** What snapshot() alone calls: the plan made before approval reads the key as re-keying would. */
  static readonly snapshotIamActions = [
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:GetKeyRotationStatus',
    'kms:ListResourceTags',
    'kms:ListAliases',
  ] as const;

  /** The reads and state changes containment already makes, with the same error translation. */
  private readonly keys: KmsKeys;

  constructor(private readonly clientIn: (region: string) => KMSClient) {
    this.keys = new KmsKeys(clientIn);
  }

  async snapshot(keyArn: string): Promise<KeySnapshot> {
    const { region, keyId } = keyLocation(keyArn);
    const client = this.clientIn(region);
    return this.translated(keyArn, 'DescribeKey', async () => {
      // DescribeKey whole: the spec, usage, origin and multi-Region status the replacement copies.
      const [{ KeyMetadata: key }, policy, tags, aliases] = await Promise.all([
        client.send(new DescribeKeyCommand({ KeyId: keyId })),
        this.keys.keyPolicy(keyArn),
        this.keys.tags(keyArn),
        this.keys.aliases(keyArn),
      ]);
      // GetKeyRotationStatus refuses (UnsupportedOperationException) keys that cannot rotate automatically: asymmetric
      // and HMAC keys, imported material, custom key stores
      // (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html#rotation-supported).
      const rotationEnabled = canRotate(key?.KeySpec, key?.Origin) ? await this.keys.rotationEnabled(keyArn) : false;
      // A multi-Region key: its primary (itself, unless it is a replica) and, for a primary, each replica read in its
      // own Region. Compared by ARN, not MultiRegionKeyType: an emulator may copy the primary's type onto replicas.
      const multiRegion = key?.MultiRegionConfiguration;
      const primaryKeyArn = multiRegion?.PrimaryKey?.Arn;
      const replicas =
        primaryKeyArn === keyArn
          ? await Promise.all(
              (multiRegion?.ReplicaKeys ?? [])
                .filter((replica) => replica.Arn && replica.Arn !== keyArn)
                .map((replica) => this.replicaSnapshot(replica.Arn!)),
            )
          : undefined;
      return {
        keyArn,
        region,
        policy: policyWithoutContainment(policy),
        tags,
        description: key?.Description ?? '',
        keySpec: key?.KeySpec ?? 'SYMMETRIC_DEFAULT',
        keyUsage: key?.KeyUsage ?? 'ENCRYPT_DECRYPT',
        origin: key?.Origin ?? 'AWS_KMS',
        multiRegion: key?.MultiRegion === true,
        rotationEnabled,
        aliases,
        state: key?.KeyState ?? 'Unknown',
        ...(primaryKeyArn ? { primaryKeyArn } : {}),
        ...(replicas ? { replicas } : {}),
      };
    });
  }

  private async replicaSnapshot(keyArn: string): Promise<ReplicaSnapshot> {
    const { region, keyId } = keyLocation(keyArn);
    const [{ KeyMetadata: key }, tags, aliases] = await Promise.all([
      this.clientIn(region).send(new DescribeKeyCommand({ KeyId: keyId })),
      this.keys.tags(keyArn),
      this.keys.aliases(keyArn),
    ]);
    return {
      keyArn,
      region,
      description: key?.Description ?? '',
      tags,
      aliases,
    };
  }

  async ensureReplica(
    replacementArn: string,
    replica: ReplicaSnapshot,
    policy: string,
    tags: Record<string, string>,
  ): Promise<string> {
    const { region, keyId } = keyLocation(replacementArn);
    const { KeyMetadata } = await this.clientIn(region).send(new DescribeKeyCommand({ KeyId: keyId }));
    const existing = KeyMetadata?.MultiRegionConfiguration?.ReplicaKeys?.find((r) => r.Region === replica.region);
    if (existing?.Arn) return existing.Arn;
    // The replica's own policy (as the step checked it), description and tags, as the old replica had them; the
    // lockout check is never bypassed, as at CreateKey.
    const { ReplicaKeyMetadata } = await this.clientIn(region).send(
      new ReplicateKeyCommand({
        KeyId: keyId,
        ReplicaRegion: replica.region,
        Policy: policy,
        Description: replica.description,
        Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        BypassPolicyLockoutSafetyCheck: false,
      }),
    );
    return ReplicaKeyMetadata?.Arn ?? inRegion(replacementArn, replica.region);
  }

  /**
   * The replacement: same policy, spec, usage and description, the given tags, rotation on. The policy check is
   * never bypassed: a policy that would lock out the caller is refused by KMS, and the run stops for a person.
   */
  async createReplacement(snapshot: KeySnapshot, tags: Record<string, string>): Promise<string> {
    const client = this.clientIn(snapshot.region);
    const { KeyMetadata } = await client.send(
      new CreateKeyCommand({
        Policy: snapshot.policy,
        Description: snapshot.description,
        KeySpec: snapshot.keySpec as KeySpec,
        KeyUsage: snapshot.keyUsage as KeyUsageType,
        Origin: 'AWS_KMS' as OriginType,
        MultiRegion: snapshot.multiRegion,
        Tags: Object.entries(tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })),
        BypassPolicyLockoutSafetyCheck: false,
      }),
    );
    return KeyMetadata!.Arn!;
  }

  /** Rotation on (symmetric encryption keys only: other kinds cannot rotate). Already on: nothing changes. */
  async ensureRotation(keyArn: string, keySpec: string): Promise<void> {
    // The replacement is always of AWS KMS's own material (re-keying refuses other origins).
    if (!canRotate(keySpec, 'AWS_KMS')) return;
    await this.keys.enableKeyRotation(keyArn);
  }

  /**
   * An Enabled key in `region` carrying every tag given: how a resumed run finds the replacement an earlier run made
   * before it could record it. A key pending deletion or disabled is not one to move data to.
   */
  async findKeyTagged(region: string, wanted: Record<string, string>): Promise<string | undefined> {
    const client = this.clientIn(region);
    for await (const page of paginateListKeys({ client }, {})) {
      for (const key of page.Keys ?? []) {
        if (!key.KeyArn) continue;
        const tags = await this.keys.tags(key.KeyArn).catch(() => ({}) as Record<string, string>);
        if (!Object.entries(wanted).every(([name, value]) => tags[name] === value)) continue;
        if ((await this.keys.status(key.KeyArn)).state === 'Enabled') return key.KeyArn;
      }
    }
    return undefined;
  }

  /** A key's ARN from its ARN, its id or an alias, in `region`. */
  async resolve(keyIdOrAlias: string, region: string): Promise<string> {
    const lookIn = keyIdOrAlias.startsWith('arn:') ? keyIdOrAlias.split(':')[3]! : region;
    try {
      const { KeyMetadata } = await this.clientIn(lookIn).send(new DescribeKeyCommand({ KeyId: keyIdOrAlias }));
      return KeyMetadata!.Arn!;
    } catch (error) {
      if (error instanceof NotFoundException) throw new KeyNotFoundError(keyIdOrAlias, { cause: error });
      throw error;
    }
  }

  /** Points an alias at the replacement. Already there: nothing to do, and no error. */
  async retargetAlias(alias: string, keyArn: string): Promise<void> {
    const { region, keyId } = keyLocation(keyArn);
    await this.translated(keyArn, 'UpdateAlias', () =>
      this.clientIn(region).send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyId })),
    );
  }

  async state(keyArn: string): Promise<{ state: string; deletionDate: string | undefined }> {
    const { state, deletionDate } = await this.keys.status(keyArn);
    return { state, deletionDate };
  }

  /**
   * The key's last successful cryptographic use (GetKeyLastUsage), or null if none was recorded since tracking
   * began. undefined where the endpoint does not implement the call (the local emulator): unknown, not "never".
   */
  async lastUsage(
    keyArn: string,
  ): Promise<{ at: string; operation: string; eventId: string | undefined } | null | undefined> {
    const { region, keyId } = keyLocation(keyArn);
    try {
      const { KeyLastUsage } = await this.clientIn(region).send(new GetKeyLastUsageCommand({ KeyId: keyId }));
      return KeyLastUsage?.Timestamp
        ? {
            at: KeyLastUsage.Timestamp.toISOString(),
            operation: KeyLastUsage.Operation ?? 'unknown',
            eventId: KeyLastUsage.CloudTrailEventId,
          }
        : null;
    } catch (error) {
      // An endpoint without the operation answers with something that is not KMS JSON at all.
      if (error instanceof SyntaxError || (error as Error).name === 'UnknownOperationException') return undefined;
      if (error instanceof NotFoundException) throw new KeyNotFoundError(keyArn, { cause: error });
      throw error;
    }
  }

  keyPolicy(keyArn: string): Promise<string> {
    return this.keys.keyPolicy(keyArn);
  }

  putKeyPolicy(keyArn: string, policy: string): Promise<void> {
    return this.keys.putKeyPolicy(keyArn, policy);
  }

  async enable(keyArn: string): Promise<void> {
    await this.keys.enableKey(keyArn);
  }

  async disable(keyArn: string): Promise<void> {
    await this.keys.disableKey(keyArn);
  }

  /** KMS allows a pending window of 7 to 30 days; kms-warden never asks for less than that. */
  async scheduleDeletion(keyArn: string, pendingWindowInDays: number): Promise<string> {
    const { region, keyId } = keyLocation(keyArn);
    const { DeletionDate } = await this.translated(keyArn, 'ScheduleKeyDeletion', () =>
      this.clientIn(region).send(
        new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }),
      ),
    );
    return DeletionDate?.toISOString() ?? new Date(Date.now() + pendingWindowInDays * 86_400_000).toISOString();
  }

  private async translated<T>(keyArn: string, operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof NotFoundException) throw new KeyNotFoundError(keyArn, { cause: error });
      if (error instanceof KMSInvalidStateException)
        throw new KeyStateConflictError(keyArn, operation, { cause: error });
      throw error;
    }
  }
}
