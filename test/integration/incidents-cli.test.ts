import { CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { main } from '../../src/cli/main';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { documentClient } from '../../src/aws/clients';
import { provisionResponderStack, responderEnvironment } from '../../src/local/responder-stack';
import { incidentFrom } from '../support/incidents';
import { useMoto } from '../support/moto';
import { record } from '../support/records';
import { captured } from '../support/captured-io';

describe('kms-warden incidents and decisions, through the CLI, against moto', () => {
  useMoto();
  let incidents: DynamoDbIncidentStore;
  let keyArn: string;
  let incidentId: string;

  beforeAll(async () => {
    const stack = await provisionResponderStack('cli-incidents');
    Object.assign(process.env, responderEnvironment(stack), { USER: 'erin' });
    incidents = new DynamoDbIncidentStore(documentClient(), stack.incidentTable);
    keyArn = (await new KMSClient({}).send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const draft = {
      ...incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID: 'cli-1' }),
      keyArn,
      group: 'cli-1',
      plan: [{ type: 'disable-key' as const, params: { keyArn }, run: 'approval' as const }],
    };
    await incidents.open(draft);
    await incidents.recordContainment(
      draft.id,
      [{ outcome: 'not-run', reason: 'offered for approval' }],
      '2026-11-28T12:00:01.000Z',
    );
    incidentId = draft.id;
  });

  it('lists active incidents and shows one with its timeline', async () => {
    const listed = captured();
    expect(await main(['incidents', 'list', '--json'], listed.io)).toBe(0);
    expect(listed.out.map((l) => JSON.parse(l) as { id: string; status: string })).toEqual([
      expect.objectContaining({ id: incidentId, status: 'contained', keyArn }),
    ]);
    const shown = captured();
    expect(await main(['incidents', 'show', incidentId], shown.io)).toBe(0);
    expect(shown.out[0]).toContain('A KMS key was scheduled for deletion');
    expect(shown.out).toEqual(
      expect.arrayContaining([
        'Timeline:',
        expect.stringMatching(/^ {2}2026-11-28T12:00:01.000Z {2}containment ran: 1 not-run$/),
      ]),
    );
    const bad = captured();
    expect(await main(['incidents', 'list', '--status', 'opened'], bad.io)).toBe(2);
    expect(bad.err[0]).toMatch(/^kms-warden incidents: unknown status opened/);

    // Each incident names its account and Region; --account keeps one account's.
    const { account, region } = JSON.parse(listed.out[0]!) as { account: string; region: string };
    expect(account).toMatch(/^\d{12}$/);
    const text = captured();
    expect(await main(['incidents', 'list', '--account', account], text.io)).toBe(0);
    expect(text.out).toEqual([expect.stringContaining(`  ${account}, ${region}  `)]);
    const other = captured();
    expect(await main(['incidents', 'list', '--account', '999988887777', '--json'], other.io)).toBe(0);
    expect(other.out).toEqual([]);
    expect(await main(['incidents', 'list', '--account', 'payments'], captured().io)).toBe(2);
  });

  it('shows a story as a timeline of its steps with their ATT&CK ids, and carries it in --json', async () => {
    const draft = {
      ...incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID: 'story-opening' }),
      group: 'story|cli',
      plan: [],
    };
    const opening = { ...draft, signal: { ...draft.signal, detector: 'key-enumeration' as const } };
    opening.signals = [{ ...draft.signals[0]!, detector: 'key-enumeration', mitre: ['T1580', 'T1526'] }];
    await incidents.open(opening);
    await incidents.recordContainment(opening.id, [], '2026-11-28T12:00:01.000Z');
    const deletion = incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID: 'story-deletion' });
    await incidents.attachSignal(opening.id, deletion.signals[0]!, [], 0, '2026-11-28T12:05:00.000Z', {
      signalCount: 1,
      before: 'medium',
      severity: 'critical',
      severityReason: 'reconnaissance followed by destruction',
      storyWindow: opening.storyWindow!,
      keys: [deletion.keyArn!],
      keyArn: deletion.keyArn,
    });
    const shown = captured();
    expect(await main(['incidents', 'show', opening.id], shown.io)).toBe(0);
    const story = shown.out.slice(
      shown.out.indexOf('Story: 2 steps, severity critical (reconnaissance followed by destruction)'),
    );
    expect(story[0]).toBe('Story: 2 steps, severity critical (reconnaissance followed by destruction)');
    expect(story.filter((line) => /^ {2}\S+ {2}\[/.test(line))).toEqual([
      expect.stringMatching(/\[T1580, T1526\] {2}key-enumeration \(reconnaissance\)/),
      expect.stringMatching(/\[T1485\] {2}key-deletion-scheduled \(destruction\) {2}critical$/),
    ]);
    const json = captured();
    expect(await main(['incidents', 'show', opening.id, '--json'], json.io)).toBe(0);
    const { story: carried } = JSON.parse(json.out[0]!) as {
      story: { severity: string; steps: Array<{ detector: string; mitre: string[]; stage: string }> };
    };
    expect(carried.severity).toBe('critical');
    expect(carried.steps.map((step) => [step.detector, step.mitre, step.stage])).toEqual([
      ['key-enumeration', ['T1580', 'T1526'], 'reconnaissance'],
      ['key-deletion-scheduled', ['T1485'], 'destruction'],
    ]);
  });

  it('says what a decision would do and changes nothing without --yes, then decides with it', async () => {
    const dry = captured();
    expect(await main(['disable', incidentId], dry.io)).toBe(0);
    expect(dry.out[1]).toBe('Nothing changed. Run again with --yes to decide.');
    const dryJson = captured();
    expect(await main(['disable', incidentId, '--json'], dryJson.io)).toBe(0);
    expect(JSON.parse(dryJson.out[0]!)).toMatchObject({
      incidentId,
      action: 'disable-key',
      decided: false,
      status: 'contained',
      keyArn,
    });
    const kms = new KMSClient({});
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Enabled');

    // Said to be for another account: refused, nothing changed.
    const elsewhere = captured();
    expect(await main(['disable', incidentId, '--account', '999988887777', '--yes'], elsewhere.io)).toBe(2);
    expect(elsewhere.err[0]).toMatch(
      new RegExp(`^kms-warden disable: ${incidentId} happened in \\d{12}, .+, not in 999988887777: nothing changed$`),
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Enabled');

    const decided = captured();
    expect(await main(['disable', incidentId, '--account', keyArn.split(':')[4]!, '--yes'], decided.io)).toBe(0);
    expect(decided.out[0]).toBe(`Disable key for ${incidentId}: ${keyArn} is disabled (now contained)`);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyArn }))).KeyMetadata!.KeyState).toBe('Disabled');
    expect((await incidents.get(incidentId))!.decisions).toEqual([
      expect.objectContaining({ action: 'disable-key', by: 'cli:erin', channel: 'cli' }),
    ]);

    const released = captured();
    expect(await main(['release', incidentId, '--yes'], released.io)).toBe(0);
    expect((await incidents.get(incidentId))!.status).toBe('released');
    const late = captured();
    expect(await main(['approve', incidentId, '--yes'], late.io)).toBe(1);
    expect(late.err[0]).toBe('kms-warden approve: this decision can no longer be made: the incident is released');
  });
});
