import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientSettings, type ClientSettings } from './client-settings';

export const secretsClient = (settings: ClientSettings = clientSettings()) => new SecretsManagerClient(settings);
