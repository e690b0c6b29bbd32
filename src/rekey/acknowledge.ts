import type { TaskResumer } from './waiting';
import { createHash } from 'node:crypto';
import type { Incident } from '../incidents/incident';
import { leftForPeople } from '../incidents/lifecycle';
import type { IncidentStore } from '../incidents/incident-store';
import { resumeWaiting } from './waiting';

/**
 * What re-keying recorded under `key`, if a person may acknowledge it: a resource it found, or a service it could
 * not list. A typo must not look like an acknowledgement, so anything else is refused.
 */
export const acknowledgeable = (incident: Incident | undefined, incidentId: string, key: string) => {
  if (!incident?.rekey) throw new Error(`incident ${incidentId} is not re-keying`);
  const known = incident.rekey.resources[key];
  const gap = key.startsWith('inventory:') && Boolean(incident.rekey.inventoryGaps?.[key.slice('inventory:'.length)]);
  if (!known && !gap)
    throw new Error(`incident ${incidentId} has no ${key}: use a resource exactly as rekey status shows it`);
  return known;
};

/**
 * A person takes responsibility for something left on the old key (a cutover done another way, data that may go,
 * a service that could not be listed): verification no longer waits for it. Recorded with who and why, then the
 * execution waiting for people is resumed (its task token), so verification looks again now rather than at its next
 * inventory. Returns whether this resumed it.
 */
export const acknowledgeResource = async (
  incidents: IncidentStore,
  resumer: TaskResumer,
  incidentId: string,
  key: string,
  by: string,
  why: string,
  at: string,
): Promise<boolean> => {
  const known = acknowledgeable(await incidents.get(incidentId), incidentId, key);
  const [service = 'unknown', region = '', ...rest] = key.split(':');
  await incidents.recordAcknowledgement(incidentId, key, {
    service: known?.service ?? (service === 'inventory' ? region : service),
    kind: known?.kind ?? (service === 'inventory' ? 'inventory' : 'resource'),
    id: known?.id ?? rest.join(':'),
    region: known?.region ?? region,
    status: 'acknowledged',
    detail: `acknowledged by ${by}: ${why}`,
    ...(known?.instructions ? { instructions: known.instructions } : {}),
    at,
  });
  // Recorded first, then the wait ended: a wait that begins in between finds this time and resumes itself.
  const recorded = await incidents.recordRekey(
    incidentId,
    { lastAcknowledgedAt: at },
    at,
    `${key} acknowledged by ${by}: it may stay on the old key`,
  );
  return resumeWaiting(recorded, 'people', resumer, { by, why: `acknowledged ${key}` });
};

/** How a link names a resource left on the old key: a hash of its key, so the name never sits in a URL. */
export const acknowledgementRef = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/** The resource key a link's reference names, if it is still one a person may acknowledge. */
export const leftResourceOf = (incident: Incident, ref: string): string | undefined =>
  leftForPeople(incident).find((key) => acknowledgementRef(key) === ref);
