import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { RedshiftClient } from '@aws-sdk/client-redshift';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientSettings, documentClient, kmsClients, perRegion, sfnClient, type ClientSettings } from '../aws/clients';
import { accountOfKey } from '../events/accounts';
import { memberAccess } from './organization';
import { DynamoDbKeyPolicyLock } from '../aws/dynamodb-policy-texts';
import { StepFunctionsTaskResumer } from '../aws/step-functions-rekey';
import { DynamoDbTableReEncrypter } from '../aws/rekey/dynamodb';
import { EbsReEncrypter } from '../aws/rekey/ebs';
import { EfsReEncrypter } from '../aws/rekey/efs';
import { KeyReplacement } from '../aws/rekey/kms-replacement';
import { LambdaFunctionReEncrypter } from '../aws/rekey/lambda';
import { RdsReEncrypter } from '../aws/rekey/rds';
import { RedshiftReEncrypter } from '../aws/rekey/redshift';
import { S3ReEncrypter } from '../aws/rekey/s3';
import { SecretsManagerReEncrypter } from '../aws/rekey/secrets-manager';
import { SsmParameterReEncrypter } from '../aws/rekey/ssm';
import type { Config } from '../config';
import type { ServiceReEncrypter } from '../rekey/protected-resource';
import type { RekeyDeps } from '../rekey/step';
import { runRekeyStep, stepNames } from '../rekey/steps';
import { tellers } from './tellers';

/** Every service re-keying moves, each with its clients; the order is the order people read them in. */
export const reEncrypters = (
  options: { s3BatchRoleArn?: string | undefined; examineObjects?: boolean } = {},
  settings: ClientSettings = clientSettings(),
): ServiceReEncrypter[] => [
  new SecretsManagerReEncrypter(perRegion((c) => new SecretsManagerClient(c), settings)),
  new SsmParameterReEncrypter(perRegion((c) => new SSMClient(c), settings)),
  // S3 needs path-style addressing against an emulator (AWS_ENDPOINT_URL); real S3 takes either.
  new S3ReEncrypter(
    perRegion((c) => new S3Client({ ...c, forcePathStyle: Boolean(c.endpoint) }), settings),
    {
      ...(options.s3BatchRoleArn ? { batchOperationsRoleArn: options.s3BatchRoleArn } : {}),
      ...(options.examineObjects === false ? { examineObjects: false } : {}),
    },
  ),
  new DynamoDbTableReEncrypter(perRegion((c) => new DynamoDBClient(c), settings)),
  new LambdaFunctionReEncrypter(perRegion((c) => new LambdaClient(c), settings)),
  new EbsReEncrypter(perRegion((c) => new EC2Client(c), settings)),
  new RdsReEncrypter(perRegion((c) => new RDSClient(c), settings)),
  new EfsReEncrypter(perRegion((c) => new EFSClient(c), settings)),
  new RedshiftReEncrypter(perRegion((c) => new RedshiftClient(c), settings)),
];

/**
 * Where re-keying acts: in a member account of the organization, through the member role, whose sessions are then
 * the only ones the old key still serves while re-keying runs; S3 Batch Operations jobs run in the central account
 * only, so a member's buckets are copied object by object.
 */
export interface RekeyActing {
  settings: ClientSettings;
  keptFor: string[];
}

/** The re-key steps' deps: in the central account, or (`acting`) in a member account. */
export const rekeyDeps = (config: Config, acting?: RekeyActing): RekeyDeps => ({
  ...tellers(config),
  keys: new KeyReplacement(kmsClients(acting?.settings)),
  services: acting ? reEncrypters({}, acting.settings) : reEncrypters({ s3BatchRoleArn: config.rekeyS3BatchRoleArn }),
  settings: {
    settleMinutes: config.rekeySettleMinutes,
    deletionApprovalDays: config.rekeyDeletionApprovalDays,
    trustedAccounts: config.trustedAccounts,
    oldKeyKeptFor: acting
      ? acting.keptFor
      : [config.rekeyRoleArn, config.rekeyS3BatchRoleArn].filter((arn): arn is string => Boolean(arn)),
  },
  keyPolicyLock: new DynamoDbKeyPolicyLock(documentClient(), config.incidentTable),
  // Its own wait, when what it waits for was done before the wait began (steps/await-people.ts).
  workflow: new StepFunctionsTaskResumer(sfnClient()),
});

/** Runs kept: a Lambda container serves one execution's steps after another. */
const runsKept = 20;

/**
 * The deps a run's steps act with: the central account's, or, in an organization, those of the account the incident's
 * key belongs to, through sessions of the member role named after the incident. The account is the incident's record
 * of its key, never the step's input (anyone allowed to invoke the step could write that).
 */
export const rekeyDepsOfRun = (config: Config) => {
  const central = rekeyDeps(config);
  const access = memberAccess(config, clientSettings());
  if (!access) return async (): Promise<RekeyDeps> => central;
  const runs = new Map<string, RekeyDeps>();
  return async (incidentId: string | undefined): Promise<RekeyDeps> => {
    if (!incidentId) return central;
    const account = accountOfKey((await central.incidents.head(incidentId))?.keyArn ?? '');
    if (!account || account === access.home) return central;
    let deps = runs.get(incidentId);
    if (!deps) {
      if (runs.size >= runsKept) runs.delete(runs.keys().next().value!);
      runs.set(
        incidentId,
        (deps = rekeyDeps(config, {
          settings: access.settingsIn(account, incidentId),
          keptFor: [access.memberRoleArn(account)],
        })),
      );
    }
    return deps;
  };
};

/** The incident a step's input is about: every step carries its run. */
const incidentOf = (input: Record<string, unknown>): string | undefined => {
  const run = input.run as { incidentId?: unknown } | undefined;
  const id = run?.incidentId ?? input.incidentId;
  return typeof id === 'string' ? id : undefined;
};

/** The re-key step function's composition root: the names of the workflow's steps, and one step run over its deps. */
export const rekeyStepRunner = (config: Config) => {
  const depsOf = rekeyDepsOfRun(config);
  return {
    stepNames,
    run: async (input: { step: string } & Record<string, unknown>) =>
      runRekeyStep(input, await depsOf(incidentOf(input))),
  };
};
