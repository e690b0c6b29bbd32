import type { ActionResult } from '../actions/action';
import type { Severity } from '../detections/detection';
import type { Decision, SignalEntry } from './incident';

/** How many steps ended each way, e.g. "2 applied, 1 not-run". */
const tally = (results: readonly ActionResult[]): string => {
  const counts = new Map<string, number>();
  for (const result of results) counts.set(result.outcome, (counts.get(result.outcome) ?? 0) + 1);
  return counts.size === 0 ? 'no steps' : [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(', ');
};

/** The lines incident stores add to an incident's timeline, one per kind of change. */
export const containmentNote = (results: readonly ActionResult[]): string => `containment ran: ${tally(results)}`;

export const attachNote = (
  entry: SignalEntry,
  steps: number,
  raised?: { from: Severity; to: Severity; reason?: string | undefined },
): string =>
  `signal attached: ${entry.detector} (${entry.eventName} ${entry.eventId}) with ${steps} step${steps === 1 ? '' : 's'}` +
  (raised && raised.to !== raised.from
    ? `; severity raised from ${raised.from} to ${raised.to}${raised.reason ? ` (${raised.reason})` : ''}`
    : '');

export const decisionNote = (decision: Decision): string =>
  `${decision.action} by ${decision.by} via ${decision.channel}`;
