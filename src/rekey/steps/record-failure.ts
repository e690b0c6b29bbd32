import { tellPeople } from '../../notify/tell-people';
import { z } from 'zod';
import { rekeyRunSchema, type RekeyStep } from '../step';

/**
 * What people read of a failure: Lambda's Cause is JSON with the message and a stack trace; the message's first
 * line is what helps, and a stack trace does not belong in a chat channel.
 */
const causeText = (cause: string | undefined): string => {
  let text = cause ?? '';
  try {
    const parsed = JSON.parse(text) as { errorMessage?: string };
    if (typeof parsed.errorMessage === 'string') text = parsed.errorMessage;
  } catch {
    // Not JSON: the interpreter's plain message.
  }
  return (text.split('\n')[0] ?? '').slice(0, 500);
};

/** What the Catch puts in $.error: Step Functions' Error and Cause. */
const recordFailureInput = z.object({
  run: rekeyRunSchema,
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }),
});

/** A step failed after its retries: recorded on the incident and told, so a person can fix it and resume. */
export const recordFailure: RekeyStep<typeof recordFailureInput, Record<string, never>> = {
  name: 'record-failure',
  input: recordFailureInput,
  run: async ({ run, error }, deps) => {
    const at = deps.now().toISOString();
    const failure = { error: error.Error ?? 'Error', cause: causeText(error.Cause), at };
    const incident = await deps.incidents.get(run.incidentId);
    if (!incident) return {};
    const recorded = incident.rekey
      ? await deps.incidents
          .recordRekey(incident.id, { failure }, at, `re-keying stopped: ${failure.error}`)
          .catch(() => incident)
      : incident;
    await tellPeople(recorded, deps, {
      lead: `Re-keying stopped: ${failure.error}: ${failure.cause}. Fix the cause, then run it again (npx kms-warden rekey run ${run.keyArn} --incident ${run.incidentId} --yes); finished work is not done twice.`,
    });
    return {};
  },
};
