import { SNSClient } from '@aws-sdk/client-sns';
import { clientSettings, type ClientSettings } from './client-settings';

export const snsClient = (settings: ClientSettings = clientSettings()) => new SNSClient(settings);
