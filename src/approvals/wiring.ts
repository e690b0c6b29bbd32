import { documentClient, secretsClient, selfInvokeClient, sfnClient } from '../aws/clients';
import { LambdaSelfInvoke } from '../aws/lambda-self-invoke';
import { CachedSecret } from '../aws/cached-secret';
import { DynamoDbAuditLog } from '../aws/dynamodb-audit-log';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import { DynamoDbNonceStore } from '../aws/dynamodb-nonce-store';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import type { ApprovalDeps, DecisionDeps } from './decide';
import type { SlackDeps } from './slack-actions';
import { rekeyNotConfigured } from './ports';
import { StepFunctionsRekeyWorkflow } from '../aws/step-functions-rekey';
import { tellers } from '../notify/wiring';
import { actionAdapters } from '../respond/wiring';

/**
 * Slack interactivity's deps, when a signing secret is configured. `selfFunctionName`: the deployed function's own
 * name (AWS_LAMBDA_FUNCTION_NAME), to hand presses to itself; without it (local runs) a press is decided at once.
 */
export const slackDeps = (config: Config, approval: ApprovalDeps, selfFunctionName?: string): SlackDeps | undefined =>
  config.slackSigningSecretArn
    ? {
        ...approval,
        slackInteractivity: {
          signingSecret: new CachedSecret(secretsClient(), config.slackSigningSecretArn, { minimumBytes: 16 }),
          approvers: config.slackApprovers,
          ...(selfFunctionName ? { later: new LambdaSelfInvoke(selfInvokeClient(), selfFunctionName) } : {}),
        },
      }
    : undefined;

/** Decisions made from the CLI: the same adapters as the endpoint, without tokens (the operator's AWS identity decides). */
export const operatorDecisionDeps = (config: Config, documents = documentClient()): DecisionDeps => ({
  // SNS, Slack and links, like the responders: people hear of every decision.
  ...tellers(config, documents),
  ...actionAdapters(config, documents),
  incidents: new DynamoDbIncidentStore(documents, config.incidentTable, config.incidentRetentionDays),
  audit: new DynamoDbAuditLog(documents, config.incidentTable, config.incidentRetentionDays),
  rekey: config.rekeyStateMachineArn ? new StepFunctionsRekeyWorkflow(sfnClient(), config.rekeyStateMachineArn) : rekeyNotConfigured,
  deletionWindowDays: config.rekeyDeletionWindowDays,
});

/** The approval endpoint's composition root: the decision deps, plus what signed, single-use links need. */
export const approvalDeps = (config: Config): ApprovalDeps => {
  if (!config.approvalSecretArn) throw new ConfigError('APPROVAL_SECRET_ARN', 'is not set');
  const documents = documentClient();
  return {
    ...operatorDecisionDeps(config, documents),
    nonces: new DynamoDbNonceStore(documents, config.incidentTable),
    secret: new CachedSecret(secretsClient(), config.approvalSecretArn),
    tokenTtlSeconds: config.approvalTokenHours * 3600,
  };
};
