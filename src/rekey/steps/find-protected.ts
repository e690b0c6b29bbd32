import type { KeySnapshot } from '../key-snapshot';
import type { ProtectedResource } from '../protected-resource';
import type { RekeyDeps } from '../step';

/**
 * Every resource still on the old key, service by service. A service whose inventory fails is a gap, not an empty
 * list: verification cannot pass while one is unexplained.
 */
export const findProtected = async (
  snapshot: KeySnapshot,
  deps: Pick<RekeyDeps, 'services' | 'logger'>,
): Promise<{ resources: ProtectedResource[]; gaps: Record<string, string> }> => {
  const oldKey = { keyArn: snapshot.keyArn, aliases: snapshot.aliases };
  const found = await Promise.all(
    deps.services.map(async (service) => {
      try {
        return { service: service.service, resources: await service.inventory(oldKey, snapshot.region) };
      } catch (error) {
        deps.logger.warn('inventory failed', { service: service.service, error: error as Error });
        return {
          service: service.service,
          resources: [] as ProtectedResource[],
          gap: `${(error as Error).name}: ${(error as Error).message}`,
        };
      }
    }),
  );
  return {
    resources: found.flatMap((f) => f.resources),
    gaps: Object.fromEntries(found.flatMap((f) => ('gap' in f && f.gap ? [[f.service, f.gap]] : []))),
  };
};
