import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients, built once per process and injected. Region, credentials and endpoint come from the standard
 * AWS environment (AWS_REGION, AWS_ENDPOINT_URL for an emulator). Throttling is retried by the SDK's standard
 * retry strategy with backoff.
 */
export const createClients = () => {
  const common = { maxAttempts: 5 };
  const kmsByRegion = new Map<string, KMSClient>();
  return {
    /** KMS is regional and a key is addressed in its own Region: one client per Region, made on first use. */
    kmsIn: (region: string): KMSClient => {
      let client = kmsByRegion.get(region);
      if (!client) kmsByRegion.set(region, (client = new KMSClient({ ...common, region })));
      return client;
    },
    documents: DynamoDBDocumentClient.from(new DynamoDBClient(common), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    }),
    sns: new SNSClient(common),
    cloudtrail: new CloudTrailClient(common),
    // IAM is global: its endpoint does not depend on the function's Region.
    iam: new IAMClient(common),
    sqs: new SQSClient(common),
  };
};

export type Clients = ReturnType<typeof createClients>;
