import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudTrailKeyUsage } from '../../../src/aws/cloudtrail-key-usage';
import { record } from '../../support/records';

const cloudtrail = mockClient(CloudTrailClient);
const usage = new CloudTrailKeyUsage(new CloudTrailClient({ region: 'us-east-1' }), { maxPages: 3, pageIntervalMs: 0 });
const event = (r: object, source = 'kms.amazonaws.com') => ({
  EventSource: source,
  CloudTrailEvent: JSON.stringify(r),
});
const since = new Date('2026-11-21T00:00:00Z');
const until = new Date('2026-11-28T00:00:00Z');

beforeEach(() => cloudtrail.reset());

describe('the keys an access key used, from CloudTrail event history', () => {
  it('pages through LookupEvents for the access key and keeps the KMS keys, each once', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolvesOnce({
        Events: [event(record('Decrypt.iam-user')), event({ eventName: 'GetObject' }, 's3.amazonaws.com')],
        NextToken: 't1',
      })
      .resolvesOnce({ Events: [event(record('Decrypt.iam-user')), event(record('ScheduleKeyDeletion.assumed-role'))] });

    const keys = await usage.keysUsedBy('AKIAEXAMPLE', since, until);

    expect(keys).toEqual([
      'arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:kms:us-west-2:123456789012:key/1',
    ]);
    expect(cloudtrail).toHaveReceivedNthCommandWith(1, LookupEventsCommand, {
      LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: 'AKIAEXAMPLE' }],
      StartTime: since,
      EndTime: until,
    });
    expect(cloudtrail).toHaveReceivedNthCommandWith(2, LookupEventsCommand, { NextToken: 't1' });
  });

  it('skips events it cannot read, and stops at the page limit', async () => {
    cloudtrail
      .on(LookupEventsCommand)
      .resolves({ Events: [{ EventSource: 'kms.amazonaws.com', CloudTrailEvent: '{not json' }], NextToken: 'more' });
    expect(await usage.keysUsedBy('AKIAEXAMPLE', since, until)).toEqual([]);
    expect(cloudtrail).toHaveReceivedCommandTimes(LookupEventsCommand, 3);
  });
});
