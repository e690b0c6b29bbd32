import { tellPeople } from '../../notify/tell-people';
import { resourceKeyOf, type RekeyStep, stepInputs } from '../step';
import { findProtected } from './find-protected';
import { incidentOf } from './incident-of';

/**
 * What the old key protects, recorded as pending on the incident; the next state re-encrypts them in batches. The
 * list stays on the incident, not in the workflow's state: thousands of resources would pass Step Functions' 256 KB.
 */
export const inventory: RekeyStep<
  typeof stepInputs.runAndSnapshot,
  { found: number; pending: number; gaps: Record<string, string> }
> = {
  name: 'inventory',
  input: stepInputs.runAndSnapshot,
  run: async ({ run, snapshot }, deps) => {
    const incident = await incidentOf(run, deps);
    const found = await findProtected(snapshot, deps);
    const at = deps.now().toISOString();
    await deps.incidents.recordResources(
      incident.id,
      found.resources
        .filter((resource) => !incident.rekey?.resources[resourceKeyOf(resource)])
        .map((resource) => [
          resourceKeyOf(resource),
          {
            service: resource.service,
            kind: resource.kind,
            id: resource.id,
            region: resource.region,
            status: 'pending',
            detail: 'found on the old key',
            ...(resource.detail ? { resourceDetail: resource.detail } : {}),
            at,
          },
        ]),
    );
    const recorded = await deps.incidents.recordRekey(
      incident.id,
      { inventoryGaps: found.gaps },
      at,
      `inventory: ${found.resources.length} resources on the old key${Object.keys(found.gaps).length > 0 ? `; could not list ${Object.keys(found.gaps).join(', ')}` : ''}`,
    );
    await tellPeople(recorded, deps, { quiet: true });
    const pending = Object.values(recorded.rekey!.resources).filter((r) => r.status === 'pending').length;
    return { found: found.resources.length, pending, gaps: found.gaps };
  },
};
