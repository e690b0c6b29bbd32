import { evaluateResourcePolicy, parsePolicy } from '../policy-evaluation';
import type { StrictRule } from './rule';

const roleArnPattern = /^arn:([\w-]+):iam::(\d{12}):role(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]+)$/;

/**
 * AssumeRole is allowed only when the role's trust policy allows the caller (its Principal, and conditions such as
 * sts:ExternalId and aws:PrincipalOrgID), and, across accounts, the caller's own policies allow it too
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html, "Cross-account access"; the
 * layer's IAM check does that half). A role that does not exist is refused the same way. moto checks a trust policy
 * only for a role of the caller's own account, and never its conditions across accounts; it issues credentials for
 * any role ARN in another account, existing or not.
 *
 * RoleSessionName is 2 to 64 of [\w+=,.@-], ExternalId 2 to 1224 of [\w+=,.@:/-]; a session from a role session
 * (role chaining) lasts an hour at most (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 */
export const stsAssumeRoleTrust: StrictRule = {
  id: 'sts-assume-role-trust',
  says: 'AssumeRole needs the role to exist and its trust policy to allow the caller, conditions included (AccessDenied); session names of 2 to 64 of [\\w+=,.@-], external ids of 2 to 1224 characters, role chaining an hour at most (ValidationError)',
  docs: [
    'https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html',
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html',
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html',
  ],
  operations: ['sts:AssumeRole'],
  refuse: async ({ call, identity, emulatorOf, organization }) => {
    const params = call.params as Record<string, string | undefined>;
    const roleArn = params.RoleArn ?? '';
    const sessionName = params.RoleSessionName ?? '';
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      return {
        code: 'ValidationError',
        message: `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64`,
      };
    if (params.ExternalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(params.ExternalId))
      return {
        code: 'ValidationError',
        message: "1 validation error detected: Value at 'externalId' failed to satisfy constraint",
      };
    if (identity.caller.kind === 'assumed-role' && Number(params.DurationSeconds ?? 3600) > 3600)
      return {
        code: 'ValidationError',
        message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      };
    const denied = {
      code: 'AccessDenied',
      message: `User: ${identity.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      status: 403,
    };
    const parsed = roleArnPattern.exec(roleArn);
    const emulator = parsed ? emulatorOf(parsed[2]!) : undefined;
    const role = emulator ? await emulator.role(parsed![4]!) : undefined;
    if (!role || role.Arn !== roleArn) return denied;
    const trust = parsePolicy(decodeURIComponent(role.AssumeRolePolicyDocument ?? '{"Statement":[]}'));
    const verdict = evaluateResourcePolicy(
      trust,
      {
        caller: identity.caller,
        action: 'sts:AssumeRole',
        resource: roleArn,
        context: {
          'sts:ExternalId': params.ExternalId,
          'aws:PrincipalOrgID': organization?.accounts.has(identity.caller.account) ? organization.id : undefined,
        },
      },
      'trust',
    );
    return !verdict.deny && (verdict.allowDirect || verdict.allowAccount) ? undefined : denied;
  },
  // The session's credentials: the layer evaluates them with the role's own policies.
  answer: async ({ call, rolePolicies, remember }, answer) => {
    const roleArn = String(call.params.RoleArn ?? '');
    const policies = rolePolicies.get(roleArn);
    const text = answer.body.toString('utf8');
    const accessKeyId = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(text)?.[1];
    const parsed = roleArnPattern.exec(roleArn);
    if (answer.status !== 200 || !policies || !accessKeyId || !parsed) return answer;
    remember(accessKeyId, {
      kind: 'function',
      functionName: `member role ${roleArn}`,
      policies,
      caller: {
        kind: 'assumed-role',
        account: parsed[2]!,
        partition: parsed[1]!,
        arn: `arn:${parsed[1]}:sts::${parsed[2]}:assumed-role/${parsed[4]}/${String(call.params.RoleSessionName)}`,
        principalArn: roleArn,
        tokenIssueTime: new Date().toISOString(),
      },
    });
    return answer;
  },
};
