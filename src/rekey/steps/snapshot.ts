import type { KeySnapshot } from '../key-snapshot';
import { type RekeyStep, stepInputs } from '../step';
import { tellPeople } from '../../notify/tell-people';
import { incidentOf } from './incident-of';

/**
 * Reads the old key whole. Once the replacement exists, later steps change the old key (aliases, state), so a
 * resumed run uses that reading; before, it reads again (a person may have fixed the policy in between).
 */
export const snapshot: RekeyStep<typeof stepInputs.run, KeySnapshot> = {
  name: 'snapshot',
  input: stepInputs.run,
  run: async ({ run }, deps) => {
    const incident = await incidentOf(run, deps);
    if (incident.rekey?.snapshot && incident.rekey.replacementKeyArn) return incident.rekey.snapshot;
    const taken = await deps.keys.snapshot(run.keyArn);
    const at = deps.now().toISOString();
    await deps.incidents.recordRekey(
      incident.id,
      { snapshot: taken },
      at,
      `old key read: ${taken.aliases.length} aliases, rotation ${taken.rotationEnabled ? 'on' : 'off'}, ${taken.state}`,
    );
    if (taken.state === 'Disabled') {
      // Containment (or a person) disabled it, but moving data off it needs it to decrypt: enabled for the run, while
      // the suspect stays denied in its policy; verification disables it again at the end.
      await deps.keys.enable(run.keyArn);
      const enabled = await deps.incidents.recordRekey(
        incident.id,
        {},
        at,
        'old key enabled for re-encryption; verification disables it again',
      );
      await tellPeople(enabled, deps, {
        lead: `${run.keyArn} was disabled; re-keying enabled it to move data off it (the suspect stays denied in its policy). It is disabled again once nothing is left on it.`,
      });
    }
    return taken;
  },
};
