/**
 * What the HR adapters share: the source's name in the connectors' credential and endpoint checks
 * (providers/connector.ts), one JSON request through the repository's retry policy, and the small
 * date rules every vendor needs (a local "today", a date with a stray offset, empty dates).
 *
 * No credential ever reaches an error, a log or a problem: messages are built from the status,
 * the vendor's own error text and the URL (which carries no secret), and every message is
 * scrubbed of the credentials in play before it leaves this module.
 */
import { DateTime } from 'luxon';
import type { SettingOwner } from '../../providers/connector.js';
import {
  DEFAULT_RETRY,
  type Failure,
  isTransientNetworkError,
  type RetryOptions,
  retryAfterMs,
  withRetry,
} from '../../providers/retry.js';
import type { HrAdapterContext } from '../types.js';

/**
 * An HR source as the credential and endpoint checks name it (providers/connector.ts: requireEnv,
 * requireHttps, the same checks the provider connectors make): `hr source NAME`, whose settings
 * are under `hr.sources.NAME`.
 */
export function sourceSettings(ctx: HrAdapterContext): SettingOwner {
  return { label: `hr source ${ctx.name}`, section: `hr.sources.${ctx.name}` };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** A vendor answer that was not a success, already turned into words. */
export class VendorHttpError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'VendorHttpError';
  }
}

export interface JsonCall {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

export interface CallOptions {
  /** The HR source's name in policy, which every message starts with. */
  source: string;
  /** The vendor's name in messages ("BambooHR"). */
  vendor: string;
  /** Credentials in play: removed from any message, whatever the vendor echoed. */
  secrets: readonly string[];
  /** The vendor's error detail from a failed answer (a header or a body field). */
  detail: (res: Response, text: string) => string | undefined;
  /** What the status means for the person fixing it (401: which credential, 403: which permission). */
  advice?: (status: number) => string | undefined;
  /** The wait a throttled answer asks for when it has no Retry-After (a reset-time header). */
  waitHint?: (res: Response, now: number) => number | undefined;
  retry?: Partial<RetryOptions>;
}

/** Replaces every credential (and its base64 basic-auth form) in `text`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

/**
 * One JSON request, retried through the shared policy: 429 and 503 wait as the server's
 * Retry-After says (BambooHR throttles with 503 and, from September 2026, 429; HiBob with 429),
 * other 5xx and dropped connections back off with jitter, anything else fails at once with the
 * vendor's own words.
 */
export async function requestJson(call: JsonCall, opts: CallOptions): Promise<unknown> {
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const where = `${call.method} ${new URL(call.url).pathname}`;
  const classify = (e: unknown): Failure => {
    if (e instanceof VendorHttpError) return e.failure;
    const transient = isTransientNetworkError(e);
    const code = (e as { cause?: { code?: string } }).cause?.code;
    return {
      retryable: transient,
      message: scrub(
        `${opts.vendor} ${where}: ${(e as Error).message}${code ? ` (${code})` : ''}`,
        opts.secrets,
      ),
    };
  };
  try {
    return await withRetry(
      async () => {
        const res = await fetch(call.url, {
          method: call.method,
          headers: call.headers,
          ...(call.body !== undefined ? { body: call.body } : {}),
          signal: AbortSignal.timeout(retry.requestTimeoutMs),
        });
        const text = await res.text();
        if (res.ok) {
          try {
            return JSON.parse(text) as unknown;
          } catch {
            throw new VendorHttpError({
              status: res.status,
              retryable: false,
              message: `${opts.vendor} ${where} answered ${res.status} with a body that is not JSON (${res.headers.get('content-type') ?? 'no content type'})`,
            });
          }
        }
        const detail = opts.detail(res, text)?.split(/\r?\n/)[0]?.slice(0, 300);
        const advice = opts.advice?.(res.status);
        throw new VendorHttpError({
          status: res.status,
          retryable: res.status === 429 || res.status >= 500,
          retryAfterMs:
            retryAfterMs(res.headers.get('retry-after'), retry.now()) ??
            (res.status === 429 || res.status === 503 ? opts.waitHint?.(res, retry.now()) : undefined),
          message: scrub(
            `${opts.vendor} ${where} answered ${res.status}${detail ? ` (${detail})` : ''}${advice ? `: ${advice}` : ''}`,
            opts.secrets,
          ),
        });
      },
      classify,
      retry,
    );
  } catch (e) {
    throw new Error(`hr source ${opts.source}: ${scrub((e as Error).message, opts.secrets)}`);
  }
}

/** The calendar date of `now` in `zone` (falls back to UTC for a zone luxon does not know). */
export function localToday(now: Date, zone: string): string {
  const dt = DateTime.fromJSDate(now, { zone });
  return (dt.isValid ? dt : DateTime.fromJSDate(now, { zone: 'UTC' })).toISODate() ?? '';
}

/**
 * A vendor date as YYYY-MM-DD, or null when empty. BambooHR writes an unset date as
 * `0000-00-00`; Workday may append the tenant's offset to a date (`2026-01-15-08:00`), which a
 * calendar date does not need. Anything else is passed through for the schema to judge.
 */
export function vendorDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v === '' || /^0000-00-00/.test(v)) return null;
  const m = /^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$/.exec(v);
  return m ? m[1]! : v;
}

/** A vendor timestamp as RFC 3339 with an offset, or undefined when it has none usable. */
export function vendorInstant(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const v = value.trim().replace(' ', 'T');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v)) return undefined;
  const ms = Date.parse(v.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A trimmed non-empty string, or null. */
export function text(value: unknown): string | null {
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string') return null;
  const v = value.trim();
  return v === '' ? null : v;
}

/** Prepends the source's idPrefix to an id (sourceId, managerSourceId, rehireOf). */
export function prefixed(prefix: string, id: string | null): string | null {
  return id === null ? null : `${prefix}${id}`;
}

/** Joins name parts that are present ("Ana" + "Lima" -> "Ana Lima"). */
export function fullName(...parts: unknown[]): string | null {
  const words = parts.map(text).filter((p): p is string => p !== null);
  return words.length > 0 ? words.join(' ') : null;
}

/** Drops null and undefined fields, so a raw record carries only what the vendor said. */
export function compact<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}
