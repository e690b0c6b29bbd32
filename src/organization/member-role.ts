/**
 * The role kms-warden's central functions assume in each member account of an organization (the member template
 * creates it), and the names of the sessions they open there. Pure: no SDK.
 */

/** The member role as the settings name it: its IAM path and name, e.g. "/kms-warden/kms-warden-member". */
export interface MemberRole {
  path: string;
  name: string;
  /** The external id the role's trust policy requires (sts:ExternalId). */
  externalId: string;
}

/** IAM's role names: 1 to 64 of [\w+=,.@-]; a path is "/" or "/a/b/" of the same characters, up to 512. */
const roleName = /^[\w+=,.@-]{1,64}$/;
const rolePath = /^\/(?:[\x21-\x7e]+\/)?$/;

/**
 * STS's limits on AssumeRole (API reference, AssumeRole: "ExternalId ... Length Constraints: Minimum length of 2.
 * Maximum length of 1224. Pattern: [\w+=,.@:/-]*"), checked before any call.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
export const externalIdPattern = /^[\w+=,.@:/-]{2,1224}$/;

/** "/kms-warden/kms-warden-member" as a MemberRole, or what is wrong with it. */
export const parseMemberRole = (
  pathAndName: string,
  externalId: string,
): { ok: true; role: MemberRole } | { ok: false; problem: string } => {
  const cut = pathAndName.lastIndexOf('/');
  const path = cut < 0 ? '/' : pathAndName.slice(0, cut + 1);
  const name = pathAndName.slice(cut + 1);
  if (!roleName.test(name)) return { ok: false, problem: 'must end with an IAM role name (1 to 64 of [\\w+=,.@-])' };
  if (!rolePath.test(path.startsWith('/') ? path : `/${path}`) || path.length > 512)
    return { ok: false, problem: 'must be an IAM path and role name, e.g. /kms-warden/kms-warden-member' };
  if (!externalIdPattern.test(externalId))
    return { ok: false, problem: 'the external id must be 2 to 1224 of [\\w+=,.@:/-]' };
  return { ok: true, role: { path: path.startsWith('/') ? path : `/${path}`, name, externalId } };
};

/** The member role's ARN in an account. */
export const memberRoleArn = (role: Pick<MemberRole, 'path' | 'name'>, account: string, partition = 'aws') =>
  `arn:${partition}:iam::${account}:role${role.path}${role.name}`;

/** STS's RoleSessionName: 2 to 64 of [\w+=,.@-] (AssumeRole API reference, as above). */
const sessionNameLength = 64;
const notInSessionNames = /[^\w+=,.@-]/g;

/**
 * The name of a session kms-warden opens in a member account: it says kms-warden, and what for (an incident id, or the
 * function when no incident is yet known). CloudTrail in the member account logs it in every call's
 * userIdentity.arn, so the account's own people see who acted and why.
 */
export const sessionNameFor = (purpose: string): string =>
  `kms-warden-${purpose}`.replace(notInSessionNames, '-').slice(0, sessionNameLength);
