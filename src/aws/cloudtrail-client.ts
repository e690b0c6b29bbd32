import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { clientSettings, type ClientSettings } from './client-settings';

export const cloudTrailClient = (settings: ClientSettings = clientSettings()) => new CloudTrailClient(settings);
