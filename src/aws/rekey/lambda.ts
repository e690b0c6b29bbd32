import {
  GetFunctionConfigurationCommand,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
  paginateListFunctions,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  namesKey,
  namesOldKey,
  type OldKey,
  type ProtectedResource,
  type ReEncryptOutcome,
  type ServiceReEncrypter,
} from '../../rekey/protected-resource';

/**
 * Functions whose customer managed key (KMSKeyArn: environment variables, SnapStart snapshots) is the old one.
 * Only the unpublished $LATEST can change: published versions are immutable and keep the old key.
 */
export class LambdaFunctionReEncrypter implements ServiceReEncrypter {
  readonly service = 'lambda' as const;
  /** What inventory alone calls: the plan shown before approval (handlers/plan-rekey.ts). */
  readonly inventoryIamActions = ['lambda:ListFunctions'] as const;
  readonly iamActions = [
    'lambda:ListFunctions',
    'lambda:GetFunctionConfiguration',
    'lambda:UpdateFunctionConfiguration',
    // Lambda developer guide, "Securing environment variables": kms:CreateGrant and kms:Encrypt to configure a
    // customer managed key on a function, kms:Decrypt to manage environment variables encrypted with one.
    'kms:CreateGrant',
    'kms:Encrypt',
    'kms:Decrypt',
  ] as const;

  constructor(private readonly clientIn: (region: string) => LambdaClient) {}

  /** ListFunctions without FunctionVersion=ALL returns $LATEST only: the configuration that can still be changed. */
  async inventory(oldKey: OldKey, region: string): Promise<ProtectedResource[]> {
    const found: ProtectedResource[] = [];
    for await (const page of paginateListFunctions({ client: this.clientIn(region) }, {})) {
      for (const fn of page.Functions ?? []) {
        if (!fn.FunctionName || !namesOldKey(fn.KMSKeyArn, oldKey)) continue;
        found.push({
          service: this.service,
          kind: 'function',
          id: fn.FunctionName,
          region,
          detail: {
            ...(fn.FunctionArn ? { arn: fn.FunctionArn } : {}),
            ...(fn.Runtime ? { runtime: fn.Runtime } : {}),
          },
        });
      }
    }
    return found;
  }

  /**
   * A function mid-update refuses the change (ResourceConflictException): that error goes up so the run retries later.
   */
  async reEncrypt(resource: ProtectedResource, newKeyArn: string, _oldKey: OldKey): Promise<ReEncryptOutcome> {
    const client = this.clientIn(resource.region);
    const fn = await this.configuration(client, resource.id);
    if (!fn) return { status: 'skipped', detail: `function ${resource.id} no longer exists` };
    if (namesKey(fn.KMSKeyArn, newKeyArn))
      return { status: 'skipped', detail: `function ${resource.id} is already on ${newKeyArn}` };

    await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: resource.id, KMSKeyArn: newKeyArn }));
    return {
      status: 're-encrypted',
      detail: `function ${resource.id} ($LATEST) is now encrypted under ${newKeyArn}`,
      notes: [
        'Published versions keep their configuration under the old key: publish a new version, move aliases to it, then delete the old versions.',
        'Environment variables were readable by anyone who could Decrypt with the old key: if the attacker could, change any secret they hold.',
      ],
    };
  }

  private async configuration(client: LambdaClient, functionName: string): Promise<FunctionConfiguration | undefined> {
    try {
      return await client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
