import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One call the stand-in received, as Slack's Web API would have: the method and its JSON body. */
export interface SlackCall {
  method: string;
  body: Record<string, unknown>;
  answer: Record<string, unknown>;
}

/**
 * The local demo's Slack: the two Web API methods kms-warden calls with a bot token (chat.postMessage, chat.update),
 * answered as Slack documents them (https://api.slack.com/methods/chat.postMessage, .../chat.update): a new message
 * gets a ts; an update of a ts never posted is message_not_found. On loopback only; every call is kept, so the demo
 * and its test can show how many messages there were and how often each was edited.
 */
export const serveSlackStub = async (): Promise<{
  apiBase: string;
  calls: SlackCall[];
  close: () => Promise<void>;
}> => {
  const calls: SlackCall[] = [];
  const posted = new Set<string>();
  let next = 1;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = (req.url ?? '').replace(/^\/api\//, '');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'invalid_json' }));
      return;
    }
    if (!/^Bearer xox/.test(req.headers.authorization ?? '')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'not_authed' }));
      return;
    }
    let answer: Record<string, unknown>;
    if (method === 'chat.postMessage') {
      const ts = `1700000000.${String(next++).padStart(6, '0')}`;
      if (body.thread_ts === undefined) posted.add(ts);
      answer = { ok: true, channel: body.channel, ts };
    } else if (method === 'chat.update') {
      answer = posted.has(String(body.ts))
        ? { ok: true, channel: body.channel, ts: body.ts }
        : { ok: false, error: 'message_not_found' };
    } else answer = { ok: false, error: 'unknown_method' };
    calls.push({ method, body, answer });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiBase: `http://127.0.0.1:${port}/api/`,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/** What Slack shows after these calls: each top-level message, how often it was edited, and its thread's replies. */
export const slackMessagesOf = (calls: readonly SlackCall[]) => {
  const messages = new Map<string, { edits: number; replies: number }>();
  for (const call of calls) {
    if (call.answer.ok !== true) continue;
    if (call.method === 'chat.postMessage') {
      if (call.body.thread_ts === undefined) messages.set(String(call.answer.ts), { edits: 0, replies: 0 });
      else {
        const parent = messages.get(String(call.body.thread_ts));
        if (parent) parent.replies += 1;
      }
    } else if (call.method === 'chat.update') {
      const message = messages.get(String(call.body.ts));
      if (message) message.edits += 1;
    }
  }
  return [...messages.values()];
};
