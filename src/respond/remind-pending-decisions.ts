import type { Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { tellPeople, type TellDeps } from '../notify/tell-people';

export interface ReminderDeps extends TellDeps {
  incidents: IncidentStore;
  /** How long a decision may wait before people are reminded (and reminded again). */
  waitHours: number;
}

/**
 * Waiting for people: awaiting-approval (decision links went out), or contained with offered steps no one decided
 * on (no approval endpoint configured, so people decide with the CLI).
 */
const waitingForDecision = (incident: Incident) =>
  !incident.dryRun &&
  (incident.status === 'awaiting-approval' ||
    // Re-keyed and asked to approve the old key's deletion: the second approval waits like the first.
    (incident.status === 're-keyed' && Boolean(incident.rekey?.deletionRequestedAt) && !(incident.decisions ?? []).some((d) => d.action === 'approve-deletion')) ||
    ((incident.decisions ?? []).length === 0 && (incident.results ?? []).some((r) => r.outcome === 'not-run')));

/**
 * The scheduled reminder: incidents whose offered steps have waited longer than the setting get a reminder, with
 * fresh links. At most one reminder per incident per waiting period, however many runs overlap.
 */
export const remindPendingDecisions = (deps: ReminderDeps) => async (): Promise<{ reminded: string[] }> => {
  const now = deps.now();
  const cutoff = new Date(now.getTime() - deps.waitHours * 3_600_000).toISOString();
  const candidates = (await deps.incidents.listByStatus(['contained', 'awaiting-approval', 're-keyed'], cutoff)).filter(waitingForDecision);
  const reminded: string[] = [];
  for (const incident of candidates) {
    if (!(await deps.incidents.markReminded(incident.id, now.toISOString(), cutoff))) continue;
    const waited = Math.floor((now.getTime() - Date.parse(incident.updatedAt)) / 3_600_000);
    // Fresh links: the ones sent first may have expired.
    await tellPeople(incident, deps, { subjectPrefix: 'Reminder', lead: `Reminder: this incident has waited ${waited} hours for a decision.` });
    reminded.push(incident.id);
  }
  deps.logger.info('reminders sent', { reminded: reminded.length, candidates: candidates.length });
  return { reminded };
};
