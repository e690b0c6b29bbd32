import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  ReplicateKeyCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KeyReplacement } from '../../../src/aws/rekey/kms-replacement';

const kms = mockClient(KMSClient);
const account = '111122223333';
const primary = `arn:aws:kms:us-east-1:${account}:key/mrk-old`;
const replica = `arn:aws:kms:eu-west-1:${account}:key/mrk-old`;
const replacement = `arn:aws:kms:us-east-1:${account}:key/mrk-new`;
const policy = (sid: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: sid, Effect: 'Allow' }] });

describe("the replacement key's multi-Region calls", () => {
  beforeEach(() => kms.reset());

  it('reads a primary and each replica in its own Region: policy, description, tags and aliases of its own', async () => {
    kms.on(DescribeKeyCommand, { KeyId: 'mrk-old' }).callsFake(async (input, getClient) => {
      const region = await (getClient() as KMSClient).config.region();
      return {
        KeyMetadata:
          region === 'us-east-1'
            ? {
                KeyId: 'mrk-old',
                Arn: primary,
                Description: 'orders',
                MultiRegion: true,
                MultiRegionConfiguration: {
                  MultiRegionKeyType: 'PRIMARY',
                  PrimaryKey: { Arn: primary, Region: 'us-east-1' },
                  ReplicaKeys: [{ Arn: replica, Region: 'eu-west-1' }],
                },
              }
            : { KeyId: 'mrk-old', Arn: replica, Description: 'orders in Europe', MultiRegion: true },
      };
    });
    kms.on(GetKeyPolicyCommand).callsFake(async (_input, getClient) => ({
      Policy: policy((await (getClient() as KMSClient).config.region()) === 'us-east-1' ? 'Primary' : 'Replica'),
    }));
    kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
    kms.on(ListAliasesCommand).callsFake(async (_input, getClient) => ({
      Aliases: [
        {
          AliasName: (await (getClient() as KMSClient).config.region()) === 'us-east-1' ? 'alias/orders' : 'alias/eu',
          TargetKeyId: 'mrk-old',
        },
      ],
    }));
    kms.on(GetKeyRotationStatusCommand).resolves({ KeyRotationEnabled: true });
    const snapshot = await new KeyReplacement((region) => new KMSClient({ region })).snapshot(primary);
    expect(snapshot).toMatchObject({ primaryKeyArn: primary, multiRegion: true, aliases: ['alias/orders'] });
    expect(snapshot.replicas).toEqual([
      {
        keyArn: replica,
        region: 'eu-west-1',
        description: 'orders in Europe',
        tags: {},
        aliases: ['alias/eu'],
      },
    ]);
  });

  it('replicates the replacement into a Region it has no replica in, never bypassing the lockout check', async () => {
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: { KeyId: 'mrk-new', Arn: replacement, MultiRegionConfiguration: { ReplicaKeys: [] } },
    });
    kms
      .on(ReplicateKeyCommand)
      .resolves({ ReplicaKeyMetadata: { KeyId: 'mrk-new', Arn: replacement.replace('us-east-1', 'eu-west-1') } });
    const keys = new KeyReplacement((region) => new KMSClient({ region }));
    const old = {
      keyArn: replica,
      region: 'eu-west-1',
      description: 'eu',
      tags: {},
      aliases: [],
    };
    expect(await keys.ensureReplica(replacement, old, policy('Replica'), { team: 'eu' })).toBe(
      replacement.replace('us-east-1', 'eu-west-1'),
    );
    expect(kms.commandCalls(ReplicateKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: 'mrk-new',
      ReplicaRegion: 'eu-west-1',
      Policy: policy('Replica'),
      Description: 'eu',
      Tags: [{ TagKey: 'team', TagValue: 'eu' }],
      BypassPolicyLockoutSafetyCheck: false,
    });
    // Replicated before (a retried step): found, not made again.
    kms.reset();
    kms.on(DescribeKeyCommand).resolves({
      KeyMetadata: {
        KeyId: 'mrk-new',
        Arn: replacement,
        MultiRegionConfiguration: { ReplicaKeys: [{ Region: 'eu-west-1', Arn: 'arn:replica-made-before' }] },
      },
    });
    expect(await keys.ensureReplica(replacement, old, policy('Replica'), {})).toBe('arn:replica-made-before');
    expect(kms.commandCalls(ReplicateKeyCommand)).toHaveLength(0);
  });
});
