import { LambdaClient } from '@aws-sdk/client-lambda';
import { clientSettings, type ClientSettings } from './client-settings';

export const lambdaClient = (settings: ClientSettings = clientSettings()) => new LambdaClient(settings);

/**
 * For handing a Slack press to the function itself, inside Slack's 3 seconds: one attempt (a retry after Lambda
 * queued the event would queue it twice) and short timeouts; a failure is decided at once instead.
 */
export const selfInvokeClient = () =>
  // throwOnRequestTimeout: without it the SDK's handler only warns when requestTimeout passes.
  new LambdaClient({
    ...clientSettings(),
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 1500, throwOnRequestTimeout: true },
  });
