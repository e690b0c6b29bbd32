import { Logger } from '@aws-lambda-powertools/logger';
import {
  completeSealedPress,
  completeSlackPress,
  handleSlackAction,
  type SlackDeferral,
  type SlackDeps,
} from '../../../src/approvals/slack-actions';
import { sealPress, unsealPress, type SealedPress } from '../../../src/approvals/sealed-press';
import { approvalRoute } from '../../../src/approvals/route';
import { signSlackRequest } from '../../../src/approvals/slack-signature';
import { signToken } from '../../../src/notify/approval-token';
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

const setup = async (later?: SlackDeferral) => {
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
    policyTexts: {} as ActionDeps['policyTexts'],
    keyPolicyLock: {} as ActionDeps['keyPolicyLock'],
    incidents,
    nonces: { consume: async (nonce) => !used.has(nonce) && Boolean(used.add(nonce)) },
    secret: { bytes: async () => linkSecret },
    audit: { record: async (entry) => void audit.push(entry) },
    rekey: { start: async () => ({ started: true, detail: 're-keying started' }) },
    notifier: { send: async (notification) => (sent.push(notification), `m${sent.length}`) },
    links: {
      baseUrl: 'https://approvals.example.test/approvals/',
      secret: { bytes: async () => linkSecret },
      ttlSeconds: 3600,
    },
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
      ...(later ? { later } : {}),
    },
  };
  const press = (user: string, value: string, response_url = responseUrl) => {
    const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: user }, actions: [{ action_id: 'x', value }], response_url }))}`;
    const timestamp = String(now.getTime() / 1000);
    return handleSlackAction(deps)(
      body,
      { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signSlackRequest(signingSecret, timestamp, body) },
      { sourceIp: '203.0.113.9' },
    );
  };
  const tokenFor = (action: 'approve-rekey' | 'release') =>
    signToken({ incidentId: incident.id, action, expiresAt: now.getTime() / 1000 + 600 }, linkSecret);
  return { deps, incidents, incident, posts, sent, audit, press, tokenFor };
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
    expect(posts).toEqual([
      {
        url: responseUrl,
        body: {
          response_type: 'ephemeral',
          replace_original: false,
          text: expect.stringContaining('can no longer be made'),
        },
      },
    ]);
    await press('U0INTERN', tokenFor('release'));
    expect(posts[1]!.body).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining('not on the list'),
    });
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

describe("answering within Slack's 3 seconds: the press handed over, decided after", () => {
  const handedOver = () => {
    const presses: SealedPress[] = [];
    return { presses, later: { defer: async (sealed: SealedPress) => void presses.push(sealed) } };
  };
  const routeOf = (deps: SlackDeps) =>
    approvalRoute(deps, { action: handleSlackAction(deps), complete: completeSealedPress(deps) });

  it('answers at once with nothing decided; the handed-over press then decides and replaces the message', async () => {
    const { presses, later } = handedOver();
    const { deps, incident, incidents, posts, press, tokenFor } = await setup(later);
    const token = tokenFor('approve-rekey');
    const reply = await press('U0ONCALL', token);
    expect(reply).toEqual({ status: 200, body: '' });
    expect((await incidents.get(incident.id))!.status).toBe('awaiting-approval');
    expect(posts).toEqual([]);
    // Handed over sealed with the deployment's link secret.
    expect(unsealPress(presses[0], linkSecret, now)).toEqual({
      ok: true,
      press: { token, user: 'U0ONCALL', responseUrl, requester: { sourceIp: '203.0.113.9' } },
    });

    // What the function's asynchronous invocation of itself does with it, through the same route as HTTP.
    const done = (await routeOf(deps)(JSON.parse(JSON.stringify({ kmsWardenSlackPress: presses[0] })))) as {
      statusCode: number;
    };
    expect(done.statusCode).toBe(200);
    expect((await incidents.get(incident.id))!.status).toBe('approved');
    expect(posts).toEqual([{ url: responseUrl, body: expect.objectContaining({ replace_original: true }) }]);
  });

  it('refuses a non-approver before handing anything over', async () => {
    const { presses, later } = handedOver();
    const { posts, press, tokenFor } = await setup(later);
    await press('U0INTERN', tokenFor('approve-rekey'));
    expect(presses).toEqual([]);
    expect(posts[0]!.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('not on the list'),
    });
  });

  it('decides at once when the hand-over fails: late is better than never', async () => {
    const { incident, incidents, posts, press, tokenFor } = await setup({
      defer: async () => Promise.reject(new Error('Rate exceeded')),
    });
    const reply = await press('U0ONCALL', tokenFor('approve-rekey'));
    expect(JSON.parse(reply.body)).toMatchObject({ replace_original: true });
    expect((await incidents.get(incident.id))!.status).toBe('approved');
    expect(posts).toHaveLength(1);
  });

  it('checks the approver again when the press is decided, and never throws', async () => {
    const { deps, incident, incidents, posts, tokenFor } = await setup();
    const complete = completeSlackPress(deps);
    await complete({ token: tokenFor('approve-rekey'), user: 'U0INTERN', responseUrl, requester: {} });
    expect((await incidents.get(incident.id))!.status).toBe('awaiting-approval');
    expect(posts[0]!.body).toMatchObject({ text: expect.stringContaining('not on the list') });

    const broken = completeSlackPress({
      ...deps,
      secret: { bytes: async () => Promise.reject(new Error('AccessDeniedException: secretsmanager:GetSecretValue')) },
    });
    await expect(
      broken({ token: tokenFor('approve-rekey'), user: 'U0ONCALL', responseUrl, requester: {} }),
    ).resolves.toMatchObject({ status: 200 });
    expect(posts[1]!.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^kms-warden could not finish this decision \(AccessDeniedException/),
    });
  });

  it('refuses a handed-over press that is unsealed, forged, altered, stale or malformed, or when Slack is not configured', async () => {
    const { deps, incident, incidents, audit, tokenFor } = await setup();
    const press = { token: tokenFor('approve-rekey'), user: 'U0ONCALL', responseUrl, requester: {} };
    const sealed = sealPress(press, linkSecret, now);
    const later = new Date(now.getTime() + 16 * 60_000);
    const cases: Array<[string, unknown, SlackDeps]> = [
      ['an unsealed press, as anyone allowed to invoke the function could send', press, deps],
      ['a press sealed with another secret', sealPress(press, Buffer.from('x'.repeat(64)), now), deps],
      ['a sealed press whose user was changed', { ...sealed, press: sealed.press.replace('U0ONCALL', 'U0LEAD') }, deps],
      ['a press sealed 16 minutes ago', sealed, { ...deps, now: () => later }],
      ['a malformed seal', { ...sealed, mac: 'zz' }, deps],
    ];
    for (const [, event, using] of cases)
      expect(await routeOf(using)({ kmsWardenSlackPress: event })).toMatchObject({ statusCode: 400 });
    expect(audit.filter((a) => a.reason.startsWith('handed-over slack press'))).toHaveLength(cases.length);
    expect(await approvalRoute(deps)({ kmsWardenSlackPress: sealed })).toMatchObject({ statusCode: 400 });
    expect((await incidents.get(incident.id))!.status).toBe('awaiting-approval');
    // The genuine one still decides.
    expect(await routeOf(deps)({ kmsWardenSlackPress: sealed })).toMatchObject({ statusCode: 200 });
    expect((await incidents.get(incident.id))!.status).toBe('approved');
  });
});
