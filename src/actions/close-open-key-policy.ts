import { accountOfPrincipal, isExternalAccount } from '../events/accounts';
import { openingOf, readStatement, withDenyLimits, type Opening } from '../events/key-policy';
import type { PlannedAction } from '.';
import type { Action, ActionResult } from './action';
import { samePolicy } from './restore-key-policy';

export interface CloseOpenKeyPolicyParams {
  keyArn: string;
  ownAccount: string;
  trustedAccounts: string[];
  /** Absent in plans made before organizations could be trusted: none is. */
  trustedOrganizations?: string[];
}

type Statement = Record<string, unknown> & {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
type Policy = { Statement?: Statement[] | Statement } & Record<string, unknown>;

const list = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];

/**
 * What an Allow to everyone opens, read as the detectors read it (openingOf, with the Deny statements of `policy`):
 * undefined when its conditions keep it to the key's own and trusted accounts, or to trusted organizations.
 */
const openingIn = (
  statement: Statement,
  params: Omit<CloseOpenKeyPolicyParams, 'keyArn'>,
  policy: readonly Statement[] = [statement],
): Opening | undefined =>
  openingOf(withDenyLimits(readStatement(statement), policy.map(readStatement)), {
    ownAccount: params.ownAccount,
    trustedAccounts: params.trustedAccounts,
    trustedOrganizations: params.trustedOrganizations ?? [],
  });

/**
 * Whether a statement's conditions keep it to known callers: kms:ViaService alone limits the service, not the caller;
 * StringNotEquals, Null, "*" patterns limit no one; a VPC endpoint or principal id cannot be tied to the account.
 */
export const limitsCaller = (
  statement: Statement,
  params: Omit<CloseOpenKeyPolicyParams, 'keyArn'>,
  policy?: readonly Statement[],
) => openingIn(statement, params, policy) === undefined;

/**
 * What an Allow statement opens to outsiders: everyone (Principal "*", or NotPrincipal, with no condition, its own or
 * a Deny's of `policy`, that keeps callers to the key's own or trusted accounts or organizations), or principals of
 * accounts neither the key's own nor trusted. Returns the statement as it should stay (undefined: it goes) and what
 * was taken out.
 */
export const closeStatement = (
  statement: Statement,
  params: Omit<CloseOpenKeyPolicyParams, 'keyArn'>,
  policy?: readonly Statement[],
): { kept: Statement | undefined; removed: string[] } => {
  if (statement.Effect !== 'Allow') return { kept: statement, removed: [] };
  if (readStatement(statement).anyone)
    return limitsCaller(statement, params, policy)
      ? { kept: statement, removed: [] }
      : { kept: undefined, removed: ['*'] };
  if (statement.Principal === undefined) return { kept: statement, removed: [] };
  const principal = statement.Principal;
  const aws = list((principal as Record<string, unknown>).AWS);
  const outside = aws.filter((p) =>
    isExternalAccount(accountOfPrincipal(p), params.ownAccount, params.trustedAccounts),
  );
  if (outside.length === 0) return { kept: statement, removed: [] };
  const inside = aws.filter((p) => !outside.includes(p));
  const others = Object.fromEntries(
    Object.entries(principal as Record<string, unknown>).filter(([kind]) => kind !== 'AWS'),
  );
  if (inside.length === 0 && Object.keys(others).length === 0) return { kept: undefined, removed: outside };
  return {
    kept: {
      ...statement,
      Principal: { ...others, ...(inside.length > 0 ? { AWS: inside.length === 1 ? inside[0] : inside } : {}) },
    },
    removed: outside,
  };
};

/**
 * A playbook's close-open-key-policy steps with the organizations the detector trusted (its signal's evidence): the
 * action must keep what the detector let pass.
 */
export const closingWithTrustedOrganizations = (
  steps: PlannedAction[],
  trustedOrganizations: unknown,
): PlannedAction[] =>
  Array.isArray(trustedOrganizations) && trustedOrganizations.length > 0
    ? steps.map((step) =>
        step.type === 'close-open-key-policy'
          ? { ...step, params: { ...step.params, trustedOrganizations: trustedOrganizations.map(String) } }
          : step,
      )
    : steps;

/**
 * A key policy opened to everyone or to another account, when kms-warden never saw the policy before (a key made
 * before it was deployed): the openings are taken out, statement by statement, and recorded so a release puts them
 * back. Statements that keep callers to the account, trusted accounts or trusted organizations by a condition
 * (kms:CallerAccount, aws:PrincipalOrgID..., or a Deny for everyone else) stay.
 */
export const closeOpenKeyPolicy: Action<CloseOpenKeyPolicyParams> = {
  type: 'close-open-key-policy',
  iamActions: ['kms:GetKeyPolicy', 'kms:PutKeyPolicy'],
  reversible: true,
  lane: ({ keyArn }) => `key-policy:${keyArn}`,
  describe: ({ keyArn }) =>
    `take out of the policy of ${keyArn} what lets anyone, another account or organization, or callers it cannot tie to the account use the key (no earlier policy is known to put back)`,
  apply: async (params, { kms, keyPolicyLock, policyTexts }) =>
    keyPolicyLock.around(params.keyArn, async (): Promise<ActionResult> => {
      const text = await kms.keyPolicy(params.keyArn);
      const policy = JSON.parse(text) as Policy;
      const statements = Array.isArray(policy.Statement)
        ? policy.Statement
        : policy.Statement
          ? [policy.Statement]
          : [];
      const removed: Array<{ sid: string | undefined; principals: string[] }> = [];
      const kept: Statement[] = [];
      for (const statement of statements) {
        const closed = closeStatement(statement, params, statements);
        if (closed.removed.length > 0) removed.push({ sid: statement.Sid, principals: closed.removed });
        if (closed.kept) kept.push(closed.kept);
      }
      if (removed.length === 0)
        return { outcome: 'skipped', reason: 'the policy lets no one outside the account use the key (any more)' };
      const closed = JSON.stringify({ ...policy, Statement: kept });
      // Both texts are stored before the key changes: no earlier policy is known anywhere else.
      const [beforeRef, afterRef] = await Promise.all([policyTexts.put(text), policyTexts.put(closed)]);
      await kms.putKeyPolicy(params.keyArn, closed);
      const summary = removed
        .map(
          ({ sid, principals }) => `${sid ? `statement ${sid}` : 'a statement without Sid'}: ${principals.join(', ')}`,
        )
        .join('; ');
      // The attacker wrote those principals: a bounded account of them; the whole policy is kept by reference.
      const shown = summary.length > 500 ? `${summary.slice(0, 499)}… (the whole policy before is kept)` : summary;
      return {
        outcome: 'applied',
        before: { policyRef: beforeRef },
        after: {
          policyRef: afterRef,
          removed: removed.slice(0, 20).map(({ sid, principals }) => ({ sid, principals: principals.slice(0, 10) })),
          removedStatements: removed.length,
          summary: `taken out: ${shown}`,
        },
      };
    }),
  undo: async ({ keyArn }, { kms, keyPolicyLock, policyTexts }, result) => {
    if (result.outcome !== 'applied') return;
    const [before, closed] = await Promise.all([
      policyTexts.get(String(result.before.policyRef)),
      policyTexts.get(String(result.after.policyRef)),
    ]);
    if (before === undefined || closed === undefined) return;
    await keyPolicyLock.around(keyArn, async () => {
      // Only while the closed policy is still the key's: a later change is someone's decision.
      if (samePolicy(await kms.keyPolicy(keyArn), closed)) await kms.putKeyPolicy(keyArn, before);
    });
  },
};
