import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';

/** Starts (or resumes) re-keying: the incident moves approved -> re-keying, once. */
export const begin: RekeyStep<typeof stepInputs.run, { resumed: boolean }> = {
  name: 'begin',
  input: stepInputs.run,
  run: async ({ run }, deps) => {
    // pendingWindowDays is 7 to 30 (KMS's limits): the run's schema refused any other at the boundary.
    const before = await incidentOf(run, deps);
    const at = deps.now().toISOString();
    const incident = await deps.incidents.beginRekey(
      before.id,
      {
        startedAt: at,
        startedBy: run.startedBy,
        oldKeyArn: run.keyArn,
        pendingWindowDays: run.pendingWindowDays,
        resources: {},
      },
      at,
    );
    const resumed = before.status === 're-keying' || before.status === 're-keyed';
    await tellPeople(incident, deps, {
      lead: resumed
        ? `Re-keying resumed by ${run.startedBy}.`
        : `Re-keying started by ${run.startedBy}: a replacement key, then every resource moved to it.`,
    });
    return { resumed };
  },
};
