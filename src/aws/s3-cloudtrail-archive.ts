import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { deliveredAt, deliveryAllowanceMs, within, type TimeWindow } from '../events/cloudtrail-files';

/** One CloudTrail log file in a bucket. */
export interface ArchivedFile {
  key: string;
  size: number;
  /** When CloudTrail delivered it, from its name; undefined for a file not named as CloudTrail names them. */
  deliveredAt: number | undefined;
}

const region = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const account = /^\d{12}$/;
const organization = /^o-[a-z0-9]{10,32}$/;
const datePart = /^\d{2,4}$/;
const logFile = /\.json(\.gz)?$/;
/** Folders above AWSLogs (a trail's own prefix) walked before giving up: a bucket is not searched whole. */
const maxPrefixDepth = 3;
/** Listings in flight at once. */
const listConcurrency = 8;

const lastSegment = (prefix: string) => prefix.replace(/\/$/, '').split('/').at(-1) ?? '';

/** The days from `since` to `until`, as YYYY/MM/DD. */
const daysOf = (window: { since: number; until: number }): string[] => {
  const days: string[] = [];
  for (let day = Math.floor(window.since / 86_400_000); day <= Math.floor(window.until / 86_400_000); day += 1)
    days.push(new Date(day * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '/'));
  return days;
};

/**
 * A CloudTrail bucket, read where CloudTrail writes: PREFIX/AWSLogs/[O-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
 * ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz (AWS CloudTrail User Guide, "Finding your CloudTrail log
 * files" and "CloudTrail log file name format":
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html). An organization
 * trail adds the organization's id above the accounts.
 *
 * The walk descends one level at a time (ListObjectsV2 with a delimiter), through organizations, accounts and
 * Regions, into `CloudTrail/` only (not digests or Insights), and with a time window lists only the days in it. It
 * needs s3:ListBucket on the bucket and s3:GetObject on its objects (and kms:Decrypt when the trail encrypts its
 * files with a KMS key).
 */
export class S3CloudTrailArchive {
  constructor(private readonly s3: S3Client) {}

  /** Every log file under `prefix` delivered within the window, in delivery order (then by key). */
  async files(bucket: string, prefix: string, window: TimeWindow = {}): Promise<ArchivedFile[]> {
    const found: ArchivedFile[] = [];
    const start = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    let level: string[] = [start];
    let depth = 0;
    while (level.length > 0) {
      const next: string[] = [];
      await inBatches(level, listConcurrency, async (folder) => {
        for (const day of this.daysUnder(folder, window)) await this.listAll(bucket, day, window, found);
        if (this.isRegion(folder)) return;
        const { folders, files } = await this.listLevel(bucket, folder);
        for (const file of files) if (within(file, window)) found.push(file);
        for (const child of folders) if (this.descends(child, depth)) next.push(child);
      });
      level = next;
      depth += 1;
    }
    return found.sort((a, b) => (a.deliveredAt ?? 0) - (b.deliveredAt ?? 0) || (a.key < b.key ? -1 : 1));
  }

  /** The object's bytes as they arrive. */
  async *bytes(bucket: string, key: string): AsyncGenerator<Buffer> {
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!Body) return;
    yield* Body as Readable;
  }

  private isRegion(folder: string) {
    const parts = folder.replace(/\/$/, '').split('/');
    return region.test(parts.at(-1) ?? '') && parts.at(-2) === 'CloudTrail';
  }

  /** A Region's folder: the day folders the window covers (all of it, listed flat, without a window). */
  private daysUnder(folder: string, window: TimeWindow): string[] {
    if (!this.isRegion(folder)) return [];
    if (window.since === undefined || window.until === undefined) return [folder];
    return daysOf({ since: window.since, until: window.until + deliveryAllowanceMs }).map((day) => `${folder}${day}/`);
  }

  private descends(folder: string, depth: number): boolean {
    const segment = lastSegment(folder);
    const parts = folder.replace(/\/$/, '').split('/');
    const underLogs = parts.includes('AWSLogs');
    if (!underLogs) return segment === 'AWSLogs' || depth < maxPrefixDepth;
    if (segment === 'AWSLogs' || organization.test(segment) || account.test(segment)) return true;
    if (segment === 'CloudTrail') return true;
    if (parts.at(-2) === 'CloudTrail') return region.test(segment);
    // Pointed at a year or month folder: go on down.
    return datePart.test(segment) && parts.includes('CloudTrail');
  }

  private async listLevel(bucket: string, prefix: string) {
    const folders: string[] = [];
    const files: ArchivedFile[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token }),
      );
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix);
      for (const object of page.Contents ?? []) {
        if (object.Key && logFile.test(object.Key)) files.push(fileOf(object.Key, object.Size));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { folders, files };
  }

  private async listAll(bucket: string, prefix: string, window: TimeWindow, found: ArchivedFile[]) {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key || !logFile.test(object.Key)) continue;
        const file = fileOf(object.Key, object.Size);
        if (within(file, window)) found.push(file);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}

const fileOf = (key: string, size: number | undefined): ArchivedFile => ({
  key,
  size: size ?? 0,
  deliveredAt: deliveredAt(key),
});

/** Runs `work` on every item, `concurrency` at a time. */
const inBatches = async <T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
};
