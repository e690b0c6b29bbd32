import { actions, applyPlan, type ActionType } from '../actions';
import { actingFor, changedSomething, type Action, type ActionResult } from '../actions/action';
import { kindOfError } from '../actions/error-kinds';
import { rekeyCandidates, type Decision, type Incident } from '../incidents/incident';
import { decisionRules, type DecisionAction } from '../incidents/lifecycle';
import { decisionText } from '../notify/decision-text';
import { tellPeople } from '../notify/tell-people';
import { plainLine } from '../notify/escape';
import { acknowledgeResource } from '../rekey/acknowledge';
import { resumeWaiting } from '../rekey/waiting';
import { storyRekeyIncident } from '../rekey/operator-request';
import type { DecisionDeps } from './decide';

/**
 * Carrying out a decision already recorded. The decision moved the incident first (its conditional write was the one
 * winner, see lifecycle's decisionRules); this is the work after it, done by the private executor (a function the
 * HTTP API cannot reach) or in process (the CLI, the local demo). It acts only on a decision the incident records, so
 * whoever can start it can do no more than carry out what people decided; run twice, the second run finds the
 * decision carried out and does nothing.
 */

/**
 * The executor's input: which recorded decision to carry out. Nothing else: where to answer a Slack press is in the
 * decision's record, so whoever may start the executor cannot point it anywhere.
 */
export interface DecisionJob {
  incidentId: string;
  decisionId: string;
}

/** What carrying a decision out did. */
export type DecisionOutcome =
  /** `repeated`: carried out by an earlier run (a retry, a second hand-over); this one did nothing. */
  | { ok: true; updated: Incident; detail: string; complete: boolean; repeated?: boolean }
  /** Not carried out now: another decision's executor holds the incident (try again), or nothing was recorded. */
  | { ok: false; current: string; busy?: boolean };

/** Thrown so the executor is run again later: another decision of the incident is being carried out. */
export class DecisionBusyError extends Error {
  override name = 'DecisionBusyError';
}

/** How long one executor holds an incident: longer than the executor may run (its timeout is 300 s). */
export const executionLeaseMs = 6 * 60_000;

const actionFor = (type: string) => actions[type as ActionType] as unknown as Action<Record<string, unknown>>;

/** Steps to undo, last first: the plan's steps that changed something, and the disables decisions carried out. */
const undoable = (incident: Incident) => {
  const results = incident.results ?? [];
  const steps = incident.plan
    .map((step, i) => ({ marker: `step:${i}`, type: step.type, params: step.params, result: results[i] }))
    .filter(({ result }) => changedSomething(result));
  const disables = (incident.decisions ?? [])
    .filter((decision) => decision.action === 'disable-key' && decision.results?.[0]?.outcome === 'applied')
    .map((decision) => ({
      marker: `decision:${decision.id ?? decision.at}`,
      type: 'disable-key',
      params: { keyArn: incident.keyArn },
      result: decision.results![0],
    }));
  // Containment's steps first, then the decisions that came after them: undone in the reverse order.
  return [...steps, ...disables].reverse();
};

/**
 * Undoes what containment (and any disable decided since) changed, last first, recording each step undone as it
 * goes: a run that stops halfway (a timeout, a crash, a failure a retry may get past) is run again and resumes after
 * the last step recorded. Failures retrying cannot fix are reported, and the rest still undone.
 */
const undoAll = async (
  incident: Incident,
  decision: { index: number; id: string },
  deps: DecisionDeps,
): Promise<string[]> => {
  const problems: string[] = [];
  const undone = [...(incident.decisions?.[decision.index]?.undone ?? [])];
  for (const step of undoable(incident)) {
    if (undone.includes(step.marker)) continue;
    const action = actionFor(step.type);
    if (!action.reversible) continue;
    try {
      await action.undo(
        step.params as Record<string, unknown>,
        actingFor(deps, incident.id),
        step.result as ActionResult,
      );
      undone.push(step.marker);
      await deps.incidents.recordUndone(incident.id, decision, undone);
    } catch (error) {
      // A failure a retry may get past (throttling, a 5xx) ends this run: the steps undone so far are recorded, and
      // the run again (Lambda's retry of the executor, or `incidents carry-out`) resumes after them.
      if (kindOfError(error) === 'transient') throw error;
      problems.push(`${step.type}: ${(error as Error).message}`);
    }
  }
  return problems;
};

/** Steps some responder is applying right now (attached before the decision moved the incident): not yet undoable. */
const stillApplying = (incident: Incident) =>
  incident.plan.length !== (incident.results ?? []).length ||
  (incident.results ?? []).some((result) => result.outcome === 'pending');

type Work = { detail: string; complete: boolean; results?: ActionResult[] };

const work = async (incident: Incident, decision: Decision & { id: string }, index: number, deps: DecisionDeps) => {
  const at = () => deps.now().toISOString();
  const ref = { index, id: decision.id };
  const action = decision.action as DecisionAction;
  switch (action) {
    case 'approve-rekey': {
      // The incident's own key is re-keyed on the incident; each other key of the story the person ticked, on an
      // incident of its own (a re-key run is one key's), linked to this one.
      // Only the story's keys, whatever the record says: the approvals function, which wrote it, must not be able to
      // name any other key in the account for re-keying.
      const candidates = new Set(rekeyCandidates(incident).map((candidate) => candidate.keyArn));
      const asked = decision.keys ?? (incident.keyArn ? [incident.keyArn] : []);
      const keys = asked.filter((keyArn) => candidates.has(keyArn));
      const foreign = asked.filter((keyArn) => !candidates.has(keyArn));
      const details: string[] = foreign.map((keyArn) => `${keyArn}: not re-keyed: not a key of this incident's story`);
      let complete = foreign.length === 0;
      if (keys.length === 0)
        return { detail: [...details, 'the incident names no key to re-key'].join('; '), complete } satisfies Work;
      for (const keyArn of keys) {
        if (keyArn === incident.keyArn) {
          const started = await deps.rekey.start({
            incidentId: incident.id,
            keyArn,
            pendingWindowDays: deps.deletionWindowDays,
            startedBy: decision.by,
          });
          details.push(keys.length === 1 ? started.detail : `${keyArn}: ${started.detail}`);
          continue;
        }
        // Made at the decision's time, so a retried executor (after midnight too) finds the same one.
        const part = await storyRekeyIncident(deps.incidents, incident, keyArn, decision, new Date(decision.at));
        if ('refused' in part) {
          complete = false;
          details.push(`${keyArn}: not re-keyed: ${part.refused}`);
          continue;
        }
        const started = await deps.rekey.start({
          incidentId: part.incident.id,
          keyArn,
          pendingWindowDays: deps.deletionWindowDays,
          startedBy: decision.by,
        });
        details.push(`${keyArn}: incident ${part.incident.id}: ${started.detail}`);
      }
      return { detail: details.join('; '), complete } satisfies Work;
    }
    case 'disable-key': {
      // Recorded before a re-key was approved or a release made, but carried out after: the later decision stands.
      if (!(decisionRules['disable-key'].from as readonly string[]).includes(incident.status))
        return {
          detail: `not disabled: the incident was ${incident.status} before the disable could be carried out`,
          complete: true,
        } satisfies Work;
      const results = incident.keyArn
        ? await applyPlan([{ type: 'disable-key', params: { keyArn: incident.keyArn }, run: 'automatic' }], deps, {
            incidentId: incident.id,
            resuming: false,
          })
        : [];
      const outcome = results[0]?.outcome;
      const happened = outcome === 'applied' || outcome === 'skipped';
      if (!happened)
        await deps.incidents.giveBack(incident.id, 'disable-key', at(), `the disable ${outcome ?? 'had no key'}`);
      return {
        detail:
          outcome === 'applied'
            ? `${incident.keyArn} is disabled`
            : `nothing to disable: ${JSON.stringify(results[0] ?? 'no key')}`,
        complete: outcome !== 'failed' && outcome !== 'needs-person',
        results,
      } satisfies Work;
    }
    case 'approve-deletion': {
      // The decision is recorded (its conditional write won); the execution waiting for it is resumed now. If the
      // wait began after this read, its own task finds the decision and resumes itself (rekey/steps/await-people.ts).
      const resumed = await resumeWaiting(incident, 'deletion-approval', deps.rekey, {
        by: decision.by,
        why: 'deletion approved',
      });
      return {
        detail: resumed
          ? 'deletion approved: the re-key workflow schedules it now'
          : 'deletion approved: the re-key workflow schedules it as soon as it reaches its wait for the approval',
        complete: true,
      } satisfies Work;
    }
    case 'acknowledge': {
      // The resource the person saw on the page, recorded with the decision; acknowledged, and the waiting run resumed.
      if (!decision.subject || !decision.why)
        return {
          detail: 'nothing acknowledged: the decision names no resource or reason',
          complete: false,
        } satisfies Work;
      const resumed = await acknowledgeResource(
        deps.incidents,
        deps.rekey,
        incident.id,
        decision.subject,
        decision.by,
        decision.why,
        at(),
      );
      return {
        detail: `${decision.subject} acknowledged: it stays on the old key${resumed ? '; verification looks again now' : ''}`,
        complete: true,
      } satisfies Work;
    }
    case 'reject':
    case 'release': {
      if (stillApplying(incident))
        throw new DecisionBusyError(`incident ${incident.id} has steps still being applied: undone once they are`);
      const problems = await undoAll(incident, ref, deps);
      // A rejection moved the incident to rejected; undone, it moves on to released (no new signal attaches since).
      if (action === 'reject' && incident.status === 'rejected')
        await deps.incidents.advance(incident.id, 'released', at(), 'released after the rejection was carried out');
      return {
        detail: problems.length === 0 ? 'every reversible step was undone' : `undone, except: ${problems.join('; ')}`,
        complete: problems.length === 0,
      } satisfies Work;
    }
  }
};

/**
 * Carries out one recorded decision, once: holds the incident (one executor at a time), does the work, records what
 * it did and lets go, then tells people. Another executor holding the incident raises DecisionBusyError, for the
 * caller to run this again later (Lambda's asynchronous retry, or the in-process executor's wait).
 */
export const carryOutDecision = async (deps: DecisionDeps, job: DecisionJob): Promise<DecisionOutcome> => {
  const recordedIn = (incident: Incident | undefined) => {
    const index = (incident?.decisions ?? []).findIndex((decision) => decision.id === job.decisionId);
    return { index, decision: incident?.decisions?.[index] };
  };
  const current = await deps.incidents.get(job.incidentId);
  const seen = recordedIn(current);
  if (!current || !seen.decision?.id) {
    deps.logger.error('no such decision recorded: nothing carried out', { ...job });
    return { ok: false, current: `no decision ${job.decisionId} is recorded on incident ${job.incidentId}` };
  }
  if (seen.decision.carriedOut) {
    // Run again (a retry, a second hand-over): what it did stands.
    const { detail, complete } = seen.decision.carriedOut;
    return { ok: true, updated: current, detail, complete, repeated: true };
  }
  const now = deps.now();
  const until = new Date(now.getTime() + executionLeaseMs).toISOString();
  const claimed = await deps.incidents.claimExecution(job.incidentId, job.decisionId, now.toISOString(), until);
  if (!claimed) throw new DecisionBusyError(`another decision of incident ${job.incidentId} is being carried out`);
  const { index, decision } = recordedIn(claimed);
  if (!decision?.id) throw new Error(`decision ${job.decisionId} vanished from incident ${job.incidentId}`);
  const ref = { index, id: decision.id };
  if (decision.carriedOut) {
    // Carried out by a run that finished between the read and the claim: let go and report it.
    await deps.incidents.releaseExecution(job.incidentId, decision.id);
    const { detail, complete } = decision.carriedOut;
    return { ok: true, updated: claimed, detail, complete, repeated: true };
  }
  const done = await work(claimed, { ...decision, id: decision.id }, index, deps);
  const carriedOut = { at: deps.now().toISOString(), detail: done.detail, complete: done.complete };
  const updated = await deps.incidents.completeDecision(job.incidentId, ref, carriedOut, done.results);
  await deps.audit.record({
    at: carriedOut.at,
    outcome: 'carried-out',
    reason: done.detail,
    incidentId: job.incidentId,
    action: decision.action,
  });
  // The decision stands whether or not the news goes out: a failure to tell is logged, not answered with an error.
  try {
    const label = decisionText[decision.action as DecisionAction].label;
    // One line, whatever the decider's name or an AWS error message holds: nothing in it can forge another line.
    const notificationId = await tellPeople(updated, deps, {
      lead: plainLine(`${label}: decided by ${decision.by} via ${decision.channel}. ${done.detail}.`),
      slack: decision.channel !== 'slack',
    });
    // People know this status now: a redelivered event must not announce it again.
    await deps.incidents.markNotified(updated.id, updated.status, notificationId, deps.now().toISOString());
  } catch (error) {
    deps.logger.error('the decision was carried out but people could not be told', {
      incidentId: job.incidentId,
      error: error as Error,
    });
  }
  return { ok: true, updated, detail: done.detail, complete: done.complete };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a run waits for another decision of its incident to be carried out, and how often it looks. */
export interface BusyWait {
  everyMs: number;
  forMs: number;
}

/**
 * carryOutDecision, waiting while another decision of the incident is being carried out (two people deciding at once
 * is the common case: a disable and a release). Past `forMs` the DecisionBusyError passes through: Lambda's
 * asynchronous retry runs the executor again later, and the lease of a run that died lapses (executionLeaseMs).
 */
export const carryOutWhenFree = async (deps: DecisionDeps, job: DecisionJob, wait: BusyWait) => {
  const giveUpAt = Date.now() + wait.forMs;
  for (;;) {
    try {
      return await carryOutDecision(deps, job);
    } catch (error) {
      if (!(error instanceof DecisionBusyError) || Date.now() + wait.everyMs > giveUpAt) throw error;
      await sleep(wait.everyMs);
    }
  }
};
