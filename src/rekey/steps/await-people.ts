import { z } from 'zod';
import { type RekeyStep, rekeyRunSchema } from '../step';
import { waitEnded } from '../waiting';
import { incidentOf } from './incident-of';

const awaitInput = z.object({
  run: rekeyRunSchema,
  for: z.enum(['people', 'deletion-approval']),
  /** When the state before the wait looked: anything people did after it may not have been seen. */
  since: z.string().datetime(),
  /** Step Functions' task token (1 to 2,048 characters, API_SendTaskSuccess). */
  taskToken: z.string().min(1).max(2048),
});

/**
 * The first half of a wait for people (a .waitForTaskToken task): records the token where whoever ends the wait finds
 * it, then looks whether it already ended (an acknowledgement or the approval that came between the state's last look
 * and this record): if so it resumes the execution itself. Without that second look, an approval made in that moment
 * would wait for the task's timeout. The record writes no timeline line: a wait repeats once per settle period.
 */
export const awaitPeople: RekeyStep<typeof awaitInput, Record<string, never>> = {
  name: 'await',
  input: awaitInput,
  run: async ({ run, for: what, since, taskToken }, deps) => {
    await incidentOf(run, deps);
    const at = deps.now().toISOString();
    const incident = await deps.incidents.recordRekey(
      run.incidentId,
      { awaiting: { for: what, token: taskToken, since: at } },
      at,
      null,
    );
    if (waitEnded(incident, what, since))
      await deps.workflow.resume(taskToken, { by: 'kms-warden', why: 'done before the wait began' });
    return {};
  },
};
