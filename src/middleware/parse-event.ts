import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import { MalformedEventError } from '../errors';
import { problemsOf } from '../events/input';

export interface DeadLetters {
  keep(event: unknown, reason: string): Promise<void>;
}

export type Rejected = { status: 'rejected'; reason: string };

/**
 * Validates the incoming event against a schema and hands the parsed value on. An event that does not match is
 * logged, kept in the dead-letter queue with the reason, and answered without an error: a retry cannot fix it,
 * so throwing would only loop.
 */
export const parseEvent = <S extends z.ZodType>(options: {
  schema: S;
  deadLetters: DeadLetters;
  logger: Logger;
}): MiddlewareObj<unknown, unknown> => {
  const parseEventBefore: NonNullable<MiddlewareObj<unknown, unknown>['before']> = async (request) => {
    const parsed = options.schema.safeParse(request.event);
    if (parsed.success) {
      request.event = parsed.data;
      return undefined;
    }
    const error = new MalformedEventError(problemsOf(parsed.error));
    options.logger.error('rejected a malformed event', { error, problems: error.problems });
    await options.deadLetters.keep(request.event, error.message);
    const rejected: Rejected = { status: 'rejected', reason: error.message };
    return rejected;
  };
  return { before: parseEventBefore };
};
