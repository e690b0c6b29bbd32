import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ActionDeps } from '../actions/action';
import { StateConflictError } from '../errors';
import { rekeyCandidates, type Decision, type Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { isOpenDecision } from '../incidents/lifecycle';
import type { NonceStore } from './nonce-store';
import { confirmationPage, decidedPage, refusalPage, resultPage } from './page';
import type { AuditLog, RekeyWorkflow } from './ports';
import type { TellDeps } from '../notify/tell-people';
import { signToken, verifyToken, type ApprovalAction, type TokenRefusal } from '../notify/approval-token';
import type { DecisionJob, DecisionOutcome } from './carry-out';
import { acknowledgementRef, leftResourceOf } from '../rekey/acknowledge';
import { plainLine } from '../notify/escape';

/**
 * What carrying decisions out needs: the actions' adapters (it undoes and disables), telling people, starting
 * re-keying. The private executor has these; the internet-facing approvals function does not.
 */
export interface DecisionDeps extends ActionDeps, TellDeps {
  incidents: IncidentStore;
  audit: AuditLog;
  rekey: RekeyWorkflow;
  /** The waiting period re-keying asks for when it schedules the old key's deletion (7 to 30). */
  deletionWindowDays: number;
}

/**
 * Where a recorded decision goes to be carried out: the private executor function (handed over, answered later), or
 * in this process (the CLI, the local demo), which answers with what it did.
 */
export interface DecisionExecutor {
  dispatch(job: DecisionJob): Promise<DecisionOutcome | 'handed-over'>;
}

/** What recording a decision needs: the incident, the audit trail and an executor. No AWS power of its own. */
export interface RecordDeps {
  incidents: Pick<IncidentStore, 'get' | 'recordDecision'>;
  audit: AuditLog;
  executor: DecisionExecutor;
  logger: Logger;
  now: () => Date;
}

/** The approval endpoint's deps: recording decisions, and what signed, single-use links need. */
export interface ApprovalDeps extends RecordDeps {
  nonces: NonceStore;
  secret: { bytes(): Promise<Buffer> };
  /** How long a link signed on the page (its Reject button) stays valid, at most: never past the link it came from. */
  tokenTtlSeconds: number;
}

export interface Requester {
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
}

export interface HttpReply {
  status: number;
  html: string;
  /** The same outcome in one line, for channels that are not a browser (Slack). */
  summary: string;
  /** The incident after a decision was made. */
  incident?: Incident;
}

const refusalStatus: Record<
  TokenRefusal | 'replayed' | 'unknown-incident' | 'too-late' | 'missing-why' | 'which-keys',
  number
> = {
  malformed: 400,
  forged: 403,
  'wrong-action': 403,
  'wrong-incident': 403,
  'slack-only': 403,
  expired: 410,
  replayed: 410,
  'unknown-incident': 404,
  'too-late': 409,
  'missing-why': 400,
  'which-keys': 400,
};

const refusalTitle: Record<keyof typeof refusalStatus, string> = {
  malformed: 'This is not a kms-warden link',
  forged: 'This link is not valid',
  'wrong-action': 'This link is for another decision',
  'wrong-incident': 'This link is for another incident',
  'slack-only': "This is a Slack button's token",
  expired: 'This link has expired',
  replayed: 'This link was already used',
  'unknown-incident': 'No such incident',
  'too-late': 'This decision can no longer be made',
  'missing-why': 'Say why',
  'which-keys': 'Say which keys',
};

/**
 * Whether the decision is still open: the incident lifecycle's one definition (links and reminders use it too). A
 * decision on one thing of the incident (acknowledge) is open while that thing is still left.
 */
const canDecide = (action: ApprovalAction, incident: Incident, subject?: string): boolean =>
  isOpenDecision(incident, action) &&
  (action !== 'acknowledge' || (subject !== undefined && leftResourceOf(incident, subject) !== undefined));

/** The reason a person gives for acknowledging, from the page's form: one plain line, 3 to 500 characters. */
/**
 * The keys a person ticked on the re-key page: each must be one of the story's (the body is the requester's to
 * write), and the incident's own key is always among them (the page sends it, unticked or not). No key field (a
 * Slack button, the CLI): the incident's own key, as before stories. A form that came back without the incident's
 * key, or with a key that is not the story's, is refused before the link is spent.
 */
const keysOf = (body: string, incident: Incident): { keys?: string[]; problem?: string } => {
  const form = new URLSearchParams(body);
  if (form.get('keys') !== 'chosen') return {};
  const ticked = [...new Set(form.getAll('key'))];
  const candidates = new Set(rekeyCandidates(incident).map((candidate) => candidate.keyArn));
  // The incident's own key is re-keyed whenever its re-key is approved: without it the incident would wait on a run
  // that never starts.
  if (incident.keyArn && !ticked.includes(incident.keyArn))
    return {
      problem: `the incident's own key ${incident.keyArn} is always re-keyed with its story: nothing was decided`,
    };
  const foreign = ticked.find((key) => !candidates.has(key));
  if (foreign !== undefined)
    return { problem: `${plainLine(foreign, 200)} is not a key of this incident's story: nothing was decided` };
  return { keys: ticked };
};

const whyOf = (body: string): string | undefined => {
  const why = plainLine(new URLSearchParams(body).get('why') ?? '', 500).trim();
  return why.length >= 3 ? why : undefined;
};

const refuse = async (
  deps: ApprovalDeps,
  reason: keyof typeof refusalStatus,
  detail: string,
  requester: Requester,
  claims?: { incidentId?: string; action?: string },
): Promise<HttpReply> => {
  await deps.audit.record({
    at: deps.now().toISOString(),
    outcome: 'refused',
    reason: `${reason}: ${detail}`,
    incidentId: claims?.incidentId,
    action: claims?.action,
    ...requester,
  });
  deps.logger.warn('approval refused', { reason, detail, ...claims, ...requester });
  return {
    status: refusalStatus[reason],
    html: refusalPage(refusalTitle[reason], detail),
    summary: `${refusalTitle[reason]}: ${detail}`,
  };
};

const checked = async (token: string, deps: ApprovalDeps, requester: Requester, via: 'slack' | 'link' = 'link') => {
  const check = verifyToken(token, await deps.secret.bytes(), { now: deps.now(), via });
  if (!check.ok) return { reply: await refuse(deps, check.refusal, check.detail, requester) };
  const incident = await deps.incidents.get(check.claims.incidentId);
  if (!incident)
    return {
      reply: await refuse(
        deps,
        'unknown-incident',
        `incident ${check.claims.incidentId} does not exist`,
        requester,
        check.claims,
      ),
    };
  return { claims: check.claims, incident };
};

/** GET: the confirmation page. Changes nothing. */
export const showApproval =
  (deps: ApprovalDeps) =>
  async (token: string, requester: Requester): Promise<HttpReply> => {
    const result = await checked(token, deps, requester);
    if ('reply' in result) return result.reply!;
    const { claims, incident } = result;
    // A link already used, or for a decision the incident can no longer take, shows what was decided: no button.
    if (!canDecide(claims.action, incident, claims.subject) || (await deps.nonces.spent(claims.nonce)))
      return {
        status: 200,
        html: decidedPage(incident, claims.action),
        summary: `${claims.action} for ${incident.id} can no longer be decided: the incident is ${incident.status}`,
      };
    // The Reject beside Approve is signed now, and never outlives the link it came from.
    const rejectToken =
      isOpenDecision(incident, 'reject') && claims.action === 'approve-rekey'
        ? signToken(
            {
              incidentId: incident.id,
              action: 'reject',
              expiresAt: Math.min(claims.expiresAt, Math.floor(deps.now().getTime() / 1000) + deps.tokenTtlSeconds),
            },
            await deps.secret.bytes(),
          )
        : undefined;
    return {
      status: 200,
      html: confirmationPage(
        incident,
        claims.action,
        token,
        rejectToken,
        claims.subject ? leftResourceOf(incident, claims.subject) : undefined,
      ),
      summary: `confirm ${claims.action} for ${incident.id}`,
    };
  };

/** A decision recorded (and carried out, when the executor runs in this process), or why it could not be. */
export type MadeDecision =
  | { ok: true; recorded: Incident; decisionId: string; outcome: DecisionOutcome | 'handed-over' }
  | { ok: false; current: string };

/**
 * Makes a decision on an incident, whoever decides and however (a link, Slack, the CLI): first its record, the one
 * conditional write that moves the incident (lifecycle's decisionRules), audited; then, only for the winner, the
 * work, handed to the executor. The loser of two decisions made at once acts on nothing. The caller has checked who
 * may decide.
 */
export const makeDecision = async (
  deps: RecordDeps,
  incident: Incident,
  action: ApprovalAction,
  by: string,
  channel: Decision['channel'],
  requester: Requester = {},
  press?: Decision['press'],
  about?: { subject: string; why: string },
  /** approve-rekey: the story's keys the person ticked. */
  keys?: string[],
): Promise<MadeDecision> => {
  if (!canDecide(action, incident, about && acknowledgementRef(about.subject)))
    return { ok: false, current: incident.status };
  const at = deps.now().toISOString();
  const decisionId = randomUUID();
  let recorded: Incident;
  try {
    recorded = await deps.incidents.recordDecision(incident.id, {
      id: decisionId,
      action,
      by,
      channel,
      at,
      ...(press ? { press } : {}),
      ...(about ? { subject: about.subject, why: about.why } : {}),
      ...(keys ? { keys } : {}),
    });
  } catch (error) {
    if (error instanceof StateConflictError)
      return { ok: false, current: (error.current as Incident | undefined)?.status ?? 'changed' };
    throw error;
  }
  // Recorded: the decision is handed over whatever happens to its audit entry (the incident's timeline has it too).
  await deps.audit
    .record({
      at,
      outcome: 'decided',
      reason: `${action}${about ? ` of ${about.subject}` : ''}${keys ? ` of ${keys.join(', ')}` : ''} by ${by} via ${channel}${about ? `: ${about.why}` : ''}`,
      incidentId: incident.id,
      action,
      ...requester,
    })
    .catch((error: Error) =>
      deps.logger.error('a recorded decision could not be audited', { incidentId: incident.id, decisionId, error }),
    );
  const job: DecisionJob = { incidentId: incident.id, decisionId };
  try {
    return { ok: true, recorded, decisionId, outcome: await deps.executor.dispatch(job) };
  } catch (error) {
    // Recorded but not handed over: the decision stands, and is carried out when the executor is run for it.
    deps.logger.error('a decision was recorded but could not be handed to the executor', {
      ...job,
      error: error as Error,
    });
    return {
      ok: true,
      recorded,
      decisionId,
      outcome: {
        ok: false,
        current: `recorded, but not yet carried out (${(error as Error).message}): run npx kms-warden incidents carry-out ${incident.id}`,
      },
    };
  }
};

/** POST: the decision. The nonce is consumed first, so a token decides at most once, however many clicks race. */
export const decideApproval =
  (deps: ApprovalDeps) =>
  async (
    token: string,
    requester: Requester,
    by = 'approval link holder',
    channel: Decision['channel'] = 'approval-link',
    press?: Decision['press'],
    body = '',
  ): Promise<HttpReply> => {
    const result = await checked(token, deps, requester, channel === 'slack' ? 'slack' : 'link');
    if ('reply' in result) return result.reply!;
    const { claims, incident } = result;
    if (!canDecide(claims.action, incident, claims.subject)) {
      return refuse(
        deps,
        'too-late',
        `the incident is ${incident.status}, or this is no longer left`,
        requester,
        claims,
      );
    }
    // Acknowledging takes a reason, as the CLI's --why: refused before the link is spent, so it can be sent again.
    const subject = claims.subject ? leftResourceOf(incident, claims.subject) : undefined;
    const why = claims.action === 'acknowledge' ? whyOf(body) : undefined;
    if (claims.action === 'acknowledge' && !why)
      return refuse(
        deps,
        'missing-why',
        'write why it may stay on the old key (3 characters at least)',
        requester,
        claims,
      );
    const chosen = claims.action === 'approve-rekey' ? keysOf(body, incident) : {};
    if (chosen.problem) return refuse(deps, 'which-keys', chosen.problem, requester, claims);
    if (!(await deps.nonces.consume(claims.nonce, claims.incidentId, claims.expiresAt))) {
      return refuse(deps, 'replayed', 'each link works once', requester, claims);
    }
    const about = subject && why ? { subject, why } : undefined;
    const made = await makeDecision(deps, incident, claims.action, by, channel, requester, press, about, chosen.keys);
    if (!made.ok)
      return refuse(deps, 'too-late', `someone decided first: the incident is ${made.current}`, requester, claims);
    const { outcome } = made;
    if (outcome === 'handed-over' || !outcome.ok) {
      const detail =
        outcome === 'handed-over'
          ? 'recorded; kms-warden is carrying it out now, and its message will say what it did'
          : outcome.current;
      return {
        status: 202,
        html: resultPage(made.recorded, claims.action, detail, false),
        summary: `${claims.action} for ${incident.id}: ${detail}`,
        incident: made.recorded,
      };
    }
    return {
      status: 200,
      html: resultPage(outcome.updated, claims.action, outcome.detail, true),
      summary: `${claims.action} for ${incident.id}: ${outcome.detail}`,
      incident: outcome.updated,
    };
  };
