import type { Severity, Signal } from '../detections/detection';
import { groupOf, incidentBounds, incidentIdFor, signalIdOf } from '../incidents/incident';
import {
  activityOf,
  afterWindow,
  storySeverity,
  widen,
  windowOf,
  withinWindow,
  type StoryStep,
  type StoryWindow,
} from '../incidents/story';

/** A story as a backtest shows it: who, when, how severe and why, which detectors and keys. */
export interface ReplayStory {
  /** The id the live path would give its incident (the opening signal's). */
  id: string;
  principalArn: string;
  from: string;
  to: string;
  severity: Severity;
  severityReason: string | null;
  signals: number;
  detectors: string[];
  keys: string[];
}

interface OpenStory {
  id: string;
  group: string;
  principalArn: string;
  window: StoryWindow;
  from: string;
  to: string;
  steps: StoryStep[];
  signalIds: Set<string>;
}

/**
 * Replay's stories, grouped as the responder groups incidents (incidents/story: the principal, the correlation window
 * on event time, the bound on signals an incident takes), in memory. Stories whose window has passed the replay's
 * watermark are handed out and forgotten, so memory holds only the stories still open.
 */
export class StoryBook {
  /** Group -> the story holding it. */
  private readonly holders = new Map<string, OpenStory>();
  /** Stories that hold no group (a late event's), until they close. */
  private readonly apart: OpenStory[] = [];

  constructor(private readonly windowHours: number) {}

  /** Files the signal in its story and returns the story's id; a signal filed before keeps its story's. */
  add(signal: Signal): string {
    const group = groupOf(signal);
    const activity = activityOf(signal);
    const signalId = signalIdOf(signal);
    const step: StoryStep = {
      detector: signal.detector,
      severity: signal.severity,
      at: activity.from,
      keyArn: signal.keyArn,
    };
    const holder = this.holders.get(group);
    const known = [holder, ...this.apart].find((story) => story?.signalIds.has(signalId));
    if (known) return known.id;
    if (holder && withinWindow(holder.window, activity) && holder.steps.length < incidentBounds.maxSignalsPerIncident) {
      holder.steps.push(step);
      holder.signalIds.add(signalId);
      holder.window = widen(holder.window, activity, this.windowHours);
      if (activity.from < holder.from) holder.from = activity.from;
      if (activity.to > holder.to) holder.to = activity.to;
      return holder.id;
    }
    const story: OpenStory = {
      id: incidentIdFor(signal),
      group,
      principalArn: signal.principal.arn,
      window: windowOf(activity, this.windowHours),
      from: activity.from,
      to: activity.to,
      steps: [step],
      signalIds: new Set([signalId]),
    };
    // A late event, before the story that holds the group, is a story of its own; the group stays with that one.
    const late =
      holder !== undefined && !withinWindow(holder.window, activity) && !afterWindow(holder.window, activity);
    if (late) this.apart.push(story);
    else {
      if (holder) this.apart.push(holder);
      this.holders.set(group, story);
    }
    return story.id;
  }

  /** The stories no later signal can join (their window ends before `watermark`), handed out once. */
  closed(watermark: string): ReplayStory[] {
    const done: ReplayStory[] = [];
    for (const [group, story] of this.holders)
      if (story.window.until < watermark) {
        this.holders.delete(group);
        done.push(shown(story));
      }
    for (let i = this.apart.length - 1; i >= 0; i -= 1)
      if (this.apart[i]!.window.until < watermark) done.push(shown(this.apart.splice(i, 1)[0]!));
    return done.sort((a, b) => a.from.localeCompare(b.from));
  }

  /** Every story still open, at the end of the replay. */
  rest(): ReplayStory[] {
    const left = [...this.holders.values(), ...this.apart].map(shown);
    this.holders.clear();
    this.apart.length = 0;
    return left.sort((a, b) => a.from.localeCompare(b.from));
  }
}

const shown = (story: OpenStory): ReplayStory => {
  const { severity, reason } = storySeverity(story.steps);
  return {
    id: story.id,
    principalArn: story.principalArn,
    from: story.from,
    to: story.to,
    severity,
    severityReason: reason ?? null,
    signals: story.steps.length,
    detectors: [...new Set(story.steps.map((step) => step.detector))],
    keys: [...new Set(story.steps.flatMap((step) => (step.keyArn ? [step.keyArn] : [])))],
  };
};
