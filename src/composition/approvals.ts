import { documentClient, secretsClient, selfInvokeClient, sfnClient } from '../aws/clients';
import { CachedSecret } from '../aws/cached-secret';
import { DynamoDbAuditLog } from '../aws/dynamodb-audit-log';
import { DynamoDbIncidentStore } from '../aws/dynamodb-incident-store';
import { DynamoDbNonceStore } from '../aws/dynamodb-nonce-store';
import { LambdaDecisionExecutor } from '../aws/lambda-decision-executor';
import { StepFunctionsRekeyWorkflow } from '../aws/step-functions-rekey';
import type { ApprovalDeps, DecisionDeps, DecisionExecutor, RecordDeps } from '../approvals/decide';
import { InProcessExecutor } from '../approvals/in-process-executor';
import { rekeyNotConfigured, type RekeyWorkflow } from '../approvals/ports';
import { approvalRoute } from '../approvals/route';
import { handleSlackAction, type SlackDeps } from '../approvals/slack-actions';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import { logger } from '../logger';
import { actionAdapters } from './responder';
import { tellers } from './tellers';

/**
 * What carrying decisions out needs (the private executor, and the CLI with the operator's own credentials): the
 * actions' adapters, telling people, starting re-keying.
 */
export const decisionDeps = (config: Config, documents = documentClient(), rekey?: RekeyWorkflow): DecisionDeps => {
  const workflow =
    rekey ??
    (config.rekeyStateMachineArn
      ? new StepFunctionsRekeyWorkflow(sfnClient(), config.rekeyStateMachineArn)
      : rekeyNotConfigured);
  return {
    // SNS, Slack and links, like the responders: people hear of every decision.
    ...tellers(config, documents),
    ...actionAdapters(config, documents),
    incidents: new DynamoDbIncidentStore(documents, config.incidentTable, config.incidentRetentionDays),
    audit: new DynamoDbAuditLog(documents, config.incidentTable, config.incidentRetentionDays),
    rekey: workflow,
    deletionWindowDays: config.rekeyDeletionWindowDays,
  };
};

/**
 * Decisions made from the CLI: recorded and carried out in this process with the operator's own AWS identity (no
 * tokens: the identity decides), through the same record-first path as a link or a Slack press.
 */
export const operatorDecisionDeps = (config: Config, documents = documentClient()): RecordDeps & DecisionDeps => {
  const deps = decisionDeps(config, documents);
  return { ...deps, executor: new InProcessExecutor(deps) };
};

/**
 * The approval endpoint's deps: recording decisions and checking links. In Lambda the work goes to the private
 * executor function (DECISION_EXECUTOR_FUNCTION); without one (the local demo) it is carried out in process, with
 * `rekey` starting re-keying there.
 */
export const approvalDeps = (
  config: Config,
  rekey?: RekeyWorkflow,
  handOver?: DecisionExecutor,
): ApprovalDeps & { links?: SlackDeps['links'] } => {
  if (!config.approvalSecretArn) throw new ConfigError('APPROVAL_SECRET_ARN', 'is not set');
  const documents = documentClient();
  const executor: DecisionExecutor =
    handOver ??
    (config.decisionExecutorFunction
      ? new LambdaDecisionExecutor(selfInvokeClient(), config.decisionExecutorFunction)
      : new InProcessExecutor(decisionDeps(config, documents, rekey)));
  return {
    incidents: new DynamoDbIncidentStore(documents, config.incidentTable, config.incidentRetentionDays),
    audit: new DynamoDbAuditLog(documents, config.incidentTable, config.incidentRetentionDays),
    nonces: new DynamoDbNonceStore(documents, config.incidentTable),
    secret: new CachedSecret(secretsClient(), config.approvalSecretArn),
    tokenTtlSeconds: config.approvalTokenHours * 3600,
    executor,
    logger,
    now: () => new Date(),
    // In process, a Slack press's message is replaced at once, with fresh links.
    ...(config.decisionExecutorFunction || handOver ? {} : { links: tellers(config, documents).links }),
  };
};

/** Slack interactivity's deps, when a signing secret is configured. */
export const slackDeps = (
  config: Config,
  approval: ApprovalDeps & { links?: SlackDeps['links'] },
): SlackDeps | undefined =>
  config.slackSigningSecretArn
    ? {
        ...approval,
        slackInteractivity: {
          signingSecret: new CachedSecret(secretsClient(), config.slackSigningSecretArn, { minimumBytes: 16 }),
          approvers: config.slackApprovers,
        },
      }
    : undefined;

/**
 * The approval function's composition root: links, the decisions they record, and Slack button presses. It holds
 * no power over keys or principals: the decisions' work is the executor's (`handOver` puts another in its place:
 * the integration tests run the executor function's own code, with its own role).
 */
/**
 * The approvals function's endpoint in Lambda: decisions always go to the private executor function. Without
 * DECISION_EXECUTOR_FUNCTION it refuses to start, rather than carry decisions out with a role that must not.
 */
export const lambdaApprovalEndpoint = (config: Config) => {
  if (!config.decisionExecutorFunction)
    throw new ConfigError(
      'DECISION_EXECUTOR_FUNCTION',
      'is not set: the approvals function hands every decision to it',
    );
  return approvalEndpoint(config);
};

export const approvalEndpoint = (config: Config, handOver?: DecisionExecutor) => {
  const deps = approvalDeps(config, undefined, handOver);
  const slack = slackDeps(config, deps);
  return approvalRoute(deps, slack && { action: handleSlackAction(slack) });
};
