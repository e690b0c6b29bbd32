import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients, one factory each: a function's composition root calls only the ones it needs, and the bundler
 * leaves the other SDK clients out of its package. Throttling is retried by the SDK's standard retry strategy with
 * backoff, five attempts.
 *
 * A client's identity and endpoint are fixed when its factory is called, from the environment Lambda gives the
 * function (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; AWS_ENDPOINT_URL for an emulator). The SDK
 * would otherwise read them at the first request. In Lambda the two are the same; in tests, where several functions
 * run in one process each with its own role, a function's clients keep the role they were built with. Without
 * credentials in the environment (the CLI with a profile), the SDK's default chain finds them as usual.
 */
export type ClientSettings = {
  maxAttempts: number;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
};

export const clientSettings = (env: NodeJS.ProcessEnv = process.env): ClientSettings => {
  const {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SESSION_TOKEN: sessionToken,
    AWS_ENDPOINT_URL: endpoint,
  } = env;
  return {
    maxAttempts: 5,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  };
};

/** A client per Region, made on first use, with the settings of the moment the factory was called. */
export const perRegion = <C>(make: (config: ClientSettings & { region: string }) => C) => {
  const settings = clientSettings();
  const byRegion = new Map<string, C>();
  return (region: string): C => {
    let client = byRegion.get(region);
    if (!client) byRegion.set(region, (client = make({ ...settings, region })));
    return client;
  };
};

/** KMS is regional and a key is addressed in its own Region: one client per Region, made on first use. */
export const kmsClients = () => perRegion((config) => new KMSClient(config));

export const documentClient = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient(clientSettings()), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });

export const sfnClient = () => new SFNClient(clientSettings());
export const snsClient = () => new SNSClient(clientSettings());
export const sqsClient = () => new SQSClient(clientSettings());
/** IAM is global: its endpoint does not depend on the function's Region. */
export const iamClient = () => new IAMClient(clientSettings());
export const cloudTrailClient = () => new CloudTrailClient(clientSettings());
export const secretsClient = () => new SecretsManagerClient(clientSettings());
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
