import { startMotoServer, type MotoServer } from '../../src/local/moto-server';
import { dynamoDbOneAtATime } from './dynamodb-one-at-a-time';

/**
 * Gives the calling test file its own moto_server on a free loopback port, started before its tests and stopped
 * after: no suite sees another's leftovers. AWS SDK clients built after beforeAll talk to it through
 * AWS_ENDPOINT_URL. A missing moto fails the suite with the install command.
 *
 * `atomicDynamoDb`: for suites that race conditional writes, DynamoDB requests reach moto one at a time, as
 * DynamoDB itself applies writes to an item (see dynamodb-one-at-a-time.ts).
 */
export const useMoto = (options: { atomicDynamoDb?: boolean } = {}) => {
  const handle: { server?: MotoServer; proxy?: { endpoint: string; close(): Promise<void> } } = {};
  beforeAll(async () => {
    handle.server = await startMotoServer();
    if (options.atomicDynamoDb) handle.proxy = await dynamoDbOneAtATime(handle.server.endpoint);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: handle.proxy?.endpoint ?? handle.server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    });
  });
  afterAll(async () => {
    await handle.proxy?.close();
    await handle.server?.stop();
  });
  return {
    get endpoint() {
      if (!handle.server) throw new Error('moto is not started yet: use it inside a test or a hook');
      return handle.proxy?.endpoint ?? handle.server.endpoint;
    },
  };
};
