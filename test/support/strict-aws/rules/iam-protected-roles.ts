import type { StrictRule } from './rule';

/** Service-linked roles and IAM Identity Center's roles (AWSReservedSSO_*): only AWS may change them. */
export const protectedRole = (name: string, path: string | undefined) =>
  name.startsWith('AWSReservedSSO_') ||
  Boolean(path?.startsWith('/aws-service-role/')) ||
  Boolean(path?.startsWith('/aws-reserved/'));

export const iamProtectedRoles: StrictRule = {
  id: 'iam-protected-roles',
  says: 'service-linked roles and IAM Identity Center roles (AWSReservedSSO_*) refuse policy changes: UnmodifiableEntity "Cannot perform the operation on the protected role \'<name>\' - this role is only modifiable by AWS"',
  docs: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html',
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html',
    'https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html',
  ],
  operations: [
    'iam:PutRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:AttachRolePolicy',
    'iam:DetachRolePolicy',
    'iam:UpdateAssumeRolePolicy',
    'iam:DeleteRole',
  ],
  refuse: async ({ call, emulator }) => {
    const name = String(call.params.RoleName ?? '');
    const role = await emulator.role(name);
    if (!role || !protectedRole(name, role.Path)) return undefined;
    return {
      code: 'UnmodifiableEntity',
      message: `Cannot perform the operation on the protected role '${name}' - this role is only modifiable by AWS`,
    };
  },
};
