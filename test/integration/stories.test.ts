import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateGrantCommand, CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Incident } from '../../src/incidents/incident';
import { kmsApiCallRecord, viaEventBridge, type Caller } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import type { CloudTrailRecord } from '../../src/events/cloudtrail-record';
import { useMoto } from '../support/moto';
import { createWorkloadRole } from '../support/roles';
import { realRecords } from '../support/records';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; status: string; duplicate: boolean }> }>;

const account = '123456789012';
const outsider = 'arn:aws:iam::999988887777:role/exfil';
const minutes = (n: number) => new Date(Date.now() + n * 60_000);

/**
 * One attack, one incident: a principal's signals within the correlation window (6 hours by default) are one story,
 * across keys and detectors, through the real handlers, each with its own role, against moto.
 */
describe('stories: signals correlated into one incident per attack, against moto', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let onKmsCall: Handler;
  let onFinding: Handler;
  const kms = () => new KMSClient({});

  beforeAll(async () => {
    stack = await provisionResponderStack('stories');
    moto.aws.useStack(stack);
    Object.assign(process.env, responderEnvironment(stack));
    ({ handler: onKmsCall } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: Handler });
    ({ handler: onFinding } = (await moto.asFunction(
      'onSecurityFinding',
      () => import('../../handlers/on-security-finding'),
    )) as unknown as { handler: Handler });
  });

  /** A role that exists in the account (quarantine acts on it), calling from its own address. */
  const attackerRole = async (name: string, sourceIp: string): Promise<Caller> => {
    return { roleArn: await createWorkloadRole(name, account), sessionName: `${name}-session`, sourceIp };
  };
  const newKey = async () => (await kms().send(new CreateKeyCommand({ Description: 'stories' }))).KeyMetadata!.Arn!;

  const deletion = async (keyArn: string, caller: Caller, eventTime = new Date()) => {
    const { DeletionDate } = await kms().send(
      new ScheduleKeyDeletionCommand({ KeyId: keyArn.split('/').at(-1), PendingWindowInDays: 7 }),
    );
    return kmsApiCallRecord({
      eventName: 'ScheduleKeyDeletion',
      keyArn,
      caller,
      eventTime,
      requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
      responseElements: { keyId: keyArn, keyState: 'PendingDeletion', deletionDate: DeletionDate?.toISOString() },
    });
  };
  const grant = async (keyArn: string, caller: Caller, eventTime = new Date()) => {
    const { GrantId } = await kms().send(
      new CreateGrantCommand({ KeyId: keyArn.split('/').at(-1), GranteePrincipal: outsider, Operations: ['Decrypt'] }),
    );
    return kmsApiCallRecord({
      eventName: 'CreateGrant',
      keyArn,
      caller,
      eventTime,
      requestParameters: { keyId: keyArn, granteePrincipal: outsider, operations: ['Decrypt'] },
      responseElements: { grantId: GrantId, keyId: keyArn },
    });
  };
  const deliver = async (record: CloudTrailRecord) => {
    const outcome = await onKmsCall(viaEventBridge(record), localLambdaContext('onKmsApiCall'));
    return outcome.incidents ?? [];
  };

  const incidentsOf = async (roleArn: string): Promise<Incident[]> => {
    const { Items = [] } = await new DynamoDBClient({}).send(new ScanCommand({ TableName: stack.incidentTable }));
    return Items.map((item) => unmarshall(item) as Incident & { pk: string })
      .filter((item) => item.pk.startsWith('INCIDENT#') && item.signal.principal.arn === roleArn)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  };

  it('keeps two attackers at once two incidents, each one story across the keys it touched', async () => {
    const alpha = await attackerRole('alpha', '203.0.113.10');
    const bravo = await attackerRole('bravo', '203.0.113.20');
    const [k1, k2] = [await newKey(), await newKey()];

    // Interleaved, within minutes: alpha deletes k1, bravo deletes k2, alpha hands k2 out, bravo hands k1 out.
    const [a1] = await deliver(await deletion(k1, alpha, minutes(-4)));
    const [b1] = await deliver(await deletion(k2, bravo, minutes(-3)));
    const [a2] = await deliver(await grant(k2, alpha, minutes(-2)));
    const [b2] = await deliver(await grant(k1, bravo, minutes(-1)));

    expect(a1!.id).not.toBe(b1!.id);
    expect(a2!.id).toBe(a1!.id);
    expect(b2!.id).toBe(b1!.id);
    const [ofAlpha] = await incidentsOf(alpha.roleArn);
    const [ofBravo] = await incidentsOf(bravo.roleArn);
    expect(ofAlpha!.signals.map((s) => [s.detector, s.keyArn, s.principalArn])).toEqual([
      ['key-deletion-scheduled', k1, alpha.roleArn],
      ['grant-external-principal', k2, alpha.roleArn],
    ]);
    expect(ofAlpha!.keys).toEqual([k1, k2]);
    expect(ofBravo!.signals.map((s) => [s.detector, s.keyArn, s.principalArn])).toEqual([
      ['key-deletion-scheduled', k2, bravo.roleArn],
      ['grant-external-principal', k1, bravo.roleArn],
    ]);
    // Each signal keeps its own plan and results: alpha's grant step revoked the grant on k2, not bravo's on k1.
    const grantSteps = ofAlpha!.plan.slice(ofAlpha!.signals[1]!.planFrom!);
    expect(grantSteps.find((step) => step.type === 'revoke-grants')?.params).toMatchObject({ keyArn: k2 });
  });

  it('makes the same principal a day apart two incidents, and keeps a redelivered step with its own story', async () => {
    const charlie = await attackerRole('charlie', '203.0.113.30');
    const [k3, k4] = [await newKey(), await newKey()];
    const dayBefore = minutes(-26 * 60);
    const opening = await deletion(k3, charlie, dayBefore);
    const later = await grant(k3, charlie, new Date(dayBefore.getTime() + 10 * 60_000));
    const [first] = await deliver(opening);
    const [joined] = await deliver(later);
    expect(joined!.id).toBe(first!.id);

    // A day later (past the six-hour window), the same role again: a new story, not the old one's.
    const [next] = await deliver(await deletion(k4, charlie));
    expect(next!.id).not.toBe(first!.id);
    const before = await incidentsOf(charlie.roleArn);
    expect(before.map((i) => i.id)).toEqual([first!.id, next!.id]);
    expect(before.map((i) => i.signals.length)).toEqual([2, 1]);

    // EventBridge delivers the old story's later step again, now that the new story holds the principal: it is the
    // old story's, acted on no more, and no timeline or signal entry is added to either.
    const [again] = await deliver(later);
    expect(again).toMatchObject({ id: first!.id, duplicate: true });
    const [opener] = await deliver(opening);
    expect(opener).toMatchObject({ id: first!.id, duplicate: true });
    const after = await incidentsOf(charlie.roleArn);
    expect(after.map((i) => [i.id, i.signals.length, i.timeline.length, i.plan.length])).toEqual(
      before.map((i) => [i.id, i.signals.length, i.timeline.length, i.plan.length]),
    );
  });

  it("joins GuardDuty's finding on a role to the CloudTrail story of that role, and raises it", async () => {
    const delta = await attackerRole('delta', '203.0.113.40');
    const k5 = await newKey();
    const [opened] = await deliver(await grant(k5, delta, minutes(-20)));

    // GuardDuty names the role without its path, from its session's access key; it saw the activity from 30 minutes
    // ago to 5 minutes ago, and published the finding now (the aws-samples IAM finding, moved to this role).
    const sample = realRecords('aws-samples-guardduty-automated-response.ndjson')[1] as {
      resource: object;
      service: object;
    };
    const finding = {
      version: '0',
      id: 'gd-stories-1',
      'detail-type': 'GuardDuty Finding',
      source: 'aws.guardduty',
      account,
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        ...sample,
        id: 'stories-finding-delta',
        accountId: account,
        region: 'us-east-1',
        severity: 8,
        type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
        createdAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
        resource: {
          ...sample.resource,
          accessKeyDetails: {
            accessKeyId: 'ASIAEXAMPLEDELTA',
            principalId: 'AROAEXAMPLE:delta-session',
            userName: 'delta',
            userType: 'AssumedRole',
          },
        },
        service: {
          ...sample.service,
          count: 1,
          additionalInfo: {},
          eventFirstSeen: minutes(-30).toISOString(),
          eventLastSeen: minutes(-5).toISOString(),
        },
      },
    };
    const outcome = await onFinding(finding, localLambdaContext('onSecurityFinding'));
    expect(outcome.incidents?.map((i) => i.id)).toEqual([opened!.id]);

    const [story, ...others] = await incidentsOf(delta.roleArn);
    expect(others).toEqual([]);
    expect(story!.signals.map((s) => s.detector)).toEqual([
      'grant-external-principal',
      'guardduty-credential-compromise',
    ]);
    expect(story).toMatchObject({
      severity: 'critical',
      severityReason: 'GuardDuty found the credential compromised, and it changed keys',
    });
    expect(story!.timeline.at(-2)!.what).toMatch(
      /^signal attached: guardduty-credential-compromise .*; severity raised from high to critical \(GuardDuty found the credential compromised, and it changed keys\)$/,
    );
  });
});
