import type { KeySnapshot } from '../key-snapshot';
import type { ProtectedResource, ReEncryptOutcome } from '../protected-resource';
import { resourceKeyOf, type RekeyRun, type RekeyStep } from '../step';

/** Moves one resource to the replacement and records what became of it. The adapter makes it idempotent. */
export const reEncrypt: RekeyStep<{ run: RekeyRun; snapshot: KeySnapshot; replacement: { keyArn: string }; resource: ProtectedResource }, { key: string; status: ReEncryptOutcome['status'] }> = {
  name: 're-encrypt',
  run: async ({ run, snapshot, replacement, resource }, deps) => {
    const service = deps.services.find((s) => s.service === resource.service);
    if (!service) throw new Error(`no re-encrypter for ${resource.service}`);
    const outcome = await service.reEncrypt(resource, replacement.keyArn, { keyArn: snapshot.keyArn, aliases: snapshot.aliases });
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
