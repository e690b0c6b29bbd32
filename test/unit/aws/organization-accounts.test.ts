import { ListAccountsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { OrganizationAccounts } from '../../../src/aws/organization-accounts';

const organizations = mockClient(OrganizationsClient);
beforeEach(() => organizations.reset());

describe("the organization's accounts", () => {
  it('are read page by page, 20 at most a page, through empty pages that still have a NextToken', async () => {
    organizations
      .on(ListAccountsCommand)
      .resolvesOnce({ Accounts: [{ Id: '111122223333', Name: 'security', Status: 'ACTIVE' }], NextToken: 'a' })
      .resolvesOnce({ Accounts: [], NextToken: 'b' })
      .resolvesOnce({ Accounts: [{ Id: '222233334444', Name: 'payments <prod>', Status: 'SUSPENDED' }] });
    const accounts = await new OrganizationAccounts(new OrganizationsClient({})).accounts();

    expect([...accounts]).toEqual([
      ['111122223333', 'security'],
      ['222233334444', 'payments <prod>'],
    ]);
    expect(organizations).toHaveReceivedNthCommandWith(1, ListAccountsCommand, { MaxResults: 20 });
    expect(organizations).toHaveReceivedNthCommandWith(3, ListAccountsCommand, { MaxResults: 20, NextToken: 'b' });
  });

  it('are kept for 15 minutes; a failed listing is asked again', async () => {
    let now = 0;
    organizations
      .on(ListAccountsCommand)
      .rejectsOnce(Object.assign(new Error('refused'), { name: 'AccessDeniedException' }))
      .resolvesOnce({ Accounts: [{ Id: '111122223333', Name: 'one' }] })
      .resolvesOnce({
        Accounts: [
          { Id: '111122223333', Name: 'one' },
          { Id: '222233334444', Name: 'two' },
        ],
      });
    const directory = new OrganizationAccounts(new OrganizationsClient({}), () => now);

    await expect(directory.accounts()).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect((await directory.accounts()).size).toBe(1);
    now = 14 * 60_000;
    expect((await directory.accounts()).size).toBe(1);
    now = 15 * 60_000;
    expect((await directory.accounts()).size).toBe(2);
    expect(organizations).toHaveReceivedCommandTimes(ListAccountsCommand, 3);
  });
});
