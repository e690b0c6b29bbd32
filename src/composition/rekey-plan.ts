import { z } from 'zod';
import { kmsClients } from '../aws/clients';
import { KeyReplacement } from '../aws/rekey/kms-replacement';
import { SqsDeadLetters } from '../aws/sqs-dead-letters';
import { sqsClient } from '../aws/clients';
import type { Config } from '../config';
import { previewRekey } from '../rekey/preview';
import { accountOfKey } from '../events/accounts';
import { reEncrypters } from './rekey';
import { tellers } from './tellers';

/** The planning function's event: an asynchronous invocation by a responder, naming an incident and nothing else. */
export const rekeyPlanRequestSchema = z.strictObject({ incidentId: z.string().min(1).max(200) });

/**
 * The planning function's composition root: reads the incident's key and inventories every service read-only (S3
 * without examining objects: HeadObject would need s3:GetObject), records the plan, and updates people's message.
 */
export const rekeyPlanner = (config: Config) => {
  const deps = {
    ...tellers(config),
    keys: new KeyReplacement(kmsClients()),
    services: reEncrypters({ examineObjects: false }),
  };
  return {
    plan: async ({ incidentId }: z.output<typeof rekeyPlanRequestSchema>) => {
      // Organization mode: the planning role is read-only, and the member role is not; a member account's key is
      // listed when re-keying runs (its inventory step), not before approval.
      const keyAccount = accountOfKey((await deps.incidents.head(incidentId))?.keyArn ?? '');
      if (config.memberRole && keyAccount && keyAccount !== config.accountId) {
        deps.logger.info("no re-key plan before approval for a member account's key", { incidentId, keyAccount });
        return undefined;
      }
      return previewRekey(incidentId, deps);
    },
    deadLetters: new SqsDeadLetters(sqsClient(), config.deadLetterQueueUrl),
  };
};
