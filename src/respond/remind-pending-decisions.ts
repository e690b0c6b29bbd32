import type { Incident } from '../incidents/incident';
import { openDecisions } from '../incidents/lifecycle';
import type { IncidentStore } from '../incidents/incident-store';
import { tellPeople } from '../notify/tell-people';
import { tellPendingNews, type NewsDeps } from '../notify/tell-news';

export interface ReminderDeps extends NewsDeps {
  incidents: IncidentStore;
  /** How long a decision may wait before people are reminded (and reminded again). */
  waitHours: number;
}

/**
 * Waiting for people: a decision kms-warden asked for is still open (the incident lifecycle's one definition: a
 * re-key or an offered disable to approve, the old key's deletion to approve, offered steps no one decided on).
 */
const waitingForDecision = (incident: Incident) =>
  !incident.dryRun && openDecisions(incident).some((open) => open.asked);

/**
 * The scheduled sweeps: every minute the updates held back by the quiet period (`sweep: 'updates'`), every hour the
 * reminders (`sweep: 'reminders'`); a run naming neither does both. Incidents whose offered steps have waited longer
 * than the setting get a reminder, with fresh links. At most one reminder per incident per waiting period, however
 * many runs overlap.
 */
export const remindPendingDecisions =
  (deps: ReminderDeps) =>
  async (event: { sweep?: 'updates' | 'reminders' } = {}): Promise<{ reminded: string[]; updated: string[] }> => {
    const updated = event.sweep === 'reminders' ? [] : await tellPendingNews(deps);
    if (event.sweep === 'updates') return { reminded: [], updated };
    const now = deps.now();
    const cutoff = new Date(now.getTime() - deps.waitHours * 3_600_000).toISOString();
    const candidates = (
      await deps.incidents.listByStatus(['contained', 'awaiting-approval', 're-keyed'], cutoff)
    ).filter(waitingForDecision);
    const reminded: string[] = [];
    for (const incident of candidates) {
      if (!(await deps.incidents.markReminded(incident.id, now.toISOString(), cutoff))) continue;
      const waited = Math.floor((now.getTime() - Date.parse(incident.updatedAt)) / 3_600_000);
      // Fresh links: the ones sent first may have expired.
      await tellPeople(incident, deps, {
        subjectPrefix: 'Reminder',
        lead: `Reminder: this incident has waited ${waited} hours for a decision.`,
      });
      reminded.push(incident.id);
    }
    deps.logger.info('reminders sent', {
      reminded: reminded.length,
      candidates: candidates.length,
      updated: updated.length,
    });
    return { reminded, updated };
  };
