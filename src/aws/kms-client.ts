import { KMSClient } from '@aws-sdk/client-kms';
import { clientSettings, perRegion, type ClientSettings } from './client-settings';

/** KMS is regional and a key is addressed in its own Region: one client per Region, made on first use. */
export const kmsClients = (settings: ClientSettings = clientSettings()) =>
  perRegion((config) => new KMSClient(config), settings);
