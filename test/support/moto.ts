import { StrictAws } from './strict-aws/harness';
import type { FunctionName } from './strict-aws/function-roles';

/**
 * Gives the calling test file its own moto_server on a free loopback port behind the strict-AWS layer
 * (test/support/strict-aws), started before its tests and stopped after: no suite sees another's leftovers.
 *
 * IAM is enforced. The test itself runs as an administrator user (AWS SDK clients built from the environment sign
 * as it); a function's code runs with its own role through `asFunction`. DynamoDB requests reach moto one at a time,
 * as DynamoDB applies writes to an item. A missing moto fails the suite with the install command.
 */
export const useMoto = (options: { organization?: readonly string[] } = {}) => {
  const handle: { aws?: StrictAws } = {};
  beforeAll(async () => {
    handle.aws = await StrictAws.start(options);
    delete process.env.AWS_SESSION_TOKEN;
    Object.assign(process.env, handle.aws.environment(), {
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
    });
  });
  afterAll(async () => {
    await handle.aws?.stop();
  });
  const aws = () => {
    if (!handle.aws) throw new Error('moto is not started yet: use it inside a test or a hook');
    return handle.aws;
  };
  return {
    get endpoint() {
      return aws().endpoint;
    },
    get aws() {
      return aws();
    },
    /** Loads a handler or builds a composition root with the function's own role (see StrictAws.asFunction). */
    asFunction: <T>(name: FunctionName, load: () => T | Promise<T>) => aws().asFunction(name, load),
  };
};
