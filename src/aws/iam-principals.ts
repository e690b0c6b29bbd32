import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  paginateListAccessKeys,
} from '@aws-sdk/client-iam';
import { PrincipalNotFoundError } from '../errors';

export type IamPrincipalKind = 'role' | 'user';

/** The IAM calls quarantine makes, on roles and users named by ARN. */
export class IamPrincipals {
  constructor(private readonly client: IAMClient) {}

  async inlinePolicy(kind: IamPrincipalKind, name: string, policyName: string): Promise<string | undefined> {
    try {
      const { PolicyDocument } =
        kind === 'role'
          ? await this.client.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))
          : await this.client.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }));
      // IAM returns the document URL-encoded.
      return PolicyDocument ? decodeURIComponent(PolicyDocument) : undefined;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }

  async putInlinePolicy(kind: IamPrincipalKind, name: string, policyName: string, document: string): Promise<void> {
    try {
      if (kind === 'role') await this.client.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: document }));
      else await this.client.send(new PutUserPolicyCommand({ UserName: name, PolicyName: policyName, PolicyDocument: document }));
    } catch (error) {
      if (error instanceof NoSuchEntityException) throw new PrincipalNotFoundError(`${kind}/${name}`, { cause: error });
      throw error;
    }
  }

  async deleteInlinePolicy(kind: IamPrincipalKind, name: string, policyName: string): Promise<void> {
    try {
      if (kind === 'role') await this.client.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
      else await this.client.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policyName }));
    } catch (error) {
      if (error instanceof NoSuchEntityException) return;
      throw error;
    }
  }

  async activeAccessKeys(userName: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const page of paginateListAccessKeys({ client: this.client }, { UserName: userName })) {
        for (const key of page.AccessKeyMetadata ?? []) if (key.Status === 'Active' && key.AccessKeyId) keys.push(key.AccessKeyId);
      }
    } catch (error) {
      if (error instanceof NoSuchEntityException) throw new PrincipalNotFoundError(`user/${userName}`, { cause: error });
      throw error;
    }
    return keys;
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.client.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }));
  }
}
