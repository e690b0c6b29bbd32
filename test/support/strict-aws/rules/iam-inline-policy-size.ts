import type { StrictRule } from './rule';

const limits = { role: 10_240, user: 2_048, group: 5_120 } as const;

/** IAM counts a policy's size without white space. */
const sizeOf = (document: string) => document.replace(/\s+/g, '').length;

/**
 * The inline policies of one role, user or group are limited in total size (the new document replaces one of the
 * same name).
 */
export const iamInlinePolicySize: StrictRule = {
  id: 'iam-inline-policy-size',
  says: 'the inline policies of a role total at most 10,240 characters, of a user 2,048, of a group 5,120, white space not counted (LimitExceeded)',
  docs: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html'],
  operations: ['iam:PutRolePolicy', 'iam:PutUserPolicy'],
  refuse: async ({ call, emulator }) => {
    const kind = call.action === 'PutRolePolicy' ? 'role' : 'user';
    const name = String(call.params.RoleName ?? call.params.UserName ?? '');
    const exists = kind === 'role' ? await emulator.role(name) : await emulator.user(name);
    if (!exists) return undefined;
    const others = Object.entries(await emulator.inlinePolicies(kind, name)).filter(
      ([policyName]) => policyName !== call.params.PolicyName,
    );
    const total = others.reduce(
      (sum, [, document]) => sum + sizeOf(document),
      sizeOf(String(call.params.PolicyDocument ?? '')),
    );
    return total > limits[kind]
      ? {
          code: 'LimitExceeded',
          message: `Maximum policy size of ${limits[kind]} bytes exceeded for ${kind} ${name}`,
          status: 409,
        }
      : undefined;
  },
};
