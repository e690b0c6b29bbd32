import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { rekeyStepRunner } from '../src/composition/rekey';
import { loadConfig } from '../src/config';
import { MalformedRekeyStepInputError } from '../src/errors';
import { logger } from '../src/logger';

const { run } = rekeyStepRunner(loadConfig());

/**
 * One state of the re-key workflow. Each step parses its own input with its schema (src/rekey/steps); anything
 * malformed, an unknown step included, is a MalformedRekeyStepInputError, which the definition never retries: the run
 * records the failure on the incident and stops. No loop.
 */
export const handler = middy(async (event: unknown) => {
  if (typeof event !== 'object' || event === null || typeof (event as { step?: unknown }).step !== 'string') {
    throw new MalformedRekeyStepInputError(String((event as { step?: unknown } | null)?.step), [
      'step: expected the name of a re-key step',
    ]);
  }
  return run(event as { step: string } & Record<string, unknown>);
}).use(injectLambdaContext(logger));
