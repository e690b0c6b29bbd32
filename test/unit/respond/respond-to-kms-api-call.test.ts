import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
} from '@aws-sdk/client-kms';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { respondToKmsApiCall } from '../../../src/respond/respond-to-kms-api-call';
import { inMemoryResponderDeps } from '../../support/responder';
import { failed, fromAccount, record } from '../../support/records';
import { incidentFrom } from '../../support/incidents';

const keyArn = 'arn:aws:kms:us-west-2:123456789012:key/1';
const kms = mockClient(KMSClient);
const iam = mockClient(IAMClient);

/** What the rest of the plan reads and writes: a default key policy, no grants, no tags, a role to quarantine. */
const otherCalls = () => {
  kms.on(ListResourceTagsCommand).resolves({ Tags: [] });
  kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) });
  kms.on(PutKeyPolicyCommand).resolves({});
  kms.on(ListGrantsCommand).resolves({ Grants: [] });
  iam.on(GetRolePolicyCommand).rejects(new NoSuchEntityException({ message: 'no policy', $metadata: {} }));
  iam.on(PutRolePolicyCommand).resolves({});
  // The suspect role, found by its name in this account, the key's (quarantine acts on the exact principal).
  iam.on(GetRoleCommand).callsFake(({ RoleName }: { RoleName: string }) => ({
    Role: { Arn: `arn:aws:iam::123456789012:role/${RoleName}`, RoleName },
  }));
};

const setup = (keyAdministrators: string[] = []) => {
  const { deps, sent, incidents } = inMemoryResponderDeps(keyAdministrators);
  return { deps, sent, incidents, respond: respondToKmsApiCall(deps) };
};

/**
 * The key as KMS would keep it: DescribeKey answers its current state, CancelKeyDeletion leaves it Disabled (as KMS
 * does) and EnableKey enables it. However many times the responder reads it, it reads the truth.
 */
const keyPendingDeletion = () => {
  let state = 'PendingDeletion';
  kms.on(DescribeKeyCommand).callsFake(() => ({
    KeyMetadata: {
      KeyId: '1',
      KeyState: state,
      Description: 'payments',
      ...(state === 'PendingDeletion' ? { DeletionDate: new Date('2026-12-05T00:00:00Z') } : {}),
    },
  }));
  kms.on(CancelKeyDeletionCommand).callsFake(() => ((state = 'Disabled'), {}));
  kms.on(EnableKeyCommand).callsFake(() => ((state = 'Enabled'), {}));
  return {
    scheduleAgain: () => (state = 'PendingDeletion'),
    get state() {
      return state;
    },
  };
};

const scheduled = record('ScheduleKeyDeletion.assumed-role');
const event = (detail: CloudTrailRecord) => ({ detail });

beforeEach(() => {
  kms.reset();
  iam.reset();
  otherCalls();
});

describe('responding to a KMS API call', () => {
  it('runs one set of actions and sends one message when the same event arrives twice', async () => {
    const { respond, sent } = setup();
    keyPendingDeletion();

    const first = await respond(event(scheduled));
    const second = await respond(event(scheduled));

    expect(first).toMatchObject({ status: 'responded', incidents: [{ status: 'contained', duplicate: false }] });
    expect(second).toMatchObject({ status: 'responded', incidents: [{ status: 'contained', duplicate: true }] });
    expect(kms).toHaveReceivedCommandTimes(CancelKeyDeletionCommand, 1);
    expect(kms).toHaveReceivedCommandTimes(EnableKeyCommand, 1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toContain('CRITICAL');
  });

  it("answers a cross-account call once when both accounts' records of it arrive (an organization's events)", async () => {
    const { respond, sent, incidents } = setup();
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: '1', KeyState: 'Enabled', Description: 'payments' } });
    // One Decrypt of 111122223333's key by a user of 999988887777: logged in both accounts, one sharedEventID.
    const decrypt = fromAccount(record('Decrypt.iam-user'), '999988887777');
    const inKeyOwner = {
      ...decrypt,
      eventID: 'owner-copy',
      sharedEventID: 'shared-1',
      recipientAccountId: '111122223333',
    };
    const inCaller = {
      ...decrypt,
      eventID: 'caller-copy',
      sharedEventID: 'shared-1',
      recipientAccountId: '999988887777',
    };

    const first = await respond(event(inCaller));
    const second = await respond(event(inKeyOwner));

    expect(first).toMatchObject({ status: 'responded', incidents: [{ duplicate: false }] });
    expect(second).toMatchObject({ status: 'responded', incidents: [{ duplicate: true }] });
    const id = (first as { incidents: Array<{ id: string }> }).incidents[0]!.id;
    expect((await incidents.get(id))!.signals.map((s) => s.eventId)).toEqual(['caller-copy']);
    expect(sent).toHaveLength(1);
  });

  it('asks the planning function, once, to list what re-keying would do when it asks people to approve a re-key', async () => {
    const { respond, deps, incidents } = setup();
    keyPendingDeletion();
    const asked: string[] = [];
    deps.links = {
      baseUrl: 'https://a.example/approvals/',
      secret: { bytes: async () => Buffer.alloc(32) },
      ttlSeconds: 60,
    };
    deps.rekeyPlanner = { request: async (incidentId) => void asked.push(incidentId) };
    const first = await respond(event(scheduled));
    await respond(event(scheduled));
    const id = (first as { incidents: Array<{ id: string }> }).incidents[0]!.id;
    expect((await incidents.get(id))!.status).toBe('awaiting-approval');
    expect(asked).toEqual([id]);
    // A planner that cannot be reached fails nothing: the approval page says how to list the plan by hand.
    const other = setup();
    other.deps.links = deps.links;
    other.deps.rekeyPlanner = { request: async () => Promise.reject(new Error('Lambda unavailable')) };
    await expect(respondToKmsApiCall(other.deps)(event(scheduled))).resolves.toMatchObject({ status: 'responded' });
  });

  it('counts the signal, the steps by outcome and the time from the event to containment', async () => {
    const { deps } = setup();
    keyPendingDeletion();
    const counted: string[] = [];
    const metrics = {
      signal: (detector: string, severity: string) => void counted.push(`signal ${detector} ${severity}`),
      steps: (results: readonly { outcome: string }[]) =>
        void counted.push(`steps ${results.map((r) => r.outcome).join(',')}`),
      contained: (ms: number) => void counted.push(`contained ${ms}`),
      flush: () => void counted.push('flush'),
    };
    await respondToKmsApiCall({ ...deps, metrics })(event(scheduled));
    const eventAt = Date.parse(scheduled.eventTime);
    expect(counted).toEqual([
      'signal key-deletion-scheduled critical',
      expect.stringMatching(/^steps (applied|skipped)(,(applied|skipped))*$/),
      `contained ${Date.parse('2026-11-28T12:00:00.000Z') - eventAt}`,
      'flush',
    ]);
  });

  it('ignores a failed call without touching KMS or anyone', async () => {
    const { respond, sent, incidents } = setup();
    const outcome = await respond(event(failed(scheduled)));
    expect(outcome).toEqual({ status: 'ignored', reason: 'call failed with AccessDeniedException' });
    expect(kms.calls()).toHaveLength(0);
    expect(sent).toHaveLength(0);
    expect(incidents.incidents.size).toBe(0);
  });

  it('tells on-call when containment fails, throws for a retry, and reports again once the retry succeeds', async () => {
    const { respond, sent, incidents } = setup();
    keyPendingDeletion();
    kms
      .on(CancelKeyDeletionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(respond(event(scheduled))).rejects.toThrow(/did not finish/);
    expect(sent.map((n) => n.subject)).toEqual([expect.stringContaining('containment FAILED')]);
    const stored = [...incidents.incidents.values()][0]!;
    expect(stored.status).toBe('open');
    expect(stored.results![0]).toMatchObject({ outcome: 'failed', error: 'ThrottlingException' });
    // The other steps of the plan still ran.
    expect(stored.results!.slice(1).map((r) => r.outcome)).toEqual(['applied', 'skipped', 'applied']);

    kms.reset();
    otherCalls();
    keyPendingDeletion();
    const retried = await respond(event(scheduled));

    expect(retried).toMatchObject({ incidents: [{ status: 'contained' }] });
    expect(sent.map((n) => n.subject)).toEqual([
      expect.stringContaining('containment FAILED'),
      expect.stringContaining(': contained'),
    ]);
    expect(kms).toHaveReceivedCommandTimes(CancelKeyDeletionCommand, 1);
  });

  it("restores the state a key administrator left the key in, not the suspect's", async () => {
    const { respond, incidents } = setup();
    const admin = 'arn:aws:iam::123456789012:role/KeyAdmins';
    const disabledByAdmin: CloudTrailRecord = {
      ...record('DisableKey.assumed-role'),
      eventID: 'disable-by-admin',
      eventTime: '2018-12-31T00:00:00.000Z',
      userIdentity: {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::123456789012:assumed-role/KeyAdmins/alice',
        sessionContext: { sessionIssuer: { arn: admin } },
      },
    };
    keyPendingDeletion();

    expect(await respond(event(disabledByAdmin))).toMatchObject({
      status: 'responded',
      incidents: [{ status: 'contained' }],
    });
    await respond(event(scheduled));

    const incident = [...incidents.incidents.values()].find((i) => i.signal.detector === 'key-deletion-scheduled');
    expect(incident!.priorKeyState).toMatchObject({ state: 'Disabled' });
    expect(incident!.plan[0]).toEqual({
      type: 'cancel-key-deletion',
      params: { keyArn, restoreState: 'Disabled' },
      run: 'automatic',
    });
    expect(incident!.plan.map((step) => `${step.type}:${step.run}`)).toEqual([
      'cancel-key-deletion:automatic',
      'deny-principal-in-key-policy:automatic',
      'revoke-grants:automatic',
      'quarantine-principal:automatic',
    ]);
    expect(kms).not.toHaveReceivedCommand(EnableKeyCommand);
  });

  it('contains a later signal of the group even while the first response keeps failing', async () => {
    const { respond, incidents } = setup();
    const key = keyPendingDeletion();
    kms
      .on(PutKeyPolicyCommand)
      .rejects(Object.assign(new Error('policy refused'), { name: 'MalformedPolicyDocumentException' }));
    await expect(respond(event(scheduled))).rejects.toThrow(/did not finish/);
    const [holder] = incidents.incidents.values();
    expect(holder!.status).toBe('open');

    // The same caller schedules the deletion again: stopped again, and recorded on the same incident.
    key.scheduleAgain();
    await expect(respond(event({ ...scheduled, eventID: 'second-schedule' }))).rejects.toThrow(
      /later signal .* did not finish/,
    );
    expect(key.state).toBe('Enabled');
    expect(kms).toHaveReceivedCommandTimes(CancelKeyDeletionCommand, 2);
    expect(incidents.incidents.size).toBe(1);
    expect([...incidents.incidents.values()][0]!.signals.map((entry) => entry.eventId)).toEqual([
      scheduled.eventID,
      'second-schedule',
    ]);
  });

  it('contains a later signal even when the first response never got as far as recording anything', async () => {
    const { respond, incidents } = setup();
    const key = keyPendingDeletion();
    // A holder whose function died between opening the incident and recording its containment.
    await incidents.open(incidentFrom(scheduled));

    await expect(respond(event({ ...scheduled, eventID: 'second-schedule' }))).rejects.toThrow(
      /was contained but could not be attached/,
    );
    expect(key.state).toBe('Enabled');
    expect(kms).toHaveReceivedCommandTimes(CancelKeyDeletionCommand, 1);
    expect(incidents.incidents.size).toBe(1);
  });

  it('gives an active incident no TTL: it expires only once released or closed', async () => {
    const { respond, incidents } = setup();
    keyPendingDeletion();
    await respond(event(scheduled));
    const [incident] = incidents.incidents.values();
    expect(incident!.status).toBe('contained');
    expect(incident!.expiresAt).toBeUndefined();
  });
});
