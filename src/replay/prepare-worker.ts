import { parentPort, workerData } from 'node:worker_threads';
import { preparedOf, type ReadOptions } from './prepared-batches';
import { project, type Projection } from './projection';
import { archivesByRegion, type ReplaySource } from './sources';

/** A replay worker thread: reads sources it is handed, one at a time, and sends back their prepared events. */
export type ToWorker = { type: 'source'; seq: number; source: ReplaySource } | { type: 'ack' };
export type FromWorker = { type: 'batch'; seq: number; projection: Projection } | { type: 'end'; seq: number };

/** Batches sent and not yet taken by the main thread, past which the worker waits. */
const maxUnacknowledged = 4;

const options = workerData as ReadOptions;
const port = parentPort!;
const queue: Array<{ seq: number; source: ReplaySource }> = [];
let unacknowledged = 0;
let resume: (() => void) | undefined;
let running = false;
// Made when the first object in a bucket is read, one per Region: local files never load the S3 client. A require, not
// an import(): tsx runs this thread's TypeScript as CommonJS, where import() of a path without its extension does not
// resolve.
const archiveFactory = archivesByRegion((bucketRegion) =>
  Promise.resolve().then(() =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('../composition/replay') as typeof import('../composition/replay')).cloudTrailArchive(bucketRegion),
  ),
);

const run = async () => {
  running = true;
  for (let job = queue.shift(); job; job = queue.shift()) {
    for await (const prepared of preparedOf(job.source, options, archiveFactory)) {
      const { projection, transfer } = project(prepared);
      port.postMessage({ type: 'batch', seq: job.seq, projection } satisfies FromWorker, transfer);
      unacknowledged += 1;
      while (unacknowledged >= maxUnacknowledged) await new Promise<void>((r) => (resume = r));
    }
    port.postMessage({ type: 'end', seq: job.seq } satisfies FromWorker);
  }
  running = false;
};

port.on('message', (message: ToWorker) => {
  if (message.type === 'ack') {
    unacknowledged -= 1;
    const next = resume;
    resume = undefined;
    next?.();
    return;
  }
  queue.push(message);
  if (!running) void run();
});
