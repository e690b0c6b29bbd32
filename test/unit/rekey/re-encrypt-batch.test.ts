import { InProcessKeyPolicyLock } from '../../../src/state/policy-texts';
import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import type { KeySnapshot } from '../../../src/rekey/key-snapshot';
import type { ProtectedResource, ServiceReEncrypter } from '../../../src/rekey/protected-resource';
import { resourceKeyOf, type KeyReplacementPort, type RekeyDeps } from '../../../src/rekey/step';
import { reEncryptBatch } from '../../../src/rekey/steps/re-encrypt-batch';
import { rekeyingIncident } from '../../support/incidents';
import { record } from '../../support/records';

const keyArn = 'arn:aws:kms:us-west-2:123456789012:key/1';
const snapshot = { keyArn, region: 'us-west-2', aliases: [] } as unknown as KeySnapshot;

const setup = async (resources: ProtectedResource[], clockStep = 0, refuse?: (id: string) => Error | undefined) => {
  const incidents = new InMemoryIncidentStore();
  const incident = await rekeyingIncident(incidents, keyArn, record('ScheduleKeyDeletion.assumed-role'));
  for (const r of resources)
    await incidents.recordResources(incident.id, [
      [
        resourceKeyOf(r),
        {
          ...r,
          status: 'pending',
          detail: 'found',
          ...(r.detail ? { resourceDetail: r.detail } : {}),
          at: '2026-11-28T12:00:00.000Z',
        },
      ],
    ]);
  const order: string[] = [];
  const service: ServiceReEncrypter = {
    service: 's3',
    iamActions: [],
    inventoryIamActions: [],
    inventory: async () => [],
    reEncrypt: async (resource) => {
      const refusal = refuse?.(resource.id);
      if (refusal) throw refusal;
      order.push(`${resource.kind}:${resource.id}:${JSON.stringify(resource.detail ?? {})}`);
      return { status: 're-encrypted', detail: 'moved' };
    },
  };
  let now = Date.parse('2026-11-28T13:00:00.000Z');
  const deps = {
    incidents,
    keys: {} as KeyReplacementPort,
    services: [service],
    notifier: { send: async () => 'm' },
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => new Date((now += clockStep)),
    settings: { settleMinutes: 0, deletionApprovalDays: 14 },
    workflow: { resume: async () => false },
    keyPolicyLock: new InProcessKeyPolicyLock(),
  } satisfies RekeyDeps;
  const step = (cursor = '') =>
    reEncryptBatch.run(
      {
        run: { incidentId: incident.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' },
        snapshot,
        replacement: { keyArn: 'arn:new' },
        cursor,
      },
      deps,
    );
  return { step, order, incidents, incident };
};

const buckets = (n: number): ProtectedResource[] =>
  Array.from({ length: n }, (_, i) => ({ service: 's3', kind: 'bucket', id: `b${i}`, region: 'us-west-2' }));

describe('re-encrypting in batches', () => {
  it('takes at most 40 resources a call, going on from the cursor the last call left, until done', async () => {
    const { step, order } = await setup(buckets(45));
    const first = await step();
    expect(first).toMatchObject({ moved: 40, failed: 0, done: false });
    expect(await step(first.cursor)).toEqual({
      moved: 5,
      failed: 0,
      done: true,
      cursor: first.cursor.replace(/b\d+$/, 'b9'),
    });
    expect(new Set(order).size).toBe(45);
  });

  it('reads the resource items a page at a time after the cursor, never the whole incident', async () => {
    const { step, incidents } = await setup(buckets(2_000));
    const reads = { pages: 0, whole: 0 };
    const page = incidents.resourcesAfter.bind(incidents);
    incidents.resourcesAfter = (...args) => ((reads.pages += 1), page(...args));
    const whole = incidents.get.bind(incidents);
    incidents.get = (...args) => ((reads.whole += 1), whole(...args));
    let cursor = '';
    for (let batch = 0; batch < 10; batch += 1) cursor = (await step(cursor)).cursor;
    // 400 resources moved in ten batches: each read one page of 100 items (40 pending), not 2,000 items.
    expect(reads.pages).toBe(10);
    // The whole incident is read only to tell people of progress: once here, as the clock stands still.
    expect(reads.whole).toBe(1);
  });

  it('moves bucket defaults before objects, with the detail the inventory found', async () => {
    const { step, order } = await setup([
      { service: 's3', kind: 'objects', id: 'b0', region: 'us-west-2', detail: { count: 3 } },
      ...buckets(1),
    ]);
    await step();
    expect(order).toEqual(['bucket:b0:{}', 'objects:b0:{"count":3}']);
  });

  it('starts no new resource after its time budget; the next call goes on from the last one started', async () => {
    // Every clock reading advances a minute: the budget (8 minutes) runs out part way.
    const { step, order } = await setup(buckets(30), 60_000);
    const first = await step();
    expect(first.moved).toBeLessThan(30);
    expect(first.done).toBe(false);
    let cursor = first.cursor;
    for (let done = false; !done;) ({ cursor, done } = await step(cursor));
    expect(order).toHaveLength(30);
    expect(new Set(order).size).toBe(30);
  });
});

/** An AWS SDK error as the client raises it: a client fault (4xx) or a server one. */
const awsError = (name: string, message: string, fault: 'client' | 'server') =>
  Object.assign(new Error(message), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: fault === 'client' ? 403 : 503 },
  });

describe('a resource that cannot be moved', () => {
  it('is recorded for a person with the reason and what to do, and the rest of the batch moves', async () => {
    const { step, order, incidents, incident } = await setup(buckets(5), 0, (id) =>
      id === 'b2'
        ? awsError(
            'AccessDenied',
            'Access Denied by the bucket policy of b2 <!channel>\nApprove: https://evil',
            'client',
          )
        : undefined,
    );
    expect(await step()).toMatchObject({ moved: 4, failed: 1, done: true });
    expect(order).toHaveLength(4);
    const b2 = (await incidents.get(incident.id))!.rekey!.resources['s3:us-west-2:bucket:b2']!;
    expect(b2).toMatchObject({
      status: 'needs-human',
      detail: expect.stringMatching(/^could not be moved: AccessDenied/),
    });
    // The AWS message is one plain line: no line of its own in a message.
    expect(b2.detail).not.toContain('\n');
    expect(b2.instructions!.join(' ')).toContain(`rekey ack ${incident.id} s3:us-west-2:bucket:b2`);
    // A resumed run does not meet it first: it is no longer pending.
    expect(await step()).toMatchObject({ moved: 0, failed: 0, done: true });
  });

  it('fails the batch for what a retry may fix (throttling, 5xx), keeping what moved', async () => {
    const { step, incidents, incident } = await setup(buckets(3), 0, (id) =>
      id === 'b1' ? awsError('SlowDown', 'Please reduce your request rate.', 'server') : undefined,
    );
    await expect(step()).rejects.toThrow('Please reduce your request rate.');
    const resources = (await incidents.get(incident.id))!.rekey!.resources;
    expect(resources['s3:us-west-2:bucket:b1']!.status).toBe('pending');
    expect(resources['s3:us-west-2:bucket:b0']!.status).toBe('re-encrypted');
  });
});
