import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { DescribeVolumesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { main } from '../../src/cli/main';
import { projectRoot } from '../../src/local/stack-definition';
import { useMoto } from '../support/moto';

type Line = { step: string; [key: string]: unknown };

/**
 * What re-keying leaves of each seeded resource: moved, or (the volume, the database) cut over by the person the
 * demo plays. The DynamoDB table is acknowledged: moto keeps a table's key whatever UpdateTable asks.
 */
const everySeededResource = [
  'dynamodb:acknowledged',
  // The volume, replaced by a person; the snapshot, copied, its original deleted by a person.
  'ebs:cut-over',
  'ebs:cut-over',
  'rds:cut-over',
  's3:re-encrypted',
  's3:re-encrypted',
  'secretsmanager:re-encrypted',
  'ssm:re-encrypted',
];

/**
 * `npm start -- ARGS` in a process of its own (the handlers read their settings once, when they load, as in Lambda)
 * with its own moto; it must end cleanly, saying nothing on stderr. Returns its JSON lines.
 */
const npmStart = (...args: string[]): Line[] =>
  linesOf(spawnSync('npm', ['start', '--silent', '--', ...args], spawnOptions()));

/** The same through the package's bin, as `npx kms-warden local` runs it. */
const viaBin = (...args: string[]): Line[] =>
  linesOf(spawnSync(process.execPath, [join(projectRoot, 'src/cli/kms-warden.cjs'), 'local', ...args], spawnOptions()));

const spawnOptions = () => {
  const env = { ...process.env };
  delete env.AWS_ENDPOINT_URL;
  return {
    cwd: projectRoot,
    env,
    encoding: 'utf8' as const,
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'] as Array<'ignore' | 'pipe'>,
  };
};

const linesOf = (run: SpawnSyncReturns<string>): Line[] => {
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Line);
};

describe('npm start: the local demo', () => {
  const moto = useMoto();

  it('uses the emulator AWS_ENDPOINT_URL names, undoes the deletion, and re-keys through the approval links', async () => {
    const lines: string[] = [];
    const code = await main(['local', '--auto-approve', '--json'], {
      out: (line) => lines.push(line),
      err: (line) => lines.push(`stderr: ${line}`),
    });
    expect(code).toBe(0);
    const steps = lines.map((line) => JSON.parse(line) as Line);
    const kinds = steps.map((s) => s.step).filter((step) => step !== 'rekey-state' && step !== 'rekey');
    expect(kinds).toEqual([
      'emulator',
      'stack',
      'key',
      'baseline',
      'enumeration',
      'denied',
      'new-source',
      'grant',
      'attack',
      'response',
      'incident',
      'notification',
      'redelivery',
      'plan',
      'approval',
      'decided',
      'person',
      'person',
      'person',
      'person',
      'acknowledged',
      'approval',
      'decided',
      'done',
    ]);
    // The run waited for people on task tokens, and the acknowledgement and the approval resumed it.
    const states = steps.filter((s) => s.step === 'rekey-state').map((s) => (s as Line & { state: string }).state);
    expect(states).toEqual(expect.arrayContaining(['WaitForPeople', 'WaitForDeletionApproval', 'ScheduleDeletion']));
    // Every scenario event went through the real rule patterns in the emulator's EventBridge.
    // Each step raised the signals its attack should, as the incidents recorded them.
    const played = steps.filter((s) =>
      ['baseline', 'enumeration', 'denied', 'new-source', 'grant', 'attack'].includes(s.step),
    ) as Array<
      Line & { events: number; routed: number; streamed: number; signals: string[]; incidents: Record<string, string> }
    >;
    // Direct calls (decrypts, reads, refusals) went through the activity stream; the control-plane ones did not.
    expect(
      played.map((s) => [s.step, s.events, s.routed, s.streamed, s.signals, Object.keys(s.incidents).length]),
    ).toEqual([
      ['baseline', 3, 3, 3, [], 0],
      ['enumeration', 20, 20, 20, ['key-enumeration'], 1],
      ['denied', 20, 20, 20, ['access-denied-burst'], 1],
      ['new-source', 1, 1, 1, ['new-source-for-principal'], 1],
      ['grant', 1, 1, 0, ['grant-external-principal'], 1],
      ['attack', 1, 1, 0, ['key-deletion-scheduled'], 1],
    ]);
    // One attacker, one story: every step of the attack is the same incident, across keys and detectors.
    const attackIncidents = new Set(played.slice(1).flatMap((s) => Object.keys(s.incidents)));
    expect(attackIncidents.size).toBe(1);
    const [storyId] = [...attackIncidents];
    const story = (steps.find((s) => s.step === 'incident') as Line & { incident: Record<string, unknown> }).incident;
    expect(story).toMatchObject({
      id: storyId,
      severity: 'critical',
      severityReason: 'reconnaissance followed by destruction',
    });
    expect((story.signals as Array<{ detector: string; mitre: string[] }>).map((s) => [s.detector, s.mitre])).toEqual([
      ['key-enumeration', ['T1580', 'T1526']],
      ['access-denied-burst', ['T1110', 'T1580']],
      ['new-source-for-principal', ['T1078', 'T1550']],
      ['grant-external-principal', ['T1098']],
      ['key-deletion-scheduled', ['T1485']],
    ]);
    // One message, updated: in Slack one message, edited in place, each update a reply in its thread; by SNS one page,
    // then short updates naming the incident: at once when the grant made the story critical (a multi-stage attack),
    // and the deletion after the quiet period, by the sweep.
    const told = steps.find((s) => s.step === 'notification') as Line & {
      pages: number;
      updates: number;
      updated: string[];
      slack: Array<{ edits: number; replies: number }>;
    };
    expect(told).toMatchObject({ pages: 1, updates: 2, updated: [storyId] });
    expect(told.slack).toHaveLength(1);
    expect(told.slack[0]!.edits).toBeGreaterThanOrEqual(4);
    expect(told.slack[0]!.replies).toBe(2);
    expect(steps.find((s) => s.step === 'response')).toMatchObject({
      keyState: 'Enabled',
      deletionDate: null,
      outsiderGrant: false,
      quarantined: true,
    });
    // Approving ran the deployed workflow definition through the local interpreter, state by state.
    expect(steps.filter((s) => s.step === 'rekey-state').map((s) => s.state)).toEqual(
      expect.arrayContaining([
        'Begin',
        'Snapshot',
        'CreateReplacement',
        'MoveAliases',
        'Inventory',
        'ReEncrypt',
        'Verify',
        'RequestDeletionApproval',
        'ScheduleDeletion',
      ]),
    );
    const done = steps.find((s) => s.step === 'done') as Line & {
      oldKeyState: string;
      incident: { status: string; rekey: { resources: Record<string, { service: string; status: string }> } };
    };
    expect(done.oldKeyState).toBe('PendingDeletion');
    expect(done.incident.status).toBe('deletion-scheduled');
    // Every seeded resource moved: by re-keying, or (the volume, the database) cut over by the person the demo plays.
    // The DynamoDB table is acknowledged: moto keeps a table's key whatever UpdateTable asks.
    expect(
      Object.values(done.incident.rekey.resources)
        .map((r) => `${r.service}:${r.status}`)
        .sort(),
    ).toEqual(everySeededResource);
    // And in the emulator: no volume or database the demo seeded is left on the old key (the table is, as said above).
    const oldKey = (steps.find((s) => s.step === 'key') as Line & { keyArn: string }).keyArn;
    const { Volumes = [] } = await new EC2Client({}).send(new DescribeVolumesCommand({}));
    expect(Volumes.filter((v) => v.KmsKeyId === oldKey)).toEqual([]);
    expect(
      Volumes.filter(
        (v) => v.KmsKeyId === (done.incident.rekey as unknown as { replacementKeyArn: string }).replacementKeyArn,
      ),
    ).toHaveLength(1);
    const { DBInstances = [] } = await new RDSClient({}).send(new DescribeDBInstancesCommand({}));
    expect(DBInstances.filter((db) => db.KmsKeyId === oldKey)).toEqual([]);
    expect(steps[0]).toMatchObject({ endpoint: moto.endpoint, started: false });
    expect(steps.find((s) => s.step === 'incident')).toMatchObject({ incident: { status: 'awaiting-approval' } });
    const redelivered = steps.find((s) => s.step === 'redelivery') as Line & { incidents: Record<string, string> };
    expect(redelivered.incidents).toEqual({
      [(steps.find((s) => s.step === 'incident') as Line & { incident: { id: string } }).incident.id]:
        'awaiting-approval',
    });
  });

  it('starts its own moto through the real entry point and runs to the end without waiting', () => {
    const steps = npmStart('--auto-approve', '--json');
    expect(steps[0]).toMatchObject({ step: 'emulator', started: true });
    // The scenario's end state, as the run reported it from its own emulator (gone with it now).
    // Each attack step's signal, in order, and the deletion's again on its redelivery (attached once, not acted on).
    expect(steps.filter((s) => Array.isArray(s.signals)).flatMap((s) => s.signals as string[])).toEqual([
      'key-enumeration',
      'access-denied-burst',
      'new-source-for-principal',
      'grant-external-principal',
      'key-deletion-scheduled',
      'key-deletion-scheduled',
    ]);
    expect(steps.find((s) => s.step === 'response')).toMatchObject({
      keyState: 'Enabled',
      deletionDate: null,
      outsiderGrant: false,
      quarantined: true,
    });
    expect(steps.at(-1)).toMatchObject({
      step: 'done',
      oldKeyState: 'PendingDeletion',
      incident: { status: 'deletion-scheduled' },
    });
    // Every seeded resource, one by one, moved or cut over (the table acknowledged: moto keeps a table's key).
    expect(
      (steps.at(-1)!.resources as Array<{ service: string; status: string }>)
        .map((r) => `${r.service}:${r.status}`)
        .sort(),
    ).toEqual(everySeededResource);
  });

  it('answers --help and refuses an unknown command with exit code 2', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (line: string) => out.push(line), err: (line: string) => err.push(line) };
    expect(await main(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('kms-warden local');
    expect(await main(['launch-missiles'], io)).toBe(2);
    expect(err).toEqual(['kms-warden: unknown command "launch-missiles". See kms-warden --help.']);
    expect(await main(['local', '--no-such-flag'], io)).toBe(2);
    expect(err[1]).toMatch(/^kms-warden local: Unknown option '--no-such-flag'/);
    expect(await main(['local', '--scenario', 'alien-invasion'], io)).toBe(2);
    expect(err[2]).toBe(
      'kms-warden local: no scenario "alien-invasion" (one of stolen-role, deletion, organization). See kms-warden local --help.',
    );
  });

  it('ends, and says so, when the person at the terminal rejects instead of approving', async () => {
    const steps: Line[] = [];
    let rejected: Promise<number> | undefined;
    const write = (line: string) => {
      const step = JSON.parse(line) as Line & { url?: string };
      steps.push(step);
      // A person opens the approval link, reads the page and presses Reject (the page's second form).
      if (step.step === 'waiting' && !rejected) {
        const approve = (steps.findLast((s) => s.step === 'approval') as Line & { url: string }).url;
        rejected = fetch(approve)
          .then((page) => page.text())
          .then((html) =>
            fetch(new URL(/<form method="post" action="([^"]+)"><button class="reject"/.exec(html)![1]!, approve), {
              method: 'POST',
            }),
          )
          .then((reply) => reply.status);
      }
    };
    // A module registry of its own: the handlers read the settings of this run's stack when they load.
    let result: { failed?: boolean } = {};
    await jest.isolateModulesAsync(async () => {
      const { runLocalDemo } = await import('../../src/local/demo');
      result = await runLocalDemo({ json: true, autoApprove: false, scenario: 'deletion', write });
    });
    expect(await rejected).toBe(200);
    expect(result.failed).toBe(false);
    expect(steps.at(-1)).toMatchObject({ step: 'ended', action: 'reject', status: 'released' });
    expect(steps.map((s) => s.step)).not.toContain('rekey-state');
  });

  it("plays another scenario through the package's bin, in another Region: one deletion by a role that is not a key administrator", () => {
    const steps = viaBin('--scenario', 'deletion', '--auto-approve', '--json', '--region', 'eu-west-1');
    expect((steps.find((s) => s.step === 'key') as Line & { keyArn: string }).keyArn).toMatch(
      /^arn:aws:kms:eu-west-1:/,
    );
    expect(steps.map((s) => s.step)).not.toContain('enumeration');
    expect(steps.find((s) => s.step === 'attack')).toMatchObject({ routed: 1 });
    expect(steps.find((s) => s.step === 'done')).toMatchObject({
      oldKeyState: 'PendingDeletion',
      incident: { status: 'deletion-scheduled' },
    });
  });

  it('plays the organization scenario to its end: an attack in a member account contained from the central account, each change made in its own account', () => {
    const steps = viaBin('--scenario', 'organization', '--auto-approve', '--json');
    const organization = steps.find((s) => s.step === 'organization') as Line & {
      central: string;
      members: { payments: string; analytics: string };
    };
    const { payments, analytics } = organization.members;
    expect(steps.filter((s) => s.step === 'member')).toEqual([
      expect.objectContaining({ name: 'payments', status: 'CREATE_COMPLETE' }),
      expect.objectContaining({ name: 'analytics', status: 'CREATE_COMPLETE' }),
    ]);
    // A grant to another account of the organization raises nothing; every event crossed to the central bus.
    expect(steps.find((s) => s.step === 'member-grant')).toMatchObject({ routed: 1, incidents: {} });
    expect(steps.find((s) => s.step === 'response')).toMatchObject({
      keyState: 'Enabled',
      outsiderGrant: false,
      memberGrant: true,
      ciDeployerQuarantined: true,
      etlWorkerQuarantined: true,
      centralKeys: 0,
    });
    expect(steps.filter((s) => s.step === 'decided')).toEqual([
      expect.objectContaining({ action: 'disable-key', status: 200 }),
      expect.objectContaining({ action: 'approve-rekey', status: 200 }),
      expect.objectContaining({ action: 'approve-deletion', status: 200 }),
    ]);
    const done = steps.at(-1) as Line & {
      changes: Record<string, string[]>;
      incidents: Array<{ accountName: string }>;
      replacementKeyArn: string;
    };
    expect(done.step).toBe('done');
    expect(done.changes[organization.central]).toEqual([]);
    expect(done.changes[payments]).toEqual(
      expect.arrayContaining([
        'cancel-key-deletion',
        'revoke-grants',
        'quarantine-principal',
        'disable-key (decided)',
        `re-keyed onto ${done.replacementKeyArn}`,
        'old key scheduled for deletion (decided)',
      ]),
    );
    expect(done.changes[analytics]).toEqual(['quarantine-principal']);
    // Re-keyed in payments, through the member role: the replacement is a key of payments.
    expect(done.replacementKeyArn).toContain(`:${payments}:key/`);
    expect(done).toMatchObject({ keyState: 'PendingDeletion' });
    // The grant and the deletion by one role in payments are one story; the finding in analytics is another.
    expect(done.incidents.map((i) => i.accountName).sort()).toEqual(['analytics', 'payments']);
  });
});
