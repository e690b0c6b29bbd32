import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateRoleCommand,
  CreateUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { denyPrincipalInKeyPolicy, denySidFor } from '../../src/actions/deny-principal-in-key-policy';
import { closeOpenKeyPolicy } from '../../src/actions/close-open-key-policy';
import { denyAllPolicyArn, quarantinePolicyName, quarantinePrincipal } from '../../src/actions/quarantine-principal';
import { documentClient } from '../../src/aws/clients';
import type { CloudTrailRecord } from '../../src/events/cloudtrail-record';
import type { Incident } from '../../src/incidents/incident';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import {
  provisionResponderStack,
  responderEnvironment,
  subscribeInbox,
  type ResponderStack,
} from '../../src/local/responder-stack';
import { loadConfig } from '../../src/config';
import { actionAdapters } from '../../src/composition/responder';
import { incidentBounds } from '../../src/incidents/incident';
import { useMoto } from '../support/moto';
import { realRecords } from '../support/records';

type Outcome = { status: string; incidents?: Array<{ id: string; status: string }> };
type Handler = (event: unknown, context: unknown) => Promise<Outcome>;
const account = '123456789012';
const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const allKms = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['kms:*', 'iam:ListRoles'], Resource: '*' }],
});
const rootStatement = {
  Sid: 'Root',
  Effect: 'Allow',
  Principal: { AWS: `arn:aws:iam::${account}:root` },
  Action: 'kms:*',
  Resource: '*',
};

/**
 * Containment as it would go in a real account: every call through the strict layer, the responder with its own
 * role, and the effect checked on the principals themselves (what they can still do), not only on the policies.
 */
describe('containment in a real account, under the strict layer', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let respond: Handler;
  let onFinding: Handler;
  let kms: KMSClient;
  let iam: IAMClient;
  let inbox: string;
  const received: string[] = [];
  let eventTime = Date.parse('2026-11-28T10:00:00Z');

  beforeAll(async () => {
    stack = await provisionResponderStack('real');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack));
    inbox = await subscribeInbox(stack.notificationTopicArn, 'real-inbox');
    ({ handler: respond } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: Handler });
    ({ handler: onFinding } = (await moto.asFunction(
      'onSecurityFinding',
      () => import('../../handlers/on-security-finding'),
    )) as unknown as { handler: Handler });
    kms = new KMSClient({});
    iam = new IAMClient({});
  });

  const deliverRecord = (record: CloudTrailRecord) =>
    respond(viaEventBridge(record), localLambdaContext('onKmsApiCall'));
  const deliver = (eventName: string, keyArn: string, caller: Caller, requestParameters: Record<string, unknown>) =>
    deliverRecord(
      kmsApiCallRecord({ eventName, keyArn, caller, requestParameters, eventTime: new Date((eventTime += 60_000)) }),
    );
  const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) =>
    (await kms.send(new CreateKeyCommand(input))).KeyMetadata!;
  const stateOf = async (keyId: string) =>
    (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;
  const sidsOf = async (keyId: string) =>
    (
      JSON.parse((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy!)
        .Statement as Array<{ Sid?: string }>
    ).map((s) => s.Sid);
  const items = async () =>
    (await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }))).Items ?? [];
  const incident = async (id: string) =>
    (await items())
      .map((item) => unmarshall(item))
      .find((item) => item.sk === 'INCIDENT' && item.id === id) as Incident;
  const messages = async () => {
    for (;;) {
      const { Messages = [] } = await new SQSClient({}).send(
        new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return received;
      received.push(...Messages.map((m) => m.Body!));
    }
  };
  const messagesAbout = async (incidentId: string) => (await messages()).filter((body) => body.includes(incidentId));
  /** A role the scenario plays, allowed KMS and listing roles, and a session of it issued at `issuedAt`. */
  const actor = async (name: string, path = '/') => {
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: trust }),
    );
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'work', PolicyDocument: allKms }));
    return {
      roleArn: Role!.Arn!,
      session: (issuedAt = new Date(eventTime - 3_600_000)) => moto.aws.sessionOfRole(name, 'mallory', issuedAt),
    };
  };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (error: Error) => error.name,
    );
  /** An inline policy of about `size` characters (IAM counts them without white space). */
  const policyOfSize = (size: number) => {
    const actions: string[] = [];
    const text = () =>
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] });
    while (text().length + 20 < size) actions.push(`s3:GetObject${actions.length}`);
    return text();
  };

  it("shuts the suspect out for real: its sessions from before lose everything, later ones lose KMS, the key's deny holds", async () => {
    const suspect = await actor('ci-deployer', '/ci/');
    const stolen = await suspect.session();
    const key = await newKey();
    await new KMSClient({ credentials: stolen }).send(
      new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }),
    );
    const outcome = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: suspect.roleArn, sessionName: 'mallory' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );

    expect(outcome.incidents![0]).toMatchObject({ status: 'contained' });
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    const asStolen = new KMSClient({ credentials: stolen });
    // The stolen session, issued before the quarantine: refused everything, KMS or not.
    expect(await refusal(asStolen.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })))).toBe(
      'AccessDeniedException',
    );
    expect(await refusal(new IAMClient({ credentials: stolen }).send(new ListRolesCommand({})))).toBe('AccessDenied');
    // A session issued after: its other work goes on, KMS is refused (by the quarantine and by the key's deny).
    const later = await suspect.session(new Date(Date.now() + 60_000));
    expect(await refusal(new IAMClient({ credentials: later }).send(new ListRolesCommand({})))).toBe('accepted');
    expect(
      await refusal(
        new KMSClient({ credentials: later }).send(
          new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }),
        ),
      ),
    ).toBe('AccessDeniedException');
    // Everyone else still uses the key.
    expect(await refusal(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })))).toBe(
      'accepted',
    );
    expect(
      moto.aws.proxy.seen.some(
        (call) => call.who === 'function onKmsApiCall' && call.operation === 'kms:CancelKeyDeletion',
      ),
    ).toBe(true);
  });

  it("quarantines only the exact principal: a GuardDuty finding about role Admin of a member account leaves this account's Admin alone", async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'Admin', AssumeRolePolicyDocument: trust }));
    const finding = realRecords('aws-samples-guardduty-automated-response.ndjson')[1] as {
      resource: object;
      service: object;
    };
    const outcome = await onFinding(
      {
        version: '0',
        id: 'gd-member',
        'detail-type': 'GuardDuty Finding',
        source: 'aws.guardduty',
        account,
        time: '2026-11-28T12:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: {
          ...finding,
          accountId: '999988887777',
          region: 'us-east-1',
          severity: 8,
          type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
          updatedAt: '2026-11-28T12:00:00.000Z',
          resource: {
            ...finding.resource,
            accessKeyDetails: {
              accessKeyId: 'ASIAMEMBER',
              principalId: 'AROAMEMBER',
              userName: 'Admin',
              userType: 'AssumedRole',
            },
          },
          service: { ...finding.service, count: 1, additionalInfo: {} },
        },
      },
      localLambdaContext('onSecurityFinding'),
    );
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'Admin' }))).PolicyNames).toEqual([]);
    const stored = await incident(outcome.incidents![0]!.id);
    // The principal guard plans no quarantine of another account's principal; a person is asked to go to its account.
    expect(stored.plan.some((step) => step.type === 'quarantine-principal')).toBe(false);
    const asked = stored.plan.findIndex((step) => step.type === 'ask-a-person');
    expect(stored.plan[asked]).toMatchObject({
      params: {
        what: expect.stringContaining('have the owners of account 999988887777 revoke the credentials'),
        why: expect.stringContaining('belongs to account 999988887777'),
      },
    });
    expect(stored.results![asked]).toMatchObject({ outcome: 'needs-person' });
  });

  it('contains an IAM Identity Center role through the key policy, never retries a change IAM refuses, and tells a person to end its sessions', async () => {
    // Its permissions come from a permission set; nobody but IAM Identity Center may change the role.
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: 'AWSReservedSSO_Admin_0123456789abcdef',
        Path: '/aws-reserved/sso.amazonaws.com/',
        AssumeRolePolicyDocument: trust,
      }),
    );
    const sso = { roleArn: Role!.Arn! };
    const key = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    // The handler returns: nothing to retry, nothing for the dead-letter queue.
    const outcome = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: sso.roleArn, sessionName: 'mallory@example.com' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    expect(await sidsOf(key.KeyId!)).toContain(denySidFor(sso.roleArn));
    expect(
      (await iam.send(new ListRolePoliciesCommand({ RoleName: 'AWSReservedSSO_Admin_0123456789abcdef' }))).PolicyNames,
    ).toEqual([]);
    const stored = await incident(outcome.incidents![0]!.id);
    expect(stored.results!.find((r) => r.outcome === 'needs-person')).toMatchObject({
      remedy: expect.stringContaining('IAM Identity Center'),
    });
    const [message] = await messagesAbout(stored.id);
    expect(message).toContain('containment INCOMPLETE, a person must act');
    expect(message).toContain('IAM Identity Center (Users, the user, Active sessions');
  });

  it('records a permanent refusal on the step, with what to do, instead of retrying into the dead-letter queue', async () => {
    // A role whose inline policies already fill IAM's 10,240 characters: the quarantine policy cannot be added.
    const full = await actor('batch-runner');
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'batch-runner',
        PolicyName: 'filler',
        PolicyDocument: policyOfSize(10_240 - allKms.length - 100),
      }),
    );
    const key = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const outcome = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: full.roleArn, sessionName: 'job-1' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );
    const stored = await incident(outcome.incidents![0]!.id);
    const quarantine = stored.plan.findIndex((step) => step.type === 'quarantine-principal');
    expect(stored.results![quarantine]).toMatchObject({
      outcome: 'needs-person',
      error: 'InlinePolicyLimitError',
      remedy: expect.stringContaining("IAM's size limit"),
    });
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
  });

  it("deactivates an IAM user's access keys first, then denies it everything; AWSDenyAll when its inline policies leave no room", async () => {
    for (const name of ['eve', 'frank']) {
      await iam.send(new CreateUserCommand({ UserName: name }));
      await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'work', PolicyDocument: allKms }));
    }
    // frank's inline policies are at IAM's 2,048 characters already.
    await iam.send(
      new PutUserPolicyCommand({
        UserName: 'frank',
        PolicyName: 'filler',
        PolicyDocument: policyOfSize(2_048 - allKms.length - 40),
      }),
    );
    for (const name of ['eve', 'frank']) {
      const keys = await moto.aws.accessKeyOfUser(name);
      const key = await newKey();
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const userArn = `arn:aws:iam::${account}:user/${name}`;
      const record = kmsApiCallRecord({
        eventName: 'ScheduleKeyDeletion',
        keyArn: key.Arn!,
        caller: { roleArn: 'unused', sessionName: 'x' },
        requestParameters: { keyId: key.KeyId, pendingWindowInDays: 7 },
        eventTime: new Date((eventTime += 60_000)),
      });
      await deliverRecord({
        ...record,
        userIdentity: {
          type: 'IAMUser',
          principalId: 'AIDAEXAMPLE',
          arn: userArn,
          accountId: account,
          accessKeyId: keys.userAccessKeyId,
          userName: name,
        },
      });
      expect(
        (await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata!.map((k) => k.Status),
      ).toEqual(['Inactive']);
      // Its key signs nothing any more.
      expect(
        await refusal(new KMSClient({ credentials: keys }).send(new DescribeKeyCommand({ KeyId: key.KeyId }))),
      ).toBe('UnrecognizedClientException');
    }
    const { PolicyDocument } = await iam.send(
      new GetUserPolicyCommand({ UserName: 'eve', PolicyName: quarantinePolicyName }),
    );
    // No condition on the token's issue time: long-term keys carry none.
    expect(JSON.parse(decodeURIComponent(PolicyDocument!)).Statement).toEqual([
      { Sid: 'KmsWardenDenyEverything', Effect: 'Deny', Action: '*', Resource: '*' },
    ]);
    expect(
      (await iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'frank' }))).AttachedPolicies!.map(
        (p) => p.PolicyArn,
      ),
    ).toEqual([denyAllPolicyArn('aws')]);
  });

  it('takes the opening out of a key policy kms-warden never saw before, says what it took out, and puts it back on release', async () => {
    const suspect = await actor('policy-editor');
    const key = await newKey();
    const open = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        rootStatement,
        { Sid: 'Open', Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' },
      ],
    });
    await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default', Policy: open }));
    const outcome = await deliver(
      'PutKeyPolicy',
      key.Arn!,
      { roleArn: suspect.roleArn, sessionName: 'mallory' },
      { keyId: key.KeyId, policyName: 'default', policy: open },
    );
    expect(await sidsOf(key.KeyId!)).toEqual(['Root', denySidFor(suspect.roleArn)]);
    const stored = await incident(outcome.incidents!.find((i) => i.status !== 'ignored')!.id);
    const closed = stored.plan.findIndex((step) => step.type === 'close-open-key-policy');
    expect(stored.results![closed]).toMatchObject({
      outcome: 'applied',
      after: { summary: 'taken out: statement Open: *' },
    });
    expect((await messagesAbout(stored.id))[0]).toContain('done: taken out: statement Open: *');
    // Release (undone with the approvals function's role): the policy is as it was, the deny gone too.
    const release = await moto.asFunction('executeDecision', () => actionAdapters(loadConfig(), documentClient()));
    const deny = stored.plan.findIndex((step) => step.type === 'deny-principal-in-key-policy');
    await denyPrincipalInKeyPolicy.undo(stored.plan[deny]!.params as never, release, stored.results![deny]!);
    await closeOpenKeyPolicy.undo(stored.plan[closed]!.params as never, release, stored.results![closed]!);
    expect(await sidsOf(key.KeyId!)).toEqual(['Root', 'Open']);
  });

  it('cancels the deletion of a multi-Region primary waiting for its replicas, and names the replicas', async () => {
    const suspect = await actor('region-mover');
    const key = await newKey({ MultiRegion: true });
    await kms.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: 'eu-west-1' }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    expect(await stateOf(key.KeyId!)).toBe('PendingReplicaDeletion');
    const outcome = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: suspect.roleArn, sessionName: 'mallory' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    const stored = await incident(outcome.incidents![0]!.id);
    const replica = key.Arn!.replace('us-east-1', 'eu-west-1');
    expect(stored.keyProfile?.replicas).toEqual([replica]);
    expect((await messagesAbout(stored.id))[0]).toContain(`Replicas:   ${replica}`);
  });

  it('keeps the settings a key administrator set when someone else tags the key observe, and undoes the deletion that follows', async () => {
    const suspect = await actor('tagger');
    const key = await newKey();
    const caller = { roleArn: suspect.roleArn, sessionName: 'mallory' };
    await kms.send(
      new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'kms-warden:mode', TagValue: 'observe' }] }),
    );
    const tagged = await deliver('TagResource', key.Arn!, caller, {
      keyId: key.Arn,
      tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }],
    });
    // The tag nobody allowed is gone again.
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags ?? []).toEqual([]);
    expect((await incident(tagged.incidents![0]!.id)).signal.detector).toBe('containment-tag-changed');
    // Even had it stayed: the tag would count for nothing. Put it back, then delete.
    await kms.send(
      new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'kms-warden:mode', TagValue: 'observe' }] }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const deleted = await deliver('ScheduleKeyDeletion', key.Arn!, caller, {
      keyId: key.KeyId,
      pendingWindowInDays: 7,
    });
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    expect((await incident(deleted.incidents![0]!.id)).keyMode).toMatchObject({
      mode: 'contain',
      modeSource: expect.stringContaining('not a key administrator'),
    });
  });

  it('undoes a deletion delivered before the observe tag that preceded it', async () => {
    const suspect = await actor('quick-tagger');
    const key = await newKey();
    const caller = { roleArn: suspect.roleArn, sessionName: 'mallory' };
    await kms.send(
      new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'kms-warden:mode', TagValue: 'observe' }] }),
    );
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    // EventBridge keeps no order: the deletion reaches kms-warden first, the tag after.
    await deliver('ScheduleKeyDeletion', key.Arn!, caller, { keyId: key.KeyId, pendingWindowInDays: 7 });
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    await deliver('TagResource', key.Arn!, caller, {
      keyId: key.Arn,
      tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }],
    });
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }))).Tags ?? []).toEqual([]);
  });

  it('contains a federated session by its own ARN, and only offers to cut off the broker user', async () => {
    await iam.send(new CreateUserCommand({ UserName: 'broker' }));
    const key = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const session = `arn:aws:sts::${account}:federated-user/bob`;
    const record = kmsApiCallRecord({
      eventName: 'ScheduleKeyDeletion',
      keyArn: key.Arn!,
      caller: { roleArn: 'unused', sessionName: 'x' },
      requestParameters: { keyId: key.KeyId, pendingWindowInDays: 7 },
      eventTime: new Date((eventTime += 60_000)),
    });
    const outcome = await deliverRecord({
      ...record,
      userIdentity: {
        type: 'FederatedUser',
        principalId: `${account}:bob`,
        arn: session,
        accountId: account,
        sessionContext: {
          sessionIssuer: {
            type: 'IAMUser',
            principalId: 'AIDABROKER',
            arn: `arn:aws:iam::${account}:user/broker`,
            accountId: account,
            userName: 'broker',
          },
        },
      },
    });
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    expect(await sidsOf(key.KeyId!)).toContain(denySidFor(session));
    const stored = await incident(outcome.incidents![0]!.id);
    expect(stored.plan.map((step) => `${step.type}:${step.run}`)).toEqual([
      'cancel-key-deletion:automatic',
      'deny-principal-in-key-policy:automatic',
      'revoke-grants:automatic',
      'quarantine-principal:approval',
      'ask-a-person:automatic',
    ]);
    // The broker keeps working until a person decides.
    expect((await iam.send(new ListUserPoliciesCommand({ UserName: 'broker' }))).PolicyNames).toEqual([]);
  });

  it("knows its own roles by their exact ARNs: another role under kms-warden's IAM path is contained like anyone", async () => {
    const impostor = await actor('kms-warden-test-us-east-1-on-kms-api-call-2', '/kms-warden/test/');
    const key = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const outcome = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: impostor.roleArn, sessionName: 'x' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );
    expect(outcome.status).toBe('responded');
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    // Quarantined too: kms-warden's role denies itself only its own roles, by name, not the whole path.
    expect(
      (
        await iam.send(new ListRolePoliciesCommand({ RoleName: 'kms-warden-test-us-east-1-on-kms-api-call-2' }))
      ).PolicyNames?.sort(),
    ).toEqual(['KmsWardenQuarantine', 'work']);
    // kms-warden's own role, by contrast, is never reacted to.
    const own = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: moto.aws.roleArnOf('onKmsApiCall'), sessionName: 'kms-warden-test-onKmsApiCall' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );
    expect(own).toEqual({ status: 'ignored', reason: 'no detector fired' });
  });

  it('stays under 400 KB whatever an attacker writes: 25 large policies, then a deletion that is still undone', async () => {
    const suspect = await actor('bulk-editor');
    const caller = { roleArn: suspect.roleArn, sessionName: 'mallory' };
    const key = await newKey();
    for (let i = 0; i < 25; i += 1) {
      const open = {
        Sid: `Open${i}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: Array.from({ length: 1000 }, (_, n) => `kms:Decrypt${i}x${n}`),
        Resource: '*',
      };
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [rootStatement, open] });
      await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'default', Policy: policy }));
      await deliver('PutKeyPolicy', key.Arn!, caller, { keyId: key.KeyId, policyName: 'default', policy });
    }
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await deliver('ScheduleKeyDeletion', key.Arn!, caller, { keyId: key.KeyId, pendingWindowInDays: 7 });
    expect(await stateOf(key.KeyId!)).toBe('Enabled');
    // Every opening was taken out again.
    expect((await sidsOf(key.KeyId!)).filter((sid) => sid?.startsWith('Open'))).toEqual([]);
    // The largest item, as DynamoDB's JSON carries it (an upper bound of its size). One attacker, one story: the 26
    // signals are one incident.
    const incidents = (await items()).filter((item) => item.sk?.S === 'INCIDENT');
    const largestItem = incidents.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
    const largest = JSON.stringify(largestItem).length;
    const signals = (largestItem.signals as { L: unknown[] }).L.length;
    expect(signals).toBe(26);
    expect(largest).toBeLessThan(400 * 1024);
    // At the bound on signals, with every signal as large as these, it would still fit, with room to spare: what an
    // incident holds per signal is bounded, whatever the attacker writes.
    const perSignal = largest / signals;
    expect(perSignal * incidentBounds.maxSignalsPerIncident).toBeLessThan(360 * 1024);
  }, 120_000);

  it('keeps both statements when two functions change one key policy at once', async () => {
    const [first, second] = [await actor('racer-1'), await actor('racer-2')];
    const asResponder = await moto.asFunction('onKmsApiCall', () => actionAdapters(loadConfig(), documentClient()));
    const asActivity = await moto.asFunction('onKmsActivity', () => actionAdapters(loadConfig(), documentClient()));
    for (let round = 0; round < 3; round += 1) {
      const key = await newKey();
      await Promise.all([
        denyPrincipalInKeyPolicy.apply({ keyArn: key.Arn!, principalArn: first.roleArn }, asResponder, {
          resuming: false,
        }),
        denyPrincipalInKeyPolicy.apply({ keyArn: key.Arn!, principalArn: second.roleArn }, asActivity, {
          resuming: false,
        }),
      ]);
      expect(await sidsOf(key.KeyId!)).toEqual(
        expect.arrayContaining([denySidFor(first.roleArn), denySidFor(second.roleArn)]),
      );
    }
  });

  it('never acts on an AWS managed key, and says why', async () => {
    const suspect = await actor('ebs-poker');
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/aws/ebs' }));
    const before = moto.aws.proxy.seen.length;
    const outcome = await deliver(
      'DisableKey',
      KeyMetadata!.Arn!,
      { roleArn: suspect.roleArn, sessionName: 'mallory' },
      { keyId: KeyMetadata!.KeyId },
    );
    const stored = await incident(outcome.incidents![0]!.id);
    expect(stored.plan.map((step) => step.type)).toEqual(['quarantine-principal', 'ask-a-person']);
    expect(stored.results![1]).toMatchObject({
      outcome: 'needs-person',
      message: expect.stringContaining('AWS managed key'),
    });
    // Not even tried: no change to the key was refused.
    expect(moto.aws.proxy.seen.slice(before).filter((call) => call.outcome === 'refused')).toEqual([]);
  });

  it('keeps what a first attempt applied when Lambda retries after a transient failure, so release still undoes it', async () => {
    const suspect = await actor('retried');
    const key = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const record = kmsApiCallRecord({
      eventName: 'ScheduleKeyDeletion',
      keyArn: key.Arn!,
      caller: { roleArn: suspect.roleArn, sessionName: 'mallory' },
      requestParameters: { keyId: key.KeyId, pendingWindowInDays: 7 },
      eventTime: new Date((eventTime += 60_000)),
    });
    // ListGrants fails through all of the SDK's attempts: revoke-grants fails, the rest applies, the handler throws.
    moto.aws.proxy.inject({ operation: 'kms:ListGrants', kind: 'refuse-500', times: 5 });
    await expect(deliverRecord(record)).rejects.toThrow(/did not finish/);
    // Lambda's retry: the same event again.
    const outcome = await deliverRecord(record);
    const stored = await incident(outcome.incidents![0]!.id);
    expect(stored.plan.map((step, i) => `${step.type}:${stored.results![i]!.outcome}`)).toEqual([
      'cancel-key-deletion:applied',
      'deny-principal-in-key-policy:applied',
      'revoke-grants:skipped',
      'quarantine-principal:applied',
    ]);
    // Release (the approvals function's role) takes back all of it.
    const release = await moto.asFunction('executeDecision', () => actionAdapters(loadConfig(), documentClient()));
    const quarantine = stored.plan.findIndex((step) => step.type === 'quarantine-principal');
    await quarantinePrincipal.undo(stored.plan[quarantine]!.params as never, release, stored.results![quarantine]!);
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: 'retried' }))).PolicyNames).toEqual(['work']);
  });

  it('takes a write AWS applied and then answered 500 for as done: contained, not failed, and one message', async () => {
    const suspect = await actor('flaky-day');
    const key = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    const isWrite = (marker: string) => ({
      operation: 'dynamodb:UpdateItem',
      kind: 'apply-then-500' as const,
      when: (call: { params: { UpdateExpression?: string } }) =>
        call.params.UpdateExpression?.includes(marker) ?? false,
    });
    const containment = moto.aws.proxy.inject(isWrite('results = :results'));
    const notified = moto.aws.proxy.inject(isWrite('notifiedStatus = :status'));
    const outcome = await deliver(
      'ScheduleKeyDeletion',
      key.Arn!,
      { roleArn: suspect.roleArn, sessionName: 'mallory' },
      { keyId: key.KeyId, pendingWindowInDays: 7 },
    );
    expect([containment.made(), notified.made()]).toEqual([1, 1]);
    expect(outcome.incidents![0]).toMatchObject({ status: 'contained' });
    const stored = await incident(outcome.incidents![0]!.id);
    expect(stored.results!.every((r) => r.outcome !== 'failed')).toBe(true);
    expect(await messagesAbout(stored.id)).toHaveLength(1);
  });
});
