import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** A Slack button press that passed every check Slack's request allows: signature, age, payload, approver. */
export const verifiedPressSchema = z.object({
  token: z.string().min(1).max(2000),
  user: z.string().min(1).max(50),
  username: z.string().max(100).optional(),
  responseUrl: z.string().max(2000).optional(),
  requester: z.object({ sourceIp: z.string().max(100).optional(), userAgent: z.string().max(500).optional() }),
});
export type VerifiedPress = z.infer<typeof verifiedPressSchema>;

/**
 * A verified press as the approvals function hands it to its own asynchronous invocation: the press's JSON, when it
 * was sealed, and an HMAC over both with the link-signing secret. The invocation is not an HTTP request, so
 * nothing Slack signed comes with it: without the seal, anyone allowed lambda:InvokeFunction on the function could
 * claim to be an approver. The MAC covers the exact JSON text, so no re-serialisation can change what it covers.
 */
export const sealedPressSchema = z.object({
  press: z.string().max(10_000),
  sealedAt: z.number().int(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type SealedPress = z.infer<typeof sealedPressSchema>;

/** The event the approvals function sends itself (an asynchronous invocation, never an HTTP request). */
export const pressKey = 'kmsWardenSlackPress';

/** How long a sealed press may wait in Lambda's asynchronous queue before it is refused (the presser presses again). */
const maxAgeSeconds = 15 * 60;

const macOf = (secret: Buffer, press: string, sealedAt: number) =>
  createHmac('sha256', secret).update(`kms-warden-slack-press:v1:${sealedAt}:${press}`).digest('hex');

export const sealPress = (press: VerifiedPress, secret: Buffer, now: Date): SealedPress => {
  const text = JSON.stringify(press);
  const sealedAt = Math.floor(now.getTime() / 1000);
  return { press: text, sealedAt, mac: macOf(secret, text, sealedAt) };
};

export type Unsealed = { ok: true; press: VerifiedPress } | { ok: false; problem: string };

/** The press, if the seal is this deployment's, unaltered and recent; else why not. */
export const unsealPress = (event: unknown, secret: Buffer, now: Date): Unsealed => {
  const sealed = sealedPressSchema.safeParse(event);
  if (!sealed.success) return { ok: false, problem: 'not a sealed press' };
  const { press, sealedAt, mac } = sealed.data;
  const wanted = Buffer.from(macOf(secret, press, sealedAt), 'hex');
  if (!timingSafeEqual(Buffer.from(mac, 'hex'), wanted)) return { ok: false, problem: 'the seal does not match' };
  const age = now.getTime() / 1000 - sealedAt;
  if (age > maxAgeSeconds || age < -60)
    return { ok: false, problem: `sealed ${Math.round(age)} s ago, outside the ${maxAgeSeconds} s allowed` };
  let value: unknown;
  try {
    value = JSON.parse(press);
  } catch {
    return { ok: false, problem: 'the press is not JSON' };
  }
  const parsed = verifiedPressSchema.safeParse(value);
  return parsed.success
    ? { ok: true, press: parsed.data }
    : { ok: false, problem: 'the press is not one kms-warden sealed' };
};
