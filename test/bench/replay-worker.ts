import { createReadStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createGunzip } from 'node:zlib';
import { defaultDetectionSettings } from '../../src/detections';
import { preparedInParallel, preparedInProcess } from '../../src/replay/prepared-batches';
import { replay } from '../../src/replay/replay';

/** One measurement in a process of its own; prints a JSON result. */
const [mode, ...paths] = process.argv.slice(2);
const startRssBytes = process.memoryUsage.rss();

/** Plain gunzip + JSON.parse of every line, in one thread: the floor any reader pays. */
const baseline = async () => {
  let records = 0;
  for (const path of paths) {
    let rest = '';
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }).pipe(
      createGunzip({ chunkSize: 1 << 20 }),
    ) as AsyncIterable<Buffer>) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line) {
          JSON.parse(line);
          records += 1;
        }
      }
    }
  }
  return { records };
};

const run = async () => {
  const started = process.hrtime.bigint();
  let result: { records: number; signals?: number; malformed?: number; workers?: number };
  if (mode === 'baseline') {
    result = await baseline();
  } else {
    const workers = Number(process.env.BENCH_WORKERS ?? (availableParallelism() > 2 ? availableParallelism() - 1 : 0));
    const options = { responderRoles: [], settings: defaultDetectionSettings };
    let signals = 0;
    const batches = workers === 0 ? preparedInProcess(paths, options) : preparedInParallel(paths, options, workers);
    const stats = await replay(batches, defaultDetectionSettings, () => (signals += 1));
    result = { records: stats.events, signals, malformed: stats.malformed, workers };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    JSON.stringify({ ...result, seconds, startRssBytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 }),
  );
};

void run();
