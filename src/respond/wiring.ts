import { documentClient, iamClient, kmsClients, sqsClient } from '../aws/clients';
import { DynamoDbDetectionMemory } from '../aws/dynamodb-detection-memory';
import { DynamoDbCircuitBreaker } from '../aws/dynamodb-circuit-breaker';
import { DynamoDbKeyPolicyJournal, DynamoDbKeySettingsJournal, DynamoDbKeyStateJournal } from '../aws/dynamodb-key-journals';
import { IamPrincipals } from '../aws/iam-principals';
import { KmsKeys } from '../aws/kms-keys';
import { SqsDeadLetters } from '../aws/sqs-dead-letters';
import { DynamoDbKeyPolicyLock, DynamoDbPolicyTexts } from '../aws/dynamodb-policy-texts';
import type { ActionDeps } from '../actions/action';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';
import { tellers } from '../notify/wiring';
import type { ResponderDeps } from './respond-to-signals';

/** What every function that runs containment actions needs: KMS, IAM, policy texts kept apart, the key-policy lease. */
export const actionAdapters = (config: Config, documents: DynamoDBDocumentClient): ActionDeps => ({
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
    memory: new DynamoDbDetectionMemory(documents, config.incidentTable, config.detectionMemoryDays),
    settings: {
      keyAdministrators: config.keyAdministrators,
      trustedAccounts: config.trustedAccounts,
      thresholds: config.thresholds,
      responderRoles: config.responderRoles,
      accountId: config.accountId,
      unknownPriorKeyState: config.unknownPriorKeyState,
      defaultMode: config.defaultMode,
      protectedKeys: config.protectedKeys,
      dryRun: config.dryRun,
      disableKeysPerHour: config.disableKeysPerHour,
      revokesPerSecond: config.revokesPerSecond,
    },
  };
  return { deps, deadLetters: new SqsDeadLetters(sqsClient(), config.deadLetterQueueUrl) };
};
