import { InProcessKeyPolicyLock } from '../../../src/state/policy-texts';
import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import type { ProtectedResource, ServiceReEncrypter } from '../../../src/rekey/protected-resource';
import type { KeyReplacementPort, RekeyDeps } from '../../../src/rekey/step';
import { verify } from '../../../src/rekey/steps/verify';
import { verifyToken } from '../../../src/notify/approval-token';
import { acknowledgementRef } from '../../../src/rekey/acknowledge';
import { scheduleDeletion } from '../../../src/rekey/steps/schedule-deletion';
import type { Notification } from '../../../src/notify/notifier';
import { keySnapshotOf, rekeyingIncident } from '../../support/incidents';
import { record } from '../../support/records';

const keyArn = 'arn:aws:kms:us-west-2:123456789012:key/1';
const snapshot = keySnapshotOf(keyArn, { policy: '{}' });
const run = (incidentId: string) => ({ incidentId, keyArn, pendingWindowDays: 30, startedBy: 'alice' });

/** A re-keying incident, a key in a given state, services that list what is left, and a clock. */
const setup = async (left: ProtectedResource[], lastUse: { at: string } | null | 'unavailable' = null) => {
  const incidents = new InMemoryIncidentStore();
  const incident = await rekeyingIncident(incidents, keyArn, record('ScheduleKeyDeletion.assumed-role'));
  const key = { state: 'Enabled', disabled: 0, scheduled: 0 };
  const keys = {
    state: async () => ({ state: key.state, deletionDate: undefined }),
    disable: async () => {
      key.state = 'Disabled';
      key.disabled += 1;
    },
    scheduleDeletion: async () => {
      key.scheduled += 1;
      return '2026-12-28T00:00:00.000Z';
    },
    lastUsage: async () =>
      lastUse === 'unavailable' ? undefined : lastUse ? { ...lastUse, operation: 'Decrypt', eventId: 'e1' } : null,
  } as unknown as KeyReplacementPort;
  const service: ServiceReEncrypter = {
    service: 'ssm',
    iamActions: [],
    inventoryIamActions: [],
    inventory: async () => left,
    reEncrypt: async () => ({ status: 'skipped', detail: '' }),
  };
  const sent: Notification[] = [];
  const clock = { now: new Date('2026-11-28T13:00:00.000Z') };
  const deps: RekeyDeps = {
    incidents,
    keys,
    services: [service],
    notifier: { send: async (n) => (sent.push(n), 'm') },
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => clock.now,
    settings: { settleMinutes: 60, deletionApprovalDays: 14 },
    workflow: { resume: async () => false },
    keyPolicyLock: new InProcessKeyPolicyLock(),
  };
  return {
    incidents,
    incident,
    key,
    sent,
    clock,
    deps,
    step: () => verify.run({ run: run(incident.id), snapshot, replacement: { keyArn: 'arn:new' } }, deps),
  };
};

/** A person acknowledged that /app/token stays on the old key, at `at`. */
const acknowledged = (incidents: InMemoryIncidentStore, incidentId: string, at: string) =>
  incidents.recordAcknowledgement(incidentId, 'ssm:us-west-2:parameter:/app/token', {
    service: 'ssm',
    kind: 'parameter',
    id: '/app/token',
    region: 'us-west-2',
    status: 'acknowledged',
    detail: 'bob: gone with the app',
    at,
  });

describe('verifying a re-key', () => {
  it("hands the workflow a count, not the list: 5,000 resources left stay far under Step Functions' 256 KB", async () => {
    const left: ProtectedResource[] = Array.from({ length: 5_000 }, (_, i) => ({
      service: 'ssm',
      kind: 'parameter',
      id: `/app/${'p'.repeat(200)}/${i}`,
      region: 'us-west-2',
    }));
    const { step } = await setup(left);
    const output = await step();
    expect(output).toMatchObject({ done: false, remaining: 5_000 });
    expect(Buffer.byteLength(JSON.stringify(output))).toBeLessThan(4_096);
  });

  it('waits while anything is left on the old key, and tells people once per change of what is left', async () => {
    const left: ProtectedResource[] = [{ service: 'ssm', kind: 'parameter', id: '/app/token', region: 'us-west-2' }];
    const { step, sent, key } = await setup(left);
    expect(await step()).toEqual({
      done: false,
      remaining: 1,
      firstLeft: ['ssm:us-west-2:parameter:/app/token'],
      at: '2026-11-28T13:00:00.000Z',
      // The wait for people lasts until the next inventory is due: one settle period.
      waitSeconds: 3600,
    });
    await step();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toContain(
      'ssm:us-west-2:parameter:/app/token: needs-human, found on the old key at verification: it appeared after the inventory',
    );
    expect(key.state).toBe('Enabled');
  });

  it('passes what a person acknowledged', async () => {
    const left: ProtectedResource[] = [{ service: 'ssm', kind: 'parameter', id: '/app/token', region: 'us-west-2' }];
    const { step, incidents, incident, clock } = await setup(left);
    await acknowledged(incidents, incident.id, '2026-11-28T12:30:00.000Z');
    expect(await step()).toMatchObject({ done: false, remaining: 0, settlingUntil: '2026-11-28T14:00:00.000Z' });
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toEqual({ done: true });
  });

  it('disables the old key, waits out the settle period, then marks the incident re-keyed', async () => {
    const { step, key, clock, incidents, incident } = await setup([], { at: '2026-11-28T12:59:00.000Z' });
    expect(await step()).toMatchObject({ done: false, settlingUntil: '2026-11-28T14:00:00.000Z' });
    expect(key).toMatchObject({ state: 'Disabled', disabled: 1 });
    clock.now = new Date('2026-11-28T13:59:59.000Z');
    expect((await step()).done).toBe(false);
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toEqual({ done: true });
    expect(await incidents.get(incident.id)).toMatchObject({
      status: 're-keyed',
      rekey: {
        oldKeyDisabledAt: '2026-11-28T13:00:00.000Z',
        verifiedAt: '2026-11-28T14:00:00.000Z',
        lastUsedAt: '2026-11-28T12:59:00.000Z',
      },
    });
    expect(key.disabled).toBe(1);
  });

  it('starts the settle period over when the key was used after it was disabled, and says so', async () => {
    const { step, clock, sent, key } = await setup([], { at: '2026-11-28T13:30:00.000Z' });
    await step();
    // Someone enabled it and something used it at 13:30; at 14:00 it is found Enabled and disabled again.
    key.state = 'Enabled';
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toEqual({
      done: false,
      remaining: 0,
      firstLeft: [],
      at: '2026-11-28T14:00:00.000Z',
      waitSeconds: 3600,
      settlingUntil: '2026-11-28T15:00:00.000Z',
    });
    expect(key).toMatchObject({ state: 'Disabled', disabled: 2 });
    expect(sent.at(-1)!.text).toMatch(
      /^The old key was used after re-keying disabled it \(Decrypt at 2026-11-28T13:30:00.000Z/,
    );
    // No use since: it passes once the new period is over, never on the old disabling.
    clock.now = new Date('2026-11-28T14:59:00.000Z');
    expect((await step()).done).toBe(false);
    clock.now = new Date('2026-11-28T15:00:00.000Z');
    expect(await step()).toEqual({ done: true });
  });

  it('says the last use is unknown where GetKeyLastUsage is not available', async () => {
    const { step, clock, incidents, incident } = await setup([], 'unavailable');
    await step();
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toEqual({ done: true });
    expect((await incidents.get(incident.id))!.rekey!.lastUsedAt).toBe('unknown');
  });

  it('schedules the deletion only if verification still holds when the approval comes', async () => {
    const { step, clock, key, incidents, incident, deps } = await setup([]);
    await step();
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    await step();
    await incidents.recordRekey(
      incident.id,
      { deletionRequestedAt: '2026-11-28T14:00:00.000Z' },
      '2026-11-28T14:00:00.000Z',
      'asked',
    );
    await incidents.recordDecision(incident.id, {
      action: 'approve-deletion',
      by: 'carol',
      channel: 'cli',
      at: '2026-11-28T20:00:00.000Z',
    });
    const input = { run: run(incident.id), snapshot, replacement: { keyArn: 'arn:new' } };

    // Days later someone enabled the key again: it is disabled, the settle period starts over, nothing is scheduled.
    key.state = 'Enabled';
    clock.now = new Date('2026-12-01T09:00:00.000Z');
    await expect(scheduleDeletion.run(input, deps)).rejects.toMatchObject({ name: 'VerificationNoLongerHolds' });
    expect(key).toMatchObject({ state: 'Disabled', scheduled: 0 });

    clock.now = new Date('2026-12-01T10:00:00.000Z');
    expect(await scheduleDeletion.run(input, deps)).toEqual({ deletionDate: '2026-12-28T00:00:00.000Z' });
    expect(await scheduleDeletion.run(input, deps)).toEqual({ deletionDate: '2026-12-28T00:00:00.000Z' });
    expect(key.scheduled).toBe(1);
    expect((await incidents.get(incident.id))!.status).toBe('deletion-scheduled');
  });

  it('inventories at most once per settle period; between, what is left is read from the records', async () => {
    const left: ProtectedResource[] = [{ service: 'ssm', kind: 'parameter', id: '/app/token', region: 'us-west-2' }];
    const { step, deps, incidents, incident, clock, key } = await setup(left);
    let inventories = 0;
    const listing = deps.services[0]!.inventory;
    deps.services[0]!.inventory = async (...args) => ((inventories += 1), listing(...args));
    expect(await step()).toMatchObject({ done: false, remaining: 1 });
    expect(inventories).toBe(1);
    // A person acknowledges it ten minutes later; the acknowledgement resumes the run, which looks again at once.
    clock.now = new Date('2026-11-28T13:10:00.000Z');
    await acknowledged(incidents, incident.id, clock.now.toISOString());
    // Nothing is left by the records: the key is disabled now, without an inventory; it cannot pass on records.
    expect(await step()).toEqual({
      done: false,
      remaining: 0,
      firstLeft: [],
      at: '2026-11-28T13:10:00.000Z',
      waitSeconds: 3600,
      settlingUntil: '2026-11-28T14:10:00.000Z',
    });
    expect(inventories).toBe(1);
    expect(key.state).toBe('Disabled');
    // An hour after the first inventory another is due; the key settles ten minutes after that; then it passes.
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toMatchObject({ done: false, remaining: 0, settlingUntil: '2026-11-28T15:00:00.000Z' });
    expect(inventories).toBe(2);
    clock.now = new Date('2026-11-28T14:10:00.000Z');
    expect((await step()).done).toBe(false);
    expect(inventories).toBe(2);
    clock.now = new Date('2026-11-28T15:00:00.000Z');
    expect(await step()).toEqual({ done: true });
    expect(inventories).toBe(3);
  });

  it('marks what is found again on the old key for a person, and what a person moved as cut over', async () => {
    const token: ProtectedResource = { service: 'ssm', kind: 'parameter', id: '/app/token', region: 'us-west-2' };
    const left = [token];
    const { step, incidents, incident, clock } = await setup(left);
    const key = 'ssm:us-west-2:parameter:/app/token';
    await incidents.recordResources(incident.id, [
      [
        key,
        {
          ...token,
          status: 're-encrypted',
          detail: 'moved',
          at: '2026-11-28T12:00:00.000Z',
        },
      ],
    ]);
    await step();
    expect((await incidents.get(incident.id))!.rekey!.resources[key]).toMatchObject({
      status: 'needs-human',
      detail: 'still on the old key at verification (was: moved)',
    });
    left.pop();
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    await step();
    expect((await incidents.get(incident.id))!.rekey!.resources[key]).toMatchObject({ status: 'cut-over' });
  });

  it('gives each resource left a link to acknowledge it, naming it by reference only', async () => {
    const left: ProtectedResource[] = [{ service: 'ssm', kind: 'parameter', id: '/app/token', region: 'us-west-2' }];
    const { step, sent, deps, incident } = await setup(left);
    const secret = Buffer.from('k'.repeat(64));
    deps.links = {
      baseUrl: 'https://approvals.example/approvals/',
      secret: { bytes: async () => secret },
      ttlSeconds: 3600,
    };
    await step();
    const [, url] = /acknowledge it: (\S+)/.exec(sent[0]!.text) ?? [];
    expect(url).toMatch(/^https:\/\/approvals\.example\/approvals\//);
    const token = url!.slice('https://approvals.example/approvals/'.length);
    expect(Buffer.from(token.split('.')[0]!, 'base64url').toString()).not.toContain('/app/token');
    const claims = verifyToken(token, secret, { now: deps.now() });
    expect(claims).toMatchObject({
      ok: true,
      claims: {
        incidentId: incident.id,
        action: 'acknowledge',
        subject: acknowledgementRef('ssm:us-west-2:parameter:/app/token'),
      },
    });
  });

  it('schedules the deletion approved minutes after verification, inventorying again rather than waiting', async () => {
    const { step, clock, key, incidents, incident, deps } = await setup([]);
    await step();
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toEqual({ done: true });
    await incidents.recordRekey(
      incident.id,
      { deletionRequestedAt: clock.now.toISOString() },
      clock.now.toISOString(),
      'asked',
    );
    await incidents.recordDecision(incident.id, {
      action: 'approve-deletion',
      by: 'carol',
      channel: 'cli',
      at: '2026-11-28T14:05:00.000Z',
    });
    clock.now = new Date('2026-11-28T14:05:00.000Z');
    const input = { run: run(incident.id), snapshot, replacement: { keyArn: 'arn:new' } };
    expect(await scheduleDeletion.run(input, deps)).toEqual({ deletionDate: '2026-12-28T00:00:00.000Z' });
    expect(key.scheduled).toBe(1);
  });

  it('never takes a service it could not list for cut over: what waited for a person still waits', async () => {
    const token: ProtectedResource = { service: 'ssm', kind: 'parameter', id: '/app/token', region: 'us-west-2' };
    const { step, deps, incidents, incident, clock } = await setup([token]);
    await step();
    // The next inventory of the service is refused (a deny, a throttle an attacker causes): a gap, not "gone".
    deps.services[0]!.inventory = async () => {
      throw Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    };
    clock.now = new Date('2026-11-28T14:00:00.000Z');
    expect(await step()).toMatchObject({ done: false, remaining: 2 });
    const recorded = (await incidents.get(incident.id))!.rekey!;
    expect(recorded.resources['ssm:us-west-2:parameter:/app/token']!.status).toBe('needs-human');
    expect(recorded.inventoryGaps).toEqual({ ssm: 'AccessDeniedException: denied' });
  });
});
