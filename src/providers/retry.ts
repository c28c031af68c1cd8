/**
 * One retry policy for every connector. Each vendor says "slow down" differently:
 * - Microsoft Graph: 429 / 503 / 504 with `Retry-After` (seconds, or an HTTP date);
 * - Okta: 429 with `X-Rate-Limit-Reset` (epoch seconds when the window reopens);
 * - Google: 403 `userRateLimitExceeded` / `rateLimitExceeded` / `quotaExceeded`, 429, and 5xx,
 *   with no header: exponential backoff with full jitter.
 * A connector turns its SDK's error into a `Failure` (`classify`); this module decides whether
 * and how long to wait, never sends a request before the wait the server asked for, and gives
 * up with a clear error once the attempts or the time budget are spent. SDK-internal retries
 * are switched off so that waits are not stacked.
 */

export interface Failure {
  /** HTTP status, when there was a response. */
  status?: number;
  /** The wait the server asked for, in milliseconds, when it said. */
  retryAfterMs?: number;
  /** Whether trying again can help (throttling, 5xx, a dropped connection). */
  retryable: boolean;
  /** A short description for the final error; never a credential. */
  message: string;
}

export type Classify = (error: unknown) => Failure;

export interface RetryOptions {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff step when the server gives no wait. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total time the retries may add to one call. */
  budgetMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
  /** Called before each wait (for logs and tests). */
  onRetry?: (info: { attempt: number; delayMs: number; failure: Failure }) => void;
  /** The connection's shared gate: every attempt waits for it, and a server-given wait closes it. */
  gate?: RateGate;
  /**
   * How long one HTTP request may take before it is abandoned and retried. A server that
   * applied a write and then went silent must not hold an apply (and its locks) forever; the
   * retry is safe because every connector's writes are idempotent.
   */
  requestTimeoutMs: number;
}

export const DEFAULT_CLOCK: Pick<RetryOptions, 'now' | 'sleep'> = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/**
 * The shared "not before" time of one connection. A throttled answer closes it for everyone:
 * Graph's and Okta's limits are per app and per org, so when one request is told to wait, the
 * other requests in flight to that provider wait as well instead of collecting 429s of their own.
 * A connector may also close it ahead of time (Okta's `X-Rate-Limit-Remaining: 0`).
 */
export class RateGate {
  private openAt = 0;

  constructor(private readonly clock: Pick<RetryOptions, 'now' | 'sleep'> = DEFAULT_CLOCK) {}

  /** Resolves once requests may be sent again. */
  async ready(): Promise<void> {
    for (let wait = this.openAt - this.clock.now(); wait > 0; wait = this.openAt - this.clock.now()) {
      await this.clock.sleep(wait);
    }
  }

  /** No request before `at` (epoch ms). Never moves the time earlier. */
  closeUntil(at: number): void {
    if (at > this.openAt) this.openAt = at;
  }

  /** Epoch ms before which nothing is sent (0 when open). */
  get closedUntil(): number {
    return this.openAt;
  }
}

export const DEFAULT_RETRY: RetryOptions = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
  budgetMs: 5 * 60_000,
  ...DEFAULT_CLOCK,
  random: Math.random,
  requestTimeoutMs: 30_000,
};

export class RetryError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
    readonly failure: Failure,
  ) {
    super(message);
    this.name = 'RetryError';
  }
}

/** Exponential backoff with full jitter (AWS architecture blog): a random wait up to base·2^n. */
export function backoffMs(
  attempt: number,
  opts: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const cap = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(opts.random() * cap);
}

/** Runs `op`, retrying what `classify` calls retryable, waiting as the server asked. */
export async function withRetry<T>(
  op: (attempt: number) => Promise<T>,
  classify: Classify,
  options: Partial<RetryOptions> = {},
): Promise<T> {
  const opts = { ...DEFAULT_RETRY, ...options };
  const started = opts.now();
  for (let attempt = 1; ; attempt++) {
    try {
      if (opts.gate) await opts.gate.ready();
      return await op(attempt);
    } catch (error) {
      const failure = classify(error);
      if (!failure.retryable) throw error;
      if (attempt >= opts.maxAttempts) {
        throw new RetryError(`gave up after ${attempt} attempts: ${failure.message}`, attempt, failure);
      }
      const delayMs = Math.max(0, failure.retryAfterMs ?? backoffMs(attempt, opts));
      if (opts.now() - started + delayMs > opts.budgetMs) {
        const wait = failure.retryAfterMs !== undefined ? 'the server asked to wait' : 'the next backoff is';
        throw new RetryError(
          `gave up after ${attempt} attempts: ${wait} ${Math.ceil(delayMs / 1000)} s, beyond the retry budget of ${Math.round(opts.budgetMs / 1000)} s (${failure.message})`,
          attempt,
          failure,
        );
      }
      opts.onRetry?.({ attempt, delayMs, failure });
      if (opts.gate && failure.retryAfterMs !== undefined) {
        // The server's wait holds for the whole connection; the gate makes the others wait too.
        opts.gate.closeUntil(opts.now() + delayMs);
      } else await opts.sleep(delayMs);
    }
  }
}

// --- what each vendor's headers mean -------------------------------------------------------------

/** Graph's `Retry-After`: delta-seconds or an HTTP date. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Okta's `X-Rate-Limit-Reset` (epoch seconds). Measured against the server's own `Date` header
 * when there is one, so that a skewed local clock neither hammers the server nor waits for
 * nothing; one second is added because the reset is rounded down.
 */
export function oktaResetMs(
  reset: string | null | undefined,
  serverDate: string | null | undefined,
  now: number,
): number | undefined {
  if (!reset || !/^\d+$/.test(reset.trim())) return undefined;
  const resetAt = Number(reset.trim()) * 1000;
  const serverNow = serverDate ? Date.parse(serverDate) : Number.NaN;
  const reference = Number.isNaN(serverNow) ? now : serverNow;
  return Math.max(0, resetAt - reference) + 1000;
}

const GOOGLE_QUOTA_REASONS = new Set([
  'userRateLimitExceeded',
  'rateLimitExceeded',
  'quotaExceeded',
  'backendError',
]);

/** Whether a Google API error is a quota or transient error worth backing off for. */
export function isGoogleRetryable(status: number | undefined, reasons: readonly string[]): boolean {
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return status === 403 && reasons.some((r) => GOOGLE_QUOTA_REASONS.has(r));
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Network failures that may succeed on a second try: a dropped or refused connection, and a
 * request abandoned after `requestTimeoutMs` (fetch's AbortError / TimeoutError, node-fetch's
 * `request-timeout`). Looks through `cause`, where fetch and the SDKs keep the socket error.
 */
export function isTransientNetworkError(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; name?: unknown; type?: unknown; cause?: unknown } | null, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth++
  ) {
    if (typeof e !== 'object') return false;
    if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'request-timeout') return true;
  }
  return false;
}
