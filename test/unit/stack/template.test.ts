import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { actions } from '../../../src/actions';
import { KeyReplacement } from '../../../src/aws/rekey/kms-replacement';
import { reEncrypters } from '../../../src/composition/rekey';
import { deployedRules, ruleTargets } from '../../../src/local/rule-targets';
import { projectRoot } from '../../../src/local/stack-definition';
import {
  packageOffline,
  resolveIntrinsics,
  withConditionsDecided,
  type CfnTemplate,
} from '../../support/strict-aws/packaged-template';
import { refsFor } from '../../support/strict-aws/function-roles';

/** The actions each function may run; its role must allow exactly what they need, and no more. */
// Every function plans through the same response policy, and a person's approval can run any action on its signals.
const everyAction = Object.keys(actions) as Array<keyof typeof actions>;
const actionsRunBy: Record<string, Array<keyof typeof actions>> = {
  OnKmsApiCallLambdaFunction: everyAction,
  OnKmsActivityLambdaFunction: everyAction,
  OnSecurityFindingLambdaFunction: everyAction,
  // The private executor carries out what a person decided: approving disable-key runs it; releasing undoes any step.
  ExecuteDecisionLambdaFunction: everyAction,
};
/** The functions invoked asynchronously (EventBridge, or the approvals function for the executor). */
const asyncFunctions = [
  // The activity function is invoked by its event source mapping (the activity stream), not asynchronously.
  ...Object.keys(actionsRunBy).filter((id) => id !== 'OnKmsActivityLambdaFunction'),
  'RemindPendingDecisionsLambdaFunction',
  // Invoked by the responders, asynchronously, with an incident's id.
  'PlanRekeyLambdaFunction',
];
/** Every function: the asynchronous ones, the internet-facing approvals function and the re-key step. */
const allFunctions = [
  ...asyncFunctions,
  'OnKmsActivityLambdaFunction',
  'ApprovalsLambdaFunction',
  'RekeyStepLambdaFunction',
];
/** kms-warden's own roles, by the suffix of their names (RESPONDER_ROLE_ARNS, the NeverQuarantine deny). */
const ownRoles = [
  'on-kms-api-call',
  'on-kms-activity',
  'on-security-finding',
  'reminders',
  'rekey',
  'rekey-s3-batch',
  'rekey-plan',
  'approvals',
  'decision-executor',
];
/** IAM actions that support no resource-level permissions (SAR): the task token names a Step Functions execution. */
const actionsWithoutResources = ['cloudtrail:LookupEvents', 'kms:ListAliases', 'states:SendTaskSuccess'];

/**
 * Reads beyond the actions' own: the key's tags (its mode) for every planner, its aliases for the messages responders
 * send.
 */
const responderReads = ['kms:ListResourceTags', 'kms:ListAliases'];
const readsBy: Record<string, string[]> = {
  OnKmsApiCallLambdaFunction: responderReads,
  OnKmsActivityLambdaFunction: responderReads,
  OnSecurityFindingLambdaFunction: responderReads,
  ExecuteDecisionLambdaFunction: responderReads,
};

/** Every rule, the state it needs, and the function it feeds (through the activity stream for some). */
// The table the local demo routes by (src/local/rule-targets.ts): the template must deploy exactly it.
const rules = deployedRules((file) => JSON.parse(readFileSync(join(projectRoot, 'rules', file), 'utf8')));
const functionIdOf = (fn: string) => `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`;

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, asserted field by field
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string; Condition?: string };

describe('the packaged CloudFormation template', () => {
  let dir: string;
  let resources: Record<string, Resource>;
  let template: { Resources: Record<string, Resource>; Conditions?: Record<string, Json>; Parameters?: Json };
  /** Resources deployed in one account (organization mode's only with organization=true, tested apart below). */
  const ofType = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type && r.Condition !== 'OrganizationMode');
  const organizationOnly = (type: string) =>
    Object.entries(resources).filter(([, r]) => r.Type === type && r.Condition === 'OrganizationMode');
  /** A role's statements, as written (a break-glass deny is still an Fn::If). */
  const statementsOfRole = (roleId: string) =>
    resources[roleId]!.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as Statement[];
  const roleOf = (functionId: string) => resources[functionId]!.Properties.Role['Fn::GetAtt'][0] as string;
  const actionsOf = (s: Statement) => [s.Action].flat();
  const allowsOf = (roleId: string) =>
    statementsOfRole(roleId)
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf);
  const statementGranting = (roleId: string, action: string) => {
    const granting = statementsOfRole(roleId).filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
    expect(granting).toHaveLength(1);
    return granting[0]!;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-warden-package-'));
    template = packageOffline(dir) as typeof template;
    resources = template.Resources;
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defines the rules of every pattern file in rules/, and no other', () => {
    const patternFiles = readdirSync(join(projectRoot, 'rules')).filter((file) => file.endsWith('.json'));
    expect(patternFiles.sort()).toEqual(ruleTargets.map(({ file }) => file).sort());
    expect(ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventPattern)).toHaveLength(rules.length);
  });

  it.each(rules.map((rule) => [rule.name, rule] as const))(
    'deploys the %s rule in its state, feeding its function or the activity stream, with a dead-letter queue',
    (_name, expected) => {
      const matching = ofType('AWS::Events::Rule').filter(([, rule]) =>
        isDeepStrictEqual(rule.Properties.EventPattern, expected.pattern),
      );
      expect(matching).toHaveLength(1);
      const [[, rule]] = matching as [[string, Resource]];
      expect(rule.Properties.State).toBe(expected.state);
      const deadLetters = { DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } };
      if (!expected.stream) {
        expect(rule.Properties.Targets).toEqual([
          expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionIdOf(expected.fn), 'Arn'] }, ...deadLetters }),
        ]);
        return;
      }
      const [target] = rule.Properties.Targets as [Json];
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(target).toMatchObject({
        Arn: { 'Fn::GetAtt': ['KmsActivityStream', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['ActivityStreamDeliveryRole', 'Arn'] },
        ...deadLetters,
      });
      expect(target.KinesisParameters?.PartitionKeyPath).toBe(expected.stream.partitionKeyPath);
    },
  );

  it("trusts the trustedOrganizations setting in every function, and in organization mode the organization's own id", () => {
    const functions = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions)
      expect(fn.Properties.Environment.Variables.TRUSTED_ORGANIZATIONS).toEqual({
        'Fn::Join': [',', ['', { 'Fn::If': ['OrganizationMode', { Ref: 'OrganizationId' }, ''] }]],
      });
  });

  it('deploys every rule again on the organization bus in organization mode, to the same target', () => {
    const own = ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventPattern);
    const organization = organizationOnly('AWS::Events::Rule');
    expect(organization).toHaveLength(own.length);
    for (const [, rule] of own) {
      const twin = organization.find(([, r]) =>
        isDeepStrictEqual(r.Properties.EventPattern, rule.Properties.EventPattern),
      );
      expect(twin?.[1].Properties.EventBusName).toEqual({ Ref: 'OrganizationBus' });
      const strip = ({ Id: _id, ...target }: Json) => target;
      expect(twin?.[1].Properties.Targets.map(strip)).toEqual(rule.Properties.Targets.map(strip));
      // The same state: a rule in any other state, on any bus, never matches read-only management events
      // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail-management.html).
      expect(twin?.[1].Properties.State).toBe(rule.Properties.State);
    }
    // A rule straight to a function needs the function's permission for that rule.
    for (const [id, rule] of organization.filter(([, r]) => !r.Properties.Targets[0].RoleArn))
      expect(
        organizationOnly('AWS::Lambda::Permission').filter(([, p]) => p.Properties.SourceArn['Fn::GetAtt']?.[0] === id),
      ).toEqual([
        [
          expect.any(String),
          expect.objectContaining({
            Properties: expect.objectContaining({ FunctionName: rule.Properties.Targets[0].Arn }),
          }),
        ],
      ]);
  });

  it('reads the activity stream in batches: split on error, retried, then recorded in the dead-letter queue', () => {
    const [[, mapping]] = ofType('AWS::Lambda::EventSourceMapping') as [[string, Resource]];
    expect(ofType('AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    expect(mapping.Properties).toMatchObject({
      FunctionName: { 'Fn::GetAtt': ['OnKmsActivityLambdaFunction', 'Arn'] },
      EventSourceArn: { 'Fn::GetAtt': ['KmsActivityStream', 'Arn'] },
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 10,
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
    });
    // A shard's batches one at a time: detection memory's writes are marked per shard, which holds only then.
    expect(mapping.Properties.ParallelizationFactor ?? 1).toBe(1);
    expect(resources.KmsActivityStream!.Properties).toMatchObject({
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      StreamEncryption: { EncryptionType: 'KMS' },
    });
    // The function reads the stream and nothing else of it; EventBridge's role only puts records into it.
    expect(statementGranting('OnKmsActivityRole', 'kinesis:GetRecords').Resource).toEqual({
      'Fn::GetAtt': ['KmsActivityStream', 'Arn'],
    });
    const delivery = resources.ActivityStreamDeliveryRole!.Properties;
    expect(delivery.Policies.flatMap((p: Json) => p.PolicyDocument.Statement)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
        Resource: { 'Fn::GetAtt': ['KmsActivityStream', 'Arn'] },
      }),
    ]);
    // Nobody else may put a record into it: a record there is taken as CloudTrail's word.
    expect(resources.KmsActivityStreamPolicy!.Properties).toMatchObject({
      ResourceArn: { 'Fn::GetAtt': ['KmsActivityStream', 'Arn'] },
      ResourcePolicy: {
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: ['kinesis:PutRecord', 'kinesis:PutRecords'],
            Condition: {
              ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': ['ActivityStreamDeliveryRole', 'Arn'] } },
            },
          },
        ],
      },
    });
    expect(delivery.AssumeRolePolicyDocument.Statement[0]).toMatchObject({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('keeps incidents in an on-demand table with point-in-time recovery and a TTL', () => {
    const table = resources.IncidentsTable!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    expect(
      table.Properties.GlobalSecondaryIndexes.map(
        (index: { IndexName: string; KeySchema: Array<{ AttributeName: string }> }) => [
          index.IndexName,
          ...index.KeySchema.map((k) => k.AttributeName),
        ],
      ),
    ).toEqual([
      ['byStatus', 'status', 'updatedAt'],
      ['byKey', 'keyArn', 'createdAt'],
      ['byNews', 'newsPending', 'newsPendingSince'],
    ]);
  });

  it('publishes to an encrypted SNS topic and sends failures after retries to the dead-letter queue', () => {
    // A customer managed key: CloudWatch alarms cannot publish to a topic under aws/sns (the alarms' test below).
    expect(resources.NotificationTopic).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['NotificationTopicKey', 'Arn'] } },
    });
    expect(resources.DeadLetterQueue).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1209600 },
    });
    const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    // Every function invoked asynchronously: by EventBridge, or (the executor) by the approvals function. The approvals
    // function is only invoked synchronously, by API Gateway.
    expect(invokeConfigs.map((c) => c.FunctionName.Ref).sort()).toEqual([...asyncFunctions].sort());
    for (const config of invokeConfigs) {
      expect(config).toMatchObject({
        MaximumRetryAttempts: config.FunctionName.Ref === 'RemindPendingDecisionsLambdaFunction' ? 0 : 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
      });
    }
  });

  it.each(allFunctions)('runs %s on nodejs22.x with the settings it validates at start', (functionId) => {
    const fn = resources[functionId]!;
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      INCIDENT_TABLE: { Ref: 'IncidentsTable' },
      NOTIFICATION_TOPIC_ARN: { Ref: 'NotificationTopic' },
      DEAD_LETTER_QUEUE_URL: { Ref: 'DeadLetterQueue' },
      ACCOUNT_ID: { Ref: 'AWS::AccountId' },
      BREAK_GLASS_PRINCIPALS: { 'Fn::Join': [',', { Ref: 'BreakGlassPrincipals' }] },
    });
    // kms-warden's own roles, each by its exact ARN: their calls are its own.
    const roleArns = (fn.Properties.Environment.Variables.RESPONDER_ROLE_ARNS['Fn::Sub'] as string).split(',');
    expect(roleArns.map((arn) => arn.split('${AWS::Region}-')[1]).sort()).toEqual([...ownRoles].sort());
  });

  describe.each(Object.entries(actionsRunBy))('%s', (functionId, actionTypes) => {
    const statementsOf = () => {
      const roleId = roleOf(functionId);
      return { role: resources[roleId]!, statements: statementsOfRole(roleId) };
    };

    it('has a role of its own, on the responder path', () => {
      const { role } = statementsOf();
      expect(role.Type).toBe('AWS::IAM::Role');
      expect(role.Properties.Path).toBe('/kms-warden/test/');
      const sharing = Object.values(resources).filter(
        (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Role === resources[functionId]!.Properties.Role,
      );
      expect(sharing).toHaveLength(1);
    });

    it('grants every IAM action its actions declare, and no KMS or IAM action beyond them', () => {
      const { statements } = statementsOf();
      const granted = new Set(statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf));
      const needed = new Set([...actionTypes.flatMap((type) => actions[type].iamActions), ...readsBy[functionId]!]);
      for (const action of needed) expect(granted).toContain(action);
      expect([...granted].filter((a) => a.startsWith('kms:') || a.startsWith('iam:')).sort()).toEqual(
        [...needed].sort(),
      );
    });

    it('may publish to the notification topic: it tells people what it did or what was decided', () => {
      const { statements } = statementsOf();
      const publish = statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).includes('sns:Publish'));
      expect(publish.map((st) => st.Resource)).toEqual([{ Ref: 'NotificationTopic' }]);
    });

    it("denies itself quarantining kms-warden's own roles and service-linked roles", () => {
      const { statements } = statementsOf();
      const deny = statements.find((s) => s.Effect === 'Deny')!;
      expect(actionsOf(deny).sort()).toEqual(['iam:DeleteRolePolicy', 'iam:PutRolePolicy']);
      // kms-warden's own roles by name, each of them, and not the path: anyone may create a role under it.
      for (const role of ownRoles) {
        expect(JSON.stringify(deny.Resource)).toContain(
          `role/kms-warden/test/kms-warden-test-\${AWS::Region}-${role}"`,
        );
      }
      expect(JSON.stringify(deny.Resource)).not.toContain('role/kms-warden/*');
      expect(JSON.stringify(deny.Resource)).toContain('role/aws-service-role/*');
    });

    it('denies itself any IAM change to the break-glass principals, when the setting names some', () => {
      const { statements } = statementsOf();
      const breakGlass = statements.filter((s) => (s as Json)['Fn::If']?.[0] === 'HasBreakGlassPrincipals');
      expect(breakGlass).toEqual([
        {
          'Fn::If': [
            'HasBreakGlassPrincipals',
            expect.objectContaining({
              Effect: 'Deny',
              Resource: { Ref: 'BreakGlassPrincipals' },
              Action: expect.arrayContaining([
                'iam:PutRolePolicy',
                'iam:DeleteRolePolicy',
                'iam:AttachRolePolicy',
                'iam:PutUserPolicy',
                'iam:AttachUserPolicy',
                'iam:UpdateAccessKey',
              ]),
            }),
            { Ref: 'AWS::NoValue' },
          ],
        },
      ]);
      // Every IAM write the role is allowed is in the deny.
      const iamWrites = statements
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf)
        .filter((a) => /^iam:(Put|Delete|Attach|Detach|Update)/.test(a));
      const denied = (breakGlass[0] as Json)['Fn::If'][1].Action as string[];
      for (const action of iamWrites) expect(denied).toContain(action);
    });

    it('grants no wildcard action, and a wildcard resource only to actions that take no other', () => {
      const { statements } = statementsOf();
      for (const statement of statements.filter((s) => !(s as Json)['Fn::If'])) {
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
        if (actionsOf(statement).every((action) => actionsWithoutResources.includes(action))) continue;
        expect(statement.Resource).not.toEqual('*');
        expect([statement.Resource].flat()).not.toContain('*');
      }
    });
  });

  describe('re-keying', () => {
    it('runs the definition the tests run, every Task calling the re-key step function', () => {
      const machine = resources.RekeyStateMachine!;
      expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
      const [definition, substitutions] = machine.Properties.DefinitionString['Fn::Sub'] as [
        string,
        Record<string, Json>,
      ];
      const deployed = JSON.parse(definition) as { States: Record<string, { Type: string }> };
      const local = JSON.parse(
        readFileSync(join(projectRoot, 'src/rekey/rekey-workflow.asl.json'), 'utf8'),
      ) as typeof deployed;
      expect(Object.keys(deployed.States)).toEqual(Object.keys(local.States));
      expect(Object.values(substitutions)).toEqual(
        expect.arrayContaining([{ 'Fn::GetAtt': ['RekeyStepLambdaFunction', 'Arn'] }]),
      );
    });

    it('logs failed states to its own log group, without their input or output, with the permissions that needs', () => {
      expect(resources.RekeyStateMachine!.Properties.LoggingConfiguration).toEqual({
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['RekeyStateMachineLogGroup', 'Arn'] } } },
        ],
      });
      expect(resources.RekeyStateMachineLogGroup!.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\//);
      // https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html
      expect(allowsOf('RekeyStateMachineRole')).toEqual(
        expect.arrayContaining([
          'logs:CreateLogDelivery',
          'logs:GetLogDelivery',
          'logs:UpdateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:DescribeResourcePolicies',
          'logs:DescribeLogGroups',
        ]),
      );
    });

    it('grants the step function exactly the IAM actions the key adapter and every service adapter declare', () => {
      const granted = new Set(allowsOf('RekeyRole'));
      // As deployed: with the Batch Operations role, as the function's environment sets it.
      const declared = new Set([
        ...KeyReplacement.iamActions,
        ...reEncrypters({ s3BatchRoleArn: 'arn:aws:iam::123456789012:role/batch' }).flatMap(
          (service) => service.iamActions,
        ),
      ]);
      const ownReads = [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:ConditionCheckItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'sns:Publish',
        // A wait for people that finds its end already came resumes itself (rekey/steps/await-people.ts).
        'states:SendTaskSuccess',
      ];
      expect([...granted].sort()).toEqual([...new Set([...declared, ...ownReads])].sort());
      // SendTask* support no resource-level permission: the token names the execution.
      expect(statementGranting('RekeyRole', 'states:SendTaskSuccess').Resource).toBe('*');
      expect(resources.RekeyStateMachine!.Properties.StateMachineName).toBe('kms-warden-test-rekey');
    });

    it('lists what re-keying would do with a read-only role: exactly the reads snapshot and inventory declare', () => {
      expect(roleOf('PlanRekeyLambdaFunction')).toBe('RekeyPlanRole');
      const inventory = reEncrypters({ examineObjects: false }).flatMap((service) => service.inventoryIamActions);
      const own = [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'secretsmanager:GetSecretValue',
        'sqs:SendMessage',
      ];
      expect([...new Set(allowsOf('RekeyPlanRole'))].sort()).toEqual(
        [...new Set([...KeyReplacement.snapshotIamActions, ...inventory, ...own])].sort(),
      );
      // Nothing that writes outside its incident's plan, and nothing that reads an object, a secret or a parameter.
      expect(
        allowsOf('RekeyPlanRole').filter((a) =>
          /:(Put|Update|Create|Delete|Copy|Decrypt|GetObject$|GetParameter$)/.test(a),
        ),
      ).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'dynamodb:UpdateItem']);
      expect(statementGranting('RekeyPlanRole', 'dynamodb:UpdateItem').Condition).toMatchObject({
        'ForAllValues:StringEquals': {
          'dynamodb:Attributes': ['pk', 'sk', 'status', 'rekeyPlan', 'timeline', 'slackMessage', 'lastWriteId'],
        },
      });
      // The responders may invoke it (asynchronously) and it alone; no one else may.
      for (const role of ['OnKmsApiCallRole', 'OnKmsActivityRole', 'OnSecurityFindingRole'])
        expect(statementGranting(role, 'lambda:InvokeFunction').Resource).toEqual({
          'Fn::Sub': 'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:kms-warden-test-planRekey',
        });
    });

    it('keeps kms:PutKeyPolicy (the lockout check at CreateKey) and creates grants only for AWS services', () => {
      expect(allowsOf('RekeyRole')).toContain('kms:PutKeyPolicy');
      // Cryptographic operations only as the services moving data make them for it, never from its own code.
      for (const action of ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom'])
        expect(statementGranting('RekeyRole', action).Condition).toEqual({
          StringEquals: {
            'kms:ViaService': expect.arrayContaining([{ 'Fn::Sub': 's3.${AWS::Region}.${AWS::URLSuffix}' }]),
          },
        });
      expect(statementGranting('RekeyRole', 'kms:CreateGrant')).toMatchObject({
        Action: 'kms:CreateGrant',
        Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      });
    });

    it('moves a secret only to a key of this account, and rotates it only with its own function', () => {
      const keysOfThisAccount = { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*' };
      expect(statementGranting('RekeyRole', 'secretsmanager:UpdateSecret')).toMatchObject({
        Action: 'secretsmanager:UpdateSecret',
        Condition: { StringLike: { 'secretsmanager:KmsKeyId': keysOfThisAccount } },
      });
      expect(statementGranting('RekeyRole', 'secretsmanager:RotateSecret')).toMatchObject({
        Action: 'secretsmanager:RotateSecret',
        Condition: {
          Null: { 'secretsmanager:RotationLambdaARN': 'true' },
          BoolIfExists: { 'secretsmanager:ModifyRotationRules': 'false' },
        },
      });
    });

    it("changes a function's configuration only without layers or VPC settings, and never kms-warden's own", () => {
      expect(statementGranting('RekeyRole', 'lambda:UpdateFunctionConfiguration')).toMatchObject({
        Action: 'lambda:UpdateFunctionConfiguration',
        Condition: {
          Null: {
            'lambda:Layer': 'true',
            'lambda:VpcIds': 'true',
            'lambda:SubnetIds': 'true',
            'lambda:SecurityGroupIds': 'true',
          },
        },
      });
      // Invoking or reconfiguring kms-warden's functions would run code with their roles (the executor's containment).
      expect(statementsOfRole('RekeyRole').filter((s) => s.Effect === 'Deny')).toEqual([
        expect.objectContaining({
          Action: ['lambda:InvokeFunction', 'lambda:UpdateFunctionConfiguration'],
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:kms-warden-*' },
        }),
      ]);
    });

    it.each(['RekeyRole', 'RekeyS3BatchRole'])(
      '%s writes objects only as copies under a key of this account, in buckets of this account',
      (roleId) => {
        expect(statementGranting(roleId, 's3:PutObject')).toMatchObject({
          Action: 's3:PutObject',
          Condition: {
            StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } },
            Null: { 's3:x-amz-copy-source': 'false' },
            StringLike: {
              's3:x-amz-server-side-encryption-aws-kms-key-id': {
                'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*',
              },
            },
          },
        });
        // Every other S3 action it is allowed, but the account-wide listing, stays in buckets of this account.
        for (const statement of statementsOfRole(roleId).filter(
          (s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('s3:') && a !== 's3:ListAllMyBuckets'),
        )) {
          if (actionsOf(statement).every((a) => ['s3:CreateJob', 's3:DescribeJob'].includes(a))) continue;
          expect(statement.Condition).toMatchObject({
            StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } },
          });
        }
      },
    );

    it('creates S3 Batch Operations copy jobs only, and hands them their own role and no other', () => {
      expect(statementGranting('RekeyRole', 's3:CreateJob').Condition).toEqual({
        StringEquals: { 's3:RequestJobOperation': 'S3PutObjectCopy' },
      });
      expect(resources.RekeyStepLambdaFunction!.Properties.Environment.Variables.REKEY_S3_BATCH_ROLE_ARN).toEqual({
        'Fn::GetAtt': ['RekeyS3BatchRole', 'Arn'],
      });
      // The roles the old key stays usable by while re-keying runs (rekey/old-key-shut.ts), with their paths.
      expect(resources.RekeyStepLambdaFunction!.Properties.Environment.Variables.REKEY_ROLE_ARN).toEqual({
        'Fn::GetAtt': ['RekeyRole', 'Arn'],
      });
      const pass = statementsOfRole('RekeyRole').filter((s) => actionsOf(s).includes('iam:PassRole'));
      expect(pass).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': ['RekeyS3BatchRole', 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' } },
        }),
      ]);
    });

    it('trusts S3 Batch Operations for jobs of this account only, which use KMS through S3 only', () => {
      expect(resources.RekeyS3BatchRole!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'batchoperations.s3.amazonaws.com' },
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        },
      ]);
      expect(statementGranting('RekeyS3BatchRole', 'kms:Decrypt').Condition).toEqual({
        StringEquals: { 'kms:ViaService': { 'Fn::Sub': 's3.${AWS::Region}.${AWS::URLSuffix}' } },
      });
    });

    it('is started by the private executor, and by no other function; only it and the steps resume a wait', () => {
      expect(resources.ExecuteDecisionLambdaFunction!.Properties.Environment.Variables.REKEY_STATE_MACHINE_ARN).toEqual(
        {
          Ref: 'RekeyStateMachine',
        },
      );
      const withStates = (action: (a: string) => boolean) =>
        ofType('AWS::IAM::Role')
          .filter(([id]) => allowsOf(id).some(action))
          .map(([id]) => id);
      expect(withStates((a) => a.startsWith('states:') && a !== 'states:SendTaskSuccess')).toEqual([
        'DecisionExecutorRole',
      ]);
      expect(withStates((a) => a === 'states:SendTaskSuccess').sort()).toEqual(['DecisionExecutorRole', 'RekeyRole']);
      expect(
        allowsOf('DecisionExecutorRole')
          .filter((a) => a.startsWith('states:'))
          .sort(),
      ).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
      expect(statementGranting('DecisionExecutorRole', 'states:StartExecution').Resource).toEqual({
        Ref: 'RekeyStateMachine',
      });
      expect(statementGranting('DecisionExecutorRole', 'states:SendTaskSuccess').Resource).toBe('*');
    });
  });

  describe('the internet-facing approvals function', () => {
    const executorArn = {
      'Fn::Sub':
        'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:kms-warden-test-executeDecision',
    };

    it('records decisions, reads its two secrets and invokes the executor: no IAM, KMS, SNS or Step Functions action', () => {
      expect(roleOf('ApprovalsLambdaFunction')).toBe('ApprovalsRole');
      expect([...new Set(allowsOf('ApprovalsRole'))].sort()).toEqual(
        [
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'secretsmanager:GetSecretValue',
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:ConditionCheckItem',
          'lambda:InvokeFunction',
        ].sort(),
      );
      expect(statementsOfRole('ApprovalsRole').filter((s) => s.Effect !== 'Allow')).toEqual([]);
    });

    it('names a resource in every statement: no action on "*" or on every resource of a kind', () => {
      for (const statement of statementsOfRole('ApprovalsRole')) {
        expect([statement.Resource].flat()).not.toContain('*');
        // Its own log group's streams aside.
        if (statement.Sid !== 'Logs') expect(JSON.stringify(statement.Resource)).not.toMatch(/[:/]\*"/);
      }
    });

    it('reads the link-signing and Slack-signing secrets, and not the Slack webhook', () => {
      expect(statementGranting('ApprovalsRole', 'secretsmanager:GetSecretValue').Resource).toEqual([
        { Ref: 'ApprovalSigningSecret' },
        { Ref: 'SlackSigningSecret' },
      ]);
    });

    it('writes nonce and audit items, and of an incident only what a decision changes', () => {
      const table = { 'Fn::GetAtt': ['IncidentsTable', 'Arn'] };
      const granting = (action: string) =>
        statementsOfRole('ApprovalsRole').filter(
          (s) => s.Effect === 'Allow' && ([] as string[]).concat(s.Action as string | string[]).includes(action),
        );
      // PutItem writes a whole item: never an incident.
      expect(granting('dynamodb:PutItem')).toEqual([
        expect.objectContaining({
          Resource: table,
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['NONCE#*', 'AUDIT#*', 'AUDITRATE#*'] } },
        }),
      ]);
      const onIncidents = granting('dynamodb:UpdateItem').filter((s) =>
        JSON.stringify(s.Condition).includes('INCIDENT#'),
      );
      expect(onIncidents).toHaveLength(1);
      const attributes = (onIncidents[0]!.Condition as Record<string, Record<string, string[]>>)[
        'ForAllValues:StringEquals'
      ]!['dynamodb:Attributes']!;
      expect(attributes).toEqual(expect.arrayContaining(['pk', 'sk', 'status', 'decisions', 'onceTaken']));
      // What the executor acts on is not among them.
      for (const forbidden of ['plan', 'results', 'signals', 'keyArn', 'principal', 'executing', 'rekey'])
        expect(attributes).not.toContain(forbidden);
    });

    it('hands decisions to the private executor it names, and invokes no other function', () => {
      expect(statementGranting('ApprovalsRole', 'lambda:InvokeFunction').Resource).toEqual(executorArn);
      expect(resources.ApprovalsLambdaFunction!.Properties.Environment.Variables.DECISION_EXECUTOR_FUNCTION).toBe(
        'kms-warden-test-executeDecision',
      );
      // The name serverless deploys the executor under: service-stage-function.
      expect(resources.ExecuteDecisionLambdaFunction!.Properties.FunctionName).toBe('kms-warden-test-executeDecision');
      expect(resources.ApprovalsLambdaFunction!.Properties.FunctionName).toBe('kms-warden-test-approvals');
      // Re-keying is the executor's to start.
      expect(
        resources.ApprovalsLambdaFunction!.Properties.Environment.Variables.REKEY_STATE_MACHINE_ARN,
      ).toBeUndefined();
    });
  });

  describe('the private decision executor', () => {
    it('has no event: no route, rule, schedule or permission reaches it', () => {
      // Besides its asynchronous-invocation settings, only its alarms name it.
      const naming = Object.entries(resources)
        .filter(([id]) => id !== 'ExecuteDecisionLambdaFunction' && id !== 'ExecuteDecisionLambdaEvConf')
        .filter(([, r]) => JSON.stringify(r).includes('ExecuteDecisionLambdaFunction'))
        .map(([, r]) => r.Type);
      expect(new Set(naming)).toEqual(new Set(['AWS::CloudWatch::Alarm']));
      expect(JSON.stringify(ofType('AWS::Lambda::Permission'))).not.toContain('ExecuteDecision');
      expect(JSON.stringify(ofType('AWS::Events::Rule'))).not.toContain('ExecuteDecision');
      expect(JSON.stringify(ofType('AWS::ApiGatewayV2::Integration'))).not.toContain('ExecuteDecision');
    });

    it('runs with its own role, up to 5 minutes, retried twice, then to the dead-letter queue', () => {
      expect(roleOf('ExecuteDecisionLambdaFunction')).toBe('DecisionExecutorRole');
      expect(resources.DecisionExecutorRole!.Properties).toMatchObject({
        RoleName: { 'Fn::Sub': 'kms-warden-test-${AWS::Region}-decision-executor' },
        Path: '/kms-warden/test/',
      });
      expect(resources.ExecuteDecisionLambdaFunction!.Properties).toMatchObject({
        Handler: 'handlers/execute-decision.handler',
        Timeout: 300,
      });
      expect(resources.ExecuteDecisionLambdaEvConf!.Properties).toMatchObject({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } } },
      });
      expect(statementGranting('DecisionExecutorRole', 'sqs:SendMessage').Resource).toEqual({
        'Fn::GetAtt': ['DeadLetterQueue', 'Arn'],
      });
      expect(statementGranting('DecisionExecutorRole', 'sns:Publish').Resource).toEqual({ Ref: 'NotificationTopic' });
    });
  });

  describe('every condition key a role uses', () => {
    /**
     * Condition keys as AWS's Service Authorization Reference lists them for each action (the page of each service,
     * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
     * transcribed for the actions kms-warden conditions. Global keys (aws:*) are on the IAM user guide's page
     * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html.
     */
    const documented: Record<string, string[]> = {
      // list_awsidentityandaccessmanagementiam.html
      'iam:AttachUserPolicy': ['iam:PolicyARN', 'iam:PermissionsBoundary', 'iam:ResourceTag/${TagKey}'],
      'iam:DetachUserPolicy': ['iam:PolicyARN', 'iam:PermissionsBoundary', 'iam:ResourceTag/${TagKey}'],
      'iam:PassRole': ['iam:PassedToService', 'iam:AssociatedResourceArn'],
      // list_awskeymanagementservice.html
      'kms:TagResource': ['aws:TagKeys', 'aws:RequestTag/${TagKey}'],
      'kms:UntagResource': ['aws:TagKeys'],
      'kms:CreateGrant': ['kms:GrantIsForAWSResource', 'kms:ViaService', 'kms:CallerAccount'],
      'kms:Decrypt': ['kms:ViaService', 'kms:CallerAccount'],
      'kms:GenerateDataKey': ['kms:ViaService', 'kms:CallerAccount'],
      'kms:GenerateDataKeyWithoutPlaintext': ['kms:ViaService', 'kms:CallerAccount'],
      'kms:Encrypt': ['kms:ViaService', 'kms:CallerAccount'],
      'kms:ReEncrypt*': ['kms:ViaService', 'kms:CallerAccount'],
      'kms:ReEncryptFrom': ['kms:ViaService', 'kms:CallerAccount'],
      'kms:ReEncryptTo': ['kms:ViaService', 'kms:CallerAccount'],
      // list_awssecretsmanager.html
      'secretsmanager:UpdateSecret': ['secretsmanager:KmsKeyId', 'secretsmanager:KmsKeyArn'],
      'secretsmanager:RotateSecret': ['secretsmanager:RotationLambdaARN', 'secretsmanager:ModifyRotationRules'],
      // list_awslambda.html
      'lambda:UpdateFunctionConfiguration': [
        'lambda:Layer',
        'lambda:SecurityGroupIds',
        'lambda:SubnetIds',
        'lambda:VpcIds',
      ],
      // list_amazons3.html (s3:ResourceAccount is listed for every S3 action)
      's3:PutObject': ['s3:ResourceAccount', 's3:x-amz-copy-source', 's3:x-amz-server-side-encryption-aws-kms-key-id'],
      's3:PutObjectTagging': ['s3:ResourceAccount'],
      's3:GetObject': ['s3:ResourceAccount'],
      's3:GetObjectTagging': ['s3:ResourceAccount'],
      's3:ListBucket': ['s3:ResourceAccount'],
      's3:GetBucketLocation': ['s3:ResourceAccount'],
      's3:GetBucketVersioning': ['s3:ResourceAccount'],
      's3:GetEncryptionConfiguration': ['s3:ResourceAccount'],
      's3:PutEncryptionConfiguration': ['s3:ResourceAccount'],
      's3:PutInventoryConfiguration': ['s3:ResourceAccount'],
      's3:CreateJob': ['s3:RequestJobOperation', 's3:RequestJobPriority'],
      // list_amazondynamodb.html
      'dynamodb:GetItem': ['dynamodb:LeadingKeys'],
      'dynamodb:Query': ['dynamodb:LeadingKeys'],
      'dynamodb:PutItem': ['dynamodb:LeadingKeys'],
      'dynamodb:UpdateItem': ['dynamodb:LeadingKeys', 'dynamodb:Attributes'],
      'dynamodb:ConditionCheckItem': ['dynamodb:LeadingKeys', 'dynamodb:Attributes'],
    };
    /** Global keys, documented for every action that sets them. */
    const globalKeys = ['aws:SourceAccount', 'aws:SourceArn'];

    it.each(['OnKmsApiCallRole', 'DecisionExecutorRole', 'RekeyRole', 'RekeyS3BatchRole', 'ApprovalsRole'])(
      '%s: is documented for each action of its statement',
      (roleId) => {
        for (const statement of statementsOfRole(roleId).filter((s) => s.Condition && s.Effect === 'Allow')) {
          const keys = Object.values(statement.Condition!).flatMap((block) => Object.keys(block));
          for (const action of actionsOf(statement)) {
            for (const key of keys) {
              if (globalKeys.includes(key)) continue;
              expect(`${action} ${key}`).toBe(
                documented[action]?.includes(key) ? `${action} ${key}` : `${action} (undocumented key) ${key}`,
              );
            }
          }
        }
      },
    );
  });

  describe('concurrency', () => {
    const reserved = (functionId: string) => resources[functionId]!.Properties.ReservedConcurrentExecutions;

    it('reserves concurrency for the function that undoes deletions, and caps the activity and approvals functions', () => {
      expect(reserved('OnKmsApiCallLambdaFunction')).toBeGreaterThan(0);
      expect(reserved('OnKmsActivityLambdaFunction')).toBeGreaterThan(0);
      expect(reserved('ApprovalsLambdaFunction')).toBeGreaterThan(0);
    });

    it('deploys in an account with the default quota: 1,000, of which Lambda keeps 100 unreserved', () => {
      // https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
      const total = ofType('AWS::Lambda::Function')
        .map(([, fn]) => fn.Properties.ReservedConcurrentExecutions ?? 0)
        .reduce((sum: number, n: number) => sum + n, 0);
      expect(total).toBeLessThanOrEqual(900);
    });
  });

  it('throttles the HTTP API stage that serves approval links and Slack presses', () => {
    const settings = resources.HttpApiStage!.Properties.DefaultRouteSettings;
    expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings.ThrottlingBurstLimit).toBeGreaterThanOrEqual(settings.ThrottlingRateLimit);
  });

  describe('alarms', () => {
    const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const watching = (namespace: string, metric: string, dimension: Json) =>
      alarms().filter(
        (a) => a.Namespace === namespace && a.MetricName === metric && isDeepStrictEqual(a.Dimensions, [dimension]),
      );

    it('each notify the notification topic when anything happens at all in 5 minutes (or the stream is read late)', () => {
      expect(alarms().length).toBeGreaterThan(0);
      for (const alarm of alarms()) {
        expect(alarm).toMatchObject({
          AlarmActions: [{ Ref: 'NotificationTopic' }],
          // IteratorAge is milliseconds behind the stream: five minutes behind.
          Threshold: alarm.MetricName === 'IteratorAge' ? 300_000 : 0,
          ComparisonOperator: 'GreaterThanThreshold',
          Period: 300,
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
        expect(alarm.AlarmName).toMatch(/^kms-warden-test-/);
        expect(alarm.AlarmDescription.length).toBeGreaterThan(40);
      }
    });

    it('watch how far behind the activity stream its function reads', () => {
      expect(
        watching('AWS/Lambda', 'IteratorAge', { Name: 'FunctionName', Value: { Ref: 'OnKmsActivityLambdaFunction' } }),
      ).toHaveLength(1);
    });

    it('watch the dead-letter queue', () => {
      expect(
        watching('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] },
        }),
      ).toHaveLength(1);
    });

    it('watch every function of the stack', () => {
      expect(
        ofType('AWS::Lambda::Function')
          .map(([id]) => id)
          .sort(),
      ).toEqual([...allFunctions].sort());
    });

    it.each(allFunctions)('watch the errors and throttles of %s', (functionId) => {
      for (const metric of ['Errors', 'Throttles']) {
        expect(watching('AWS/Lambda', metric, { Name: 'FunctionName', Value: { Ref: functionId } })).toHaveLength(1);
      }
    });

    it.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])(
      'watch the re-key executions: %s',
      (metric) => {
        expect(
          watching('AWS/States', metric, { Name: 'StateMachineArn', Value: { Ref: 'RekeyStateMachine' } }),
        ).toHaveLength(1);
      },
    );

    it('can publish: the topic is encrypted with a key CloudWatch may use, and its policy lets alarms of this account publish', () => {
      expect(resources.NotificationTopic!.Properties.KmsMasterKeyId).toEqual({
        'Fn::GetAtt': ['NotificationTopicKey', 'Arn'],
      });
      const key = resources.NotificationTopicKey!.Properties;
      expect(key.EnableKeyRotation).toBe(true);
      expect(key.Tags).toContainEqual({ Key: 'kms-warden:protected', Value: 'true' });
      expect(key.KeyPolicy.Statement).toContainEqual(
        expect.objectContaining({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      );
      const [[, topicPolicy]] = ofType('AWS::SNS::TopicPolicy') as [[string, Resource]];
      expect(topicPolicy.Properties.PolicyDocument.Statement).toEqual([
        expect.objectContaining({
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
        }),
      ]);
    });
  });

  it('runs the update and reminder sweep every minute with a role that reads incidents by status and touches no key or principal', () => {
    const schedules = ofType('AWS::Events::Rule')
      .filter(([, rule]) => rule.Properties.ScheduleExpression)
      .map(([, rule]) => rule.Properties as { ScheduleExpression: string; Targets: Array<{ Input: string }> });
    // The updates every minute, the reminders every hour, each telling the function which.
    expect(schedules.map((rule) => [rule.ScheduleExpression, JSON.parse(rule.Targets[0]!.Input)])).toEqual([
      ['rate(1 minute)', { sweep: 'updates' }],
      ['rate(1 hour)', { sweep: 'reminders' }],
    ]);
    for (const rule of schedules)
      expect(rule.Targets).toMatchObject([{ Arn: { 'Fn::GetAtt': ['RemindPendingDecisionsLambdaFunction', 'Arn'] } }]);
    const granted = allowsOf('RemindersRole');
    expect(granted.filter((a) => a.startsWith('kms:') || a.startsWith('iam:'))).toEqual([]);
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'sns:Publish']));
    // Of an incident it writes only when it reminded, the updates it told and where the Slack message is: never the
    // timeline.
    expect(statementGranting('RemindersRole', 'dynamodb:UpdateItem').Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INCIDENT#*'] },
      'ForAllValues:StringEquals': {
        'dynamodb:Attributes': [
          'pk',
          'sk',
          'remindedAt',
          'slackMessage',
          'lastWriteId',
          'newsToldAt',
          'newsPending',
          'newsPendingSince',
          'notifiedAt',
        ],
      },
    });
  });

  it('serves approval links over an HTTP API: GET shows, POST decides, signed with a generated secret', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties.RouteKey)
      .sort();
    expect(routes).toEqual(['GET /approvals/{token}', 'POST /approvals/{token}', 'POST /slack/actions']);
    expect(resources.ApprovalSigningSecret).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { PasswordLength: 64 } },
    });
    expect(resources.ApprovalsLambdaFunction!.Properties.Environment.Variables.APPROVAL_SECRET_ARN).toEqual({
      Ref: 'ApprovalSigningSecret',
    });
  });

  it('declares the break-glass setting as a parameter, and its deny only when it names principals', () => {
    expect(template.Parameters.BreakGlassPrincipals).toEqual(
      expect.objectContaining({ Type: 'CommaDelimitedList', Default: '' }),
    );
    expect(template.Conditions!.HasBreakGlassPrincipals).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': [',', { Ref: 'BreakGlassPrincipals' }] }, ''] }],
    });
  });

  it.each([
    'onKmsApiCall',
    'onKmsActivity',
    'onSecurityFinding',
    'approvals',
    'executeDecision',
    'remindPendingDecisions',
  ])('bundles %s into a small package', (name) => {
    const size = statSync(join(dir, `${name}.zip`)).size;
    expect(size).toBeGreaterThan(10_000);
    expect(size).toBeLessThan(2_000_000);
  });

  // The bundle as Lambda loads it, in a node of its own with the stack's settings: a module esbuild could not bundle,
  // or a setting read wrongly at start, fails here rather than at the first event.
  it('loads every packaged function in a fresh node, with its handler exported', () => {
    const zips = readdirSync(dir).filter((file) => file.endsWith('.zip'));
    expect(zips.length).toBe(allFunctions.length);
    const pseudo = { partition: 'aws', region: 'us-east-1', account: '123456789012' };
    const refs = refsFor(pseudo);
    // The template's references as a deployed stack would have them; its parameters at their defaults.
    // Conditions decided as CloudFormation would with the parameters' defaults (organization mode off).
    const decided = withConditionsDecided(template as CfnTemplate).Resources;
    const environmentOf = (name: string) => {
      const [, fn] = Object.entries(decided).find(
        ([, f]) => f.Type === 'AWS::Lambda::Function' && f.Properties.FunctionName.endsWith(`-${name}`),
      )!;
      const variables = resolveIntrinsics(
        fn.Properties.Environment.Variables,
        (logical, attribute) => {
          const parameter = attribute ? undefined : template.Parameters?.[logical];
          // What the emulated stack does not name (other functions' roles), as CloudFormation would shape it.
          if (!parameter)
            return (
              refs(logical, attribute) ??
              (attribute
                ? `arn:aws:iam::${pseudo.account}:role/kms-warden/test/${logical}`
                : `kms-warden-test-${logical}`)
            );
          const value = String(parameter.Default ?? '');
          // A list parameter's Ref is a list (Fn::Join takes it).
          return (parameter.Type === 'CommaDelimitedList' ? value.split(',').filter(Boolean) : value) as string;
        },
        pseudo,
      ) as Record<string, string>;
      return { ...variables, AWS_REGION: pseudo.region, AWS_LAMBDA_FUNCTION_NAME: fn.Properties.FunctionName };
    };
    const loaded = zips.map((zip) => {
      const into = join(dir, `unzipped-${zip.replace('.zip', '')}`);
      execFileSync('python3', ['-m', 'zipfile', '-e', join(dir, zip), into]);
      const [handler] = readdirSync(join(into, 'handlers')).filter((file) => file.endsWith('.js'));
      const { status, stderr } = spawnSync(
        process.execPath,
        ['-e', `const m = require('./handlers/${handler}'); process.exit(typeof m.handler === 'function' ? 0 : 3)`],
        { cwd: into, env: { ...environmentOf(zip.replace('.zip', '')), PATH: process.env.PATH }, encoding: 'utf8' },
      );
      return [zip, status, status === 0 ? '' : stderr.split('\n').slice(0, 5).join('\n')];
    });
    expect(loaded).toEqual(zips.map((zip) => [zip, 0, '']));
  });

  // The activity function runs on every direct KMS call: at start it reads its config and little else. Its use case
  // and DynamoDB come with the first batch, the other clients when a signal needs them (src/composition/activity.ts),
  // each a file of its own: were they loaded at start, its cold start would grow back (npm run bench:activity).
  it('starts the activity function without its use case or any SDK client: their files are loaded later', () => {
    const into = join(dir, 'at-start-onKmsActivity');
    execFileSync('python3', ['-m', 'zipfile', '-e', join(dir, 'onKmsActivity.zip'), into]);
    expect(JSON.parse(readFileSync(join(into, 'handlers', 'package.json'), 'utf8'))).toEqual({ type: 'module' });
    // The files loaded at start: the handler's static imports, and theirs (as esbuild writes them: from"./x.js").
    const atStart = new Set<string>();
    const visit = (file: string) => {
      if (atStart.has(file)) return;
      atStart.add(file);
      for (const [, path] of readFileSync(file, 'utf8').matchAll(
        /(?:^|[;\n])\s*import\s*(?:[\w{},\s$*]*?from\s*)?"(\.[^"]+)"/g,
      ))
        visit(join(dirname(file), path!));
    };
    visit(join(into, 'handlers', 'on-kms-activity.js'));
    expect(atStart.size).toBeGreaterThan(1);
    const code = [...atStart].map((file) => readFileSync(file, 'utf8')).join('\n');
    expect(code.length).toBeLessThan(400_000);
    const clients = ['DynamoDBClient', 'KMSClient', 'IAMClient', 'SNSClient', 'SQSClient', 'SecretsManagerClient'];
    expect(clients.filter((client) => code.includes(`"${client}"`))).toEqual([]);
    expect(code).not.toContain('"respondToKmsApiCalls"');
  });
});
