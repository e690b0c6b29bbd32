import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DecisionJob } from '../../src/approvals/carry-out';
import type { DecisionExecutor } from '../../src/approvals/decide';
import { approvalEndpoint } from '../../src/composition/approvals';
import { loadConfig } from '../../src/config';
import { kmsApiCallRecord, viaEventBridge } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { signToken, type ApprovalAction } from '../../src/notify/approval-token';
import { useMoto } from '../support/moto';
import { createRekeyStateMachine } from '../support/rekey-state-machine';

/**
 * Every decision moves the incident first (one conditional write: the winner), then the private executor acts. Two
 * people deciding at once, by link: the loser acts on nothing, and what AWS holds agrees with the incident. Each
 * function runs its own code with its own role (approvals records, executeDecision acts).
 */
type Reply = { statusCode: number; body: string };
const secretText = 'r'.repeat(64);

describe('decisions made at the same moment, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let approvals: (event: unknown, context: unknown) => Promise<Reply>;
  let execute: (event: unknown, context: unknown) => Promise<unknown>;
  let respond: (event: unknown, context: unknown) => Promise<{ incidents?: Array<{ id: string }> }>;
  let rekeyStateMachine: string;
  const kms = () => new KMSClient({});
  const iam = () => new IAMClient({});
  /** Hand-overs held back, to run the executors in the order a test chooses (Lambda's queue gives no order). */
  let held: DecisionJob[] | undefined;

  beforeAll(async () => {
    stack = await provisionResponderStack('races');
    const { ARN } = await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: 'kms-warden/races/signing', SecretString: secretText }),
    );
    rekeyStateMachine = await createRekeyStateMachine('kms-warden-races-rekey');
    Object.assign(process.env, responderEnvironment(stack), {
      REKEY_STATE_MACHINE_ARN: rekeyStateMachine,
      APPROVAL_SECRET_ARN: ARN,
      APPROVALS_URL: 'https://approvals.example.test/approvals/',
    });
    moto.aws.useStack(stack, { ApprovalSigningSecret: { Ref: ARN }, RekeyStateMachine: { Ref: rekeyStateMachine } });
    ({ handler: execute } = (await moto.asFunction(
      'executeDecision',
      () => import('../../handlers/execute-decision'),
    )) as unknown as { handler: typeof execute });
    const executor: DecisionExecutor = {
      dispatch: async (job) => {
        if (held) held.push(job);
        else await execute(job, localLambdaContext('executeDecision'));
        return 'handed-over';
      },
    };
    approvals = (await moto.asFunction('approvals', () =>
      approvalEndpoint(loadConfig(), executor),
    )) as unknown as typeof approvals;
    ({ handler: respond } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: typeof respond });
  });

  let roles = 0;
  /** A contained incident awaiting approval: the deletion cancelled, the role denied in the key policy, quarantined. */
  const containedIncident = async () => {
    const roleName = `suspect-${(roles += 1)}`;
    await iam().send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const { KeyMetadata } = await kms().send(new CreateKeyCommand({ Description: 'payments' }));
    await kms().send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId, PendingWindowInDays: 7 }));
    const outcome = await respond(
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'ScheduleKeyDeletion',
          keyArn: KeyMetadata!.Arn!,
          caller: { roleArn: `arn:aws:iam::123456789012:role/${roleName}`, sessionName: 'mallory' },
          requestParameters: { keyId: KeyMetadata!.KeyId, pendingWindowInDays: 7 },
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );
    return { incidentId: outcome.incidents![0]!.id, keyId: KeyMetadata!.KeyId!, roleName };
  };

  const post = (incidentId: string, action: ApprovalAction) => {
    const token = signToken(
      { incidentId, action, expiresAt: Math.floor(Date.now() / 1000) + 3600 },
      Buffer.from(secretText),
    );
    return approvals(
      {
        version: '2.0',
        routeKey: 'POST /approvals/{token}',
        rawPath: `/approvals/${token}`,
        pathParameters: { token },
        requestContext: { http: { method: 'POST', path: '/approvals/x', sourceIp: '198.51.100.7', userAgent: 't' } },
      },
      localLambdaContext('approvals'),
    );
  };

  const incidentOf = async (incidentId: string) => {
    const { Items = [] } = await new DynamoDBClient({}).send(
      new QueryCommand({
        TableName: stack.incidentTable,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': { S: `INCIDENT#${incidentId}` }, ':sk': { S: 'INCIDENT' } },
      }),
    );
    return unmarshall(Items[0]!) as {
      status: string;
      decisions?: Array<{ id: string; action: string; carriedOut?: { detail: string; complete: boolean } }>;
    };
  };

  /** What AWS holds for the incident's key and suspect. */
  const awsState = async (keyId: string, roleName: string) => {
    const policy = JSON.parse(
      (await kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!,
    ) as { Statement: Array<{ Sid?: string }> };
    return {
      denied: policy.Statement.some((statement) => statement.Sid?.startsWith('KmsWardenDeny')),
      quarantined: (await iam().send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames!.includes(
        'KmsWardenQuarantine',
      ),
      keyState: (await kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState,
    };
  };

  const executionsFor = async (incidentId: string) =>
    (
      await new SFNClient({}).send(new ListExecutionsCommand({ stateMachineArn: rekeyStateMachine }))
    ).executions!.filter((execution) => execution.name === incidentId).length;

  const movers = new Set<ApprovalAction>(['approve-rekey', 'reject', 'release']);
  const pairs: Array<[ApprovalAction, ApprovalAction]> = [
    ['approve-rekey', 'reject'],
    ['approve-rekey', 'release'],
    ['approve-rekey', 'disable-key'],
    ['reject', 'release'],
    ['reject', 'disable-key'],
    ['release', 'disable-key'],
  ];

  it.each(pairs)('%s and %s at once: one winner, and AWS agrees with the incident', async (first, second) => {
    const { incidentId, keyId, roleName } = await containedIncident();
    expect(await awsState(keyId, roleName)).toEqual({ denied: true, quarantined: true, keyState: 'Enabled' });
    const replies = await Promise.all([post(incidentId, first), post(incidentId, second)]);
    const incident = await incidentOf(incidentId);
    const decided = (incident.decisions ?? []).map((decision) => decision.action);
    // Of the decisions that move the incident, one at most is recorded; a loser is told, and recorded nothing.
    expect(decided.filter((action) => movers.has(action as ApprovalAction)).length).toBeLessThanOrEqual(1);
    for (const [i, action] of [first, second].entries())
      expect(replies[i]!.statusCode).toBe(decided.includes(action) ? 202 : 409);
    // Every recorded decision was carried out, completely.
    for (const decision of incident.decisions ?? []) expect(decision.carriedOut).toMatchObject({ complete: true });
    const state = await awsState(keyId, roleName);
    const disabled = (incident.decisions ?? []).some(
      (decision) => decision.action === 'disable-key' && /is disabled$/.test(decision.carriedOut!.detail),
    );
    if (incident.status === 'released') {
      // Released (by release, or by a rejection carried out): nothing of the containment is left in AWS. The key is
      // Disabled, as before the suspect's ScheduleKeyDeletion; a disable carried out first was taken back with it.
      expect(state).toEqual({ denied: false, quarantined: false, keyState: 'Disabled' });
      expect(await executionsFor(incidentId)).toBe(0);
    } else {
      // Not released: the containment stands; the key is disabled exactly when a disable was carried out.
      expect(state).toEqual({ denied: true, quarantined: true, keyState: disabled ? 'Disabled' : 'Enabled' });
      expect(await executionsFor(incidentId)).toBe(incident.status === 'approved' ? 1 : 0);
    }
  });

  it('a disable recorded before a release but carried out after it leaves the key as the release left it', async () => {
    const { incidentId, keyId, roleName } = await containedIncident();
    held = [];
    try {
      expect((await post(incidentId, 'disable-key')).statusCode).toBe(202);
      expect((await post(incidentId, 'release')).statusCode).toBe(202);
    } finally {
      const jobs = held;
      held = undefined;
      // The release's executor first, then the disable's: the later-run disable must act on nothing.
      for (const job of jobs.reverse()) await execute(job, localLambdaContext('executeDecision'));
    }
    const incident = await incidentOf(incidentId);
    expect(incident.status).toBe('released');
    expect(incident.decisions!.find((d) => d.action === 'disable-key')!.carriedOut!.detail).toMatch(
      /^not disabled: the incident was released/,
    );
    expect(await awsState(keyId, roleName)).toEqual({ denied: false, quarantined: false, keyState: 'Disabled' });
  });

  it('a disable carried out before a release is taken back by it', async () => {
    const { incidentId, keyId, roleName } = await containedIncident();
    expect((await post(incidentId, 'disable-key')).statusCode).toBe(202);
    expect((await awsState(keyId, roleName)).keyState).toBe('Disabled');
    expect((await post(incidentId, 'release')).statusCode).toBe(202);
    const incident = await incidentOf(incidentId);
    expect(incident.decisions!.map((d) => d.carriedOut!.complete)).toEqual([true, true]);
    expect(await awsState(keyId, roleName)).toMatchObject({ denied: false, quarantined: false });
  });

  it('a release that fails halfway resumes from its record when run again', async () => {
    const { incidentId, keyId, roleName } = await containedIncident();
    held = [];
    try {
      expect((await post(incidentId, 'release')).statusCode).toBe(202);
    } finally {
      held = undefined;
    }
    // The key policy write fails as long as the SDK retries (five attempts): the quarantine, undone first, stays so.
    const fault = moto.aws.proxy.inject({ operation: 'kms:PutKeyPolicy', kind: 'refuse-500', times: 5 });
    const decisionId = (await incidentOf(incidentId)).decisions![0]!.id;
    await expect(execute({ incidentId, decisionId }, localLambdaContext('executeDecision'))).rejects.toThrow();
    expect(fault.made()).toBe(5);
    const halfway = await incidentOf(incidentId);
    expect(halfway.status).toBe('released');
    expect(halfway.decisions![0]!.carriedOut).toBeUndefined();
    expect(await awsState(keyId, roleName)).toMatchObject({ denied: true, quarantined: false });
    // Lambda's retry of the executor: it goes on from the step after the quarantine.
    expect(await execute({ incidentId, decisionId }, localLambdaContext('executeDecision'))).toEqual({
      detail: 'every reversible step was undone',
      complete: true,
    });
    expect(await awsState(keyId, roleName)).toEqual({ denied: false, quarantined: false, keyState: 'Disabled' });
  });
});
