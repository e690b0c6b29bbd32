import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CopySnapshotCommand,
  CreateVolumeCommand,
  DeleteSnapshotCommand,
  DescribeSnapshotsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  DecryptCommand,
  EncryptCommand,
  ReplicateKeyCommand,
} from '@aws-sdk/client-kms';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeParametersCommand, GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { KeyReplacement } from '../../src/aws/rekey/kms-replacement';
import { documentClient, kmsClients, snsClient } from '../../src/aws/clients';
import { SnsNotifier } from '../../src/aws/sns-notifier';
import type { Incident } from '../../src/incidents/incident';
import { LocalRekeyWorkflow } from '../../src/local/local-rekey-workflow';
import { DynamoDbKeyPolicyLock } from '../../src/aws/dynamodb-policy-texts';
import { resumeWaiting } from '../../src/rekey/waiting';
import { provisionResponderStack, type ResponderStack } from '../../src/local/responder-stack';
import { acknowledgeResource } from '../../src/rekey/acknowledge';
import type { RekeyDeps, RekeyRun } from '../../src/rekey/step';
import { reEncrypters } from '../../src/composition/rekey';
import { incidentFrom } from '../support/incidents';
import { useMoto } from '../support/moto';
import { record } from '../support/records';

const region = 'us-east-1';
/** The statement a key's owners usually start from: the account's IAM policies decide. */
const owners = {
  Sid: 'Owners',
  Effect: 'Allow',
  Principal: { AWS: 'arn:aws:iam::123456789012:root' },
  Action: 'kms:*',
  Resource: '*',
};

describe('the re-key workflow, run by the local interpreter against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let incidents: DynamoDbIncidentStore;
  let kms: KMSClient;

  beforeAll(async () => {
    stack = await provisionResponderStack('rekey');
    moto.aws.useStack(stack);
    incidents = new DynamoDbIncidentStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } }),
      stack.incidentTable,
    );
    kms = new KMSClient({ region });
  });

  /** The re-key step's deps, as its composition root builds them, with a session of its role. */
  const deps = (): Promise<Omit<RekeyDeps, 'workflow'>> =>
    moto.asFunction('rekeyStep', () => ({
      incidents: new DynamoDbIncidentStore(documentClient(), stack.incidentTable),
      keys: new KeyReplacement(kmsClients()),
      services: reEncrypters(),
      notifier: new SnsNotifier(snsClient(), stack.notificationTopicArn),
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(),
      settings: {
        settleMinutes: 0,
        deletionApprovalDays: 14,
        oldKeyKeptFor: [moto.aws.roleArnOf('rekeyStep')],
      },
      keyPolicyLock: new DynamoDbKeyPolicyLock(documentClient(), stack.incidentTable),
    }));

  /** An old key as a team would have it, with kms-warden's containment statement added to its policy. */
  const oldKey = async (name: string) => {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        owners,
        {
          Sid: 'KmsWardenDeny0123456789abcdef',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          NotAction: 'kms:DescribeKey',
          Resource: '*',
          Condition: { ArnLike: { 'aws:PrincipalArn': ['arn:aws:iam::123456789012:role/ci-deployer'] } },
        },
      ],
    };
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Description: `${name} data`,
        Policy: JSON.stringify(policy),
        Tags: [{ TagKey: 'team', TagValue: name }],
      }),
    );
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${name}`, TargetKeyId: KeyMetadata!.KeyId }));
    return KeyMetadata!.Arn!;
  };

  /** Resources of five services under the old key, as a workload would leave them. */
  const seed = async (keyArn: string, name: string) => {
    const secrets = new SecretsManagerClient({ region });
    await secrets.send(new CreateSecretCommand({ Name: `${name}/db`, SecretString: 's3cr3t', KmsKeyId: keyArn }));
    const ssm = new SSMClient({ region });
    await ssm.send(
      new PutParameterCommand({ Name: `/${name}/token`, Value: 'tok3n', Type: 'SecureString', KeyId: `alias/${name}` }),
    );
    const s3 = new S3Client({ region, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: `${name}-data` }));
    await s3.send(
      new PutBucketEncryptionCommand({
        Bucket: `${name}-data`,
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn } }],
        },
      }),
    );
    for (const object of ['a.csv', 'b.csv']) {
      await s3.send(
        new PutObjectCommand({
          Bucket: `${name}-data`,
          Key: object,
          Body: `body of ${object}`,
          ServerSideEncryption: 'aws:kms',
          SSEKMSKeyId: keyArn,
          Metadata: { owner: name },
        }),
      );
    }
    const ec2 = new EC2Client({ region });
    const { VolumeId } = await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 8 }));
    const { SnapshotId: plain } = await ec2.send(
      new (await import('@aws-sdk/client-ec2')).CreateSnapshotCommand({ VolumeId }),
    );
    // moto's CreateSnapshot does not keep a volume's key: a copy onto the old key stands for a snapshot under it.
    const { SnapshotId } = await ec2.send(
      new CopySnapshotCommand({ SourceSnapshotId: plain, SourceRegion: region, Encrypted: true, KmsKeyId: keyArn }),
    );
    const rds = new RDSClient({ region });
    await rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${name}-orders`,
        DBInstanceClass: 'db.t3.micro',
        Engine: 'postgres',
        AllocatedStorage: 20,
        MasterUsername: 'admin',
        MasterUserPassword: 'password123',
        StorageEncrypted: true,
        KmsKeyId: keyArn,
      }),
    );
    return { snapshotId: SnapshotId! };
  };

  /** An incident about the key, contained and approved for re-keying. */
  const approvedIncident = async (keyArn: string, name: string): Promise<Incident> => {
    const draft = {
      ...incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID: `rekey-${name}` }),
      keyArn,
      group: `rekey|${name}`,
    };
    await incidents.open(draft);
    await incidents.recordContainment(draft.id, [], new Date().toISOString());
    return incidents.decide(draft.id, 'approved', {
      action: 'approve-rekey',
      by: 'alice',
      channel: 'cli',
      at: new Date().toISOString(),
    });
  };

  /** Waits until the incident satisfies `ready`, or fails the test after a few seconds. */
  const until = async (id: string, ready: (incident: Incident) => boolean): Promise<Incident> => {
    for (let i = 0; i < 200; i += 1) {
      const incident = await incidents.get(id);
      if (incident && ready(incident)) return incident;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const stuck = (await incidents.get(id))?.rekey;
    throw new Error(`incident ${id} never got there: ${JSON.stringify(stuck?.failure ?? stuck?.resources)}`);
  };

  /** What a person does: the cutovers the run asked for, then the second approval. */
  const actAsPeople = async (incidentId: string, snapshotId: string, name: string, workflow: LocalRekeyWorkflow) => {
    const waiting = await until(
      incidentId,
      (i) =>
        Object.values(i.rekey?.resources ?? {}).some((r) => r.status === 'needs-human' && r.kind === 'db-instance') &&
        Boolean(i.rekey?.remainingReported),
    );
    // The EBS snapshot was copied under the new key; the original is deleted, as its note says.
    await new EC2Client({ region }).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    const database = Object.entries(waiting.rekey!.resources).find(([, r]) => r.kind === 'db-instance')!;
    expect(database[1].instructions!.join(' ')).toContain(`${name}-orders`);
    await acknowledgeResource(
      incidents,
      workflow,
      incidentId,
      database[0],
      'bob',
      'restored from the re-encrypted snapshot and cut over',
      new Date().toISOString(),
    );
    await until(incidentId, (i) => i.status === 're-keyed' && Boolean(i.rekey?.deletionRequestedAt));
    await approveDeletion(incidentId, workflow);
  };

  /**
   * The second approval as the decision's executor carries it out (approvals/carry-out.ts): recorded, then the
   * execution waiting for it resumed with its task token.
   */
  const approveDeletion = async (incidentId: string, workflow: LocalRekeyWorkflow) => {
    const decided = await incidents.recordDecision(incidentId, {
      action: 'approve-deletion',
      by: 'carol',
      channel: 'cli',
      at: new Date().toISOString(),
    });
    await resumeWaiting(decided, 'deletion-approval', workflow, { by: 'carol', why: 'deletion approved' });
  };

  const replacementsOf = async (keyArn: string) => {
    const { Keys = [] } = await kms.send(new (await import('@aws-sdk/client-kms')).ListKeysCommand({}));
    const tagged = await Promise.all(
      Keys.map(async (k) =>
        ((await kms.send(new ListResourceTagsCommand({ KeyId: k.KeyId }))).Tags ?? []).some(
          (t) => t.TagKey === 'kms-warden:replaces' && t.TagValue === keyArn,
        ),
      ),
    );
    return Keys.filter((_, i) => tagged[i]).map((k) => k.KeyArn!);
  };

  it('replaces the key, moves every resource, waits for people, and schedules the deletion only after the second approval', async () => {
    // Prepare
    const name = 'payments';
    const keyArn = await oldKey(name);
    const { snapshotId } = await seed(keyArn, name);
    // Containment disabled the key: re-keying must enable it to move data off it, then disable it again.
    await kms.send(new DisableKeyCommand({ KeyId: keyArn.split('/').at(-1) }));
    const incident = await approvedIncident(keyArn, name);
    const run: RekeyRun = { incidentId: incident.id, keyArn, pendingWindowDays: 21, startedBy: 'alice' };
    const workflow = new LocalRekeyWorkflow(await deps(), { timeScale: 0.0001 });
    // Act
    expect(await workflow.start(run)).toMatchObject({ started: true });
    expect(await workflow.start(run)).toMatchObject({ started: false });
    await actAsPeople(incident.id, snapshotId, name, workflow);
    await workflow.finished(incident.id);
    // Assess: one replacement, set up like the old key but without kms-warden's containment statement.
    const [newKeyArn, ...extra] = await replacementsOf(keyArn);
    expect(extra).toHaveLength(0);
    const newKeyId = newKeyArn!.split('/').at(-1);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: newKeyId }))).KeyMetadata).toMatchObject({
      Description: `${name} data`,
      KeyState: 'Enabled',
    });
    const policy = JSON.parse(
      (await kms.send(new GetKeyPolicyCommand({ KeyId: newKeyId, PolicyName: 'default' }))).Policy!,
    );
    expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Owners']);
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: newKeyId }))).KeyRotationEnabled).toBe(true);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: newKeyId }))).Tags).toEqual(
      expect.arrayContaining([{ TagKey: 'team', TagValue: name }]),
    );
    const { Aliases = [] } = await kms.send(new ListAliasesCommand({ KeyId: newKeyId }));
    expect(Aliases.map((a) => a.AliasName)).toEqual([`alias/${name}`]);

    // Every resource reports the new key.
    expect(
      (await new SecretsManagerClient({ region }).send(new DescribeSecretCommand({ SecretId: `${name}/db` }))).KmsKeyId,
    ).toBe(newKeyArn);
    expect(
      (await new SecretsManagerClient({ region }).send(new GetSecretValueCommand({ SecretId: `${name}/db` })))
        .SecretString,
    ).toBe('s3cr3t');
    const { Parameters = [] } = await new SSMClient({ region }).send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [`/${name}/token`] }] }),
    );
    expect(Parameters[0]!.KeyId).toBe(newKeyArn);
    expect(
      (await new SSMClient({ region }).send(new GetParameterCommand({ Name: `/${name}/token`, WithDecryption: true })))
        .Parameter!.Value,
    ).toBe('tok3n');
    const s3 = new S3Client({ region, forcePathStyle: true });
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: `${name}-data` })))
      .ServerSideEncryptionConfiguration!.Rules![0]!;
    expect(rule.ApplyServerSideEncryptionByDefault!.KMSMasterKeyID).toBe(newKeyArn);
    for (const object of ['a.csv', 'b.csv']) {
      expect(await s3.send(new HeadObjectCommand({ Bucket: `${name}-data`, Key: object }))).toMatchObject({
        SSEKMSKeyId: newKeyArn,
        Metadata: { owner: name },
      });
    }
    const { Snapshots = [] } = await new EC2Client({ region }).send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'] }),
    );
    expect(Snapshots.filter((s) => s.KmsKeyId === newKeyArn)).toHaveLength(1);
    expect(
      Snapshots.filter((s) => s.KmsKeyId === keyArn && !s.Tags?.some((t) => t.Key?.startsWith('kms-warden:'))),
    ).toHaveLength(0);

    // The old key: disabled first, then pending deletion with the window asked for.
    const old = (await kms.send(new DescribeKeyCommand({ KeyId: keyArn.split('/').at(-1) }))).KeyMetadata!;
    expect(old.KeyState).toBe('PendingDeletion');
    const days = (old.DeletionDate!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(20.9);
    expect(days).toBeLessThan(21.1);

    const done = (await incidents.get(incident.id))!;
    expect(done.status).toBe('deletion-scheduled');
    expect(done.rekey).toMatchObject({
      replacementKeyArn: newKeyArn,
      aliasesMoved: [`alias/${name}`],
      deletionDate: old.DeletionDate!.toISOString(),
    });
    // Verified, then asked, then scheduled (verified again just before scheduling, days may have passed).
    const order = ['verified: ', 'deletion approval requested', 'deletion of the old key scheduled'].map((what) =>
      done.timeline.findIndex((t) => t.what.startsWith(what)),
    );
    expect(order.every((index) => index >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(done.decisions!.map((d) => d.action)).toEqual(['approve-rekey', 'approve-deletion']);
    const statuses = Object.values(done.rekey!.resources)
      .map((r) => `${r.service}:${r.kind}:${r.status}`)
      .sort();
    // The snapshot was copied under the new key, but its original stayed on the old key until a person deleted it:
    // verification recorded it as left for a person, then as cut over once it was gone.
    expect(statuses).toEqual([
      'ebs:snapshot:cut-over',
      'rds:db-instance:acknowledged',
      's3:bucket:re-encrypted',
      's3:objects:re-encrypted',
      'secretsmanager:secret:re-encrypted',
      'ssm:parameter:re-encrypted',
    ]);
  });

  it('records a secret that cannot be moved for a person, moves the rest, and goes on once it is acknowledged', async () => {
    const keyArn = await oldKey('general-ledger');
    const secrets = new SecretsManagerClient({ region });
    const { ARN: stuck } = await secrets.send(
      new CreateSecretCommand({ Name: 'ledger/stuck', SecretString: 's', KmsKeyId: keyArn }),
    );
    const { ARN: movable } = await secrets.send(
      new CreateSecretCommand({ Name: 'ledger/movable', SecretString: 'm', KmsKeyId: keyArn }),
    );
    // A resource policy on the secret denies the re-key role, as an owner's may: AWS answers it every time.
    const fault = moto.aws.proxy.inject({
      operation: 'secretsmanager:UpdateSecret',
      kind: 'refuse',
      refusal: {
        code: 'AccessDeniedException',
        message: `User is not authorized to perform: secretsmanager:UpdateSecret on resource: ${stuck} with an explicit deny in a resource-based policy`,
      },
      when: (call) => call.params.SecretId === stuck,
      times: 100,
    });
    // An application of the account that uses the key directly (envelope encryption), as its IAM policy allows.
    const iam = new IAMClient({});
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'ledger-app',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'ledger-app',
        PolicyName: 'use-key',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['kms:Encrypt', 'kms:Decrypt'], Resource: keyArn }],
        }),
      }),
    );
    const app = new KMSClient({ region, credentials: await moto.aws.sessionOfRole('ledger-app', 'app') });
    const { CiphertextBlob } = await app.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from('ledger') }));
    const incident = await approvedIncident(keyArn, 'general-ledger');
    const run: RekeyRun = { incidentId: incident.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' };
    // Waits for people time out as in AWS (a minute at least, then 14 days for the deletion's approval): this run
    // gets past them within the test's time only through the task tokens an acknowledgement and an approval send.
    const states: string[] = [];
    const workflow = new LocalRekeyWorkflow(await deps(), {
      timeScale: 0.0001,
      timeoutScale: 1,
      onState: (_id, state) => states.push(state),
    });
    const started = Date.now();
    await workflow.start(run);
    const key = `secretsmanager:${region}:secret:${stuck}`;
    const waiting = await until(incident.id, (i) => Boolean(i.rekey?.remainingReported));
    expect(waiting.rekey!.failure).toBeUndefined();
    expect(waiting.rekey!.resources[key]).toMatchObject({
      status: 'needs-human',
      detail: expect.stringMatching(/^could not be moved: AccessDeniedException/),
      instructions: expect.arrayContaining([expect.stringContaining(`rekey ack ${incident.id} ${key}`)]),
    });
    expect(waiting.rekey!.resources[`secretsmanager:${region}:secret:${movable}`]!.status).toBe('re-encrypted');
    // Tried once: a 4xx is not retried by the SDK, and a resource recorded for a person is no longer pending.
    expect(fault.made()).toBe(1);
    // Deletion is not offered while it is left on the old key; a person acknowledges it, and the run goes on.
    expect(waiting.rekey!.deletionRequestedAt).toBeUndefined();
    await until(incident.id, (i) => i.rekey?.awaiting?.for === 'people');
    // While re-keying waits for people the old key is enabled, but only re-keying may use it: the application is
    // refused by the key policy (the strict layer evaluates it), and the replacement does not carry that statement.
    await expect(app.send(new DecryptCommand({ CiphertextBlob, KeyId: keyArn }))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('explicit deny in a resource-based policy'),
    });
    const shutPolicy = JSON.parse(
      (await kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy!,
    ) as {
      Statement: Array<{ Sid: string; Action: string[]; Condition: Record<string, Record<string, string[]>> }>;
    };
    expect(shutPolicy.Statement.find((st) => st.Sid === 'KmsWardenDenyAllButRekeying')).toMatchObject({
      Action: expect.arrayContaining(['kms:Decrypt', 'kms:CreateGrant']),
      Condition: { ArnNotLike: { 'aws:PrincipalArn': expect.arrayContaining([moto.aws.roleArnOf('rekeyStep')]) } },
    });
    const waitingIncident = (await incidents.get(incident.id))!;
    const replacementPolicy = (
      await kms.send(
        new GetKeyPolicyCommand({ KeyId: waitingIncident.rekey!.replacementKeyArn!, PolicyName: 'default' }),
      )
    ).Policy!;
    expect(replacementPolicy).not.toContain('KmsWardenDeny');
    expect(
      await acknowledgeResource(
        incidents,
        workflow,
        incident.id,
        key,
        'bob',
        'kept on the old key until its owners move it',
        new Date().toISOString(),
      ),
    ).toBe(true);
    await until(incident.id, (i) => i.rekey?.awaiting?.for === 'deletion-approval');
    await approveDeletion(incident.id, workflow);
    await workflow.finished(incident.id);
    expect((await incidents.get(incident.id))!.status).toBe('deletion-scheduled');
    expect(states.filter((state) => state.startsWith('WaitFor'))).toEqual(['WaitForPeople', 'WaitForDeletionApproval']);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('refuses a key of imported material with a plan for a person, and makes no replacement', async () => {
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Description: 'imported',
        Origin: 'EXTERNAL',
        Tags: [{ TagKey: 'team', TagValue: 'hsm' }],
      }),
    );
    const keyArn = KeyMetadata!.Arn!;
    const incident = await approvedIncident(keyArn, 'imported');
    const run: RekeyRun = { incidentId: incident.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' };
    const workflow = new LocalRekeyWorkflow(await deps(), { timeScale: 0.0001 });
    expect(await workflow.start(run)).toMatchObject({ started: true });
    await expect(workflow.finished(incident.id)).rejects.toThrow(/RekeyFailed/);
    const stopped = await incidents.get(incident.id);
    expect(stopped!.rekey!.failure).toMatchObject({ error: 'KeyNotReplaceable' });
    expect(stopped!.rekey!.resources['kms:key:not-replaceable']).toMatchObject({
      status: 'needs-human',
      detail: expect.stringContaining('imported'),
      instructions: expect.arrayContaining([expect.stringContaining('import-key-material')]),
    });
    expect(await replacementsOf(keyArn)).toEqual([]);
    // Refused before anything changed the old key: it is not shut (applications keep it as containment left it).
    const policy = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: 'default' }))).Policy!;
    expect(policy).not.toContain('KmsWardenDenyAllButRekeying');
  });

  it("replaces a multi-Region key with one whose replica is in the old replica's Region, aliases there moved", async () => {
    const otherRegion = 'us-west-2';
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Description: 'orders (multi-Region)',
        MultiRegion: true,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [owners] }),
      }),
    );
    const keyArn = KeyMetadata!.Arn!;
    expect(KeyMetadata!.KeyId).toMatch(/^mrk-/);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: KeyMetadata!.KeyId }));
    const { ReplicaKeyMetadata } = await kms.send(
      new ReplicateKeyCommand({ KeyId: KeyMetadata!.KeyId, ReplicaRegion: otherRegion }),
    );
    const west = new KMSClient({ region: otherRegion });
    await west.send(new CreateAliasCommand({ AliasName: 'alias/orders-west', TargetKeyId: KeyMetadata!.KeyId }));
    const incident = await approvedIncident(keyArn, 'orders');
    const run: RekeyRun = { incidentId: incident.id, keyArn, pendingWindowDays: 7, startedBy: 'alice' };
    const workflow = new LocalRekeyWorkflow(await deps(), { timeScale: 0.0001 });
    await workflow.start(run);

    // The other Region's resources wait for a person: this run inventories the primary's Region.
    const replicaItem = `kms:${otherRegion}:replica-region:${ReplicaKeyMetadata!.Arn}`;
    const waiting = await until(incident.id, (i) => i.rekey?.awaiting?.for === 'people');
    expect(waiting.rekey!.resources[replicaItem]).toMatchObject({
      status: 'needs-human',
      instructions: [expect.stringContaining(`rekey ack ${incident.id} ${replicaItem}`)],
    });
    expect(waiting.rekey!.deletionRequestedAt).toBeUndefined();
    await acknowledgeResource(
      incidents,
      workflow,
      incident.id,
      replicaItem,
      'bob',
      'nothing there yet',
      new Date().toISOString(),
    );
    await until(incident.id, (i) => i.rekey?.awaiting?.for === 'deletion-approval');
    await approveDeletion(incident.id, workflow);
    await workflow.finished(incident.id);

    // Assess: the replacement is a multi-Region primary with its replica in the same Region as the old one.
    const done = (await incidents.get(incident.id))!;
    const newKeyArn = done.rekey!.replacementKeyArn!;
    const replacement = (await kms.send(new DescribeKeyCommand({ KeyId: newKeyArn }))).KeyMetadata!;
    expect(replacement).toMatchObject({ MultiRegion: true, KeyId: expect.stringMatching(/^mrk-/) });
    expect(replacement.MultiRegionConfiguration!.ReplicaKeys!.map((r) => r.Region)).toEqual([otherRegion]);
    const newReplicaArn = newKeyArn.replace(`:${region}:`, `:${otherRegion}:`);
    expect((await west.send(new DescribeKeyCommand({ KeyId: newReplicaArn }))).KeyMetadata!.KeyState).toBe('Enabled');
    // Each Region's aliases point at that Region's key of the new set.
    const aliasTarget = async (client: KMSClient, name: string) =>
      (await client.send(new ListAliasesCommand({}))).Aliases!.find((a) => a.AliasName === name)!.TargetKeyId;
    expect(await aliasTarget(kms, 'alias/orders')).toBe(replacement.KeyId);
    expect(await aliasTarget(west, 'alias/orders-west')).toBe(replacement.KeyId);
    // The old replica was disabled with the primary, and is deleted with it.
    expect((await west.send(new DescribeKeyCommand({ KeyId: ReplicaKeyMetadata!.Arn }))).KeyMetadata!.KeyState).toBe(
      'PendingDeletion',
    );
    expect(done.status).toBe('deletion-scheduled');
    expect(done.timeline.map((t) => t.what)).toEqual(
      expect.arrayContaining([`replica of the replacement in ${otherRegion}: ${newReplicaArn}`]),
    );
  });

  // 5,000 secrets, each recorded on its own item, under the strict layer with the re-key role (about 4 minutes: moto
  // handles one DynamoDB request at a time, and finds a secret by looking at every one). KMS_WARDEN_SCALE_COUNT
  // changes the count (CI's second run, under Node 22, takes 300) and prints the figures. The largest state does not
  // grow with the count: a count and a cursor.
  it('re-keys 5,000 secrets with the workflow state a few kilobytes, whatever their number', async () => {
    const count = Number(process.env.KMS_WARDEN_SCALE_COUNT ?? 5000);
    const keyArn = await oldKey('fleet');
    const secrets = new SecretsManagerClient({ region });
    const started = Date.now();
    for (let i = 0; i < count; i += 50)
      await Promise.all(
        Array.from({ length: Math.min(50, count - i) }, (_, j) =>
          secrets.send(new CreateSecretCommand({ Name: `fleet/s${i + j}`, SecretString: 'v', KmsKeyId: keyArn })),
        ),
      );
    const seeded = Date.now() - started;
    const incident = await approvedIncident(keyArn, 'fleet');
    const run: RekeyRun = { incidentId: incident.id, keyArn, pendingWindowDays: 7, startedBy: 'alice' };
    let largest = 0;
    const workflow = new LocalRekeyWorkflow(await deps(), {
      timeScale: 0.0001,
      onState: (_id, state, data) => {
        largest = Math.max(largest, Buffer.byteLength(JSON.stringify(data)));
        if (state === 'WaitForDeletionApproval') void approveDeletion(incident.id, workflow);
      },
    });
    await workflow.start(run);
    await workflow.finished(incident.id);
    const done = (await incidents.get(incident.id))!;
    expect(done.status).toBe('deletion-scheduled');
    expect(Object.values(done.rekey!.resources).filter((r) => r.status === 're-encrypted')).toHaveLength(count);
    if (process.env.KMS_WARDEN_SCALE_COUNT)
      process.stdout.write(
        `seeded ${count} in ${seeded} ms; run ${Date.now() - started - seeded} ms; largest state ${largest} bytes\n`,
      );
    expect(largest).toBeLessThan(16_384);
  }, 900_000);

  it('resumes a run killed midway without doing anything twice', async () => {
    const name = 'ledger';
    const keyArn = await oldKey(name);
    const { snapshotId } = await seed(keyArn, name);
    const incident = await approvedIncident(keyArn, name);
    const run: RekeyRun = { incidentId: incident.id, keyArn, pendingWindowDays: 7, startedBy: 'alice' };

    // The first run dies as it reaches verification: everything before it is done.
    const crashing = new LocalRekeyWorkflow(await deps(), {
      timeScale: 0.0001,
      onState: (_id, state) => {
        if (state === 'Verify') throw new Error('the process was killed');
      },
    });
    await crashing.start(run);
    await expect(crashing.finished(incident.id)).rejects.toThrow('the process was killed');
    const halfway = (await incidents.get(incident.id))!;
    expect(halfway.status).toBe('re-keying');
    const reEncrypted = (incident: Incident) =>
      Object.entries(incident.rekey!.resources)
        .filter(([, r]) => r.status === 're-encrypted')
        .map(([key, r]) => `${key} at ${r.at}`)
        .sort();
    const movedOnce = reEncrypted(halfway);
    expect(movedOnce).toHaveLength(5);

    // Started again: it resumes from what the incident records.
    const resumed = new LocalRekeyWorkflow(await deps(), { timeScale: 0.0001 });
    expect(await resumed.start(run, 'resume-1')).toMatchObject({ started: true });
    await actAsPeople(incident.id, snapshotId, name, resumed);
    await resumed.finished(incident.id, 'resume-1');

    const done = (await incidents.get(incident.id))!;
    expect(done.status).toBe('deletion-scheduled');
    expect(await replacementsOf(keyArn)).toEqual([done.rekey!.replacementKeyArn]);
    // Nothing re-encrypted twice: the resumed run takes only what the incident records as still pending. (The EBS
    // snapshot's original stays on the old key until a person deletes it; it is recorded as moved, so not copied
    // again.)
    expect(reEncrypted(done)).toEqual(movedOnce.filter((moved) => !moved.startsWith('ebs:')));
    expect(Object.values(done.rekey!.resources).find((r) => r.service === 'ebs')!.status).toBe('cut-over');
    const { Snapshots = [] } = await new EC2Client({ region }).send(
      new DescribeSnapshotsCommand({ OwnerIds: ['self'] }),
    );
    expect(Snapshots.filter((s) => s.KmsKeyId === done.rekey!.replacementKeyArn)).toHaveLength(1);
    expect(done.timeline.filter((t) => t.what.startsWith('replacement key '))).toHaveLength(1);
  });
});
