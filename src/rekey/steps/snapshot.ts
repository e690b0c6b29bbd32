import type { KeySnapshot } from '../key-snapshot';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';

/**
 * Reads the old key whole. Once the replacement exists, later steps change the old key (aliases, state, policy), so
 * a resumed run uses that reading; before, it reads again (a person may have fixed the policy in between). Nothing
 * changes the old key yet: a key re-keying refuses (imported material, a replica, outsiders in its policy) is left
 * as containment left it.
 */
export const snapshot: RekeyStep<typeof stepInputs.run, KeySnapshot> = {
  name: 'snapshot',
  input: stepInputs.run,
  run: async ({ run }, deps) => {
    const incident = await incidentOf(run, deps);
    if (incident.rekey?.snapshot && incident.rekey.replacementKeyArn) return incident.rekey.snapshot;
    const taken = await deps.keys.snapshot(run.keyArn);
    await deps.incidents.recordRekey(
      incident.id,
      { snapshot: taken },
      deps.now().toISOString(),
      `old key read: ${taken.aliases.length} aliases, rotation ${taken.rotationEnabled ? 'on' : 'off'}, ${taken.state}`,
    );
    return taken;
  },
};
