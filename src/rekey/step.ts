import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { TaskResumer } from './waiting';
import type { IncidentStore } from '../incidents/incident-store';
import type { KeyPolicyLock } from '../state/policy-texts';
import type { TellDeps } from '../notify/tell-people';
import type { KeySnapshot } from './key-snapshot';
import type { ReplicaSnapshot } from '../incidents/key-snapshot';
import type { ProtectedResource, ServiceName, ServiceReEncrypter } from './protected-resource';

/** What a run is about; the workflow carries it from state to state. */
export const rekeyRunSchema = z.object({
  incidentId: z.string().min(1),
  keyArn: z.string().startsWith('arn:'),
  /** 7 to 30: KMS's limits for ScheduleKeyDeletion. */
  pendingWindowDays: z.number().int().min(7, "7 to 30 (KMS's limits)").max(30, "7 to 30 (KMS's limits)"),
  startedBy: z.string(),
});
export type RekeyRun = z.output<typeof rekeyRunSchema>;

/** The old key as the snapshot step read it, passed on by the workflow to the steps after it. */
export const keySnapshotSchema = z.object({
  keyArn: z.string().startsWith('arn:'),
  region: z.string().min(1),
  policy: z.string(),
  tags: z.record(z.string(), z.string()),
  description: z.string(),
  keySpec: z.string(),
  keyUsage: z.string(),
  origin: z.string(),
  multiRegion: z.boolean(),
  rotationEnabled: z.boolean(),
  aliases: z.array(z.string()),
  state: z.string(),
  primaryKeyArn: z.string().startsWith('arn:').optional(),
  replicas: z
    .array(
      z.object({
        keyArn: z.string().startsWith('arn:'),
        region: z.string().min(1),
        description: z.string(),
        tags: z.record(z.string(), z.string()),
        aliases: z.array(z.string()),
      }),
    )
    .optional(),
}) satisfies z.ZodType<KeySnapshot>;

/** The replacement key as create-replacement returned it. */
export const replacementSchema = z.object({ keyArn: z.string().startsWith('arn:') });

const serviceNames = [
  'secretsmanager',
  'ssm',
  's3',
  'dynamodb',
  'lambda',
  'ebs',
  'rds',
  'efs',
  'redshift',
] as const satisfies readonly ServiceName[];

export const protectedResourceSchema = z.object({
  service: z.enum(serviceNames),
  kind: z.string(),
  id: z.string().min(1),
  region: z.string().min(1),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
}) satisfies z.ZodType<ProtectedResource>;

/** The inputs the Task states hand over (rekey-workflow.asl.json's Parameters), one shape per set of fields. */
export const stepInputs = {
  run: z.object({ run: rekeyRunSchema }),
  runAndSnapshot: z.object({ run: rekeyRunSchema, snapshot: keySnapshotSchema }),
  runAndReplacement: z.object({ run: rekeyRunSchema, replacement: replacementSchema }),
  runSnapshotAndReplacement: z.object({
    run: rekeyRunSchema,
    snapshot: keySnapshotSchema,
    replacement: replacementSchema,
  }),
} as const;

/** The KMS calls re-keying makes (src/aws/rekey/kms-replacement.ts). */
export interface KeyReplacementPort {
  snapshot(keyArn: string): Promise<KeySnapshot>;
  createReplacement(snapshot: KeySnapshot, tags: Record<string, string>): Promise<string>;
  /**
   * The replacement's replica in `replica.region` (a multi-Region replacement), made with ReplicateKey if it has none
   * there yet; its ARN either way.
   */
  ensureReplica(
    replacementArn: string,
    replica: ReplicaSnapshot,
    policy: string,
    tags: Record<string, string>,
  ): Promise<string>;
  findKeyTagged(region: string, wanted: Record<string, string>): Promise<string | undefined>;
  ensureRotation(keyArn: string, keySpec: string): Promise<void>;
  retargetAlias(alias: string, keyArn: string): Promise<void>;
  state(keyArn: string): Promise<{ state: string; deletionDate: string | undefined }>;
  keyPolicy(keyArn: string): Promise<string>;
  putKeyPolicy(keyArn: string, policy: string): Promise<void>;
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
  /**
   * The roles re-keying runs as (its own, S3 Batch Operations'): during re-keying the old key refuses every use to
   * everyone else. Empty (a run in a person's own process): the old key is not shut, and people are told so.
   */
  oldKeyKeptFor?: readonly string[];
}

export interface RekeyDeps extends TellDeps {
  incidents: IncidentStore;
  keys: KeyReplacementPort;
  /** Every service re-keying moves, in the order their resources are re-encrypted. */
  services: readonly ServiceReEncrypter[];
  settings: RekeySettings;
  /** Serializes changes to a key's policy with containment's (deny statements added while re-keying runs). */
  keyPolicyLock: KeyPolicyLock;
  /** Resumes the execution's own wait when what it waits for was done before the wait began (steps/await-people). */
  workflow: TaskResumer;
  logger: Logger;
  now: () => Date;
}

/**
 * One state of the workflow: a small idempotent function of its input and the incident's recorded progress. Its
 * input is parsed with `input` where the state machine hands it over (runRekeyStep), so `run` gets it typed; a
 * malformed one is a MalformedRekeyStepInputError, never retried.
 */
export interface RekeyStep<S extends z.ZodType, O> {
  name: string;
  input: S;
  run: (input: z.output<S>, deps: RekeyDeps) => Promise<O>;
}

export const resourceKeyOf = (resource: { service: string; region: string; id: string; kind?: string }): string =>
  `${resource.service}:${resource.region}:${resource.kind ? `${resource.kind}:` : ''}${resource.id}`;
