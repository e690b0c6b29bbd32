import { memberTemplateOfRepository } from '../../src/local/member-template-source';
import {
  AttachUserPolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  ListRolesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  PutKeyPolicyCommand,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { ListAccountsCommand, ListPoliciesCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CloudFormationClient, CreateStackSetCommand, DescribeStackSetCommand } from '@aws-sdk/client-cloudformation';
import type { MemberAccount } from '../support/strict-aws/harness';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { clientSettings } from '../../src/aws/clients';
import { SnsNotifier } from '../../src/aws/sns-notifier';
import { DynamoDbDetectionMemory } from '../../src/aws/dynamodb-detection-memory';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { provisionResponderStack, type ResponderStack } from '../../src/local/responder-stack';
import { strictRules } from '../support/strict-aws/rules';
import { useMoto } from '../support/moto';
import type { Credentials } from '../support/strict-aws/emulator';

const account = '123456789012';
const rootPolicy = (extra: object[] = []) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'Root',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      ...extra,
    ],
  });
const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** What the strict layer refuses that moto alone accepts, one case per rule and per kind of authorization. */
describe('the strict AWS layer', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let kms: KMSClient;
  let iam: IAMClient;
  const as = (credentials: Credentials) => new KMSClient({ credentials });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: Error) => `${error.name}: ${error.message}`,
    );

  beforeAll(async () => {
    stack = await provisionResponderStack('strict');
    moto.aws.useStack(stack);
    kms = new KMSClient({});
    iam = new IAMClient({});
  });

  const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) =>
    (await kms.send(new CreateKeyCommand(input))).KeyMetadata!;

  describe('authorization', () => {
    it("moto's own enforcement refuses a function's session an action its role does not grant, even past the layer", async () => {
      // Straight to moto, not through the layer: the reminders role grants no IAM action at all. (moto answers its
      // refusals in IAM's XML shape, which the SDK reads for IAM only.)
      const direct = await moto.aws.asFunction(
        'remindPendingDecisions',
        () => new IAMClient({ ...clientSettings(), endpoint: moto.aws.moto.endpoint }),
      );
      expect(await refusal(direct.send(new ListRolesCommand({})))).toMatch(/^AccessDenied.*iam:ListRoles/);
      // And it knows no stranger's credentials.
      const stranger = new IAMClient({
        endpoint: moto.aws.moto.endpoint,
        credentials: { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' },
      });
      expect(await refusal(stranger.send(new ListRolesCommand({})))).toMatch(/InvalidClientTokenId|security token/);
    });

    it("refuses a function's role a resource its policy does not name (another table), which moto alone allows", async () => {
      const other = 'not-kms-warden';
      await new DynamoDBClient({}).send(
        new CreateTableCommand({
          TableName: other,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      const dynamodb = await moto.asFunction('onKmsApiCall', () => new DynamoDBClient(clientSettings()));
      expect(await refusal(dynamodb.send(new PutItemCommand({ TableName: other, Item: { pk: { S: 'x' } } })))).toMatch(
        /AccessDeniedException: .*dynamodb:PutItem on resource: .*table\/not-kms-warden because no identity-based policy/,
      );
      expect(
        await refusal(
          dynamodb.send(
            new GetItemCommand({ TableName: stack.incidentTable, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
          ),
        ),
      ).toBe('accepted');
      // Its own table, but an action the role does not grant.
      expect(
        await refusal(
          dynamodb.send(
            new DeleteItemCommand({ TableName: stack.incidentTable, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }),
          ),
        ),
      ).toMatch(/AccessDeniedException/);
    });

    it('evaluates dynamodb:LeadingKeys and dynamodb:Attributes: the approvals role records decisions, never what the executor acts on', async () => {
      const dynamodb = await moto.asFunction('approvals', () => new DynamoDBClient(clientSettings()));
      const TableName = stack.incidentTable;
      const item = (pk: string) => ({ pk: { S: pk }, sk: { S: 'x' } });
      expect(await refusal(dynamodb.send(new PutItemCommand({ TableName, Item: item('NONCE#n-0') })))).toBe('accepted');
      // An incident is never written whole (a whole item names every attribute); a decision's attributes only.
      expect(await refusal(dynamodb.send(new PutItemCommand({ TableName, Item: item('INCIDENT#i-1') })))).toMatch(
        /AccessDeniedException: .*dynamodb:PutItem/,
      );
      const update = (UpdateExpression: string, ExpressionAttributeNames?: Record<string, string>) =>
        refusal(
          dynamodb.send(
            new UpdateItemCommand({
              TableName,
              Key: item('INCIDENT#i-1'),
              UpdateExpression,
              ...(ExpressionAttributeNames ? { ExpressionAttributeNames } : {}),
              ExpressionAttributeValues: { ':v': { L: [] }, ':none': { L: [] } },
            }),
          ),
        );
      expect(await update('SET decisions = list_append(if_not_exists(decisions, :none), :v)')).toBe('accepted');
      // The plan and the steps' results are what the executor undoes from: out of reach, by name or by #name.
      expect(await update('SET #p = :v', { '#p': 'plan' })).toMatch(/AccessDeniedException: .*dynamodb:UpdateItem/);
      expect(await update('SET decisions = :v, results = :v')).toMatch(/AccessDeniedException/);
      expect(await refusal(dynamodb.send(new GetItemCommand({ TableName, Key: item('NONCE#n-1') })))).toBe('accepted');
      // A stored key policy text (what release puts back), a key journal: out of its reach, moto alone allows them.
      expect(await refusal(dynamodb.send(new PutItemCommand({ TableName, Item: item('POLICYTEXT#k-1') })))).toMatch(
        /AccessDeniedException: .*dynamodb:PutItem/,
      );
      expect(await refusal(dynamodb.send(new GetItemCommand({ TableName, Key: item('KEY#arn') })))).toMatch(
        /AccessDeniedException/,
      );
      const query = (pk: string) =>
        dynamodb.send(
          new QueryCommand({
            TableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'pk' },
            ExpressionAttributeValues: { ':pk': { S: pk } },
          }),
        );
      expect(await refusal(query('AUDIT#2026-12-05'))).toBe('accepted');
      expect(await refusal(query('LEASE#key-policy#arn'))).toMatch(/AccessDeniedException: .*dynamodb:Query/);
      // One item out of reach refuses the whole transaction.
      expect(
        await refusal(
          dynamodb.send(
            new TransactWriteItemsCommand({
              TransactItems: [
                { Put: { TableName, Item: item('NONCE#i-2') } },
                { Put: { TableName, Item: item('POLICYTEXT#k-2') } },
              ],
            }),
          ),
        ),
      ).toMatch(/AccessDeniedException: .*dynamodb:PutItem/);
      expect((await dynamodb.send(new GetItemCommand({ TableName, Key: item('NONCE#i-2') }))).Item).toBeUndefined();
    });

    it("evaluates Secrets Manager's condition keys: the re-key role moves a secret only to a key of this account", async () => {
      const { ARN } = await new SecretsManagerClient({}).send(
        new CreateSecretCommand({ Name: 'strict/moved', SecretString: 'v' }),
      );
      const key = await newKey();
      const rekey = await moto.asFunction('rekeyStep', () => new SecretsManagerClient(clientSettings()));
      const moveTo = (KmsKeyId?: string) =>
        refusal(rekey.send(new UpdateSecretCommand({ SecretId: ARN, ...(KmsKeyId ? { KmsKeyId } : {}) })));
      expect(await moveTo('arn:aws:kms:us-east-1:999999999999:key/0b7e1f5c-0000-4000-8000-000000000000')).toMatch(
        /AccessDeniedException: .*secretsmanager:UpdateSecret/,
      );
      // No key named: a new value alone is not a move, and is refused too.
      expect(await moveTo()).toMatch(/AccessDeniedException/);
      expect(await moveTo(key.Arn)).toBe('accepted');
      // A rotation may run only the function the secret already has.
      expect(
        await refusal(
          rekey.send(
            new RotateSecretCommand({
              SecretId: ARN,
              RotationLambdaARN: 'arn:aws:lambda:us-east-1:123456789012:function:attacker',
            }),
          ),
        ),
      ).toMatch(/AccessDeniedException: .*secretsmanager:RotateSecret/);
    });

    it('authorizes KMS calls by the key policy: a key whose policy neither names the role nor delegates to the account is shut to it', async () => {
      const roleArn = moto.aws.roleArnOf('onKmsApiCall');
      const { KeyId } = await newKey();
      const responder = await moto.asFunction('onKmsApiCall', () => new KMSClient(clientSettings()));
      expect(await refusal(responder.send(new DescribeKeyCommand({ KeyId })))).toBe('accepted');
      // The administrator keeps itself in (the lockout check); the account itself is no longer named.
      const adminOnly = JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Admin',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${account}:user/kms-warden-test-admin` },
            Action: 'kms:*',
            Resource: '*',
          },
        ],
      });
      await kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: adminOnly }));
      expect(await refusal(responder.send(new DescribeKeyCommand({ KeyId })))).toMatch(
        /AccessDeniedException: .*kms:DescribeKey .*because no resource-based policy allows/,
      );
      // Naming the role itself is enough, whatever IAM says.
      const withRole = JSON.parse(adminOnly);
      withRole.Statement.push({
        Sid: 'Responder',
        Effect: 'Allow',
        Principal: { AWS: roleArn },
        Action: 'kms:DescribeKey',
        Resource: '*',
      });
      await kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: JSON.stringify(withRole) }));
      expect(await refusal(responder.send(new DescribeKeyCommand({ KeyId })))).toBe('accepted');
    });

    it('evaluates conditions: a role session issued before a TokenIssueTime deny is refused, a later one is not', async () => {
      await iam.send(new CreateRoleCommand({ RoleName: 'worker', AssumeRolePolicyDocument: trust }));
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'worker',
          PolicyName: 'work',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }],
          }),
        }),
      );
      const { KeyId } = await newKey();
      const cut = new Date();
      const before = await moto.aws.sessionOfRole('worker', 'old', new Date(cut.getTime() - 60_000));
      const after = await moto.aws.sessionOfRole('worker', 'new', new Date(cut.getTime() + 60_000));
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: 'worker',
          PolicyName: 'revoke',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Deny',
                Action: '*',
                Resource: '*',
                Condition: { DateLessThan: { 'aws:TokenIssueTime': cut.toISOString() } },
              },
            ],
          }),
        }),
      );
      expect(await refusal(as(before).send(new DescribeKeyCommand({ KeyId })))).toMatch(
        /AccessDeniedException: .*explicit deny in an identity-based policy/,
      );
      expect(await refusal(as(after).send(new DescribeKeyCommand({ KeyId })))).toBe('accepted');
    });

    it("refuses a user's deactivated access key", async () => {
      await iam.send(new CreateUserCommand({ UserName: 'bob' }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: 'bob',
          PolicyName: 'kms',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }],
          }),
        }),
      );
      const bob = await moto.aws.accessKeyOfUser('bob');
      expect(await refusal(as(bob).send(new CreateKeyCommand({})))).toBe('accepted');
      await iam.send(
        new UpdateAccessKeyCommand({ UserName: 'bob', AccessKeyId: bob.userAccessKeyId, Status: 'Inactive' }),
      );
      expect(await refusal(as(bob).send(new CreateKeyCommand({})))).toMatch(
        /UnrecognizedClientException: The security token included in the request is invalid/,
      );
    });
  });

  describe('rules', () => {
    it('kms-lockout-safety-check: a policy that would shut the caller out is refused; bypassing the check is allowed', async () => {
      const { KeyId } = await newKey();
      const { Role } = await iam.send(
        new CreateRoleCommand({ RoleName: 'other-admin', AssumeRolePolicyDocument: trust }),
      );
      const other = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: Role!.Arn }, Action: 'kms:*', Resource: '*' }],
      });
      expect(await refusal(kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: other })))).toBe(
        'MalformedPolicyDocumentException: The new key policy will not allow you to update the key policy in the future.',
      );
      expect(await refusal(kms.send(new CreateKeyCommand({ Policy: other })))).toMatch(
        /^MalformedPolicyDocumentException: The new key policy/,
      );
      // Through the account: the caller's IAM policy must allow PutKeyPolicy too. The approvals role's does; the
      // reminders role's grants no KMS action, so a policy that only delegates to the account shuts it out.
      const reminders = await moto.asFunction('remindPendingDecisions', () => new KMSClient(clientSettings()));
      await kms.send(
        new PutKeyPolicyCommand({
          KeyId,
          PolicyName: 'default',
          Policy: rootPolicy([
            {
              Sid: 'Reminders',
              Effect: 'Allow',
              Principal: { AWS: moto.aws.roleArnOf('remindPendingDecisions') },
              Action: 'kms:PutKeyPolicy',
              Resource: '*',
            },
          ]),
        }),
      );
      expect(
        await refusal(reminders.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: rootPolicy() }))),
      ).toMatch(/^MalformedPolicyDocumentException: The new key policy/);
      expect(
        await refusal(
          kms.send(
            new PutKeyPolicyCommand({
              KeyId,
              PolicyName: 'default',
              Policy: other,
              BypassPolicyLockoutSafetyCheck: true,
            }),
          ),
        ),
      ).toBe('accepted');
    });

    it('kms-key-policy-size: a policy over 32 KB is refused', async () => {
      const { KeyId } = await newKey();
      const big = rootPolicy([
        {
          Sid: 'Padding',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: Array.from({ length: 2000 }, (_, i) => `kms:Describe${i}`),
          Resource: '*',
        },
      ]);
      expect(big.length).toBeGreaterThan(32_768);
      expect(await refusal(kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: big })))).toMatch(
        /^LimitExceededException/,
      );
    });

    it('kms-key-policy-principals: a role that does not exist is refused; another account is taken as it is', async () => {
      const { KeyId } = await newKey();
      const ghost = rootPolicy([
        {
          Sid: 'Ghost',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:role/nobody` },
          Action: 'kms:Decrypt',
          Resource: '*',
        },
      ]);
      expect(await refusal(kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: ghost })))).toBe(
        'MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals.',
      );
      const outside = rootPolicy([
        {
          Sid: 'Outside',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::999988887777:root' },
          Action: 'kms:Decrypt',
          Resource: '*',
        },
      ]);
      expect(await refusal(kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: outside })))).toBe(
        'accepted',
      );
    });

    it('kms-key-policy-elements: a statement without Action, or with a Resource other than "*", is refused', async () => {
      const { KeyId } = await newKey();
      const scoped = rootPolicy([
        {
          Sid: 'Scoped',
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'kms:Decrypt',
          Resource: 'arn:aws:kms:*:*:key/*',
        },
      ]);
      expect(
        await refusal(kms.send(new PutKeyPolicyCommand({ KeyId, PolicyName: 'default', Policy: scoped }))),
      ).toMatch(/^MalformedPolicyDocumentException/);
    });

    it('kms-tags-per-key: a 51st tag, and an aws: tag, are refused', async () => {
      const { KeyId } = await newKey({
        Tags: Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'v' })),
      });
      expect(
        await refusal(kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 't0', TagValue: 'replaced' }] }))),
      ).toBe('accepted');
      expect(
        await refusal(kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'one-more', TagValue: 'v' }] }))),
      ).toMatch(/^TagException: Too many tags/);
      expect(
        await refusal(kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'aws:owner', TagValue: 'v' }] }))),
      ).toBe('TagException: Tags beginning with aws: are reserved');
    });

    it('kms-pending-replica-deletion: a multi-Region primary with a replica waits in PendingReplicaDeletion', async () => {
      const { KeyId, Arn } = await newKey({ MultiRegion: true });
      await kms.send(new ReplicateKeyCommand({ KeyId, ReplicaRegion: 'eu-west-1' }));
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
      expect(scheduled).toMatchObject({ KeyState: 'PendingReplicaDeletion', PendingWindowInDays: 7 });
      expect(scheduled.DeletionDate).toBeUndefined();
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: Arn }));
      expect(KeyMetadata).toMatchObject({ KeyState: 'PendingReplicaDeletion' });
      expect(KeyMetadata!.DeletionDate).toBeUndefined();
    });

    it('kms-rotation-unsupported: asymmetric, imported-material and custom-key-store keys refuse rotation', async () => {
      const asymmetric = await newKey({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
      expect(await refusal(kms.send(new EnableKeyRotationCommand({ KeyId: asymmetric.KeyId })))).toMatch(
        /^UnsupportedOperationException/,
      );
      expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: asymmetric.KeyId }))).KeyRotationEnabled).toBe(
        false,
      );
      const imported = await newKey({ Origin: 'EXTERNAL' });
      expect(await refusal(kms.send(new EnableKeyRotationCommand({ KeyId: imported.KeyId })))).toBe(
        `UnsupportedOperationException: ${imported.Arn} origin is EXTERNAL which is not valid for this operation.`,
      );
      const inStore = await newKey({ CustomKeyStoreId: 'cks-1234567890abcdef0' });
      expect(await refusal(kms.send(new EnableKeyRotationCommand({ KeyId: inStore.KeyId })))).toMatch(
        /^UnsupportedOperationException: .*custom key store/,
      );
      const plain = await newKey();
      expect(await refusal(kms.send(new EnableKeyRotationCommand({ KeyId: plain.KeyId })))).toBe('accepted');
    });

    it('kms-custom-key-store-keys: a key made in a custom key store says so', async () => {
      const inStore = await newKey({ CustomKeyStoreId: 'cks-1234567890abcdef0', Origin: 'EXTERNAL_KEY_STORE' });
      expect(inStore).toMatchObject({ CustomKeyStoreId: 'cks-1234567890abcdef0', Origin: 'EXTERNAL_KEY_STORE' });
      expect((await kms.send(new DescribeKeyCommand({ KeyId: inStore.KeyId }))).KeyMetadata).toMatchObject({
        CustomKeyStoreId: 'cks-1234567890abcdef0',
        Origin: 'EXTERNAL_KEY_STORE',
      });
      expect(
        (await kms.send(new DescribeKeyCommand({ KeyId: (await newKey()).KeyId }))).KeyMetadata!.CustomKeyStoreId,
      ).toBeUndefined();
    });

    it('kms-aws-managed-keys: an AWS managed key reports itself so and refuses changes', async () => {
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }));
      expect(KeyMetadata).toMatchObject({ KeyManager: 'AWS' });
      expect(await refusal(kms.send(new DisableKeyCommand({ KeyId: KeyMetadata!.KeyId })))).toMatch(
        /^AccessDeniedException: .*kms:DisableKey .*no resource-based policy/,
      );
      // A customer alias pointing at a customer key changes nothing.
      const mine = await newKey();
      await kms.send(new CreateAliasCommand({ AliasName: 'alias/payments', TargetKeyId: mine.KeyId }));
      expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/payments' }))).KeyMetadata).toMatchObject({
        KeyManager: 'CUSTOMER',
      });
      expect(await refusal(kms.send(new DisableKeyCommand({ KeyId: mine.KeyId })))).toBe('accepted');
    });

    it('iam-protected-roles: IAM Identity Center and service-linked roles refuse inline policies', async () => {
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'AWSReservedSSO_Admin_0123456789abcdef',
          Path: '/aws-reserved/sso.amazonaws.com/',
          AssumeRolePolicyDocument: trust,
        }),
      );
      const deny = JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
      });
      expect(
        await refusal(
          iam.send(
            new PutRolePolicyCommand({
              RoleName: 'AWSReservedSSO_Admin_0123456789abcdef',
              PolicyName: 'x',
              PolicyDocument: deny,
            }),
          ),
        ),
      ).toBe(
        "UnmodifiableEntityException: Cannot perform the operation on the protected role 'AWSReservedSSO_Admin_0123456789abcdef' - this role is only modifiable by AWS",
      );
      await iam.send(
        new CreateRoleCommand({
          RoleName: 'AWSServiceRoleForSupport',
          Path: '/aws-service-role/support.amazonaws.com/',
          AssumeRolePolicyDocument: trust,
        }),
      );
      expect(
        await refusal(
          iam.send(
            new PutRolePolicyCommand({ RoleName: 'AWSServiceRoleForSupport', PolicyName: 'x', PolicyDocument: deny }),
          ),
        ),
      ).toMatch(/^UnmodifiableEntityException/);
    });

    it("iam-inline-policy-size: a user's inline policies total 2,048 characters at most, white space not counted", async () => {
      await iam.send(new CreateUserCommand({ UserName: 'carol' }));
      const policyOf = (actions: number) =>
        JSON.stringify(
          {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: Array.from({ length: actions }, (_, i) => `s3:Get${i}`), Resource: '*' },
            ],
          },
          null,
          8,
        );
      expect(
        await refusal(
          iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'a', PolicyDocument: policyOf(100) })),
        ),
      ).toBe('accepted');
      expect(
        await refusal(
          iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'b', PolicyDocument: policyOf(100) })),
        ),
      ).toBe('LimitExceededException: Maximum policy size of 2048 bytes exceeded for user carol');
      // Replacing a policy counts the new version, not both.
      expect(
        await refusal(
          iam.send(new PutUserPolicyCommand({ UserName: 'carol', PolicyName: 'a', PolicyDocument: policyOf(110) })),
        ),
      ).toBe('accepted');
    });

    it('iam-attached-policies: an 11th managed policy on a user is refused; attaching one it has changes nothing', async () => {
      await iam.send(new CreateUserCommand({ UserName: 'dora' }));
      const managed = [
        'AmazonS3ReadOnlyAccess',
        'AmazonEC2ReadOnlyAccess',
        'AmazonSQSReadOnlyAccess',
        'AmazonSNSReadOnlyAccess',
        'AmazonRDSReadOnlyAccess',
        'AmazonDynamoDBReadOnlyAccess',
        'IAMReadOnlyAccess',
        'AWSLambda_ReadOnlyAccess',
        'CloudWatchReadOnlyAccess',
        'AmazonVPCReadOnlyAccess',
      ];
      for (const name of managed)
        await iam.send(new AttachUserPolicyCommand({ UserName: 'dora', PolicyArn: `arn:aws:iam::aws:policy/${name}` }));
      expect(
        await refusal(
          iam.send(
            new AttachUserPolicyCommand({
              UserName: 'dora',
              PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
            }),
          ),
        ),
      ).toBe('accepted');
      expect(
        await refusal(
          iam.send(new AttachUserPolicyCommand({ UserName: 'dora', PolicyArn: 'arn:aws:iam::aws:policy/AWSDenyAll' })),
        ),
      ).toBe('LimitExceededException: Cannot exceed quota for PoliciesPerUser: 10');
    });

    it('secretsmanager-managed-secrets: a secret another service manages refuses UpdateSecret and says who owns it', async () => {
      const secrets = new SecretsManagerClient({});
      const { ARN } = await secrets.send(
        new CreateSecretCommand({ Name: 'rds!db-0f1e2d3c', SecretString: '{"password":"x"}' }),
      );
      expect((await secrets.send(new DescribeSecretCommand({ SecretId: ARN }))).OwningService).toBe(
        'rds.amazonaws.com',
      );
      const { KeyId } = await newKey();
      expect(await refusal(secrets.send(new UpdateSecretCommand({ SecretId: ARN, KmsKeyId: KeyId })))).toMatch(
        /^InvalidRequestException: .*managed by rds/,
      );
      const { ARN: own } = await secrets.send(new CreateSecretCommand({ Name: 'payments/db', SecretString: 'x' }));
      expect(await refusal(secrets.send(new UpdateSecretCommand({ SecretId: own, KmsKeyId: KeyId })))).toBe('accepted');
    });

    it('sns-publish-limits: a subject of 100 characters or with a line break, and a message over 256 KB, are refused', async () => {
      const sns = new SNSClient({});
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'strict-publish' }));
      const publish = (Subject: string, Message = 'm') =>
        refusal(sns.send(new PublishCommand({ TopicArn, Subject, Message })));
      expect(await publish('s'.repeat(99))).toBe('accepted');
      expect(await publish('s'.repeat(100))).toMatch(/^InvalidParameter/);
      expect(await publish('line\nbreak')).toMatch(/^InvalidParameter/);
      expect(await publish('fine', 'm'.repeat(262_145))).toMatch(/^InvalidParameter.*too long/);
      // What kms-warden sends: a subject built from an outsider's text fits.
      const notifier = new SnsNotifier(sns, TopicArn!);
      await expect(
        notifier.send({
          incidentId: 'i-1',
          severity: 'high',
          subject: `[kms-warden] ${'\u202e<!channel>\n'.repeat(40)}`,
          text: 'body',
        }),
      ).resolves.toEqual(expect.any(String));
    });

    it('dynamodb-transaction-limits: two actions on one item, over 100 actions, or a long token are refused', async () => {
      const dynamodb = new DynamoDBClient({});
      const put = (pk: string, sk = 'CLAIM') => ({
        Put: { TableName: stack.incidentTable, Item: { pk: { S: pk }, sk: { S: sk }, at: { S: 'now' } } },
      });
      const transact = (TransactItems: Array<ReturnType<typeof put>>, ClientRequestToken?: string) =>
        refusal(dynamodb.send(new TransactWriteItemsCommand({ TransactItems, ClientRequestToken })));
      // What the incident store writes: an incident, its signal's claim and its group's holder, three items.
      expect(
        await transact(
          [put('INCIDENT#strict-t', 'INCIDENT'), put('SIGNAL#strict-t'), put('GROUP#strict-t', 'HOLDER')],
          '00000000-0000-4000-8000-000000000000',
        ),
      ).toBe('accepted');
      expect(await transact([put('SIGNAL#strict-twice'), put('SIGNAL#strict-twice')])).toMatch(
        /^ValidationException: Transaction request cannot include multiple operations on one item/,
      );
      // The same partition key with another sort key is another item.
      expect(await transact([put('SIGNAL#strict-two', 'A'), put('SIGNAL#strict-two', 'B')])).toBe('accepted');
      expect(await transact(Array.from({ length: 101 }, (_, i) => put(`SIGNAL#strict-many-${i}`)))).toMatch(
        /^ValidationException: .*transactItems/,
      );
      expect(await transact([put('SIGNAL#strict-token')], 'x'.repeat(37))).toMatch(
        /^ValidationException: .*clientRequestToken/,
      );
    });

    it('dynamodb-expression-limits: an expression over 4 KB, and two actions on one path, are refused', async () => {
      const dynamodb = new DynamoDBClient({});
      const update = (UpdateExpression: string, names: Record<string, string>, values: Record<string, string>) =>
        refusal(
          dynamodb.send(
            new UpdateItemCommand({
              TableName: stack.incidentTable,
              Key: { pk: { S: 'MEMORY#strict' }, sk: { S: 'MEMORY' } },
              UpdateExpression,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { N: v }])),
            }),
          ),
        );
      // Attributes with dots in their names are names of their own; nested paths that differ do not overlap.
      expect(
        await update(
          'SET #a = if_not_exists(#a, :one), #b = :one ADD #c :one',
          { '#a': 'hourly.10', '#b': 'hourly.11', '#c': 'hourly.12' },
          { ':one': '1' },
        ),
      ).toBe('accepted');
      expect(await update('SET #a = :one ADD #a :one', { '#a': 'hourly.10' }, { ':one': '1' })).toMatch(
        /^ValidationException: .*Two document paths overlap/,
      );
      const many = Array.from({ length: 500 }, (_, i) => `#n${i} = :one`).join(', ');
      const names = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`#n${i}`, `n${i}`]));
      expect(await update(`SET ${many}`, names, { ':one': '1' })).toMatch(
        /^ValidationException: Invalid UpdateExpression: Expression size has exceeded/,
      );
      // What detection memory writes for an entry with many changes: parts that each fit.
      const memory = new DynamoDbDetectionMemory(DynamoDBDocumentClient.from(dynamodb), stack.incidentTable, 30);
      await memory.prefetch([{ principalArn: 'arn:aws:iam::123456789012:role/strict' }]);
      const enumerated = Object.fromEntries(
        Array.from({ length: 400 }, (_, i) => [
          `arn:aws:kms:us-east-1:123456789012:key/${String(i).padStart(36, '0')}`,
          i,
        ]),
      );
      memory.putPrincipal('arn:aws:iam::123456789012:role/strict', { denied: {}, enumerated });
      await memory.flush({ shard: 'shardId-000000000000', sequence: '1' });
      expect(memory.sent.writes).toBeGreaterThan(1);
    });

    it('has a case above for every rule', () => {
      const cases = readFileSync(__filename, 'utf8');
      for (const rule of strictRules) expect(cases).toMatch(new RegExp(`it\\(['"]${rule.id}:`));
    });
  });
});

/** The rules about accounts of an organization, in one: a member role, the management account, a member's admin. */
describe('the strict AWS layer, in an organization', () => {
  const moto = useMoto({ organization: ['payments'] });
  let payments: MemberAccount;
  let memberRoleArn: string;
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: Error) => `${error.name}: ${error.message}`,
    );
  const member = memberTemplateOfRepository();

  beforeAll(async () => {
    [payments] = moto.aws.organization!.members as [MemberAccount];
    moto.aws.useStack(await provisionResponderStack('strict-org'));
    memberRoleArn = await moto.aws.deployMemberRole(payments.account, member);
  });

  const assume = (sts: STSClient, input: Partial<ConstructorParameters<typeof AssumeRoleCommand>[0]> = {}) =>
    sts.send(
      new AssumeRoleCommand({
        RoleArn: memberRoleArn,
        RoleSessionName: 'kms-warden-test',
        ExternalId: 'kms-warden-test',
        ...input,
      }),
    );

  it("sts-assume-role-trust: only the trusted central roles, with the organization's external id, to a role that exists", async () => {
    const sts = await moto.asFunction('onKmsApiCall', () => new STSClient(clientSettings()));
    expect(await refusal(assume(sts))).toBe('accepted');
    const denied =
      /^AccessDenied: User: arn:aws:sts::123456789012:assumed-role\/.+ is not authorized to perform: sts:AssumeRole on resource: /;
    expect(await refusal(assume(sts, { ExternalId: 'someone-else' }))).toMatch(denied);
    expect(await refusal(assume(sts, { ExternalId: undefined }))).toMatch(denied);
    expect(
      await refusal(assume(sts, { RoleArn: `arn:aws:iam::${payments.account}:role/kms-warden/no-such-role` })),
    ).toMatch(denied);
    // The member role trusts the central roles that act; the approvals function is not one of them.
    const approvals = await moto.asFunction('approvals', () => new STSClient(clientSettings()));
    expect(await refusal(assume(approvals))).toMatch(/^AccessDenied: /);
    // Nor the member account's own administrator.
    const admin = new STSClient(moto.aws.memberClient(payments.account));
    expect(await refusal(assume(admin))).toMatch(/^AccessDenied: User: arn:aws:iam::\d{12}:user\//);
    expect(await refusal(assume(sts, { RoleSessionName: 'x' }))).toMatch(/^ValidationError: .*roleSessionName/);
    expect(await refusal(assume(sts, { RoleSessionName: 'has space' }))).toMatch(/^ValidationError: /);
    expect(await refusal(assume(sts, { DurationSeconds: 7200 }))).toMatch(/^ValidationError: .*role chaining/);
  });

  it('organizations-management-reads: the management account lists them; a member account and a page over 20 are refused', async () => {
    const central = await moto.asFunction('onKmsApiCall', () => new OrganizationsClient(clientSettings()));
    const { Accounts = [] } = await central.send(new ListAccountsCommand({ MaxResults: 20 }));
    expect(Accounts.map((a) => a.Id).sort()).toEqual([account, payments.account].sort());
    expect(await refusal(central.send(new ListAccountsCommand({ MaxResults: 21 })))).toMatch(/^InvalidInputException/);
    const memberAdmin = new OrganizationsClient(moto.aws.memberClient(payments.account));
    expect(await refusal(memberAdmin.send(new ListAccountsCommand({})))).toBe(
      "AccessDeniedException: You don't have permissions to access this resource.",
    );
    expect(await refusal(memberAdmin.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' })))).toBe(
      "AccessDeniedException: You don't have permissions to access this resource.",
    );
    // The management account's administrator (the test) may read its policies.
    expect(
      await refusal(new OrganizationsClient({}).send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }))),
    ).toBe('accepted');
  });

  it('cloudformation-stackset-auto-deployment: kept and shown for a service-managed StackSet, refused where AWS refuses it', async () => {
    const cloudFormation = new CloudFormationClient({});
    const body = JSON.stringify({ Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });
    expect(
      await refusal(
        cloudFormation.send(
          new CreateStackSetCommand({
            StackSetName: 'self-managed',
            TemplateBody: body,
            PermissionModel: 'SELF_MANAGED',
            AutoDeployment: { Enabled: true },
          }),
        ),
      ),
    ).toMatch(/^ValidationError: AutoDeployment is only supported/);
    expect(
      await refusal(
        cloudFormation.send(
          new CreateStackSetCommand({
            StackSetName: 'retain-without-enabled',
            TemplateBody: body,
            PermissionModel: 'SERVICE_MANAGED',
            AutoDeployment: { Enabled: false, RetainStacksOnAccountRemoval: true },
          }),
        ),
      ),
    ).toMatch(/^ValidationError: RetainStacksOnAccountRemoval/);
    await cloudFormation.send(
      new CreateStackSetCommand({
        StackSetName: 'service-managed',
        TemplateBody: body,
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      }),
    );
    const { StackSet } = await cloudFormation.send(new DescribeStackSetCommand({ StackSetName: 'service-managed' }));
    expect(StackSet?.AutoDeployment).toEqual({ Enabled: true, RetainStacksOnAccountRemoval: false });
  });
});
