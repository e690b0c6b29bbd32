import { ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand } from '@aws-sdk/client-iam';
import type { StrictRule } from './rule';

/** IAM's default quota of managed policies attached to one user or role (adjustable, up to 20). */
const quota = 10;

/** A user or role holds at most 10 managed policies unless the quota was raised: attaching an 11th is refused. */
export const iamAttachedPolicies: StrictRule = {
  id: 'iam-attached-policies',
  says: 'a user or role holds at most 10 attached managed policies by default (LimitExceeded "Cannot exceed quota for PoliciesPerUser: 10")',
  docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html'],
  operations: ['iam:AttachUserPolicy', 'iam:AttachRolePolicy'],
  refuse: async ({ call, emulator }) => {
    const user = call.action === 'AttachUserPolicy';
    const name = String(call.params.UserName ?? call.params.RoleName ?? '');
    const exists = user ? await emulator.user(name) : await emulator.role(name);
    if (!exists) return undefined;
    const { AttachedPolicies = [] } = user
      ? await emulator.iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))
      : await emulator.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }));
    if (
      AttachedPolicies.some((policy) => policy.PolicyArn === call.params.PolicyArn) ||
      AttachedPolicies.length < quota
    )
      return undefined;
    return {
      code: 'LimitExceeded',
      message: `Cannot exceed quota for ${user ? 'PoliciesPerUser' : 'PoliciesPerRole'}: ${quota}`,
      status: 409,
    };
  },
};
