import type { ResourceEntry } from '../../incidents/incident';
import type { ProtectedResource } from '../protected-resource';
import type { KeySnapshot } from '../key-snapshot';
import { resourceKeyOf, type RekeyDeps } from '../step';

/**
 * Moves one resource to the replacement and says what became of it, for the batch to record with the others. The
 * adapter makes it idempotent: a batch retried before it recorded moves it again harmlessly.
 */
export const reEncrypt = async (
  resource: ProtectedResource,
  snapshot: Pick<KeySnapshot, 'keyArn' | 'aliases'>,
  replacementKeyArn: string,
  deps: Pick<RekeyDeps, 'services' | 'now'>,
): Promise<ResourceEntry> => {
  const service = deps.services.find((s) => s.service === resource.service);
  if (!service) throw new Error(`no re-encrypter for ${resource.service}`);
  const outcome = await service.reEncrypt(resource, replacementKeyArn, {
    keyArn: snapshot.keyArn,
    aliases: snapshot.aliases,
  });
  return [
    resourceKeyOf(resource),
    {
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
    },
  ];
};
