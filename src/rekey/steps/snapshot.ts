import type { KeySnapshot } from '../key-snapshot';
import { shutPolicy } from '../old-key-shut';
import { type RekeyDeps, type RekeyStep, stepInputs } from '../step';
import { tellPeople } from '../../notify/tell-people';
import type { Incident } from '../../incidents/incident';
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
 * Reads the old key whole. Once the replacement exists, later steps change the old key (aliases, state), so a
 * resumed run uses that reading; before, it reads again (a person may have fixed the policy in between). Then the old
 * key is shut to everyone but re-keying, and enabled if containment disabled it (moving data off it needs Decrypt).
 */
export const snapshot: RekeyStep<typeof stepInputs.run, KeySnapshot> = {
  name: 'snapshot',
  input: stepInputs.run,
  run: async ({ run }, deps) => {
    const incident = await incidentOf(run, deps);
    if (incident.rekey?.snapshot && incident.rekey.replacementKeyArn) {
      await shut(incident, incident.rekey.snapshot, deps);
      return incident.rekey.snapshot;
    }
    const taken = await deps.keys.snapshot(run.keyArn);
    const at = deps.now().toISOString();
    const recorded = await deps.incidents.recordRekey(
      incident.id,
      { snapshot: taken },
      at,
      `old key read: ${taken.aliases.length} aliases, rotation ${taken.rotationEnabled ? 'on' : 'off'}, ${taken.state}`,
    );
    await shut(recorded, taken, deps);
    if (taken.state === 'Disabled') {
      // Containment (or a person) disabled it, but moving data off it needs it to decrypt: enabled for the run, shut to
      // all but re-keying; verification disables it again as soon as nothing left needs it.
      await deps.keys.enable(run.keyArn);
      const enabled = await deps.incidents.recordRekey(
        incident.id,
        {},
        at,
        'old key enabled for re-encryption, for re-keying only; verification disables it again',
      );
      await tellPeople(enabled, deps, {
        lead: `${run.keyArn} was disabled; re-keying enabled it to move data off it. It is disabled again as soon as nothing left needs it.`,
      });
    }
    return taken;
  },
};
