import { rekeyCandidates, severityOf, type Incident, type RekeyPreview } from '../incidents/incident';
import { storyOf } from '../notify/story-of';
import { keyAliasesText, keyPurposeText, outcomeOf, stepOutcomes } from '../notify/compose-notification';
import { decisionText } from '../notify/decision-text';
import type { ApprovalAction } from '../notify/approval-token';
import { escapeHtml, plainLine } from '../notify/escape';

/**
 * Everything on a page is escaped for HTML, and what an outsider wrote cannot hide in it: control, bidi and
 * zero-width characters are shown as escapes (src/notify/escape.ts), so an ARN reads as what it is.
 */
const escape = (text: unknown): string => escapeHtml(plainLine(String(text)));

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><meta name="referrer" content="no-referrer">
<title>${escape(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111}
h1{font-size:1.4rem}dt{font-weight:600}code{word-break:break-all}.risk{border-left:4px solid #b00;padding:.5rem 1rem;background:#fff4f4}
form{display:inline-block;margin-right:1rem}button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}
.approve{background:#0a5;color:#fff;border:0}.reject{background:#eee;border:1px solid #999}</style></head>
<body>${body}</body></html>`;

/** A story of more than one step: each, in the order its events happened, with its techniques and key. */
const storySection = (incident: Incident) => {
  const { steps } = storyOf(incident);
  if (steps.length < 2) return '';
  const items = steps
    .map(
      (step) =>
        `<li><code>${escape(step.at)}</code> ${escape(step.detector)} [${escape(step.mitre.join(', '))}] ${escape(step.severity)}${step.keyArn ? ` on <code>${escape(step.keyArn)}</code>` : ''}: ${escape(step.summary)}</li>`,
    )
    .join('');
  return `<h2>The story</h2><ol>${items}</ol>`;
};

/**
 * The story's keys, each a box to tick (the ones it handed out, weakened or attacked ticked already): approving
 * re-keys the ticked ones. The hidden field says the form listed them, so none ticked is refused, not read as "the
 * incident's key".
 */
const keyChoices = (incident: Incident) => {
  const candidates = rekeyCandidates(incident);
  if (candidates.length < 2) return '';
  const boxes = candidates
    .map((candidate, i) =>
      // The incident's own key is always re-keyed with its story: shown, sent, not a choice.
      candidate.keyArn === incident.keyArn
        ? `<li><input type="hidden" name="key" value="${escape(candidate.keyArn)}"><code>${escape(candidate.keyArn)}</code> (the incident's key, always re-keyed${candidate.steps.length > 0 ? `: ${escape(candidate.steps.join(', '))}` : ''})</li>`
        : `<li><label><input type="checkbox" name="key" id="key${i}" value="${escape(candidate.keyArn)}"${candidate.suggested ? ' checked' : ''}> <code>${escape(candidate.keyArn)}</code> (${escape(candidate.steps.join(', '))})</label></li>`,
    )
    .join('');
  return `<fieldset><legend>Keys to re-key (each one is re-keyed on its own, its own incident for the others)</legend><ul>${boxes}</ul></fieldset><input type="hidden" name="keys" value="chosen">`;
};

const incidentDetails = (incident: Incident) => {
  const { signal } = incident;
  const steps = stepOutcomes(incident)
    .map(({ description, outcome }) => `<li>${escape(description)}: <strong>${escape(outcome)}</strong></li>`)
    .join('');
  return `<dl>
<dt>Incident</dt><dd><code>${escape(incident.id)}</code> (${escape(incident.status)}${outcomeOf(incident) === incident.status ? '' : `: ${escape(outcomeOf(incident))}`})</dd>
<dt>Key</dt><dd><code>${escape(incident.keyArn ?? 'not one key')}</code>${escape(keyAliasesText(incident))}</dd>
${keyPurposeText(incident) ? `<dt>What its owners say it protects</dt><dd>${escape(keyPurposeText(incident))}</dd>` : ''}
<dt>Principal</dt><dd><code>${escape(signal.principal.arn)}</code></dd>
<dt>What happened</dt><dd>${escape(signal.summary)} (${escape(signal.source.eventName)} at ${escape(signal.source.eventTime)} from ${escape(signal.source.sourceIp ?? 'unknown address')}, event <code>${escape(signal.source.eventId)}</code>)</dd>
<dt>Severity</dt><dd>${escape(severityOf(incident))}${incident.severityReason ? `: ${escape(incident.severityReason)}` : ''}</dd>
</dl>
${storySection(incident)}<h2>The plan</h2><ul>${steps || '<li>no steps</li>'}</ul>`;
};

/** The resource an acknowledgement is about, as re-keying recorded it: what it is, why it is left, what to do. */
const leftResource = (incident: Incident, key: string) => {
  const recorded = incident.rekey?.resources[key];
  const gap = key.startsWith('inventory:')
    ? incident.rekey?.inventoryGaps?.[key.slice('inventory:'.length)]
    : undefined;
  const instructions = (recorded?.instructions ?? []).map((line) => `<li>${escape(line)}</li>`).join('');
  return `<h2>Left on the old key</h2><dl>
<dt>Resource</dt><dd><code>${escape(key)}</code></dd>
<dt>Why it is left</dt><dd>${escape(recorded?.detail ?? (gap ? `the service could not be listed: ${gap}` : 'found on the old key'))}</dd>
${instructions ? `<dt>What to do instead</dt><dd><ul>${instructions}</ul></dd>` : ''}
</dl>`;
};

/**
 * What re-keying would do, before anyone approves it: what moves on its own, what waits for a person's cutover, what
 * stays behind under the old key (deleted with it), what could not be listed.
 */
const rekeyPlanSection = (incident: Incident) => {
  const plan = incident.rekeyPlan;
  if (!plan)
    return `<h2>What re-keying would do</h2><p>Not listed yet: kms-warden is inventorying what the key protects. Reload this page in a minute, or list it yourself: <code>npx kms-warden rekey plan ${escape(incident.keyArn ?? '')}</code>.</p>`;
  if (plan.refused)
    return `<h2>What re-keying would do</h2><p class="risk">Re-keying would refuse this key: ${escape(plan.refused.join('; '))}. The incident records a plan for a person.</p>`;
  const list = (lines: RekeyPreview['lines'], text: (entry: RekeyPreview['lines'][number]) => string) =>
    lines.length > 0
      ? `<ul>${lines.map((entry) => `<li><code>${escape(entry.key)}</code>: ${escape(text(entry))}</li>`).join('')}</ul>`
      : '<p>none</p>';
  const gaps = Object.entries(plan.gaps);
  return `<h2>What re-keying would do (listed ${escape(plan.at)})</h2>
<h3>Moves on its own (${plan.moves})</h3>${list(
    plan.lines.filter((entry) => !entry.person),
    (entry) => entry.how,
  )}
<h3>Waits for a person's cutover (${plan.person})</h3>${list(
    plan.lines.filter((entry) => entry.person),
    (entry) => entry.how,
  )}
<h3>Stays behind under the old key, and is deleted with it</h3>${list(plan.lines, (entry) => entry.stays)}
${plan.more > 0 ? `<p>...and ${plan.more} more: <code>npx kms-warden rekey plan ${escape(incident.keyArn ?? '')}</code></p>` : ''}
${gaps.length > 0 ? `<h3>Could not be listed</h3><ul>${gaps.map(([service, gap]) => `<li>${escape(service)}: ${escape(gap)}</li>`).join('')}</ul>` : ''}
${plan.replicaRegions.length > 0 ? `<p>Replicas in ${escape(plan.replicaRegions.join(', '))}: the replacement gets a replica there; what they protect is moved by a person.</p>` : ''}
<p>Objects in buckets are counted when re-keying runs. The old key is shut to everyone but re-keying while it runs.</p>`;
};

/** The confirmation page a link opens. Showing it changes nothing: link scanners and unfurlers may fetch it freely. */
export const confirmationPage = (
  incident: Incident,
  action: ApprovalAction,
  token: string,
  rejectToken?: string,
  subject?: string,
) =>
  layout(
    `kms-warden: ${decisionText[action].label} for ${incident.id}`,
    `<h1>${escape(decisionText[action].label)}?</h1>
${subject ? leftResource(incident, subject) : ''}${incidentDetails(incident)}${action === 'approve-rekey' ? rekeyPlanSection(incident) : ''}
<p class="risk"><strong>What this does:</strong> ${escape(decisionText[action].risk)}</p>
<form method="post" action="${escape(token)}">${action === 'approve-rekey' ? keyChoices(incident) : ''}${
      action === 'acknowledge'
        ? '<p><label for="why">Why it may stay on the old key (recorded with the decision)</label><br><textarea id="why" name="why" required minlength="3" maxlength="500" rows="3" cols="60"></textarea></p>'
        : ''
    }<button class="approve" type="submit">${escape(decisionText[action].label)}</button></form>
${rejectToken ? `<form method="post" action="${escape(rejectToken)}"><button class="reject" type="submit">Reject</button></form>` : ''}`,
  );

/** After a decision: `carriedOut` when its work is done (in process), otherwise recorded and being carried out. */
export const resultPage = (incident: Incident, action: ApprovalAction, detail: string, carriedOut = true) =>
  layout(
    `kms-warden: ${incident.id}`,
    `<h1>${carriedOut ? 'Done' : 'Decided'}: ${escape(decisionText[action].label)}</h1><p>${escape(detail)}</p>${incidentDetails(incident)}`,
  );

/** A link that was used, or whose decision the incident can no longer take: what was decided, and no button. */
export const decidedPage = (incident: Incident, action: ApprovalAction) => {
  const decided = (incident.decisions ?? [])
    .map(
      (decision) =>
        `<li>${escape(decision.action)} by ${escape(decision.by)} via ${escape(decision.channel)} at ${escape(decision.at)}${decision.carriedOut ? `: ${escape(decision.carriedOut.detail)}` : decision.id ? ': being carried out' : ''}</li>`,
    )
    .join('');
  return layout(
    `kms-warden: ${incident.id}`,
    `<h1>${escape(decisionText[action].label)}: no longer open</h1>
<p>This link was used, or the incident moved on: it is ${escape(incident.status)}. Nothing can be decided from it.</p>
${decided ? `<h2>Decisions</h2><ul>${decided}</ul>` : ''}${incidentDetails(incident)}`,
  );
};

export const refusalPage = (title: string, detail: string) =>
  layout(
    `kms-warden: ${title}`,
    `<h1>${escape(title)}</h1><p>${escape(detail)}</p><p>Nothing was changed. This attempt was recorded.</p>`,
  );
