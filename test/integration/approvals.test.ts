import { DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signToken, type ApprovalAction } from '../../src/notify/approval-token';
import { signSlackRequest } from '../../src/approvals/slack-signature';
import type { DecisionExecutor } from '../../src/approvals/decide';
import { approvalEndpoint } from '../../src/composition/approvals';
import { loadConfig } from '../../src/config';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import {
  provisionResponderStack,
  responderEnvironment,
  subscribeInbox,
  type ResponderStack,
} from '../../src/local/responder-stack';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsRekeyWorkflow, StepFunctionsTaskResumer } from '../../src/aws/step-functions-rekey';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { rekeyPlanner } from '../../src/composition/rekey-plan';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { acknowledgementRef } from '../../src/rekey/acknowledge';
import { documentClient, sfnClient } from '../../src/aws/clients';
import { useMoto } from '../support/moto';
import { createWorkloadRole } from '../support/roles';
import { createRekeyStateMachine } from '../support/rekey-state-machine';

type Reply = { statusCode: number; headers: Record<string, string>; body: string };
type Handler = (event: unknown, context: unknown) => Promise<Reply>;
const secretText = 's'.repeat(64);
const slackSigningSecret = '8f742231b10e8888abcd99yyyzzz85a5';
const attacker: Caller = { roleArn: 'arn:aws:iam::123456789012:role/ci-deployer', sessionName: 'mallory' };

const request = (method: 'GET' | 'POST', token: string) => ({
  version: '2.0',
  routeKey: `${method} /approvals/{token}`,
  rawPath: `/approvals/${token}`,
  pathParameters: { token },
  requestContext: {
    http: { method, path: `/approvals/${token}`, sourceIp: '198.51.100.7', userAgent: 'Mozilla/5.0 test' },
  },
});

describe('the approval endpoint, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let approvals: Handler;
  let respond: (event: unknown, context: unknown) => Promise<{ incidents?: Array<{ id: string }> }>;
  let kms: KMSClient;
  let inbox: string;
  let slackServer: Server;
  let rekeyStateMachine: string;
  const handedOver: unknown[] = [];
  const slackPosts: Array<{
    text: string;
    blocks: Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
  }> = [];

  afterAll(() => new Promise<void>((resolve) => slackServer.close(() => resolve())));

  beforeAll(async () => {
    stack = await provisionResponderStack('approve');
    moto.aws.useStack(stack);
    const secrets = new SecretsManagerClient({});
    const { ARN } = await secrets.send(
      new CreateSecretCommand({ Name: 'kms-warden/approve/signing', SecretString: secretText }),
    );
    const { ARN: slackSecretArn } = await secrets.send(
      new CreateSecretCommand({ Name: 'kms-warden/approve/slack', SecretString: slackSigningSecret }),
    );
    // A stand-in for Slack's incoming webhook, on loopback: it keeps what it is sent.
    slackServer = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        slackPosts.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => slackServer.listen(0, '127.0.0.1', resolve));
    const webhookUrl = `http://127.0.0.1:${(slackServer.address() as AddressInfo).port}/services/T000/B000/XXXX`;
    const { ARN: webhookArn } = await secrets.send(
      new CreateSecretCommand({ Name: 'kms-warden/approve/webhook', SecretString: webhookUrl }),
    );
    rekeyStateMachine = await createRekeyStateMachine('kms-warden-approve-rekey');
    Object.assign(process.env, responderEnvironment(stack), {
      REKEY_STATE_MACHINE_ARN: rekeyStateMachine,
      APPROVAL_SECRET_ARN: ARN,
      APPROVALS_URL: 'https://approvals.example.test/approvals/',
      SLACK_SIGNING_SECRET_ARN: slackSecretArn,
      SLACK_APPROVERS: 'U0ONCALL,U0LEAD',
      SLACK_WEBHOOK_SECRET_ARN: webhookArn,
    });
    moto.aws.useStack(stack, {
      ApprovalSigningSecret: { Ref: ARN },
      SlackSigningSecret: { Ref: slackSecretArn },
      SlackWebhookSecret: { Ref: webhookArn },
      RekeyStateMachine: { Ref: rekeyStateMachine },
    });
    inbox = await subscribeInbox(stack.notificationTopicArn, 'approvals-inbox');
    await createWorkloadRole('ci-deployer');
    kms = new KMSClient({});
    // The executor function's own code with its own role; the approvals function hands it each decision it records
    // (in AWS, an asynchronous invocation: here the hand-over runs it before answering, so tests see its effect).
    const { handler: execute } = (await moto.asFunction(
      'executeDecision',
      () => import('../../handlers/execute-decision'),
    )) as unknown as { handler: (event: unknown, context: unknown) => Promise<unknown> };
    const executor: DecisionExecutor = {
      dispatch: async (job) => {
        handedOver.push(job);
        await execute(job, localLambdaContext('executeDecision'));
        return 'handed-over';
      },
    };
    approvals = (await moto.asFunction('approvals', () =>
      approvalEndpoint(loadConfig(), executor),
    )) as unknown as Handler;
    ({ handler: respond } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: typeof respond });
  });

  /**
   * A role of its own for each incident: one principal's signals within hours are one story (one incident), so tests
   * sharing a suspect would share an incident.
   */
  let suspects = 0;
  const freshSuspect = async (): Promise<Caller> => {
    suspects += 1;
    return { ...attacker, roleArn: await createWorkloadRole(`ci-deployer-${suspects}`) };
  };
  /** A contained incident: the attacker scheduled a deletion, kms-warden undid it and isolated the role. */
  const containedIncident = async (given?: Caller) => {
    const suspect = given ?? (await freshSuspect());
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments' }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId, PendingWindowInDays: 7 }));
    const outcome = await respond(
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'ScheduleKeyDeletion',
          keyArn: KeyMetadata!.Arn!,
          caller: suspect,
          requestParameters: { keyId: KeyMetadata!.KeyId, pendingWindowInDays: 7 },
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );
    return { incidentId: outcome.incidents![0]!.id, keyArn: KeyMetadata!.Arn!, keyId: KeyMetadata!.KeyId! };
  };
  /** The incident as a run of re-keying leaves it once begun: its store (as the test's administrator), and when. */
  const rekeying = async (incidentId: string, keyArn: string) => {
    const incidents = new DynamoDbIncidentStore(documentClient(), stack.incidentTable);
    const at = new Date().toISOString();
    await incidents.beginRekey(
      incidentId,
      { startedAt: at, startedBy: 'alice', oldKeyArn: keyArn, pendingWindowDays: 7, resources: {} },
      at,
    );
    return { incidents, at };
  };
  const token = (incidentId: string, action: ApprovalAction, expiresIn = 3600, key = secretText) =>
    signToken({ incidentId, action, expiresAt: Math.floor(Date.now() / 1000) + expiresIn }, Buffer.from(key));
  const drainInbox = async () => {
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await new SQSClient({}).send(
        new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((m) => m.Body!));
    }
  };
  const statusOf = async (incidentId: string) => {
    const { Items = [] } = await new DynamoDBClient({}).send(
      new QueryCommand({
        TableName: stack.incidentTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `INCIDENT#${incidentId}` } },
      }),
    );
    return unmarshall(Items[0]!);
  };
  const audit = async () => {
    const day = new Date().toISOString().slice(0, 10);
    const { Items = [] } = await new DynamoDBClient({}).send(
      new QueryCommand({
        TableName: stack.incidentTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `AUDIT#${day}` } },
      }),
    );
    return Items.map((item) => unmarshall(item));
  };

  it('puts working decision links in the message on-call receives', async () => {
    const { incidentId } = await containedIncident();
    const { Messages = [] } = await new SQSClient({}).send(
      new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10 }),
    );
    const message = Messages.map((m) => m.Body!).find((body) => body.includes(incidentId))!;
    const links = Object.fromEntries(
      [...message.matchAll(/^ {2}(.+): https:\/\/approvals\.example\.test\/approvals\/(\S+)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(Object.keys(links)).toEqual(['Approve re-key', 'Release (false positive)']);
    const page = await approvals(request('GET', links['Approve re-key']!), localLambdaContext('approvals'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(incidentId);
  });

  it('shows the incident, the plan and the risk on GET, and changes nothing', async () => {
    const { incidentId, keyArn } = await containedIncident();
    const page = await approvals(request('GET', token(incidentId, 'approve-rekey')), localLambdaContext('approvals'));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain(keyArn);
    expect(page.body).toContain('cancel the scheduled deletion');
    expect(page.body).toContain('Approve re-key');
    expect(page.body).toContain('>Reject</button>');
    expect(page.body).not.toContain('<script');
    expect((await statusOf(incidentId)).status).toBe('awaiting-approval');
  });

  it('approving the deletion resumes the waiting execution with its task token, as the executor role may', async () => {
    const { incidentId, keyArn } = await containedIncident();
    expect(
      (await approvals(request('POST', token(incidentId, 'approve-rekey')), localLambdaContext('approvals')))
        .statusCode,
    ).toBe(202);
    // What the run records by the time it asks for the second approval, and the token its wait was given.
    const { incidents, at } = await rekeying(incidentId, keyArn);
    await incidents.recordRekey(incidentId, { verifiedAt: at }, at, 'verified');
    await incidents.advance(incidentId, 're-keyed', at, 'every resource is on the replacement key');
    const taskToken = `AQB4AAAA-${incidentId}`;
    await incidents.recordRekey(
      incidentId,
      { deletionRequestedAt: at, awaiting: { for: 'deletion-approval', token: taskToken, since: at } },
      at,
      'deletion approval requested',
    );
    // Act: the link, recorded by the approvals function, carried out by the executor with its own role.
    const decided = await approvals(
      request('POST', token(incidentId, 'approve-deletion')),
      localLambdaContext('approvals'),
    );
    // Assess: SendTaskSuccess went through the strict layer, which authorized it on the token's state machine.
    expect(decided.statusCode).toBe(202);
    const stored = await statusOf(incidentId);
    expect(stored.decisions.at(-1)).toMatchObject({
      action: 'approve-deletion',
      carriedOut: { detail: 'deletion approved: the re-key workflow schedules it now', complete: true },
    });
    // No other function may: the approvals function's role has no Step Functions action at all.
    const asApprovals = await moto.asFunction('approvals', () => new StepFunctionsTaskResumer(sfnClient()));
    await expect(asApprovals.resume(taskToken, { by: 'mallory', why: 'x' })).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('acknowledges one resource left on the old key by its link: the page shows it, asks why, and resumes the run', async () => {
    const { incidentId, keyArn } = await containedIncident();
    await approvals(request('POST', token(incidentId, 'approve-rekey')), localLambdaContext('approvals'));
    const { incidents, at } = await rekeying(incidentId, keyArn);
    // A secret an outsider named: its name is shown as text, never as markup or a second line.
    const hostile = 'secretsmanager:us-east-1:secret:<img src=x onerror=alert(1)>\u202eevil';
    await incidents.recordResources(incidentId, [
      [
        hostile,
        {
          service: 'secretsmanager',
          kind: 'secret',
          id: '<img src=x onerror=alert(1)>\u202eevil',
          region: 'us-east-1',
          status: 'needs-human',
          detail: 'could not be moved: AccessDeniedException',
          instructions: ['Ask the secret owner to allow kms-warden, or acknowledge it.'],
          at,
        },
      ],
    ]);
    const taskToken = `AQB4AAAA-people-${incidentId}`;
    await incidents.recordRekey(incidentId, { awaiting: { for: 'people', token: taskToken, since: at } }, at, null);
    const link = signToken(
      {
        incidentId,
        action: 'acknowledge',
        subject: acknowledgementRef(hostile),
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
      },
      Buffer.from(secretText),
    );
    // The page: the resource, why it is left, what to do instead, and a reason to give. Nothing changes.
    const page = await approvals(request('GET', link), localLambdaContext('approvals'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toContain('\u202e');
    expect(page.body).toContain('Ask the secret owner to allow kms-warden');
    expect(page.body).toContain('name="why"');
    // Without a reason: refused, and the link is not spent.
    const bare = await approvals(request('POST', link), localLambdaContext('approvals'));
    expect(bare.statusCode).toBe(400);
    // With one: recorded, carried out by the executor with its own role (the item acknowledged, the run resumed).
    const decided = await approvals(
      { ...request('POST', link), body: 'why=kept+until+its+owners+move+it' },
      localLambdaContext('approvals'),
    );
    expect(decided.statusCode).toBe(202);
    const after = (await incidents.get(incidentId))!;
    expect(after.rekey!.resources[hostile]).toMatchObject({
      status: 'acknowledged',
      detail: 'acknowledged by approval link holder: kept until its owners move it',
    });
    expect(after.decisions!.at(-1)).toMatchObject({
      action: 'acknowledge',
      subject: hostile,
      why: 'kept until its owners move it',
      carriedOut: { detail: `${hostile} acknowledged: it stays on the old key; verification looks again now` },
    });
    // The same link again: refused, as the resource is no longer left to acknowledge (and its nonce is spent).
    expect(
      (await approvals({ ...request('POST', link), body: 'why=again' }, localLambdaContext('approvals'))).statusCode,
    ).toBe(409);
  });

  it('shows what re-keying would do on the approval page, listed before approval by the read-only planning function', async () => {
    const { incidentId, keyArn } = await containedIncident();
    const page = () => approvals(request('GET', token(incidentId, 'approve-rekey')), localLambdaContext('approvals'));
    expect((await page()).body).toContain('Not listed yet');
    // What the key protects: a secret (moves on its own) and a database instance (waits for a person's cutover).
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: 'payments/<b>db</b>', SecretString: 's', KmsKeyId: keyArn }),
    );
    await new RDSClient({}).send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'payments-orders',
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        MasterUsername: 'admin',
        MasterUserPassword: 'password123',
        AllocatedStorage: 20,
        StorageEncrypted: true,
        KmsKeyId: keyArn,
      }),
    );
    // Act: the planning function's own code, with its own read-only role (the strict layer evaluates each call).
    const planner = await moto.asFunction('planRekey', () => rekeyPlanner(loadConfig()));
    const plan = await planner.plan({ incidentId });
    // Assess
    expect(plan).toMatchObject({ moves: 1, person: 1, gaps: {} });
    const shown = (await page()).body;
    expect(shown).toContain('Moves on its own (1)');
    expect(shown).toContain("Waits for a person's cutover (1)");
    expect(shown).toContain('payments-orders');
    expect(shown).toContain('versions older than AWSPREVIOUS stay under the old key');
    expect(shown).toContain('payments/&lt;b&gt;db&lt;/b&gt;');
    expect(shown).not.toContain('<b>db');
    expect((await statusOf(incidentId)).timeline.at(-1).what).toBe(
      're-key plan: 1 move on their own, 1 wait for a person',
    );
    // Once per incident: invoked again, it lists nothing and records nothing.
    const lines = (await statusOf(incidentId)).timeline.length;
    expect(await planner.plan({ incidentId })).toBeUndefined();
    expect((await statusOf(incidentId)).timeline).toHaveLength(lines);
    // Once approved, a late plan is not recorded: the run's own inventory counts then.
    await approvals(request('POST', token(incidentId, 'approve-rekey')), localLambdaContext('approvals'));
    expect(await planner.plan({ incidentId })).toBeUndefined();
  });

  it('approves once: the incident is approved, the same link again is refused', async () => {
    const { incidentId } = await containedIncident();
    const approve = token(incidentId, 'approve-rekey');
    const first = await approvals(request('POST', approve), localLambdaContext('approvals'));
    const again = await approvals(request('POST', approve), localLambdaContext('approvals'));
    expect(first.statusCode).toBe(202);
    expect(first.body).toContain('Decided: Approve re-key');
    expect(again.statusCode).toBe(409);
    const stored = await statusOf(incidentId);
    // Carried out by the executor, with its own role: the execution started.
    expect(stored.decisions[0].carriedOut.detail).toContain('re-keying started (execution arn:aws:states:');
    expect(stored.status).toBe('approved');
    // One execution, named after the incident, whose input is the run.
    const { executions = [] } = await new SFNClient({}).send(
      new ListExecutionsCommand({ stateMachineArn: rekeyStateMachine }),
    );
    const started = executions.filter((e) => e.name === incidentId);
    expect(started).toHaveLength(1);
    const { input } = await new SFNClient({}).send(
      new DescribeExecutionCommand({ executionArn: started[0]!.executionArn }),
    );
    expect(JSON.parse(input!)).toEqual({
      run: { incidentId, keyArn: stored.keyArn, pendingWindowDays: 30, startedBy: 'approval link holder' },
    });
    // A resume from the CLI while that run is still going is refused: two runs must never race.
    const resume = await new StepFunctionsRekeyWorkflow(new SFNClient({}), rekeyStateMachine).start(
      { incidentId, keyArn: stored.keyArn, pendingWindowDays: 30, startedBy: 'cli:dana' },
      'cli-1',
    );
    expect(resume).toEqual({
      started: false,
      detail: `re-keying of this incident is still running (execution ${incidentId}); wait for it or stop it first`,
    });
    expect(stored.decisions).toEqual([expect.objectContaining({ action: 'approve-rekey', channel: 'approval-link' })]);
  });

  /** One attacker's story over two keys: a grant to an outsider on one, then the other scheduled for deletion. */
  const storyOfTwoKeys = async (suspect: Caller) => {
    const created = async () => (await kms.send(new CreateKeyCommand({ Description: 'story' }))).KeyMetadata!;
    const [handedOut, destroyed, untouched] = [await created(), await created(), await created()];
    await kms.send(
      new CreateGrantCommand({
        KeyId: handedOut.KeyId,
        GranteePrincipal: 'arn:aws:iam::999988887777:role/exfil',
        Operations: ['Decrypt'],
      }),
    );
    const grant = await respond(
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'CreateGrant',
          keyArn: handedOut.Arn!,
          caller: suspect,
          requestParameters: {
            keyId: handedOut.Arn!,
            granteePrincipal: 'arn:aws:iam::999988887777:role/exfil',
            operations: ['Decrypt'],
          },
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: destroyed.KeyId, PendingWindowInDays: 7 }));
    const deletion = await respond(
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'ScheduleKeyDeletion',
          keyArn: destroyed.Arn!,
          caller: suspect,
          requestParameters: { keyId: destroyed.KeyId, pendingWindowInDays: 7 },
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );
    expect(deletion.incidents![0]!.id).toBe(grant.incidents![0]!.id);
    return { incidentId: grant.incidents![0]!.id, handedOut, destroyed, untouched };
  };

  it("re-keys every key of the story the person ticks, each on its own run, and refuses a key not the story's", async () => {
    // One attacker: a grant to an outsider on one key, then another key scheduled for deletion: one story, two keys.
    const { incidentId, handedOut, destroyed, untouched } = await storyOfTwoKeys(await freshSuspect());

    const approve = token(incidentId, 'approve-rekey');
    const page = await approvals(request('GET', approve), localLambdaContext('approvals'));
    // The incident's key always re-keyed; the other offered and ticked (attacked); the story's steps shown.
    expect(page.body).toContain(`<input type="hidden" name="key" value="${handedOut.Arn}">`);
    expect(page.body).toContain(`name="key" id="key1" value="${destroyed.Arn}" checked`);
    expect(page.body).toContain('<h2>The story</h2>');

    // A key that is not the story's, or none: refused, and the link still works.
    const forged = await approvals(
      {
        ...request('POST', approve),
        body: `keys=chosen&key=${encodeURIComponent(handedOut.Arn!)}&key=${encodeURIComponent(untouched.Arn!)}`,
      },
      localLambdaContext('approvals'),
    );
    expect(forged.statusCode).toBe(400);
    expect(forged.body).toContain('is not a key of this incident');
    const none = await approvals({ ...request('POST', approve), body: 'keys=chosen' }, localLambdaContext('approvals'));
    expect(none.statusCode).toBe(400);
    // Without the incident's own key the incident would wait on a run that never starts: refused.
    const withoutOwn = await approvals(
      { ...request('POST', approve), body: `keys=chosen&key=${encodeURIComponent(destroyed.Arn!)}` },
      localLambdaContext('approvals'),
    );
    expect(withoutOwn.statusCode).toBe(400);
    expect(withoutOwn.body).toContain('always re-keyed');
    expect((await statusOf(incidentId)).status).toBe('awaiting-approval');

    const body = `keys=chosen&key=${encodeURIComponent(handedOut.Arn!)}&key=${encodeURIComponent(destroyed.Arn!)}`;
    const decided = await approvals({ ...request('POST', approve), body }, localLambdaContext('approvals'));
    expect(decided.statusCode).toBe(202);
    const stored = await statusOf(incidentId);
    expect(stored.decisions[0]).toMatchObject({ action: 'approve-rekey', keys: [handedOut.Arn, destroyed.Arn] });
    // The story's own key on the story; the other on an incident of its own, part of the story, each a run.
    const { Items = [] } = await new DynamoDBClient({}).send(
      new ScanCommand({
        TableName: stack.incidentTable,
        FilterExpression: 'parentId = :story',
        ExpressionAttributeValues: { ':story': { S: incidentId } },
      }),
    );
    const parts = Items.map((item) => unmarshall(item));
    expect(parts.map((part) => [part.keyArn, part.status])).toEqual([[destroyed.Arn, 'approved']]);
    const { executions = [] } = await new SFNClient({}).send(
      new ListExecutionsCommand({ stateMachineArn: rekeyStateMachine }),
    );
    const inputs = await Promise.all(
      executions
        .filter((e) => e.name === incidentId || e.name === parts[0]!.id)
        .map(async (e) => {
          const { input } = await new SFNClient({}).send(
            new DescribeExecutionCommand({ executionArn: e.executionArn }),
          );
          return JSON.parse(input!).run as { incidentId: string; keyArn: string };
        }),
    );
    expect(inputs.map((run) => [run.incidentId, run.keyArn]).sort()).toEqual(
      [
        [incidentId, handedOut.Arn],
        [parts[0]!.id, destroyed.Arn],
      ].sort(),
    );
    expect(stored.decisions[0].carriedOut.detail).toContain(`${destroyed.Arn}: incident ${parts[0]!.id}`);
  });

  it('lets one of two simultaneous approvals win', async () => {
    const { incidentId } = await containedIncident();
    const replies = await Promise.all([
      approvals(request('POST', token(incidentId, 'approve-rekey')), localLambdaContext('approvals')),
      approvals(request('POST', token(incidentId, 'approve-rekey')), localLambdaContext('approvals')),
    ]);
    expect(replies.map((r) => r.statusCode).sort()).toEqual([202, 409]);
    expect((await statusOf(incidentId)).decisions).toHaveLength(1);
  });

  it('releases a false positive: every reversible step undone, in moto', async () => {
    // A role of its own: the quarantine this incident applied is the one its release must take back.
    await createWorkloadRole('batch-job');
    const { incidentId, keyId } = await containedIncident({
      roleArn: 'arn:aws:iam::123456789012:role/batch-job',
      sessionName: 'nightly',
    });
    expect((await new IAMClient({}).send(new ListRolePoliciesCommand({ RoleName: 'batch-job' }))).PolicyNames).toEqual([
      'KmsWardenQuarantine',
    ]);
    const reply = await approvals(request('POST', token(incidentId, 'release')), localLambdaContext('approvals'));
    expect(reply.statusCode).toBe(202);
    expect((await statusOf(incidentId)).status).toBe('released');
    const policy = JSON.parse(
      (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!,
    );
    expect(policy.Statement.some((s: { Sid?: string }) => s.Sid?.startsWith('KmsWardenDeny'))).toBe(false);
    expect((await new IAMClient({}).send(new ListRolePoliciesCommand({ RoleName: 'batch-job' }))).PolicyNames).toEqual(
      [],
    );
    // The cancelled deletion's EnableKey is taken back too: the key is Disabled, not pending deletion.
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Disabled');
  });

  it('releases a story: every reversible step of every signal undone, on each key', async () => {
    const suspect = await freshSuspect();
    const role = suspect.roleArn.split('/').at(-1)!;
    const { incidentId, handedOut, destroyed } = await storyOfTwoKeys(suspect);
    const denied = async (keyId: string) =>
      JSON.parse(
        (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!,
      ).Statement.some((statement: { Sid?: string }) => statement.Sid?.startsWith('KmsWardenDeny'));
    expect([await denied(handedOut.KeyId!), await denied(destroyed.KeyId!)]).toEqual([true, true]);
    const reply = await approvals(request('POST', token(incidentId, 'release')), localLambdaContext('approvals'));
    expect(reply.statusCode).toBe(202);
    expect((await statusOf(incidentId)).status).toBe('released');
    // The grant step's deny on one key and the deletion step's on the other are both gone, and the quarantine.
    expect([await denied(handedOut.KeyId!), await denied(destroyed.KeyId!)]).toEqual([false, false]);
    expect((await new IAMClient({}).send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames).toEqual([]);
  });

  it('reports a release AWS applied and then answered 500 for as done, not as a lost race', async () => {
    const { incidentId } = await containedIncident();
    // The move to released takes effect, then the client is answered 500; the SDK sends it again.
    const fault = moto.aws.proxy.inject({
      operation: 'dynamodb:UpdateItem',
      kind: 'apply-then-500',
      when: (call) => JSON.stringify(call.params.ExpressionAttributeValues ?? {}).includes('"released"'),
    });
    const reply = await approvals(request('POST', token(incidentId, 'release')), localLambdaContext('approvals'));
    expect(fault.made()).toBe(1);
    expect(reply.statusCode).toBe(202);
    expect(reply.body).not.toMatch(/changed|already decided/i);
    expect((await statusOf(incidentId)).status).toBe('released');
    expect((await statusOf(incidentId)).decisions).toHaveLength(1);
  });

  it('disables the key on an approved disable-key link', async () => {
    const { incidentId, keyId } = await containedIncident();
    const reply = await approvals(request('POST', token(incidentId, 'disable-key')), localLambdaContext('approvals'));
    expect(reply.statusCode).toBe(202);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Disabled');
    expect((await statusOf(incidentId)).decisions[0]).toMatchObject({
      action: 'disable-key',
      results: [{ outcome: 'applied' }],
    });
  });

  it.each([
    [
      'forged',
      (id: string) => token(id, 'approve-rekey', 3600, 'f'.repeat(64)),
      403,
      'This link is not valid',
      'forged: the signature does not match',
    ],
    ['expired', (id: string) => token(id, 'approve-rekey', -10), 410, 'This link has expired', 'expired: expired at '],
    [
      'garbage',
      () => 'not-a-token',
      400,
      'This is not a kms-warden link',
      'malformed: not a kms-warden approval token',
    ],
    [
      'for a missing incident',
      () => token('kw-20990101-000000000000', 'approve-rekey'),
      404,
      'No such incident',
      'unknown-incident: incident kw-20990101-000000000000 does not exist',
    ],
  ])('refuses a %s link with a page and an audit entry, never a 500', async (_name, make, status, title, reason) => {
    const { incidentId } = await containedIncident();
    const before = new Set((await audit()).map((entry) => entry.sk));
    const reply = await approvals(request('POST', make(incidentId)), localLambdaContext('approvals'));
    expect(reply.statusCode).toBe(status);
    expect(reply.body).toContain(title);
    expect(reply.body).toContain('Nothing was changed');
    expect((await statusOf(incidentId)).status).toBe('awaiting-approval');
    const added = (await audit()).filter((entry) => !before.has(entry.sk));
    expect(added).toEqual([
      expect.objectContaining({
        outcome: 'refused',
        reason: expect.stringMatching(new RegExp(`^${reason}`)),
        sourceIp: '198.51.100.7',
        userAgent: 'Mozilla/5.0 test',
      }),
    ]);
  });

  describe('Slack buttons', () => {
    const press = (userId: string, value: string, secret = slackSigningSecret, age = 0) => {
      const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: userId, username: 'someone' }, actions: [{ action_id: 'approve-rekey', value }] }))}`;
      const timestamp = String(Math.floor(Date.now() / 1000) - age);
      return {
        version: '2.0',
        routeKey: 'POST /slack/actions',
        rawPath: '/slack/actions',
        body,
        isBase64Encoded: false,
        headers: {
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': signSlackRequest(secret, timestamp, body),
        },
        requestContext: {
          http: { method: 'POST', path: '/slack/actions', sourceIp: '203.0.113.9', userAgent: 'Slackbot 1.0' },
        },
      };
    };

    it('posts a Block Kit message whose button, pressed by an approver, decides', async () => {
      const { incidentId } = await containedIncident();
      const message = slackPosts.find((post) => post.text.includes(incidentId))!;
      expect(message.blocks.map((b) => b.type)).toEqual([
        'header',
        'section',
        'section',
        'section',
        'section',
        'actions',
      ]);
      const buttons = message.blocks.at(-1)!.elements!;
      expect(buttons.map((b) => b.action_id)).toEqual(['approve-rekey', 'release']);
      const postsBefore = slackPosts.length;
      const reply = await approvals(press('U0LEAD', buttons[0]!.value), localLambdaContext('approvals'));
      // Recorded, and the presser told; the executor carries it out (and replaces the message through the press's
      // response_url, which this press has none of).
      expect(JSON.parse(reply.body)).toMatchObject({
        response_type: 'ephemeral',
        text: expect.stringContaining(`<@U0LEAD>: approve-rekey for ${incidentId}: recorded`),
      });
      expect((await statusOf(incidentId)).status).toBe('approved');
      // Slack's own message was updated in place: no second Slack post.
      expect(slackPosts.length).toBe(postsBefore);
    });

    it('lets a listed approver decide, once, recorded as a Slack decision', async () => {
      const { incidentId } = await containedIncident();
      const value = token(incidentId, 'approve-rekey');
      await drainInbox();
      const reply = await approvals(press('U0ONCALL', value), localLambdaContext('approvals'));
      expect(reply.statusCode).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({
        response_type: 'ephemeral',
        text: expect.stringContaining(incidentId),
      });
      // Everyone else hears of the decision through SNS, in the incident's chat thread.
      const news = (await drainInbox()).filter((body) => body.includes(incidentId));
      expect(news).toHaveLength(1);
      expect(news[0]).toMatch(/^Approve re-key: decided by slack:U0ONCALL \(someone\) via slack\./);
      const stored = await statusOf(incidentId);
      expect(stored).toMatchObject({
        status: 'approved',
        decisions: [{ channel: 'slack', by: 'slack:U0ONCALL (someone)' }],
      });
      const again = JSON.parse((await approvals(press('U0LEAD', value), localLambdaContext('approvals'))).body);
      expect(again.text).toContain('can no longer be made');
    });

    it('hands the executor only the recorded decision; a job for anything else carries out nothing', async () => {
      const { incidentId, keyId } = await containedIncident();
      const before = await statusOf(incidentId);
      const { handler: execute } = (await moto.asFunction(
        'executeDecision',
        () => import('../../handlers/execute-decision'),
      )) as unknown as { handler: (event: unknown, context: unknown) => Promise<unknown> };
      // What anyone allowed to invoke the executor could send: a decision never recorded, and a malformed event.
      expect(
        await execute(
          { incidentId, decisionId: '00000000-0000-4000-8000-000000000000' },
          localLambdaContext('executeDecision'),
        ),
      ).toEqual({ notCarriedOut: expect.stringContaining('no decision') });
      expect(
        await execute(
          { incidentId, decisionId: 'x', responseUrl: 'https://hooks.slack.com/evil' },
          localLambdaContext('executeDecision'),
        ),
      ).toMatchObject({ status: 'rejected' });
      expect(await statusOf(incidentId)).toEqual(before);
      expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Enabled');
    });

    it.each([
      [
        'someone not on the approver list',
        () => ['U0INTERN', undefined, 0] as const,
        200,
        'not on the list of kms-warden approvers',
      ],
      [
        'a forged signature',
        () => ['U0ONCALL', 'not-the-secret-0000000000000000', 0] as const,
        401,
        'request not verified',
      ],
      ['a request older than five minutes', () => ['U0ONCALL', undefined, 400] as const, 401, 'request not verified'],
    ])('refuses %s and changes nothing', async (_name, args, status, text) => {
      const { incidentId } = await containedIncident();
      const [user, secret, age] = args();
      const reply = await approvals(
        press(user, token(incidentId, 'approve-rekey'), secret ?? slackSigningSecret, age),
        localLambdaContext('approvals'),
      );
      expect(reply.statusCode).toBe(status);
      expect(reply.body).toContain(text);
      expect((await statusOf(incidentId)).status).toBe('awaiting-approval');
    });
  });
});
