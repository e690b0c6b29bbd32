import { createHash } from 'node:crypto';
import type { ActionResult } from '../actions/action';
import type { PlannedAction } from '../actions';
import type { Signal } from '../detectors/detector';
import type { KeyFacts } from '../policy/key-facts';
import type { PriorKeyState } from '../policy/prior-key-state';
import type { IncidentStatus } from './lifecycle';

export interface Decision {
  action: string;
  by: string;
  channel: 'approval-link' | 'slack' | 'cli';
  at: string;
  results?: ActionResult[];
}

export interface Incident {
  id: string;
  status: IncidentStatus;
  createdAt: string;
  updatedAt: string;
  keyArn: string | undefined;
  signal: Signal;
  priorKeyState: PriorKeyState;
  /** The key's mode and protection when the plan was made. */
  keyMode?: KeyFacts;
  /** Planned and recorded, not applied. */
  dryRun?: boolean;
  plan: PlannedAction[];
  /** One per plan step, in plan order, once containment ran. */
  results?: ActionResult[];
  /** Deliveries of the signal after the first (redeliveries, GuardDuty re-publications), and the latest one. */
  occurrences?: number;
  lastSeenAt?: string;
  lastEvidence?: Record<string, unknown>;
  /** What people decided, in order: who, when, through which channel, and what it did. */
  decisions?: Decision[];
  remindedAt?: string;
  notifiedAt?: string;
  /** The status people were last told about: a change of status is worth a new message, a redelivery is not. */
  notifiedStatus?: IncidentStatus;
  notificationId?: string;
  /** Epoch seconds: DynamoDB's TTL removes the record after this. */
  expiresAt: number;
}

/** EventBridge delivers at least once: the same source event always names the same incident. */
export const incidentIdFor = (signal: Pick<Signal, 'detector' | 'source'>): string => {
  const digest = createHash('sha256').update(`${signal.detector}\n${signal.source.eventId}`).digest('hex');
  return `kw-${signal.source.eventTime.slice(0, 10).replaceAll('-', '')}-${digest.slice(0, 12)}`;
};

export const containmentSucceeded = (results: readonly ActionResult[]): boolean =>
  results.every((result) => result.outcome !== 'failed');
