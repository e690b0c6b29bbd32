import fc from 'fast-check';
import { createHmac } from 'node:crypto';
import { signToken, verifyToken, type ApprovalAction } from '../../../src/notify/approval-token';
import { signSlackRequest, verifySlackRequest } from '../../../src/approvals/slack-signature';

const secret = Buffer.from('0123456789abcdef0123456789abcdef');
const now = new Date('2026-11-28T12:00:00.000Z');
const inADay = now.getTime() / 1000 + 86_400;
const token = signToken(
  { incidentId: 'kw-20261128-abc', action: 'approve-rekey', expiresAt: inADay, nonce: 'n0nce' },
  secret,
);

describe('approval tokens', () => {
  const tamper = (t: string, index: number) => t.slice(0, index) + (t[index] === 'A' ? 'B' : 'A') + t.slice(index + 1);

  it.each([
    ['a valid token', token, { action: 'approve-rekey' as ApprovalAction }, { ok: true }],
    [
      'another secret',
      signToken(
        { incidentId: 'kw-20261128-abc', action: 'approve-rekey', expiresAt: inADay },
        Buffer.from('x'.repeat(32)),
      ),
      {},
      { ok: false, refusal: 'forged' },
    ],
    ['an altered payload', tamper(token, 3), {}, { ok: false, refusal: 'forged' }],
    ['an altered signature', tamper(token, token.length - 3), {}, { ok: false, refusal: 'forged' }],
    ['a truncated signature', token.slice(0, -4), {}, { ok: false, refusal: 'forged' }],
    [
      'an expired token',
      signToken({ incidentId: 'kw-1', action: 'reject', expiresAt: now.getTime() / 1000 - 1 }, secret),
      {},
      { ok: false, refusal: 'expired' },
    ],
    [
      'a token for another action',
      token,
      { action: 'disable-key' as ApprovalAction },
      { ok: false, refusal: 'wrong-action' },
    ],
    ['a token for another incident', token, { incidentId: 'kw-other' }, { ok: false, refusal: 'wrong-incident' }],
    ['garbage', 'hello', {}, { ok: false, refusal: 'malformed' }],
    ['three parts', `${token}.x`, {}, { ok: false, refusal: 'malformed' }],
  ])('%s', (_name, candidate, expected, result) => {
    expect(verifyToken(candidate, secret, { ...expected, now })).toMatchObject(result);
  });

  it('refuses a signature that decodes to the same bytes but is written differently', () => {
    // A 32-byte HMAC in base64url leaves two spare bits in the last character: found by the property below.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    const twin = token.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(twin.split('.')[1]!, 'base64url')).toEqual(Buffer.from(token.split('.')[1]!, 'base64url'));
    expect(verifyToken(twin, secret, { now })).toMatchObject({ ok: false, refusal: 'forged' });
  });

  it('carries its claims', () => {
    expect(verifyToken(token, secret, { now })).toEqual({
      ok: true,
      claims: { incidentId: 'kw-20261128-abc', action: 'approve-rekey', expiresAt: inADay, nonce: 'n0nce' },
    });
  });

  it('carries the subject of a decision on one thing of the incident, signed with the rest', () => {
    const subject = '0123456789abcdef';
    const ack = signToken(
      { incidentId: 'kw-1', action: 'acknowledge', expiresAt: inADay, nonce: 'n', subject },
      secret,
    );
    expect(verifyToken(ack, secret, { now })).toEqual({
      ok: true,
      claims: { incidentId: 'kw-1', action: 'acknowledge', expiresAt: inADay, nonce: 'n', subject },
    });
    // Another subject under the same signature is a forgery; a subject is a reference, never a name.
    const [payload, mac] = ack.split('.') as [string, string];
    const fields = JSON.parse(Buffer.from(payload, 'base64url').toString()) as unknown[];
    fields[5] = 'fedcba9876543210';
    const swapped = `${Buffer.from(JSON.stringify(fields)).toString('base64url')}.${mac}`;
    expect(verifyToken(swapped, secret, { now })).toMatchObject({ ok: false, refusal: 'forged' });
    expect(() =>
      signToken({ incidentId: 'kw-1', action: 'acknowledge', expiresAt: inADay, subject: 'secretsmanager:x' }, secret),
    ).toThrow('a token subject is a 16-character hex reference');
    // Signed with a malformed subject (by someone holding the secret, or a bug): refused, not trusted.
    const odd = Buffer.from(JSON.stringify(['kw-1', 'acknowledge', inADay, 'n', '', 'not-hex'])).toString('base64url');
    const signed = `${odd}.${createHmac('sha256', secret).update(odd).digest('base64url')}`;
    expect(verifyToken(signed, secret, { now })).toMatchObject({ ok: false, refusal: 'malformed' });
  });

  it("keeps a Slack button's token to Slack: refused as a link, accepted from Slack's signed request", () => {
    const slackOnly = signToken(
      { incidentId: 'kw-20261128-abc', action: 'approve-rekey', expiresAt: inADay, nonce: 'n1', forSlack: true },
      secret,
    );
    expect(verifyToken(slackOnly, secret, { now })).toMatchObject({ ok: false, refusal: 'slack-only' });
    expect(verifyToken(slackOnly, secret, { now, via: 'link' })).toMatchObject({ ok: false, refusal: 'slack-only' });
    expect(verifyToken(slackOnly, secret, { now, via: 'slack' })).toMatchObject({
      ok: true,
      claims: { forSlack: true, nonce: 'n1' },
    });
    // A link's token works from both; the mark cannot be taken off without breaking the signature.
    expect(verifyToken(token, secret, { now, via: 'slack' })).toMatchObject({ ok: true });
    const [payload, mac] = slackOnly.split('.');
    const unmarked = Buffer.from(
      JSON.stringify((JSON.parse(Buffer.from(payload!, 'base64url').toString()) as unknown[]).slice(0, 4)),
    ).toString('base64url');
    expect(verifyToken(`${unmarked}.${mac}`, secret, { now })).toMatchObject({ ok: false, refusal: 'forged' });
  });

  it('refuses any change to a token (property)', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: token.length - 1 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
        (index, char) => {
          fc.pre(token[index] !== char);
          const changed = token.slice(0, index) + char + token.slice(index + 1);
          expect(verifyToken(changed, secret, { now }).ok).toBe(false);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('Slack request signatures', () => {
  const signingSecret = '8f742231b10e8888abcd99yyyzzz85a5';
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
  const timestamp = String(now.getTime() / 1000 - 30);
  const signature = signSlackRequest(signingSecret, timestamp, body);

  it.each([
    ['a valid request', { timestamp, signature }, body, { ok: true }],
    [
      'a forged signature',
      { timestamp, signature: signSlackRequest('other-secret', timestamp, body) },
      body,
      { ok: false, refusal: 'forged' },
    ],
    ['an altered body', { timestamp, signature }, `${body}x`, { ok: false, refusal: 'forged' }],
    [
      'a stale request (6 minutes)',
      {
        timestamp: String(now.getTime() / 1000 - 360),
        signature: signSlackRequest(signingSecret, String(now.getTime() / 1000 - 360), body),
      },
      body,
      { ok: false, refusal: 'stale' },
    ],
    [
      'a request from the future',
      { timestamp: String(now.getTime() / 1000 + 360), signature },
      body,
      { ok: false, refusal: 'stale' },
    ],
    ['no signature', { timestamp }, body, { ok: false, refusal: 'missing-headers' }],
    ['a signature of another length', { timestamp, signature: 'v0=abc' }, body, { ok: false, refusal: 'forged' }],
  ])('%s', (_name, headers, rawBody, result) => {
    expect(verifySlackRequest(signingSecret, headers, rawBody, now)).toEqual(result);
  });

  it('refuses any change to the body (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (extra) => {
        expect(verifySlackRequest(signingSecret, { timestamp, signature }, body + extra, now)).toEqual({
          ok: false,
          refusal: 'forged',
        });
      }),
      { numRuns: 1000 },
    );
  });
});
