import type { Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { isActive, transitions, type IncidentStatus } from '../incidents/lifecycle';
import { composeUpdate } from './compose-notification';
import { plainText } from './escape';
import { linksFor, tellPeople, type TellDeps } from './tell-people';

export interface NewsDeps extends TellDeps {
  incidents: Pick<IncidentStore, 'recordSlackMessage' | 'claimNews' | 'markNews' | 'markNotified'>;
  /** Minutes after a message during which later news waits, so a burst of signals is one update. */
  quietMinutes: number;
}

/** When people were last sent anything about the incident: the message itself, or an update. */
const lastToldAt = (incident: Incident): string | undefined =>
  [incident.notifiedAt, incident.newsToldAt]
    .filter((at): at is string => at !== undefined)
    .sort()
    .at(-1);

const quietSince = (deps: NewsDeps) => new Date(deps.now().getTime() - deps.quietMinutes * 60_000).toISOString();

/** Sends the update: a short SNS message naming the incident, and a reply in its Slack thread (the message edited). */
const sendUpdate = async (incident: Incident, deps: NewsDeps, since: string | undefined) => {
  const links = await linksFor(incident, deps);
  const update = composeUpdate(incident, since, links);
  const notificationId = await deps.notifier.send(update);
  // A status people were not told of (a later step made the story wait for a decision): this update told them, with
  // its links; no full page follows.
  if (incident.notifiedStatus !== incident.status)
    await deps.incidents.markNotified(incident.id, incident.status, notificationId, deps.now().toISOString());
  if (deps.slack) {
    await deps.slack
      .publish(
        incident,
        deps.links ? await linksFor(incident, deps, { forSlack: true }) : links,
        plainText(update.text),
      )
      .catch((error: Error) =>
        deps.logger.warn('Slack update failed; SNS was sent', { incidentId: incident.id, error }),
      );
  }
};

/**
 * A later signal joined a story people were told of. The Slack message (a bot token) is edited at once; the update
 * goes out now if nothing was sent within the quiet period, else it is noted and the scheduled sweep sends one update
 * for the whole burst once the period is over.
 */
export const tellOfNews = async (incident: Incident, deps: NewsDeps): Promise<'sent' | 'pending'> => {
  await tellPeople(incident, deps, { quiet: true });
  const since = lastToldAt(incident);
  if (await deps.incidents.claimNews(incident.id, deps.now().toISOString(), quietSince(deps))) {
    await sendUpdate(incident, deps, since);
    return 'sent';
  }
  await deps.incidents.markNews(incident.id, deps.now().toISOString());
  return 'pending';
};

/** The sweep: every incident with news waiting whose quiet period is over gets one update (one sender each). */
export const tellPendingNews = async (
  deps: NewsDeps & { incidents: Pick<IncidentStore, 'listByStatus'> },
): Promise<string[]> => {
  const told: string[] = [];
  const quiet = quietSince(deps);
  const statuses = (Object.keys(transitions) as IncidentStatus[]).filter(isActive);
  for (const incident of await deps.incidents.listByStatus(statuses, deps.now().toISOString())) {
    if (!incident.newsPendingSince || (lastToldAt(incident) ?? '') > quiet) continue;
    if (!(await deps.incidents.claimNews(incident.id, deps.now().toISOString(), quiet))) continue;
    await sendUpdate(incident, deps, lastToldAt(incident));
    told.push(incident.id);
  }
  return told;
};
