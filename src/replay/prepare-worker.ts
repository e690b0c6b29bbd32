import { parentPort, workerData } from 'node:worker_threads';
import { prepareText, whereOf, type PrepareOptions, type Prepared } from './prepare';

/** A replay worker: parses and prepares batches of lines (or whole documents) sent by the reader. */
export interface PrepareJob {
  seq: number;
  where: string;
  firstLine: number;
  texts: string[];
  /** One JSON document, not lines. */
  document?: boolean;
}

const options = workerData as PrepareOptions;

parentPort?.on('message', (job: PrepareJob) => {
  const prepared: Prepared[] = [];
  job.texts.forEach((text, index) => {
    for (const item of prepareText(text, whereOf(job, index), options)) prepared.push(item);
  });
  parentPort!.postMessage({ seq: job.seq, prepared });
});
