import type { Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';
import { openOperatorIncident } from '../incidents/operator-incident';

/**
 * Re-keying asked for by a person (the CLI) rather than by an incident's approval: an incident of its own,
 * approved by them, so the run records its progress, decisions and timeline the same way.
 */
export const operatorRekeyIncident = async (
  incidents: IncidentStore,
  keyArn: string,
  by: string,
  now: Date,
): Promise<Incident> => {
  const at = now.toISOString();
  const opened = await openOperatorIncident(
    incidents,
    {
      keyArn,
      by,
      detector: 'operator-rekey',
      title: 'Re-key requested by an operator',
      summary: `${by} asked to re-key ${keyArn}`,
      plan: [],
    },
    now,
  );
  await incidents.recordContainment(opened.id, [], at);
  return incidents.decide(opened.id, 'approved', { action: 'approve-rekey', by, channel: 'cli', at });
};
