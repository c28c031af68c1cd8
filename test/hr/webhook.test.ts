/**
 * BambooHR webhook verification: HMAC-SHA256 of the raw body followed by the timestamp header,
 * hex, keyed with the webhook's private key. BambooHR publishes no signed example with a key, so
 * the example's signature was computed outside this code, with
 * `printf '%s%s' BODY TIMESTAMP | openssl dgst -sha256 -hmac SECRET`, and is pinned as a literal.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyBambooHrWebhook } from '../../src/hr/webhook.js';

const SECRET = 'a3f1c9e07b5d4e2f8a6b1c0d9e8f7a6b';
const BODY =
  '{"type":"employee.updated","data":{"companyId":1,"employeeId":"7","changedFields":["jobTitle"]},"timestamp":"2026-06-15T10:00:00+00:00"}';
const TIMESTAMP = '1781517600'; // 2026-06-15T10:00:00Z
const NOW = Date.parse('2026-06-15T10:01:00Z');
// openssl dgst -sha256 -hmac SECRET over BODY followed by TIMESTAMP.
const SIGNATURE = 'ad886465f33c4aabcd8b6f2ea667effd56f6fd8d7a4d14798f709845632a0598';

const base: Parameters<typeof verifyBambooHrWebhook>[0] = {
  body: BODY,
  signature: SIGNATURE,
  timestamp: TIMESTAMP,
  secret: SECRET,
  now: NOW,
  toleranceSeconds: 300,
};

describe('verifyBambooHrWebhook', () => {
  const cases: [string, Partial<typeof base>, string | null][] = [
    ['accepts the delivery as BambooHR signed it', {}, null],
    ['accepts the raw body as bytes', { body: Buffer.from(BODY, 'utf8') }, null],
    ['accepts the digest in upper case', { signature: SIGNATURE.toUpperCase() }, null],
    ['accepts a timestamp exactly at the tolerance', { now: Date.parse('2026-06-15T10:05:00Z') }, null],
    ['refuses a signature made with another key', { secret: 'another-private-key' }, 'does not match'],
    ['refuses a body changed after signing', { body: BODY.replace('"7"', '"8"') }, 'does not match'],
    [
      'refuses a body re-serialised with other spacing',
      { body: JSON.stringify(JSON.parse(BODY), null, 1) },
      'does not match',
    ],
    ['refuses a timestamp swapped for a fresher one', { timestamp: '1781517650' }, 'does not match'],
    ['refuses a delivery older than the tolerance', { now: Date.parse('2026-06-15T10:05:01Z') }, '301 s old'],
    [
      'refuses a delivery from the future',
      { now: Date.parse('2026-06-15T09:54:59Z') },
      '301 s in the future',
    ],
    [
      'refuses a missing signature header',
      { signature: undefined },
      'x-bamboohr-signature header is missing',
    ],
    ['refuses a missing timestamp header', { timestamp: '' }, 'x-bamboohr-timestamp header is missing'],
    ['refuses a signature that is not hex', { signature: `sha256=${SIGNATURE}` }, 'not a hex SHA-256 digest'],
    ['refuses a truncated signature', { signature: SIGNATURE.slice(0, 40) }, 'not a hex SHA-256 digest'],
    ['refuses a timestamp that is not a time', { timestamp: 'yesterday' }, 'not a time'],
    ['refuses when no private key is configured', { secret: '' }, 'no webhook private key'],
  ];

  it.each(cases)('%s', (_name, change, reason) => {
    const verdict = verifyBambooHrWebhook({ ...base, ...change });
    if (reason === null) expect(verdict).toEqual({ ok: true });
    else {
      expect(verdict.ok).toBe(false);
      expect((verdict as { reason: string }).reason).toContain(reason);
    }
  });

  it('checks freshness only for a delivery that is authentic, so a stale forgery reads as a bad signature', () => {
    const verdict = verifyBambooHrWebhook({
      ...base,
      secret: 'wrong',
      now: Date.parse('2026-06-16T00:00:00Z'),
    });
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining('does not match') });
  });

  it('accepts an RFC 3339 timestamp header, signed as sent', () => {
    const ts = '2026-06-15T10:00:00Z';
    const signature = createHmac('sha256', SECRET)
      .update(BODY + ts)
      .digest('hex');
    expect(verifyBambooHrWebhook({ ...base, timestamp: ts, signature })).toEqual({ ok: true });
  });
});
