import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createGunzip, gunzipSync } from 'node:zlib';
import type { PrepareOptions, Prepared } from './prepare';
import { parseText, prepareText, whereOf, type RawInput } from './prepare';
import type { PrepareJob } from './prepare-worker';
import { UnreadableFileError } from '../errors';

// Lines per batch: fewer parsed records alive at once, so fewer outlive a scavenge (in A/B runs of the bench file,
// 250 was as fast as 1,000 or up to 13% faster, with a lower peak RSS); large enough that per-batch overhead is small.
const batchSize = 250;
const chunkBytes = 1 << 20;

/** Whether a file starts with gzip's magic bytes (1f 8b), whatever its name says. */
export const isGzip = async (file: string): Promise<boolean> => {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
};

/**
 * The work of one file, cut into jobs: batches of non-empty lines for NDJSON, or the whole text for a document
 * that is not line-delimited (a CloudTrail log file, a pretty-printed event).
 */
async function* jobsOf(file: string): AsyncGenerator<Omit<PrepareJob, 'seq'>> {
  let gzip: boolean;
  try {
    gzip = await isGzip(file);
  } catch (error) {
    throw new UnreadableFileError(file, { cause: error });
  }
  // Large chunks: with the default 16 KB ones, reading costs more than parsing.
  const source = createReadStream(file, { highWaterMark: chunkBytes });
  const stream = gzip ? source.pipe(createGunzip({ chunkSize: chunkBytes })) : source;
  let rest = '';
  let lineNumber = 0;
  let texts: string[] = [];
  let firstLine = 1;
  let checkedFirst = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        lineNumber += 1;
        if (line.trim() === '') continue;
        if (!checkedFirst) {
          checkedFirst = true;
          try {
            JSON.parse(line);
          } catch {
            // Not line-delimited: one document, read whole.
            source.destroy();
            const bytes = await readFile(file);
            yield {
              where: file,
              firstLine: 1,
              texts: [(gzip ? gunzipSync(bytes) : bytes).toString('utf8')],
              document: true,
            };
            return;
          }
        }
        // A batch holds consecutive lines, so each text's line number is its batch's first plus its index.
        if (texts.length > 0 && lineNumber !== firstLine + texts.length) {
          yield { where: file, firstLine, texts };
          texts = [];
        }
        if (texts.length === 0) firstLine = lineNumber;
        texts.push(line);
        if (texts.length >= batchSize) {
          yield { where: file, firstLine, texts };
          texts = [];
        }
      }
    }
  } catch (error) {
    throw new UnreadableFileError(file, { cause: error });
  }
  if (rest.trim() !== '') {
    lineNumber += 1;
    if (texts.length > 0 && lineNumber !== firstLine + texts.length) {
      yield { where: file, firstLine, texts };
      texts = [];
    }
    if (texts.length === 0) firstLine = lineNumber;
    texts.push(rest);
  }
  if (texts.length > 0) yield { where: file, firstLine, texts };
}

/**
 * Every JSON value of a file, in order, as delivered (not normalised): for the handle command, which gives the
 * responders the records and envelopes the functions would get.
 */
export async function* rawInputsOf(file: string): AsyncGenerator<RawInput> {
  for await (const job of jobsOf(file)) {
    for (const [index, text] of job.texts.entries()) yield* parseText(text, whereOf(job, index));
  }
}

/** Prepares every file's events in this thread: for small inputs and tests. */
export async function* preparedInProcess(files: string[], options: PrepareOptions): AsyncGenerator<Prepared[]> {
  for (const file of files) {
    for await (const job of jobsOf(file)) {
      const prepared: Prepared[] = [];
      job.texts.forEach((text, index) => {
        for (const item of prepareText(text, whereOf(job, index), options)) prepared.push(item);
      });
      yield prepared;
    }
  }
}

/**
 * Worker threads run what this file was loaded from: the built CLI's prepare-worker.js beside it (src/cli/build.cjs),
 * or the TypeScript sources through tsx (tests, benchmarks).
 */
const workerSource = __filename.endsWith('.js')
  ? `require(${JSON.stringify(join(__dirname, 'prepare-worker.js'))});`
  : `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'prepare-worker.ts'))});`;

/**
 * Prepares events on worker threads (JSON.parse and validation are most of the cost), and yields the batches in
 * file and line order. At most a few batches per worker are in flight, so memory stays bounded.
 */
export async function* preparedInParallel(
  files: string[],
  options: PrepareOptions,
  workerCount = availableParallelism(),
): AsyncGenerator<Prepared[]> {
  const workers = Array.from(
    { length: Math.max(1, workerCount) },
    () => new Worker(workerSource, { eval: true, workerData: options }),
  );
  const done = new Map<number, Prepared[]>();
  const waiting = new Map<number, (value: Prepared[]) => void>();
  let failure: Error | undefined;
  for (const worker of workers) {
    worker.on('message', ({ seq, prepared }: { seq: number; prepared: Prepared[] }) => {
      const resolve = waiting.get(seq);
      if (resolve) {
        waiting.delete(seq);
        resolve(prepared);
      } else {
        done.set(seq, prepared);
      }
    });
    worker.on('error', (error) => {
      failure = error;
      for (const resolve of waiting.values()) resolve([]);
    });
  }
  const result = (seq: number) =>
    new Promise<Prepared[]>((resolve) => {
      const ready = done.get(seq);
      if (ready) {
        done.delete(seq);
        resolve(ready);
      } else {
        waiting.set(seq, resolve);
      }
    });

  const maxInFlight = workers.length * 4;
  let sent = 0;
  let next = 0;
  try {
    for (const file of files) {
      for await (const job of jobsOf(file)) {
        workers[sent % workers.length]!.postMessage({ ...job, seq: sent });
        sent += 1;
        while (sent - next >= maxInFlight) {
          const prepared = await result(next);
          if (failure) throw failure;
          next += 1;
          yield prepared;
        }
      }
    }
    while (next < sent) {
      const prepared = await result(next);
      if (failure) throw failure;
      next += 1;
      yield prepared;
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
