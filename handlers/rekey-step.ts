import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { z } from 'zod';
import { loadConfig } from '../src/config';
import { logger } from '../src/logger';
import { runRekeyStep, stepNames } from '../src/rekey/steps';
import { rekeyDeps } from '../src/rekey/wiring';

const config = loadConfig();
const deps = rekeyDeps(config);

/** What every Task state of the re-key workflow passes: the step's name, the run, and the step's own input. */
const stepInput = z.looseObject({
  step: z.enum(stepNames as [string, ...string[]]),
  run: z.object({ incidentId: z.string().min(1), keyArn: z.string().startsWith('arn:'), pendingWindowDays: z.number().int(), startedBy: z.string() }),
});

/**
 * One state of the re-key workflow. A malformed input is an error naming what is wrong: the definition retries a
 * failed task a bounded number of times, then the run records the failure on the incident and stops. No loop.
 */
export const handler = middy(async (event: unknown) => {
  const parsed = stepInput.safeParse(event);
  if (!parsed.success) throw Object.assign(new Error(`malformed re-key step input: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`), { name: 'MalformedInput' });
  return runRekeyStep(parsed.data as { step: string } & Record<string, unknown>, deps);
}).use(injectLambdaContext(logger));
