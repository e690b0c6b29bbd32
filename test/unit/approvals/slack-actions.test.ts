import { Logger } from '@aws-lambda-powertools/logger';
import {
  answerPress,
  completeSlackPress,
  handleSlackAction,
  type SlackDeps,
} from '../../../src/approvals/slack-actions';
import { DecisionBusyError, type DecisionJob } from '../../../src/approvals/carry-out';
import { decideApproval, type DecisionDeps, type DecisionExecutor } from '../../../src/approvals/decide';
import { executeDecisionJob } from '../../../src/approvals/executor';
import { InProcessExecutor } from '../../../src/approvals/in-process-executor';
import { signSlackRequest } from '../../../src/approvals/slack-signature';
import { signToken, verifyToken } from '../../../src/notify/approval-token';
import { tellPeople, type TellDeps } from '../../../src/notify/tell-people';
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

/** The executor as Lambda runs it: jobs queued, carried out when the test says. */
const handedOver = () => {
  const jobs: DecisionJob[] = [];
  const executor: DecisionExecutor = { dispatch: async (job) => (jobs.push(job), 'handed-over') };
  return { jobs, executor };
};

const setup = async (executorOf?: (deps: DecisionDeps) => DecisionExecutor) => {
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
  const post = (async (url: string, init: RequestInit) => {
    posts.push({ url, body: JSON.parse(String(init.body)) as Record<string, unknown> });
    return new Response('ok');
  }) as typeof fetch;
  const links = {
    baseUrl: 'https://approvals.example.test/approvals/',
    secret: { bytes: async () => linkSecret },
    ttlSeconds: 3600,
  };
  const decisionDeps: DecisionDeps & { post: typeof fetch } = {
    kms: {} as ActionDeps['kms'],
    iam: {} as ActionDeps['iam'],
    policyTexts: {} as ActionDeps['policyTexts'],
    keyPolicyLock: {} as ActionDeps['keyPolicyLock'],
    incidents,
    audit: { record: async (entry) => void audit.push(entry) },
    rekey: { start: async () => ({ started: true, detail: 're-keying started' }), resume: async () => false },
    notifier: { send: async (notification: Notification) => (sent.push(notification), `m${sent.length}`) },
    links,
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => now,
    deletionWindowDays: 30,
    post,
  };
  const deps: SlackDeps = {
    incidents,
    nonces: {
      consume: async (nonce) => !used.has(nonce) && Boolean(used.add(nonce)),
      spent: async (nonce) => used.has(nonce),
    },
    secret: { bytes: async () => linkSecret },
    audit: decisionDeps.audit,
    executor: executorOf ? executorOf(decisionDeps) : new InProcessExecutor(decisionDeps),
    links,
    logger: decisionDeps.logger,
    now: () => now,
    tokenTtlSeconds: 3600,
    slackInteractivity: {
      signingSecret: { bytes: async () => Buffer.from(signingSecret) },
      approvers: ['U0ONCALL'],
      post,
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
  const tokenFor = (action: 'approve-rekey' | 'release', forSlack = false) =>
    signToken(
      { incidentId: incident.id, action, expiresAt: now.getTime() / 1000 + 600, ...(forSlack ? { forSlack } : {}) },
      linkSecret,
    );
  return { deps, decisionDeps, incidents, incident, posts, sent, audit, press, tokenFor };
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

describe("answering within Slack's 3 seconds: the decision recorded, its work handed to the private executor", () => {
  it('records the decision before answering, then the executor carries it out and replaces the message', async () => {
    const { jobs, executor } = handedOver();
    const { decisionDeps, incident, incidents, posts, sent, press, tokenFor } = await setup(() => executor);
    await press('U0ONCALL', tokenFor('approve-rekey'));
    // Moved first (the one winner), nothing carried out yet; the presser alone is told.
    const recorded = (await incidents.get(incident.id))!;
    expect(recorded.status).toBe('approved');
    expect(recorded.decisions!.at(-1)).toMatchObject({
      action: 'approve-rekey',
      by: 'slack:U0ONCALL',
      press: { user: 'U0ONCALL', responseUrl },
    });
    expect(recorded.decisions!.at(-1)!.carriedOut).toBeUndefined();
    expect(sent).toEqual([]);
    expect(posts).toEqual([
      {
        url: responseUrl,
        body: expect.objectContaining({ response_type: 'ephemeral', text: expect.stringContaining('carrying it out') }),
      },
    ]);
    // The job names the decision and nothing else: where to answer is in the record.
    expect(jobs).toEqual([{ incidentId: incident.id, decisionId: recorded.decisions!.at(-1)!.id }]);

    // What the executor function does with it.
    expect(await executeDecisionJob(decisionDeps, jobs[0]!)).toEqual({ detail: 're-keying started', complete: true });
    expect((await incidents.get(incident.id))!.decisions!.at(-1)!.carriedOut).toMatchObject({
      detail: 're-keying started',
      complete: true,
    });
    expect(posts[1]).toEqual({ url: responseUrl, body: expect.objectContaining({ replace_original: true }) });
    expect(sent).toHaveLength(1);

    // Run again (Lambda's retry, a second hand-over): nothing more is done or told.
    expect(await executeDecisionJob(decisionDeps, jobs[0]!)).toEqual({ detail: 're-keying started', complete: true });
    expect(posts).toHaveLength(2);
    expect(sent).toHaveLength(1);
  });

  it('waits while another decision of the incident is carried out, and past its wait lets Lambda retry', async () => {
    const { jobs, executor } = handedOver();
    const { incident, incidents, decisionDeps, press, tokenFor } = await setup(() => executor);
    await press('U0ONCALL', tokenFor('approve-rekey'));
    // Another executor holds the incident for the next minutes.
    const later = new Date(now.getTime() + 60_000).toISOString();
    await incidents.claimExecution(incident.id, 'another-decision', now.toISOString(), later);
    await expect(executeDecisionJob(decisionDeps, jobs[0]!, { everyMs: 5, forMs: 30 })).rejects.toThrow(
      DecisionBusyError,
    );
    expect((await incidents.get(incident.id))!.decisions!.at(-1)!.carriedOut).toBeUndefined();
    // The other lets go while this one waits: it is carried out then, within the same run.
    const earlier = new Date(now.getTime() - 1).toISOString();
    setTimeout(() => void incidents.claimExecution(incident.id, 'another-decision', earlier, earlier), 20);
    expect(await executeDecisionJob(decisionDeps, jobs[0]!, { everyMs: 5, forMs: 5_000 })).toEqual({
      detail: 're-keying started',
      complete: true,
    });
  });

  it.each([['null'], ['[]'], ['{"type":"block_actions","user":{"id":7},"actions":[{"value":{}}]}'], ['{']])(
    'answers a signed payload of %s with 400 and an audit entry, not a crash',
    async (payload) => {
      const { deps, audit } = await setup();
      const body = `payload=${encodeURIComponent(payload)}`;
      const timestamp = String(now.getTime() / 1000);
      const reply = await handleSlackAction(deps)(
        body,
        {
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': signSlackRequest(signingSecret, timestamp, body),
        },
        { sourceIp: '203.0.113.9' },
      );
      expect(reply.status).toBe(400);
      expect(audit.at(-1)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^slack payload/) });
    },
  );

  it("keeps a button's token to Slack: opened as a link it is refused and audited, pressed by an approver it decides", async () => {
    const { jobs, executor } = handedOver();
    const { deps, incident, incidents, audit, press, tokenFor } = await setup(() => executor);
    const token = tokenFor('approve-rekey', true);
    const asLink = await decideApproval(deps)(token, { sourceIp: '198.51.100.9' });
    expect(asLink.status).toBe(403);
    expect(audit.at(-1)).toMatchObject({ outcome: 'refused', reason: expect.stringMatching(/^slack-only/) });
    expect((await incidents.get(incident.id))!.decisions ?? []).toEqual([]);
    // A non-approver who read the token from the message gets nothing either way; an approver's press decides.
    await press('U0INTERN', token);
    expect(jobs).toEqual([]);
    await press('U0ONCALL', token);
    expect(jobs).toHaveLength(1);
  });

  it("posts messages whose buttons carry Slack-only tokens, while the email's links stay links", async () => {
    const { decisionDeps, incident, incidents } = await setup();
    const published: string[][] = [];
    const slack = {
      publish: async (_incident: unknown, links: ReadonlyArray<{ url: string }>) => {
        published.push(links.map((link) => link.url.slice(link.url.lastIndexOf('/') + 1)));
        return undefined;
      },
    } as unknown as NonNullable<TellDeps['slack']>;
    const sent: Notification[] = [];
    await tellPeople((await incidents.get(incident.id))!, {
      ...decisionDeps,
      slack,
      notifier: { send: async (n: Notification) => (sent.push(n), 'm1') },
    });
    expect(published[0]!.length).toBeGreaterThan(0);
    for (const token of published[0]!)
      expect(verifyToken(token, linkSecret, { now, via: 'link' })).toMatchObject({ refusal: 'slack-only' });
    const emailed = [...sent[0]!.text.matchAll(/approvals\/([\w-]+\.[\w-]+)/g)].map(([, t]) => t!);
    expect(emailed.length).toBeGreaterThan(0);
    for (const token of emailed)
      expect(verifyToken(token, linkSecret, { now, via: 'link' })).toMatchObject({ ok: true });
  });

  it('refuses a non-approver before recording anything', async () => {
    const { jobs, executor } = handedOver();
    const { incident, incidents, posts, press, tokenFor } = await setup(() => executor);
    await press('U0INTERN', tokenFor('approve-rekey'));
    expect(jobs).toEqual([]);
    expect((await incidents.get(incident.id))!.decisions ?? []).toEqual([]);
    expect(posts[0]!.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('not on the list'),
    });
  });

  it('when the hand-over fails, the decision stays recorded and the presser is told to carry it out', async () => {
    const { incident, incidents, posts, press, tokenFor } = await setup(() => ({
      dispatch: async () => Promise.reject(new Error('Rate exceeded')),
    }));
    await press('U0ONCALL', tokenFor('approve-rekey'));
    expect((await incidents.get(incident.id))!.status).toBe('approved');
    expect(posts[0]!.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining(`incidents carry-out ${incident.id}`),
    });
  });

  it('never throws: a press that cannot be checked is answered in Slack', async () => {
    const { deps, posts, tokenFor } = await setup();
    const broken = completeSlackPress({
      ...deps,
      secret: { bytes: async () => Promise.reject(new Error('AccessDeniedException: secretsmanager:GetSecretValue')) },
    });
    await expect(
      broken({ token: tokenFor('approve-rekey'), user: 'U0ONCALL', responseUrl, requester: {} }),
    ).resolves.toMatchObject({ status: 200 });
    expect(posts[0]!.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringMatching(/^kms-warden could not finish this decision \(AccessDeniedException/),
    });
  });

  it('carries out nothing for a job that names no recorded decision (anyone allowed to invoke the executor)', async () => {
    const { decisionDeps, incident, incidents, sent, posts } = await setup();
    const before = structuredClone(await incidents.get(incident.id));
    expect(
      await executeDecisionJob(decisionDeps, {
        incidentId: incident.id,
        decisionId: '00000000-0000-4000-8000-000000000000',
      }),
    ).toEqual({ notCarriedOut: expect.stringContaining('no decision') });
    expect(await incidents.get(incident.id)).toEqual(before);
    expect(sent).toEqual([]);
    expect(posts).toEqual([]);
  });
});

describe('answering a press with what outsiders wrote', () => {
  it('escapes the summary it posts, so no link or mention can be forged in it', async () => {
    const posts: Post[] = [];
    const post = (async (url: string, init: RequestInit) => {
      posts.push({ url, body: JSON.parse(String(init.body)) as Record<string, unknown> });
      return new Response('ok');
    }) as typeof fetch;
    await answerPress(
      { post, logger: new Logger({ logLevel: 'SILENT' }), now: () => now },
      { user: 'U0ONCALL', responseUrl },
      { summary: 'release: undone, except: <!channel> <https://evil.example|Approve re-key>', carriedOut: false },
    );
    const text = String(posts[0]!.body.text);
    expect(text.startsWith('<@U0ONCALL>: ')).toBe(true);
    expect(text.slice('<@U0ONCALL>'.length)).not.toMatch(/[<>]/);
    expect(text).toContain('&lt;!channel&gt;');
  });
});
