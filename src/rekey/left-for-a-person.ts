import type { ResourceEntry } from '../incidents/incident';
import type { ProtectedResource } from './protected-resource';
import { resourceKeyOf } from './step';

/**
 * A resource waiting for a person (to move it, or acknowledge it stays on the old key), as its own item records it:
 * verification counts it as left, the message lists it with what to do, and the deletion waits for it.
 */
export const leftForAPerson = (
  resource: ProtectedResource,
  why: { detail: string; instructions: string[] },
  at: string,
): ResourceEntry => [
  resourceKeyOf(resource),
  {
    service: resource.service,
    kind: resource.kind,
    id: resource.id,
    region: resource.region,
    status: 'needs-human',
    detail: why.detail,
    instructions: why.instructions,
    ...(resource.detail ? { resourceDetail: resource.detail } : {}),
    at,
  },
];
