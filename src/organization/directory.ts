/** The organization kms-warden serves, as its responders need it. Adapters: src/aws/organization-accounts.ts. */
export interface OrganizationDirectory {
  /** Every account of the organization: id to name. */
  accounts(): Promise<ReadonlyMap<string, string>>;
}
