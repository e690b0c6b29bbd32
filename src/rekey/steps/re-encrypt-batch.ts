import { z } from 'zod';
import { kindOfError, remedyFor } from '../../actions/error-kinds';
import type { ResourceEntry, ResourceProgress } from '../../incidents/incident';
import { plainLine } from '../../notify/escape';
import type { ProtectedResource } from '../protected-resource';
import { type RekeyStep, stepInputs } from '../step';
import { tellPeople } from '../../notify/tell-people';
import { reEncrypt } from './re-encrypt';
import { leftForAPerson } from '../left-for-a-person';

/** Resources one invocation takes on, at most, and how many at once. */
const batchSize = 40;
const concurrency = 4;
/** Resource items read a page at a time, looking for pending ones. */
const pageSize = 100;
/** No new resource is started after this long: the rest waits for the next batch, well inside Lambda's 15 minutes. */
const budgetMs = 8 * 60_000;
/** People are told of progress at most this often (a full read of the incident and a quiet Slack edit). */
const progressEveryMs = 5 * 60_000;

const batchInput = stepInputs.runSnapshotAndReplacement.extend({
  /** The last resource key an earlier batch looked at ('' for the first batch): this one goes on after it. */
  cursor: z.string().max(4096),
});

/** What a batch did, and where the next goes on: `done` once every resource item was looked at. */
export interface BatchOutcome {
  moved: number;
  failed: number;
  cursor: string;
  done: boolean;
}

/**
 * Re-encrypts the next pending resources, a batch per invocation, walking the incident's resource items in key order
 * from the cursor the last batch left (a page of items at a time, never the whole list: thousands of resources would
 * make every batch read them all). The workflow calls it again until it is done. One state per batch, not per
 * resource, keeps an execution's history short. Key order puts a bucket's default (`s3:REGION:bucket:NAME`) before
 * its objects (`s3:REGION:objects:NAME`): otherwise new writes could land on the old key between the two. A batch
 * that fails (and is retried) starts again from the same cursor; what it moved is no longer pending.
 */
export const reEncryptBatch: RekeyStep<typeof batchInput, BatchOutcome> = {
  name: 're-encrypt-batch',
  input: batchInput,
  run: async ({ run, snapshot, replacement, cursor }, deps) => {
    const head = await deps.incidents.head(run.incidentId);
    if (!head) throw new Error(`incident ${run.incidentId} does not exist`);
    if (head.keyArn !== run.keyArn)
      throw new Error(`incident ${run.incidentId} is about ${head.keyArn ?? 'no key'}, not ${run.keyArn}`);

    // The next pending resources after the cursor, and how far the walk got.
    const queue: Array<[string, ResourceProgress]> = [];
    let after = cursor;
    let exhausted = false;
    while (queue.length < batchSize && !exhausted) {
      const page = await deps.incidents.resourcesAfter(run.incidentId, after, pageSize);
      for (const [key, progress] of page.resources) {
        if (queue.length >= batchSize) break;
        after = key;
        if (progress.status === 'pending') queue.push([key, progress]);
      }
      if (queue.length < batchSize && !page.next) exhausted = true;
    }

    const started = deps.now().getTime();
    let moved = 0;
    let failed = 0;
    let taken = 0;
    // What became of each resource, recorded together when the batch ends (a transaction per 99, not a write each).
    const results: ResourceEntry[] = [];
    // A failure a retry may fix stops the other workers too: the state machine retries the batch from its cursor.
    let retryable = false;
    const worker = async () => {
      while (!retryable && taken < queue.length) {
        if (deps.now().getTime() - started > budgetMs) return;
        const [key, next] = queue[taken++]!;
        const resource: ProtectedResource = {
          service: next.service as ProtectedResource['service'],
          kind: next.kind,
          id: next.id,
          region: next.region,
          ...(next.resourceDetail ? { detail: next.resourceDetail } : {}),
        };
        try {
          results.push(await reEncrypt(resource, snapshot, replacement.keyArn, deps));
          moved += 1;
        } catch (error) {
          // A refusal that stays (permissions, a bucket policy, Object Lock, a resource another service manages) is
          // this resource's alone: recorded on its item for a person, and the run goes on. Anything a retry may fix
          // (throttling, 5xx) fails the batch, which the state machine retries; what was moved is recorded first
          // and stays moved.
          if (kindOfError(error) !== 'permanent') {
            retryable = true;
            throw error;
          }
          const reason = plainLine(`${(error as Error).name}: ${(error as Error).message}`, 500);
          results.push(
            leftForAPerson(
              resource,
              {
                detail: `could not be moved: ${reason}`,
                instructions: [
                  plainLine(remedyFor(error as Error), 500),
                  `Move it to ${replacement.keyArn} yourself once the cause is fixed (verification finds it moved), or acknowledge that it stays on the old key: npx kms-warden rekey ack ${run.incidentId} ${key} --why "..." --yes`,
                ],
              },
              deps.now().toISOString(),
            ),
          );
          deps.logger.warn('a resource could not be moved; the run goes on', { key, error: error as Error });
          failed += 1;
        }
      }
    };
    const ended = await Promise.allSettled(Array.from({ length: concurrency }, worker));
    await deps.incidents.recordResources(run.incidentId, results);
    const thrown = ended.find((e): e is PromiseRejectedResult => e.status === 'rejected');
    if (thrown) throw thrown.reason;
    // Out of time before the end of the queue: the next batch goes on from the last resource started.
    const stoppedEarly = taken < queue.length;
    const outcome: BatchOutcome = {
      moved,
      failed,
      cursor: stoppedEarly ? (taken > 0 ? queue[taken - 1]![0] : cursor) : after,
      done: exhausted && !stoppedEarly,
    };
    const told = head.rekey?.progressToldAt ? Date.parse(head.rekey.progressToldAt) : 0;
    if (moved + failed > 0 && (outcome.done || deps.now().getTime() - told >= progressEveryMs)) {
      const at = deps.now().toISOString();
      await deps.incidents.recordRekey(run.incidentId, { progressToldAt: at }, at, null);
      await tellPeople((await deps.incidents.get(run.incidentId))!, deps, { quiet: true });
    }
    return outcome;
  },
};
