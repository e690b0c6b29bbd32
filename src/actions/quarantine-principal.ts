import { kindOfError } from './error-kinds';
import { InlinePolicyLimitError, PrincipalNotFoundError } from '../errors';
import { guardPrincipal, guardRefusal, parseIamPrincipal } from './principal-guard';
import { PartialStepError, type Action, type ActionContext, type ActionResult } from './action';

export interface QuarantineParams {
  principalArn: string;
  /** Sessions issued before this are refused everything (ISO time, set when the plan is made). */
  sessionsIssuedBefore: string;
  /** The account kms-warden acts in: a principal of any other account is not quarantined here. */
  ownAccount?: string;
  /** kms-warden's own role ARNs: never quarantined. */
  responderRoles?: string[];
  /** The break-glass principals when the plan was made: never quarantined. */
  breakGlass?: string[];
  /** Plans stored before the exact role ARNs were known named the responder by its IAM path. */
  responderRolePath?: string;
}

export const quarantinePolicyName = 'KmsWardenQuarantine';

export { isAwsManagedRole, parseIamPrincipal } from './principal-guard';

/**
 * Why a principal must not be quarantined by kms-warden, or undefined: the principal guard's answer. Only principals
 * of kms-warden's own account, by their exact ARN: a GuardDuty administrator receives its members' findings, and a
 * role of the same name here is somebody else.
 */
export const quarantineRefusal = (
  params: Pick<QuarantineParams, 'principalArn' | 'ownAccount' | 'responderRoles' | 'responderRolePath' | 'breakGlass'>,
): string | undefined => guardRefusal(guardPrincipal(params.principalArn, params).quarantine)?.reason;

/**
 * For a role: every action refused to sessions issued before the quarantine (IAM's "revoke active sessions"
 * condition), and every KMS action refused to all of its sessions; new sessions keep the rest of their work.
 */
export const quarantinePolicy = (sessionsIssuedBefore: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'KmsWardenRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': sessionsIssuedBefore } },
      },
      { Sid: 'KmsWardenDenyKms', Effect: 'Deny', Action: 'kms:*', Resource: '*' },
    ],
  });

/**
 * For a user: everything refused, without conditions. A user's long-term access keys carry no token issue time
 * (aws:TokenIssueTime is absent from their requests: IAM user guide, "AWS global condition context keys"), so a
 * condition on it would never match them.
 */
export const userQuarantinePolicy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Sid: 'KmsWardenDenyEverything', Effect: 'Deny', Action: '*', Resource: '*' }],
});

/**
 * AWS's own managed deny-all policy: attached to a user whose inline policies leave no room (2,048 characters in all).
 */
export const denyAllPolicyArn = (partition: string) => `arn:${partition}:iam::aws:policy/AWSDenyAll`;

const gone = (kind: string, name: string): ActionResult => ({
  outcome: 'skipped',
  reason: `${kind} ${name} does not exist (any more)`,
});

export const quarantinePrincipal: Action<QuarantineParams> = {
  type: 'quarantine-principal',
  iamActions: [
    'iam:GetRole',
    'iam:GetRolePolicy',
    'iam:PutRolePolicy',
    'iam:DeleteRolePolicy',
    'iam:GetUser',
    'iam:GetUserPolicy',
    'iam:PutUserPolicy',
    'iam:DeleteUserPolicy',
    'iam:ListAttachedUserPolicies',
    'iam:AttachUserPolicy',
    'iam:DetachUserPolicy',
    'iam:ListAccessKeys',
    'iam:UpdateAccessKey',
  ],
  reversible: true,
  lane: ({ principalArn }) => `principal:${principalArn}`,
  describe: ({ principalArn, sessionsIssuedBefore }) =>
    parseIamPrincipal(principalArn)?.kind === 'user'
      ? `quarantine user ${principalArn}: deactivate its access keys, then refuse it everything`
      : `quarantine ${principalArn}: refuse everything to its sessions issued before ${sessionsIssuedBefore}, and refuse it KMS entirely`,
  apply: async (params, deps, context) => {
    const refused = quarantineRefusal(params);
    if (refused) return { outcome: 'skipped', reason: refused };
    const { kind, name, path, partition, account } = parseIamPrincipal(params.principalArn)!;
    // In an organization, IAM of the principal's own account (the plan allowed it: ownAccount is that account).
    const iam = deps.principalsIn?.(account) ?? deps.iam;
    // The exact principal: the name in this account, and the path too when the ARN gives one.
    const found = await iam.arnOf(kind, name);
    if (!found) return gone(kind, name);
    // IAM answers for the account and partition kms-warden runs in: a principal of another one (a plan stored without
    // its account, a GuardDuty member's role) is never stood in for by a namesake here.
    const here = parseIamPrincipal(found);
    if (here && (here.account !== account || here.partition !== partition))
      return {
        outcome: 'skipped',
        reason: `${params.principalArn} is not in this account and partition (IAM here has ${found}): quarantine it where it lives`,
      };
    if (path !== '/' && found !== params.principalArn)
      return {
        outcome: 'skipped',
        reason: `no ${kind} ${params.principalArn} in this account (${found} has that name)`,
      };
    // GuardDuty names roles without their path: a service-linked, Identity Center or kms-warden role shows only now.
    // (The account was checked on the ARN the plan names; IAM answers for this account.)
    const resolved = guardRefusal(guardPrincipal(found, { ...params, ownAccount: undefined }).quarantine);
    if (resolved) return resolved;
    return kind === 'role' ? quarantineRole(name, params, iam, context) : quarantineUser(name, partition, iam, context);
  },
  undo: async ({ principalArn }, deps, result) => {
    // Applied, or done in part before an error (a user's keys deactivated, the deny refused or failed).
    if (!(
      result.outcome === 'applied' ||
      ((result.outcome === 'needs-person' || result.outcome === 'failed') && result.before && result.after)
    ))
      return;
    const { kind, name, partition, account } = parseIamPrincipal(principalArn)!;
    const iam = deps.principalsIn?.(account) ?? deps.iam;
    const before = result.before!;
    const after = result.after!;
    if (before.inlinePolicy === null && after.inlinePolicy === quarantinePolicyName)
      await iam.deleteInlinePolicy(kind, name, quarantinePolicyName);
    if (after.denyAllAttached === true) await iam.detachUserPolicy(name, denyAllPolicyArn(partition));
    for (const accessKeyId of (before.activeAccessKeys ?? []) as string[])
      await iam.setAccessKeyStatus(name, accessKeyId, 'Active');
  },
  remedy: ({ principalArn }, error) =>
    error.name === 'UnmodifiableEntityException'
      ? `${principalArn} is managed by AWS: it is denied in the key policy; end its sessions where it comes from (IAM Identity Center: Users, Active sessions)`
      : undefined,
};

type Iam = Parameters<Action<QuarantineParams>['apply']>[1]['iam'];

const quarantineRole = async (
  name: string,
  params: QuarantineParams,
  iam: Iam,
  { resuming }: ActionContext,
): Promise<ActionResult> => {
  const existing = await iam.inlinePolicy('role', name, quarantinePolicyName);
  // Resuming: the policy is most likely this plan's own, put before the interruption, so a release must remove it.
  if (existing && resuming)
    return {
      outcome: 'applied',
      before: { inlinePolicy: null, activeAccessKeys: [], note: 'found in place when resuming' },
      after: { inlinePolicy: quarantinePolicyName, deactivatedAccessKeys: [] },
    };
  if (existing) return { outcome: 'skipped', reason: 'already quarantined', before: { policy: existing } };
  try {
    await iam.putInlinePolicy('role', name, quarantinePolicyName, quarantinePolicy(params.sessionsIssuedBefore));
  } catch (error) {
    // A role that no longer exists has no sessions left to cut.
    if (error instanceof PrincipalNotFoundError) return gone('role', name);
    throw error;
  }
  return {
    outcome: 'applied',
    before: { inlinePolicy: null, activeAccessKeys: [] },
    after: { inlinePolicy: quarantinePolicyName, deactivatedAccessKeys: [] },
  };
};

/**
 * A user: its access keys first (deactivated, not deleted, so undo can bring them back), since they keep working
 * until then; then a deny of everything, inline, or AWS's AWSDenyAll attached when IAM's size limit leaves no room.
 */
const quarantineUser = async (
  name: string,
  partition: string,
  iam: Iam,
  { resuming, previous }: ActionContext,
): Promise<ActionResult> => {
  let active: string[];
  try {
    active = await iam.activeAccessKeys(name);
  } catch (error) {
    if (error instanceof PrincipalNotFoundError) return gone('user', name);
    throw error;
  }
  // Keys an interrupted attempt deactivated are this step's too: release must bring them back.
  const earlier = ((previous && 'before' in previous ? previous.before?.activeAccessKeys : undefined) ??
    []) as string[];
  const deactivated = [...new Set([...earlier, ...active])];
  const done = (policy: string | null, denyAllAttached = false) => ({
    before: { inlinePolicy: null, activeAccessKeys: deactivated },
    after: { inlinePolicy: policy, denyAllAttached, deactivatedAccessKeys: deactivated },
  });
  try {
    for (const accessKeyId of active) await iam.setAccessKeyStatus(name, accessKeyId, 'Inactive');
  } catch (error) {
    // Some keys may be off already: recorded with the failure, so the retry and a release know them.
    throw new PartialStepError(done(null), error as Error);
  }
  const existing = await iam.inlinePolicy('user', name, quarantinePolicyName);
  if (existing && resuming && earlier.length + active.length > 0)
    return { outcome: 'applied', ...done(quarantinePolicyName) };
  const denyAll = denyAllPolicyArn(partition);
  const attachedBefore = !existing && (await iam.userHasManagedPolicy(name, denyAll));
  if ((existing || attachedBefore) && deactivated.length === 0)
    return { outcome: 'skipped', reason: 'already quarantined', before: { policy: existing ?? denyAll } };
  let denyAllAttached = false;
  if (!existing && !attachedBefore) {
    try {
      try {
        await iam.putInlinePolicy('user', name, quarantinePolicyName, userQuarantinePolicy);
      } catch (error) {
        if (!(error instanceof InlinePolicyLimitError)) throw error;
        await iam.attachUserPolicy(name, denyAll);
        denyAllAttached = true;
      }
    } catch (error) {
      // The keys are off already: that part stands, is recorded for undo, and a person is asked for the rest (or
      // the retry finishes it).
      if (kindOfError(error) !== 'permanent') throw new PartialStepError(done(null), error as Error);
      const failure = error as Error;
      return {
        outcome: 'needs-person',
        error: failure.name,
        message: failure.message,
        remedy: `${name}'s access keys are deactivated; deny it everything by hand (attach the AWS managed policy AWSDenyAll), and check its console password and other credentials`,
        before: { inlinePolicy: null, activeAccessKeys: deactivated },
        after: { inlinePolicy: null, denyAllAttached: false, deactivatedAccessKeys: deactivated },
      };
    }
  }
  return {
    outcome: 'applied',
    before: {
      inlinePolicy: existing || attachedBefore || denyAllAttached ? 'kept' : null,
      activeAccessKeys: deactivated,
    },
    after: {
      inlinePolicy: denyAllAttached ? null : quarantinePolicyName,
      denyAllAttached,
      deactivatedAccessKeys: deactivated,
    },
  };
};
