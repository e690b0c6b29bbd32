import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';

/** Points every alias of the old key at the replacement: code that names a key by alias uses the new one from now. */
export const moveAliases: RekeyStep<typeof stepInputs.runSnapshotAndReplacement, { moved: string[] }> = {
  name: 'move-aliases',
  input: stepInputs.runSnapshotAndReplacement,
  run: async ({ run, snapshot, replacement }, deps) => {
    for (const alias of snapshot.aliases) await deps.keys.retargetAlias(alias, replacement.keyArn);
    const incident = await deps.incidents.recordRekey(
      run.incidentId,
      { aliasesMoved: snapshot.aliases },
      deps.now().toISOString(),
      `aliases moved to the replacement: ${snapshot.aliases.join(', ') || 'none'}`,
    );
    await tellPeople(incident, deps, { quiet: true });
    return { moved: snapshot.aliases };
  },
};
