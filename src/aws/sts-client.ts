import { STSClient } from '@aws-sdk/client-sts';
import { clientSettings, type ClientSettings } from './client-settings';

/**
 * STS in the function's own Region: SDK v3 signs for the regional endpoint by default, which AWS recommends over the
 * global one (lower latency, no dependency on us-east-1: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html).
 */
export const stsClient = (region: string | undefined, settings: ClientSettings = clientSettings()) =>
  new STSClient({ ...settings, ...(region ? { region } : {}) });
