import type { Logger } from '@aws-lambda-powertools/logger';
import { decisionLinks, type LinkSigner } from '../approvals/links';
import type { Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { composeChatNotification } from '../notify/compose-chat-notification';
import { composeNotification } from '../notify/compose-notification';
import type { Notifier } from '../notify/notifier';

export interface ReminderDeps {
  incidents: IncidentStore;
  notifier: Notifier;
  links?: LinkSigner;
  logger: Logger;
  now: () => Date;
  /** How long a decision may wait before people are reminded (and reminded again). */
  waitHours: number;
}

/** Offered steps no one has decided on yet. */
const waitingForDecision = (incident: Incident) =>
  (incident.decisions ?? []).length === 0 && (incident.results ?? []).some((r) => r.outcome === 'not-run') && !incident.dryRun;

/**
 * The scheduled reminder: incidents whose offered steps have waited longer than the setting get a reminder, with
 * fresh links. At most one reminder per incident per waiting period, however many runs overlap.
 */
export const remindPendingDecisions = (deps: ReminderDeps) => async (): Promise<{ reminded: string[] }> => {
  const now = deps.now();
  const cutoff = new Date(now.getTime() - deps.waitHours * 3_600_000).toISOString();
  const candidates = (await deps.incidents.listByStatus(['contained', 'awaiting-approval'], cutoff)).filter(waitingForDecision);
  const reminded: string[] = [];
  for (const incident of candidates) {
    if (!(await deps.incidents.markReminded(incident.id, now.toISOString(), cutoff))) continue;
    const links = deps.links ? await decisionLinks(incident, deps.links, now) : [];
    const message = composeNotification(incident, links);
    const waited = Math.floor((now.getTime() - Date.parse(incident.updatedAt)) / 3_600_000);
    await deps.notifier.send({
      ...message,
      subject: `Reminder: ${message.subject}`,
      text: `Reminder: this incident has waited ${waited} hours for a decision.\n\n${message.text}`,
      chat: composeChatNotification(incident, links),
    });
    reminded.push(incident.id);
  }
  deps.logger.info('reminders sent', { reminded: reminded.length, candidates: candidates.length });
  return { reminded };
};
