import { InProcessKeyPolicyLock } from '../../../src/state/policy-texts';
import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import type { KeySnapshot } from '../../../src/rekey/key-snapshot';
import type { KeyReplacementPort, RekeyDeps } from '../../../src/rekey/step';
import { createReplacement } from '../../../src/rekey/steps/create-replacement';
import { acknowledgeResource } from '../../../src/rekey/acknowledge';
import { KeyNotReplaceableError } from '../../../src/errors';
import { rekeyingIncident } from '../../support/incidents';
import { record } from '../../support/records';

const keyArn = 'arn:aws:kms:us-west-2:123456789012:key/1';
const snapshot = {
  keyArn,
  region: 'us-west-2',
  aliases: [],
  tags: {},
  keySpec: 'SYMMETRIC_DEFAULT',
  origin: 'AWS_KMS',
} as unknown as KeySnapshot;

/** The replicas' own policy, as the step reads it when it makes their new replicas. */
const replicaPolicy = {
  text: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*' }],
  }),
};

const setup = async (of: Partial<KeySnapshot> = {}) => {
  const incidents = new InMemoryIncidentStore();
  const incident = await rekeyingIncident(incidents, keyArn, record('ScheduleKeyDeletion.assumed-role'));
  const calls: string[] = [];
  const created: Array<Record<string, string>> = [];
  const keys = {
    findKeyTagged: async () => undefined,
    createReplacement: async (_snapshot: KeySnapshot, tags: Record<string, string>) => (
      created.push(tags),
      calls.push('create'),
      'arn:aws:kms:us-west-2:123456789012:key/made-here'
    ),
    ensureRotation: async (arn: string) => void calls.push(`rotation ${arn}`),
    keyPolicy: async () => replicaPolicy.text,
    ensureReplica: async (arn: string, replica: { region: string }, _policy: string, tags: Record<string, string>) => (
      calls.push(`replica of ${arn} in ${replica.region} tagged ${Object.keys(tags).join(',')}`),
      arn.replace(':us-west-2:', `:${replica.region}:`)
    ),
    disable: async (arn: string) => void calls.push(`disable ${arn}`),
    scheduleDeletion: async (arn: string, days: number) => (
      calls.push(`delete ${arn} in ${days}`),
      '2026-12-05T00:00:00.000Z'
    ),
  } as unknown as KeyReplacementPort;
  const deps = {
    incidents,
    keys,
    services: [],
    notifier: { send: async () => 'm' },
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => new Date('2026-11-28T13:00:00.000Z'),
    settings: { settleMinutes: 0, deletionApprovalDays: 14 },
    workflow: { resume: async () => false },
    keyPolicyLock: new InProcessKeyPolicyLock(),
  } satisfies RekeyDeps;
  const step = () =>
    createReplacement.run(
      {
        run: { incidentId: incident.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' },
        snapshot: { ...snapshot, ...of },
      },
      deps,
    );
  return { incidents, incident, calls, created, step };
};

describe('creating the replacement key', () => {
  it('creates it once, turns rotation on, and a retry finds the one recorded', async () => {
    const { step, calls } = await setup();
    expect(await step()).toEqual({ keyArn: 'arn:aws:kms:us-west-2:123456789012:key/made-here' });
    expect(await step()).toEqual({ keyArn: 'arn:aws:kms:us-west-2:123456789012:key/made-here' });
    expect(calls.filter((c) => c === 'create')).toHaveLength(1);
    expect(calls.filter((c) => c.startsWith('rotation'))).toHaveLength(2);
  });

  it('schedules the deletion of a key it made when a concurrent run recorded another first', async () => {
    const { step, calls, incidents, incident } = await setup();
    await incidents.claimReplacementKey(
      incident.id,
      'arn:aws:kms:us-west-2:123456789012:key/theirs',
      '2026-11-28T12:59:00.000Z',
    );
    // This run read the incident before that claim: it creates, then loses the claim.
    const stale = {
      ...(await incidents.get(incident.id))!,
      rekey: { ...(await incidents.get(incident.id))!.rekey!, replacementKeyArn: undefined },
    };
    const get = incidents.get.bind(incidents);
    incidents.get = async () => stale;
    const result = await step();
    incidents.get = get;
    expect(result).toEqual({ keyArn: 'arn:aws:kms:us-west-2:123456789012:key/theirs' });
    expect(calls).toEqual([
      'create',
      'disable arn:aws:kms:us-west-2:123456789012:key/made-here',
      'delete arn:aws:kms:us-west-2:123456789012:key/made-here in 7',
      'rotation arn:aws:kms:us-west-2:123456789012:key/theirs',
    ]);
  });
});

describe('a policy that lets outsiders in', () => {
  const widened = {
    ...snapshot,
    policy: JSON.stringify({
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'kms:*' },
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'kms:Decrypt' },
      ],
    }),
  } as KeySnapshot;

  it('stops before copying it to the replacement, until a person acknowledges it', async () => {
    const { incidents, incident, calls } = await setup();
    const deps = {
      incidents,
      keys: {
        findKeyTagged: async () => undefined,
        createReplacement: async () => (calls.push('create'), 'arn:new'),
        ensureRotation: async () => undefined,
      } as unknown as KeyReplacementPort,
      services: [],
      notifier: { send: async () => 'm' },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date('2026-11-28T13:00:00.000Z'),
      settings: { settleMinutes: 0, deletionApprovalDays: 14, trustedAccounts: [] },
      workflow: { resume: async () => false },
      keyPolicyLock: new InProcessKeyPolicyLock(),
    } satisfies RekeyDeps;
    const run = { incidentId: incident.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' };
    await expect(createReplacement.run({ run, snapshot: widened }, deps)).rejects.toMatchObject({
      name: 'ForeignPrincipalsInPolicy',
    });
    expect(calls).toEqual([]);
    expect((await incidents.get(incident.id))!.rekey!.resources['kms:policy:foreign-principals']).toMatchObject({
      status: 'needs-human',
      detail: expect.stringContaining('arn:aws:iam::999999999999:root'),
    });

    // A trusted account is no outsider; and once acknowledged, the same policy is copied.
    await expect(
      createReplacement.run(
        { run, snapshot: widened },
        { ...deps, settings: { ...deps.settings, trustedAccounts: ['999999999999'] } },
      ),
    ).resolves.toEqual({ keyArn: 'arn:new' });
  });
});

describe('a replacement like the old key, or none', () => {
  it.each([['EXTERNAL'], ['AWS_CLOUDHSM'], ['EXTERNAL_KEY_STORE']])(
    'refuses a key of origin %s with a plan for a person, and makes no key',
    async (origin) => {
      const { step, calls, incidents, incident } = await setup({ origin });
      await expect(step()).rejects.toThrow(KeyNotReplaceableError);
      expect(calls).toEqual([]);
      const plan = (await incidents.get(incident.id))!.rekey!.resources['kms:key:not-replaceable']!;
      expect(plan).toMatchObject({ status: 'needs-human', id: keyArn, detail: expect.stringContaining(origin) });
      expect(plan.instructions!.join(' ')).toMatch(/create-key --origin/);
    },
  );

  it("copies at most 50 tags (kms-warden's two first, not its mode or protection), and records those left", async () => {
    const owners = Object.fromEntries(Array.from({ length: 55 }, (_, i) => [`t${String(i).padStart(2, '0')}`, 'v']));
    const { step, created, incidents, incident } = await setup({
      tags: { ...owners, 'kms-warden:mode': 'observe', 'kms-warden:protected': 'true' },
    });
    await step();
    const tags = created[0]!;
    expect(Object.keys(tags)).toHaveLength(50);
    expect(tags).toMatchObject({
      'kms-warden:replaces': keyArn,
      'kms-warden:incident': incident.id,
      t00: 'v',
      t47: 'v',
    });
    expect(tags).not.toHaveProperty('kms-warden:mode');
    expect(tags).not.toHaveProperty('t48');
    const timeline = (await incidents.get(incident.id))!.timeline!.map((entry) => entry.what);
    expect(timeline).toContainEqual(expect.stringMatching(/did not get t48, t49, t50, t51, t52, t53, t54$/));
  });

  it('refuses a replica of a multi-Region key, pointing at its primary', async () => {
    const primary = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1';
    const { step, calls, incidents, incident } = await setup({ multiRegion: true, primaryKeyArn: primary });
    await expect(step()).rejects.toBeInstanceOf(KeyNotReplaceableError);
    expect(calls).toEqual([]);
    expect((await incidents.get(incident.id))!.rekey!.resources['kms:key:not-replaceable']).toMatchObject({
      status: 'needs-human',
      detail: expect.stringContaining(`a replica of the multi-Region key ${primary}`),
      instructions: [expect.stringContaining(`rekey run ${primary} --yes`)],
    });
  });

  it("gives a multi-Region primary's replacement a replica in each replica Region, each with its own tags, once", async () => {
    const replica = {
      keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1',
      region: 'eu-west-1',
      description: 'orders in Europe',
      tags: { team: 'eu-orders' },
      aliases: ['alias/orders'],
    };
    const { step, calls, incidents, incident } = await setup({
      multiRegion: true,
      primaryKeyArn: keyArn,
      replicas: [replica],
    });
    await step();
    await step();
    const made = 'arn:aws:kms:eu-west-1:123456789012:key/made-here';
    expect(calls.filter((c) => c.startsWith('replica'))).toEqual([
      `replica of arn:aws:kms:us-west-2:123456789012:key/made-here in eu-west-1 tagged team,kms-warden:replaces,kms-warden:incident`,
      // Asked again on a retry: the adapter finds the replica made before (ReplicaKeys) and makes none.
      `replica of arn:aws:kms:us-west-2:123456789012:key/made-here in eu-west-1 tagged team,kms-warden:replaces,kms-warden:incident`,
    ]);
    const item = (await incidents.get(incident.id))!.rekey!.resources[`kms:eu-west-1:replica-region:${replica.keyArn}`];
    expect(item).toMatchObject({ status: 'needs-human', detail: expect.stringContaining(made) });
    expect(
      (await incidents.get(incident.id))!.timeline.filter((t) => t.what.startsWith('replica of the replacement')),
    ).toHaveLength(1);
  });

  it("stops before copying a replica's policy that lets an outside account in, until a person acknowledges it", async () => {
    const replica = {
      keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/1',
      region: 'eu-west-1',
      description: 'orders in Europe',
      tags: {},
      aliases: [],
    };
    const widened = replicaPolicy.text;
    replicaPolicy.text = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: 'kms:Decrypt' }],
    });
    try {
      const { step, calls, incidents, incident } = await setup({
        multiRegion: true,
        primaryKeyArn: keyArn,
        replicas: [replica],
      });
      await expect(step()).rejects.toMatchObject({ name: 'ForeignPrincipalsInPolicy' });
      expect(calls.filter((c) => c.startsWith('replica'))).toEqual([]);
      const key = `kms:eu-west-1:replica-policy:${replica.keyArn}`;
      expect((await incidents.get(incident.id))!.rekey!.resources[key]).toMatchObject({
        status: 'needs-human',
        detail: expect.stringContaining('arn:aws:iam::999999999999:root'),
      });
      await acknowledgeResource(
        incidents,
        { resume: async () => false },
        incident.id,
        key,
        'bob',
        'a partner',
        '2026-11-28T13:10:00.000Z',
      );
      await step();
      expect(calls.filter((c) => c.startsWith('replica'))).toHaveLength(1);
    } finally {
      replicaPolicy.text = widened;
    }
  });
});
