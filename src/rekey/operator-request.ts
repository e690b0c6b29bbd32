import type { Decision, Incident } from '../incidents/incident';
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

/**
 * A key of a story re-keyed with it: an incident of its own (a re-key run is one key's, recorded on one incident),
 * approved by the person who approved the story's re-key, naming the story it is part of. Its id comes from the story
 * and the key, so the executor run again finds the same one. Refused when another active incident re-keys the key.
 */
export const storyRekeyIncident = async (
  incidents: IncidentStore,
  story: Pick<Incident, 'id'>,
  keyArn: string,
  decided: Pick<Decision, 'by' | 'channel'>,
  now: Date,
): Promise<{ incident: Incident } | { refused: string }> => {
  const { by, channel } = decided;
  const at = now.toISOString();
  let opened: Incident;
  try {
    opened = await openOperatorIncident(
      incidents,
      {
        keyArn,
        by,
        detector: 'operator-rekey',
        title: `Re-key of a key the attack of ${story.id} touched`,
        summary: `${by} approved re-keying ${keyArn} with incident ${story.id}`,
        plan: [],
        requestId: `${story.id}:rekey:${keyArn}`,
        parentId: story.id,
      },
      now,
    );
  } catch (error) {
    return { refused: (error as Error).message };
  }
  if (opened.status === 'open') opened = await incidents.recordContainment(opened.id, [], at);
  if (opened.status === 'contained')
    opened = await incidents.decide(opened.id, 'approved', { action: 'approve-rekey', by, channel, at });
  return { incident: opened };
};
