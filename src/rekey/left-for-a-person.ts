import type { ProtectedResource } from './protected-resource';
import { resourceKeyOf, type RekeyDeps } from './step';

/**
 * Records a resource as waiting for a person (to move it, or acknowledge it stays on the old key), on its own item:
 * verification counts it as left, the message lists it with what to do, and the deletion waits for it.
 */
export const recordForAPerson = (
  deps: Pick<RekeyDeps, 'incidents' | 'now'>,
  incidentId: string,
  resource: ProtectedResource,
  why: { detail: string; instructions: string[] },
): Promise<void> =>
  deps.incidents.recordResource(incidentId, resourceKeyOf(resource), {
    service: resource.service,
    kind: resource.kind,
    id: resource.id,
    region: resource.region,
    status: 'needs-human',
    detail: why.detail,
    instructions: why.instructions,
    ...(resource.detail ? { resourceDetail: resource.detail } : {}),
    at: deps.now().toISOString(),
  });
