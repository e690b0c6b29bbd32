import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Approval tokens: what a link in a message carries. HMAC-SHA256 over the incident id, the action it approves, its
 * expiry and a nonce, with a secret only kms-warden holds. A token is valid once (the nonce is consumed by a
 * conditional write when the decision is made), for one action, until it expires.
 */
export type ApprovalAction =
  'approve-rekey' | 'disable-key' | 'release' | 'reject' | 'approve-deletion' | 'acknowledge';

export interface TokenClaims {
  incidentId: string;
  action: ApprovalAction;
  /** Epoch seconds. */
  expiresAt: number;
  nonce: string;
  /**
   * A Slack button's token: decided only through Slack's signed interactivity request, where `slackApprovers`
   * applies. Anyone who can read the message's JSON (the channel's members through the API, its integrations) could
   * otherwise open the same token as a link, where no approver list applies.
   */
  forSlack?: true;
  /**
   * What the decision is about within the incident, for a decision on one thing of it (acknowledging one resource
   * left on the old key): a short reference (a hash of the resource's key), never the resource's name, which would
   * otherwise sit in URLs, proxies' logs and browser histories.
   */
  subject?: string;
}

export type TokenRefusal = 'malformed' | 'forged' | 'expired' | 'wrong-action' | 'wrong-incident' | 'slack-only';

export type TokenCheck = { ok: true; claims: TokenClaims } | { ok: false; refusal: TokenRefusal; detail: string };

const actions: readonly ApprovalAction[] = [
  'approve-rekey',
  'disable-key',
  'release',
  'reject',
  'approve-deletion',
  'acknowledge',
];

/** A subject as a token carries it: a reference, not a name. */
const subjectPattern = /^[0-9a-f]{16}$/;

const mac = (secret: Buffer, payload: string) => createHmac('sha256', secret).update(payload).digest();

export const signToken = (claims: Omit<TokenClaims, 'nonce'> & { nonce?: string }, secret: Buffer): string => {
  const full: TokenClaims = { ...claims, nonce: claims.nonce ?? randomBytes(16).toString('base64url') };
  if (full.subject !== undefined && !subjectPattern.test(full.subject))
    throw new Error('a token subject is a 16-character hex reference');
  // [incident, action, expiry, nonce], then 'slack' for a Slack button's, then ('' or 'slack', subject) for a subject.
  const fields = [
    full.incidentId,
    full.action,
    full.expiresAt,
    full.nonce,
    ...(full.subject !== undefined ? [full.forSlack ? 'slack' : '', full.subject] : full.forSlack ? ['slack'] : []),
  ];
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
};

/** Longer than any token kms-warden signs (an incident id, an action, a time and a nonce, then a MAC). */
const maxTokenLength = 1024;

/** Checks a token's integrity, expiry and purpose. It does not consume the nonce: the decision does that. */
export const verifyToken = (
  token: string,
  secret: Buffer,
  expected: { action?: ApprovalAction; incidentId?: string; now: Date; via?: 'slack' | 'link' },
): TokenCheck => {
  // Refused before any work on it, but refused like any other malformed token: answered with a page and audited.
  if (token.length > maxTokenLength)
    return { ok: false, refusal: 'malformed', detail: `not a kms-warden approval token (${token.length} characters)` };
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[\w-]+$/.test(parts[0]!) || !/^[\w-]+$/.test(parts[1]!)) {
    return { ok: false, refusal: 'malformed', detail: 'not a kms-warden approval token' };
  }
  const [payload, signature] = parts as [string, string];
  // Compared as text, not decoded bytes: base64's last character has spare bits, and a token whose text changed
  // must be refused even if it decodes the same. In constant time, and only at full length.
  const given = Buffer.from(signature);
  const wanted = Buffer.from(mac(secret, payload).toString('base64url'));
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return { ok: false, refusal: 'forged', detail: 'the signature does not match' };
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, refusal: 'malformed', detail: 'the signed payload is not readable' };
  }
  if (!Array.isArray(fields) || fields.length < 4 || fields.length > 6)
    return { ok: false, refusal: 'malformed', detail: 'the signed payload has the wrong shape' };
  const [incidentId, action, expiresAt, nonce, channel, subject] = fields as unknown[];
  if (
    (fields.length === 5 && channel !== 'slack') ||
    (fields.length === 6 && ((channel !== '' && channel !== 'slack') || !subjectPattern.test(String(subject)))) ||
    typeof incidentId !== 'string' ||
    !actions.includes(action as ApprovalAction) ||
    typeof expiresAt !== 'number' ||
    typeof nonce !== 'string'
  ) {
    return { ok: false, refusal: 'malformed', detail: 'the signed payload has the wrong fields' };
  }
  const claims: TokenClaims = {
    incidentId,
    action: action as ApprovalAction,
    expiresAt,
    nonce,
    ...(channel === 'slack' ? { forSlack: true as const } : {}),
    ...(fields.length === 6 ? { subject: String(subject) } : {}),
  };
  if (expected.now.getTime() / 1000 >= expiresAt)
    return { ok: false, refusal: 'expired', detail: `expired at ${new Date(expiresAt * 1000).toISOString()}` };
  if (claims.forSlack && expected.via !== 'slack')
    return { ok: false, refusal: 'slack-only', detail: "this token is a Slack button's, and works only from Slack" };
  if (expected.action && claims.action !== expected.action)
    return { ok: false, refusal: 'wrong-action', detail: `the link is for ${claims.action}` };
  if (expected.incidentId && claims.incidentId !== expected.incidentId)
    return { ok: false, refusal: 'wrong-incident', detail: 'the link is for another incident' };
  return { ok: true, claims };
};
