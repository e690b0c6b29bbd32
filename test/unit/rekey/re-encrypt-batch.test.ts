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

const setup = async (resources: ProtectedResource[], clockStep = 0) => {
  const incidents = new InMemoryIncidentStore();
  const incident = await rekeyingIncident(incidents, keyArn, record('ScheduleKeyDeletion.assumed-role'));
  for (const r of resources)
    await incidents.recordResource(incident.id, resourceKeyOf(r), {
      ...r,
      status: 'pending',
      detail: 'found',
      ...(r.detail ? { resourceDetail: r.detail } : {}),
      at: '2026-11-28T12:00:00.000Z',
    });
  const order: string[] = [];
  const service: ServiceReEncrypter = {
    service: 's3',
    iamActions: [],
    inventory: async () => [],
    reEncrypt: async (resource) => {
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
  } satisfies RekeyDeps;
  const step = () =>
    reEncryptBatch.run(
      {
        run: { incidentId: incident.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' },
        snapshot,
        replacement: { keyArn: 'arn:new' },
      },
      deps,
    );
  return { step, order };
};

const buckets = (n: number): ProtectedResource[] =>
  Array.from({ length: n }, (_, i) => ({ service: 's3', kind: 'bucket', id: `b${i}`, region: 'us-west-2' }));

describe('re-encrypting in batches', () => {
  it('takes at most 40 resources a call and says how many are left, until none is', async () => {
    const { step, order } = await setup(buckets(45));
    expect(await step()).toEqual({ moved: 40, pending: 5 });
    expect(await step()).toEqual({ moved: 5, pending: 0 });
    expect(await step()).toEqual({ moved: 0, pending: 0 });
    expect(new Set(order).size).toBe(45);
  });

  it('moves bucket defaults before objects, with the detail the inventory found', async () => {
    const { step, order } = await setup([
      { service: 's3', kind: 'objects', id: 'b0', region: 'us-west-2', detail: { count: 3 } },
      ...buckets(1),
    ]);
    await step();
    expect(order).toEqual(['bucket:b0:{}', 'objects:b0:{"count":3}']);
  });

  it('starts no new resource after its time budget, leaving the rest for the next call', async () => {
    // Every clock reading advances a minute: the budget (8 minutes) runs out part way.
    const { step } = await setup(buckets(30), 60_000);
    const first = await step();
    expect(first.moved).toBeLessThan(30);
    expect(first.pending).toBe(30 - first.moved);
  });
});
