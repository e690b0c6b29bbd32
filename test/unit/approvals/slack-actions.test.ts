import { Logger } from '@aws-lambda-powertools/logger';
import { handleSlackAction, type SlackDeps } from '../../../src/approvals/slack-actions';
import { signSlackRequest } from '../../../src/approvals/slack-signature';
import { signToken } from '../../../src/approvals/token';
import type { AuditEntry } from '../../../src/approvals/ports';
import type { ActionDeps } from '../../../src/actions/action';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import type { Notification } from '../../../src/notify/notifier';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';

const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5';
const linkSecret = Buffer.from('k'.repeat(64));
const now = new Date('2026-11-28T12:30:00.000Z');
const responseUrl = 'https://hooks.slack.com/actions/T000/1111/abcdef';

type Post = { url: string; body: Record<string, unknown> };

const setup = async () => {
  const incidents = new InMemoryIncidentStore();
  const incident = incidentFrom(record('ScheduleKeyDeletion.assumed-role'), {
    status: 'awaiting-approval',
    results: [{ outcome: 'applied', before: { state: 'PendingDeletion' }, after: { state: 'Enabled' } }],
  });
  await incidents.open(incident);
  const posts: Post[] = [];
  const sent: Notification[] = [];
  const audit: AuditEntry[] = [];
  const used = new Set<string>();
  const deps: SlackDeps = {
    kms: {} as ActionDeps['kms'],
    iam: {} as ActionDeps['iam'],
    incidents,
    nonces: { consume: async (nonce) => !used.has(nonce) && Boolean(used.add(nonce)) },
    secret: { bytes: async () => linkSecret },
    audit: { record: async (entry) => void audit.push(entry) },
    rekey: { start: async () => ({ started: true, detail: 're-keying started' }) },
    notifier: { send: async (notification) => (sent.push(notification), `m${sent.length}`) },
    links: { baseUrl: 'https://approvals.example.test/approvals/', secret: { bytes: async () => linkSecret }, ttlSeconds: 3600 },
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
    tokenTtlSeconds: 3600,
    deletionWindowDays: 30,
    slackInteractivity: {
      signingSecret: { bytes: async () => Buffer.from(signingSecret) },
      approvers: ['U0ONCALL'],
      post: (async (url: string, init: RequestInit) => {
        posts.push({ url, body: JSON.parse(String(init.body)) as Record<string, unknown> });
        return new Response('ok');
      }) as typeof fetch,
    },
  };
  const press = (user: string, value: string, response_url = responseUrl) => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: user }, actions: [{ action_id: 'x', value }], response_url }))}`;
    const timestamp = String(now.getTime() / 1000);
    return handleSlackAction(deps)(body, { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signSlackRequest(signingSecret, timestamp, body) }, { sourceIp: '203.0.113.9' });
  };
  const tokenFor = (action: 'approve-rekey' | 'release') => signToken({ incidentId: incident.id, action, expiresAt: now.getTime() / 1000 + 600 }, linkSecret);
  return { incidents, incident, posts, sent, audit, press, tokenFor };
};

describe('answering a Slack button press through its response_url', () => {
  it('replaces the message with the incident as it now stands, and tells everyone else through SNS', async () => {
    const { incident, incidents, posts, sent, press, tokenFor } = await setup();
    await press('U0ONCALL', tokenFor('approve-rekey'));

    expect((await incidents.get(incident.id))!.status).toBe('approved');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe(responseUrl);
    const blocks = posts[0]!.body.blocks as Array<{ type: string; elements?: Array<{ text: string }> }>;
    expect(posts[0]!.body.replace_original).toBe(true);
    // Approved: no decision is left to offer, so the buttons are gone.
    expect(blocks.map((b) => b.type)).not.toContain('actions');
    expect(blocks.at(-1)!.elements![0]!.text).toBe(`<@U0ONCALL>: approve-rekey for ${incident.id}: re-keying started`);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toMatch(/^Approve re-key: decided by slack:U0ONCALL via slack\. re-keying started\./);
  });

  it('shows a refusal to the presser alone and leaves the message as it was', async () => {
    const { incident, incidents, posts, sent, press, tokenFor } = await setup();
    const token = tokenFor('approve-rekey');
    await press('U0ONCALL', token);
    posts.length = 0;
    await press('U0ONCALL', token);
    expect(posts).toEqual([{ url: responseUrl, body: { response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('can no longer be made') } }]);
    await press('U0INTERN', tokenFor('release'));
    expect(posts[1]!.body).toMatchObject({ response_type: 'ephemeral', replace_original: false, text: expect.stringContaining('not on the list') });
    expect((await incidents.get(incident.id))!.status).toBe('approved');
    expect(sent).toHaveLength(1);
  });

  it('sends nothing to a response_url that is not on hooks.slack.com', async () => {
    const { posts, press, tokenFor } = await setup();
    const reply = await press('U0ONCALL', tokenFor('approve-rekey'), 'https://attacker.example/collect');
    expect(reply.status).toBe(200);
    expect(posts).toHaveLength(0);
  });
});
