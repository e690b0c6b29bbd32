import { z } from 'zod';
import type { HttpReply, Requester } from './decide';

/** The parts of an API Gateway HTTP API (payload 2.0) request the approval routes read. */
export const approvalRequestSchema = z.object({
  routeKey: z.string(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  // No length limit here: an overlong token is refused by its verification, and audited like every forged one.
  pathParameters: z.object({ token: z.string() }).partial().optional(),
  requestContext: z.object({
    http: z.object({ method: z.string(), sourceIp: z.string().optional(), userAgent: z.string().optional() }),
  }),
});

export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;

/** Pages are plain HTML with no script; nothing may frame them, and forms may post only back here. */
export const htmlResponse = ({ status, html }: HttpReply) => ({
  statusCode: status,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  },
  body: html,
});

/** The body as the client sent it: Slack's signature covers the exact bytes. */
export const rawBodyOf = (request: ApprovalRequest): string =>
  request.isBase64Encoded ? Buffer.from(request.body ?? '', 'base64').toString('utf8') : (request.body ?? '');

export const requesterOf = (request: ApprovalRequest): Requester => ({
  sourceIp: request.requestContext.http.sourceIp,
  userAgent: request.requestContext.http.userAgent,
});

/**
 * The largest body each route takes, before anything parses it: a link's form POST carries nothing, and a Slack
 * press carries the message it was pressed on (kms-warden's own: a few kilobytes of blocks, URL-encoded). API
 * Gateway itself would pass up to 10 MB.
 */
export const maxBodyBytes = (event: unknown): number =>
  (event as { routeKey?: unknown } | null)?.routeKey === 'POST /slack/actions' ? 128 * 1024 : 4 * 1024;

/** The body's size in bytes as sent (base64 counted as decoded), whatever else the event holds. */
export const bodySizeOf = (event: unknown): number => {
  const { body, isBase64Encoded } = (event ?? {}) as { body?: unknown; isBase64Encoded?: unknown };
  if (typeof body !== 'string') return 0;
  return isBase64Encoded === true ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
};

/** The sender's address and user agent, from any event shaped like API Gateway's, for the audit of a refusal. */
export const requesterOfAny = (event: unknown): Requester => {
  const http = (event as { requestContext?: { http?: { sourceIp?: unknown; userAgent?: unknown } } } | null)
    ?.requestContext?.http;
  return {
    ...(typeof http?.sourceIp === 'string' ? { sourceIp: http.sourceIp } : {}),
    ...(typeof http?.userAgent === 'string' ? { userAgent: http.userAgent } : {}),
  };
};
