import type { Incident } from '../../incidents/incident';
import type { RekeyDeps, RekeyRun } from '../step';

/** The run's incident, which must be about the run's key. */
export const incidentOf = async (run: RekeyRun, deps: RekeyDeps): Promise<Incident> => {
  const incident = await deps.incidents.get(run.incidentId);
  if (!incident) throw new Error(`incident ${run.incidentId} does not exist`);
  if (incident.keyArn !== run.keyArn)
    throw new Error(`incident ${run.incidentId} is about ${incident.keyArn ?? 'no key'}, not ${run.keyArn}`);
  return incident;
};
