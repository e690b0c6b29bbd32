import { tellPeople } from '../../notify/tell-people';
import type { RekeyRun, RekeyStep } from '../step';

/** A step failed after its retries: recorded on the incident and told, so a person can fix it and resume. */
export const recordFailure: RekeyStep<{ run: RekeyRun; error: { Error?: string; Cause?: string } }, Record<string, never>> = {
  name: 'record-failure',
  run: async ({ run, error }, deps) => {
    const at = deps.now().toISOString();
    const failure = { error: error.Error ?? 'Error', cause: (error.Cause ?? '').slice(0, 2000), at };
    const incident = await deps.incidents.get(run.incidentId);
    if (!incident) return {};
    const recorded = incident.rekey ? await deps.incidents.recordRekey(incident.id, { failure }, at, `re-keying stopped: ${failure.error}`).catch(() => incident) : incident;
    await tellPeople(recorded, deps, { lead: `Re-keying stopped: ${failure.error}: ${failure.cause}. Fix the cause, then run it again (npx kms-warden rekey run ${run.keyArn}); finished work is not done twice.` });
    return {};
  },
};
