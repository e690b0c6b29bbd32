import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type SSESpecification,
} from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  PutParameterCommand,
  SSMClient,
  type PutParameterCommandInput,
} from '@aws-sdk/client-ssm';
import { DynamoDbTableReEncrypter } from '../../src/aws/rekey/dynamodb';
import { LambdaFunctionReEncrypter } from '../../src/aws/rekey/lambda';
import { SecretsManagerReEncrypter } from '../../src/aws/rekey/secrets-manager';
import { SsmParameterReEncrypter } from '../../src/aws/rekey/ssm';
import type { OldKey, ProtectedResource } from '../../src/rekey/protected-resource';
import { perRegion, type ClientSettings } from '../../src/aws/clients';
import { useMoto } from '../support/moto';

const region = 'us-east-1';

describe('re-keying service resources against moto: inventory, re-encrypt, re-encrypt again', () => {
  const moto = useMoto();
  /** The re-key step's clients: a session of its role, per Region, as src/composition/rekey.ts builds them. */
  const rekeyClients = <C>(make: (config: ClientSettings & { region: string }) => C) =>
    moto.asFunction('rekeyStep', () => perRegion(make));
  let kms: KMSClient;

  beforeAll(() => {
    kms = new KMSClient({ region });
  });

  /** An old key with an alias, its replacement, and an unrelated key whose resources must be left alone. */
  const keys = async (alias: string) => {
    const create = async (Description: string) => (await kms.send(new CreateKeyCommand({ Description }))).KeyMetadata!;
    const old = await create(`${alias} (compromised)`);
    const replacement = await create(`${alias} (replacement)`);
    const other = await create('billing');
    // moto resolves only the bare key id as an alias target.
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: old.KeyId }));
    const oldKey: OldKey = { keyArn: old.Arn!, aliases: [`alias/${alias}`] };
    return { oldKey, oldKeyId: old.KeyId!, newKeyArn: replacement.Arn!, otherKeyArn: other.Arn! };
  };

  const ids = (resources: ProtectedResource[]) => resources.map((resource) => resource.id).sort();

  describe('Secrets Manager', () => {
    let client: SecretsManagerClient;
    let secrets: SecretsManagerReEncrypter;

    beforeAll(async () => {
      client = new SecretsManagerClient({ region });
      secrets = new SecretsManagerReEncrypter(await rekeyClients((c) => new SecretsManagerClient(c)));
    });

    const createSecret = async (Name: string, KmsKeyId: string) =>
      (await client.send(new CreateSecretCommand({ Name, KmsKeyId, SecretString: `${Name}-value` }))).ARN!;
    const secretMetadata = (SecretId: string) => client.send(new DescribeSecretCommand({ SecretId }));

    it('moves the secrets named by the old key ARN or alias, rotates the rotating one, then has nothing left to do', async () => {
      // Prepare
      const { oldKey, newKeyArn, otherKeyArn } = await keys('payments-secrets');
      const byArn = await createSecret('payments/db', oldKey.keyArn);
      const byAlias = await createSecret('payments/api', 'alias/payments-secrets');
      await createSecret('billing/db', otherKeyArn);
      const retired = await createSecret('payments/retired', oldKey.keyArn);
      await client.send(new DeleteSecretCommand({ SecretId: retired, RecoveryWindowInDays: 7 }));
      // moto turns rotation on without a rotation function; AWS would need one (or a managed rotation).
      await client.send(
        new RotateSecretCommand({
          SecretId: byAlias,
          RotationRules: { AutomaticallyAfterDays: 30 },
          RotateImmediately: false,
        }),
      );

      // Act
      const found = await secrets.inventory(oldKey, region);

      // Assess: the other key's secret and the one scheduled for deletion are not there.
      expect(ids(found)).toEqual([byArn, byAlias].sort());
      expect(found.find((resource) => resource.id === byAlias)).toMatchObject({
        service: 'secretsmanager',
        kind: 'secret',
        region,
        detail: { name: 'payments/api', rotationEnabled: true },
      });

      // Act
      const outcomes = await Promise.all(found.map((resource) => secrets.reEncrypt(resource, newKeyArn, oldKey)));

      // Assess
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({ status: 're-encrypted' });
        expect(outcome.status === 're-encrypted' && outcome.notes).toEqual(
          expect.arrayContaining([
            expect.stringContaining('AWSCURRENT, AWSPENDING and AWSPREVIOUS'),
            expect.stringContaining('rotate the value itself'),
          ]),
        );
      }
      const rotated = outcomes[found.findIndex((resource) => resource.id === byAlias)]!;
      expect(rotated.status === 're-encrypted' && rotated.notes).toContainEqual(
        expect.stringContaining('a rotation was started'),
      );
      expect((await secretMetadata(byArn)).KmsKeyId).toBe(newKeyArn);
      expect((await secretMetadata(byAlias)).KmsKeyId).toBe(newKeyArn);
      expect((await client.send(new GetSecretValueCommand({ SecretId: byArn }))).SecretString).toBe(
        'payments/db-value',
      );

      // Act: a resumed run
      const again = await Promise.all(found.map((resource) => secrets.reEncrypt(resource, newKeyArn, oldKey)));

      // Assess
      expect(again.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped']);
      expect(await secrets.inventory(oldKey, region)).toEqual([]);
    });

    it('skips a secret that is scheduled for deletion or gone', async () => {
      // Prepare
      const { oldKey, newKeyArn } = await keys('payments-retired');
      const retired = await createSecret('payments/retired-token', oldKey.keyArn);
      await client.send(new DeleteSecretCommand({ SecretId: retired, RecoveryWindowInDays: 7 }));
      const resource = (id: string): ProtectedResource => ({ service: 'secretsmanager', kind: 'secret', id, region });

      // Act
      const scheduled = await secrets.reEncrypt(resource(retired), newKeyArn, oldKey);
      const gone = await secrets.reEncrypt(resource(`${retired}-gone`), newKeyArn, oldKey);

      // Assess
      expect(scheduled).toMatchObject({ status: 'skipped', detail: expect.stringContaining('scheduled for deletion') });
      expect(gone).toMatchObject({ status: 'skipped', detail: expect.stringContaining('no longer exists') });
      expect((await secretMetadata(retired)).KmsKeyId).toBe(oldKey.keyArn);
    });
  });

  describe('Parameter Store', () => {
    let client: SSMClient;
    let parameters: SsmParameterReEncrypter;

    beforeAll(async () => {
      client = new SSMClient({ region });
      parameters = new SsmParameterReEncrypter(await rekeyClients((c) => new SSMClient(c)));
    });

    const metadata = async (name: string) =>
      (await client.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] })))
        .Parameters![0]!;
    const value = async (Name: string) =>
      (await client.send(new GetParameterCommand({ Name, WithDecryption: true }))).Parameter!.Value;

    it('moves the SecureStrings named by the old key ARN, id or alias, keeping value and settings, then has nothing left to do', async () => {
      // Prepare
      const { oldKey, oldKeyId, newKeyArn, otherKeyArn } = await keys('payments-parameters');
      const put = (Name: string, Value: string, settings: Partial<PutParameterCommandInput> = {}) =>
        client.send(new PutParameterCommand({ Name, Value, Type: 'SecureString', ...settings }));
      await put('/payments/db-password', 'hunter2', {
        KeyId: oldKey.keyArn,
        Description: 'payments database password',
        Tier: 'Advanced',
        AllowedPattern: '^[a-z0-9]+$',
      });
      await put('/payments/api-token', 'token-1', { KeyId: 'alias/payments-parameters' });
      await put('/payments/signing-key', 'signing-1', { KeyId: oldKeyId });
      await put('/billing/db-password', 'billing-1', { KeyId: otherKeyArn });
      await put('/payments/plain', 'not secret', { Type: 'String' });
      await put('/payments/default-key', 'default-1');

      // Act
      const found = await parameters.inventory(oldKey, region);

      // Assess: not the other key's, not the String, not the one on aws/ssm.
      expect(ids(found)).toEqual(['/payments/api-token', '/payments/db-password', '/payments/signing-key']);
      expect(found.find((resource) => resource.id === '/payments/db-password')).toMatchObject({
        service: 'ssm',
        kind: 'parameter',
        region,
        detail: { tier: 'Advanced' },
      });

      // Act
      const outcomes = await Promise.all(found.map((resource) => parameters.reEncrypt(resource, newKeyArn, oldKey)));

      // Assess
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({ status: 're-encrypted' });
        expect(outcome.status === 're-encrypted' && outcome.notes).toContainEqual(
          expect.stringContaining('parameter history stay encrypted under the old key'),
        );
      }
      // moto keeps Description, Tier and AllowedPattern on an overwrite even when they are not passed: this shows
      // they survive the move, not that the adapter carries them over.
      expect(await metadata('/payments/db-password')).toMatchObject({
        KeyId: newKeyArn,
        Description: 'payments database password',
        Tier: 'Advanced',
        AllowedPattern: '^[a-z0-9]+$',
        DataType: 'text',
        Version: 2,
      });
      expect((await metadata('/payments/api-token')).KeyId).toBe(newKeyArn);
      expect((await metadata('/payments/signing-key')).KeyId).toBe(newKeyArn);
      expect(await value('/payments/db-password')).toBe('hunter2');
      expect(await value('/payments/api-token')).toBe('token-1');
      expect(await value('/payments/signing-key')).toBe('signing-1');
      // What the note warns about: version 1 is still there, under the old key.
      const { Parameters: history = [] } = await client.send(
        new GetParameterHistoryCommand({ Name: '/payments/db-password' }),
      );
      expect(history.map((version) => [version.Version, version.KeyId])).toEqual([
        [1, oldKey.keyArn],
        [2, newKeyArn],
      ]);

      // Act: a resumed run
      const again = await Promise.all(found.map((resource) => parameters.reEncrypt(resource, newKeyArn, oldKey)));

      // Assess
      expect(again.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped', 'skipped']);
      expect((await metadata('/payments/db-password')).Version).toBe(2);
      expect(await parameters.inventory(oldKey, region)).toEqual([]);
      expect((await metadata('/billing/db-password')).KeyId).toBe(otherKeyArn);
    });

    it('skips a parameter that is gone', async () => {
      // Prepare
      const { oldKey, newKeyArn } = await keys('payments-gone');

      // Act
      const outcome = await parameters.reEncrypt(
        { service: 'ssm', kind: 'parameter', id: '/payments/deleted', region },
        newKeyArn,
        oldKey,
      );

      // Assess
      expect(outcome).toMatchObject({ status: 'skipped', detail: expect.stringContaining('no longer exists') });
    });
  });

  describe('DynamoDB', () => {
    let client: DynamoDBClient;
    let tables: DynamoDbTableReEncrypter;

    beforeAll(async () => {
      client = new DynamoDBClient({ region });
      tables = new DynamoDbTableReEncrypter(await rekeyClients((c) => new DynamoDBClient(c)));
    });

    const createTable = (TableName: string, SSESpecification?: SSESpecification) =>
      client.send(
        new CreateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
          ...(SSESpecification ? { SSESpecification } : {}),
        }),
      );
    const onKey = (KMSMasterKeyId: string): SSESpecification => ({ Enabled: true, SSEType: 'KMS', KMSMasterKeyId });

    it('inventories the tables under the old key by ARN or alias and switches them with UpdateTable', async () => {
      // Prepare
      const { oldKey, newKeyArn, otherKeyArn } = await keys('payments-tables');
      await createTable('payments-orders', onKey(oldKey.keyArn));
      // Real DynamoDB reports the resolved key ARN; moto echoes the alias it was given, which the matcher also covers.
      await createTable('payments-refunds', onKey('alias/payments-tables'));
      await createTable('billing-invoices', onKey(otherKeyArn));
      await createTable('payments-sessions');

      // Act
      const found = await tables.inventory(oldKey, region);

      // Assess: not the other key's table, not the one on the AWS owned key.
      expect(ids(found)).toEqual(['payments-orders', 'payments-refunds']);
      expect(found[0]).toMatchObject({
        service: 'dynamodb',
        kind: 'table',
        region,
        detail: { arn: expect.stringContaining(':table/payments-') },
      });

      // Act
      const outcomes = await Promise.all(found.map((resource) => tables.reEncrypt(resource, newKeyArn, oldKey)));

      // Assess
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({ status: 're-encrypted' });
        expect(outcome.status === 're-encrypted' && outcome.notes).toEqual(
          expect.arrayContaining([
            expect.stringContaining('Keep the old key enabled'),
            expect.stringContaining('on-demand backups'),
          ]),
        );
      }
      // moto 5.2 accepts UpdateTable but ignores its SSESpecification: the table keeps reporting the old key, so the
      // new key in DescribeTable, the skip on a second run and the empty inventory afterwards cannot be seen here.
      // The skip path is checked below with a table created on the new key.
      const { Table } = await client.send(new DescribeTableCommand({ TableName: 'payments-orders' }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    });

    it('skips a table already on the new key, or gone', async () => {
      // Prepare
      const { oldKey, newKeyArn } = await keys('payments-moved');
      await createTable('payments-moved', onKey(newKeyArn));
      const resource = (id: string): ProtectedResource => ({ service: 'dynamodb', kind: 'table', id, region });

      // Act
      const moved = await tables.reEncrypt(resource('payments-moved'), newKeyArn, oldKey);
      const gone = await tables.reEncrypt(resource('payments-dropped'), newKeyArn, oldKey);

      // Assess
      expect(moved).toMatchObject({ status: 'skipped', detail: expect.stringContaining('already on') });
      expect(gone).toMatchObject({ status: 'skipped', detail: expect.stringContaining('no longer exists') });
      expect(await tables.inventory(oldKey, region)).toEqual([]);
    });
  });

  describe('Lambda', () => {
    let client: LambdaClient;
    let functions: LambdaFunctionReEncrypter;
    let roleArn: string;

    beforeAll(async () => {
      client = new LambdaClient({ region });
      functions = new LambdaFunctionReEncrypter(await rekeyClients((c) => new LambdaClient(c)));
      const trust = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      };
      const iam = new IAMClient({ region });
      roleArn = (
        await iam.send(
          new CreateRoleCommand({ RoleName: 'payments-fn', AssumeRolePolicyDocument: JSON.stringify(trust) }),
        )
      ).Role!.Arn!;
    });

    // moto creates functions without docker (only Invoke needs it) and keeps the package bytes without unpacking them.
    const createFunction = (FunctionName: string, KMSKeyArn: string) =>
      client.send(
        new CreateFunctionCommand({
          FunctionName,
          Runtime: 'nodejs20.x',
          Role: roleArn,
          Handler: 'index.handler',
          Code: { ZipFile: Buffer.from('exports.handler = async () => ({})') },
          Environment: { Variables: { DB_PASSWORD: 'hunter2' } },
          KMSKeyArn,
        }),
      );

    it('switches a function to the new key with UpdateFunctionConfiguration, and skips one that is gone', async () => {
      // Prepare
      const { oldKey, newKeyArn } = await keys('payments-functions');
      await createFunction('payments-api', oldKey.keyArn);
      // moto 5.2 drops a function's KMSKeyArn (it keeps the field only for event source mappings):
      // GetFunctionConfiguration
      // and ListFunctions never report a key, so the inventory cannot find the function, and the new key, the skip on a
      // second run and the empty inventory afterwards cannot be seen here. This guard fails once moto keeps the key.
      expect(
        (await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'payments-api' }))).KMSKeyArn,
      ).toBeUndefined();
      expect(await functions.inventory(oldKey, region)).toEqual([]);
      const resource = (id: string): ProtectedResource => ({ service: 'lambda', kind: 'function', id, region });

      // Act
      const outcome = await functions.reEncrypt(resource('payments-api'), newKeyArn, oldKey);
      const gone = await functions.reEncrypt(resource('payments-retired'), newKeyArn, oldKey);

      // Assess: moto accepted the update.
      expect(outcome).toMatchObject({ status: 're-encrypted', detail: expect.stringContaining(newKeyArn) });
      expect(outcome.status === 're-encrypted' && outcome.notes).toContainEqual(
        expect.stringContaining('Published versions keep'),
      );
      expect(
        (await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'payments-api' }))).LastUpdateStatus,
      ).toBe('Successful');
      expect(gone).toMatchObject({ status: 'skipped', detail: expect.stringContaining('no longer exists') });
    });
  });
});
