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

/** KMS's limit of tags per key (https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html). */
export const maxTagsPerKey = 50;

/**
 * Tags the replacement carries: the owners' own, and two of kms-warden's so a resumed run finds the key it made. Not
 * kms-warden's other tags (`kms-warden:mode`, `kms-warden:protected`: how kms-warden treats the old key is not a
 * decision to copy silently). At most 50 in all: kms-warden's two first, then the owners' in name order; the rest are
 * returned as `dropped`, for people to be told.
 */
export const replacementTagsOf = (
  snapshot: Pick<KeySnapshot, 'keyArn' | 'tags'>,
  incidentId: string,
): { tags: Record<string, string>; dropped: string[] } => {
  const owners = Object.keys(snapshot.tags)
    .filter((name) => !name.startsWith('kms-warden:'))
    .sort();
  const kept = owners.slice(0, maxTagsPerKey - 2);
  return {
    tags: {
      ...Object.fromEntries(kept.map((name) => [name, snapshot.tags[name]!])),
      [replacesTag]: snapshot.keyArn,
      [incidentTag]: incidentId,
    },
    dropped: owners.slice(kept.length),
  };
};

export const replacementTags = (snapshot: KeySnapshot, incidentId: string): Record<string, string> =>
  replacementTagsOf(snapshot, incidentId).tags;

/**
 * Why re-keying cannot replace this key like for like, with what a person does instead; empty when it can. The
 * replacement is always made in AWS KMS's own key material (Origin AWS_KMS): anything else would be a downgrade.
 */
export const notReplaceable = (snapshot: KeySnapshot): { reasons: string[]; instructions: string[] } => {
  if (snapshot.primaryKeyArn && snapshot.primaryKeyArn !== snapshot.keyArn)
    return {
      reasons: [
        `it is a replica of the multi-Region key ${snapshot.primaryKeyArn}: they share key material, so the whole set is replaced from the primary`,
      ],
      instructions: [
        `Re-key the primary instead, from kms-warden in its Region (${regionOf(snapshot.primaryKeyArn)}): npx kms-warden rekey run ${snapshot.primaryKeyArn} --yes. Its replacement gets a replica in every Region the primary has one, ${snapshot.region} included.`,
      ],
    };
  switch (snapshot.origin) {
    case 'AWS_KMS':
      return { reasons: [], instructions: [] };
    case 'EXTERNAL':
      return {
        reasons: ['its key material was imported (Origin EXTERNAL): a replacement made by KMS would not be yours'],
        instructions: [
          'Create the replacement with imported material yourself: aws kms create-key --origin EXTERNAL, then get-parameters-for-import and import-key-material with new material from your own source (https://docs.aws.amazon.com/kms/latest/developerguide/importing-keys.html).',
          `Copy the policy, description and tags of ${snapshot.keyArn}, move its aliases, and re-encrypt what it protects (npx kms-warden rekey status shows the inventory once a run reaches it).`,
        ],
      };
    case 'AWS_CLOUDHSM':
    case 'EXTERNAL_KEY_STORE':
      return {
        reasons: [
          `it lives in a custom key store (Origin ${snapshot.origin}): a replacement made in AWS KMS would leave the store`,
        ],
        instructions: [
          `Create the replacement in the same custom key store (aws kms create-key --origin ${snapshot.origin} --custom-key-store-id ...) (https://docs.aws.amazon.com/kms/latest/developerguide/custom-key-store-overview.html).`,
          `Copy the policy, description and tags of ${snapshot.keyArn}, move its aliases, and re-encrypt what it protects.`,
        ],
      };
    default:
      return {
        reasons: [`its origin ${snapshot.origin} is not one re-keying knows`],
        instructions: [`Replace ${snapshot.keyArn} by hand with a key of the same origin.`],
      };
  }
};

const regionOf = (arn: string) => arn.split(':')[3] ?? '';

/** A multi-Region key's ARN in another Region: related multi-Region keys share their key id (mrk-...). */
export const inRegion = (keyArn: string, region: string): string => {
  const parts = keyArn.split(':');
  parts[3] = region;
  return parts.join(':');
};

/** The old key in every Region it is in: itself, then a multi-Region primary's replicas. */
export const oldKeysOf = (snapshot: KeySnapshot): Array<{ keyArn: string; region: string; aliases: string[] }> => [
  { keyArn: snapshot.keyArn, region: snapshot.region, aliases: snapshot.aliases },
  ...(snapshot.replicas ?? []).map(({ keyArn, region, aliases }) => ({ keyArn, region, aliases })),
];

export const replacesTag = 'kms-warden:replaces';
export const incidentTag = 'kms-warden:incident';
