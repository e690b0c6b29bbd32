import { ForeignPrincipalsInPolicyError } from '../../errors';
import { foreignGrantees, replacementTags } from '../key-snapshot';
import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';

/**
 * Creates the replacement key: same policy, tags and description, rotation on. Once: a resumed run finds the key
 * it recorded, or, if it died between CreateKey and the record, the key it tagged as replacing this one.
 */
/** The resource key a person acknowledges to let a policy with foreign principals be copied. */
const foreignPolicyKey = 'kms:policy:foreign-principals';

export const createReplacement: RekeyStep<typeof stepInputs.runAndSnapshot, { keyArn: string }> = {
  name: 'create-replacement',
  input: stepInputs.runAndSnapshot,
  run: async ({ run, snapshot }, deps) => {
    const incident = await incidentOf(run, deps);
    const recorded = incident.rekey?.replacementKeyArn;
    const tags = replacementTags(snapshot, incident.id);
    const foreign = foreignGrantees(snapshot, deps.settings.trustedAccounts ?? []);
    if (!recorded && foreign.length > 0 && incident.rekey?.resources[foreignPolicyKey]?.status !== 'acknowledged') {
      // The run stops here, recorded and told; a person checks the policy, then acknowledges it and runs again.
      await deps.incidents.recordResource(incident.id, foreignPolicyKey, {
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
      });
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
    // Whether made now or found, rotation is on (a run that died right after CreateKey never turned it on).
    await deps.keys.ensureRotation(keyArn, snapshot.keySpec);
    await tellPeople((await deps.incidents.get(incident.id))!, deps, { quiet: true });
    return { keyArn };
  },
};
