import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Slack's request signing (v0): HMAC-SHA256 of "v0:<timestamp>:<raw body>" with the app's signing secret, sent as
 * X-Slack-Signature "v0=<hex>". Requests older than five minutes are refused, so a captured request cannot be
 * replayed later. https://api.slack.com/authentication/verifying-requests-from-slack
 */
export type SlackRefusal = 'missing-headers' | 'stale' | 'forged';

export const maxSlackAgeSeconds = 5 * 60;

export const signSlackRequest = (signingSecret: string, timestamp: string, rawBody: string): string =>
  `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;

export const verifySlackRequest = (
  signingSecret: string,
  headers: { timestamp?: string | undefined; signature?: string | undefined },
  rawBody: string,
  now: Date,
): { ok: true } | { ok: false; refusal: SlackRefusal } => {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d+$/.test(timestamp)) return { ok: false, refusal: 'missing-headers' };
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > maxSlackAgeSeconds) return { ok: false, refusal: 'stale' };
  const given = Buffer.from(signature);
  const wanted = Buffer.from(signSlackRequest(signingSecret, timestamp, rawBody));
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return { ok: false, refusal: 'forged' };
  return { ok: true };
};
