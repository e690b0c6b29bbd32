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
    const recorded = incident.rekey?.replacementKeyArn;
    const tags = replacementTags(snapshot, incident.id);
    const found = recorded ?? (await deps.keys.findKeyTagged(snapshot.region, tags));
    const made = found ?? (await deps.keys.createReplacement(snapshot, tags));
    const keyArn = recorded ?? (await deps.incidents.claimReplacementKey(incident.id, made, deps.now().toISOString()));
    if (!found && keyArn !== made) {
      // Another run recorded its replacement first: the one made here protects nothing, and must not linger.
      await deps.keys.disable(made);
      await deps.keys.scheduleDeletion(made, 7);
      deps.logger.warn('a replacement key made by a concurrent run was scheduled for deletion', { incidentId: incident.id, made, kept: keyArn });
    }
    // Whether made now or found, rotation is on (a run that died right after CreateKey never turned it on).
    await deps.keys.ensureRotation(keyArn, snapshot.keySpec);
    await tellPeople((await deps.incidents.get(incident.id))!, deps, { quiet: true });
    return { keyArn };
  },
};
