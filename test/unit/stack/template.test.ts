import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { actions } from '../../../src/actions';
import { KeyReplacement } from '../../../src/aws/rekey/kms-replacement';
import { reEncrypters } from '../../../src/composition/rekey';
import { ruleTargets } from '../../../src/local/rule-targets';
import { projectRoot } from '../../../src/local/stack-definition';

/** The actions each function may run; its role must allow exactly what they need, and no more. */
// Every function plans through the same response policy, and a person's approval can run any action on its signals.
const everyAction = Object.keys(actions) as Array<keyof typeof actions>;
const actionsRunBy: Record<string, Array<keyof typeof actions>> = {
  OnKmsApiCallLambdaFunction: everyAction,
  OnKmsActivityLambdaFunction: everyAction,
  OnSecurityFindingLambdaFunction: everyAction,
  // Approving disable-key runs it; releasing undoes any step.
  ApprovalsLambdaFunction: everyAction,
};
/** Every function: the containing ones, and the reminder, which runs no action. */
const allFunctions = [...Object.keys(actionsRunBy), 'RemindPendingDecisionsLambdaFunction'];
/** IAM actions that support no resource-level permissions. */
const actionsWithoutResources = ['cloudtrail:LookupEvents', 'kms:ListAliases'];

/**
 * Reads beyond the actions' own: the key's tags (its mode) for every planner, its aliases for the messages responders
 * send.
 */
const responderReads = ['kms:ListResourceTags', 'kms:ListAliases'];
const readsBy: Record<string, string[]> = {
  OnKmsApiCallLambdaFunction: responderReads,
  OnKmsActivityLambdaFunction: responderReads,
  OnSecurityFindingLambdaFunction: responderReads,
  ApprovalsLambdaFunction: ['kms:ListResourceTags'],
};

/** Every rule file, the state its rule needs, and the function it feeds. */
// The table the local demo routes by (src/local/rule-targets.ts): the template must deploy exactly it.
const rules: Array<[file: string, state: string, target: string]> = ruleTargets.map(({ file, state, fn }) => [
  file,
  state,
  `${fn[0]!.toUpperCase()}${fn.slice(1)}LambdaFunction`,
]);

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, asserted field by field
type Json = any;
type Resource = { Type: string; Properties: Record<string, Json>; DeletionPolicy?: string };

describe('the packaged CloudFormation template', () => {
  let dir: string;
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-warden-package-'));
    // osls packages offline: no AWS account or credentials needed.
    execFileSync('npx', ['serverless', 'package', '--stage', 'test', '--package', dir], {
      cwd: projectRoot,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: 'kms-warden-no-such-profile',
      },
      stdio: 'pipe',
    });
    resources = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defines one rule per file in rules/, and no other', () => {
    expect(readdirSync(join(projectRoot, 'rules')).sort()).toEqual(rules.map(([file]) => file).sort());
    expect(ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties.EventPattern)).toHaveLength(rules.length);
  });

  it.each(rules)('loads %s as a rule in state %s feeding %s, with a dead-letter queue', (file, state, target) => {
    const pattern = JSON.parse(readFileSync(join(projectRoot, 'rules', file), 'utf8'));
    const matching = ofType('AWS::Events::Rule').filter(([, rule]) =>
      isDeepStrictEqual(rule.Properties.EventPattern, pattern),
    );
    expect(matching).toHaveLength(1);
    const [[, rule]] = matching as [[string, Resource]];
    expect(rule.Properties.State).toBe(state);
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [target, 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } },
      }),
    ]);
  });

  it('lets EventBridge invoke the function behind the rule defined in resources', () => {
    const permissions = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
    expect(permissions).toContainEqual(
      expect.objectContaining({
        FunctionName: { 'Fn::GetAtt': ['OnKmsActivityLambdaFunction', 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['KmsKeyActivityRule', 'Arn'] },
      }),
    );
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
    ]);
  });

  it('publishes to an encrypted SNS topic and sends failures after retries to the dead-letter queue', () => {
    expect(resources.NotificationTopic).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { KmsMasterKeyId: 'alias/aws/sns' },
    });
    expect(resources.DeadLetterQueue).toMatchObject({
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1209600 },
    });
    const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig').map(([, c]) => c.Properties);
    // Every function EventBridge invokes (asynchronously); the approval endpoint's only asynchronous invocations are
    // the Slack presses it hands itself, never retried.
    expect(invokeConfigs.map((c) => c.FunctionName.Ref).sort()).toEqual([...allFunctions].sort());
    expect(invokeConfigs.find((c) => c.FunctionName.Ref === 'ApprovalsLambdaFunction')).toMatchObject({
      MaximumRetryAttempts: 0,
    });
    for (const config of invokeConfigs.filter((c) => c.FunctionName.Ref !== 'ApprovalsLambdaFunction')) {
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
    });
  });

  describe.each(Object.entries(actionsRunBy))('%s', (functionId, actionTypes) => {
    const statementsOf = () => {
      const roleId = resources[functionId]!.Properties.Role['Fn::GetAtt'][0] as string;
      const role = resources[roleId]!;
      return {
        role,
        statements: role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as Statement[],
      };
    };
    const actionsOf = (s: Statement) => [s.Action].flat();

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
      for (const role of [
        'on-kms-api-call',
        'on-kms-activity',
        'on-security-finding',
        'reminders',
        'rekey',
        'rekey-s3-batch',
        'approvals',
      ]) {
        expect(JSON.stringify(deny.Resource)).toContain(
          `role/kms-warden/test/kms-warden-test-\${AWS::Region}-${role}"`,
        );
      }
      expect(JSON.stringify(deny.Resource)).not.toContain('role/kms-warden/*');
      expect(JSON.stringify(deny.Resource)).toContain('role/aws-service-role/*');
    });

    it('grants no wildcard action, and a wildcard resource only to actions that take no other', () => {
      const { statements } = statementsOf();
      for (const statement of statements) {
        for (const action of actionsOf(statement)) expect(action).not.toMatch(/\*/);
        if (actionsOf(statement).every((action) => actionsWithoutResources.includes(action))) continue;
        expect(statement.Resource).not.toEqual('*');
        expect([statement.Resource].flat()).not.toContain('*');
      }
    });
  });

  describe('re-keying', () => {
    const statementsOfRole = (roleId: string) =>
      resources[roleId]!.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as Statement[];

    it('runs the definition the tests run, every Task calling the re-key step function', () => {
      const machine = resources.RekeyStateMachine!;
      expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
      const [template, substitutions] = machine.Properties.DefinitionString['Fn::Sub'] as [
        string,
        Record<string, Json>,
      ];
      const deployed = JSON.parse(template) as { States: Record<string, { Type: string }> };
      const local = JSON.parse(
        readFileSync(join(projectRoot, 'src/rekey/rekey-workflow.asl.json'), 'utf8'),
      ) as typeof deployed;
      expect(Object.keys(deployed.States)).toEqual(Object.keys(local.States));
      expect(Object.values(substitutions)).toEqual(
        expect.arrayContaining([{ 'Fn::GetAtt': ['RekeyStepLambdaFunction', 'Arn'] }]),
      );
    });

    it('grants the step function exactly the IAM actions the key adapter and every service adapter declare', () => {
      const granted = new Set(
        statementsOfRole('RekeyRole')
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => [s.Action].flat()),
      );
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
      ];
      expect([...granted].sort()).toEqual([...new Set([...declared, ...ownReads])].sort());
    });

    it('hands S3 Batch Operations its own role and no other', () => {
      expect(resources.RekeyStepLambdaFunction!.Properties.Environment.Variables.REKEY_S3_BATCH_ROLE_ARN).toEqual({
        'Fn::GetAtt': ['RekeyS3BatchRole', 'Arn'],
      });
      const pass = statementsOfRole('RekeyRole').filter((s) => [s.Action].flat().includes('iam:PassRole'));
      expect(pass).toEqual([
        expect.objectContaining({
          Resource: { 'Fn::GetAtt': ['RekeyS3BatchRole', 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'batchoperations.s3.amazonaws.com' } },
        }),
      ]);
      expect(resources.RekeyS3BatchRole!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'batchoperations.s3.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
    });

    it('lets the approval endpoint start it, and nothing else', () => {
      expect(resources.ApprovalsLambdaFunction!.Properties.Environment.Variables.REKEY_STATE_MACHINE_ARN).toEqual({
        Ref: 'RekeyStateMachine',
      });
      const start = statementsOfRole('ApprovalsRole').filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('states:')),
      );
      expect(start).toEqual([
        expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: 'RekeyStateMachine' } }),
      ]);
    });

    it('lets the approval endpoint invoke itself (a Slack press decided after Slack is answered), and no other function', () => {
      const invoke = statementsOfRole('ApprovalsRole').filter((s) =>
        [s.Action].flat().some((a) => a.startsWith('lambda:')),
      );
      expect(invoke).toEqual([
        expect.objectContaining({
          Action: 'lambda:InvokeFunction',
          Resource: {
            'Fn::Sub':
              'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:kms-warden-test-approvals',
          },
        }),
      ]);
      expect(resources.ApprovalsLambdaFunction!.Properties.FunctionName).toBe('kms-warden-test-approvals');
    });
  });

  it('runs the reminder hourly with a role that reads incidents by status and touches no key or principal', () => {
    const [[, schedule]] = ofType('AWS::Events::Rule').filter(([, rule]) => rule.Properties.ScheduleExpression) as [
      [string, Resource],
    ];
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      Targets: [{ Arn: { 'Fn::GetAtt': ['RemindPendingDecisionsLambdaFunction', 'Arn'] } }],
    });
    const statements = resources.RemindersRole!.Properties.Policies[0].PolicyDocument.Statement as Statement[];
    const granted = statements.flatMap((s) => [s.Action].flat());
    expect(granted.filter((a) => a.startsWith('kms:') || a.startsWith('iam:'))).toEqual([]);
    expect(granted).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem', 'sns:Publish']));
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

  it.each(['onKmsApiCall', 'onKmsActivity', 'onSecurityFinding', 'approvals', 'remindPendingDecisions'])(
    'bundles %s into one small file',
    (name) => {
      const size = statSync(join(dir, `${name}.zip`)).size;
      expect(size).toBeGreaterThan(10_000);
      expect(size).toBeLessThan(2_000_000);
    },
  );
});
