import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { localSources } from '../../src/replay/sources';

/**
 * One measurement in a process of its own (so peak memory is that run's alone); prints a JSON result.
 * `baseline DIR`: gunzip + JSON.parse of every file, in one thread, the floor any reader pays.
 * `replay DIR WORKERS`: the built CLI's `kms-warden replay --json --workers WORKERS DIR`, as a user runs it (its
 * worker threads load the built worker too), its output read back.
 */
const [mode, dir, workers] = process.argv.slice(2);

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { current, build } = require('../../src/cli/build.cjs') as {
  current: () => string;
  build: () => Promise<{ outdir: string }>;
};

const run = async () => {
  // Built before the clock starts, as `npm start` and the installed CLI would have it.
  const outdir = existsSync(join(current(), 'main.js')) ? current() : (await build()).outdir;
  const started = process.hrtime.bigint();
  let result: { records: number; signals?: string[]; malformed?: number; late?: number };
  if (mode === 'baseline') {
    let records = 0;
    for (const source of await localSources([dir!])) {
      if (source.kind !== 'file') continue;
      const document = JSON.parse(gunzipSync(readFileSync(source.path)).toString('utf8')) as { Records: unknown[] };
      records += document.Records.length;
    }
    result = { records };
  } else {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { main } = require(join(outdir, 'main.js')) as typeof import('../../src/cli/main');
    const signals: string[] = [];
    const errors: string[] = [];
    const code = await main(['replay', '--json', '--workers', workers!, dir!], {
      out: (line) => {
        const signal = JSON.parse(line) as { kind?: string; detector: string; principalArn: string };
        // Story lines follow the signals they group: the bench compares signals.
        if (signal.kind !== 'story') signals.push(`${signal.detector} ${signal.principalArn}`);
      },
      err: (line) => errors.push(line),
    });
    const summary = /replayed (\d+) events .* (\d+) malformed, (\d+) out of order$/.exec(errors.at(-1) ?? '');
    if (code !== 0 || !summary) throw new Error(`replay failed (${code}): ${errors.join('\n')}`);
    result = { records: Number(summary[1]), signals, malformed: Number(summary[2]), late: Number(summary[3]) };
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ ...result, seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
};

void run();
