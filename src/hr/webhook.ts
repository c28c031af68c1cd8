/**
 * Webhooks are triggers, never data: a relay that receives one verifies it here, then asks for a
 * sync (repository_dispatch), and the sync fetches the records from the HR system's API. That
 * sync is the same `jml hr sync` as the hourly one, so the HR brake (src/hr/brake.ts) holds on
 * this path too: each run a webhook starts counts its cuts against the same limits.
 *
 * BambooHR signs each webhook with the private key shown once when the webhook is created
 * (documentation.bamboohr.com, Webhooks > Security): `X-BambooHR-Signature` is the hex HMAC-SHA256,
 * keyed with that private key, of the raw request body followed by the value of
 * `X-BambooHR-Timestamp` (the send time, in seconds since the epoch). Verifying recomputes it over
 * the bytes as received (never a re-serialised JSON), compares in constant time, and refuses a
 * timestamp further than the tolerance from now in either direction, so a captured delivery
 * cannot be replayed later and a forged future one cannot be banked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface BambooHrWebhookInput {
  /** The raw request body, exactly as received. */
  body: string | Uint8Array;
  /** The X-BambooHR-Signature header. */
  signature: string | undefined | null;
  /** The X-BambooHR-Timestamp header. */
  timestamp: string | undefined | null;
  /** The webhook's private key. */
  secret: string;
  now: Date | number;
  /** How far the timestamp may be from now, either way (policy hr.webhookToleranceSeconds). */
  toleranceSeconds?: number;
}

export type WebhookVerdict = { ok: true } | { ok: false; reason: string };

export const BAMBOOHR_SIGNATURE_HEADER = 'x-bamboohr-signature';
export const BAMBOOHR_TIMESTAMP_HEADER = 'x-bamboohr-timestamp';

/** Checks a BambooHR webhook's signature and freshness; a pure function, it fetches nothing. */
export function verifyBambooHrWebhook(input: BambooHrWebhookInput): WebhookVerdict {
  const tolerance = input.toleranceSeconds ?? 300;
  if (!input.secret) return { ok: false, reason: 'no webhook private key is configured' };
  const signature = input.signature?.trim() ?? '';
  const timestamp = input.timestamp?.trim() ?? '';
  if (signature === '') return { ok: false, reason: `the ${BAMBOOHR_SIGNATURE_HEADER} header is missing` };
  if (timestamp === '') return { ok: false, reason: `the ${BAMBOOHR_TIMESTAMP_HEADER} header is missing` };
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) {
    return { ok: false, reason: `the ${BAMBOOHR_SIGNATURE_HEADER} header is not a hex SHA-256 digest` };
  }
  const sentMs = timestampMs(timestamp);
  if (sentMs === undefined) {
    return {
      ok: false,
      reason: `the ${BAMBOOHR_TIMESTAMP_HEADER} header is not a time (seconds since the epoch)`,
    };
  }

  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : Buffer.from(input.body);
  const expected = createHmac('sha256', input.secret)
    .update(Buffer.concat([body, Buffer.from(timestamp, 'utf8')]))
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return {
      ok: false,
      reason: 'the signature does not match the body and timestamp (wrong key, or altered in transit)',
    };
  }

  const nowMs = typeof input.now === 'number' ? input.now : input.now.getTime();
  const skew = Math.round((nowMs - sentMs) / 1000);
  if (skew > tolerance) {
    return {
      ok: false,
      reason: `the timestamp is ${skew} s old, beyond the ${tolerance} s tolerance: a replay is refused`,
    };
  }
  if (skew < -tolerance) {
    return {
      ok: false,
      reason: `the timestamp is ${-skew} s in the future, beyond the ${tolerance} s tolerance`,
    };
  }
  return { ok: true };
}

/** Epoch seconds (BambooHR's form), or an RFC 3339 instant with offset; else undefined. */
function timestampMs(value: string): number | undefined {
  if (/^\d{1,12}$/.test(value)) return Number(value) * 1000;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
