import { actions, applyPlan, type ActionType, type PlannedAction } from '../actions';
import { changedSomething, type Action, type ActionDeps, type ActionResult } from '../actions/action';
import { StateConflictError } from '../errors';
import type { Decision, Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { isOpenDecision } from '../incidents/lifecycle';
import type { NonceStore } from './nonce-store';
import { confirmationPage, refusalPage, resultPage } from './page';
import type { AuditLog, RekeyWorkflow } from './ports';
import { tellPeople, type TellDeps } from '../notify/tell-people';
import { decisionText } from '../notify/decision-text';
import { signToken, verifyToken, type ApprovalAction, type TokenRefusal } from '../notify/approval-token';

/** What making a decision needs, whoever makes it: the link endpoint adds tokens and nonces to this. */
export type DecisionDeps = Omit<ApprovalDeps, 'nonces' | 'secret' | 'tokenTtlSeconds'>;

export interface ApprovalDeps extends ActionDeps, TellDeps {
  incidents: IncidentStore;
  nonces: NonceStore;
  secret: { bytes(): Promise<Buffer> };
  audit: AuditLog;
  rekey: RekeyWorkflow;
  /** The waiting period re-keying asks for when it schedules the old key's deletion (7 to 30). */
  deletionWindowDays: number;
  /** How long a link signed on the page (its Reject button) stays valid. */
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

const refusalStatus: Record<TokenRefusal | 'replayed' | 'unknown-incident' | 'too-late', number> = {
  malformed: 400,
  forged: 403,
  'wrong-action': 403,
  'wrong-incident': 403,
  expired: 410,
  replayed: 410,
  'unknown-incident': 404,
  'too-late': 409,
};

const refusalTitle: Record<keyof typeof refusalStatus, string> = {
  malformed: 'This is not a kms-warden link',
  forged: 'This link is not valid',
  'wrong-action': 'This link is for another decision',
  'wrong-incident': 'This link is for another incident',
  expired: 'This link has expired',
  replayed: 'This link was already used',
  'unknown-incident': 'No such incident',
  'too-late': 'This decision can no longer be made',
};

/** Whether the decision is still open: the incident lifecycle's one definition (links and reminders use it too). */
const canDecide = (action: ApprovalAction, incident: Incident): boolean => isOpenDecision(incident, action);

const actionFor = (step: PlannedAction) => actions[step.type as ActionType] as unknown as Action<typeof step.params>;

/** Undoes every step that changed something, last first. Failures are reported, and the rest still undone. */
const undoContainment = async (incident: Incident, deps: ActionDeps): Promise<string[]> => {
  const problems: string[] = [];
  const applied = incident.plan
    .map((step, i) => ({ step, result: incident.results?.[i] }))
    .filter(({ result }) => changedSomething(result));
  for (const { step, result } of applied.reverse()) {
    const action = actionFor(step);
    if (!action.reversible) continue;
    try {
      await action.undo(step.params, deps, result as ActionResult);
    } catch (error) {
      problems.push(`${step.type}: ${(error as Error).message}`);
    }
  }
  return problems;
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

const checked = async (token: string, deps: ApprovalDeps, requester: Requester) => {
  const check = verifyToken(token, await deps.secret.bytes(), { now: deps.now() });
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
    const rejectToken =
      claims.action === 'approve-rekey' && isOpenDecision(incident, 'reject')
        ? signToken(
            {
              incidentId: incident.id,
              action: 'reject',
              expiresAt: Math.floor(deps.now().getTime() / 1000) + deps.tokenTtlSeconds,
            },
            await deps.secret.bytes(),
          )
        : undefined;
    return {
      status: 200,
      html: confirmationPage(incident, claims.action, token, rejectToken),
      summary: `confirm ${claims.action} for ${incident.id}`,
    };
  };

/** What a decision did, or the status that made it too late. */
/** `complete`: false when the decision was made but did not fully happen (a step not undone, a key not disabled). */
export type DecisionOutcome =
  { ok: true; updated: Incident; detail: string; complete: boolean } | { ok: false; current: string };

/**
 * Makes a decision on an incident, whoever decides and however (a link, Slack, the CLI): the move it leads to,
 * what it runs, the audit entry and the news. The caller has checked who may decide; the lifecycle's conditional
 * writes settle races (the loser gets the winner's status).
 */
export const makeDecision = async (
  deps: DecisionDeps,
  incident: Incident,
  action: ApprovalAction,
  by: string,
  channel: Decision['channel'],
  requester: Requester = {},
): Promise<DecisionOutcome> => {
  if (!canDecide(action, incident)) return { ok: false, current: incident.status };
  const at = deps.now().toISOString();
  const decision: Decision = { action, by, channel, at };
  let detail: string;
  let updated: Incident;
  let complete = true;
  try {
    switch (action) {
      case 'approve-rekey': {
        updated = await deps.incidents.decide(incident.id, 'approved', decision);
        const started = incident.keyArn
          ? await deps.rekey.start({
              incidentId: incident.id,
              keyArn: incident.keyArn,
              pendingWindowDays: deps.deletionWindowDays,
              startedBy: by,
            })
          : { started: false, detail: 'the incident names no key' };
        detail = started.detail;
        break;
      }
      case 'disable-key': {
        const results = incident.keyArn
          ? await applyPlan([{ type: 'disable-key', params: { keyArn: incident.keyArn }, run: 'automatic' }], deps, {
              resuming: false,
            })
          : [];
        updated = await deps.incidents.recordDecision(incident.id, { ...decision, results });
        detail =
          results[0]?.outcome === 'applied'
            ? `${incident.keyArn} is disabled`
            : `nothing to disable: ${JSON.stringify(results[0] ?? 'no key')}`;
        complete = results[0]?.outcome !== 'failed';
        break;
      }
      case 'approve-deletion': {
        updated = await deps.incidents.recordDecision(incident.id, decision);
        detail = 'deletion approved: the re-key workflow schedules it at its next check';
        break;
      }
      case 'reject':
      case 'release': {
        if (action === 'reject') await deps.incidents.decide(incident.id, 'rejected', decision);
        const problems = await undoContainment(incident, deps);
        updated = await deps.incidents.decide(incident.id, 'released', { ...decision, action: 'release' });
        // A later signal may have attached steps while these were undone; released, no more can come: undo those too.
        const seen = incident.plan.length;
        if (updated.plan.length > seen) {
          problems.push(
            ...(await undoContainment(
              { ...updated, plan: updated.plan.slice(seen), results: updated.results?.slice(seen) },
              deps,
            )),
          );
        }
        detail = problems.length === 0 ? 'every reversible step was undone' : `undone, except: ${problems.join('; ')}`;
        complete = problems.length === 0;
        break;
      }
    }
  } catch (error) {
    if (error instanceof StateConflictError)
      return { ok: false, current: (error.current as Incident | undefined)?.status ?? 'changed' };
    throw error;
  }
  await deps.audit.record({ at, outcome: 'decided', reason: detail, incidentId: incident.id, action, ...requester });
  // The decision stands whether or not the news goes out: a failure to tell is logged, not answered with an error.
  try {
    const notificationId = await tellPeople(updated, deps, {
      lead: `${decisionText[action].label}: decided by ${by} via ${channel}. ${detail}.`,
      slack: channel !== 'slack',
    });
    // People know this status now: a redelivered event must not announce it again.
    await deps.incidents.markNotified(updated.id, updated.status, notificationId, deps.now().toISOString());
  } catch (error) {
    deps.logger.error('the decision was made but people could not be told', {
      incidentId: incident.id,
      error: error as Error,
    });
  }
  return { ok: true, updated, detail, complete };
};

/** POST: the decision. The nonce is consumed first, so a token decides at most once, however many clicks race. */
export const decideApproval =
  (deps: ApprovalDeps) =>
  async (
    token: string,
    requester: Requester,
    by = 'approval link holder',
    channel: Decision['channel'] = 'approval-link',
  ): Promise<HttpReply> => {
    const result = await checked(token, deps, requester);
    if ('reply' in result) return result.reply!;
    const { claims, incident } = result;
    if (!canDecide(claims.action, incident)) {
      return refuse(deps, 'too-late', `the incident is ${incident.status}`, requester, claims);
    }
    if (!(await deps.nonces.consume(claims.nonce, claims.incidentId, claims.expiresAt))) {
      return refuse(deps, 'replayed', 'each link works once', requester, claims);
    }
    const outcome = await makeDecision(deps, incident, claims.action, by, channel, requester);
    if (!outcome.ok)
      return refuse(deps, 'too-late', `someone decided first: the incident is ${outcome.current}`, requester, claims);
    return {
      status: 200,
      html: resultPage(outcome.updated, claims.action, outcome.detail),
      summary: `${claims.action} for ${incident.id}: ${outcome.detail}`,
      incident: outcome.updated,
    };
  };
