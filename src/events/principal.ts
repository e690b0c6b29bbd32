import type { UserIdentity } from './cloudtrail-record';
import { memoise } from './memoise';

export type PrincipalKind =
  'iam-user' | 'assumed-role' | 'identity-center' | 'root' | 'federated-user' | 'aws-service' | 'unknown';

/**
 * Who made a call, reduced to what a responder acts on. For sessions `arn` is the role that issued the session
 * (what a key policy or an inline policy can name); the session itself is kept beside it.
 */
export interface Principal {
  kind: PrincipalKind;
  arn: string;
  accountId?: string;
  sessionArn?: string;
  sessionName?: string;
  accessKeyId?: string;
  /** The IAM path of the role or user, when CloudTrail gives the issuer's ARN (it includes the path). */
  path?: string;
  /** A federated user's broker: the IAM user whose GetFederationToken made the session. */
  issuerArn?: string;
}

const iamArn = /^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$/;

/** IAM names are unique per account whatever their path, so two ARNs name the same principal when these match. */
const identityOf = (arn: string): string | undefined => {
  const match = iamArn.exec(arn);
  if (!match) return undefined;
  const [, , , account, resource] = match;
  if (resource === 'root') return `${account}:root`;
  const [type, ...rest] = resource!.split('/');
  const name = rest.at(-1);
  if (!name) return undefined;
  if (type === 'assumed-role') return `${account}:role:${rest[0]}`;
  return `${account}:${type}:${name}`;
};

/**
 * The ARN detection memory files a principal under: a role or user without its path. GuardDuty names roles without
 * their path, CloudTrail with it; both must find the same memory.
 */
export const principalKey = memoise((arn: string): string => {
  const match = /^(arn:aws[a-z-]*:iam::\d{12}:(?:role|user))\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match ? `${match[1]}/${match[2]}` : arn;
});

export const isSamePrincipal = (a: string, b: string): boolean => {
  const left = identityOf(a);
  return left !== undefined && left === identityOf(b);
};

export const principalIsListed = (principal: Principal, listed: readonly string[]): boolean =>
  listed.some((arn) => isSamePrincipal(principal.arn, arn));

const pathOf = memoise((arn: string): string | undefined => {
  const resource = iamArn.exec(arn)?.[4];
  if (!resource) return undefined;
  const parts = resource.split('/');
  return parts.length > 2 ? `/${parts.slice(1, -1).join('/')}/` : '/';
});

export const normalisePrincipal = (identity: UserIdentity | undefined, recipientAccountId?: string): Principal => {
  if (!identity) return { kind: 'unknown', arn: 'unknown' };
  const { type, arn, accountId, accessKeyId } = identity;
  const base = { accountId: accountId ?? recipientAccountId, ...(accessKeyId ? { accessKeyId } : {}) };
  switch (type) {
    case 'IAMUser':
      return {
        kind: 'iam-user',
        arn: arn ?? `unknown-user:${identity.userName ?? identity.principalId}`,
        ...base,
        ...(arn ? { path: pathOf(arn) } : {}),
      };
    case 'Root':
      // CloudTrail gives a root caller's ARN; without one, the account is all there is to name.
      return { kind: 'root', arn: arn ?? `arn:aws:iam::${base.accountId}:root`, ...base };
    case 'AssumedRole': {
      // The commonest caller by far: built field by field, without the spreads, as replay meets it on most records.
      const issuer = identity.sessionContext?.sessionIssuer;
      const path = issuer?.arn ? pathOf(issuer.arn) : undefined;
      const principal: Principal = {
        kind: path?.startsWith('/aws-reserved/sso.amazonaws.com/') ? 'identity-center' : 'assumed-role',
        arn: issuer?.arn ?? arn ?? 'unknown-role',
        accountId: base.accountId,
      };
      if (base.accessKeyId) principal.accessKeyId = base.accessKeyId;
      if (arn) {
        principal.sessionArn = arn;
        const sessionName = arn.slice(arn.lastIndexOf('/') + 1);
        if (sessionName && arn.includes(':assumed-role/')) principal.sessionName = sessionName;
      }
      if (path) principal.path = path;
      return principal;
    }
    case 'FederatedUser': {
      // The session is the principal (aws:PrincipalArn is its federated-user ARN); the broker user stays beside it.
      const issuer = identity.sessionContext?.sessionIssuer?.arn;
      return {
        kind: 'federated-user',
        arn: arn ?? issuer ?? 'unknown-federated',
        ...base,
        ...(arn ? { sessionArn: arn } : {}),
        ...(issuer ? { issuerArn: issuer } : {}),
      };
    }
    case 'AWSService':
      return { kind: 'aws-service', arn: identity.invokedBy ?? 'unknown-service', ...base };
    default:
      return { kind: 'unknown', arn: arn ?? identity.principalId ?? 'unknown', ...base };
  }
};
