import type { IncidentStore } from '../incidents/incident-store';

/**
 * A person takes responsibility for something left on the old key (a cutover done another way, data that may go,
 * a service that could not be listed): verification no longer waits for it. Recorded with who and why.
 */
export const acknowledgeResource = async (
  incidents: IncidentStore,
  incidentId: string,
  key: string,
  by: string,
  why: string,
  at: string,
): Promise<void> => {
  const incident = await incidents.get(incidentId);
  if (!incident?.rekey) throw new Error(`incident ${incidentId} is not re-keying`);
  const known = incident.rekey.resources[key];
  // A typo must not look like an acknowledgement: only what re-keying recorded, or a service it could not list.
  const gap = key.startsWith('inventory:') && Boolean(incident.rekey.inventoryGaps?.[key.slice('inventory:'.length)]);
  if (!known && !gap) throw new Error(`incident ${incidentId} has no ${key}: use a resource exactly as rekey status shows it`);
  const [service = 'unknown', region = '', ...rest] = key.split(':');
  await incidents.recordResource(incidentId, key, {
    service: known?.service ?? (service === 'inventory' ? region : service),
    kind: known?.kind ?? (service === 'inventory' ? 'inventory' : 'resource'),
    id: known?.id ?? rest.join(':'),
    region: known?.region ?? region,
    status: 'acknowledged',
    detail: `acknowledged by ${by}: ${why}`,
    ...(known?.instructions ? { instructions: known.instructions } : {}),
    at,
  });
};
