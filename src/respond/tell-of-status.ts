import { asksForDecision } from '../notify/decision-links';
import type { Incident } from '../incidents/incident';
import { linksFor, tellPeople } from '../notify/tell-people';
import type { ResponderDeps } from './responder-deps';

/**
 * Tells people of a status they have not been told of. When the incident has decisions to take and links can be
 * signed, it first moves to awaiting-approval: the message that carries the links is the request for a decision.
 */
export const tellOfStatus = async (incident: Incident, deps: ResponderDeps): Promise<Incident> => {
  if (incident.notifiedStatus === incident.status) return incident;
  const links = await linksFor(incident, deps);
  let current = incident;
  if (asksForDecision(links) && current.status === 'contained')
    current = await deps.incidents.awaitDecision(current.id, deps.now().toISOString());
  const notificationId = await tellPeople(current, deps, {}, links);
  await deps.incidents.markNotified(current.id, current.status, notificationId, deps.now().toISOString());
  return current;
};
