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
  const told = await deps.incidents.markNotified(current.id, current.status, notificationId, deps.now().toISOString());
  // Asked to approve a re-key: what it would do is listed for the approval page (once, by the delivery that told).
  if (told && deps.rekeyPlanner && !current.rekeyPlan && links.some((link) => link.action === 'approve-rekey')) {
    await deps.rekeyPlanner.request(current.id).catch((error: Error) =>
      // The approval page says the plan is missing and how to list it: no reason to fail containment.
      deps.logger.warn('the re-key plan could not be asked for', { incidentId: current.id, error }),
    );
  }
  return current;
};
