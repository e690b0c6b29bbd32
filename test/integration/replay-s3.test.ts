import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../../src/cli/main';
import { S3CloudTrailArchive } from '../../src/aws/s3-cloudtrail-archive';
import { writeArchive, type Archive } from '../bench/cloudtrail-archive';
import { captured } from '../support/captured-io';
import { startMotoServer, type MotoServer } from '../../src/local/moto-server';

/**
 * kms-warden replay s3://BUCKET/PREFIX against moto: an organization trail's bucket laid out as CloudTrail writes it
 * (test/bench/cloudtrail-archive.ts), with the digest files CloudTrail writes beside the logs and a log file cut short.
 * The same archive replayed from disk is the reference: reading the bucket must find the same events and signals.
 *
 * It runs against moto without IAM enforced, not behind the strict layer: with IAM enforced, moto 5.2.1 answers
 * SignatureDoesNotMatch to a correctly signed ListObjectsV2 whose prefix or delimiter holds a "/" (found by
 * experiment: PutObject passes, the same listing fails), and the layer does not evaluate S3's REST requests anyway.
 * So the reader's permissions (s3:ListBucket, s3:GetObject, in the README) are documented, not enforced here.
 */
describe('kms-warden replay from a CloudTrail bucket, against moto', () => {
  let moto: MotoServer;
  let saved: NodeJS.ProcessEnv;
  const bucket = 'org-trail-logs';
  const prefix = 'security/trails';
  let dir: string;
  let archive: Archive;

  const replay = async (...argv: string[]) => {
    const run = captured();
    const code = await main(['replay', '--json', ...argv], run.io);
    const signals = run.out.map(
      (line) => JSON.parse(line) as { detector: string; principalArn: string; eventId: string },
    );
    const summary =
      /replayed (\d+) events from (\d+) file\(s\).* (\d+) signals in \d+ stor(?:y|ies), (\d+) malformed/.exec(
        run.err.at(-1) ?? '',
      );
    return {
      code,
      err: run.err,
      signals: signals.map((s) => `${s.detector} ${s.principalArn} ${s.eventId}`).sort(),
      events: Number(summary?.[1]),
      files: Number(summary?.[2]),
      malformed: Number(summary?.[4]),
    };
  };

  beforeAll(async () => {
    moto = await startMotoServer();
    saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    });
    delete process.env.AWS_SESSION_TOKEN;
    dir = mkdtempSync(join(tmpdir(), 'kms-warden-replay-s3-'));
    archive = writeArchive(dir, { files: 12, recordsPerFile: 150 });
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const path of archive.paths)
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${relative(dir, path)}`, Body: readFileSync(path) }),
      );
    // CloudTrail's digest files sit beside the logs, and are not events.
    const account = relative(dir, archive.paths[0]!).split('/').slice(0, 3).join('/');
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${prefix}/${account}/CloudTrail-Digest/us-east-1/2026/11/01/${account.split('/')[2]}_CloudTrail-Digest_us-east-1_trail_us-east-1_20261101T000500Z.json.gz`,
        Body: '{"digestStartTime": "2026-11-01T00:00:00Z"}',
      }),
    );
    s3.destroy();
  }, 60_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    process.env = saved;
    await moto.stop();
  });

  it('finds the same events and signals in the bucket as on disk, with worker threads and without', async () => {
    const local = await replay('--workers', '0', dir);
    expect(local.code).toBe(0);
    expect(local.events).toBe(archive.records);
    // The planted attack is found.
    expect(local.signals.some((s) => s.startsWith(`key-enumeration ${archive.attacker} `))).toBe(true);
    for (const workers of ['0', '2']) {
      const remote = await replay('--workers', workers, `s3://${bucket}/${prefix}`);
      expect(remote).toEqual(
        expect.objectContaining({ code: 0, files: archive.paths.length, events: archive.records }),
      );
      expect(remote.signals).toEqual(local.signals);
    }
  }, 60_000);

  it('reads only the files and events of --since and --until, listing only the days they cover', async () => {
    // The archive spans 00:00 to 00:15 on 2026-11-01, in files delivered at 00:05, 00:10 and 00:15.
    const since = '2026-11-01T00:07:00Z';
    const until = '2026-11-01T00:12:00Z';
    const local = await replay('--workers', '0', '--since', since, '--until', until, dir);
    const remote = await replay('--since', since, '--until', until, `s3://${bucket}/${prefix}/`);
    expect(remote.events).toBe(local.events);
    expect(remote.signals).toEqual(local.signals);
    expect(remote.events).toBeGreaterThan(0);
    expect(remote.events).toBeLessThan(archive.records);
    // Files delivered before --since cannot hold its events: they are not read.
    expect(remote.files).toBe((archive.paths.length * 2) / 3);
    // A day with no files lists nothing and reads nothing.
    const empty = await replay('--since', '2026-10-01', '--until', '2026-10-02', `s3://${bucket}/${prefix}`);
    expect(empty).toEqual(expect.objectContaining({ code: 0, files: 0, events: 0 }));
  }, 60_000);

  describe('the bucket walk', () => {
    const s3 = () => new S3Client({ forcePathStyle: true });
    const keysOf = (files: Array<{ key: string }>) => files.map((f) => f.key);
    const logKeys = () => archive.paths.map((path) => `${prefix}/${relative(dir, path)}`);

    beforeAll(async () => {
      const client = s3();
      // An Insights file, a log file outside any Region's folder, and a trail of a single account (no organization).
      const account = relative(dir, archive.paths[0]!).split('/').slice(0, 3).join('/');
      for (const [key, body] of [
        [
          `${prefix}/${account}/CloudTrail-Insight/us-east-1/2026/11/01/x_CloudTrail-Insight_us-east-1_20261101T0010Z_a.json.gz`,
          '{}',
        ],
        [`${prefix}/AWSLogs/stray.json`, '{"Records": []}'],
        [
          `single/AWSLogs/777788889999/CloudTrail/eu-west-1/2026/11/02/777788889999_CloudTrail_eu-west-1_20261102T0005Z_b.json.gz`,
          '{"Records": []}',
        ],
      ] as const)
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      client.destroy();
    });

    it('lists every log file, in delivery order, through many small pages, and nothing else', async () => {
      const files = await new S3CloudTrailArchive(s3(), 2).files(bucket, prefix);
      expect(keysOf(files).sort()).toEqual(logKeys().sort());
      const times = files.map((f) => f.deliveredAt!);
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('lists from the first day of the window with --since alone, to its last with --until alone', async () => {
      const archiveIn = new S3CloudTrailArchive(s3(), 3);
      const since = Date.parse('2026-11-01T00:07:00Z');
      const after = await archiveIn.files(bucket, prefix, { since });
      expect(after.length).toBe((archive.paths.length * 2) / 3);
      const before = await archiveIn.files(bucket, prefix, { until: Date.parse('2026-10-31T00:00:00Z') });
      expect(before).toEqual([]);
    });

    it('reads a trail without an organization, a prefix pointed at a day, and the Region of the bucket', async () => {
      const archiveIn = new S3CloudTrailArchive(s3());
      expect(keysOf(await archiveIn.files(bucket, 'single'))).toEqual([
        'single/AWSLogs/777788889999/CloudTrail/eu-west-1/2026/11/02/777788889999_CloudTrail_eu-west-1_20261102T0005Z_b.json.gz',
      ]);
      const day = relative(dir, archive.paths[0]!).split('/').slice(0, 8).join('/');
      const ofDay = await archiveIn.files(bucket, `${prefix}/${day}`);
      expect(ofDay.length).toBeGreaterThan(0);
      expect(ofDay.every((f) => f.key.startsWith(`${prefix}/${day}/`))).toBe(true);
      expect(await archiveIn.regionOf(bucket)).toBe('us-east-1');
    });
  });

  it('goes on past a log file cut short, and says which one', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/AWSLogs/` }));
    const victim = listed
      .Contents!.map((o) => o.Key!)
      .find((key) => key.includes('/CloudTrail/') && key.endsWith('.json.gz'))!;
    const whole = readFileSync(join(dir, victim.slice(prefix.length + 1)));
    const cut = join(dir, 'cut.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: victim, Body: readFileSync(cut) }));
    rmSync(cut);
    const remote = await replay(`s3://${bucket}/${prefix}`);
    expect(remote.code).toBe(2);
    expect(remote.malformed).toBe(0);
    expect(remote.err.at(-1)).toMatch(/ 0 malformed, 1 unreadable, /);
    expect(remote.err).toContainEqual(
      expect.stringMatching(
        new RegExp(`^unreadable: s3://${bucket}/${victim.replace(/[.]/g, '\\.')}: could not be read to its end`),
      ),
    );
    expect(remote.events).toBeLessThan(archive.records);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: victim, Body: whole }));
    s3.destroy();
  }, 60_000);
});
