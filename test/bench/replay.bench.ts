/**
 * npm run bench:replay: kms-warden replay on a generated archive in CloudTrail's own layout (test/bench/
 * cloudtrail-archive.ts: gzipped {"Records":[...]} files of about 2,000 records, an organization's accounts and
 * Regions, 60 roles on 200 keys from hundreds of addresses, Zipf-skewed callers, other services' events, an attack).
 *
 * It reports records a second and the ratio to plain gunzip + JSON.parse of the same files (runs in pairs, one after
 * the other, the ratio taken pair by pair and the median quoted), the same records in four large files, and peak
 * memory for the archive and for one twice its size. Each run is a child process of its own, so peak memory is that
 * run's alone. Every run must find the planted attack. Not a timed test: it reports, and exits 1 when a goal is
 * missed.
 *
 * Goals (issue 16): a ratio of at least 0.5 on a 2-core machine; many small files at least as fast as a few large
 * ones; peak memory under 512 MB whatever the archive's size.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive, type Archive } from './cloudtrail-archive';

/** `--short` (CI): a small archive, one pair, no goal checked but finding the attack, so the bench cannot rot. */
const short = process.argv.includes('--short');
const files = short ? 8 : Number(process.env.BENCH_FILES ?? 100);
const recordsPerFile = short ? 500 : Number(process.env.BENCH_RECORDS_PER_FILE ?? 2_000);
const pairs = short ? 1 : Number(process.env.BENCH_PAIRS ?? 5);
/** As the CLI chooses by default (src/cli/replay-command.ts). */
const workers = Number(process.env.BENCH_WORKERS ?? (availableParallelism() > 1 ? availableParallelism() : 0));

interface Run {
  records: number;
  seconds: number;
  maxRssBytes: number;
  signals?: string[];
  late?: number;
  malformed?: number;
}

const measure = (mode: 'replay' | 'baseline', dir: string, threads = workers): Run =>
  JSON.parse(
    // Loaded the way the CLI loads itself (require('tsx/cjs')), not through tsx's ESM loader and its hooks thread.
    execFileSync(
      process.execPath,
      ['--require', 'tsx/cjs', join(__dirname, 'replay-worker.ts'), mode, dir, String(threads)],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    ),
  ) as Run;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const rate = (run: Run) => run.records / run.seconds;
const mb = (bytes: number) => Number((bytes / 1e6).toFixed(1));

const main = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-warden-bench-replay-'));
  const misses: string[] = [];
  try {
    const archive = writeArchive(join(dir, 'small'), { files, recordsPerFile });
    const large = writeArchive(join(dir, 'large'), { files, recordsPerFile, largeFiles: 4 });
    console.log(
      `archive: ${archive.paths.length} gzipped CloudTrail files, ${archive.records} records, ` +
        `${mb(archive.bytes)} MB of JSON (${mb(archive.compressedBytes)} MB gzipped), ` +
        `${archive.distinctAddresses} addresses; the same records in ${large.paths.length} large files`,
    );
    const foundAttack = (run: Run, what: string, source: Archive) => {
      const found = new Set(run.signals ?? []);
      for (const detector of ['key-enumeration', 'access-denied-burst'])
        if (!found.has(`${detector} ${source.attacker}`)) misses.push(`${what}: the planted ${detector} not found`);
    };

    const ratios: number[] = [];
    const replays: Run[] = [];
    const baselines: Run[] = [];
    for (let i = 0; i < pairs; i += 1) {
      const baseline = measure('baseline', archive.root);
      const replay = measure('replay', archive.root);
      baselines.push(baseline);
      replays.push(replay);
      ratios.push(rate(replay) / rate(baseline));
      foundAttack(replay, 'replay', archive);
    }
    const inProcess = measure('replay', archive.root, 0);
    foundAttack(inProcess, 'replay in one thread', archive);
    const largeRuns = Array.from({ length: Math.max(1, Math.ceil(pairs / 2)) }, () => measure('replay', large.root));
    for (const run of largeRuns) foundAttack(run, 'replay of large files', large);

    let doubled: Run | undefined;
    if (!short) {
      const twice = writeArchive(join(dir, 'twice'), { files: files * 2, recordsPerFile });
      doubled = measure('replay', twice.root);
      rmSync(join(dir, 'twice'), { recursive: true, force: true });
    }

    const report = {
      records: archive.records,
      files: archive.paths.length,
      workers,
      cpus: availableParallelism(),
      baselineRecordsPerSecond: Math.round(median(baselines.map(rate))),
      replayRecordsPerSecond: Math.round(median(replays.map(rate))),
      ratioToBaseline: Number(median(ratios).toFixed(2)),
      ratios: ratios.map((r) => Number(r.toFixed(2))),
      oneThreadRecordsPerSecond: Math.round(rate(inProcess)),
      largeFilesRecordsPerSecond: Math.round(median(largeRuns.map(rate))),
      smallToLargeFiles: Number((median(replays.map(rate)) / median(largeRuns.map(rate))).toFixed(2)),
      peakRssMB: mb(Math.max(...replays.map((r) => r.maxRssBytes))),
      largeFilesPeakRssMB: mb(Math.max(...largeRuns.map((r) => r.maxRssBytes))),
      ...(doubled ? { twiceTheRecords: doubled.records, twiceTheRecordsPeakRssMB: mb(doubled.maxRssBytes) } : {}),
      outOfOrder: replays[0]!.late,
      malformed: replays[0]!.malformed,
      signals: replays[0]!.signals?.length,
      node: process.version,
    };
    console.log(JSON.stringify(report, null, 2));
    if (!short) {
      if (report.ratioToBaseline < 0.5) misses.push(`ratio ${report.ratioToBaseline} under 0.5`);
      if (report.smallToLargeFiles < 1) misses.push(`small files slower than large ones (${report.smallToLargeFiles})`);
      const peak = Math.max(report.peakRssMB, report.largeFilesPeakRssMB, report.twiceTheRecordsPeakRssMB ?? 0);
      if (peak >= 512) misses.push(`peak memory ${peak} MB, not under 512 MB`);
    }
    if (misses.length > 0) {
      console.error(`missed: ${misses.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

main();
