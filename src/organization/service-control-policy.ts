/**
 * The service control policy that keeps member accounts' administrators away from kms-warden's parts there: the
 * member role (which kms-warden takes for its own, and whose sessions it raises nothing on), the forwarder roles and
 * the forwarding rules. Only the StackSet's execution role may change them. A role's name is unique in an account
 * whatever its path, so the policy names the roles by name under any path: nobody can create one first (before the
 * StackSet reaches a new account) and be taken for kms-warden. Pure: `kms-warden organization scp` prints it.
 *
 * SCPs never restrict the management account, and allow at most 5,120 characters
 * (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html,
 * https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
 */

/** Who may change them: the StackSet's execution role (service-managed StackSets name theirs stacksets-exec-*). */
const stackSetExecution = [
  'arn:*:iam::*:role/stacksets-exec-*',
  'arn:*:iam::*:role/AWSCloudFormationStackSetExecutionRole',
];

export const serviceControlPolicy = (stage: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'KmsWardenMemberRoles',
      Effect: 'Deny',
      Action: [
        'iam:AttachRolePolicy',
        'iam:CreateRole',
        'iam:DeleteRole',
        'iam:DeleteRolePermissionsBoundary',
        'iam:DeleteRolePolicy',
        'iam:DetachRolePolicy',
        'iam:PutRolePermissionsBoundary',
        'iam:PutRolePolicy',
        'iam:TagRole',
        'iam:UntagRole',
        'iam:UpdateAssumeRolePolicy',
        'iam:UpdateRole',
      ],
      Resource: [`arn:*:iam::*:role/*kms-warden-member-${stage}`, `arn:*:iam::*:role/*kms-warden-${stage}-forwarder-*`],
      Condition: { ArnNotLike: { 'aws:PrincipalArn': stackSetExecution } },
    },
    {
      Sid: 'KmsWardenForwardingRules',
      Effect: 'Deny',
      Action: [
        'events:DeleteRule',
        'events:DisableRule',
        'events:PutRule',
        'events:PutTargets',
        'events:RemoveTargets',
      ],
      Resource: `arn:*:events:*:*:rule/kms-warden-${stage}-forward-*`,
      Condition: { ArnNotLike: { 'aws:PrincipalArn': stackSetExecution } },
    },
  ],
});
