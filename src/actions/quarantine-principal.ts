import { PrincipalNotFoundError } from '../errors';
import type { Action } from './action';

export interface QuarantineParams {
  principalArn: string;
  /** Sessions issued before this are refused everything (ISO time, set when the plan is made). */
  sessionsIssuedBefore: string;
  /** kms-warden's own IAM path: its roles are never quarantined. */
  responderRolePath: string;
}

export const quarantinePolicyName = 'KmsWardenQuarantine';

const iamPrincipal = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)(\/.*)?\/([\w+=,.@-]+)$/;

/** The parts of a role or user ARN: kind, path and name. */
export const parseIamPrincipal = (arn: string) => {
  const match = iamPrincipal.exec(arn);
  return match ? { kind: match[1] as 'role' | 'user', path: `${match[2] ?? ''}/`, name: match[3]! } : undefined;
};

/**
 * Why a principal must not be quarantined automatically. Root and service-linked roles cannot be or must not be
 * restricted this way, and quarantining kms-warden's own role would stop the response itself.
 */
export const quarantineRefusal = (principalArn: string, responderRolePath: string): string | undefined => {
  if (/:root$/.test(principalArn)) return 'the root user cannot be quarantined with an IAM policy: offered for approval instead';
  const parsed = parseIamPrincipal(principalArn);
  if (!parsed) return `${principalArn} is not an IAM role or user`;
  if (parsed.kind === 'role' && parsed.path.startsWith('/aws-service-role/')) return 'service-linked roles are never quarantined: offered for approval instead';
  if (parsed.kind === 'role' && parsed.path.startsWith(responderRolePath)) return "kms-warden's own role is never quarantined";
  return undefined;
};

/**
 * The inline policy: every action refused to sessions issued before the quarantine (AWS's "revoke active
 * sessions" condition), and every KMS action refused to all of the principal's sessions.
 */
export const quarantinePolicy = (sessionsIssuedBefore: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'KmsWardenRevokeOlderSessions', Effect: 'Deny', Action: '*', Resource: '*', Condition: { DateLessThan: { 'aws:TokenIssueTime': sessionsIssuedBefore } } },
      { Sid: 'KmsWardenDenyKms', Effect: 'Deny', Action: 'kms:*', Resource: '*' },
    ],
  });

export const quarantinePrincipal: Action<QuarantineParams> = {
  type: 'quarantine-principal',
  iamActions: [
    'iam:GetRolePolicy',
    'iam:PutRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:GetUserPolicy',
    'iam:PutUserPolicy',
    'iam:DeleteUserPolicy',
    'iam:ListAccessKeys',
    'iam:UpdateAccessKey',
  ],
  reversible: true,
  lane: ({ principalArn }) => `principal:${principalArn}`,
  describe: ({ principalArn, sessionsIssuedBefore }) =>
    `quarantine ${principalArn}: refuse everything to its sessions issued before ${sessionsIssuedBefore}, refuse it KMS entirely, and deactivate a user's access keys`,
  apply: async ({ principalArn, sessionsIssuedBefore, responderRolePath }, { iam }) => {
    const refused = quarantineRefusal(principalArn, responderRolePath);
    if (refused) return { outcome: 'skipped', reason: refused };
    const { kind, name } = parseIamPrincipal(principalArn)!;
    const existing = await iam.inlinePolicy(kind, name, quarantinePolicyName);
    let deactivated: string[];
    try {
      deactivated = kind === 'user' ? await iam.activeAccessKeys(name) : [];
    } catch (error) {
      if (error instanceof PrincipalNotFoundError) return { outcome: 'skipped', reason: `${kind} ${name} does not exist (any more)` };
      throw error;
    }
    if (existing && deactivated.length === 0) return { outcome: 'skipped', reason: 'already quarantined', before: { policy: existing } };
    if (!existing) {
      try {
        await iam.putInlinePolicy(kind, name, quarantinePolicyName, quarantinePolicy(sessionsIssuedBefore));
      } catch (error) {
        // A principal that no longer exists has no sessions left to cut.
        if (error instanceof PrincipalNotFoundError) return { outcome: 'skipped', reason: `${kind} ${name} does not exist (any more)` };
        throw error;
      }
    }
    // Deactivated, not deleted: undo can bring them back.
    await Promise.all(deactivated.map((accessKeyId) => iam.setAccessKeyStatus(name, accessKeyId, 'Inactive')));
    return {
      outcome: 'applied',
      before: { inlinePolicy: existing ?? null, activeAccessKeys: deactivated },
      after: { inlinePolicy: quarantinePolicyName, deactivatedAccessKeys: deactivated },
    };
  },
  undo: async ({ principalArn }, { iam }, result) => {
    if (result.outcome !== 'applied') return;
    const { kind, name } = parseIamPrincipal(principalArn)!;
    if (result.before.inlinePolicy === null) await iam.deleteInlinePolicy(kind, name, quarantinePolicyName);
    for (const accessKeyId of (result.before.activeAccessKeys ?? []) as string[]) await iam.setAccessKeyStatus(name, accessKeyId, 'Active');
  },
};
