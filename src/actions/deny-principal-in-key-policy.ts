import { createHash } from 'node:crypto';
import type { Action, ActionResult } from './action';
import { guardPrincipal, guardRefusal } from './principal-guard';

export interface DenyPrincipalParams {
  keyArn: string;
  /** The suspect: a role (every session of it) or a user. */
  principalArn: string;
  /** kms-warden's own role ARNs: never denied (plans stored before this was planned carry none). */
  responderRoles?: string[];
  /** The break-glass principals when the plan was made: never denied without a person. */
  breakGlass?: string[];
}

/** Sids kms-warden adds start with this; re-keying copies a policy without them. */
export const denySidPrefix = 'KmsWardenDeny';

export const denySidFor = (principalArn: string) =>
  `${denySidPrefix}${createHash('sha256').update(principalArn).digest('hex').slice(0, 16)}`;

type Policy = { Version?: string; Id?: string; Statement?: Array<Record<string, unknown>> | Record<string, unknown> };

const statementsOf = (policy: Policy): Array<Record<string, unknown>> =>
  Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];

/**
 * The ARNs aws:PrincipalArn takes for the suspect. For a role that is the role's ARN for every one of its
 * sessions. GuardDuty names roles without their path, so a path-less ARN also matches the same name under any path.
 */
export const principalArnPatterns = (principalArn: string): string[] => {
  const match = /^(arn:aws[a-z-]*:iam::\d{12}:(?:role|user))\/([^/]+)$/.exec(principalArn);
  return match ? [principalArn, `${match[1]}/*/${match[2]}`] : [principalArn];
};

/**
 * The deny's condition: the suspect's ARNs, and, when a role is named without its path, never a service-linked role
 * (/aws-service-role/ is a path only AWS creates roles under, and a name like AWSServiceRoleForRDS is anyone's to
 * take at path /). Conditions in one statement must all hold ("Creating a condition with multiple keys or values",
 * IAM User Guide), so the name's other holders are denied and the AWS service's role is not.
 */
export const denyCondition = (principalArn: string): Record<string, Record<string, string[]>> => {
  const patterns = principalArnPatterns(principalArn);
  const role = /^(arn:aws[a-z-]*:iam::\d{12}:role)\/[^/]+$/.exec(principalArn);
  return role
    ? {
        ArnLike: { 'aws:PrincipalArn': patterns },
        ArnNotLike: { 'aws:PrincipalArn': [`${role[1]}/aws-service-role/*`] },
      }
    : { ArnLike: { 'aws:PrincipalArn': patterns } };
};

const keyArnParts = /^arn:(aws[a-z-]*):kms:[a-z0-9-]+:(\d{12}):/;

/**
 * Why the suspect must not be denied in this key's policy (the principal guard, in the key's account), or undefined.
 */
export const denyRefusal = ({ keyArn, principalArn, responderRoles, breakGlass }: DenyPrincipalParams) => {
  const [, partition, ownAccount] = keyArnParts.exec(keyArn) ?? [];
  return guardRefusal(guardPrincipal(principalArn, { responderRoles, breakGlass, ownAccount, partition }).deny);
};

export const denyPrincipalInKeyPolicy: Action<DenyPrincipalParams> = {
  type: 'deny-principal-in-key-policy',
  iamActions: ['kms:GetKeyPolicy', 'kms:PutKeyPolicy'],
  reversible: true,
  lane: ({ keyArn }) => `key-policy:${keyArn}`,
  describe: ({ keyArn, principalArn }) =>
    `deny ${principalArn} every use of ${keyArn} but DescribeKey, in the key policy (statement ${denySidFor(principalArn)})`,
  apply: async (params, { kms, keyPolicyLock, policyTexts }, { resuming }) => {
    const { keyArn, principalArn } = params;
    const refused = denyRefusal(params);
    if (refused) return refused;
    return keyPolicyLock.around(keyArn, async (): Promise<ActionResult> => {
      const text = await kms.keyPolicy(keyArn);
      const policy = JSON.parse(text) as Policy;
      const sid = denySidFor(principalArn);
      const statements = statementsOf(policy);
      if (statements.some((s) => s.Sid === sid)) {
        // Resuming: the statement is most likely this plan's own, added before the interruption, so a release must
        // remove it; recorded as applied. Otherwise it belongs to an earlier incident, which will remove it.
        return resuming
          ? {
              outcome: 'applied',
              before: { sid, note: 'found in place when resuming' },
              after: { sid, statements: statements.length },
            }
          : { outcome: 'skipped', reason: `statement ${sid} is already in the policy`, before: { sid } };
      }
      const deny = {
        Sid: sid,
        Effect: 'Deny',
        Principal: { AWS: '*' },
        // Everything but DescribeKey, which returns metadata only. Left out also because moto (the test emulator)
        // ignores conditions and would deny DescribeKey to every caller once any Deny names it with Resource "*".
        NotAction: 'kms:DescribeKey',
        Resource: '*',
        Condition: denyCondition(principalArn),
      };
      // Every other statement stays as it was: only the suspect loses access.
      await kms.putKeyPolicy(keyArn, JSON.stringify({ ...policy, Statement: [...statements, deny] }));
      // The policy before, by reference: kept out of the incident item (up to 32 KB each).
      return {
        outcome: 'applied',
        before: { policyRef: await policyTexts.put(text) },
        after: { sid, statements: statements.length + 1 },
      };
    });
  },
  undo: async ({ keyArn, principalArn }, { kms, keyPolicyLock }, result) => {
    if (result.outcome !== 'applied') return;
    await keyPolicyLock.around(keyArn, async () => {
      const policy = JSON.parse(await kms.keyPolicy(keyArn)) as Policy;
      const sid = denySidFor(principalArn);
      const statements = statementsOf(policy);
      if (!statements.some((s) => s.Sid === sid)) return;
      await kms.putKeyPolicy(keyArn, JSON.stringify({ ...policy, Statement: statements.filter((s) => s.Sid !== sid) }));
    });
  },
};
