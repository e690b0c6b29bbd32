import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';

/**
 * A synthetic CloudTrail archive for benchmarks: NDJSON.gz files of KMS records in the shape of the real ones in
 * test/fixtures/real (about 1.2 KB each, like the Invictus log's), with a realistic mix (mostly Decrypt and
 * GenerateDataKey by a few hundred principals over
 * a few dozen keys, a share made by services for customers, some refused calls). Deterministic: same seed, same bytes.
 */
export const writeArchive = async (
  dir: string,
  files: number,
  recordsPerFile: number,
): Promise<{ paths: string[]; bytes: number; records: number }> => {
  let seed = 42;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff) / 0x7fffffff;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const account = '111122223333';
  const keys = Array.from(
    { length: 40 },
    (_, i) => `arn:aws:kms:us-east-1:${account}:key/${(0x10000000 + i).toString(16)}-12ab-34cd-56ef-1234567890ab`,
  );
  const roles = Array.from({ length: 300 }, (_, i) => `app-${i}`);
  const operations = [
    'Decrypt',
    'Decrypt',
    'Decrypt',
    'GenerateDataKey',
    'GenerateDataKey',
    'Encrypt',
    'DescribeKey',
    'ReEncrypt',
  ];
  const services = ['secretsmanager.amazonaws.com', 'ssm.amazonaws.com', 's3.amazonaws.com', 'dynamodb.amazonaws.com'];
  const start = Date.parse('2026-11-01T00:00:00Z');
  const paths: string[] = [];
  let bytes = 0;
  let serial = 0;
  for (let f = 0; f < files; f += 1) {
    const path = join(dir, `${account}_CloudTrail_us-east-1_${String(f).padStart(4, '0')}.ndjson.gz`);
    paths.push(path);
    const gzip = createGzip({ level: 1 });
    const done = once(gzip.pipe(createWriteStream(path)), 'finish');
    for (let r = 0; r < recordsPerFile; r += 1) {
      serial += 1;
      const roleIndex = Math.floor(random() * roles.length);
      const role = roles[roleIndex]!;
      const key = pick(keys);
      const service = random() < 0.5 ? pick(services) : undefined;
      const refused = random() < 0.01;
      const record = {
        eventVersion: '1.08',
        userIdentity: {
          type: 'AssumedRole',
          principalId: `AROAEXAMPLE${serial % 997}:${role}`,
          arn: `arn:aws:sts::${account}:assumed-role/${role}/session-${serial % 13}`,
          accountId: account,
          accessKeyId: `ASIAEXAMPLE${String(serial % 9973).padStart(9, '0')}`,
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: `AROAEXAMPLE${serial % 997}`,
              arn: `arn:aws:iam::${account}:role/${role}`,
              accountId: account,
              userName: role,
            },
            attributes: {
              creationDate: new Date(start + serial * 50 - 3_600_000).toISOString(),
              mfaAuthenticated: 'false',
            },
          },
          ...(service ? { invokedBy: service } : {}),
        },
        eventTime: new Date(start + serial * 50).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        eventSource: 'kms.amazonaws.com',
        eventName: pick(operations),
        awsRegion: 'us-east-1',
        // Each workload calls from a couple of addresses of its own.
        sourceIPAddress: service ?? `10.0.${roleIndex % 250}.${10 + (serial % 2)}`,
        userAgent: service ?? 'aws-sdk-java/2.25.10 Linux/5.10 Java/17.0.10',
        ...(refused
          ? { errorCode: 'AccessDeniedException', errorMessage: 'User is not authorized to perform: kms:Decrypt' }
          : {}),
        requestParameters: {
          encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          encryptionContext: {
            'aws:secretsmanager:arn': `arn:aws:secretsmanager:us-east-1:${account}:secret:app/${role}`,
          },
        },
        responseElements: null,
        requestID: `req-${serial}`,
        eventID: `00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
        readOnly: true,
        resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: key }],
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: account,
        eventCategory: 'Management',
      };
      const line = `${JSON.stringify(record)}\n`;
      bytes += Buffer.byteLength(line);
      if (!gzip.write(line)) await once(gzip, 'drain');
    }
    gzip.end();
    await done;
  }
  return { paths, bytes, records: serial };
};
