import { kindOfError, remedyFor } from '../../actions/error-kinds';
import { plainLine } from '../../notify/escape';
import type { ProtectedResource } from '../protected-resource';
import { resourceKeyOf, type RekeyStep, stepInputs } from '../step';
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
  { moved: number; failed: number; pending: number }
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
    let failed = 0;
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
        try {
          await reEncrypt.run({ run, snapshot, replacement, resource }, deps);
          moved += 1;
        } catch (error) {
          // A refusal that stays (permissions, a bucket policy, Object Lock, a resource another service manages) is
          // this resource's alone: recorded on its item for a person, and the run goes on. Anything a retry may fix
          // (throttling, 5xx) fails the batch, which the state machine retries; what was moved stays moved.
          if (kindOfError(error) !== 'permanent') throw error;
          const key = resourceKeyOf(resource);
          const reason = plainLine(`${(error as Error).name}: ${(error as Error).message}`, 500);
          await deps.incidents.recordResource(run.incidentId, key, {
            service: resource.service,
            kind: resource.kind,
            id: resource.id,
            region: resource.region,
            status: 'needs-human',
            detail: `could not be moved: ${reason}`,
            instructions: [
              plainLine(remedyFor(error as Error), 500),
              `Move it to ${replacement.keyArn} yourself once the cause is fixed (verification finds it moved), or acknowledge that it stays on the old key: npx kms-warden rekey ack ${run.incidentId} ${key} --why "..." --yes`,
            ],
            ...(resource.detail ? { resourceDetail: resource.detail } : {}),
            at: deps.now().toISOString(),
          });
          deps.logger.warn('a resource could not be moved; the run goes on', { key, error: error as Error });
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Progress for people once a batch, not once a resource: one read of the incident, one quiet Slack edit.
    if (moved + failed > 0) await tellPeople((await deps.incidents.get(run.incidentId))!, deps, { quiet: true });
    return { moved, failed, pending: pending.length - moved - failed };
  },
};
