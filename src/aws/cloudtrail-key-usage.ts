import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { cloudTrailRecordSchema } from '../events/cloudtrail-record';
import { keyArnOf } from '../events/kms-api-call';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The KMS keys an access key called, from CloudTrail's event history (the last 90 days of management events).
 * LookupEvents allows 2 requests a second per account and Region, so pages are paced, and a page limit bounds the
 * time one invocation spends here.
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
 */
export class CloudTrailKeyUsage {
  constructor(
    private readonly client: CloudTrailClient,
    private readonly options: { maxPages: number; pageIntervalMs: number } = { maxPages: 10, pageIntervalMs: 550 },
  ) {}

  async keysUsedBy(accessKeyId: string, since: Date, until: Date): Promise<string[]> {
    const keys = new Set<string>();
    let nextToken: string | undefined;
    for (let page = 0; page < this.options.maxPages; page += 1) {
      if (page > 0) await sleep(this.options.pageIntervalMs);
      const response = await this.client.send(
        new LookupEventsCommand({
          LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: accessKeyId }],
          StartTime: since,
          EndTime: until,
          MaxResults: 50,
          NextToken: nextToken,
        }),
      );
      for (const event of response.Events ?? []) {
        if (event.EventSource !== 'kms.amazonaws.com' || !event.CloudTrailEvent) continue;
        let record: unknown;
        try {
          record = JSON.parse(event.CloudTrailEvent);
        } catch {
          continue;
        }
        const parsed = cloudTrailRecordSchema.safeParse(record);
        const keyArn = parsed.success ? keyArnOf(parsed.data) : undefined;
        if (keyArn) keys.add(keyArn);
      }
      nextToken = response.NextToken;
      if (!nextToken) break;
    }
    return [...keys];
  }
}
