import { paginateListAccounts, type OrganizationsClient } from '@aws-sdk/client-organizations';
import type { OrganizationDirectory } from '../organization/directory';

/** How long the organization's account list is kept: an account that joins is known within this time. */
const keptFor = 15 * 60_000;

/**
 * The organization's accounts as Organizations lists them (id and name), kept for 15 minutes. ListAccounts may be
 * called only from the management account or a delegated administrator, returns at most 20 accounts a page, and may
 * return an empty page with a NextToken: the paginator reads every page
 * (https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html). Every status counts as a
 * member: a suspended account is still the organization's, not an outsider.
 */
export class OrganizationAccounts implements OrganizationDirectory {
  private listed?: { at: number; accounts: Promise<ReadonlyMap<string, string>> };

  constructor(
    private readonly client: OrganizationsClient,
    private readonly now: () => number = Date.now,
  ) {}

  accounts(): Promise<ReadonlyMap<string, string>> {
    if (this.listed && this.now() - this.listed.at < keptFor) return this.listed.accounts;
    const accounts = this.list();
    const listed = { at: this.now(), accounts };
    this.listed = listed;
    // A failed listing is not kept: the next event asks again.
    accounts.catch(() => {
      if (this.listed === listed) this.listed = undefined;
    });
    return accounts;
  }

  private async list(): Promise<ReadonlyMap<string, string>> {
    const accounts = new Map<string, string>();
    for await (const page of paginateListAccounts({ client: this.client, pageSize: 20 }, {}))
      for (const account of page.Accounts ?? []) if (account.Id) accounts.set(account.Id, account.Name ?? account.Id);
    return accounts;
  }
}
