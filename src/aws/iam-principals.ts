import {
  AttachUserPolicyCommand,
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  DetachUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  LimitExceededException,
  NoSuchEntityException,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
  paginateListAccessKeys,
  paginateListAttachedUserPolicies,
} from '@aws-sdk/client-iam';
import type { IamPrincipalKind, PrincipalOperations } from '../actions/ports';
import { InlinePolicyLimitError, PrincipalNotFoundError } from '../errors';

/** The IAM calls quarantine makes, on roles and users of kms-warden's own account, named by name. */
export class IamPrincipals implements PrincipalOperations {
  constructor(private readonly client: IAMClient) {}

  /** The role or user's ARN (with its path), or undefined when there is none of that name. */
  async arnOf(kind: IamPrincipalKind, name: string): Promise<string | undefined> {
    try {
      return kind === 'role'
        ? (await this.client.send(new GetRoleCommand({ RoleName: name }))).Role?.Arn
        : (await this.client.send(new GetUserCommand({ UserName: name }))).User?.Arn;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }

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
      if (kind === 'role')
        await this.client.send(
          new PutRolePolicyCommand({ RoleName: name, PolicyName: policyName, PolicyDocument: document }),
        );
      else
        await this.client.send(
          new PutUserPolicyCommand({ UserName: name, PolicyName: policyName, PolicyDocument: document }),
        );
    } catch (error) {
      if (error instanceof NoSuchEntityException) throw new PrincipalNotFoundError(`${kind}/${name}`, { cause: error });
      if (error instanceof LimitExceededException)
        throw new InlinePolicyLimitError(`${kind}/${name}`, { cause: error });
      throw error;
    }
  }

  async deleteInlinePolicy(kind: IamPrincipalKind, name: string, policyName: string): Promise<void> {
    try {
      if (kind === 'role')
        await this.client.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
      else await this.client.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policyName }));
    } catch (error) {
      if (error instanceof NoSuchEntityException) return;
      throw error;
    }
  }

  async userHasManagedPolicy(userName: string, policyArn: string): Promise<boolean> {
    for await (const page of paginateListAttachedUserPolicies({ client: this.client }, { UserName: userName })) {
      if (page.AttachedPolicies?.some((policy) => policy.PolicyArn === policyArn)) return true;
    }
    return false;
  }

  async attachUserPolicy(userName: string, policyArn: string): Promise<void> {
    await this.client.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
  }

  async detachUserPolicy(userName: string, policyArn: string): Promise<void> {
    try {
      await this.client.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn }));
    } catch (error) {
      if (error instanceof NoSuchEntityException) return;
      throw error;
    }
  }

  async activeAccessKeys(userName: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const page of paginateListAccessKeys({ client: this.client }, { UserName: userName })) {
        for (const key of page.AccessKeyMetadata ?? [])
          if (key.Status === 'Active' && key.AccessKeyId) keys.push(key.AccessKeyId);
      }
    } catch (error) {
      if (error instanceof NoSuchEntityException)
        throw new PrincipalNotFoundError(`user/${userName}`, { cause: error });
      throw error;
    }
    return keys;
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.client.send(
      new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }),
    );
  }
}
