import type { Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
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

/**
 * Sends the update: a short SNS message naming the incident, with the decision links, and a reply in its Slack
 * thread (the message edited) without them: in Slack, decisions are the buttons' alone, whose tokens work only
 * through Slack's signed requests, where the approver list applies. A failed send puts the news back for the sweep.
 */
const sendUpdate = async (
  incident: Incident,
  deps: NewsDeps,
  since: string | undefined,
  options: { recordStatus: boolean },
) => {
  const links = await linksFor(incident, deps);
  const update = composeUpdate(incident, since, links);
  let notificationId: string;
  try {
    notificationId = await deps.notifier.send(update);
  } catch (error) {
    await deps.incidents
      .markNews(incident.id, deps.now().toISOString())
      .catch((again: Error) =>
        deps.logger.error('the update could not be put back', { incidentId: incident.id, again }),
      );
    throw error;
  }
  deps.logger.info('update sent', { incidentId: incident.id, notificationId, since });
  // A status people were not told of (a later step made the story wait for a decision): this update told them, with
  // its links; no full page follows.
  if (options.recordStatus && incident.notifiedStatus !== incident.status)
    await deps.incidents.markNotified(incident.id, incident.status, notificationId, deps.now().toISOString());
  if (deps.slack) {
    await deps.slack
      .publish(
        incident,
        deps.links ? await linksFor(incident, deps, { forSlack: true }) : [],
        plainText(composeUpdate(incident, since).text),
      )
      .catch((error: Error) =>
        deps.logger.warn('Slack update failed; SNS was sent', { incidentId: incident.id, error }),
      );
  }
};

/**
 * A later signal joined a story people were told of. The Slack message (a bot token) is edited at once; the update
 * goes out now if nothing was sent within the quiet period, or if it is urgent (the story's severity rose, or it now
 * waits for a decision); otherwise it is noted and the scheduled sweep sends one update for the whole burst once the
 * period is over. Before the page has gone out the news is only noted: the sweep tells it once the page is out.
 */
export const tellOfNews = async (
  incident: Incident,
  deps: NewsDeps,
  options: { urgent?: boolean } = {},
): Promise<'sent' | 'pending'> => {
  await tellPeople(incident, deps, { quiet: true });
  const since = lastToldAt(incident);
  const now = deps.now().toISOString();
  const claimed = incident.notifiedAt
    ? await deps.incidents.claimNews(incident.id, now, options.urgent ? now : quietSince(deps))
    : undefined;
  if (claimed) {
    await sendUpdate(claimed, deps, since, { recordStatus: true });
    return 'sent';
  }
  await deps.incidents.markNews(incident.id, now);
  return 'pending';
};

/**
 * The sweep: every incident with news noted before the quiet period began gets one update (one sender each), composed
 * from the incident as the claim found it, every step attached so far in it.
 */
export const tellPendingNews = async (
  deps: NewsDeps & { incidents: Pick<IncidentStore, 'listNewsPending' | 'get'> },
): Promise<string[]> => {
  const told: string[] = [];
  const quiet = quietSince(deps);
  for (const id of await deps.incidents.listNewsPending(quiet)) {
    const before = await deps.incidents.get(id);
    if (!before) continue;
    const claimed = await deps.incidents.claimNews(id, deps.now().toISOString(), quiet);
    if (!claimed) continue;
    // The status is the responder's to record (its role writes the timeline); the sweep only tells.
    await sendUpdate(claimed, deps, lastToldAt(before), { recordStatus: false });
    told.push(id);
  }
  return told;
};
