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
 * leaves the other SDK clients out of its package. Region, credentials and endpoint come from the standard AWS
 * environment (AWS_REGION, AWS_ENDPOINT_URL for an emulator). Throttling is retried by the SDK's standard retry
 * strategy with backoff, five attempts.
 */
const common = { maxAttempts: 5 };

/** KMS is regional and a key is addressed in its own Region: one client per Region, made on first use. */
export const kmsClients = () => {
  const byRegion = new Map<string, KMSClient>();
  return (region: string): KMSClient => {
    let client = byRegion.get(region);
    if (!client) byRegion.set(region, (client = new KMSClient({ ...common, region })));
    return client;
  };
};

export const documentClient = () =>
  DynamoDBDocumentClient.from(new DynamoDBClient(common), { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });

/** A client per Region, made on first use: re-keying works where the old key lives. */
export const perRegion = <C>(make: (config: { maxAttempts: number; region: string }) => C) => {
  const byRegion = new Map<string, C>();
  return (region: string): C => {
    let client = byRegion.get(region);
    if (!client) byRegion.set(region, (client = make({ ...common, region })));
    return client;
  };
};

export const sfnClient = () => new SFNClient(common);
export const snsClient = () => new SNSClient(common);
export const sqsClient = () => new SQSClient(common);
/** IAM is global: its endpoint does not depend on the function's Region. */
export const iamClient = () => new IAMClient(common);
export const cloudTrailClient = () => new CloudTrailClient(common);
export const secretsClient = () => new SecretsManagerClient(common);
/**
 * For handing a Slack press to the function itself, inside Slack's 3 seconds: one attempt (a retry after Lambda
 * queued the event would queue it twice) and short timeouts; a failure is decided at once instead.
 */
export const selfInvokeClient = () => new LambdaClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 500, requestTimeout: 1500 } });
