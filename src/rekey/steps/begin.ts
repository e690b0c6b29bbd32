import { tellPeople } from '../../notify/tell-people';
import type { RekeyRun, RekeyStep } from '../step';
import { incidentOf } from './incident-of';

/** Starts (or resumes) re-keying: the incident moves approved -> re-keying, once. */
export const begin: RekeyStep<{ run: RekeyRun }, { resumed: boolean }> = {
  name: 'begin',
  run: async ({ run }, deps) => {
    if (!Number.isInteger(run.pendingWindowDays) || run.pendingWindowDays < 7 || run.pendingWindowDays > 30) {
      throw new Error(`pendingWindowDays must be 7 to 30 (KMS's limits), not ${run.pendingWindowDays}`);
    }
    const before = await incidentOf(run, deps);
    const at = deps.now().toISOString();
    const incident = await deps.incidents.beginRekey(before.id, { startedAt: at, startedBy: run.startedBy, oldKeyArn: run.keyArn, pendingWindowDays: run.pendingWindowDays, resources: {} }, at);
    const resumed = before.status === 're-keying' || before.status === 're-keyed';
    await tellPeople(incident, deps, { lead: resumed ? `Re-keying resumed by ${run.startedBy}.` : `Re-keying started by ${run.startedBy}: a replacement key, then every resource moved to it.` });
    return { resumed };
  },
};
