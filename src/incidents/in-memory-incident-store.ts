import type { ActionResult } from '../actions/action';
import type { Signal } from '../detectors/detector';
import { StateConflictError } from '../errors';
import { containmentSucceeded, type Decision, type Incident } from './incident';
import { canMove } from './lifecycle';
import type { IncidentStore, OpenResult } from './incident-store';
import type { IncidentStatus } from './lifecycle';

/** The incident store in process memory, with the same conditions as the DynamoDB one (replay, tests). */
export class InMemoryIncidentStore implements IncidentStore {
  readonly incidents = new Map<string, Incident>();

  async open(incident: Incident): Promise<OpenResult> {
    const existing = this.incidents.get(incident.id);
    if (existing) return { created: false, incident: structuredClone(existing) };
    this.incidents.set(incident.id, structuredClone(incident));
    return { created: true, incident };
  }

  async recordContainment(id: string, results: ActionResult[], at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (current?.status !== 'open') throw new StateConflictError(id, current);
    const next: Incident = { ...current, status: containmentSucceeded(results) ? 'contained' : 'open', results, updatedAt: at };
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async markNotified(id: string, status: IncidentStatus, notificationId: string, at: string): Promise<boolean> {
    const current = this.incidents.get(id);
    if (!current || current.notifiedStatus === status) return false;
    this.incidents.set(id, { ...current, notifiedAt: at, notifiedStatus: status, notificationId, updatedAt: at });
    return true;
  }

  async recordRepeat(id: string, signal: Signal, at: string): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current) throw new StateConflictError(id, undefined);
    const next = { ...current, occurrences: (current.occurrences ?? 0) + 1, lastSeenAt: at, lastEvidence: signal.evidence };
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async decide(id: string, to: IncidentStatus, decision: Decision): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current || !canMove(current.status, to)) throw new StateConflictError(id, current);
    const next: Incident = { ...current, status: to, decisions: [...(current.decisions ?? []), decision], updatedAt: decision.at };
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async recordDecision(id: string, decision: Decision): Promise<Incident> {
    const current = this.incidents.get(id);
    if (!current) throw new StateConflictError(id, undefined);
    const next: Incident = { ...current, decisions: [...(current.decisions ?? []), decision], updatedAt: decision.at };
    this.incidents.set(id, next);
    return structuredClone(next);
  }

  async listByStatus(statuses: readonly IncidentStatus[], before: string): Promise<Incident[]> {
    return [...this.incidents.values()].filter((i) => statuses.includes(i.status) && i.updatedAt < before).map((i) => structuredClone(i));
  }

  async listByKey(keyArn: string): Promise<Incident[]> {
    return [...this.incidents.values()]
      .filter((i) => i.keyArn === keyArn)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .map((i) => structuredClone(i));
  }

  async markReminded(id: string, at: string, since: string): Promise<boolean> {
    const current = this.incidents.get(id);
    if (!current || (current.remindedAt !== undefined && current.remindedAt >= since)) return false;
    this.incidents.set(id, { ...current, remindedAt: at });
    return true;
  }

  async get(id: string): Promise<Incident | undefined> {
    const incident = this.incidents.get(id);
    return incident && structuredClone(incident);
  }
}
