import { LambdaRekeyPlanner } from '../aws/lambda-rekey-planner';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActionDeps } from '../actions/action';
import { clientSettings, cloudTrailClient, documentClient, iamClient, kmsClients, sqsClient } from '../aws/clients';
import { CloudTrailKeyUsage } from '../aws/cloudtrail-key-usage';
import { DynamoDbCircuitBreaker } from '../aws/dynamodb-circuit-breaker';
import { DynamoDbDetectionMemory } from '../aws/dynamodb-detection-memory';
import {
  DynamoDbKeyPolicyJournal,
  DynamoDbKeySettingsJournal,
  DynamoDbKeyStateJournal,
} from '../aws/dynamodb-key-journals';
import { DynamoDbKeyPolicyLock, DynamoDbPolicyTexts } from '../aws/dynamodb-policy-texts';
import { IamPrincipals } from '../aws/iam-principals';
import { KmsKeys } from '../aws/kms-keys';
import { SqsDeadLetters } from '../aws/sqs-dead-letters';
import type { Config } from '../config';
import { respondToKmsApiCall, respondToKmsApiCalls } from '../respond/respond-to-kms-api-call';
import { respondToSecurityFinding } from '../respond/respond-to-security-finding';
import { respondToActivityBatch } from '../respond/respond-to-activity-batch';
import type { ResponderDeps } from '../respond/responder-deps';
import { tellers } from './tellers';
import { PowertoolsResponseMetrics } from '../aws/powertools-metrics';

/** The event the security-finding function accepts (GuardDuty findings, Config compliance changes). */
export { securityFindingEventSchema } from '../respond/respond-to-security-finding';

/** The adapters the actions run through, as the concrete classes: the responders also read a key's aliases. */
export interface ActionAdapters extends ActionDeps {
  kms: KmsKeys;
  iam: IamPrincipals;
}

/** What every function that runs containment actions needs: KMS, IAM, policy texts kept apart, the key-policy lease. */
export const actionAdapters = (config: Config, documents: DynamoDBDocumentClient): ActionAdapters => ({
  kms: new KmsKeys(kmsClients()),
  iam: new IamPrincipals(iamClient()),
  policyTexts: new DynamoDbPolicyTexts(documents, config.incidentTable, config.incidentRetentionDays),
  keyPolicyLock: new DynamoDbKeyPolicyLock(documents, config.incidentTable),
});

/** The responders' composition root: adapters over clients, settings from the validated config. */
export const responderDeps = (config: Config) => {
  const documents = documentClient();
  const deps: ResponderDeps = {
    ...tellers(config, documents),
    ...actionAdapters(config, documents),
    keyStates: new DynamoDbKeyStateJournal(documents, config.incidentTable),
    keyPolicies: new DynamoDbKeyPolicyJournal(documents, config.incidentTable),
    keySettings: {
      administrators: new DynamoDbKeySettingsJournal(documents, config.incidentTable, 'administrators'),
      others: new DynamoDbKeySettingsJournal(documents, config.incidentTable, 'others'),
    },
    breaker: new DynamoDbCircuitBreaker(documents, config.incidentTable, config.disableKeysPerHour),
    // In Lambda only: elsewhere (the CLI, the demo) the embedded-metric lines would be noise on stdout.
    ...(process.env.AWS_LAMBDA_FUNCTION_NAME ? { metrics: new PowertoolsResponseMetrics() } : {}),
    memory: new DynamoDbDetectionMemory(documents, config.incidentTable, config.detectionMemoryDays),
    settings: {
      keyAdministrators: config.keyAdministrators,
      trustedAccounts: config.trustedAccounts,
      thresholds: config.thresholds,
      responderRoles: config.responderRoles,
      breakGlass: config.breakGlassPrincipals,
      accountId: config.accountId,
      unknownPriorKeyState: config.unknownPriorKeyState,
      defaultMode: config.defaultMode,
      protectedKeys: config.protectedKeys,
      dryRun: config.dryRun,
      disableKeysPerHour: config.disableKeysPerHour,
      revokesPerSecond: config.revokesPerSecond,
    },
  };
  if (config.rekeyPlanFunction)
    deps.rekeyPlanner = new LambdaRekeyPlanner(
      // Loaded when first needed (a dynamic import esbuild keeps lazy), not when a responder starts.
      async () => new (await import('@aws-sdk/client-lambda')).LambdaClient(clientSettings()),
      config.rekeyPlanFunction,
    );
  return { deps, deadLetters: new SqsDeadLetters(sqsClient(), config.deadLetterQueueUrl) };
};

/** The KMS API call function: the use case over its deps, and where events it cannot read go. */
export const kmsApiCallResponder = (config: Config) => {
  const { deps, deadLetters } = responderDeps(config);
  return { respond: respondToKmsApiCall(deps), deadLetters };
};

/** The activity function: the same use case over the batches it reads from the activity stream. */
export const kmsActivityResponder = (config: Config) => {
  const { deps, deadLetters } = responderDeps(config);
  return { respond: respondToActivityBatch(respondToKmsApiCalls(deps), deadLetters, deps.logger) };
};

/**
 * The security-finding function: as the responders, and only it asks CloudTrail which keys a leaked credential used.
 */
export const securityFindingResponder = (config: Config) => {
  const { deps: responder, deadLetters } = responderDeps(config);
  const deps = config.cloudTrailLookup
    ? { ...responder, keyUsage: new CloudTrailKeyUsage(cloudTrailClient()) }
    : responder;
  return { respond: respondToSecurityFinding(deps), deadLetters };
};
