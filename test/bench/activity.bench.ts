/**
 * npm run bench:activity: what the activity path costs per benign event, run for real: the activity function's own
 * code (handlers/on-kms-activity.ts) against moto, fed the Kinesis batches Lambda would hand it. Every AWS request the
 * function makes goes through a counting proxy in front of moto.
 *
 * The traffic is shaped like a busy account's direct KMS use:
 * - roles whose call rates are skewed (a Zipf law: a few busy callers, many quiet ones);
 * - each role uses a few of the keys (the busy ones more);
 * - each role calls from a few of many addresses;
 * - Decrypt and GenerateDataKey mostly, some DescribeKey;
 * - calls arriving at `BENCH_RATE` a second (default 500).
 *
 * The stream is modelled as the stack deploys it:
 * - 4 shards (an on-demand stream's start);
 * - the partition key is the role's id, hashed with MD5 onto the shards' equal hash-key ranges as Kinesis does
 *   (https://docs.aws.amazon.com/streams/latest/dev/key-concepts.html);
 * - a batch closes at activityBatchSize records or activityBatchWindowSeconds of arrivals, whichever comes first.
 *
 * Prices are AWS's list prices in us-east-1 (pages cited beside each); the Lambda time is this machine's measured time
 * per batch, with moto answering in DynamoDB's place.
 *
 * Last, the cold start: the packaged function's bundle loaded in a fresh `node`, against a bare `node`, in pairs.
 *
 * `--short` (CI): small sizes, no goals checked. Otherwise it exits 1 if a goal of issue 16 is missed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { kinesisEventOf } from '../../src/local/kinesis-event';
import { kmsApiCallRecord, roleIdOf, viaEventBridge } from '../../src/local/cloudtrail-records';
import { startMotoServer } from '../../src/local/moto-server';
import { provisionResponderStack, responderEnvironment } from '../../src/local/responder-stack';
import { localLambdaContext } from '../../src/local/lambda-context';
import { packageOffline } from '../support/strict-aws/packaged-template';
import { pick, random, zipfWeights } from './skewed';
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';

const short = process.argv.includes('--short');
const rate = Number(process.env.BENCH_RATE ?? 500);
/** The stack's defaults (activityBatchSize, activityBatchWindowSeconds). */
const defaultBatchSize = 1000;
const batchWindowSeconds = 10;
const shards = 4;
const lambdaMemoryGb = 256 / 1024;

// List prices, us-east-1.
const price = {
  // https://aws.amazon.com/lambda/pricing/ (Arm: $0.20 per million requests, $0.0000133334 per GB-second)
  lambdaRequest: 0.2 / 1e6,
  lambdaGbSecond: 0.0000133334,
  // https://aws.amazon.com/kinesis/data-streams/pricing/ (on-demand: $0.08 per GB in, each record rounded up to 1 KB;
  // $0.04 per GB read; $0.04 per stream-hour, whatever the traffic)
  kinesisInGb: 0.08,
  kinesisOutGb: 0.04,
  kinesisStreamHour: 0.04,
  // https://aws.amazon.com/dynamodb/pricing/on-demand/ ($0.625 per million write request units, $0.125 per million
  // read request units)
  dynamodbWrite: 0.625 / 1e6,
  dynamodbRead: 0.125 / 1e6,
};

const traffic = (events: number, roles: number, keys: number) => {
  const next = random(events * 31 + roles * 7 + keys);
  const account = '123456789012';
  const keyArns = Array.from(
    { length: keys },
    (_, i) => `arn:aws:kms:us-east-1:${account}:key/${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
  );
  const addresses = Array.from({ length: 400 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.${(i * 7) % 250}`);
  const callers = Array.from({ length: roles }, (_, i) => {
    const roleArn = `arn:aws:iam::${account}:role/service/app-${i}`;
    // Busy roles use more keys and more addresses; every role at least one of each.
    const used = keyArns.filter((_, k) => (k + i) % keys < 1 + (i < roles / 4 ? 2 : 0));
    const from = Array.from({ length: 1 + Math.floor(next() * 4) }, () => addresses[Math.floor(next() * 400)]!);
    return { roleArn, roleId: roleIdOf(roleArn), keys: used, from };
  });
  const weights = zipfWeights(callers.length);
  const start = Date.parse('2026-11-28T12:00:00Z');
  return Array.from({ length: events }, (_, n) => {
    const caller = pick(callers, weights, next());
    const keyArn = caller.keys[Math.floor(next() * caller.keys.length)]!;
    const r = next();
    const eventName = r < 0.55 ? 'Decrypt' : r < 0.95 ? 'GenerateDataKey' : 'DescribeKey';
    const at = new Date(start + (n * 1000) / rate);
    const record = kmsApiCallRecord({
      eventName,
      keyArn,
      caller: {
        roleArn: caller.roleArn,
        sessionName: `session-${Math.floor(next() * 3)}`,
        sourceIp: caller.from[Math.floor(next() * caller.from.length)]!,
      },
      requestParameters: eventName === 'GenerateDataKey' ? { keyId: keyArn, keySpec: 'AES_256' } : { keyId: keyArn },
      eventTime: at,
      eventId: `bench-${n}`,
      readOnly: true,
    });
    return { arrived: at.getTime(), partitionKey: caller.roleId, event: viaEventBridge(record, `bench-${n}`) };
  });
};

/** The shard Kinesis puts a partition key on: MD5 as a 128-bit number, in one of `shards` equal ranges. */
const shardOf = (partitionKey: string) =>
  Number((BigInt(`0x${createHash('md5').update(partitionKey).digest('hex')}`) * BigInt(shards)) >> 128n);

/** Batches as Lambda's event source mapping would close them: per shard, by size or by the window. */
const batchesOf = (calls: ReturnType<typeof traffic>, batchSize: number) => {
  const open = new Map<number, { opened: number; calls: typeof calls }>();
  const closed: Array<{ shard: number; closedAt: number; calls: typeof calls }> = [];
  const close = (shard: number, at: number) => {
    closed.push({ shard, closedAt: at, calls: open.get(shard)!.calls });
    open.delete(shard);
  };
  for (const call of calls) {
    for (const [shard, batch] of open)
      if (call.arrived - batch.opened >= batchWindowSeconds * 1000)
        close(shard, batch.opened + batchWindowSeconds * 1000);
    const shard = shardOf(call.partitionKey);
    if (!open.has(shard)) open.set(shard, { opened: call.arrived, calls: [] });
    open.get(shard)!.calls.push(call);
    if (open.get(shard)!.calls.length >= batchSize) close(shard, call.arrived);
  }
  for (const [shard, batch] of open) close(shard, batch.opened + batchWindowSeconds * 1000);
  return closed.sort((a, b) => a.closedAt - b.closedAt);
};

/** Counts every request on its way to moto: the operation (X-Amz-Target) and, for writes, the items written. */
const countingProxy = async (target: string) => {
  const counts = {
    requests: new Map<string, number>(),
    itemsWritten: 0,
    readUnits: 0,
    /** Updates per item key, to charge each the write units its size costs. */
    updatesByKey: new Map<string, number>(),
  };
  const server = createServer((incoming: IncomingMessage, answer) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(incoming.headers['x-amz-target'] ?? incoming.url ?? '')
        .split('.')
        .at(-1)!;
      counts.requests.set(operation, (counts.requests.get(operation) ?? 0) + 1);
      if (['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation)) counts.itemsWritten += 1;
      if (operation === 'UpdateItem') {
        const { Key } = JSON.parse(body.toString()) as { Key?: { pk?: { S?: string } } };
        const pk = Key?.pk?.S ?? '';
        counts.updatesByKey.set(pk, (counts.updatesByKey.get(pk) ?? 0) + 1);
      }
      if (operation === 'BatchWriteItem' || operation === 'TransactWriteItems') {
        const parsed = JSON.parse(body.toString()) as {
          RequestItems?: Record<string, unknown[]>;
          TransactItems?: unknown[];
        };
        counts.itemsWritten += parsed.TransactItems?.length ?? Object.values(parsed.RequestItems ?? {}).flat().length;
      }
      const url = new URL(incoming.url ?? '/', target);
      const forwarded = httpRequest(
        url,
        { method: incoming.method, headers: { ...incoming.headers, host: url.host } },
        (response) => {
          const parts: Buffer[] = [];
          response.on('data', (part: Buffer) => parts.push(part));
          response.on('end', () => {
            const text = Buffer.concat(parts);
            // Consistent reads of items under 4 KB: one read unit each (what DynamoDB charges a BatchGetItem).
            if (operation === 'BatchGetItem') {
              const { Responses = {} } = JSON.parse(text.toString()) as { Responses?: Record<string, unknown[]> };
              counts.readUnits += Object.values(Responses).flat().length;
            }
            answer.writeHead(response.statusCode ?? 500, response.headers);
            answer.end(text);
          });
        },
      );
      forwarded.on('error', (error) => {
        answer.writeHead(502);
        answer.end(String(error));
      });
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () => server.close(),
  };
};

type Handler = (event: unknown, context: unknown) => Promise<{ responded: number; records: number }>;

/**
 * An item's size as DynamoDB bills it: each attribute's name and value, a string by its UTF-8 bytes, a number by about
 * one byte per two significant digits plus one, a map or list 3 bytes plus its contents
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
const sizeOf = (value: AttributeValue): number => {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.M !== undefined)
    return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + sizeOf(v) + 1, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, v) => sum + sizeOf(v) + 1, 0);
  return 0;
};
const itemSize = (item: Record<string, AttributeValue>) =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + sizeOf(value), 0);

/**
 * Write units the run's updates cost: an update is billed on the larger of the item's size before and after it, a
 * unit a KB; charged here at the item's size at the end of the run, the largest it reached (an upper bound).
 */
const writeUnitsOf = async (updatesByKey: Map<string, number>, endpoint: string, table: string) => {
  const sizes = new Map<string, number>();
  let ExclusiveStartKey: Record<string, AttributeValue> | undefined;
  const client = new DynamoDBClient({ endpoint });
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
    for (const item of page.Items ?? []) sizes.set(item.pk!.S!, itemSize(item));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  let units = 0;
  for (const [pk, updates] of updatesByKey) units += updates * Math.max(1, Math.ceil((sizes.get(pk) ?? 0) / 1024));
  const pairs = [...sizes].filter(([pk]) => pk.startsWith('MEMORY#PAIR#')).map(([, size]) => size);
  pairs.sort((a, b) => a - b);
  return {
    units,
    pairItemBytes: { median: pairs[Math.floor(pairs.length / 2)] ?? 0, max: pairs.at(-1) ?? 0, count: pairs.length },
  };
};

/**
 * How long the packaged activity function takes to load (its cold start's init), against a bare `node`: runs in
 * pairs, one after the other, the ratio taken pair by pair, the median quoted.
 */
const coldStart = (pairs: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'kms-warden-coldstart-'));
  try {
    packageOffline(join(dir, 'package'));
    execFileSync('python3', ['-m', 'zipfile', '-e', join(dir, 'package', 'onKmsActivity.zip'), join(dir, 'fn')]);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...responderEnvironment({
        stage: 'bench',
        incidentTable: 't',
        notificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
        deadLetterQueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
        deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:q',
      }),
      AWS_LAMBDA_FUNCTION_NAME: 'kms-warden-bench-onKmsActivity',
      AWS_ENDPOINT_URL: '',
      NODE_NO_WARNINGS: '1',
    };
    const timed = (args: string[], environment: NodeJS.ProcessEnv) => {
      const started = process.hrtime.bigint();
      execFileSync(process.execPath, args, { cwd: join(dir, 'fn'), env: environment, stdio: 'ignore' });
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const load = ['-e', "import('./handlers/on-kms-activity.js')"];
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    /** Pairs in one environment: the ratio taken pair by pair, the median quoted. */
    const inPairs = (environment: NodeJS.ProcessEnv) => {
      timed(load, environment);
      timed(['-e', '0'], environment);
      const ratios: number[] = [];
      const loads: number[] = [];
      const bares: number[] = [];
      for (let i = 0; i < pairs; i += 1) {
        const loaded = timed(load, environment);
        const bare = timed(['-e', '0'], environment);
        loads.push(loaded);
        bares.push(bare);
        ratios.push(loaded / bare);
      }
      return {
        loadMs: Math.round(median(loads)),
        bareNodeMs: Math.round(median(bares)),
        ratioToBareNode: Number(median(ratios).toFixed(2)),
      };
    };
    // This machine sets NODE_EXTRA_CA_CERTS, which Node reads at every start (about 35 ms here): a bare node is then
    // slower, and the ratio smaller, than in Lambda, which does not set it. Both are measured; the goal is judged
    // without it.
    const { NODE_EXTRA_CA_CERTS: _extraCerts, ...asInLambda } = env;
    const files = readdirSync(join(dir, 'fn', 'handlers'), { recursive: true, withFileTypes: true }).filter((f) =>
      f.isFile(),
    );
    return {
      entryBytes: statSync(join(dir, 'fn', 'handlers', 'on-kms-activity.js')).size,
      packageBytes: files.reduce((sum, f) => sum + statSync(join(f.parentPath, f.name)).size, 0),
      ...inPairs(asInLambda),
      ...(process.env.NODE_EXTRA_CA_CERTS ? { withExtraCaCerts: inPairs(env) } : {}),
      pairs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const run = async (
  handler: Handler,
  counts: Awaited<ReturnType<typeof countingProxy>>['counts'],
  emulator: string,
  events: number,
  roles: number,
  keys: number,
  batchSize = defaultBatchSize,
) => {
  counts.requests.clear();
  counts.itemsWritten = 0;
  counts.readUnits = 0;
  counts.updatesByKey.clear();
  const calls = traffic(events, roles, keys);
  const batches = batchesOf(calls, batchSize);
  let sequence = 10n ** 55n;
  let milliseconds = 0;
  let responded = 0;
  let bytes = 0;
  let billedKb = 0;
  for (const batch of batches) {
    const records = batch.calls.map((call) => {
      const data = Buffer.from(JSON.stringify(call.event));
      bytes += data.length;
      billedKb += Math.ceil(data.length / 1024);
      sequence += 1n;
      return {
        data,
        sequenceNumber: String(sequence),
        partitionKey: call.partitionKey,
        arrivedAt: new Date(call.arrived),
      };
    });
    const event = kinesisEventOf(
      'arn:aws:kinesis:us-east-1:123456789012:stream/kms-warden-bench-activity',
      `shardId-00000000000${batch.shard}`,
      records,
    );
    const started = performance.now();
    const outcome = await handler(event, localLambdaContext('kms-warden-bench-onKmsActivity'));
    milliseconds += performance.now() - started;
    responded += outcome.responded;
  }
  const requests = [...counts.requests.values()].reduce((a, b) => a + b, 0);
  const written = await writeUnitsOf(counts.updatesByKey, emulator, 'kms-warden-bench-incidents');
  // Updates at their items' sizes; other writes (incidents, a few) at one unit each.
  const updates = [...counts.updatesByKey.values()].reduce((a, b) => a + b, 0);
  const writeUnits = written.units + (counts.itemsWritten - updates);
  const perMillion = 1e6 / events;
  const cost = {
    lambda:
      (batches.length * price.lambdaRequest + (milliseconds / 1000) * lambdaMemoryGb * price.lambdaGbSecond) *
      perMillion,
    kinesis: ((billedKb / 1024 / 1024) * price.kinesisInGb + (bytes / 1024 ** 3) * price.kinesisOutGb) * perMillion,
    dynamodb: (writeUnits * price.dynamodbWrite + counts.readUnits * price.dynamodbRead) * perMillion,
  };
  return {
    events,
    roles,
    keys,
    batchSize,
    batches: batches.length,
    signals: responded,
    requestsPer1000: Number(((requests / events) * 1000).toFixed(1)),
    itemsWrittenPer1000: Number(((counts.itemsWritten / events) * 1000).toFixed(1)),
    writeUnitsPer1000: Number(((writeUnits / events) * 1000).toFixed(1)),
    pairItemBytes: written.pairItemBytes,
    requestsByOperation: Object.fromEntries(counts.requests),
    averageEventBytes: Math.round(bytes / events),
    lambdaMsPerBatch: Math.round(milliseconds / batches.length),
    costPerMillionUsd: {
      lambda: Number(cost.lambda.toFixed(4)),
      kinesis: Number(cost.kinesis.toFixed(4)),
      dynamodb: Number(cost.dynamodb.toFixed(4)),
      total: Number((cost.lambda + cost.kinesis + cost.dynamodb).toFixed(4)),
    },
  };
};

const main = async () => {
  const moto = await startMotoServer();
  const proxy = await countingProxy(moto.endpoint);
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const stack = await provisionResponderStack('bench');
    // The function's requests go through the counting proxy; the stack was made directly.
    Object.assign(process.env, responderEnvironment(stack), { AWS_ENDPOINT_URL: proxy.endpoint });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after its environment, as Lambda does
    const { handler } = require('../../handlers/on-kms-activity') as { handler: Handler };
    const sizes = short
      ? [[1000, 20, 10]]
      : [
          [1000, 20, 10],
          [10_000, 20, 10],
          [100_000, 60, 200],
        ];
    const results = [];
    /** An empty emulator with the stack's table: each run learns from nothing. */
    const fresh = async () => {
      await moto.reset();
      Object.assign(process.env, { AWS_ENDPOINT_URL: moto.endpoint });
      await provisionResponderStack('bench');
      Object.assign(process.env, { AWS_ENDPOINT_URL: proxy.endpoint });
    };
    for (const [events, roles, keys] of sizes) {
      await fresh();
      const result = await run(handler, proxy.counts, moto.endpoint, events!, roles!, keys!);
      results.push(result);
      console.log(JSON.stringify(result));
    }
    console.log(
      `fixed: the stream costs $${(price.kinesisStreamHour * 730).toFixed(2)} a month (on-demand, $${price.kinesisStreamHour} per stream-hour), whatever the traffic`,
    );
    // The same first thousand, each event a batch of its own: what one invocation per event costs.
    await fresh();
    console.log(
      JSON.stringify({
        ...(await run(handler, proxy.counts, moto.endpoint, 1000, 20, 10, 1)),
        path: 'an event a batch',
      }),
    );
    const started = coldStart(short ? 3 : 15);
    console.log(JSON.stringify({ coldStart: started }));
    if (short) return;
    const goal = results.find((r) => r.events === 10_000)!;
    const misses = [
      ...(goal.itemsWrittenPer1000 > 20 ? [`items written per 1,000 events: ${goal.itemsWrittenPer1000} > 20`] : []),
      ...results
        .filter((r) => r.costPerMillionUsd.total >= 0.25)
        .map((r) => `cost per million at ${r.events}: $${r.costPerMillionUsd.total} >= $0.25`),
    ];
    if (started.ratioToBareNode > 2) misses.push(`cold start ${started.ratioToBareNode} times a bare node > 2`);
    for (const miss of misses) console.log(`MISSED: ${miss}`);
    if (misses.length > 0) process.exitCode = 1;
  } finally {
    proxy.close();
    await moto.stop();
  }
};

void main();
