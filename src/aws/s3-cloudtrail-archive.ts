import {
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
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
const logFile = /\.json(\.gz)?$/;
/** Folders above AWSLogs (a trail's own prefix) walked before giving up: a bucket is not searched whole. */
const maxPrefixDepth = 3;
/** Listings in flight at once. */
const listConcurrency = 8;

const lastSegment = (prefix: string) => prefix.replace(/\/$/, '').split('/').at(-1) ?? '';

/**
 * A CloudTrail bucket, read where CloudTrail writes: PREFIX/AWSLogs/[O-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/
 * ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz (AWS CloudTrail User Guide, "Finding your CloudTrail log
 * files" and "CloudTrail log file name format":
 * https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html). An organization
 * trail adds the organization's id above the accounts.
 *
 * The walk descends one level at a time (ListObjectsV2 with a delimiter), through organizations, accounts and
 * Regions, into `CloudTrail/` only (not digests or Insights). Each Region's folder is then listed flat in one paginated
 * listing that starts at the first day of the window (StartAfter) and stops past its last: a long window with empty
 * days costs no call per day, and a window open at one end does not list the whole history. Only log files under a
 * Region's folder are read. It needs s3:ListBucket on the bucket and s3:GetObject on its objects (and kms:Decrypt
 * when the trail encrypts its files with a KMS key).
 */
export class S3CloudTrailArchive {
  constructor(
    private readonly s3: S3Client,
    /** Keys a listing page asks for (S3's most, 1,000, unless a test wants many pages). */
    private readonly pageSize?: number,
  ) {}

  /**
   * The bucket's Region (HeadBucket, which s3:ListBucket allows): a client made there reads without a redirect per
   * request, which the SDK's followRegionRedirects pays on every call.
   */
  async regionOf(bucket: string): Promise<string | undefined> {
    return (await this.s3.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion;
  }

  /** Every log file under `prefix` delivered within the window, in delivery order (then by key). */
  async files(bucket: string, prefix: string, window: TimeWindow = {}): Promise<ArchivedFile[]> {
    const found: ArchivedFile[] = [];
    const start = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    let level: string[] = [];
    // Pointed at a Region's folder or below it (a year, a month, a day): listed flat.
    if (this.regionFolderOf(start)) await this.listFlat(bucket, start, this.regionFolderOf(start)!, window, found);
    else level = [start];
    let depth = 0;
    while (level.length > 0) {
      const next: string[] = [];
      await inBatches(level, listConcurrency, async (folder) => {
        if (this.regionFolderOf(folder)) return this.listFlat(bucket, folder, folder, window, found);
        for (const child of await this.subfolders(bucket, folder)) if (this.descends(child, depth)) next.push(child);
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

  /** The `.../CloudTrail/REGION/` folder a prefix is in or below, if any. */
  private regionFolderOf(folder: string): string | undefined {
    const parts = folder.replace(/\/$/, '').split('/');
    const at = parts.lastIndexOf('CloudTrail');
    if (at < 0 || at + 1 >= parts.length || !region.test(parts[at + 1]!)) return undefined;
    return `${parts.slice(0, at + 2).join('/')}/`;
  }

  private descends(folder: string, depth: number): boolean {
    const segment = lastSegment(folder);
    const parts = folder.replace(/\/$/, '').split('/');
    if (!parts.includes('AWSLogs')) return segment === 'AWSLogs' || depth < maxPrefixDepth;
    if (segment === 'AWSLogs' || organization.test(segment) || account.test(segment)) return true;
    if (segment === 'CloudTrail') return true;
    return parts.at(-2) === 'CloudTrail' && region.test(segment);
  }

  /** A listing's pages, one request each (StartAfter on the first only: the continuation token carries on). */
  private async *pages(input: ListObjectsV2CommandInput): AsyncGenerator<ListObjectsV2CommandOutput> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          ...input,
          MaxKeys: this.pageSize,
          ...(token === undefined ? {} : { ContinuationToken: token, StartAfter: undefined }),
        }),
      );
      yield page;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async subfolders(bucket: string, prefix: string): Promise<string[]> {
    const folders: string[] = [];
    for await (const page of this.pages({ Bucket: bucket, Prefix: prefix, Delimiter: '/' }))
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(common.Prefix);
    return folders;
  }

  /**
   * Everything under `prefix` (a Region's folder, or a date folder in it) in one paginated listing, from the window's
   * first day to past its last: keys sort by day (YYYY/MM/DD/ after the Region's folder).
   */
  private async listFlat(
    bucket: string,
    prefix: string,
    regionFolder: string,
    window: TimeWindow,
    found: ArchivedFile[],
  ) {
    const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10).replace(/-/g, '/');
    const first = window.since === undefined ? undefined : `${regionFolder}${dayOf(window.since)}`;
    const last =
      window.until === undefined ? undefined : `${regionFolder}${dayOf(window.until + deliveryAllowanceMs)}/\uffff`;
    const startAfter = first !== undefined && first > prefix ? { StartAfter: first } : {};
    for await (const page of this.pages({ Bucket: bucket, Prefix: prefix, ...startAfter })) {
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        if (last !== undefined && object.Key > last) return;
        if (!logFile.test(object.Key)) continue;
        const file = fileOf(object.Key, object.Size);
        if (within(file, window)) found.push(file);
      }
    }
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
