import { clientSettings } from '../aws/client-settings';
import type { Config } from '../config';
import type { BatchOutcome } from '../respond/respond-to-activity-batch';

type Respond = (event: unknown) => Promise<BatchOutcome>;

/**
 * The activity function's composition root. It runs for every direct KMS call, so it starts with as little as it can:
 * the config the handler checked, and the client settings (read now, as in every function: src/aws/client-settings.ts
 * says why). The use case, its detections and schemas, and DynamoDB's client are loaded with the first batch
 * (src/composition/responder.ts, files of their own in the package), the other clients when a signal or a malformed
 * record first needs them: the first batch of a container pays for what it loads. A load that failed is tried again
 * with the next batch.
 */
export const kmsActivityResponder = (config: Config) => {
  const settings = clientSettings();
  let responding: Promise<Respond> | undefined;
  const responder = () =>
    (responding ??= import('./responder').then(
      ({ activityBatchResponder }) => activityBatchResponder(config, settings),
      (error: unknown) => {
        responding = undefined;
        throw error;
      },
    ));
  return { respond: async (event: unknown): Promise<BatchOutcome> => (await responder())(event) };
};
