import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { MemberRoleRefusedError } from '../errors';
import { memberRoleArn, sessionNameFor, type MemberRole } from '../organization/member-role';

export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/** Credentials are renewed this long before they expire: a call never starts with a session about to end. */
const renewBefore = 5 * 60_000;
/** Sessions kept at most: a responder acts in a few accounts at a time; an old entry is dropped first. */
const kept = 200;

/**
 * Sessions of the member role in the organization's accounts, one per account and purpose, kept until shortly before
 * they expire (a Lambda container reuses them across invocations). A session from a Lambda role is role chaining,
 * which AWS limits to one hour (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html,
 * "Role chaining"): the default duration is asked for.
 */
export class MemberSessions {
  private readonly sessions = new Map<string, Promise<SessionCredentials>>();

  constructor(
    private readonly sts: STSClient,
    private readonly role: MemberRole,
    private readonly partition: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The credentials of a session of the member role in `account`, named after `purpose` (an incident, a function). */
  credentials(account: string, purpose: string): Promise<SessionCredentials> {
    const sessionName = sessionNameFor(purpose);
    const key = `${account}/${sessionName}`;
    const cached = this.sessions.get(key);
    if (cached)
      return cached.then((credentials) =>
        this.fresh(credentials) ? credentials : this.renew(key, account, sessionName),
      );
    return this.renew(key, account, sessionName);
  }

  private fresh(credentials: SessionCredentials) {
    return credentials.expiration.getTime() - this.now() > renewBefore;
  }

  private renew(key: string, account: string, sessionName: string): Promise<SessionCredentials> {
    const session = this.assume(account, sessionName);
    this.sessions.delete(key);
    if (this.sessions.size >= kept) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, session);
    // A refusal is not kept: the next event asks again (the StackSet may have reached the account since).
    session.catch(() => {
      if (this.sessions.get(key) === session) this.sessions.delete(key);
    });
    return session;
  }

  private async assume(account: string, sessionName: string): Promise<SessionCredentials> {
    const roleArn = memberRoleArn(this.role, account, this.partition);
    try {
      const { Credentials: c } = await this.sts.send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: sessionName, ExternalId: this.role.externalId }),
      );
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
        throw new Error(`STS answered AssumeRole for ${roleArn} without credentials`);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    } catch (error) {
      // AccessDenied: the role is missing in that account (the member StackSet has not reached it), or its trust policy
      // does not name this function's role, the organization or the external id. RegionDisabledException: STS is not
      // activated in this Region for the account. Both stay until a person changes something.
      const name = (error as Error).name;
      if (name === 'AccessDenied' || name === 'AccessDeniedException' || name === 'RegionDisabledException')
        throw new MemberRoleRefusedError(account, roleArn, name, { cause: error });
      throw error;
    }
  }
}
