import { SQSClient } from '@aws-sdk/client-sqs';
import { clientSettings, type ClientSettings } from './client-settings';

export const sqsClient = (settings: ClientSettings = clientSettings()) => new SQSClient(settings);
