import type { ClientSettings } from '../aws/client-settings';
import type { MemberSessions } from '../aws/member-sessions';
import type { Config } from '../config';
import { partitionOf } from '../events/accounts';
import type { OrganizationDirectory } from '../organization/directory';
import { memberRoleArn } from '../organization/member-role';
import { onFirstUse } from './on-first-use';
import { NotAnOrganizationAccountError } from '../errors';

/** What a function needs to act across an organization: who acts in each account, and which accounts are members. */
export interface MemberAccess {
  /** The account the function runs in (the central account). */
  home: string;
  /**
   * The settings of a client that acts in `account` for `purpose` (an incident id, or the function's name): the
   * function's own in its own account (or when no account is named), a session of the member role elsewhere.
   */
  settingsIn(account: string | undefined, purpose: string): ClientSettings;
  directory: OrganizationDirectory;
  memberRoleArn(account: string): string;
}

/**
 * Organization mode's adapters, when the settings name a member role. STS and Organizations are loaded on first use:
 * most invocations act nowhere.
 */
export const memberAccess = (config: Config, settings: ClientSettings): MemberAccess | undefined => {
  const { memberRole: role, accountId: home } = config;
  if (!role || !home) return undefined;
  const partition = partitionOf(config.region);
  let sessions: Promise<MemberSessions> | undefined;
  const sessionsMade = () =>
    (sessions ??= Promise.all([import('../aws/member-sessions'), import('../aws/sts-client')]).then(
      ([{ MemberSessions }, { stsClient }]) => new MemberSessions(stsClient(config.region, settings), role, partition),
    ));
  const directory = onFirstUse<OrganizationDirectory>({ accounts: true }, async () => {
    const [{ OrganizationAccounts }, { organizationsClient }] = await Promise.all([
      import('../aws/organization-accounts'),
      import('../aws/organizations-client'),
    ]);
    return new OrganizationAccounts(organizationsClient(config.region, settings));
  });
  // Only into the organization's own accounts: an outsider's account may hold a role of the same name that trusts
  // kms-warden (its trust policy is the outsider's to write), and an event can name an outsider's key.
  const memberSession = async (account: string, purpose: string) => {
    if (!(await directory.accounts()).has(account)) throw new NotAnOrganizationAccountError(account);
    return (await sessionsMade()).credentials(account, purpose);
  };
  return {
    home,
    settingsIn: (account, purpose) =>
      !account || account === home ? settings : { ...settings, credentials: () => memberSession(account, purpose) },
    directory,
    memberRoleArn: (account) => memberRoleArn(role, account, partition),
  };
};
