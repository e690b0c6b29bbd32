import { startMotoServer, type MotoServer } from '../../src/local/moto-server';

/**
 * Gives the calling test file its own moto_server on a free loopback port, started before its tests and stopped
 * after: no suite sees another's leftovers. AWS SDK clients built after beforeAll talk to it through
 * AWS_ENDPOINT_URL. A missing moto fails the suite with the install command.
 */
export const useMoto = () => {
  const handle: { server?: MotoServer } = {};
  beforeAll(async () => {
    handle.server = await startMotoServer();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: handle.server.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    });
  });
  afterAll(async () => {
    await handle.server?.stop();
  });
  return {
    get endpoint() {
      if (!handle.server) throw new Error('moto is not started yet: use it inside a test or a hook');
      return handle.server.endpoint;
    },
  };
};
