import type { IncidentStore } from '../incidents/incident-store';
import type { RekeyPreview } from '../incidents/incident';
import { plainLine } from '../notify/escape';
import { tellPeople, type TellDeps } from '../notify/tell-people';
import { StateConflictError } from '../errors';
import { notReplaceable } from './key-snapshot';
import { planRekey } from './plan';
import type { ServiceReEncrypter } from './protected-resource';
import type { KeyReplacementPort } from './step';
import { findProtected } from './steps/find-protected';

/** What planning needs: reading the incident and the key, the services' inventories, and telling people. */
export interface PreviewDeps extends TellDeps {
  incidents: Pick<IncidentStore, 'head' | 'recordRekeyPlan' | 'recordSlackMessage'>;
  keys: Pick<KeyReplacementPort, 'snapshot'>;
  /** Read-only inventories (S3 without examining objects). */
  services: readonly ServiceReEncrypter[];
}

/** How many resources the incident keeps in its plan; the rest are counted. */
const linesKept = 40;

/** Statuses in which re-keying may still be approved: a plan is worth making only then. */
const beforeApproval = new Set(['open', 'contained', 'awaiting-approval']);

/**
 * What re-keying the incident's key would do, before anyone approves it: the key read as the run would read it, every
 * service inventoried (read-only; objects in buckets are counted when re-keying runs), each resource with how it moves,
 * whether a person must cut it over and what stays behind. Recorded on the incident (bounded) for the approval page,
 * and people's message is updated quietly. The incident and key come from the record, never from the event.
 */
export const previewRekey = async (incidentId: string, deps: PreviewDeps): Promise<RekeyPreview | undefined> => {
  const head = await deps.incidents.head(incidentId);
  // Once per incident: invoked again (a retry, a second delivery, anyone allowed to invoke it), it lists nothing.
  if (!head?.keyArn || !beforeApproval.has(head.status) || head.rekeyPlan) {
    deps.logger.info('no re-key plan needed', {
      incidentId,
      status: head?.status ?? 'no such incident',
      planned: Boolean(head?.rekeyPlan),
    });
    return undefined;
  }
  const snapshot = await deps.keys.snapshot(head.keyArn);
  const refusal = notReplaceable(snapshot).reasons;
  const found = await findProtected(snapshot, deps);
  const plan = planRekey(snapshot, found);
  const preview: RekeyPreview = {
    at: deps.now().toISOString(),
    ...(refusal.length > 0 ? { refused: refusal } : {}),
    moves: plan.resources.filter((line) => !line.person).length,
    person: plan.resources.filter((line) => line.person).length,
    // Those a person must finish first: they are what the approver most needs to see.
    lines: [...plan.resources]
      .sort((a, b) => Number(b.person) - Number(a.person))
      .slice(0, linesKept)
      .map((line) => ({
        key: plainLine(line.key, 300),
        how: line.how,
        person: line.person,
        stays: line.stays,
      })),
    more: Math.max(0, plan.resources.length - linesKept),
    gaps: Object.fromEntries(Object.entries(found.gaps).map(([service, gap]) => [service, plainLine(gap, 300)])),
    replicaRegions: (snapshot.replicas ?? []).map((replica) => replica.region),
  };
  try {
    const recorded = await deps.incidents.recordRekeyPlan(incidentId, preview);
    await tellPeople(recorded, deps, { quiet: true });
  } catch (error) {
    // Approved (or released) while the services were being listed: the run's own inventory is what counts now.
    if (!(error instanceof StateConflictError)) throw error;
    deps.logger.info('the incident moved on before its re-key plan was recorded', { incidentId });
    return undefined;
  }
  return preview;
};
