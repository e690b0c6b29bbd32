import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UnreadableFileError } from '../errors';
import { describePosition, valuesOf } from './read-source';

/** Where replay reads: a local file, or an object in a CloudTrail bucket. */
export type ReplaySource =
  | { kind: 'file'; path: string; deliveredAt?: number | undefined }
  | { kind: 's3'; bucket: string; key: string; deliveredAt?: number | undefined };

/** Records kept: eventTime at or after `since` and before `until` (epoch ms), each when given. */
export interface TimeWindow {
  since?: number | undefined;
  until?: number | undefined;
}

/**
 * How long after a call its log file may be delivered. CloudTrail delivers within about 5 minutes on average, with no
 * guarantee, and "a log file delivered at a specific time can contain records written at any point before that time"
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html): files delivered up
 * to this long after `until` are read, and their records filtered by time.
 */
export const deliveryAllowanceMs = 60 * 60_000;

const deliveryStamp = /_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/;

/** When CloudTrail delivered a file, from the name it gave it (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE). */
export const deliveredAt = (name: string): number | undefined => {
  const match = deliveryStamp.exec(basename(name));
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute);
};

/**
 * Whether a file may hold records of the window: delivered after `since` (its name gives the minute, so within the
 * minute after it), and not long after `until`.
 */
export const within = (file: { deliveredAt?: number | undefined }, window: TimeWindow): boolean =>
  file.deliveredAt === undefined ||
  ((window.since === undefined || file.deliveredAt + 60_000 > window.since) &&
    (window.until === undefined || file.deliveredAt <= window.until + deliveryAllowanceMs));

export const nameOf = (source: ReplaySource): string =>
  source.kind === 'file' ? source.path : `s3://${source.bucket}/${source.key}`;

/** `s3://BUCKET/PREFIX`, or undefined for a local path. */
export const s3Location = (argument: string): { bucket: string; prefix: string } | undefined => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(argument);
  return match ? { bucket: match[1]!, prefix: match[2]! } : undefined;
};

const logFileName = /\.(json|ndjson|jsonl)(\.gz)?$|\.gz$/;

/**
 * The files named, with directories walked for log files (*.json.gz, *.json, *.ndjson, *.gz). Files named
 * explicitly are read whatever their name. Sorted by delivery time when every file has CloudTrail's name, so an
 * organization's accounts and Regions interleave as they happened; otherwise in the order given.
 */
export const localSources = async (paths: string[], window: TimeWindow = {}): Promise<ReplaySource[]> => {
  const files: ReplaySource[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && logFileName.test(entry.name))
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
  const kept = files.filter((file) => within(file, window));
  return kept.every((file) => file.deliveredAt !== undefined)
    ? kept.sort((a, b) => a.deliveredAt! - b.deliveredAt!)
    : kept;
};

/** Reads S3 objects: made when the first one is read. */
export type ArchiveFactory = () => Promise<{ bytes(bucket: string, key: string): AsyncIterable<Buffer> }>;

/** Reads a source's bytes as they arrive; S3 objects through the archive given. */
export const bytesOf = (source: ReplaySource, archive: ArchiveFactory): AsyncIterable<Buffer> =>
  source.kind === 'file'
    ? // Large chunks: with the default 64 KB ones, reading costs more than parsing.
      (createReadStream(source.path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>)
    : (async function* () {
        yield* (await archive()).bytes(source.bucket, source.key);
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
