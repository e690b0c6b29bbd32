import { documentClient, secretsClient, selfInvokeClient, sfnClient } from '../aws/clients';
import { CachedSecret } from '../aws/cached-secret';
import { DynamoDbAuditLog } from '../aws/dynamodb-audit-log';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import { DynamoDbNonceStore } from '../aws/dynamodb-nonce-store';
import { LambdaSelfInvoke } from '../aws/lambda-self-invoke';
import { StepFunctionsRekeyWorkflow } from '../aws/step-functions-rekey';
import type { ApprovalDeps, DecisionDeps } from '../approvals/decide';
import { rekeyNotConfigured } from '../approvals/ports';
import { approvalRoute } from '../approvals/route';
import { completeSealedPress, handleSlackAction, type SlackDeps } from '../approvals/slack-actions';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { actionAdapters } from './responder';
import { tellers } from './tellers';

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

/**
 * Decisions made from the CLI: the same adapters as the endpoint, without tokens (the operator's AWS identity decides).
 */
export const operatorDecisionDeps = (config: Config, documents = documentClient()): DecisionDeps => ({
  // SNS, Slack and links, like the responders: people hear of every decision.
  ...tellers(config, documents),
  ...actionAdapters(config, documents),
  incidents: new DynamoDbIncidentStore(documents, config.incidentTable, config.incidentRetentionDays),
  audit: new DynamoDbAuditLog(documents, config.incidentTable, config.incidentRetentionDays),
  rekey: config.rekeyStateMachineArn
    ? new StepFunctionsRekeyWorkflow(sfnClient(), config.rekeyStateMachineArn)
    : rekeyNotConfigured,
  deletionWindowDays: config.rekeyDeletionWindowDays,
});

/** The approval endpoint's deps: the decision deps, plus what signed, single-use links need. */
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

/**
 * The approval function's composition root: links, the decisions they make, and Slack button presses. In Lambda
 * (`selfFunctionName` set), a Slack press is answered at once and decided by an asynchronous invocation of itself.
 */
export const approvalEndpoint = (config: Config, selfFunctionName?: string) => {
  const deps = approvalDeps(config);
  const slack = slackDeps(config, deps, selfFunctionName);
  return approvalRoute(deps, slack && { action: handleSlackAction(slack), complete: completeSealedPress(slack) });
};
