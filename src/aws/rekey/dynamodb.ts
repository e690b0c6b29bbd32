import {
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTableCommand,
  paginateListTables,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/**
 * Tables encrypted at rest under the old key. UpdateTable switches a table's key online: DynamoDB re-encrypts the
 * table key under the new KMS key, with no export, no downtime and no change for readers and writers.
 */
export class DynamoDbTableReEncrypter implements ServiceReEncrypter {
  readonly service = 'dynamodb' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['dynamodb:ListTables', 'dynamodb:DescribeTable'] as const;
  readonly iamActions = [
    'dynamodb:ListTables',
    'dynamodb:DescribeTable',
    'dynamodb:UpdateTable',
    // DynamoDB developer guide, "Key policy for a customer managed key": at a minimum DynamoDB needs, on behalf of the
    // principal that selects the key, kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*,
    // kms:DescribeKey and kms:CreateGrant (wildcards spelled out here).
    'kms:Encrypt',
    'kms:Decrypt',
    'kms:ReEncryptFrom',
    'kms:ReEncryptTo',
    'kms:GenerateDataKey',
    'kms:GenerateDataKeyWithoutPlaintext',
    'kms:DescribeKey',
    'kms:CreateGrant',
  ] as const;

  constructor(private readonly clientIn: (region: string) => DynamoDBClient) {}

  /** ListTables names tables only: each one is described to read its key. */
  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const client = this.clientIn(region);
    const found: ProtectedResource[] = [];
    for await (const page of paginateListTables({ client }, {})) {
      for (const name of page.TableNames ?? []) {
        const table = await this.describe(client, name);
        if (!table || !namesOldKey(table.SSEDescription?.KMSMasterKeyArn, oldKey)) continue;
        found.push({
          service: this.service,
          kind: 'table',
          id: name,
          region,
          detail: {
            ...(table.TableArn ? { arn: table.TableArn } : {}),
            ...(table.TableSizeBytes !== undefined ? { sizeBytes: table.TableSizeBytes } : {}),
            ...(table.ItemCount !== undefined ? { itemCount: table.ItemCount } : {}),
          },
        });
      }
    }
    return found;
  }

  /**
   * A table being updated refuses UpdateTable (ResourceInUseException): that error goes up so the run retries later.
   */
  async reEncrypt(resource: ProtectedResource, newKeyArn: string, _oldKey: OldKey): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    const table = await this.describe(client, resource.id);
    if (!table) return { status: 'skipped', detail: `table ${resource.id} no longer exists` };
    if (namesKey(table.SSEDescription?.KMSMasterKeyArn, newKeyArn)) {
      return { status: 'skipped', detail: `table ${resource.id} is already on ${newKeyArn}` };
    }

    await client.send(
      new UpdateTableCommand({
        TableName: resource.id,
        SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: newKeyArn },
      }),
    );
    return {
      status: 're-encrypted',
      detail: `table ${resource.id} is switching to ${newKeyArn}`,
      notes: [
        // DynamoDB developer guide, encryption at rest usage notes: the original key is needed until the switch
        // completes.
        'Keep the old key enabled until DescribeTable shows SSEDescription.Status ENABLED with the new key: DynamoDB needs it to finish the switch.',
        'Existing on-demand backups stay encrypted under the old key, and restoring one needs it: keep the old key until they are no longer needed, or replace them with new backups.',
      ],
    };
  }

  private async describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
    try {
      return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    } catch (error) {
      // Deleted between ListTables and now, or by someone else since the inventory.
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
