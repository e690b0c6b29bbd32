import type { ActionResult } from '../actions/action';
import { describeAction } from '../actions';
import { detectionOf } from '../detections';
import { severityOf, supersededOffers, titleOf, type Incident } from '../incidents/incident';
import { storyOf, type StoryEntry } from './story-of';
import { renderRekeyProgress } from './rekey-progress';
import type { Notification } from './notifier';
import type { DecisionLink } from './decision-links';
import { decisionText } from './decision-text';
import { emailSubject, plainLine as line } from './escape';

const resultLine = (result: ActionResult | undefined): string => {
  if (!result) return 'not run';
  switch (result.outcome) {
    case 'applied':
      if (typeof result.after.summary === 'string') return `done: ${result.after.summary}`;
      return result.before.state !== undefined && result.after.state !== undefined
        ? `done: key state ${String(result.before.state)} -> ${String(result.after.state)}`
        : 'done';
    case 'skipped':
      return `skipped: ${result.reason}`;
    case 'failed':
      return `FAILED: ${result.error}: ${result.message}`;
    case 'needs-person':
      return `NEEDS A PERSON: ${result.error}: ${result.message}. What to do: ${result.remedy}`;
    case 'not-run':
      return `not run: ${result.reason}`;
    case 'pending':
      return `running: ${result.reason}`;
  }
};

/** Each planned step as people read it, with the one word for what became of it. */
export const stepOutcomes = (incident: Incident) => {
  const superseded = supersededOffers(incident);
  return incident.plan.map((step, i) => ({
    description: describeAction(step),
    outcome: superseded.has(i) ? 'applied by a later step' : (incident.results?.[i]?.outcome ?? 'not run'),
    result: superseded.has(i) ? undefined : incident.results?.[i],
    superseded: superseded.has(i),
  }));
};

/** Chat markdown: one bullet per step, its description escaped for the channel by `escape`. */
export const stepBullets = (incident: Incident, escape: (text: string) => string): string[] =>
  stepOutcomes(incident).map(({ description, outcome }) => `• ${escape(description)}: *${outcome}*`);

/** The key as people know it: its aliases after its ARN. */
/**
 * Where it happened: the account (with its name in an organization, which its administrators chose) and the Region.
 * Not escaped: each caller escapes it for its medium.
 */
export const whereText = (incident: Incident): string =>
  `${incident.signal.source.accountId ?? 'unknown account'}${incident.accountName ? ` (${incident.accountName})` : ''}, ${incident.signal.source.region}`;

export const keyAliasesText = (incident: Incident): string =>
  incident.keyProfile?.aliases.length ? ` (${incident.keyProfile.aliases.join(', ')})` : '';

/** What the key protects, as its owners describe it: its description and tags; empty when they said nothing. */
export const keyPurposeText = (incident: Incident): string => {
  const profile = incident.keyProfile;
  const tags = Object.entries(profile?.tags ?? {}).map(([name, value]) => `${name}=${value}`);
  return [profile?.description ? `"${profile.description}"` : '', tags.length > 0 ? `tags ${tags.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
};

/** How many later signals a message lists; the count of the rest is given. */
const laterSignalsShown = 5;

/** The signals that attached after the first, newest last, as one line each: what, when, from where, which event. */
export const laterSignalLines = (incident: Incident): string[] => {
  const later = (incident.signals ?? []).slice(1);
  const shown = later
    .slice(-laterSignalsShown)
    .map(
      (entry) =>
        `${entry.eventName} at ${entry.eventTime} from ${entry.sourceIp ?? 'unknown address'}${entry.keyArn && entry.keyArn !== incident.keyArn ? ` on ${entry.keyArn}` : ''}: ${entry.summary} (${entry.detector}, event ${entry.eventId})`,
    );
  return later.length > shown.length ? [`${later.length - shown.length} earlier ones not shown`, ...shown] : shown;
};

/** In a word, where the incident stands: the first line and the subject say it. */
export const outcomeOf = (incident: Incident): string => {
  const results = incident.results ?? [];
  if (results.some((r) => r.outcome === 'failed')) return 'containment FAILED';
  if (results.some((r) => r.outcome === 'needs-person')) return 'containment INCOMPLETE, a person must act';
  if (incident.dryRun && incident.plan.length > 0) return 'DRY RUN, nothing applied';
  if (results.some((r) => r.outcome === 'applied')) return 'contained';
  if (results.some((r) => r.outcome === 'not-run')) return 'awaiting a decision';
  return 'no action taken';
};

/** The next step once re-keying has begun: what people do while it runs, waits, or after it scheduled the deletion. */
const rekeyNextStep = (incident: Incident): string | undefined => {
  const progress = incident.rekey;
  if (!progress) return undefined;
  if (progress.failure && incident.status === 're-keying')
    return `Re-keying stopped (${progress.failure.error}). Fix the cause, then run it again: npx kms-warden rekey run ${progress.oldKeyArn} --incident ${incident.id} --yes`;
  const waiting = Object.values(progress.resources).filter((r) => r.status === 'needs-human').length;
  switch (incident.status) {
    case 're-keying':
      return waiting > 0
        ? `Do what each of the ${waiting} resources waiting for a person says, or acknowledge it (npx kms-warden rekey ack ${incident.id} RESOURCE --why ... --yes); re-keying goes on by itself.`
        : `Nothing: re-keying is moving resources to ${progress.replacementKeyArn ?? 'the replacement key'}. Follow it: npx kms-warden rekey status ${incident.id}`;
    case 're-keyed':
      return `Approve scheduling the deletion of ${progress.oldKeyArn} (the link below, or npx kms-warden rekey approve-deletion ${incident.id} --yes), or leave it disabled.`;
    case 'deletion-scheduled':
      return `Nothing until ${progress.deletionDate ?? 'the deletion date'}. To keep the old key: aws kms cancel-key-deletion --key-id ${progress.oldKeyArn}`;
    default:
      return undefined;
  }
};

/** The exact next step for a person, given where the incident stands: plain text, to be escaped for its channel. */
export const nextStepFor = (incident: Incident, outcome: string): string => {
  const rekeying = rekeyNextStep(incident);
  if (rekeying) return rekeying;
  const principal = incident.signal.principal.arn;
  const evidence = `CloudTrail event ${incident.signal.source.eventId}`;
  const superseded = supersededOffers(incident);
  const offered = (incident.results ?? []).some(
    (r, i) => r.outcome === 'not-run' && !incident.dryRun && !superseded.has(i),
  );
  switch (outcome) {
    case 'containment FAILED':
      return `Containment did not finish and will be retried. Check the key now: aws kms describe-key --key-id ${incident.keyArn ?? '<key>'}`;
    case 'DRY RUN, nothing applied':
      return `kms-warden is in dry run: apply the steps above by hand if they are right, and review ${evidence}.`;
    case 'no action taken':
      return `No action was taken. Confirm with the owner of ${principal} that this was intended; if it was not, treat its credentials as compromised and review ${evidence}.`;
    default:
      return [
        `Ask the owner of ${principal} whether this was intended.`,
        detectionOf(incident.signal.detector)?.tell?.ifIntended ??
          'If it was, undo the steps above (each is reversible).',
        `If not, treat its credentials as compromised and review what else it did (${evidence}).`,
        ...(offered ? ['Then decide on each step marked "not run": it was offered, not applied.'] : []),
      ].join(' ');
  }
};

/**
 * What re-keying would do, in a few lines (the approval page lists each resource): recorded before the approval is
 * asked for, by a function that inventories every service read-only.
 */
export const rekeyPlanLines = (incident: Incident): string[] => {
  const plan = incident.rekeyPlan;
  if (!plan) return [];
  if (plan.refused) return [`Re-key plan: re-keying would refuse this key: ${plan.refused.join('; ')}`];
  const people = plan.lines.filter((entry) => entry.person).map((entry) => entry.key);
  return [
    `Re-key plan: of what the key protects, ${plan.moves} move on their own, ${plan.person} wait for a person's cutover${Object.keys(plan.gaps).length > 0 ? `; could not list ${Object.keys(plan.gaps).join(', ')}` : ''}${plan.replicaRegions.length > 0 ? `; replicas in ${plan.replicaRegions.join(', ')} moved by a person` : ''} (each one, and what stays behind, on the approval page).`,
    ...(people.length > 0
      ? [`  waiting for a person: ${people.slice(0, 5).join(', ')}${people.length > 5 ? ', ...' : ''}`]
      : []),
  ];
};

/**
 * The readable text an on-call person gets by email or SMS through the SNS topic (and the CLI prints): plain text,
 * each field an outsider can write shown on its own line, with whatever could forge a line or hide text made visible.
 */
export const composeNotification = (incident: Incident, links: readonly DecisionLink[] = []): Notification => {
  const { signal } = incident;
  const outcome = outcomeOf(incident);
  const steps = stepOutcomes(incident).map(
    ({ description, result, superseded }) =>
      `  - ${line(description)}: ${superseded ? 'offered, then applied by a later step' : line(resultLine(result))}`,
  );
  const text = [
    `${line(titleOf(incident))}: ${outcome}.`,
    '',
    `Incident:   ${incident.id} (${incident.status})`,
    `Severity:   ${severityOf(incident)}${incident.severityReason ? ` (${line(incident.severityReason)})` : ''}`,
    `Account:    ${line(whereText(incident))}`,
    `Key:        ${incident.keyArn ? `${line(incident.keyArn)}${line(keyAliasesText(incident))}` : 'not one key (see what happened)'}`,
    ...(keyPurposeText(incident) ? [`Protects:   ${line(keyPurposeText(incident))}`] : []),
    ...(incident.keyProfile?.replicas?.length
      ? [
          `Replicas:   ${line(incident.keyProfile.replicas.join(', '))} (multi-Region: each replica is a key of its own; check its state and policy in its Region)`,
        ]
      : []),
    `Principal:  ${line(signal.principal.arn)}${signal.principal.sessionName ? ` (session ${line(signal.principal.sessionName)})` : ''}`,
    '',
    'What happened:',
    `  ${line(signal.summary)}.`,
    `  ${line(signal.source.eventName)} at ${line(signal.source.eventTime)} from ${line(signal.source.sourceIp ?? 'unknown address')}` +
      ` (user agent ${line(signal.source.userAgent ?? 'unknown')}), CloudTrail event ${line(signal.source.eventId)}.`,
    ...(detectionOf(signal.detector)
      ?.tell?.whatHappened?.(incident)
      .map((entry) => `  ${line(entry)}`) ?? []),
    ...(laterSignalLines(incident).length > 0
      ? ['', 'Then, from the same principal:', ...laterSignalLines(incident).map((entry) => `  - ${line(entry)}`)]
      : []),
    '',
    'What kms-warden did:',
    ...(steps.length > 0
      ? steps
      : [
          signal.evidence.callerIsKeyAdministrator === true
            ? '  - nothing (the caller is a key administrator)'
            : '  - nothing automatic: this signal is reported for a person to judge',
        ]),
    ...(incident.rekeyPlan && !incident.rekey ? ['', ...rekeyPlanLines(incident).map((entry) => line(entry))] : []),
    ...(incident.rekey
      ? [
          '',
          'Re-keying:',
          ...renderRekeyProgress(incident, { tty: false })
            .slice(1)
            .map((entry) => `  ${line(entry)}`),
        ]
      : []),
    '',
    `Next step: ${line(nextStepFor(incident, outcome))}`,
    ...(links.length > 0
      ? [
          '',
          'Decide (each link opens a page that shows the incident and asks you to confirm; it works once):',
          ...links.map((link) => `  ${decisionText[link.action].label}: ${link.url}`),
        ]
      : []),
  ].join('\n');
  return {
    incidentId: incident.id,
    severity: severityOf(incident),
    subject: emailSubject(
      `[kms-warden] ${severityOf(incident).toUpperCase()} ${titleOf(incident)}: ${outcome} (${incident.id})`,
    ),
    text,
  };
};

/** One step of a story on one line: when, what (its ATT&CK techniques), on which key, and what was done. */
const storyStepLine = (step: StoryEntry): string =>
  [
    `${step.at} ${step.detector} [${step.mitre.join(', ')}] ${step.severity}: ${step.eventName} ${step.eventId}`,
    step.keyArn ? ` on ${step.keyArn}` : '',
    ` from ${step.sourceIp ?? 'unknown address'}: ${step.summary}`,
    step.steps.length > 0 ? ` (steps: ${step.steps.map((done) => `${done.type} ${done.outcome}`).join(', ')})` : '',
  ].join('');

/**
 * A short update of a story people were already told of: the steps since, the severity now. Not a new page: its
 * subject says Update and names the incident, and the full incident is one command away.
 */
export const composeUpdate = (
  incident: Incident,
  since: string | undefined,
  links: readonly DecisionLink[] = [],
): Notification => {
  const freshIds = new Set(
    incident.signals.filter((entry) => since === undefined || entry.receivedAt > since).map((entry) => entry.eventId),
  );
  const fresh = storyOf(incident).steps.filter((step) => freshIds.has(step.eventId));
  const severity = severityOf(incident);
  const text = [
    `${fresh.length} new step${fresh.length === 1 ? '' : 's'} in incident ${incident.id} (${incident.status}).`,
    `Severity:   ${severity}${incident.severityReason ? ` (${line(incident.severityReason)})` : ''}`,
    `Account:    ${line(whereText(incident))}`,
    `Principal:  ${line(incident.signal.principal.arn)}`,
    '',
    'New:',
    ...fresh.slice(-laterSignalsShown).map((step) => `  - ${line(storyStepLine(step))}`),
    ...(fresh.length > laterSignalsShown ? [`  (${fresh.length - laterSignalsShown} more not shown)`] : []),
    '',
    `The whole story: npx kms-warden incidents show ${incident.id}`,
    ...(links.length > 0
      ? ['', 'Decide:', ...links.map((link) => `  ${decisionText[link.action].label}: ${link.url}`)]
      : []),
  ].join('\n');
  return {
    incidentId: incident.id,
    severity,
    subject: emailSubject(`[kms-warden] Update: ${severity.toUpperCase()} ${titleOf(incident)} (${incident.id})`),
    text,
  };
};
