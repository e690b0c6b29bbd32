/**
 * npm run bench:containment: how many sequential AWS round trips containing one key takes. Every AWS call (KMS,
 * IAM, DynamoDB, SNS) is answered after a fixed delay; calls that start within the same delay window are one round
 * trip. The signal: a suspect role that opened a key to another account and holds 50 grants on it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
} from '@aws-sdk/client-kms';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { IamPrincipals } from '../../src/aws/iam-principals';
import { KmsKeys } from '../../src/aws/kms-keys';
import { SnsNotifier } from '../../src/aws/sns-notifier';
import { detectSignals } from '../../src/detections';
import { defaultThresholds } from '../../src/detections';
import { normaliseKmsApiCall } from '../../src/events/kms-api-call';
import { kmsApiCallRecord } from '../../src/local/cloudtrail-records';
import { InMemoryDetectionMemory } from '../../src/state/in-memory-detection-memory';
import { InMemoryIncidentStore } from '../../src/incidents/in-memory-incident-store';
import { InMemoryKeyJournal } from '../../src/state/in-memory-key-journal';
import { InMemoryCircuitBreaker } from '../../src/policy/circuit-breaker';
import { respondToSignals, type ResponderDeps } from '../../src/respond/respond-to-signals';
import { InMemoryPolicyTexts, InProcessKeyPolicyLock } from '../../src/state/policy-texts';

/** `--short` (CI): one run, nothing checked, so the bench runs on every change and cannot rot. */
const short = process.argv.includes('--short');
const delayMs = Number(process.env.BENCH_DELAY_MS ?? 100);
Object.assign(process.env, {
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
const grants = 50;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const run = async (revokesPerSecond: number) => {
  const starts: Array<{ at: number; call: string }> = [];
  const delayed =
    <T>(call: string, answer: () => T) =>
    async () => {
      starts.push({ at: Date.now(), call });
      await sleep(delayMs);
      return answer();
    };
  const kms = mockClient(KMSClient);
  const iam = mockClient(IAMClient);
  const sns = mockClient(SNSClient);
  const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const suspect = 'arn:aws:iam::123456789012:role/ci-deployer';
  kms.on(ListResourceTagsCommand).callsFake(delayed('kms:ListResourceTags', () => ({ Tags: [] })));
  kms
    .on(GetKeyPolicyCommand)
    .callsFake(delayed('kms:GetKeyPolicy', () => ({ Policy: '{"Version":"2012-10-17","Statement":[]}' })));
  kms.on(PutKeyPolicyCommand).callsFake(delayed('kms:PutKeyPolicy', () => ({})));
  kms.on(ListGrantsCommand).callsFake(
    delayed('kms:ListGrants', () => ({
      Grants: Array.from({ length: grants }, (_, i) => ({
        GrantId: `g${i}`,
        GranteePrincipal: suspect,
        Operations: ['Decrypt'],
      })),
    })),
  );
  kms.on(RevokeGrantCommand).callsFake(delayed('kms:RevokeGrant', () => ({})));
  iam.on(GetRolePolicyCommand).callsFake(async () => {
    starts.push({ at: Date.now(), call: 'iam:GetRolePolicy' });
    await sleep(delayMs);
    throw new NoSuchEntityException({ message: 'none', $metadata: {} });
  });
  iam.on(PutRolePolicyCommand).callsFake(delayed('iam:PutRolePolicy', () => ({})));
  // The suspect role, found by its name (quarantine acts on the exact principal).
  iam
    .on(GetRoleCommand)
    .callsFake(delayed('iam:GetRole', () => ({ Role: { Arn: suspect, RoleName: suspect.split('/').at(-1) } })));
  sns.on(PublishCommand).callsFake(delayed('sns:Publish', () => ({ MessageId: 'm' })));

  /**
   * The stores as their contract says (the in-memory ones the unit tests check against DynamoDB's), each call
   * answered after the same delay as AWS's: a DynamoDB round trip.
   */
  const delayedStore = <T extends object>(store: T, name: string): T =>
    new Proxy(store, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          starts.push({ at: Date.now(), call: `dynamodb:${name}.${String(property)}` });
          await sleep(delayMs);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const deps: ResponderDeps = {
    quietMinutes: 5,
    kms: new KmsKeys(() => new KMSClient({ region: 'us-east-1' })),
    iam: new IamPrincipals(new IAMClient({ region: 'us-east-1' })),
    policyTexts: new InMemoryPolicyTexts(),
    keyPolicyLock: new InProcessKeyPolicyLock(),
    incidents: delayedStore(new InMemoryIncidentStore(), 'incidents'),
    keyStates: delayedStore(new InMemoryKeyJournal(), 'keyStates'),
    keyPolicies: delayedStore(new InMemoryKeyJournal(), 'keyPolicies'),
    keySettings: {
      administrators: delayedStore(new InMemoryKeyJournal(), 'keySettings'),
      others: delayedStore(new InMemoryKeyJournal(), 'keySettings'),
    },
    memory: new InMemoryDetectionMemory(),
    breaker: delayedStore(new InMemoryCircuitBreaker(3), 'breaker'),
    notifier: new SnsNotifier(new SNSClient({ region: 'us-east-1' }), 'arn:aws:sns:us-east-1:123456789012:t'),
    logger: new Logger({ logLevel: 'SILENT' }),
    settings: {
      keyAdministrators: [],
      trustedAccounts: [],
      trustedOrganizations: [],
      thresholds: defaultThresholds,
      responderRoles: [],
      unknownPriorKeyState: 'Enabled',
      defaultMode: 'contain',
      protectedKeys: [],
      dryRun: false,
      disableKeysPerHour: 3,
      revokesPerSecond,
    },
    now: () => new Date(),
  };
  const policy = JSON.stringify({
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'kms:*', Resource: '*' },
    ],
  });
  const record = kmsApiCallRecord({
    eventName: 'PutKeyPolicy',
    keyArn,
    caller: { roleArn: suspect, sessionName: 's' },
    requestParameters: { policy },
  });
  const signals = detectSignals(normaliseKmsApiCall(record, { responderRoles: [] }), deps.settings).filter(
    (s) => s.detector === 'key-policy-cross-account',
  );
  const started = Date.now();
  const outcome = await respondToSignals(signals, deps).catch((error: Error) => error);
  if (outcome instanceof Error) throw outcome;
  const elapsed = Date.now() - started;
  for (const mock of [kms, iam, sns]) mock.restore();

  /** Calls that start within a delay of each other are one round trip. */
  const rounds = (calls: typeof starts) => {
    const times = calls.map((c) => c.at).sort((a, b) => a - b);
    let count = 0;
    let roundStart = -Infinity;
    for (const at of times) {
      if (at - roundStart < delayMs * 0.8) continue;
      count += 1;
      roundStart = at;
    }
    return count;
  };
  const containment = starts.filter((c) => c.call.startsWith('kms:') || c.call.startsWith('iam:'));
  return {
    revokesPerSecond,
    containmentRoundTrips: rounds(containment),
    allRoundTrips: rounds(starts),
    calls: starts.length,
    revokes: starts.filter((c) => c.call === 'kms:RevokeGrant').length,
    elapsedMs: elapsed,
    delayMs,
  };
};

const main = async () => {
  const results = [];
  for (const perSecond of short ? [50] : [10, 50]) results.push(await run(perSecond));
  console.log(JSON.stringify(results, null, 2));
  if (short) return;
  const atQuota = results.find((r) => r.revokesPerSecond === 50)!;
  if (atQuota.containmentRoundTrips > 4) {
    console.error(`missed: ${atQuota.containmentRoundTrips} sequential KMS/IAM round trips with 50 revokes a second`);
    process.exitCode = 1;
  }
};

void main();
