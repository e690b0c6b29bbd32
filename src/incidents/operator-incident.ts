import { randomUUID } from 'node:crypto';
import type { PlannedAction } from '../actions';
import type { OperatorRequestKind, Signal } from '../detections/detection';
import { accountOfKey } from '../events/accounts';
import { newIncident, type Incident } from './incident';
import type { IncidentStore } from './incident-store';

export interface OperatorRequest {
  keyArn: string;
  /** Who asked: cli:$USER, or --by. */
  by: string;
  /** The incident's detector, so its group and messages say what it is. */
  detector: OperatorRequestKind;
  title: string;
  summary: string;
  plan: PlannedAction[];
  /** Names the request, so asking again finds the same incident (a retried executor); else each request is new. */
  requestId?: string;
  /** The incident this one is part of (a key of a story's re-key). */
  parentId?: string;
}

/**
 * An incident opened by a person (the CLI) rather than by a signal: it records the plan, the results, decisions and
 * timeline the same way. Another active incident of the same person, key and kind is refused, not duplicated.
 */
export const openOperatorIncident = async (
  incidents: IncidentStore,
  request: OperatorRequest,
  now: Date,
): Promise<Incident> => {
  const at = now.toISOString();
  const signal: Signal = {
    detector: request.detector,
    title: request.title,
    severity: 'high',
    mitre: [],
    keyArn: request.keyArn,
    principal: { kind: 'unknown', arn: request.by },
    summary: request.summary,
    evidence: { requestedBy: request.by },
    source: {
      eventId: `operator-${request.requestId ?? randomUUID()}`,
      eventName: 'OperatorRequest',
      eventTime: at,
      region: request.keyArn.split(':')[3] ?? 'unknown',
      accountId: accountOfKey(request.keyArn),
      sourceIp: undefined,
      userAgent: 'kms-warden cli',
    },
  };
  const draft = newIncident(signal, at, {
    priorKeyState: { state: 'Enabled', basis: 'not relevant: asked for by an operator' },
    plan: request.plan,
  });
  const opened = await incidents.open(request.parentId ? { ...draft, parentId: request.parentId } : draft);
  if (opened.outcome === 'grouped')
    throw new Error(
      `${request.by} already has an active incident of this kind for ${request.keyArn}: ${opened.incident.id}`,
    );
  return opened.incident;
};
