import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EFSClient } from '@aws-sdk/client-efs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { RedshiftClient } from '@aws-sdk/client-redshift';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { documentClient, kmsClients, perRegion, sfnClient } from '../aws/clients';
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
): ServiceReEncrypter[] => [
  new SecretsManagerReEncrypter(perRegion((c) => new SecretsManagerClient(c))),
  new SsmParameterReEncrypter(perRegion((c) => new SSMClient(c))),
  // S3 needs path-style addressing against an emulator (AWS_ENDPOINT_URL); real S3 takes either.
  new S3ReEncrypter(
    perRegion((c) => new S3Client({ ...c, forcePathStyle: Boolean(c.endpoint) })),
    {
      ...(options.s3BatchRoleArn ? { batchOperationsRoleArn: options.s3BatchRoleArn } : {}),
      ...(options.examineObjects === false ? { examineObjects: false } : {}),
    },
  ),
  new DynamoDbTableReEncrypter(perRegion((c) => new DynamoDBClient(c))),
  new LambdaFunctionReEncrypter(perRegion((c) => new LambdaClient(c))),
  new EbsReEncrypter(perRegion((c) => new EC2Client(c))),
  new RdsReEncrypter(perRegion((c) => new RDSClient(c))),
  new EfsReEncrypter(perRegion((c) => new EFSClient(c))),
  new RedshiftReEncrypter(perRegion((c) => new RedshiftClient(c))),
];

/** The re-key steps' deps. */
export const rekeyDeps = (config: Config): RekeyDeps => ({
  ...tellers(config),
  keys: new KeyReplacement(kmsClients()),
  services: reEncrypters({ s3BatchRoleArn: config.rekeyS3BatchRoleArn }),
  settings: {
    settleMinutes: config.rekeySettleMinutes,
    deletionApprovalDays: config.rekeyDeletionApprovalDays,
    trustedAccounts: config.trustedAccounts,
    oldKeyKeptFor: [config.rekeyRoleArn, config.rekeyS3BatchRoleArn].filter((arn): arn is string => Boolean(arn)),
  },
  keyPolicyLock: new DynamoDbKeyPolicyLock(documentClient(), config.incidentTable),
  // Its own wait, when what it waits for was done before the wait began (steps/await-people.ts).
  workflow: new StepFunctionsTaskResumer(sfnClient()),
});

/** The re-key step function's composition root: the names of the workflow's steps, and one step run over its deps. */
export const rekeyStepRunner = (config: Config) => {
  const deps = rekeyDeps(config);
  return { stepNames, run: (input: { step: string } & Record<string, unknown>) => runRekeyStep(input, deps) };
};
