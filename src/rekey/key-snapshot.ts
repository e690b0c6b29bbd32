import { denySidPrefix } from '../actions/deny-principal-in-key-policy';
import { accountOfKey, accountOfPrincipal, isExternalAccount } from '../events/accounts';
import { parsePolicy } from '../events/key-policy';
import type { KeySnapshot } from '../incidents/key-snapshot';

/** What the replacement key copies from the old one: kept on the incident, so defined with it. */
export type { KeySnapshot } from '../incidents/key-snapshot';

/** The policy as its owners wrote it: kms-warden's containment statements are not carried to the new key. */
export const policyWithoutContainment = (policy: string): string => {
  const parsed = JSON.parse(policy) as { Statement?: Array<{ Sid?: string }> | { Sid?: string } };
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  return JSON.stringify({
    ...parsed,
    Statement: statements.filter((statement) => !statement.Sid?.startsWith(denySidPrefix)),
  });
};

/**
 * Who the policy lets in from outside the key's account (or anyone at all), besides trusted accounts. A policy the
 * attacker widened, and containment could not put back, would otherwise be copied onto the replacement.
 */
export const foreignGrantees = (
  snapshot: Pick<KeySnapshot, 'keyArn' | 'policy'>,
  trustedAccounts: readonly string[],
): string[] => {
  const own = accountOfKey(snapshot.keyArn);
  return (parsePolicy(snapshot.policy) ?? [])
    .filter((statement) => statement.effect === 'Allow')
    .flatMap((statement) =>
      statement.anyone
        ? ['*']
        : statement.principals.filter((p) => isExternalAccount(accountOfPrincipal(p), own, trustedAccounts)),
    )
    .filter((grantee, i, all) => all.indexOf(grantee) === i);
};

/** Tags the replacement carries: the owners' own, and two of kms-warden's so a resumed run finds the key it made. */
export const replacementTags = (snapshot: KeySnapshot, incidentId: string): Record<string, string> => ({
  ...snapshot.tags,
  [replacesTag]: snapshot.keyArn,
  [incidentTag]: incidentId,
});

export const replacesTag = 'kms-warden:replaces';
export const incidentTag = 'kms-warden:incident';
