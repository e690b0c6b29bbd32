import { accountOfKey, accountOfPrincipal } from '../events/accounts';
import type { Signal } from '../detections/detection';
import type { ResponderDeps, ResponderSettings } from './responder-deps';

/**
 * The settings as they stand in an organization, read once per batch or finding: every account of the organization is
 * trusted (not external), besides trustedAccounts. Outside organization mode, the settings as they are.
 */
export const withOrganization = async <D extends ResponderDeps>(deps: D): Promise<D> => {
  const organization = deps.organization;
  if (!organization) return deps;
  const accounts = await organization.directory.accounts();
  return {
    ...deps,
    settings: {
      ...deps.settings,
      trustedAccounts: [...new Set([...deps.settings.trustedAccounts, ...accounts.keys()])],
      organization: { accounts, memberRoleArn: organization.memberRoleArn },
    },
  };
};

/**
 * kms-warden's own roles where these accounts are concerned: its central roles, and the member role in each of them
 * that is in the organization (the sessions it opens there). Only the accounts at hand: a plan's guard names a few
 * roles, not one per account of the organization.
 */
export const responderRolesIn = (
  settings: ResponderSettings,
  ...accounts: ReadonlyArray<string | undefined>
): readonly string[] => {
  const organization = settings.organization;
  if (!organization) return settings.responderRoles;
  const members = accounts.filter((account): account is string => !!account && organization.accounts.has(account));
  return members.length === 0
    ? settings.responderRoles
    : [...new Set([...settings.responderRoles, ...members.map(organization.memberRoleArn)])];
};

/**
 * The account kms-warden acts on the suspect in. One account: the one it runs in (or else the key's, the event's). In
 * an organization: the suspect's own account when it is a member (quarantined there through the member role), or
 * else the key's account when it is a member, where an outsider is denied and a person is asked to deal with it, or
 * else the event's.
 */
export const actingAccountFor = (
  signal: Pick<Signal, 'keyArn' | 'principal' | 'source'>,
  settings: ResponderSettings,
) => {
  const keyAccount = signal.keyArn ? accountOfKey(signal.keyArn) : undefined;
  const organization = settings.organization;
  if (!organization) return settings.accountId ?? keyAccount ?? signal.source.accountId;
  const suspectAccount = accountOfPrincipal(signal.principal.arn);
  if (suspectAccount && organization.accounts.has(suspectAccount)) return suspectAccount;
  // Never an account outside the organization: data written under an outsider's key (external-key-encryption) is
  // answered where it was written.
  if (keyAccount && organization.accounts.has(keyAccount)) return keyAccount;
  return signal.source.accountId ?? keyAccount;
};

/** The name Organizations gives the signal's account, for people; nothing outside organization mode. */
export const accountNameOf = (
  signal: Pick<Signal, 'source'>,
  settings: ResponderSettings,
): { accountName?: string } => {
  const name = signal.source.accountId ? settings.organization?.accounts.get(signal.source.accountId) : undefined;
  return name ? { accountName: name } : {};
};
