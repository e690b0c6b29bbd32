import {
  DescribeParametersCommand,
  GetParameterCommand,
  ParameterNotFound,
  PutParameterCommand,
  paginateDescribeParameters,
  type ParameterMetadata,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/**
 * SecureString parameters whose KMS key is the old one. Parameter Store cannot change a parameter's key in place:
 * the value is read (decrypted with the old key) and written again as a new version under the new key.
 */
export class SsmParameterReEncrypter implements ServiceReEncrypter {
  readonly service = 'ssm' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['ssm:DescribeParameters'] as const;
  readonly iamActions = [
    'ssm:DescribeParameters',
    'ssm:GetParameter',
    'ssm:PutParameter',
    // KMS developer guide, "How Parameter Store uses AWS KMS": GetParameter WithDecryption calls Decrypt (old key);
    // PutParameter calls Encrypt for a standard parameter and GenerateDataKey for an advanced one (new key).
    'kms:Decrypt',
    'kms:Encrypt',
    'kms:GenerateDataKey',
  ] as const;

  constructor(private readonly clientIn: (region: string) => SSMClient) {}

  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    const secureStrings = { ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }] };
    for await (const page of paginateDescribeParameters({ client: this.clientIn(region) }, secureStrings)) {
      for (const parameter of page.Parameters ?? []) {
        if (!parameter.Name || !namesOldKey(parameter.KeyId, oldKey)) continue;
        found.push({
          service: this.service,
          kind: 'parameter',
          id: parameter.Name,
          region,
          detail: { tier: parameter.Tier ?? 'Standard', version: parameter.Version ?? 0 },
        });
      }
    }
    return found;
  }

  async reEncrypt(resource: ProtectedResource, newKeyArn: string, _oldKey: OldKey): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    const metadata = await this.metadata(client, resource.id);
    if (!metadata) return { status: 'skipped', detail: `parameter ${resource.id} no longer exists` };
    if (namesKey(metadata.KeyId, newKeyArn))
      return { status: 'skipped', detail: `parameter ${resource.id} is already on ${newKeyArn}` };

    // Parameter Store has no conditional put: read as late as possible so a concurrent write is unlikely to be lost.
    const current = await this.decrypted(client, resource.id);
    if (!current) return { status: 'skipped', detail: `parameter ${resource.id} no longer exists` };
    const { Version } = await client.send(
      new PutParameterCommand({
        Name: resource.id,
        Value: current.value,
        Type: 'SecureString',
        KeyId: newKeyArn,
        Overwrite: true,
        // Carry the parameter's settings over explicitly rather than rely on what an overwrite leaves in place.
        Description: metadata.Description,
        Tier: metadata.Tier,
        AllowedPattern: metadata.AllowedPattern,
        DataType: current.dataType ?? metadata.DataType,
      }),
    );
    return {
      status: 're-encrypted',
      detail: `parameter ${resource.id} is now encrypted under ${newKeyArn} (version ${Version ?? 'unknown'})`,
      notes: [
        'Earlier versions in the parameter history stay encrypted under the old key; only deleting and re-creating the parameter removes them.',
        'The value was readable by anyone who could Decrypt with the old key: if the attacker could, change the value itself.',
      ],
    };
  }

  private async metadata(client: SSMClient, name: string): Promise<ParameterMetadata | undefined> {
    const { Parameters = [] } = await client.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [name] }] }),
    );
    return Parameters.find((parameter) => parameter.Name === name);
  }

  private async decrypted(
    client: SSMClient,
    name: string,
  ): Promise<{ value: string; dataType: string | undefined } | undefined> {
    try {
      const { Parameter } = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      return Parameter?.Value === undefined ? undefined : { value: Parameter.Value, dataType: Parameter.DataType };
    } catch (error) {
      if (error instanceof ParameterNotFound) return undefined;
      throw error;
    }
  }
}
