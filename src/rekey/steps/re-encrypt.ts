import type { ReEncryptOutcome } from '../protected-resource';
import { protectedResourceSchema, resourceKeyOf, stepInputs, type RekeyStep } from '../step';

/** Moves one resource to the replacement and records what became of it. The adapter makes it idempotent. */
const reEncryptInput = stepInputs.runSnapshotAndReplacement.extend({ resource: protectedResourceSchema });

export const reEncrypt: RekeyStep<typeof reEncryptInput, { key: string; status: ReEncryptOutcome['status'] }> = {
  name: 're-encrypt',
  input: reEncryptInput,
  run: async ({ run, snapshot, replacement, resource }, deps) => {
    const service = deps.services.find((s) => s.service === resource.service);
    if (!service) throw new Error(`no re-encrypter for ${resource.service}`);
    const outcome = await service.reEncrypt(resource, replacement.keyArn, {
      keyArn: snapshot.keyArn,
      aliases: snapshot.aliases,
    });
    const key = resourceKeyOf(resource);
    await deps.incidents.recordResource(run.incidentId, key, {
      service: resource.service,
      kind: resource.kind,
      id: resource.id,
      region: resource.region,
      status: outcome.status,
      detail: outcome.detail,
      ...('notes' in outcome && outcome.notes ? { notes: outcome.notes } : {}),
      ...('instructions' in outcome ? { instructions: outcome.instructions } : {}),
      ...(resource.detail ? { resourceDetail: resource.detail } : {}),
      at: deps.now().toISOString(),
    });
    return { key, status: outcome.status };
  },
};
