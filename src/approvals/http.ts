import { z } from 'zod';
import type { HttpReply, Requester } from './decide';

/** The parts of an API Gateway HTTP API (payload 2.0) request the approval routes read. */
export const approvalRequestSchema = z.object({
  routeKey: z.string(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  pathParameters: z
    .object({ token: z.string().max(2048) })
    .partial()
    .optional(),
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
