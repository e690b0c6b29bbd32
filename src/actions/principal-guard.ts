import { isSamePrincipal } from '../events/principal';

/**
 * The one answer to "may kms-warden contain this principal, and how": denied in a key policy, quarantined with an
 * IAM policy. Planners (the detections' isolate, manual containment) ask it to choose a step's run; the actions ask
 * it again when they apply, so a plan made elsewhere, or stored before a rule changed, cannot get past it.
 */

/** What kms-warden itself may do: on its own, only offered to a person (run: 'approval'), or not at all. */
export type Permission = 'automatic' | 'approval' | 'never';

export type GuardedKind =
  | 'responder'
  | 'break-glass'
  | 'service-linked-role'
  | 'aws-managed-role'
  | 'root'
  | 'session'
  | 'federated-user'
  | 'other-partition'
  | 'not-a-principal'
  | 'role'
  | 'user';

export interface GuardContext {
  /** kms-warden's own role ARNs: never contained. */
  responderRoles?: readonly string[] | undefined;
  /**
   * The account's break-glass principals (the breakGlassPrincipals setting): the people who recover the account are
   * never contained on kms-warden's own say.
   */
  breakGlass?: readonly string[] | undefined;
  /** Plans stored before the exact role ARNs were known named the responder by its IAM path. */
  responderRolePath?: string | undefined;
  /** The account kms-warden acts in: a principal of another one is denied in key policies here, never quarantined. */
  ownAccount?: string | undefined;
  /** The partition kms-warden acts in (aws, aws-cn, aws-us-gov): a principal of another one has nothing here. */
  partition?: string | undefined;
}

export interface Verdict {
  may: Permission;
  /** Why not automatically; absent when it may. */
  why?: string;
}

export interface PrincipalGuard {
  kind: GuardedKind;
  /**
   * Whether the principal belongs to the guard's own account (undefined: no account known, or no account in the ARN).
   */
  ownAccount: boolean | undefined;
  deny: Verdict;
  quarantine: Verdict;
}

const iamPrincipal = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user)(\/.*)?\/([\w+=,.@-]+)$/;

/** The parts of a role or user ARN: partition, account, kind, path (when the ARN gives one) and name. */
export const parseIamPrincipal = (arn: string) => {
  const match = iamPrincipal.exec(arn);
  return match
    ? {
        partition: match[1]!,
        account: match[2]!,
        kind: match[3] as 'role' | 'user',
        path: `${match[4] ?? ''}/`,
        name: match[5]!,
      }
    : undefined;
};

/**
 * A service-linked role: under /aws-service-role/, a path only AWS can create roles under. The name alone proves
 * nothing: anyone may name a role of their own AWSServiceRoleForX at path /, and a guard that trusted the name would
 * let it go uncontained. An ARN without its path (GuardDuty names roles so) is therefore an ordinary role here; the
 * deny never reaches /aws-service-role/ (principalArnPatterns), and the quarantine asks IAM for the exact ARN first.
 */
export const isServiceLinkedRole = (arn: string): boolean => {
  const parsed = parseIamPrincipal(arn);
  return parsed?.kind === 'role' && parsed.path.startsWith('/aws-service-role/');
};

/** An IAM Identity Center role (AWSReservedSSO_*, under /aws-reserved/): AWS manages it and refuses policy changes. */
export const isIdentityCenterRole = (arn: string): boolean => {
  const parsed = parseIamPrincipal(arn);
  return (
    parsed?.kind === 'role' && (parsed.path.startsWith('/aws-reserved/') || parsed.name.startsWith('AWSReservedSSO_'))
  );
};

/** Roles AWS manages for a service or for IAM Identity Center: IAM refuses any change to them (UnmodifiableEntity). */
export const isAwsManagedRole = (arn: string): boolean => isServiceLinkedRole(arn) || isIdentityCenterRole(arn);

const arnParts = /^arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)$/;

const automatic: Verdict = { may: 'automatic' };
const never = (why: string): Verdict => ({ may: 'never', why });
const offered = (why: string): Verdict => ({ may: 'approval', why });

const isResponder = (arn: string, context: GuardContext): boolean => {
  if ((context.responderRoles ?? []).some((role) => isSamePrincipal(role, arn))) return true;
  const parsed = parseIamPrincipal(arn);
  return Boolean(
    context.responderRolePath && parsed?.kind === 'role' && parsed.path.startsWith(context.responderRolePath),
  );
};

/** What kms-warden may do to `principalArn`, and why not. Checked in this order; the first that fits decides. */
export const guardPrincipal = (principalArn: string, context: GuardContext = {}): PrincipalGuard => {
  const parts = arnParts.exec(principalArn);
  if (!parts) {
    const why = `${principalArn} is not an IAM role, user or federated user ARN`;
    return { kind: 'not-a-principal', ownAccount: undefined, deny: never(why), quarantine: never(why) };
  }
  const [, partition, service, account, resource] = parts as unknown as [string, string, string, string, string];
  const ownAccount = context.ownAccount ? account === context.ownAccount : undefined;
  const verdict = (kind: GuardedKind, deny: Verdict, quarantine: Verdict): PrincipalGuard => ({
    kind,
    ownAccount,
    deny,
    quarantine,
  });

  if (context.partition && partition !== context.partition) {
    const why = `${principalArn} is in partition ${partition}, not ${context.partition} where kms-warden acts: it has nothing here to contain`;
    return verdict('other-partition', never(why), never(why));
  }
  if (isResponder(principalArn, context)) {
    const why = `${principalArn} is one of kms-warden's own roles: kms-warden's own role is never contained (it would stop kms-warden acting)`;
    return verdict('responder', never(why), never(why));
  }
  // By the exact ARN, path included: a role of anyone's making with the same name elsewhere is no break-glass role.
  if ((context.breakGlass ?? []).includes(principalArn)) {
    return verdict(
      'break-glass',
      offered(
        `${principalArn} is a break-glass principal (breakGlassPrincipals): denying it may lock out the people who recover the account, so a person decides`,
      ),
      never(
        `${principalArn} is a break-glass principal (breakGlassPrincipals): kms-warden never quarantines it, and its roles are denied that in IAM; secure it by hand`,
      ),
    );
  }
  if (service === 'sts' && resource.startsWith('assumed-role/')) {
    const role = resource.split('/')[1];
    const why = `${principalArn} is a session: name its role instead (arn:${partition}:iam::${account}:role/${role}, with its path if it has one)`;
    return verdict('session', never(why), never(why));
  }
  if (service === 'iam' && resource === 'root') {
    return verdict(
      'root',
      never(
        `the root user is never denied automatically: denying ${principalArn} in a key policy can lock the account out of the key; its quarantine is offered for approval instead`,
      ),
      offered(
        'the root user cannot be quarantined with an IAM policy: offered for approval instead (a person secures its password, MFA and access keys)',
      ),
    );
  }
  if (service === 'sts' && resource.startsWith('federated-user/')) {
    // Denied by its own ARN; the session itself cannot be ended, its broker user can (offered for approval).
    return verdict(
      'federated-user',
      automatic,
      never(
        `${principalArn} is a federated session: it is not an IAM role or user and cannot be quarantined; its broker user can be, with approval`,
      ),
    );
  }
  const parsed = parseIamPrincipal(principalArn);
  if (!parsed) {
    const why = `${principalArn} is not an IAM role, user or federated user ARN`;
    return verdict('not-a-principal', never(why), never(why));
  }
  if (isServiceLinkedRole(principalArn)) {
    return verdict(
      'service-linked-role',
      offered(
        `${principalArn} is a service-linked role: denying it breaks the AWS service that uses the key, so it is a person's call (offered for approval)`,
      ),
      never(
        `${principalArn} is a service-linked role: roles AWS manages (IAM Identity Center, service-linked) cannot be changed`,
      ),
    );
  }
  // An Identity Center role is one in any account: AWS manages it, and only a person can end its sessions.
  if (isIdentityCenterRole(principalArn)) {
    return verdict(
      'aws-managed-role',
      automatic,
      never(
        `${principalArn} is managed by AWS (IAM Identity Center): roles AWS manages cannot be changed, so it is contained through the key policy instead; end the user's sessions in IAM Identity Center`,
      ),
    );
  }
  if (ownAccount === false) {
    return verdict(
      parsed.kind,
      automatic,
      never(
        `${principalArn} belongs to account ${parsed.account}, not to ${context.ownAccount} where kms-warden acts: it is denied in this account's key policies; quarantine it in its own account`,
      ),
    );
  }
  return verdict(parsed.kind, automatic, automatic);
};

/** An action's answer when the guard refuses: nothing is done, and the result says why. */
export const guardRefusal = (verdict: Verdict): { outcome: 'skipped'; reason: string } | undefined =>
  verdict.may === 'automatic'
    ? undefined
    : { outcome: 'skipped', reason: verdict.why ?? 'refused by the principal guard' };
