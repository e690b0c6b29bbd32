import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import { cloudTrailApiCallEventSchema } from '../../src/events/cloudtrail-record';
import { localLambdaContext } from '../../src/local/lambda-context';
import { parseEvent } from '../../src/middleware/parse-event';
import { record, viaEventBridge } from '../support/records';

const setup = () => {
  const kept: Array<{ event: unknown; reason: string }> = [];
  const seen: unknown[] = [];
  const handler = middy(async (event: unknown) => {
    seen.push(event);
    return 'handled';
  }).use(
    parseEvent({
      schema: cloudTrailApiCallEventSchema,
      deadLetters: { keep: async (event, reason) => void kept.push({ event, reason }) },
      logger: new Logger({ logLevel: 'SILENT' }),
    }),
  );
  return { kept, seen, invoke: (event: unknown) => handler(event, localLambdaContext('test')) };
};

describe('parsing incoming events', () => {
  it('hands a valid event on, parsed, and keeps unknown fields out of the way', async () => {
    const { invoke, seen, kept } = setup();
    const event = {
      ...viaEventBridge(record('ScheduleKeyDeletion.assumed-role')),
      'replay-name': 'r',
      extraField: true,
    };
    expect(await invoke(event)).toBe('handled');
    expect(seen).toHaveLength(1);
    expect(kept).toHaveLength(0);
  });

  it.each([
    ['not an object', 'hello', '(event)'],
    [
      'another detail-type',
      { ...viaEventBridge(record('ScheduleKeyDeletion.assumed-role')), 'detail-type': 'KMS CMK Rotation' },
      'detail-type',
    ],
    [
      'a detail without eventID',
      {
        ...viaEventBridge(record('ScheduleKeyDeletion.assumed-role')),
        detail: { ...record('ScheduleKeyDeletion.assumed-role'), eventID: undefined },
      },
      'detail.eventID',
    ],
    ['a bare CloudTrail record', record('ScheduleKeyDeletion.assumed-role'), 'detail'],
  ])('keeps %s in the dead-letter queue with the reason, and does not throw', async (_name, event, field) => {
    const { invoke, seen, kept } = setup();
    const response = await invoke(event);
    expect(response).toEqual({ status: 'rejected', reason: expect.stringContaining(field) });
    expect(seen).toHaveLength(0);
    expect(kept).toEqual([{ event, reason: expect.stringMatching(/^malformed event: /) }]);
  });
});
