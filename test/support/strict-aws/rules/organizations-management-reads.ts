import type { StrictRule } from './rule';

/**
 * ListAccounts, ListPolicies, DescribePolicy and ListTargetsForPolicy "can be called only from the organization's
 * management account or by a member account that is a delegated administrator", and the lists take MaxResults of 1 to
 * 20 (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html, API_ListPolicies.html,
 * API_DescribePolicy.html, API_ListTargetsForPolicy.html). moto answers any member account with its organization's,
 * and an account of no organization with an empty list.
 */
export const organizationsManagementReads: StrictRule = {
  id: 'organizations-management-reads',
  says: 'ListAccounts, ListPolicies, DescribePolicy and ListTargetsForPolicy answer only the management account and delegated administrators (AccessDeniedException; AWSOrganizationsNotInUseException outside an organization), with MaxResults of 1 to 20 (InvalidInputException)',
  docs: [
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListPolicies.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribePolicy.html',
    'https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListTargetsForPolicy.html',
  ],
  operations: [
    'organizations:ListAccounts',
    'organizations:ListPolicies',
    'organizations:DescribePolicy',
    'organizations:ListTargetsForPolicy',
  ],
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
