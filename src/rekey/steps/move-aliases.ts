import { tellPeople } from '../../notify/tell-people';
import { inRegion, oldKeysOf } from '../key-snapshot';
import { type RekeyStep, stepInputs } from '../step';

/** Points every alias of the old key at the replacement: code that names a key by alias uses the new one from now. */
export const moveAliases: RekeyStep<typeof stepInputs.runSnapshotAndReplacement, { moved: string[] }> = {
  name: 'move-aliases',
  input: stepInputs.runSnapshotAndReplacement,
  run: async ({ run, snapshot, replacement }, deps) => {
    // Aliases are per Region: a multi-Region key's replicas have their own, moved to the replacement's replica there.
    const moved: string[] = [];
    for (const old of oldKeysOf(snapshot)) {
      for (const alias of old.aliases) {
        await deps.keys.retargetAlias(alias, inRegion(replacement.keyArn, old.region));
        moved.push(old.region === snapshot.region ? alias : `${alias} (${old.region})`);
      }
    }
    const incident = await deps.incidents.recordRekey(
      run.incidentId,
      { aliasesMoved: moved },
      deps.now().toISOString(),
      `aliases moved to the replacement: ${moved.join(', ') || 'none'}`,
    );
    await tellPeople(incident, deps, { quiet: true });
    return { moved };
  },
};
