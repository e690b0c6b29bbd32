import { KMSClient } from '@aws-sdk/client-kms';
import { clientSettings, perAccountAndRegion, perRegion, type ClientSettings } from './client-settings';

/** KMS is regional and a key is addressed in its own Region: one client per Region, made on first use. */
export const kmsClients = (settings: ClientSettings = clientSettings()) =>
  perRegion((config) => new KMSClient(config), settings);

/** In an organization: a client per account and Region, each acting as `settingsIn` says for that account. */
export const kmsClientsIn = (settingsIn: (account: string | undefined) => ClientSettings) =>
  perAccountAndRegion((config) => new KMSClient(config), settingsIn);
