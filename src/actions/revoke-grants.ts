import type { Grant } from './ports';
import { accountOfPrincipal, isAwsServicePrincipal, isExternalAccount } from '../events/accounts';
import { isSamePrincipal } from '../events/principal';
import type { Action } from './action';
import { forEachPaced } from './paced';

export interface RevokeGrantsParams {
  keyArn: string;
  /** The suspect whose grants go; absent when only outside grants are revoked. */
  suspectArn?: string;
  ownAccount: string;
  trustedAccounts: string[];
  /** Grants to revoke even though an AWS service holds them for a customer resource: a person named them. */
  alsoRevoke?: string[];
  /**
   * Under the account's RevokeGrant request quota, with room for others: the KMS request quotas table gives
   * RevokeGrant 15 per second by default (docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html).
   */
  revokesPerSecond?: number;
}

/**
 * Grants AWS services create for customer resources: the grantee is a service, or the constraints carry the
 * service's own encryption context (aws:ebs:id, aws:dynamodb:tableName, ...). Revoking them breaks that resource.
 */
export const isServiceGrant = (grant: Grant): boolean => {
  const context = { ...grant.constraints?.EncryptionContextSubset, ...grant.constraints?.EncryptionContextEquals };
  return (
    (grant.granteePrincipal !== undefined && isAwsServicePrincipal(grant.granteePrincipal)) ||
    (grant.granteePrincipal?.includes(':aws:ec2-infrastructure:') ?? false) ||
    Object.keys(context).some((key) => key.startsWith('aws:'))
  );
};

/** Why a grant goes, or undefined if it stays. */
export const reasonToRevoke = (grant: Grant, params: RevokeGrantsParams): string | undefined => {
  if (params.alsoRevoke?.includes(grant.grantId)) return 'named in the plan';
  if (isServiceGrant(grant)) return undefined;
  const holders = [grant.granteePrincipal, grant.retiringPrincipal].filter((p): p is string => typeof p === 'string');
  if (params.suspectArn && holders.some((p) => isSamePrincipal(p, params.suspectArn!))) return 'held by the suspect';
  const outside = holders.find((p) =>
    isExternalAccount(accountOfPrincipal(p), params.ownAccount, params.trustedAccounts),
  );
  return outside ? `held outside the account (${accountOfPrincipal(outside)})` : undefined;
};

export const revokeGrants: Action<RevokeGrantsParams> = {
  type: 'revoke-grants',
  iamActions: ['kms:ListGrants', 'kms:RevokeGrant', 'kms:CreateGrant'],
  reversible: true,
  lane: ({ keyArn }) => `grants:${keyArn}`,
  describe: ({ keyArn, suspectArn }) =>
    `revoke the grants on ${keyArn} held by ${suspectArn ?? 'nobody in particular'} or outside the account (grants AWS services hold for your resources stay)`,
  apply: async (params, { kms, policyTexts }) => {
    const grants = await kms.grants(params.keyArn);
    const doomed = grants.flatMap((grant) => {
      const reason = reasonToRevoke(grant, params);
      return reason ? [{ grant, reason }] : [];
    });
    if (doomed.length === 0)
      return {
        outcome: 'skipped',
        reason: 'no grant is held by the suspect or outside the account',
        before: { grants: grants.length },
      };
    const results = await forEachPaced(doomed, params.revokesPerSecond ?? 10, ({ grant }) =>
      kms.revokeGrant(params.keyArn, grant.grantId),
    );
    const revoked = results.filter((r) => r.ok).map((r) => ({ ...r.item.grant, reason: r.item.reason }));
    const failed = results.flatMap((r) =>
      r.ok ? [] : [{ grantId: r.item.grant.grantId, error: r.error.name, message: r.error.message }],
    );
    // Nothing revoked: the first refusal is the step's error, classified like any other (retried, or a person's).
    const refusal = results.find((r) => !r.ok);
    if (refusal && !refusal.ok && revoked.length === 0) throw refusal.error;
    // The revoked grants (their constraints can be large, and an attacker can make many) are kept out of the
    // incident item, by reference: release recreates them from there.
    const revokedRef = await policyTexts.put(JSON.stringify(revoked));
    return {
      outcome: 'applied',
      before: {
        grants: grants.length,
        revokedRef,
        revokedCount: revoked.length,
        revokedIds: revoked.slice(0, 20).map((grant) => grant.grantId),
      },
      after: { grants: grants.length - revoked.length, failedCount: failed.length, failed: failed.slice(0, 20) },
    };
  },
  undo: async ({ keyArn }, { kms, policyTexts }, result) => {
    if (result.outcome !== 'applied') return;
    // Results recorded before the grants were kept apart carry them inline.
    const kept =
      typeof result.before.revokedRef === 'string' ? await policyTexts.get(result.before.revokedRef) : undefined;
    const revoked = (kept !== undefined ? JSON.parse(kept) : (result.before.revoked ?? [])) as Grant[];
    for (const grant of revoked) {
      await kms.createGrant(keyArn, {
        name: grant.name,
        granteePrincipal: grant.granteePrincipal,
        retiringPrincipal: grant.retiringPrincipal,
        operations: grant.operations,
        constraints: grant.constraints,
      });
    }
  },
};
