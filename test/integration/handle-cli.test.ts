import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { main } from '../../src/cli/main';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import {
  provisionResponderStack,
  responderEnvironment,
  subscribeInbox,
  type ResponderStack,
} from '../../src/local/responder-stack';
import { projectRoot } from '../../src/local/stack-definition';
import { useMoto } from '../support/moto';
import { realRecords } from '../support/records';
import { captured } from '../support/captured-io';

const attacker: Caller = { roleArn: 'arn:aws:iam::123456789012:role/ci-deployer', sessionName: 'mallory' };
const keyAdministrator: Caller = { roleArn: 'arn:aws:iam::123456789012:role/platform/KeyAdmins', sessionName: 'alice' };

type Line = {
  where: string;
  kind: string;
  name: string;
  eventId: string;
  status: string;
  reason?: string;
  incidents?: Array<{ id: string; status: string; duplicate: boolean }>;
};

describe('kms-warden handle: events from files through the responders, against moto', () => {
  useMoto();
  let stack: ResponderStack;
  let kms: KMSClient;
  let inbox: string;
  let dir: string;

  beforeAll(async () => {
    stack = await provisionResponderStack('handle');
    Object.assign(process.env, responderEnvironment(stack, { keyAdministrators: [keyAdministrator.roleArn] }));
    kms = new KMSClient({});
    inbox = await subscribeInbox(stack.notificationTopicArn, 'handle-inbox');
    dir = mkdtempSync(join(tmpdir(), 'kms-warden-handle-'));
  });

  const createKey = async () => (await kms.send(new CreateKeyCommand({ Description: 'payments' }))).KeyMetadata!.Arn!;
  const keyState = async (keyArn: string) =>
    (await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState;

  /** Schedules the deletion in moto and returns the event EventBridge would deliver for it. */
  const scheduleDeletion = async (keyArn: string) => {
    // moto resolves only bare key ids for this call; real KMS takes either.
    const response = await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyArn.split('/').at(-1), PendingWindowInDays: 7 }),
    );
    return viaEventBridge(
      kmsApiCallRecord({
        eventName: 'ScheduleKeyDeletion',
        keyArn,
        caller: attacker,
        requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
        responseElements: {
          keyId: keyArn,
          keyState: 'PendingDeletion',
          deletionDate: response.DeletionDate?.toISOString(),
          pendingWindowInDays: 7,
        },
      }),
    );
  };

  const incidentsAbout = async (keyArn: string) => {
    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item)).filter(
      (item) => String(item.pk).startsWith('INCIDENT#') && item.keyArn === keyArn,
    );
  };

  const drainInbox = async () => {
    const sqs = new SQSClient({});
    const bodies: string[] = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: inbox, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (Messages.length === 0) return bodies;
      bodies.push(...Messages.map((m) => m.Body!));
    }
  };

  it('undoes a malicious key deletion from an EventBridge event, skips a malformed line, and acts once however often it is run', async () => {
    // Prepare
    const keyArn = await createKey();
    const event = await scheduleDeletion(keyArn);
    const otherCall = kmsApiCallRecord({
      eventName: 'EnableKeyRotation',
      keyArn: await createKey(),
      caller: keyAdministrator,
      requestParameters: {},
    });
    const file = join(dir, 'events.ndjson');
    writeFileSync(
      file,
      [JSON.stringify(event), '{"detail-type": "AWS API Call via CloudTrail", ', JSON.stringify(otherCall), ''].join(
        '\n',
      ),
    );
    await drainInbox();
    expect(await keyState(keyArn)).toBe('PendingDeletion');

    // Without --yes: what each event would go to, and nothing changed.
    const preview = captured();
    expect(await main(['handle', '--json', file], preview.io)).toBe(0);
    expect(preview.out.map((line) => JSON.parse(line) as Line)).toEqual([
      expect.objectContaining({
        where: `${file}:1`,
        name: 'ScheduleKeyDeletion',
        status: 'preview',
        responder: 'onKmsApiCall',
      }),
      expect.objectContaining({
        where: `${file}:3`,
        name: 'EnableKeyRotation',
        status: 'preview',
        responder: 'onKmsApiCall',
      }),
    ]);
    expect(preview.err.at(-1)).toBe(
      'read 2 events from 1 file(s), 1 malformed. Nothing changed. Run again with --yes to respond as the deployed functions would.',
    );
    expect(await keyState(keyArn)).toBe('PendingDeletion');
    expect(await incidentsAbout(keyArn)).toEqual([]);

    // Act
    const first = captured();
    const code = await main(['handle', '--yes', '--json', file], first.io);

    // Assess
    expect(code).toBe(0);
    expect(await keyState(keyArn)).toBe('Enabled');
    const [incident, ...others] = await incidentsAbout(keyArn);
    expect(others).toHaveLength(0);
    expect(incident).toMatchObject({
      status: 'contained',
      signal: { detector: 'key-deletion-scheduled', source: { eventId: event.detail.eventID } },
    });
    expect(first.out.map((line) => JSON.parse(line) as Line)).toEqual([
      {
        where: `${file}:1`,
        kind: 'api-call',
        name: 'ScheduleKeyDeletion',
        eventId: event.detail.eventID,
        status: 'responded',
        incidents: [{ id: incident!.id, status: 'contained', duplicate: false }],
      },
      // The bare record went to the KMS responder as EventBridge's detail.
      {
        where: `${file}:3`,
        kind: 'api-call',
        name: 'EnableKeyRotation',
        eventId: otherCall.eventID,
        status: 'ignored',
        reason: 'no detector fired',
      },
    ]);
    expect(first.err).toEqual([
      expect.stringMatching(new RegExp(`^malformed: ${file}:2: not JSON: `)),
      `handled 2 events from 1 file(s): 1 responded (1 incidents, 0 duplicate), 1 ignored, 1 malformed, 0 failed`,
    ]);
    expect(await drainInbox()).toEqual([expect.stringContaining(incident!.id)]);

    // The owner disables the key after the response: running the file again must not touch it.
    await kms.send(new DisableKeyCommand({ KeyId: keyArn.split('/').at(-1) }));
    const again = captured();
    expect(await main(['handle', '--yes', '--json', file], again.io)).toBe(0);
    expect(again.out.map((line) => JSON.parse(line) as Line)).toEqual([
      expect.objectContaining({
        eventId: event.detail.eventID,
        status: 'responded',
        incidents: [{ id: incident!.id, status: 'contained', duplicate: true }],
      }),
      expect.objectContaining({ eventId: otherCall.eventID, status: 'ignored' }),
    ]);
    expect(again.err.at(-1)).toBe(
      'handled 2 events from 1 file(s): 1 responded (1 incidents, 1 duplicate), 1 ignored, 1 malformed, 0 failed',
    );
    expect(await keyState(keyArn)).toBe('Disabled');
    expect(await incidentsAbout(keyArn)).toEqual([expect.objectContaining({ id: incident!.id, status: 'contained' })]);
    expect(await drainInbox()).toEqual([]);
  });

  it('sends Config changes and bare GuardDuty findings to the findings responder, from a gzipped document and NDJSON', async () => {
    // Prepare: the Config fixture pointed at a key in moto, pretty-printed and gzipped; GetFindings' PascalCase
    // finding.
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'no rotation' }));
    const fixture = JSON.parse(
      readFileSync(join(projectRoot, 'test/fixtures/config/ComplianceChange.rotation-noncompliant.json'), 'utf8'),
    );
    const change = {
      ...fixture,
      account: '123456789012',
      detail: { ...fixture.detail, resourceId: KeyMetadata!.KeyId, awsAccountId: '123456789012' },
    };
    const configFile = join(dir, 'config-change.json.gz');
    writeFileSync(configFile, gzipSync(JSON.stringify(change, null, 2)));
    const findingFile = join(dir, 'findings.ndjson');
    writeFileSync(findingFile, `${JSON.stringify(realRecords('awscli-guardduty-example.ndjson')[0])}\n`);

    // Act
    const run = captured();
    const code = await main(['handle', '--yes', '--json', configFile, findingFile], run.io);

    // Assess
    expect(code).toBe(0);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: KeyMetadata!.KeyId }))).KeyRotationEnabled).toBe(
      true,
    );
    expect(run.out.map((line) => JSON.parse(line) as Line)).toEqual([
      expect.objectContaining({
        where: configFile,
        kind: 'config-compliance',
        name: 'cmk-backing-key-rotation-enabled NON_COMPLIANT',
        eventId: fixture.id,
        status: 'responded',
        incidents: [expect.objectContaining({ status: 'contained', duplicate: false })],
      }),
      expect.objectContaining({
        where: `${findingFile}:1`,
        kind: 'guardduty-finding',
        name: 'Recon:IAMUser/UserPermissions',
        eventId: '1ab92989eaf0e742df4a014d5example',
        status: 'responded',
        incidents: [expect.objectContaining({ duplicate: false })],
      }),
    ]);
    expect(run.err).toEqual([
      'handled 2 events from 2 file(s): 2 responded (2 incidents, 0 duplicate), 0 ignored, 0 malformed, 0 failed',
    ]);
  });

  it('does nothing when a file cannot be read, and says so in one line', async () => {
    const keyArn = await createKey();
    const readable = join(dir, 'before-the-missing-one.ndjson');
    writeFileSync(readable, `${JSON.stringify(await scheduleDeletion(keyArn))}\n`);
    const missing = join(dir, 'missing.ndjson');

    const run = captured();
    expect(await main(['handle', '--yes', readable, missing], run.io)).toBe(2);

    expect(run.err).toEqual([expect.stringMatching(new RegExp(`^kms-warden handle: cannot read ${missing}: ENOENT`))]);
    expect(run.out).toEqual([]);
    expect(await keyState(keyArn)).toBe('PendingDeletion');
  });
});
