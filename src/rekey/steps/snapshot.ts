import type { KeySnapshot } from '../key-snapshot';
import type { RekeyRun, RekeyStep } from '../step';
import { incidentOf } from './incident-of';

/** Reads the old key whole, once: later steps change it (aliases, state), so a resumed run uses the first reading. */
export const snapshot: RekeyStep<{ run: RekeyRun }, KeySnapshot> = {
  name: 'snapshot',
  run: async ({ run }, deps) => {
    const incident = await incidentOf(run, deps);
    if (incident.rekey?.snapshot) return incident.rekey.snapshot;
    const taken = await deps.keys.snapshot(run.keyArn);
    await deps.incidents.recordRekey(incident.id, { snapshot: taken }, deps.now().toISOString(), `old key read: ${taken.aliases.length} aliases, rotation ${taken.rotationEnabled ? 'on' : 'off'}`);
    return taken;
  },
};
