import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ActionDeps } from '../actions/action';
import type { PrincipalOperations } from '../actions/ports';
import { clientSettings, type ClientSettings } from '../aws/client-settings';
import { DynamoDbCircuitBreaker } from '../aws/dynamodb-circuit-breaker';
import { documentClient } from '../aws/dynamodb-client';
import { DynamoDbDetectionMemory } from '../aws/dynamodb-detection-memory';
import {
  DynamoDbKeyPolicyJournal,
  DynamoDbKeySettingsJournal,
  DynamoDbKeyStateJournal,
} from '../aws/dynamodb-key-journals';
import { DynamoDbKeyPolicyLock, DynamoDbPolicyTexts } from '../aws/dynamodb-policy-texts';
import type { Config } from '../config';
import type { DeadLetters } from '../middleware/parse-event';
import { respondToKmsApiCall, respondToKmsApiCalls } from '../respond/respond-to-kms-api-call';
import { respondToSecurityFinding } from '../respond/respond-to-security-finding';
import { respondToActivityBatch } from '../respond/respond-to-activity-batch';
import type { KeyUsageHistory, RekeyPlanner, ResponderDeps } from '../respond/responder-deps';
import { onFirstUse, type MethodsOf } from './on-first-use';
import { memberAccess, type MemberAccess } from './organization';
import { tellers } from './tellers';
import { PowertoolsResponseMetrics } from '../aws/powertools-metrics';

/** The event the security-finding function accepts (GuardDuty findings, Config compliance changes). */
export { securityFindingEventSchema } from '../respond/respond-to-security-finding';

/** The adapters the actions run through: the responders also read a key's aliases. */
export interface ActionAdapters extends ActionDeps {
  kms: ResponderDeps['kms'];
  iam: PrincipalOperations;
}

const keyOperations: MethodsOf<ActionAdapters['kms']> = {
  status: true,
  cancelKeyDeletion: true,
  enableKey: true,
  disableKey: true,
  tags: true,
  tagKey: true,
  untagKey: true,
  rotationEnabled: true,
  enableKeyRotation: true,
  disableKeyRotation: true,
  keyPolicy: true,
  putKeyPolicy: true,
  grants: true,
  revokeGrant: true,
  createGrant: true,
  aliases: true,
};

const principalOperations: MethodsOf<PrincipalOperations> = {
  arnOf: true,
  inlinePolicy: true,
  putInlinePolicy: true,
  deleteInlinePolicy: true,
  userHasManagedPolicy: true,
  attachUserPolicy: true,
  detachUserPolicy: true,
  activeAccessKeys: true,
  setAccessKeyStatus: true,
};

const keysActingAs = (settingsIn: (account: string | undefined) => ClientSettings) =>
  onFirstUse(keyOperations, async () => {
    const [{ KmsKeys }, { kmsClientsIn }] = await Promise.all([import('../aws/kms-keys'), import('../aws/kms-client')]);
    return new KmsKeys(kmsClientsIn(settingsIn));
  });

const principalsActingAs = (settings: ClientSettings) =>
  onFirstUse(principalOperations, async () => {
    const [{ IamPrincipals }, { iamClient }] = await Promise.all([
      import('../aws/iam-principals'),
      import('../aws/iam-client'),
    ]);
    return new IamPrincipals(iamClient(settings));
  });

/** Incidents whose adapters are kept: an invocation acts for one or a few. */
const incidentsKept = 20;

/**
 * What every function that runs containment actions needs: KMS, IAM, policy texts kept apart, the key-policy lease.
 * KMS and IAM (their adapters and clients) are loaded when an action first calls them: most invocations of a
 * responder contain nothing. In an organization (`access`), KMS calls go to the key's own account and IAM calls to the
 * principal's, through sessions of the member role named after the incident they are for.
 */
export const actionAdapters = (
  config: Config,
  documents: DynamoDBDocumentClient,
  settings: ClientSettings = clientSettings(),
  access: MemberAccess | undefined = memberAccess(config, settings),
): ActionAdapters => {
  const shared = {
    policyTexts: new DynamoDbPolicyTexts(documents, config.incidentTable, config.incidentRetentionDays),
    keyPolicyLock: new DynamoDbKeyPolicyLock(documents, config.incidentTable),
  };
  if (!access) return { kms: keysActingAs(() => settings), iam: principalsActingAs(settings), ...shared };
  const actingAs = (purpose: string): ActionAdapters => {
    const principals = new Map<string, PrincipalOperations>();
    return {
      kms: keysActingAs((account) => access.settingsIn(account, purpose)),
      iam: principalsActingAs(settings),
      principalsIn: (account) => {
        let found = principals.get(account);
        if (!found) principals.set(account, (found = principalsActingAs(access.settingsIn(account, purpose))));
        return found;
      },
      ...shared,
    };
  };
  const forIncident = new Map<string, ActionAdapters>();
  return {
    ...actingAs('responder'),
    forIncident: (incidentId) => {
      let adapters = forIncident.get(incidentId);
      if (!adapters) {
        if (forIncident.size >= incidentsKept) forIncident.delete(forIncident.keys().next().value!);
        forIncident.set(incidentId, (adapters = actingAs(incidentId)));
      }
      return adapters;
    },
  };
};

/**
 * The responders' composition root: adapters over clients, settings from the validated config. DynamoDB's adapters
 * are built at once; the others when first used.
 */
export const responderDeps = (config: Config, settings: ClientSettings = clientSettings()) => {
  const documents = documentClient(settings);
  const access = memberAccess(config, settings);
  const deps: ResponderDeps = {
    ...tellers(config, documents, settings),
    ...actionAdapters(config, documents, settings, access),
    ...(access ? { organization: { directory: access.directory, memberRoleArn: access.memberRoleArn } } : {}),
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
      trustedOrganizations: config.trustedOrganizations,
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
  const { rekeyPlanFunction } = config;
  if (rekeyPlanFunction)
    deps.rekeyPlanner = onFirstUse<RekeyPlanner>({ request: true }, async () => {
      const [{ LambdaRekeyPlanner }, { lambdaClient }] = await Promise.all([
        import('../aws/lambda-rekey-planner'),
        import('../aws/lambda-client'),
      ]);
      return new LambdaRekeyPlanner(async () => lambdaClient(settings), rekeyPlanFunction);
    });
  const deadLetters = onFirstUse<DeadLetters>({ keep: true }, async () => {
    const [{ SqsDeadLetters }, { sqsClient }] = await Promise.all([
      import('../aws/sqs-dead-letters'),
      import('../aws/sqs-client'),
    ]);
    return new SqsDeadLetters(sqsClient(settings), config.deadLetterQueueUrl);
  });
  return { deps, deadLetters };
};

/** The KMS API call function: the use case over its deps, and where events it cannot read go. */
export const kmsApiCallResponder = (config: Config) => {
  const { deps, deadLetters } = responderDeps(config);
  return { respond: respondToKmsApiCall(deps), deadLetters };
};

/**
 * The activity function's use case over the batches it reads from the activity stream, with the client settings
 * its root read at start (src/composition/activity.ts loads this module with the first batch).
 */
export const activityBatchResponder = (config: Config, settings: ClientSettings) => {
  const { deps, deadLetters } = responderDeps(config, settings);
  return respondToActivityBatch(respondToKmsApiCalls(deps), deadLetters, deps.logger);
};

/**
 * The security-finding function: as the responders, and only it asks CloudTrail which keys a leaked credential used.
 */
export const securityFindingResponder = (config: Config) => {
  const settings = clientSettings();
  const { deps: responder, deadLetters } = responderDeps(config, settings);
  const deps = config.cloudTrailLookup
    ? {
        ...responder,
        keyUsage: onFirstUse<KeyUsageHistory>({ keysUsedBy: true }, async () => {
          const [{ CloudTrailKeyUsage }, { cloudTrailClient }] = await Promise.all([
            import('../aws/cloudtrail-key-usage'),
            import('../aws/cloudtrail-client'),
          ]);
          return new CloudTrailKeyUsage(cloudTrailClient(settings));
        }),
      }
    : responder;
  return { respond: respondToSecurityFinding(deps), deadLetters };
};
