import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { clientSettings, type ClientSettings } from './client-settings';

/** Organizations is global; the SDK resolves its endpoint (us-east-1 in the aws partition) from any Region. */
export const organizationsClient = (region: string | undefined, settings: ClientSettings = clientSettings()) =>
  new OrganizationsClient({ ...settings, ...(region ? { region } : {}) });
