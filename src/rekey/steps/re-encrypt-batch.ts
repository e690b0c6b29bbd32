import type { ProtectedResource } from '../protected-resource';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';
import { tellPeople } from '../../notify/tell-people';
import { reEncrypt } from './re-encrypt';

/** Resources one invocation takes on, at most, and how many at once. */
const batchSize = 40;
const concurrency = 4;
/** No new resource is started after this long: the rest waits for the next batch, well inside Lambda's 15 minutes. */
const budgetMs = 8 * 60_000;

/**
 * Re-encrypts the next pending resources, a batch per invocation, and says how many are still pending; the workflow
 * calls it again until none is. One state per batch, not per resource, keeps an execution's history short, and the
 * list itself stays on the incident. Bucket defaults go before objects: otherwise new writes could land on the old
 * key between the two.
 */
export const reEncryptBatch: RekeyStep<
  typeof stepInputs.runSnapshotAndReplacement,
  { moved: number; pending: number }
> = {
  name: 're-encrypt-batch',
  input: stepInputs.runSnapshotAndReplacement,
  run: async ({ run, snapshot, replacement }, deps) => {
    const incident = await incidentOf(run, deps);
    const pending = Object.values(incident.rekey?.resources ?? {})
      .filter((r) => r.status === 'pending')
      .sort((a, b) => Number(a.kind === 'objects') - Number(b.kind === 'objects'));
    const started = deps.now().getTime();
    const queue = pending.slice(0, batchSize);
    let moved = 0;
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (deps.now().getTime() - started > budgetMs) return;
        const resource: ProtectedResource = {
          service: next.service as ProtectedResource['service'],
          kind: next.kind,
          id: next.id,
          region: next.region,
          ...(next.resourceDetail ? { detail: next.resourceDetail } : {}),
        };
        await reEncrypt.run({ run, snapshot, replacement, resource }, deps);
        moved += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Progress for people once a batch, not once a resource: one read of the incident, one quiet Slack edit.
    if (moved > 0) await tellPeople((await deps.incidents.get(run.incidentId))!, deps, { quiet: true });
    return { moved, pending: pending.length - moved };
  },
};
