import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  NotFoundException,
  paginateListAliases,
  type KeyMetadata,
} from '@aws-sdk/client-kms';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parsePolicy, type PolicyDocument } from './policy-evaluation';

/** Credentials of an identity the emulator knows. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * The layer's own view of the emulator: clients straight to moto (never through the layer) as the test
 * administrator, for what the rules must look up: key metadata and policies, aliases, roles, users, secrets.
 */
export class Emulator {
  private readonly kmsByRegion = new Map<string, KMSClient>();
  readonly iam: IAMClient;
  private readonly secretsByRegion = new Map<string, SecretsManagerClient>();
  private readonly keySchemas = new Map<string, Promise<string[] | undefined>>();
  constructor(
    readonly endpoint: string,
    private readonly credentials: Credentials,
    readonly account: string,
    readonly partition = 'aws',
  ) {
    this.iam = new IAMClient({ endpoint, credentials, region: 'us-east-1' });
  }

  kms(region: string): KMSClient {
    let client = this.kmsByRegion.get(region);
    if (!client)
      this.kmsByRegion.set(
        region,
        (client = new KMSClient({ endpoint: this.endpoint, credentials: this.credentials, region })),
      );
    return client;
  }

  private secrets(region: string): SecretsManagerClient {
    let client = this.secretsByRegion.get(region);
    if (!client)
      this.secretsByRegion.set(
        region,
        (client = new SecretsManagerClient({ endpoint: this.endpoint, credentials: this.credentials, region })),
      );
    return client;
  }

  /** The key a KeyId names (id, key ARN, alias name or alias ARN), as a key ARN; undefined when there is none. */
  async keyArnOf(keyId: string | undefined, region: string): Promise<string | undefined> {
    if (!keyId) return undefined;
    const arn = /^arn:([\w-]+):kms:([\w-]+):(\d{12}):(key|alias)\/(.+)$/.exec(keyId);
    const keyRegion = arn?.[2] ?? region;
    if (arn?.[4] === 'key') return keyId;
    const aliasName = arn?.[4] === 'alias' ? `alias/${arn[5]}` : keyId.startsWith('alias/') ? keyId : undefined;
    if (!aliasName) return `arn:${this.partition}:kms:${keyRegion}:${this.account}:key/${keyId}`;
    for await (const page of paginateListAliases({ client: this.kms(keyRegion) }, {})) {
      const alias = page.Aliases?.find((a) => a.AliasName === aliasName);
      if (alias)
        return alias.TargetKeyId
          ? `arn:${this.partition}:kms:${keyRegion}:${this.account}:key/${alias.TargetKeyId}`
          : undefined;
    }
    return undefined;
  }

  async keyMetadata(keyArn: string): Promise<KeyMetadata | undefined> {
    try {
      return (await this.kms(regionOf(keyArn)).send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata;
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }
  }

  async keyPolicy(keyArn: string): Promise<string | undefined> {
    try {
      return (await this.kms(regionOf(keyArn)).send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' })))
        .Policy;
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw error;
    }
  }

  async aliasesOf(keyArn: string): Promise<string[]> {
    const keyId = keyArn.slice(keyArn.lastIndexOf('/') + 1);
    const names: string[] = [];
    for await (const page of paginateListAliases({ client: this.kms(regionOf(keyArn)) }, { KeyId: keyId })) {
      names.push(...(page.Aliases ?? []).map((alias) => alias.AliasName!));
    }
    return names;
  }

  async role(name: string) {
    try {
      return (await this.iam.send(new GetRoleCommand({ RoleName: name }))).Role;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }

  async user(name: string) {
    try {
      return (await this.iam.send(new GetUserCommand({ UserName: name }))).User;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }

  /** Every inline policy of a role or user, by name, as stored. */
  async inlinePolicies(kind: 'role' | 'user', name: string): Promise<Record<string, string>> {
    const names =
      kind === 'role'
        ? ((await this.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [])
        : ((await this.iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? []);
    const documents: Record<string, string> = {};
    for (const policyName of names) {
      const { PolicyDocument } =
        kind === 'role'
          ? await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))
          : await this.iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }));
      documents[policyName] = decodeURIComponent(PolicyDocument ?? '{}');
    }
    return documents;
  }

  /** The identity-based policies of a role or user: inline and attached managed ones (groups are not used here). */
  async identityPolicies(kind: 'role' | 'user', name: string): Promise<PolicyDocument[]> {
    const inline = Object.values(await this.inlinePolicies(kind, name)).map(parsePolicy);
    const attached =
      kind === 'role'
        ? ((await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies ?? [])
        : ((await this.iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies ?? []);
    const managed = await Promise.all(
      attached.map(async ({ PolicyArn }) => {
        const { Policy } = await this.iam.send(new GetPolicyCommand({ PolicyArn }));
        const { PolicyVersion } = await this.iam.send(
          new GetPolicyVersionCommand({ PolicyArn, VersionId: Policy!.DefaultVersionId }),
        );
        return parsePolicy(decodeURIComponent(PolicyVersion!.Document!));
      }),
    );
    return [...inline, ...managed];
  }

  async accessKeyStatus(userName: string, accessKeyId: string): Promise<string | undefined> {
    const { AccessKeyMetadata = [] } = await this.iam.send(new ListAccessKeysCommand({ UserName: userName }));
    return AccessKeyMetadata.find((key) => key.AccessKeyId === accessKeyId)?.Status;
  }

  async secret(secretId: string, region: string) {
    try {
      return await this.secrets(region).send(new DescribeSecretCommand({ SecretId: secretId }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /** A table's key attributes, partition key first; undefined for no such table. */
  keySchemaOf(table: string, region: string): Promise<string[] | undefined> {
    const name = table.startsWith('arn:') ? table.split(':table/')[1]!.split('/')[0]! : table;
    const cacheKey = `${region}/${name}`;
    let found = this.keySchemas.get(cacheKey);
    if (!found) {
      const client = new DynamoDBClient({ endpoint: this.endpoint, credentials: this.credentials, region });
      found = client
        .send(new DescribeTableCommand({ TableName: name }))
        .then(({ Table }) =>
          Table?.KeySchema
            ? [...Table.KeySchema]
                .sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0))
                .map((key) => key.AttributeName!)
            : undefined,
        )
        .catch(() => undefined)
        .finally(() => client.destroy());
      // A table not made yet is asked again next time.
      this.keySchemas.set(cacheKey, found);
      void found.then((schema) => schema === undefined && this.keySchemas.delete(cacheKey));
    }
    return found;
  }

  /** The name of a table's partition key (the attribute dynamodb:LeadingKeys reads); undefined for no such table. */
  async partitionKeyOf(table: string, region: string): Promise<string | undefined> {
    return (await this.keySchemaOf(table, region))?.[0];
  }

  destroy() {
    for (const client of [...this.kmsByRegion.values(), ...this.secretsByRegion.values(), this.iam]) client.destroy();
  }
}

export const regionOf = (arn: string) => arn.split(':')[3] || 'us-east-1';
