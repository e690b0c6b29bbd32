import { replacementTags, type KeySnapshot } from '../key-snapshot';
import { tellPeople } from '../../notify/tell-people';
import type { RekeyRun, RekeyStep } from '../step';
import { incidentOf } from './incident-of';

/**
 * Creates the replacement key: same policy, tags and description, rotation on. Once: a resumed run finds the key
 * it recorded, or, if it died between CreateKey and the record, the key it tagged as replacing this one.
 */
export const createReplacement: RekeyStep<{ run: RekeyRun; snapshot: KeySnapshot }, { keyArn: string }> = {
  name: 'create-replacement',
  run: async ({ run, snapshot }, deps) => {
    const incident = await incidentOf(run, deps);
    if (incident.rekey?.replacementKeyArn) return { keyArn: incident.rekey.replacementKeyArn };
    const tags = replacementTags(snapshot, incident.id);
    const made = (await deps.keys.findKeyTagged(snapshot.region, tags)) ?? (await deps.keys.createReplacement(snapshot, tags));
    const keyArn = await deps.incidents.claimReplacementKey(incident.id, made, deps.now().toISOString());
    await tellPeople((await deps.incidents.get(incident.id))!, deps, { quiet: true });
    return { keyArn };
  },
};
