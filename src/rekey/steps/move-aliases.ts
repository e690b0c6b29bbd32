import { tellPeople } from '../../notify/tell-people';
import { inRegion, oldKeysOf } from '../key-snapshot';
import { type RekeyDeps, type RekeyStep, stepInputs } from '../step';
import type { Incident } from '../../incidents/incident';
import type { KeySnapshot } from '../key-snapshot';
import { shutPolicy } from '../old-key-shut';
import { incidentOf } from './incident-of';

/**
 * Shuts the old key to everyone but re-keying, before anything enables it: a compromised key stays usable only by the
 * roles moving data off it, whatever days the cutover takes. Idempotent: in place already, nothing changes.
 * Serialized with containment's policy changes. A multi-Region key's replicas are not shut: what they protect in
 * their Regions is moved by people (no role of this run acts there), who would be refused; they are disabled with the
 * primary at verification, once people moved or acknowledged it.
 */
const shut = async (incident: Incident, snapshot: KeySnapshot, deps: RekeyDeps): Promise<void> => {
  const keptFor = deps.settings.oldKeyKeptFor ?? [];
  const at = deps.now().toISOString();
  if (keptFor.length === 0) {
    if (incident.timeline.some((t) => t.what.startsWith('old key not shut'))) return;
    const noted = await deps.incidents.recordRekey(
      incident.id,
      {},
      at,
      'old key not shut: this run has no role of its own to keep it for (REKEY_ROLE_ARN)',
    );
    await tellPeople(noted, deps, {
      lead: `Re-keying runs in a person's own process here: ${snapshot.keyArn} stays usable by whoever its policy lets in (the suspect stays denied) until verification disables it.`,
    });
    return;
  }
  const changed: string[] = [];
  await deps.keyPolicyLock.around(snapshot.keyArn, async () => {
    const policy = shutPolicy(await deps.keys.keyPolicy(snapshot.keyArn), snapshot.keyArn, keptFor);
    if (!policy) return;
    await deps.keys.putKeyPolicy(snapshot.keyArn, policy);
    changed.push(snapshot.keyArn);
  });
  if (changed.length === 0) return;
  const recorded = await deps.incidents.recordRekey(
    incident.id,
    {},
    at,
    `old key shut: every use denied but re-keying's (${changed.join(', ')})`,
  );
  await tellPeople(recorded, deps, {
    lead: `${changed.join(' and ')} now refuse${changed.length === 1 ? 's' : ''} every use (Decrypt, Encrypt, GenerateDataKey, grants...) but re-keying's own and AWS services' through their grants, until it is deleted: anything still calling it by ARN fails now, and shows. Aliases move to the replacement next.`,
  });
};

/**
 * Once the replacement exists: shuts the old key to everyone but re-keying, enables it if containment had disabled it
 * (moving data off it needs Decrypt), and points every alias of the old key at the replacement, so code that names a
 * key by alias uses the new one from now.
 */
export const moveAliases: RekeyStep<typeof stepInputs.runSnapshotAndReplacement, { moved: string[] }> = {
  name: 'move-aliases',
  input: stepInputs.runSnapshotAndReplacement,
  run: async ({ run, snapshot, replacement }, deps) => {
    const before = await incidentOf(run, deps);
    await shut(before, snapshot, deps);
    // Enabled for the run, shut to all but re-keying, only while verification has not disabled it yet: a resumed run
    // never enables a key verification already disabled.
    if (!before.rekey?.oldKeyDisabledAt && (await deps.keys.state(run.keyArn)).state === 'Disabled') {
      await deps.keys.enable(run.keyArn);
      const enabled = await deps.incidents.recordRekey(
        before.id,
        {},
        deps.now().toISOString(),
        'old key enabled for re-encryption, for re-keying only; verification disables it again',
      );
      await tellPeople(enabled, deps, {
        lead: `${run.keyArn} was disabled; re-keying enabled it to move data off it. It is disabled again as soon as nothing left needs it.`,
      });
    }
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
