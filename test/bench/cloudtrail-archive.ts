import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assumedRoleIdentity, kmsApiCallRecord } from '../../src/local/cloudtrail-records';
import { pick, random, zipfWeights } from './skewed';

/**
 * A generated CloudTrail archive in the layout CloudTrail writes to S3 (AWS CloudTrail User Guide, "Finding your
 * CloudTrail log files": AWSLogs/[O-ID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_
 * YYYYMMDDTHHmmZ_UNIQUE.json.gz, each file one gzipped {"Records":[...]} document). Shaped like a busy organization:
 *
 * - two member accounts and two Regions, one file per account and Region about every five minutes, of about
 *   `recordsPerFile` records each (they vary by half either way), not sorted within a file;
 * - `roles` roles whose call rates follow a Zipf law (a few busy, many quiet), each using its own keys among `keys`
 *   (busy ones dozens: the first uses more than 50), from a few addresses of its own, a NAT pool or a VPC endpoint;
 * - a share of calls made by AWS services for customers, a share refused, a share of other services' events (a
 *   trail logs every service);
 * - the records built like CloudTrail's (src/local/cloudtrail-records, whose shape follows test/fixtures/real), with
 *   an encryption context, TLS details and request ids, about 1.3 KB each;
 * - an attack near the end: one role reads the settings of 30 keys, then has 25 calls refused from a new address.
 *
 * Deterministic: the same arguments, the same bytes. `largeFiles` writes the same records into that many files
 * (each a document, as CloudTrail writes), for comparing many small files with a few large ones.
 */
export interface ArchiveShape {
  files: number;
  recordsPerFile: number;
  roles?: number;
  keys?: number;
  largeFiles?: number;
}

export interface Archive {
  root: string;
  paths: string[];
  records: number;
  /** Uncompressed bytes of JSON. */
  bytes: number;
  compressedBytes: number;
  /** The attacker's role ARN: a replay must find its enumeration and its refused burst. */
  attacker: string;
  distinctAddresses: number;
}

const organization = 'o-a1b2c3d4e5';
const accounts = ['111122223333', '444455556666'];
const regions = ['us-east-1', 'eu-west-1'];
const others = [
  ['sts.amazonaws.com', 'AssumeRole'],
  ['s3.amazonaws.com', 'ListBuckets'],
  ['ec2.amazonaws.com', 'DescribeInstances'],
  ['secretsmanager.amazonaws.com', 'GetSecretValue'],
  ['logs.amazonaws.com', 'CreateLogStream'],
] as const;
const services = ['secretsmanager.amazonaws.com', 'ssm.amazonaws.com', 's3.amazonaws.com', 'dynamodb.amazonaws.com'];
const userAgents = [
  'aws-sdk-java/2.25.10 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS Java/17.0.10',
  'aws-sdk-js/3.616.0 ua/2.0 os/linux#5.10.219 lang/js md/nodejs#20.15.1 api/kms#3.616.0',
  'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython',
];

const hex = (next: () => number, length: number) =>
  Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join('');
const uuid = (next: () => number) =>
  `${hex(next, 8)}-${hex(next, 4)}-4${hex(next, 3)}-a${hex(next, 3)}-${hex(next, 12)}`;
const stamp = (at: number) => new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const writeArchive = (dir: string, shape: ArchiveShape): Archive => {
  const next = random(shape.files * 7919 + shape.recordsPerFile);
  const roleCount = shape.roles ?? 60;
  const keyCount = shape.keys ?? 200;
  const keys = accounts.flatMap((account) =>
    regions.map((region) =>
      Array.from({ length: keyCount / (accounts.length * regions.length) }, () => ({
        arn: `arn:aws:kms:${region}:${account}:key/${uuid(next)}`,
        account,
        region,
      })),
    ),
  );
  const addresses = new Set<string>();
  const roles = Array.from({ length: roleCount }, (_, i) => {
    const account = accounts[i % accounts.length]!;
    const region = regions[Math.floor(i / accounts.length) % regions.length]!;
    const own = keys[accounts.indexOf(account) * regions.length + regions.indexOf(region)]!;
    // The busiest roles use many keys (the first its account's keys in every Region: more than 50), the rest a few.
    const all = keys.filter((_, k) => Math.floor(k / regions.length) === accounts.indexOf(account)).flat();
    const keyTotal = i === 0 ? all.length : i < 6 ? 20 : 1 + Math.floor(next() * 4);
    const start = Math.floor(next() * own.length);
    const pool = i === 0 ? all : own;
    const used = Array.from({ length: keyTotal }, (_, k) => pool[(start + k) % pool.length]!.arn);
    const network = next();
    const from =
      network < 0.2
        ? // A NAT pool: many addresses.
          Array.from({ length: 24 }, (_, a) => `52.${20 + (i % 200)}.${a}.${Math.floor(next() * 250)}`)
        : network < 0.35
          ? ['vpce']
          : Array.from(
              { length: 1 + Math.floor(next() * 3) },
              () => `10.${i % 250}.${Math.floor(next() * 250)}.${1 + Math.floor(next() * 250)}`,
            );
    for (const address of from) if (address !== 'vpce') addresses.add(address);
    return {
      roleArn: `arn:aws:iam::${account}:role/${i % 3 === 0 ? 'service-role/' : ''}app-${i}`,
      account,
      region,
      used,
      from,
      vpce: `vpce-0${hex(next, 16)}`,
      userAgent: userAgents[i % userAgents.length]!,
      sessions: Array.from({ length: 3 }, () => `i-0${hex(next, 16)}`),
    };
  });
  const weights = zipfWeights(roles.length);
  const streams = accounts.flatMap((account) => regions.map((region) => ({ account, region })));
  const attacker = roles[roles.length - 1]!;

  const recordFor = (at: number, eventName?: string, keyArn?: string, refused?: boolean, sourceIp?: string) => {
    const role = pick(roles, weights, next());
    const caller = eventName ? attacker : role;
    const key = keyArn ?? caller.used[Math.floor(next() * caller.used.length)]!;
    const other = !eventName && next() < 0.2;
    const service = !eventName && !other && next() < 0.25 ? services[Math.floor(next() * services.length)] : undefined;
    const address = caller.from[Math.floor(next() * caller.from.length)]!;
    const name = eventName ?? (next() < 0.55 ? 'Decrypt' : next() < 0.85 ? 'GenerateDataKey' : 'Encrypt');
    const denied = refused ?? (!eventName && next() < 0.01);
    const base = kmsApiCallRecord({
      eventName: name,
      keyArn: key,
      caller: {
        roleArn: caller.roleArn,
        sessionName: caller.sessions[Math.floor(next() * caller.sessions.length)]!,
        sourceIp: sourceIp ?? service ?? (address === 'vpce' ? `10.${roles.indexOf(caller)}.0.5` : address),
        userAgent: service ?? caller.userAgent,
      },
      requestParameters: {
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        encryptionContext: {
          'aws:secretsmanager:arn': `${caller.roleArn.replace(':iam::', ':secretsmanager:us-east-1:')}/db`,
        },
        ...(name === 'GenerateDataKey' ? { keyId: key, keySpec: 'AES_256' } : {}),
      },
      ...(denied ? { errorCode: 'AccessDenied' } : {}),
      eventTime: new Date(at),
      eventId: uuid(next),
      readOnly: name === 'DescribeKey',
    });
    const identity = assumedRoleIdentity({
      roleArn: caller.roleArn,
      sessionName: base.userIdentity!.arn!.split('/').at(-1)!,
    });
    identity.accessKeyId = `ASIA${hex(next, 16).toUpperCase()}`;
    identity.sessionContext.attributes.creationDate = stamp(at - 1_800_000);
    return {
      ...base,
      ...(other
        ? {
            eventSource: others[Math.floor(next() * others.length)]![0],
            eventName: others[Math.floor(next() * others.length)]![1],
            resources: undefined,
          }
        : {}),
      userIdentity: service ? { ...identity, invokedBy: service } : identity,
      requestID: uuid(next),
      managementEvent: true,
      eventCategory: 'Management',
      ...(address === 'vpce' && !service ? { vpcEndpointId: caller.vpce } : {}),
      tlsDetails: {
        tlsVersion: 'TLSv1.3',
        cipherSuite: 'TLS_AES_128_GCM_SHA256',
        clientProvidedHostHeader: `kms.${caller.region}.amazonaws.com`,
      },
    };
  };

  type Record_ = ReturnType<typeof recordFor>;
  const perStream: Record_[][][] = streams.map(() => []);
  const start = Date.parse('2026-11-01T00:00:00Z');
  let records = 0;
  for (let f = 0; f < shape.files; f += 1) {
    const s = f % streams.length;
    const period = Math.floor(f / streams.length);
    const from = start + period * 300_000;
    const count = Math.round(shape.recordsPerFile * (0.5 + next()));
    const file: Record_[] = [];
    for (let r = 0; r < count; r += 1) file.push(recordFor(from + Math.floor(next() * 300_000)));
    if (f === shape.files - 1) {
      // The attack: the last role reads 30 keys' settings, then 25 refused calls from an address never seen.
      for (let k = 0; k < 30; k += 1)
        file.push(recordFor(from + k * 1000, 'DescribeKey', keys.flat()[k * 3]!.arn, false));
      for (let d = 0; d < 25; d += 1)
        file.push(recordFor(from + 60_000 + d * 1000, 'Decrypt', attacker.used[0], true, '203.0.113.66'));
    }
    records += file.length;
    perStream[s]!.push(file);
  }

  const root = join(dir, 'AWSLogs');
  const paths: string[] = [];
  let bytes = 0;
  let compressedBytes = 0;
  const write = (account: string, region: string, at: number, body: Record_[]) => {
    const d = new Date(at);
    const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
    const name = `${account}_CloudTrail_${region}_${stamp(at).replace(/[-:]/g, '').slice(0, 13)}Z_${hex(next, 16)}.json.gz`;
    const path = join(root, organization, account, 'CloudTrail', region, day, name);
    const text = JSON.stringify({ Records: body });
    const gz = gzipSync(text, { level: 6 });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gz);
    paths.push(path);
    bytes += Buffer.byteLength(text);
    compressedBytes += gz.length;
  };
  const large = shape.largeFiles;
  if (!large) {
    streams.forEach(({ account, region }, s) =>
      perStream[s]!.forEach((body, period) => write(account, region, start + (period + 1) * 300_000, body)),
    );
  } else {
    // The same records in a few large files, each holding consecutive periods of every account and Region: in time
    // order from one file to the next, as an export of the same trail would be.
    const periods = perStream[0]!.length;
    const perLarge = Math.ceil(periods / large);
    for (let p = 0; p < periods; p += perLarge) {
      const body: Record_[] = [];
      for (let q = p; q < Math.min(p + perLarge, periods); q += 1)
        for (const files of perStream) body.push(...(files[q] ?? []));
      write(accounts[0]!, regions[0]!, start + Math.min(p + perLarge, periods) * 300_000, body);
    }
  }
  return {
    root,
    paths,
    records,
    bytes,
    compressedBytes,
    attacker: attacker.roleArn,
    distinctAddresses: addresses.size,
  };
};
