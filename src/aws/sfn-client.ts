import { SFNClient } from '@aws-sdk/client-sfn';
import { clientSettings, type ClientSettings } from './client-settings';

export const sfnClient = (settings: ClientSettings = clientSettings()) => new SFNClient(settings);
