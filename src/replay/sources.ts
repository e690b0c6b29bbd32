import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UnreadableFileError } from '../errors';
import { describePosition, valuesOf } from './read-source';
import { deliveredAt, within, type TimeWindow } from '../events/cloudtrail-files';

export { deliveredAt, deliveryAllowanceMs, within, type TimeWindow } from '../events/cloudtrail-files';

/** Where replay reads: a local file, or an object in a CloudTrail bucket. */
export type ReplaySource =
  | { kind: 'file'; path: string; deliveredAt?: number | undefined }
  | { kind: 's3'; bucket: string; key: string; region?: string | undefined; deliveredAt?: number | undefined };

export const nameOf = (source: ReplaySource): string =>
  source.kind === 'file' ? source.path : `s3://${source.bucket}/${source.key}`;

/** `s3://BUCKET/PREFIX`, or undefined for a local path. */
export const s3Location = (argument: string): { bucket: string; prefix: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(argument);
  return match ? { bucket: match[1]!, prefix: match[2]! } : undefined;
};

const logFileName = /\.(json|ndjson|jsonl)(\.gz)?$|\.gz$/;

/**
 * The files named, with directories walked for log files (*.json.gz, *.json, *.ndjson, *.gz), as the bucket walk does:
 * not into CloudTrail's digest, Insights or other side folders (CloudTrail-Digest, CloudTrail-Insight, ...). Files
 * named explicitly are read whatever their name.
 */
export const localSources = async (paths: string[], window: TimeWindow = {}): Promise<ReplaySource[]> => {
  const files: ReplaySource[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('CloudTrail-')) await walk(path);
      } else if (entry.isFile() && logFileName.test(entry.name))
        files.push({ kind: 'file', path, deliveredAt: deliveredAt(path) });
    }
  };
  for (const path of paths) {
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      throw new UnreadableFileError(path, { cause: error });
    }
    if (isDirectory) await walk(path);
    else files.push({ kind: 'file', path, deliveredAt: deliveredAt(path) });
  }
  return files.filter((file) => within(file, window));
};

/**
 * Sources in the order CloudTrail delivered them (the time in their names), wherever they come from, so an
 * organization's accounts and Regions interleave as they happened. Those without CloudTrail's name come first, in the
 * order given (a stable sort).
 */
export const inDeliveryOrder = (sources: readonly ReplaySource[]): ReplaySource[] =>
  [...sources].sort((a, b) => (a.deliveredAt ?? -Infinity) - (b.deliveredAt ?? -Infinity) || 0);

/** Reads S3 objects: made when the first one is read. */
export type ArchiveFactory = (
  bucketRegion?: string,
) => Promise<{ bytes(bucket: string, key: string): AsyncIterable<Buffer> }>;

/** An archive per bucket Region, each made when first asked for (a failed one is made again next time). */
export const archivesByRegion = (make: ArchiveFactory): ArchiveFactory => {
  const made = new Map<string, ReturnType<ArchiveFactory>>();
  return (bucketRegion) => {
    let archive = made.get(bucketRegion ?? '');
    if (!archive) {
      archive = make(bucketRegion).catch((error: unknown) => {
        made.delete(bucketRegion ?? '');
        throw error;
      });
      made.set(bucketRegion ?? '', archive);
    }
    return archive;
  };
};

/** Reads a source's bytes as they arrive; S3 objects through the archive given. */
export const bytesOf = (source: ReplaySource, archive: ArchiveFactory): AsyncIterable<Buffer> =>
  source.kind === 'file'
    ? // Large chunks: with the default 64 KB ones, reading costs more than parsing.
      (createReadStream(source.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>)
    : (async function* () {
        yield* (await archive(source.region)).bytes(source.bucket, source.key);
      })();

/** Every JSON value of a file, in order, as delivered (not normalised), each with where it came from. */
export async function* rawInputsOf(
  path: string,
): AsyncGenerator<{ ok: true; value: unknown; where: string } | { ok: false; problem: string; where: string }> {
  try {
    for await (const values of valuesOf(bytesOf({ kind: 'file', path }, () => Promise.reject(new Error('local only')))))
      for (const value of values) yield { ...value, where: describePosition(path, value) };
  } catch (error) {
    throw new UnreadableFileError(path, { cause: error });
  }
}

/** Opens a file and reads its first byte: that it can be read at all, before anything acts. */
export const checkReadable = async (path: string): Promise<void> => {
  try {
    const handle = await open(path, 'r');
    try {
      await handle.read(Buffer.alloc(1), 0, 1, 0);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UnreadableFileError(path, { cause: error });
  }
};
