import type { Logger } from '@aws-lambda-powertools/logger';
import type { IncidentStore } from '../incidents/incident-store';
import type { TellDeps } from '../notify/tell-people';
import type { KeySnapshot } from './key-snapshot';
import type { ServiceReEncrypter } from './protected-resource';

/** What a run is about; the workflow carries it from state to state. */
export interface RekeyRun {
  incidentId: string;
  keyArn: string;
  /** 7 to 30: KMS's limits for ScheduleKeyDeletion. */
  pendingWindowDays: number;
  startedBy: string;
}

/** The KMS calls re-keying makes (src/aws/rekey/kms-replacement.ts). */
export interface KeyReplacementPort {
  snapshot(keyArn: string): Promise<KeySnapshot>;
  createReplacement(snapshot: KeySnapshot, tags: Record<string, string>): Promise<string>;
  findKeyTagged(region: string, wanted: Record<string, string>): Promise<string | undefined>;
  ensureRotation(keyArn: string, keySpec: string): Promise<void>;
  retargetAlias(alias: string, keyArn: string): Promise<void>;
  state(keyArn: string): Promise<{ state: string; deletionDate: string | undefined }>;
  enable(keyArn: string): Promise<void>;
  disable(keyArn: string): Promise<void>;
  lastUsage(keyArn: string): Promise<{ at: string; operation: string; eventId: string | undefined } | null | undefined>;
  scheduleDeletion(keyArn: string, pendingWindowInDays: number): Promise<string>;
}

export interface RekeySettings {
  /** Minutes the old key stays disabled, unused, before verification passes. */
  settleMinutes: number;
  /** Days the second approval (to schedule the deletion) may take before the run stops without deleting. */
  deletionApprovalDays: number;
  /** Accounts a key policy may let in without a person confirming it (the detection setting of the same name). */
  trustedAccounts?: readonly string[];
}

export interface RekeyDeps extends TellDeps {
  incidents: IncidentStore;
  keys: KeyReplacementPort;
  /** Every service re-keying moves, in the order their resources are re-encrypted. */
  services: readonly ServiceReEncrypter[];
  settings: RekeySettings;
  logger: Logger;
  now: () => Date;
}

/** One state of the workflow: a small idempotent function of its input and the incident's recorded progress. */
export interface RekeyStep<I, O> {
  name: string;
  run: (input: I, deps: RekeyDeps) => Promise<O>;
}

export const resourceKeyOf = (resource: { service: string; region: string; id: string; kind?: string }): string =>
  `${resource.service}:${resource.region}:${resource.kind ? `${resource.kind}:` : ''}${resource.id}`;
