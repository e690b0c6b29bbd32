import type { StrictRule } from './rule';

/**
 * ListAccounts "can be called only from the organization's management account or by a member account that is a
 * delegated administrator", and takes MaxResults of 1 to 20
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). moto answers any member
 * account with its organization's accounts, and an account of no organization with an empty list.
 */
export const organizationsListAccounts: StrictRule = {
  id: 'organizations-list-accounts',
  says: 'ListAccounts answers only the management account and delegated administrators (AccessDeniedException; AWSOrganizationsNotInUseException outside an organization), with MaxResults of 1 to 20 (InvalidInputException)',
  docs: ['https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html'],
  operations: ['organizations:ListAccounts'],
  refuse: async ({ call, identity, organization }) => {
    const maxResults = call.params.MaxResults as number | undefined;
    if (maxResults !== undefined && (maxResults < 1 || maxResults > 20))
      return {
        code: 'InvalidInputException',
        message: 'You provided a value that does not match the required pattern.',
      };
    const account = identity.caller.account;
    if (!organization?.accounts.has(account))
      return {
        code: 'AWSOrganizationsNotInUseException',
        message: 'Your account is not a member of an organization.',
      };
    if (account !== organization.management && !organization.delegatedAdministrators.has(account))
      return { code: 'AccessDeniedException', message: "You don't have permissions to access this resource." };
    return undefined;
  },
};
