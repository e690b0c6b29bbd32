import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import { SlackChannel, slackTargetOf } from '../../../src/notify/slack-channel';
import { tellPeople } from '../../../src/notify/tell-people';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

type Call = { url: string; authorization: string | undefined; body: Record<string, unknown> };

/** A stand-in for Slack's Web API: answers each method as told, and keeps what it was sent. */
const fakeSlack = (answers: Record<string, Array<Record<string, unknown>>>) => {
  const calls: Call[] = [];
  const post = (async (url: string, init: RequestInit) => {
    const headers = init.headers as Record<string, string>;
    calls.push({
      url,
      authorization: headers.authorization,
      body: JSON.parse(String(init.body)) as Record<string, unknown>,
    });
    const method = url.slice(url.lastIndexOf('/') + 1);
    return Response.json(answers[method]?.shift() ?? { ok: true });
  }) as typeof fetch;
  return { calls, post };
};

const secret = (text: string) => ({ bytes: async () => Buffer.from(text) });
const bot = JSON.stringify({ botToken: 'xoxb-1-2-abc', channel: 'C0INCIDENTS' });
const incident = () =>
  incidentFrom(record('ScheduleKeyDeletion.assumed-role'), {
    status: 'contained',
    results: [{ outcome: 'applied', before: {}, after: {} }],
  });

describe('what the Slack secret holds', () => {
  it.each([
    [
      'a webhook URL',
      'https://hooks.slack.com/services/T/B/x',
      { kind: 'webhook', url: 'https://hooks.slack.com/services/T/B/x' },
    ],
    ['a bot token and a channel', bot, { kind: 'bot', token: 'xoxb-1-2-abc', channel: 'C0INCIDENTS' }],
    ["the stack's placeholder", 'not-configured', { kind: 'off' }],
    ['a token without a channel', JSON.stringify({ botToken: 'xoxb-1' }), { kind: 'off' }],
    ['broken JSON', '{"botToken":', { kind: 'off' }],
    ['a plain-http URL off loopback', 'http://hooks.example/x', { kind: 'off' }],
    [
      "a bot whose Web API is on loopback (the local demo's Slack)",
      JSON.stringify({ botToken: 'xoxb-1', channel: 'C1', apiBase: 'http://127.0.0.1:4555/api/' }),
      { kind: 'bot', token: 'xoxb-1', channel: 'C1', apiBase: 'http://127.0.0.1:4555/api/' },
    ],
    [
      'a bot whose Web API is anywhere else (the token would go there)',
      JSON.stringify({ botToken: 'xoxb-1', channel: 'C1', apiBase: 'https://slack.example/api/' }),
      { kind: 'off' },
    ],
    [
      'a bot whose loopback Web API hides another host',
      JSON.stringify({ botToken: 'xoxb-1', channel: 'C1', apiBase: 'http://127.0.0.1:4555@evil.example/api/' }),
      { kind: 'off' },
    ],
  ])('%s', (_name, text, target) => {
    expect(slackTargetOf(text)).toEqual(target);
  });
});

describe('posting to Slack with a bot token', () => {
  it('posts once, then updates that message as the incident moves', async () => {
    const incidents = new InMemoryIncidentStore();
    const first = incident();
    await incidents.open(first);
    const slack = fakeSlack({ 'chat.postMessage': [{ ok: true, channel: 'C0INCIDENTS', ts: '1700000000.000100' }] });
    const deps = {
      notifier: { send: async () => 'm' },
      slack: new SlackChannel(secret(bot), slack.post, 'https://slack.test/api/'),
      incidents,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(),
    };

    await tellPeople((await incidents.get(first.id))!, deps);
    const moved = await incidents.awaitDecision(first.id, '2026-11-28T12:05:00.000Z');
    await tellPeople(moved, deps);

    expect(slack.calls.map((c) => c.url)).toEqual([
      'https://slack.test/api/chat.postMessage',
      'https://slack.test/api/chat.update',
    ]);
    expect(slack.calls.every((c) => c.authorization === 'Bearer xoxb-1-2-abc')).toBe(true);
    expect(slack.calls[0]!.body).toMatchObject({ channel: 'C0INCIDENTS', text: expect.stringContaining(first.id) });
    expect(slack.calls[1]!.body).toMatchObject({
      channel: 'C0INCIDENTS',
      ts: '1700000000.000100',
      text: expect.stringContaining(first.id),
    });
    expect((await incidents.get(first.id))!.slackMessage).toEqual({ channel: 'C0INCIDENTS', ts: '1700000000.000100' });
  });

  it('replies in the thread with the news, since an edited message notifies nobody, and keeps a re-posted message', async () => {
    const incidents = new InMemoryIncidentStore();
    const first = incident();
    await incidents.open(first);
    await incidents.recordSlackMessage(first.id, { channel: 'C0INCIDENTS', ts: '1.0' });
    const slack = fakeSlack({
      'chat.update': [{ ok: true }, { ok: false, error: 'message_not_found' }],
      'chat.postMessage': [{ ok: true }, { ok: true, channel: 'C0INCIDENTS', ts: '2.0' }],
    });
    const deps = {
      notifier: { send: async () => 'm' },
      slack: new SlackChannel(secret(bot), slack.post, 'https://slack.test/api/'),
      incidents,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(),
    };

    await tellPeople((await incidents.get(first.id))!, deps, { lead: 'Reminder: waited 6 hours' });
    expect(slack.calls.map((c) => [c.url.split('/').at(-1), c.body.thread_ts, c.body.text])).toEqual([
      ['chat.update', undefined, expect.stringContaining(first.id)],
      ['chat.postMessage', '1.0', 'Reminder: waited 6 hours'],
    ]);
    expect(slack.calls[0]!.body.blocks).toEqual(
      expect.arrayContaining([
        { type: 'context', elements: [{ type: 'mrkdwn', text: 'Reminder: waited 6 hours', verbatim: true }] },
      ]),
    );

    // Someone deleted the message: it is posted again, and the next news updates the new one.
    await tellPeople((await incidents.get(first.id))!, deps);
    expect((await incidents.get(first.id))!.slackMessage).toEqual({ channel: 'C0INCIDENTS', ts: '2.0' });
  });

  it('shows progress by editing the message only: no SNS, no ping, and nothing through a webhook', async () => {
    const incidents = new InMemoryIncidentStore();
    const first = incident();
    await incidents.open(first);
    await incidents.recordSlackMessage(first.id, { channel: 'C0INCIDENTS', ts: '1.0' });
    const sent: unknown[] = [];
    const viaBot = fakeSlack({});
    const deps = {
      notifier: { send: async (n: unknown) => (sent.push(n), 'm') },
      incidents,
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(),
    };
    await tellPeople(
      (await incidents.get(first.id))!,
      { ...deps, slack: new SlackChannel(secret(bot), viaBot.post, 'https://slack.test/api/') },
      { quiet: true },
    );
    expect(viaBot.calls.map((c) => c.url.split('/').at(-1))).toEqual(['chat.update']);
    expect(sent).toHaveLength(0);

    const viaWebhook = fakeSlack({});
    await tellPeople(
      (await incidents.get(first.id))!,
      { ...deps, slack: new SlackChannel(secret('https://hooks.slack.com/services/T/B/x'), viaWebhook.post) },
      { quiet: true },
    );
    expect(viaWebhook.calls).toHaveLength(0);
    expect(sent).toHaveLength(0);
  });

  it('posts again when the message was deleted, and reports any other refusal', async () => {
    const posted = { ...incident(), slackMessage: { channel: 'C0INCIDENTS', ts: '1.0' } };
    const gone = fakeSlack({
      'chat.update': [{ ok: false, error: 'message_not_found' }],
      'chat.postMessage': [{ ok: true, channel: 'C0INCIDENTS', ts: '2.0' }],
    });
    expect(await new SlackChannel(secret(bot), gone.post).publish(posted, [])).toEqual({
      channel: 'C0INCIDENTS',
      ts: '2.0',
    });

    const revoked = fakeSlack({ 'chat.update': [{ ok: false, error: 'token_revoked' }] });
    await expect(new SlackChannel(secret(bot), revoked.post).publish(posted, [])).rejects.toThrow(
      'Slack chat.update refused: token_revoked',
    );
  });

  it('posts a new message per change through a webhook, and nothing while the secret is a placeholder', async () => {
    const webhook = fakeSlack({});
    expect(
      await new SlackChannel(secret('https://hooks.slack.com/services/T/B/x'), webhook.post).publish(incident(), []),
    ).toBeUndefined();
    expect(webhook.calls.map((c) => c.url)).toEqual(['https://hooks.slack.com/services/T/B/x']);
    const off = fakeSlack({});
    await new SlackChannel(secret('not-configured'), off.post).publish(incident(), []);
    expect(off.calls).toHaveLength(0);
  });
});
