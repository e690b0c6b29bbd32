import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { prepareValue, type PrepareOptions, type Prepared } from './prepare';
import { unproject, type Projection } from './projection';
import { describePosition, valuesOf } from './read-source';
import { bytesOf, nameOf, type ArchiveFactory, type ReplaySource, type TimeWindow } from './sources';
import type { FromWorker, ToWorker } from './prepare-worker';

export interface ReadOptions extends PrepareOptions {
  window?: TimeWindow;
}

/**
 * One source's events, prepared, in batches. A source that cannot be read to its end (a truncated gzip, an object
 * gone or refused) ends with one malformed entry that says so: the events read before are kept, and the replay goes
 * on with the next source.
 */
export async function* preparedOf(
  source: ReplaySource,
  options: ReadOptions,
  archive: ArchiveFactory,
): AsyncGenerator<Prepared[]> {
  const where = nameOf(source);
  try {
    for await (const values of valuesOf(bytesOf(source, archive))) {
      const prepared: Prepared[] = [];
      for (const value of values) {
        const item = prepareValue(value, options);
        if (item === undefined) continue;
        if (!item.ok) item.where = describePosition(where, value);
        prepared.push(item);
      }
      yield prepared;
    }
  } catch (error) {
    const { name, message } = error as Error;
    // GetObject refuses an object in S3 Glacier Flexible Retrieval or Deep Archive until it is restored.
    const hint = name === 'InvalidObjectState' ? ' (archived: restore it first, then replay again)' : '';
    yield [{ ok: false, where, problem: `could not be read to its end: ${message}${hint}`, unreadable: true }];
  }
}

/** Prepares every source's events in this thread: for one core, small inputs and tests. */
export async function* preparedInProcess(
  sources: readonly ReplaySource[],
  options: ReadOptions,
  { archive, onSourceDone }: { archive: ArchiveFactory; onSourceDone?: () => void },
): AsyncGenerator<Prepared[]> {
  for (const source of sources) {
    yield* preparedOf(source, options, archive);
    onSourceDone?.();
  }
}

/**
 * Worker threads run what this file was loaded from: the built CLI's prepare-worker.js beside it (src/cli/build.cjs),
 * or the TypeScript sources through tsx (tests, benchmarks).
 */
const workerSource = __filename.endsWith('.js')
  ? `require(${JSON.stringify(join(__dirname, 'prepare-worker.js'))});`
  : `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'prepare-worker.ts'))});`;

/** Sources handed to a worker ahead of the one being read, so it never waits for work. */
const sourcesAhead = 2;

/**
 * Reads, parses, validates and runs the stateless detectors on worker threads, a source at a time each, and yields
 * the batches in source order. Only a compact projection of each event crosses back (src/replay/projection.ts).
 *
 * Memory stays bounded: each worker holds at most `sourcesAhead` sources, and stops after a few batches the main
 * thread has not taken yet (it acknowledges each one it takes).
 */
export async function* preparedInParallel(
  sources: readonly ReplaySource[],
  options: ReadOptions,
  {
    workers: workerCount,
    onSourceDone,
  }: {
    /** How many: the CLI decides (src/cli/replay-command.ts, one per CPU, measured by npm run bench:replay). */
    workers: number;
    onSourceDone?: () => void;
  },
): AsyncGenerator<Prepared[]> {
  type Slot = { worker: Worker; assigned: number };
  type Result = { batches: Projection[]; ended: boolean; slot: Slot };
  const results = new Map<number, Result>();
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  const notify = () => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  const slots: Slot[] = Array.from({ length: Math.max(1, workerCount) }, () => {
    // The environment as this thread sees it now (credentials, endpoint), not as the process started.
    const worker = new Worker(workerSource, { eval: true, workerData: options, env: process.env });
    const slot: Slot = { worker, assigned: 0 };
    worker.on('message', (message: FromWorker) => {
      const result = results.get(message.seq)!;
      if (message.type === 'batch') result.batches.push(message.projection);
      else result.ended = true;
      notify();
    });
    worker.on('error', (error) => {
      failure = error;
      notify();
    });
    return slot;
  });
  const post = (slot: Slot, message: ToWorker) => slot.worker.postMessage(message);

  let dispatched = 0;
  const dispatch = () => {
    while (dispatched < sources.length) {
      const slot = slots.reduce((a, b) => (b.assigned < a.assigned ? b : a));
      if (slot.assigned >= sourcesAhead) return;
      slot.assigned += 1;
      results.set(dispatched, { batches: [], ended: false, slot });
      post(slot, { type: 'source', seq: dispatched, source: sources[dispatched]! });
      dispatched += 1;
    }
  };

  try {
    dispatch();
    for (let seq = 0; seq < sources.length; seq += 1) {
      for (;;) {
        if (failure) throw failure;
        const result = results.get(seq)!;
        const batch = result.batches.shift();
        if (batch) {
          post(result.slot, { type: 'ack' });
          yield unproject(batch);
          continue;
        }
        if (result.ended) {
          results.delete(seq);
          result.slot.assigned -= 1;
          onSourceDone?.();
          dispatch();
          break;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    }
  } finally {
    await Promise.all(slots.map(({ worker }) => worker.terminate()));
  }
}
