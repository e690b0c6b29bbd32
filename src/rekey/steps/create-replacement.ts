import { ForeignPrincipalsInPolicyError, KeyNotReplaceableError } from '../../errors';
import { foreignGrantees, notReplaceable, policyWithoutContainment, replacementTagsOf } from '../key-snapshot';
import { tellPeople } from '../../notify/tell-people';
import { type RekeyDeps, resourceKeyOf, type RekeyStep, stepInputs } from '../step';
import type { Incident } from '../../incidents/incident';
import type { ReplicaSnapshot } from '../../incidents/key-snapshot';
import { incidentOf } from './incident-of';

/**
 * Creates the replacement key: same policy, tags and description, rotation on. Once: a resumed run finds the key
 * it recorded, or, if it died between CreateKey and the record, the key it tagged as replacing this one.
 */
/** The resource key a person acknowledges to let a policy with foreign principals be copied. */
const foreignPolicyKey = 'kms:policy:foreign-principals';
/** Where a key re-keying cannot replace like for like records its plan. */
const notReplaceableKey = 'kms:key:not-replaceable';

/**
 * The replacement's replica in one of the old key's replica Regions, once (the adapter finds one made before), with
 * the old replica's own policy, description and tags. What the old replica protects in that Region is not moved by
 * this run (it inventories the primary's Region): recorded for a person, so verification and the deletion wait for
 * it to be moved or acknowledged.
 */
const replicate = async (incident: Incident, keyArn: string, replica: ReplicaSnapshot, deps: RekeyDeps) => {
  const { tags } = replacementTagsOf(replica, incident.id);
  // The replica's own policy, read now, is what its new replica gets: checked for outsiders as the primary's is (a
  // replica shares the replacement's key material, so an outside account in its policy could decrypt everything).
  const policy = policyWithoutContainment(await deps.keys.keyPolicy(replica.keyArn));
  const foreign = foreignGrantees({ keyArn: replica.keyArn, policy }, deps.settings.trustedAccounts ?? []);
  const policyKey = resourceKeyOf({
    service: 'kms',
    region: replica.region,
    kind: 'replica-policy',
    id: replica.keyArn,
  });
  if (foreign.length > 0 && incident.rekey?.resources[policyKey]?.status !== 'acknowledged') {
    await deps.incidents.recordResources(incident.id, [
      [
        policyKey,
        {
          service: 'kms',
          kind: 'replica-policy',
          id: replica.keyArn,
          region: replica.region,
          status: 'needs-human',
          detail: `the replica's policy lets in ${foreign.join(', ')}, and its new replica would copy it`,
          instructions: [
            `Check whether these principals belong in ${replica.keyArn}'s policy: ${foreign.join(', ')}. If not, remove them (aws kms put-key-policy --region ${replica.region}) and run re-keying again; if they do, acknowledge it (npx kms-warden rekey ack ${incident.id} ${policyKey} --why "..." --yes) and run again.`,
          ],
          at: deps.now().toISOString(),
        },
      ],
    ]);
    throw new ForeignPrincipalsInPolicyError(replica.keyArn, foreign);
  }
  const made = await deps.keys.ensureReplica(keyArn, replica, policy, tags);
  const key = resourceKeyOf({ service: 'kms', region: replica.region, kind: 'replica-region', id: replica.keyArn });
  if (incident.rekey?.resources[key]) return;
  const at = deps.now().toISOString();
  await deps.incidents.recordResources(incident.id, [
    [
      key,
      {
        service: 'kms',
        kind: 'replica-region',
        id: replica.keyArn,
        region: replica.region,
        status: 'needs-human',
        detail: `the replacement's replica ${made} was made in ${replica.region}; what the old replica protects there is not moved by this run`,
        instructions: [
          `In ${replica.region}, move what ${replica.keyArn} protects to ${made}, service by service as the README's re-keying table says (the aliases there already point at it; list what is on it with npx kms-warden rekey plan ${replica.keyArn} --region ${replica.region}), then acknowledge: npx kms-warden rekey ack ${incident.id} ${key} --why "..." --yes. The old replica stays usable there until then; verification disables it with the primary.`,
        ],
        at,
      },
    ],
  ]);
  await deps.incidents.recordRekey(incident.id, {}, at, `replica of the replacement in ${replica.region}: ${made}`);
};

export const createReplacement: RekeyStep<typeof stepInputs.runAndSnapshot, { keyArn: string }> = {
  name: 'create-replacement',
  input: stepInputs.runAndSnapshot,
  run: async ({ run, snapshot }, deps) => {
    const incident = await incidentOf(run, deps);
    const recorded = incident.rekey?.replacementKeyArn;
    const unlike = notReplaceable(snapshot);
    if (!recorded && unlike.reasons.length > 0) {
      // Refused, never downgraded: recorded with a plan for a person, and the run stops (not retried).
      await deps.incidents.recordResources(incident.id, [
        [
          notReplaceableKey,
          {
            service: 'kms',
            kind: 'key',
            id: snapshot.keyArn,
            region: snapshot.region,
            status: 'needs-human',
            detail: `not replaced: ${unlike.reasons.join('; ')}`,
            instructions: unlike.instructions,
            at: deps.now().toISOString(),
          },
        ],
      ]);
      throw new KeyNotReplaceableError(snapshot.keyArn, unlike.reasons);
    }
    const { tags, dropped } = replacementTagsOf(snapshot, incident.id);
    const foreign = foreignGrantees(snapshot, deps.settings.trustedAccounts ?? []);
    if (!recorded && foreign.length > 0 && incident.rekey?.resources[foreignPolicyKey]?.status !== 'acknowledged') {
      // The run stops here, recorded and told; a person checks the policy, then acknowledges it and runs again.
      await deps.incidents.recordResources(incident.id, [
        [
          foreignPolicyKey,
          {
            service: 'kms',
            kind: 'key-policy',
            id: snapshot.keyArn,
            region: snapshot.region,
            status: 'needs-human',
            detail: `the old key's policy lets in ${foreign.join(', ')}, and the replacement would copy it`,
            instructions: [
              `Check whether these principals belong in the key policy: ${foreign.join(', ')}.`,
              `If not, remove them from ${snapshot.keyArn}'s policy (aws kms put-key-policy), then run re-keying again: it reads the policy again.`,
              `If they do, acknowledge it (npx kms-warden rekey ack ${incident.id} ${foreignPolicyKey} --why "..." --yes) and run re-keying again: the replacement gets the same policy.`,
            ],
            at: deps.now().toISOString(),
          },
        ],
      ]);
      throw new ForeignPrincipalsInPolicyError(snapshot.keyArn, foreign);
    }
    const found = recorded ?? (await deps.keys.findKeyTagged(snapshot.region, tags));
    const made = found ?? (await deps.keys.createReplacement(snapshot, tags));
    const keyArn = recorded ?? (await deps.incidents.claimReplacementKey(incident.id, made, deps.now().toISOString()));
    if (!found && keyArn !== made) {
      // Another run recorded its replacement first: the one made here protects nothing, and must not linger.
      await deps.keys.disable(made);
      await deps.keys.scheduleDeletion(made, 7);
      deps.logger.warn('a replacement key made by a concurrent run was scheduled for deletion', {
        incidentId: incident.id,
        made,
        kept: keyArn,
      });
    }
    if (!found && dropped.length > 0)
      await deps.incidents.recordRekey(
        incident.id,
        {},
        deps.now().toISOString(),
        `KMS allows 50 tags per key: the replacement did not get ${dropped.join(', ')}`,
      );
    // Whether made now or found, rotation is on where the key can rotate (a run that died right after CreateKey never
    // turned it on); symmetric encryption keys of AWS KMS's own material only.
    await deps.keys.ensureRotation(keyArn, snapshot.keySpec);
    // A multi-Region primary: the replacement gets a replica in every Region the old key has one (rotation is the
    // primary's, shared by its replicas).
    for (const replica of snapshot.replicas ?? []) await replicate(incident, keyArn, replica, deps);
    await tellPeople((await deps.incidents.get(incident.id))!, deps, { quiet: true });
    return { keyArn };
  },
};
