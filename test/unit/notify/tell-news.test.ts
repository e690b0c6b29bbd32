import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import { signalEntryOf, type Incident } from '../../../src/incidents/incident';
import type { Notification } from '../../../src/notify/notifier';
import { SlackChannel } from '../../../src/notify/slack-channel';
import { tellOfNews, tellPendingNews, type NewsDeps } from '../../../src/notify/tell-news';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

const secret = Buffer.from('0123456789abcdef0123456789abcdef');

/** A story told at 12:00 (its page out), contained with a step offered, and a later step attached at 12:01. */
const story = async (incidents: InMemoryIncidentStore) => {
  const first = incidentFrom(record('ScheduleKeyDeletion.assumed-role'));
  await incidents.open(first);
  await incidents.recordContainment(
    first.id,
    [{ outcome: 'applied', before: {}, after: {} }],
    '2026-11-28T12:00:00.000Z',
  );
  await incidents.markNotified(first.id, 'contained', 'page-1', '2026-11-28T12:00:00.000Z');
  const later = incidentFrom({ ...record('DisableKey.assumed-role'), eventID: 'later-step' });
  const attached = await incidents.attachSignal(
    first.id,
    signalEntryOf(later.signal, '2026-11-28T12:01:00.000Z'),
    [],
    1,
    '2026-11-28T12:01:00.000Z',
  );
  return attached.incident;
};

describe('telling people of a later step of a story', () => {
  let now = new Date('2026-11-28T12:01:00.000Z');
  const make = () => {
    const incidents = new InMemoryIncidentStore();
    const sent: Notification[] = [];
    const slackBodies: string[] = [];
    const slack = new SlackChannel(
      { bytes: async () => Buffer.from(JSON.stringify({ botToken: 'xoxb-1', channel: 'C1' })) },
      (async (_url: string, init: { body: string }) => {
        slackBodies.push(init.body);
        return Response.json({ ok: true, channel: 'C1', ts: '1.000001' });
      }) as unknown as typeof fetch,
    );
    const deps: NewsDeps & { incidents: InMemoryIncidentStore } = {
      incidents,
      notifier: { send: async (n) => (sent.push(n), `msg-${sent.length}`) },
      slack,
      links: {
        baseUrl: 'https://approvals.example/approvals/',
        secret: { bytes: async () => secret },
        ttlSeconds: 3600,
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => now,
      quietMinutes: 5,
    };
    return { incidents, sent, slackBodies, deps };
  };

  it('holds a step back within the quiet period, then the sweep sends one short update naming the incident', async () => {
    now = new Date('2026-11-28T12:01:00.000Z');
    const { incidents, sent, deps } = make();
    const incident = await story(incidents);
    expect(await tellOfNews(incident, deps)).toBe('pending');
    expect(sent).toEqual([]);
    // Before the quiet period is over, the sweep sends nothing.
    now = new Date('2026-11-28T12:04:00.000Z');
    expect(await tellPendingNews(deps)).toEqual([]);
    now = new Date('2026-11-28T12:06:00.000Z');
    expect(await tellPendingNews(deps)).toEqual([incident.id]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subject).toMatch(new RegExp(`^\\[kms-warden\\] Update: .*\\(${incident.id}\\)$`));
    expect(sent[0]!.text).toMatch(/^1 new step in incident /);
    expect(sent[0]!.text).toContain('later-step');
    // Told once: the next sweep has nothing.
    expect(await tellPendingNews(deps)).toEqual([]);
  });

  it('sends at once when urgent (the story turned critical), whatever the quiet period', async () => {
    now = new Date('2026-11-28T12:01:00.000Z');
    const { incidents, sent, deps } = make();
    const incident = await story(incidents);
    expect(await tellOfNews(incident, deps, { urgent: true })).toBe('sent');
    expect(sent).toHaveLength(1);
  });

  it('notes a step told before the page went out, and tells it once the page is out', async () => {
    now = new Date('2026-11-28T12:01:00.000Z');
    const { incidents, sent, deps } = make();
    const incident = await story(incidents);
    const unpaged: Incident = { ...incident, notifiedAt: undefined };
    incidents.incidents.set(incident.id, unpaged);
    expect(await tellOfNews(unpaged, deps, { urgent: true })).toBe('pending');
    now = new Date('2026-11-28T12:10:00.000Z');
    expect(await tellPendingNews(deps)).toEqual([]);
    incidents.incidents.set(incident.id, {
      ...incidents.incidents.get(incident.id)!,
      notifiedAt: '2026-11-28T12:02:00.000Z',
    });
    expect(await tellPendingNews(deps)).toEqual([incident.id]);
    expect(sent).toHaveLength(1);
  });

  it('puts the news back when SNS fails, so the next sweep tells it', async () => {
    now = new Date('2026-11-28T12:07:00.000Z');
    const { incidents, sent, deps } = make();
    const incident = await story(incidents);
    await incidents.markNews(incident.id, '2026-11-28T12:01:00.000Z');
    const failing = { ...deps, notifier: { send: async () => Promise.reject(new Error('SNS down')) } };
    await expect(tellPendingNews(failing)).rejects.toThrow('SNS down');
    expect(await tellPendingNews(deps)).toEqual([]);
    now = new Date('2026-11-28T12:13:00.000Z');
    expect(await tellPendingNews(deps)).toEqual([incident.id]);
    expect(sent).toHaveLength(1);
  });

  it('puts the decision links in the SNS update only: in Slack, only Slack-only tokens', async () => {
    now = new Date('2026-11-28T12:01:00.000Z');
    const { incidents, sent, slackBodies, deps } = make();
    const incident = await story(incidents);
    await incidents.recordSlackMessage(incident.id, { channel: 'C1', ts: '1.000001' });
    await tellOfNews((await incidents.get(incident.id))!, deps, { urgent: true });
    // The links anyone holding them may use, in the SNS update (email, on-call's phone)...
    const webTokens = [...sent[0]!.text.matchAll(/approvals\/([A-Za-z0-9_.-]+)/g)].map((m) => m[1]!);
    expect(webTokens.length).toBeGreaterThan(0);
    // ...and none of them in anything sent to Slack, where everyone in the channel reads them: there, decisions are
    // the buttons', whose tokens work only through Slack's signed requests and its approver list.
    expect(slackBodies.length).toBeGreaterThan(0);
    for (const body of slackBodies) {
      expect(body).not.toContain('https://approvals.example/approvals/');
      for (const token of webTokens) expect(body).not.toContain(token);
    }
  });
});
