/**
 * npm run bench:replay: replay throughput and memory on a generated CloudTrail archive (at least 200 MB
 * uncompressed), against plain gunzip + JSON.parse of the same files. Each measurement runs in a child process
 * of its own, so peak memory is that run's alone. Not a timed test: it reports, and exits 1 if a target is missed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive } from './cloudtrail-archive';

/** `--short` (CI): two small files, no target checked, so the bench runs on every change and cannot rot. */
const short = process.argv.includes('--short');
const files = short ? 2 : Number(process.env.BENCH_FILES ?? 4);
const recordsPerFile = short ? 2_000 : Number(process.env.BENCH_RECORDS_PER_FILE ?? 52_000);

const measure = (mode: 'replay' | 'baseline', paths: string[]) =>
  JSON.parse(
    // Loaded the way the CLI loads itself (src/cli/kms-warden.cjs: require('tsx/cjs')), not through tsx's ESM loader,
    // whose hooks thread adds about 25 MB the CLI never has.
    execFileSync(process.execPath, ['--require', 'tsx/cjs', join(__dirname, 'replay-worker.ts'), mode, ...paths], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    }),
  ) as {
    records: number;
    seconds: number;
    maxRssBytes: number;
    startRssBytes: number;
    signals?: number;
    malformed?: number;
    workers?: number;
  };

const main = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-warden-bench-'));
  try {
    const archive = await writeArchive(dir, files, recordsPerFile);
    const largestFile = archive.bytes / files;
    console.log(
      `archive: ${files} NDJSON.gz files, ${archive.records} records, ${(archive.bytes / 1e6).toFixed(1)} MB uncompressed (largest ${(largestFile / 1e6).toFixed(1)} MB)`,
    );
    const baseline = measure('baseline', archive.paths);
    const replay = measure('replay', archive.paths);
    const rate = (m: { records: number; seconds: number }) => m.records / m.seconds;
    const report = {
      archiveMB: Number((archive.bytes / 1e6).toFixed(1)),
      records: archive.records,
      baselineRecordsPerSecond: Math.round(rate(baseline)),
      replayRecordsPerSecond: Math.round(rate(replay)),
      ratioToBaseline: Number((rate(replay) / rate(baseline)).toFixed(2)),
      replayPeakRssMB: Number((replay.maxRssBytes / 1e6).toFixed(1)),
      replayRssGrowthMB: Number(((replay.maxRssBytes - replay.startRssBytes) / 1e6).toFixed(1)),
      largestFileMB: Number((largestFile / 1e6).toFixed(1)),
      peakRssToLargestFile: Number((replay.maxRssBytes / largestFile).toFixed(2)),
      signals: replay.signals,
      malformed: replay.malformed,
      workers: replay.workers,
      node: process.version,
    };
    console.log(JSON.stringify(report, null, 2));
    if (short) return;
    const missed = [
      archive.bytes < 200e6 && 'archive under 200 MB',
      report.replayRecordsPerSecond < 100_000 && 'under 100,000 records/s',
      report.ratioToBaseline < 0.6 && 'under 0.6 of gunzip + JSON.parse',
      report.peakRssToLargestFile >= 3 && 'peak memory not under 3x the largest file',
    ].filter(Boolean);
    if (missed.length > 0) {
      console.error(`missed: ${missed.join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

void main();
