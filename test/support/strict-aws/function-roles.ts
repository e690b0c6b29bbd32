import type { ResponderStack } from '../../../src/local/responder-stack';
import {
  packagedTemplate,
  resolveIntrinsics,
  testStage,
  type CfnTemplate,
  type Json,
  type Pseudo,
} from './packaged-template';
import type { PolicyDocument, Statement } from './policy-evaluation';

/** The functions of the stack, by their name in serverless.yml. */
export const functionNames = [
  'onKmsApiCall',
  'onKmsActivity',
  'onSecurityFinding',
  'remindPendingDecisions',
  'approvals',
  'executeDecision',
  'rekeyStep',
  'planRekey',
] as const;
export type FunctionName = (typeof functionNames)[number];

export interface FunctionRole {
  functionName: FunctionName;
  /** The deployed function's name, kms-warden-test-<name>. */
  deployedName: string;
  logicalId: string;
  roleName: string;
  path: string;
  /** The role's inline policies as the template gives them, intrinsics unresolved. */
  policies: Array<{ PolicyName: string; PolicyDocument: Json }>;
}

/** Each function's role, read off the packaged template; and every role the stack names (RESPONDER_ROLE_ARNS). */
export const functionRolesOf = (
  pseudo: Pseudo,
  template: CfnTemplate = packagedTemplate(),
): Record<FunctionName, FunctionRole> => {
  const roles = {} as Record<FunctionName, FunctionRole>;
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const deployedName = String(resource.Properties.FunctionName);
    const functionName = deployedName.slice(`kms-warden-${testStage}-`.length) as FunctionName;
    const logicalId = resource.Properties.Role['Fn::GetAtt'][0] as string;
    const role = template.Resources[logicalId]!.Properties;
    roles[functionName] = {
      functionName,
      deployedName,
      logicalId,
      // The stack names its roles (serverless.yml), so that every function knows kms-warden's own role ARNs.
      roleName: resolveIntrinsics(role.RoleName, () => undefined, pseudo) as string,
      path: role.Path ?? '/',
      policies: role.Policies ?? [],
    };
  }
  const missing = functionNames.filter((name) => !roles[name] || !roles[name].roleName);
  if (missing.length > 0) throw new Error(`the packaged template has no function ${missing.join(', ')}`);
  return roles;
};

/** The environment the template gives every function that is not a test's setting: who kms-warden is. */
export const stackIdentityEnvironment = (pseudo: Pseudo, template: CfnTemplate = packagedTemplate()) => {
  const variables = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties
    .Environment.Variables;
  const resolved = (name: string) => resolveIntrinsics(variables[name] ?? '', () => undefined, pseudo) as string;
  return {
    RESPONDER_ROLE_ARNS: resolved('RESPONDER_ROLE_ARNS'),
    ACCOUNT_ID: resolved('ACCOUNT_ID'),
    // Organization mode's (empty in one account).
    MEMBER_ROLE: resolved('MEMBER_ROLE'),
    MEMBER_EXTERNAL_ID: resolved('MEMBER_EXTERNAL_ID'),
  };
};

/** Values for the template's Refs and GetAtts that a test's emulated stack provides. */
export type StackRefs = Record<string, { Ref?: string; Arn?: string }>;

/**
 * What the template's references resolve to in a test: the responder stack's table, topic and queue, and any other
 * resource the test made (secrets, the state machine). A reference the test did not make resolves to a name that
 * exists nowhere, so a permission on it allows nothing.
 */
export const refsFor = (pseudo: Pseudo, stack?: ResponderStack, extra: StackRefs = {}) => {
  const arn = (service: string, resource: string, region = pseudo.region) =>
    `arn:${pseudo.partition}:${service}:${region}:${pseudo.account}:${resource}`;
  const unset = (logicalId: string) => `kms-warden-${testStage}-${logicalId}-not-made-by-this-test`;
  const known: StackRefs = {
    IncidentsTable: stack
      ? { Ref: stack.incidentTable, Arn: arn('dynamodb', `table/${stack.incidentTable}`) }
      : { Ref: unset('IncidentsTable'), Arn: arn('dynamodb', `table/${unset('IncidentsTable')}`) },
    NotificationTopic: { Ref: stack?.notificationTopicArn ?? arn('sns', unset('NotificationTopic')) },
    DeadLetterQueue: stack
      ? { Ref: stack.deadLetterQueueUrl, Arn: stack.deadLetterQueueArn }
      : {
          Ref: `http://localhost/${pseudo.account}/${unset('DeadLetterQueue')}`,
          Arn: arn('sqs', unset('DeadLetterQueue')),
        },
    RekeyStateMachine: { Ref: arn('states', `stateMachine:${unset('RekeyStateMachine')}`) },
    RekeyS3BatchRole: {
      Arn: `arn:${pseudo.partition}:iam::${pseudo.account}:role/kms-warden/${testStage}/kms-warden-${testStage}-RekeyS3BatchRole`,
    },
    HttpApi: { Ref: 'local' },
    KmsActivityStream: { Arn: arn('kinesis', `stream/kms-warden-${testStage}-activity`) },
    ...Object.fromEntries(
      ['ApprovalSigningSecret', 'SlackSigningSecret', 'SlackWebhookSecret'].map((id) => [
        id,
        { Ref: arn('secretsmanager', `secret:${unset(id)}`) },
      ]),
    ),
  };
  const all = { ...known, ...extra };
  return (logicalId: string, attribute?: string) => {
    const entry = all[logicalId];
    return attribute ? (attribute === 'Arn' ? entry?.Arn : undefined) : entry?.Ref;
  };
};

/** A role's policies with every reference resolved: what IAM evaluates for its sessions. */
export const resolvedPolicies = (
  role: FunctionRole,
  refs: ReturnType<typeof refsFor>,
  pseudo: Pseudo,
): PolicyDocument[] =>
  role.policies.map((policy) => resolveIntrinsics(policy.PolicyDocument, refs, pseudo) as PolicyDocument);

/**
 * What moto's own enforcement is given for a role: the same actions, allowed on every resource. moto evaluates an
 * action against the resource "*" for most services and takes every condition as met, so the real statements would
 * either refuse everything scoped to a resource or deny unconditionally; resources, conditions and denies are the
 * layer's to evaluate (proxy.ts).
 */
export const motoProjection = (policies: PolicyDocument[]): PolicyDocument => {
  const allows = policies
    .flatMap((policy) => (Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement]))
    .filter((statement) => statement.Effect === 'Allow');
  const actions = new Set(
    allows.flatMap((statement) =>
      Array.isArray(statement.Action) ? statement.Action : statement.Action ? [statement.Action] : [],
    ),
  );
  // moto checks an operation by its own name; IAM authorizes DynamoDB's transactions item by item, with the item
  // actions (no dynamodb:TransactWriteItems action exists). The layer checks the item actions.
  const operationNames = [
    ...(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'].some((a) =>
      actions.has(a),
    )
      ? ['dynamodb:TransactWriteItems']
      : []),
    ...(actions.has('dynamodb:GetItem') ? ['dynamodb:TransactGetItems'] : []),
    // moto names S3's PUT ?encryption by its default for PUT on a bucket, CreateBucket (moto/s3/responses.py,
    // ACTION_MAP has no "encryption" entry); AWS authorizes it as s3:PutEncryptionConfiguration.
    ...(actions.has('s3:PutEncryptionConfiguration') ? ['s3:CreateBucket'] : []),
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      ...allows.map((statement): Statement => ({
        Effect: 'Allow',
        ...(statement.Action ? { Action: statement.Action } : {}),
        ...(statement.NotAction ? { NotAction: statement.NotAction } : {}),
        Resource: '*',
      })),
      ...(operationNames.length > 0 ? [{ Effect: 'Allow' as const, Action: operationNames, Resource: '*' }] : []),
    ],
  };
};
