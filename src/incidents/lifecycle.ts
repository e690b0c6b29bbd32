/**
 * Every status an incident can have and the moves allowed between them. Stores check a move against this
 * table before the conditional write that makes it.
 */
export const transitions = {
  open: ['contained', 'released'],
  contained: ['awaiting-approval', 'approved', 'released', 'closed'],
  'awaiting-approval': ['approved', 'rejected', 'released'],
  approved: ['re-keying'],
  rejected: ['released'],
  're-keying': ['re-keyed'],
  're-keyed': ['deletion-scheduled'],
  'deletion-scheduled': ['closed'],
  released: [],
  closed: [],
} as const satisfies Record<string, readonly string[]>;

export type IncidentStatus = keyof typeof transitions;

export const canMove = (from: IncidentStatus, to: IncidentStatus): boolean =>
  (transitions[from] as readonly IncidentStatus[]).includes(to);

/** Every status from which an incident may move to `to`. */
export const statusesLeadingTo = (to: IncidentStatus): IncidentStatus[] =>
  (Object.keys(transitions) as IncidentStatus[]).filter((from) => canMove(from, to));

/** An incident still being handled: it can move on. Released and closed ones cannot, and take no more decisions. */
export const isActive = (status: IncidentStatus): boolean => transitions[status].length > 0;
