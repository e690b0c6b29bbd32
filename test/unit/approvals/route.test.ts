import { Logger } from '@aws-lambda-powertools/logger';
import type { ApprovalDeps } from '../../../src/approvals/decide';
import type { AuditEntry } from '../../../src/approvals/ports';
import { approvalRoute } from '../../../src/approvals/route';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';

/** The endpoint's front door: what it refuses before a token is read, and that every refusal is audited. */
const setup = () => {
  const audit: AuditEntry[] = [];
  const deps: ApprovalDeps = {
    incidents: new InMemoryIncidentStore(),
    audit: { record: async (entry) => void audit.push(entry) },
    nonces: { consume: async () => true, spent: async () => false },
    secret: { bytes: async () => Buffer.from('k'.repeat(64)) },
    tokenTtlSeconds: 3600,
    executor: { dispatch: async () => Promise.reject(new Error('nothing may be decided here')) },
    logger: new Logger({ logLevel: 'SILENT' }),
    now: () => new Date('2026-12-05T10:00:00.000Z'),
  };
  return { audit, route: approvalRoute(deps, { action: async () => ({ status: 200, body: '{}' }) }) };
};

const event = (method: string, routeKey: string, extra: Record<string, unknown> = {}) => ({
  version: '2.0',
  routeKey,
  requestContext: { http: { method, path: '/x', sourceIp: '203.0.113.66', userAgent: 'curl/8' } },
  ...extra,
});

describe('the approval endpoint refuses before reading', () => {
  it.each([
    [
      'a link POST with a body past 4 KB',
      event('POST', 'POST /approvals/{token}', { pathParameters: { token: 't' }, body: 'a'.repeat(4097) }),
    ],
    [
      'a Slack press past 128 KB',
      event('POST', 'POST /slack/actions', { body: 'payload='.padEnd(128 * 1024 + 1, 'x') }),
    ],
    [
      'a base64 body past the limit',
      event('POST', 'POST /approvals/{token}', { body: Buffer.alloc(5000).toString('base64'), isBase64Encoded: true }),
    ],
  ])('%s: 413, audited', async (_name, request) => {
    const { audit, route } = setup();
    const reply = (await route(request)) as { statusCode: number; body: string };
    expect(reply.statusCode).toBe(413);
    expect(reply.body).toContain('Request too large');
    expect(audit).toEqual([
      expect.objectContaining({
        outcome: 'refused',
        reason: expect.stringMatching(/^request too large/),
        sourceIp: '203.0.113.66',
      }),
    ]);
  });

  it('audits a request the endpoint does not answer', async () => {
    const { audit, route } = setup();
    const reply = (await route({ routeKey: 42, requestContext: { http: { sourceIp: '203.0.113.66' } } })) as {
      statusCode: number;
    };
    expect(reply.statusCode).toBe(400);
    expect(audit).toEqual([
      expect.objectContaining({ outcome: 'refused', reason: expect.stringMatching(/^bad request/) }),
    ]);
  });

  it('audits a token of any length as malformed, never a 500', async () => {
    const { audit, route } = setup();
    for (const token of ['x'.repeat(3000), `${'a'.repeat(600)}.${'b'.repeat(600)}`]) {
      const reply = (await route(event('GET', 'GET /approvals/{token}', { pathParameters: { token } }))) as {
        statusCode: number;
      };
      expect(reply.statusCode).toBe(400);
    }
    expect(audit.map((entry) => entry.reason)).toEqual([
      expect.stringMatching(/^malformed: not a kms-warden approval token \(3000 characters\)/),
      expect.stringMatching(/^malformed: not a kms-warden approval token \(1201 characters\)/),
    ]);
  });
});
