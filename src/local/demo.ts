import { createInterface } from 'node:readline';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  ListGrantsCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { kmsApiCallRecord, type Caller } from './cloudtrail-records';
import type { CloudTrailRecord } from '../events/cloudtrail-record';
import { LocalEventRouter } from './event-router';
import { LocalActivityStream } from './activity-stream';

/** The activity function's batch size: the stack's default (activityBatchSize). */
const activityBatchSize = 1000;

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; status: string; duplicate?: boolean }> }>;
import { localLambdaContext } from './lambda-context';
import { startMotoServer, type MotoServer } from './moto-server';
import { provisionResponderStack, responderEnvironment, subscribeInbox } from './responder-stack';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CopySnapshotCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateDBInstanceCommand,
  DeleteDBInstanceCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { acknowledgeResource } from '../rekey/acknowledge';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { CreateBucketCommand, PutBucketEncryptionCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { approvalRoute } from '../approvals/route';
import { rekeyPlanner } from '../composition/rekey-plan';
import { rekeyPlanLines } from '../notify/compose-notification';
import type { TaskResumer } from '../approvals/ports';
import { decisionLinks } from '../notify/decision-links';
import { loadConfig } from '../config';
import { renderRekeyProgress } from '../notify/rekey-progress';
import type { Incident } from '../incidents/incident';
import { isActive } from '../incidents/lifecycle';
import {
  demoApprovalDeps,
  demoIncidentStore,
  demoRekeyDeps,
  rekeyOfTag,
  snapshotForRekeyOfTag,
  type DemoApprovalDeps,
} from '../composition/local-demo';
import { LocalRekeyWorkflow } from './local-rekey-workflow';
import { serveDemoApprovals } from './approval-server';
import { runOrganizationDemo } from './organization-demo';
import { serveSlackStub, slackMessagesOf } from './slack-stub';
import { remindPendingDecisions } from '../respond/remind-pending-decisions';
import { tellers } from '../composition/tellers';

/** The attacks the demo can play; the last step of each is the key's scheduled deletion, which is then re-keyed. */
export const scenarios = {
  'stolen-role':
    'stolen role credentials: key enumeration, a burst of denied Decrypts, a Decrypt from a new address, a grant to an outside account, then the key scheduled for deletion',
  deletion: 'one call: a role that is not a key administrator schedules the key for deletion in 7 days',
  organization:
    'three accounts: an attack in member account "payments" forwarded to the central account and contained there through the member role, then re-keyed in payments; a GuardDuty finding quarantined in "analytics"',
} as const;
export type ScenarioName = keyof typeof scenarios;

export interface DemoOptions {
  json: boolean;
  autoApprove: boolean;
  scenario?: ScenarioName;
  write: (line: string) => void;
}

const attacker: Caller = {
  roleArn: 'arn:aws:iam::123456789012:role/ci-deployer',
  sessionName: 'mallory',
  sourceIp: '203.0.113.77',
  userAgent: 'aws-cli/2.22.4 md/Botocore#1.35.63 os/linux#6.8.0',
};
const keyAdministrators = ['arn:aws:iam::123456789012:role/platform/KeyAdmins'];

/**
 * The local demo: the real handler against an emulator. Starts moto unless AWS_ENDPOINT_URL names one, creates
 * the responder's resources from serverless.yml, plays a malicious ScheduleKeyDeletion and shows the response.
 */
export const runLocalDemo = async (
  options: DemoOptions,
): Promise<{ incidentId: string; keyState: string; failed?: boolean }> => {
  const say = (step: string, text: string, data: Record<string, unknown> = {}) =>
    options.write(options.json ? JSON.stringify({ step, text, ...data }) : `${text}`);

  let moto: MotoServer | undefined;
  if (!process.env.AWS_ENDPOINT_URL) {
    moto = await startMotoServer();
    process.env.AWS_ENDPOINT_URL = moto.endpoint;
    say('emulator', `Started moto_server at ${moto.endpoint}`, { endpoint: moto.endpoint, started: true });
  } else {
    say('emulator', `Using the emulator at ${process.env.AWS_ENDPOINT_URL}`, {
      endpoint: process.env.AWS_ENDPOINT_URL,
      started: false,
    });
  }
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';

  if (options.scenario === 'organization') {
    try {
      return await runOrganizationDemo({ autoApprove: options.autoApprove, say });
    } finally {
      await moto?.stop();
    }
  }

  const stage = `demo${Date.now().toString(36)}`;
  // The approval endpoint on loopback: messages carry links to it, and the browser opens real pages.
  const approvals = await serveDemoApprovals(stage);
  // Slack on loopback: the bot token's two methods, so the demo shows one message per incident, edited as it moves.
  const slack = await serveSlackStub();

  try {
    const stack = await provisionResponderStack(stage);
    const { ARN: slackSecretArn } = await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: `${stage}/slack`,
        SecretString: JSON.stringify({ botToken: 'xoxb-demo', channel: 'C0INCIDENTS', apiBase: slack.apiBase }),
      }),
    );
    Object.assign(process.env, responderEnvironment(stack, { keyAdministrators }), {
      APPROVAL_SECRET_ARN: approvals.secretArn,
      APPROVALS_URL: approvals.url,
      SLACK_WEBHOOK_SECRET_ARN: slackSecretArn,
      // A demo cannot wait an hour for the old key to settle.
      REKEY_SETTLE_MINUTES: '0',
    });
    say(
      'stack',
      `Created the responder's table, topic and dead-letter queue (stage ${stage}) from serverless.yml; approval links at ${approvals.url}`,
      { stack, approvalsUrl: approvals.url },
    );

    const kms = new KMSClient({});
    const sqs = new SQSClient({});
    const inbox = await subscribeInbox(stack.notificationTopicArn, `${stage}-on-call-inbox`);

    // The stolen role exists in the account, so quarantining it has something to act on.
    await new IAMClient({})
      .send(
        new CreateRoleCommand({
          RoleName: 'ci-deployer',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      )
      .catch((error: Error) => {
        if (error.name !== 'EntityAlreadyExistsException') throw error;
      });

    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Description: 'payments: card tokens and ledger exports',
        Tags: [
          { TagKey: 'team', TagValue: 'payments' },
          { TagKey: 'kms-warden:mode', TagValue: 'contain' },
        ],
      }),
    );
    const keyArn = KeyMetadata!.Arn!;
    const keyId = KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${stage}-payments`, TargetKeyId: keyId }));
    const seeded = await seedPayments(stage, keyArn);
    say('key', `Created the "payments" key ${keyArn} (Enabled), protecting ${seeded.join(', ')}`, { keyArn, seeded });

    const router = await LocalEventRouter.create(stage);
    const stream = await LocalActivityStream.create(stage);
    // Loaded now, not at the top: a handler reads its settings once, when it loads, as in Lambda. require(), not
    // import(): the CLI's bin loads the sources through tsx's CommonJS hooks, which do not serve import().
    /* eslint-disable @typescript-eslint/no-require-imports */
    const handlers = {
      kms: (require('../../handlers/on-kms-api-call') as { handler: Handler }).handler,
      activity: (require('../../handlers/on-kms-activity') as { handler: Handler }).handler,
      findings: (require('../../handlers/on-security-finding') as { handler: Handler }).handler,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const incidentStore = demoIncidentStore(stack.incidentTable);
    /** The detectors that fired on these records, as the incidents recorded them. */
    const signalsOf = async (incidentIds: string[], records: CloudTrailRecord[]) => {
      const played = new Set(records.map((record) => record.eventID));
      const detectors = new Set<string>();
      for (const id of incidentIds)
        for (const entry of (await incidentStore.get(id))?.signals ?? [])
          if (played.has(entry.eventId)) detectors.add(entry.detector);
      return [...detectors];
    };
    /** Puts CloudTrail records on the emulator's bus; whatever the rules let through runs the real handler. */
    const play = async (step: string, text: string, records: CloudTrailRecord[]) => {
      const routed = await router.route(
        records.map((detail) => ({ source: 'aws.kms', detailType: 'AWS API Call via CloudTrail', detail })),
      );
      const incidents = new Map<string, string>();
      let duplicates = 0;
      const record = (outcome: Awaited<ReturnType<Handler>>) => {
        for (const incident of outcome.incidents ?? []) {
          incidents.set(incident.id, incident.status);
          if (incident.duplicate) duplicates += 1;
        }
      };
      for (const { fn, event, stream: partition } of routed) {
        if (partition) continue;
        record(
          await (fn === 'onSecurityFinding' ? handlers.findings : handlers.kms)(
            event,
            localLambdaContext(`kms-warden-${stage}-${fn}`),
          ),
        );
      }
      // The activity rules' events go through the stream, and the activity function reads it in batches.
      const streamed = routed.flatMap(({ event, stream: partition }) => (partition ? [{ event, ...partition }] : []));
      await stream.put(streamed);
      let batches = 0;
      for await (const batch of stream.batches(activityBatchSize)) {
        batches += 1;
        record(await handlers.activity(batch, localLambdaContext(`kms-warden-${stage}-onKmsActivity`)));
      }
      const found = [...incidents].map(
        ([id, status]) => `${id} (${status})${duplicates > 0 ? ', already handled: nothing done again' : ''}`,
      );
      const signals = await signalsOf([...incidents.keys()], records);
      say(
        step,
        `${text}: ${records.length} events, ${routed.length} passed the rules${streamed.length > 0 ? ` (${streamed.length} through the activity stream, in ${batches} batch${batches === 1 ? '' : 'es'})` : ''}; ${signals.length > 0 ? `signals ${signals.join(', ')}; ` : ''}${found.length > 0 ? `incidents ${found.join(', ')}` : 'no incident'}`,
        {
          events: records.length,
          routed: routed.length,
          streamed: streamed.length,
          batches,
          signals,
          incidents: Object.fromEntries(incidents),
          duplicates,
        },
      );
      return [...incidents.keys()];
    };
    const from = (sourceIp: string): Caller => ({ ...attacker, sourceIp });

    if ((options.scenario ?? 'stolen-role') === 'stolen-role') {
      // A week of ordinary use first: the role decrypting from its build network. Detection learns it.
      const lastWeek = (minutes: number) => new Date(Date.now() - 8 * 86_400_000 + minutes * 60_000);
      await play(
        'baseline',
        'Eight days ago, ci-deployer decrypted with the payments key from its build network',
        [1, 2, 3].map((n) =>
          kmsApiCallRecord({
            eventName: 'Decrypt',
            keyArn,
            caller: from('10.0.1.15'),
            requestParameters: { keyId: keyArn },
            eventTime: lastWeek(n),
            readOnly: true,
          }),
        ),
      );

      // The stolen credentials, from an address the role never used.
      const otherKeys = Array.from({ length: 20 }, (_, i) =>
        keyArn.replace(/key\/.*/, `key/${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`),
      );
      await play(
        'enumeration',
        'Attack: the stolen role lists keys it never touched (DescribeKey on 20 keys)',
        otherKeys.map((other) =>
          kmsApiCallRecord({
            eventName: 'DescribeKey',
            keyArn: other,
            caller: from(attacker.sourceIp!),
            requestParameters: { keyId: other },
            readOnly: true,
          }),
        ),
      );
      await play(
        'denied',
        'Attack: a burst of 20 Decrypt calls refused',
        Array.from({ length: 20 }, () =>
          kmsApiCallRecord({
            eventName: 'Decrypt',
            keyArn,
            caller: from(attacker.sourceIp!),
            requestParameters: { keyId: keyArn },
            errorCode: 'AccessDeniedException',
            readOnly: true,
          }),
        ),
      );
      await play('new-source', 'Attack: then a Decrypt that works, from the new address', [
        kmsApiCallRecord({
          eventName: 'Decrypt',
          keyArn,
          caller: from(attacker.sourceIp!),
          requestParameters: { keyId: keyArn },
          readOnly: true,
        }),
      ]);
      const outsider = outsiderArn;
      const { GrantId } = await kms.send(
        new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: outsider, Operations: ['Decrypt'] }),
      );
      await play('grant', `Attack: a grant letting ${outsider} decrypt`, [
        kmsApiCallRecord({
          eventName: 'CreateGrant',
          keyArn,
          caller: from(attacker.sourceIp!),
          requestParameters: { keyId: keyArn, granteePrincipal: outsider, operations: ['Decrypt'] },
          responseElements: { grantId: GrantId, keyId: keyArn },
        }),
      ]);
    }

    const pendingWindowInDays = 7;
    const scheduled = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: pendingWindowInDays }),
    );
    const deletion = kmsApiCallRecord({
      eventName: 'ScheduleKeyDeletion',
      keyArn,
      caller: attacker,
      requestParameters: { keyId, pendingWindowInDays },
      responseElements: {
        keyId: keyArn,
        keyState: 'PendingDeletion',
        deletionDate: scheduled.DeletionDate?.toISOString(),
        pendingWindowInDays,
      },
    });
    const [incidentId = 'none'] = await play(
      'attack',
      `Attack: the key scheduled for deletion in ${pendingWindowInDays} days, on ${scheduled.DeletionDate?.toISOString()}`,
      [deletion],
    );

    const after = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    const grants = (await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants ?? [];
    const outsider = outsiderArn;
    const quarantined =
      (await new IAMClient({}).send(new ListRolePoliciesCommand({ RoleName: 'ci-deployer' }))).PolicyNames ?? [];
    say(
      'response',
      `kms-warden responded: the key is ${after.KeyState}${after.DeletionDate ? `, still due for deletion on ${after.DeletionDate.toISOString()}` : ', with no deletion date'}; ` +
        `${grants.some((g) => g.GranteePrincipal === outsider) ? `the grant to ${outsider} is still there` : `the grant to ${outsider} is revoked`}; ci-deployer ${quarantined.includes('KmsWardenQuarantine') ? 'is quarantined' : 'is not quarantined'}`,
      {
        keyState: after.KeyState,
        deletionDate: after.DeletionDate?.toISOString() ?? null,
        outsiderGrant: grants.some((g) => g.GranteePrincipal === outsider),
        quarantined: quarantined.includes('KmsWardenQuarantine'),
      },
    );

    const incident = await incidentStore.get(incidentId);
    say(
      'incident',
      `Incident record: ${JSON.stringify({ id: incident?.id, status: incident?.status, results: incident?.results })}`,
      {
        incident,
      },
    );

    // The attack's later steps came within the quiet period after the page: their update waits for it. The demo moves
    // the sweep's clock past it (in AWS the sweep runs every minute) and runs it once.
    const config = loadConfig();
    const quiet = config.updateQuietMinutes;
    const sweep = remindPendingDecisions({
      ...tellers(config),
      waitHours: config.remindAfterHours,
      now: () => new Date(Date.now() + (quiet + 1) * 60_000),
    });
    const { updated } = await sweep();
    const inboxMessages: string[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) break;
      inboxMessages.push(...Messages.map((message) => message.Body ?? ''));
    }
    const told = inboxMessages.filter((body) => body.includes(incidentId));
    const updates = told.filter((body) => /^\d+ new steps? in incident /.test(body));
    const pages = told.filter((body) => !updates.includes(body));
    const slackMessages = slackMessagesOf(slack.calls);
    say(
      'notification',
      [
        `On-call was told (SNS): ${count(pages.length, 'page')} for the incident, then ${count(updates.length, 'short update')} of its later steps (at once when the story turned critical; the rest after the ${quiet}-minute quiet period, as one). ` +
          `Slack: ${count(slackMessages.length, 'message')}, ${slackMessages.map((m) => `edited ${count(m.edits, 'time')} with ${count(m.replies, 'reply', 'replies')} in its thread`).join('; ')}.`,
        'The page:',
        indent(pages[0] ?? ''),
        'The update:',
        indent(updates[0] ?? ''),
      ].join('\n'),
      { pages: pages.length, updates: updates.length, updated, messages: inboxMessages.length, slack: slackMessages },
    );

    const again = await play('redelivery', 'EventBridge delivered the deletion again', [deletion]);
    void again;

    // What re-keying would do, listed before anyone approves it (in AWS the responder hands this to the read-only
    // planning function); the approval page shows it.
    const plan = await rekeyPlanner(config).plan({ incidentId });
    if (plan)
      say(
        'plan',
        [
          `Re-key plan, listed before approval (the approval page shows each one):`,
          ...rekeyPlanLines((await incidentStore.get(incidentId))!),
        ].join('\n'),
        { plan },
      );

    // Approving the re-key runs the deployed workflow definition here, through the local interpreter.
    const rekeySteps = demoRekeyDeps(config);
    const workflow = new LocalRekeyWorkflow(rekeySteps, {
      timeScale: options.autoApprove ? 0.0001 : 0.005,
      onState: (_id, state) => say('rekey-state', `re-key workflow: ${state}`, { state }),
    });
    const deps = demoApprovalDeps(config, workflow);
    approvals.answerWith(approvalRoute(deps));
    // Waits end when the run fails, and (never waiting for a person) after a few minutes at most.
    const watch: Watch = { failure: undefined, deadline: options.autoApprove ? Date.now() + 5 * 60_000 : undefined };
    const rekeyed = await decide(incidentId, 'approve-rekey', {
      ...options,
      say,
      deps,
      approvalsUrl: approvals.url,
      watch,
    });
    // A person who released or rejected the incident instead has ended the story: nothing is re-keyed.
    if (rekeyed !== 'decided')
      return { incidentId, keyState: after.KeyState ?? 'Unknown', failed: rekeyed === 'no-link' };
    workflow.finished(incidentId).catch((error: Error) => (watch.failure = error));
    await actAsPerson(incidentId, { ...options, say, deps, watch, workflow });
    const verified = await until(
      deps,
      incidentId,
      (i) => (i.status === 're-keyed' && Boolean(i.rekey?.deletionRequestedAt)) || Boolean(i.rekey?.failure),
      watch,
    );
    for (const line of renderRekeyProgress(verified, { tty: false })) say('rekey', line);
    if (verified.rekey?.failure) return { incidentId, keyState: 'Unknown', failed: true };
    if (
      (await decide(incidentId, 'approve-deletion', { ...options, say, deps, approvalsUrl: approvals.url, watch })) !==
      'decided'
    ) {
      return {
        incidentId,
        keyState: (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState ?? 'Unknown',
        failed: false,
      };
    }
    await workflow.finished(incidentId);
    const done = (await deps.incidents.get(incidentId))!;
    const old = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    const moved = Object.entries(done.rekey?.resources ?? {}).map(([key, r]) => ({
      key,
      service: r.service,
      status: r.status,
    }));
    say(
      'done',
      [
        `Re-keyed onto ${done.rekey?.replacementKeyArn}; the old key is ${old.KeyState}, deleted on ${done.rekey?.deletionDate}`,
        ...moved.map((r) => `  ${r.status.padEnd(14)} ${r.key}`),
        `To keep the old key after all: aws kms cancel-key-deletion --key-id ${keyId} (before ${done.rekey?.deletionDate})`,
      ].join('\n'),
      {
        incident: { id: done.id, status: done.status, rekey: done.rekey },
        resources: moved,
        oldKeyState: old.KeyState,
        deletionDate: done.rekey?.deletionDate,
      },
    );
    return { incidentId, keyState: old.KeyState ?? 'Unknown' };
  } finally {
    await approvals.close();
    await slack.close();
    await moto?.stop();
  }
};

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A small account's worth of data under the key: a secret, a SecureString parameter, a bucket with objects. */
const seedPayments = async (stage: string, keyArn: string): Promise<string[]> => {
  await new SecretsManagerClient({}).send(
    new CreateSecretCommand({
      Name: `${stage}/payments/db`,
      SecretString: 'correct horse battery staple',
      KmsKeyId: keyArn,
    }),
  );
  await new SSMClient({}).send(
    new PutParameterCommand({
      Name: `/${stage}/payments/api-token`,
      Value: 'tok_live_123',
      Type: 'SecureString',
      KeyId: keyArn,
    }),
  );
  const s3 = new S3Client({ forcePathStyle: true });
  const bucket = `${stage}-payments-exports`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [
          {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn },
            BucketKeyEnabled: true,
          },
        ],
      },
    }),
  );
  for (const day of ['2026-11-26', '2026-11-27']) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `ledger/${day}.csv`,
        Body: `date,amount\n${day},100\n`,
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: keyArn,
      }),
    );
  }
  const ec2 = new EC2Client({});
  const { VolumeId } = await ec2.send(
    new CreateVolumeCommand({
      AvailabilityZone: `${process.env.AWS_REGION}a`,
      Size: 20,
      Encrypted: true,
      KmsKeyId: keyArn,
    }),
  );
  const { SnapshotId } = await ec2.send(
    new CreateSnapshotCommand({ VolumeId, Description: 'nightly backup of the ledger volume' }),
  );
  // moto's CreateSnapshot does not keep the volume's key: a copy onto the key stands for a snapshot under it.
  await ec2.send(
    new CopySnapshotCommand({
      SourceSnapshotId: SnapshotId,
      SourceRegion: process.env.AWS_REGION,
      Encrypted: true,
      KmsKeyId: keyArn,
      Description: 'ledger backup',
    }),
  );
  await new DynamoDBClient({}).send(
    new CreateTableCommand({
      TableName: `${stage}-payments-orders`,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { Enabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn },
    }),
  );
  await new RDSClient({}).send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: `${stage}-ledger`,
      DBInstanceClass: 'db.t3.micro',
      Engine: 'postgres',
      AllocatedStorage: 20,
      MasterUsername: 'ledger',
      MasterUserPassword: 'not-a-real-password-1',
      StorageEncrypted: true,
      KmsKeyId: keyArn,
    }),
  );
  return [
    'a Secrets Manager secret',
    'a SecureString parameter',
    `bucket ${bucket} with 2 objects`,
    `EBS volume ${VolumeId} and a snapshot`,
    `DynamoDB table ${stage}-payments-orders`,
    `RDS instance ${stage}-ledger`,
  ];
};

/**
 * What a person does while re-keying waits: the cutovers it asked for, done here as its instructions say (a volume
 * from the re-encrypted snapshot in place of the old one, a database restored from the re-encrypted copy, the old
 * snapshot deleted). With --auto-approve the demo plays that person; otherwise it waits for Enter first.
 */
const actAsPerson = async (
  incidentId: string,
  options: DemoOptions & { say: Say; deps: DemoApprovalDeps; watch: Watch; workflow: TaskResumer },
) => {
  const waiting = await until(
    options.deps,
    incidentId,
    (i) => Boolean(i.rekey?.remainingReported) || i.status === 're-keyed' || Boolean(i.rekey?.failure),
    options.watch,
  );
  const resources = Object.entries(waiting.rekey?.resources ?? {});
  const left = resources.filter(
    ([, r]) => r.status === 'needs-human' || (r.service === 'dynamodb' && r.status !== 'acknowledged'),
  );
  if (left.length === 0) return;
  for (const [key, resource] of left)
    options.say('person', `Waiting for a person: ${key}: ${resource.detail}`, {
      key,
      instructions: resource.instructions ?? [],
    });
  if (!options.autoApprove) {
    options.say('waiting', 'Press Enter to have the demo do what those say, as the person on call would.');
    await pressEnter();
  }
  const newKeyArn = waiting.rekey!.replacementKeyArn!;
  const ec2 = new EC2Client({});
  const rds = new RDSClient({});
  const done: string[] = [];
  for (const [key, resource] of left) {
    if (resource.service === 'ebs' && resource.kind === 'volume') {
      // The copy of the volume's snapshot under the new key, found by the tag re-keying put on it.
      const { Snapshots: taken = [] } = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: `tag:${snapshotForRekeyOfTag}`, Values: [resource.id] }],
        }),
      );
      const { Snapshots: copies = [] } = await ec2.send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [{ Name: `tag:${rekeyOfTag}`, Values: taken.map((t) => t.SnapshotId!) }],
        }),
      );
      const copy = copies.find((c) => c.KmsKeyId === newKeyArn)!;
      const { VolumeId } = await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: `${process.env.AWS_REGION}a`,
          SnapshotId: copy.SnapshotId,
          Encrypted: true,
          KmsKeyId: newKeyArn,
        }),
      );
      await ec2.send(new DeleteVolumeCommand({ VolumeId: resource.id }));
      done.push(`volume ${resource.id} replaced by ${VolumeId} from ${copy.SnapshotId}`);
    } else if (resource.service === 'rds' && resource.kind === 'db-instance') {
      const { DBSnapshots = [] } = await rds.send(
        new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: resource.id }),
      );
      const copy = DBSnapshots.find((snapshot) => snapshot.KmsKeyId === newKeyArn)!;
      await rds.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: `${resource.id}-rekeyed`,
          DBSnapshotIdentifier: copy.DBSnapshotIdentifier,
        }),
      );
      await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: resource.id, SkipFinalSnapshot: true }));
      done.push(`database ${resource.id} restored as ${resource.id}-rekeyed from ${copy.DBSnapshotIdentifier}`);
    } else if (resource.service === 'ebs' && resource.kind === 'snapshot') {
      // Copied under the new key; the original stays under the old key until someone deletes it, as its note says.
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: resource.id }));
      done.push(`old snapshot ${resource.id} deleted`);
    } else {
      // moto keeps a table's old key whatever UpdateTable asks: a person would check DescribeTable, then acknowledge.
      // Recorded, then the execution waiting for people is resumed with its task token.
      await acknowledgeResource(
        options.deps.incidents,
        options.workflow,
        incidentId,
        key,
        options.autoApprove ? 'demo (auto-approve)' : 'demo operator',
        'acknowledged without checking: the emulator does not apply a table key change',
        new Date().toISOString(),
      );
      done.push(`${key} acknowledged`);
    }
  }
  // The originals of copied snapshots stay under the old key until someone deletes them, as their notes say.
  for (const [, resource] of resources.filter(
    ([, r]) => r.service === 'ebs' && r.kind === 'snapshot' && r.status === 're-encrypted',
  )) {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: resource.id }));
    done.push(`old snapshot ${resource.id} deleted`);
  }
  options.say('acknowledged', `The person did: ${done.join('; ')}. Verification goes on by itself.`, { done });
};

const outsiderArn = 'arn:aws:iam::999988887777:role/exfil';

type Say = (step: string, text: string, data?: Record<string, unknown>) => void;

/**
 * A decision, as a person makes it: its link printed; with --auto-approve the demo opens the link and presses the
 * button itself (GET then POST, like a browser), otherwise it waits for someone to.
 */
const decide = async (
  incidentId: string,
  action: 'approve-rekey' | 'approve-deletion',
  options: DemoOptions & { say: Say; deps: DemoApprovalDeps; approvalsUrl: string; watch: Watch },
): Promise<'decided' | 'declined' | 'no-link'> => {
  const incident = (await options.deps.incidents.get(incidentId))!;
  const links = await decisionLinks(
    incident,
    { baseUrl: options.approvalsUrl, secret: options.deps.secret, ttlSeconds: 3600 },
    new Date(),
  );
  const link = links.find((l) => l.action === action);
  if (!link) {
    options.say('next', `Nothing to ${action} for ${incidentId} (${incident.status})`);
    return 'no-link';
  }
  options.say('approval', `${action === 'approve-rekey' ? 'Approve re-key' : 'Approve key deletion'}: ${link.url}`, {
    action,
    url: link.url,
  });
  if (options.autoApprove) {
    await fetch(link.url);
    const reply = await fetch(link.url, { method: 'POST' });
    options.say('decided', `${action}: HTTP ${reply.status}`, { action, status: reply.status });
    if (reply.status !== 200) throw new Error(`the ${action} link answered HTTP ${reply.status}`);
  } else {
    options.say('waiting', 'Open the link in a browser and press the button; the demo goes on when you have.');
    // Or someone decides otherwise (Reject on the page, a Release link): then there is nothing more to wait for.
    const seen = incident.decisions?.length ?? 0;
    const settles = (d: { action: string }) => d.action === action || d.action === 'reject' || d.action === 'release';
    const decisionIn = (i: Incident) => (i.decisions ?? []).slice(seen).find(settles);
    // A rejection releases next: wait for the release too, so what is said is where the incident ends.
    const decided = await until(
      options.deps,
      incidentId,
      (i) => decisionIn(i)?.action === action || (Boolean(decisionIn(i)) && !isActive(i.status)),
      options.watch,
    );
    const decision = decisionIn(decided)!;
    if (decision.action !== action) {
      options.say(
        'ended',
        `${decision.by} chose ${decision.action} instead: the incident is ${decided.status}; nothing is re-keyed. The demo ends here.`,
        {
          action: decision.action,
          status: decided.status,
        },
      );
      return 'declined';
    }
  }
  return 'decided';
};

/** The run's failure, once it fails, and when to stop waiting (never, while a person may still act). */
interface Watch {
  failure: Error | undefined;
  deadline: number | undefined;
}

/** Polls the incident until `ready`: the run goes on in the background, like an execution. */
const until = async (
  deps: { incidents: { get(id: string): Promise<Incident | undefined> } },
  id: string,
  ready: (incident: Incident) => boolean,
  watch: Watch,
): Promise<Incident> => {
  for (;;) {
    const incident = await deps.incidents.get(id);
    if (incident && ready(incident)) return incident;
    if (watch.failure) throw new Error(`re-keying failed: ${watch.failure.message}`);
    if (watch.deadline !== undefined && Date.now() > watch.deadline)
      throw new Error(`incident ${id} did not get there in time (${incident?.status})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** One line from the terminal, then the terminal is let go (so the demo can end). */
const pressEnter = () =>
  new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      resolve();
    });
  });

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
