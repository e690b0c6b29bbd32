import { describeAction } from '../actions';
import { severityOf, supersededOffers, type Incident } from '../incidents/incident';
import { mitreOf, stageOf, stageTitles } from '../incidents/story';
import { plainLine as line } from './escape';

/** One step of an incident's story, in the order its events happened, with what kms-warden did about it. */
export interface StoryEntry {
  at: string;
  detector: string;
  stage: string | null;
  mitre: readonly string[];
  severity: string;
  keyArn: string | null;
  principalArn: string | null;
  sessionName: string | null;
  accessKeyId: string | null;
  sourceIp: string | null;
  eventName: string;
  eventId: string;
  summary: string;
  /** What kms-warden did about it: each step's type, as people read it, and what became of it. */
  steps: Array<{ type: string; action: string; outcome: string }>;
}

/** The story of an incident: its severity and why, and each signal as a step, in event-time order. */
export const storyOf = (incident: Incident) => {
  const superseded = supersededOffers(incident);
  return {
    severity: severityOf(incident),
    severityReason: incident.severityReason ?? null,
    keys: incident.keys ?? (incident.keyArn ? [incident.keyArn] : []),
    steps: incident.signals
      .map((entry): StoryEntry => {
        const from = entry.planFrom ?? 0;
        // Entries stored before stories have no slice of their own: the first signal had the whole plan then.
        const count = entry.planSteps ?? (entry === incident.signals[0] ? incident.plan.length : 0);
        const stage = stageOf(entry.detector);
        return {
          at: entry.activity?.from ?? entry.eventTime,
          detector: entry.detector,
          stage: stage ? stageTitles[stage] : null,
          mitre: entry.mitre ?? mitreOf(entry.detector),
          severity: entry.severity,
          keyArn: entry.keyArn ?? (entry === incident.signals[0] ? (incident.signal.keyArn ?? null) : null),
          principalArn: entry.principalArn ?? null,
          sessionName: entry.sessionName ?? null,
          accessKeyId: entry.accessKeyId ?? null,
          sourceIp: entry.sourceIp ?? null,
          eventName: entry.eventName,
          eventId: entry.eventId,
          summary: entry.summary,
          steps: incident.plan.slice(from, from + count).map((step, i) => ({
            type: step.type,
            action: describeAction(step),
            outcome: superseded.has(from + i)
              ? 'applied by a later step'
              : (incident.results?.[from + i]?.outcome ?? 'not run'),
          })),
        };
      })
      .sort((a, b) => a.at.localeCompare(b.at)),
  };
};

/** The story as the CLI prints it: one line per step, then what was done, every outside field on one plain line. */
export const storyLines = (incident: Incident): string[] => {
  const story = storyOf(incident);
  return [
    `Story: ${story.steps.length} step${story.steps.length === 1 ? '' : 's'}, severity ${story.severity}${story.severityReason ? ` (${line(story.severityReason)})` : ''}`,
    ...story.steps.flatMap((step) => [
      `  ${step.at}  [${step.mitre.join(', ')}]  ${step.detector}${step.stage ? ` (${step.stage})` : ''}  ${step.severity}`,
      `      ${line(step.eventName)} ${line(step.eventId)}${step.keyArn ? ` on ${line(step.keyArn)}` : ''} from ${line(step.sourceIp ?? 'unknown address')}${step.sessionName ? `, session ${line(step.sessionName)}` : ''}${step.accessKeyId ? `, access key ${line(step.accessKeyId)}` : ''}`,
      `      ${line(step.summary)}`,
      ...step.steps.map((done) => `      -> ${line(done.action)}: ${done.outcome}`),
    ]),
  ];
};
