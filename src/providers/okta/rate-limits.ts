/**
 * Okta's rate limits, as the connector sees them. Okta counts requests per endpoint bucket per
 * minute and reports the bucket on every answer (`X-Rate-Limit-Limit`, `-Remaining`, `-Reset` in
 * epoch seconds). The budget below keeps, per bucket, what the last answer said is left, and
 * never has more requests in flight than that: with up to 10 requests in flight, waiting for a
 * 429 before slowing down would send nine more into a closed window.
 */
import { oktaResetMs, type RateGate, type RetryOptions } from '../retry.js';

/** Okta's guidance for one client: at most 10 requests in flight. */
export const OKTA_MAX_IN_FLIGHT = 10;

/**
 * The buckets of Okta's management rate-limit table that the connector touches
 * (developer.okta.com/docs/reference/rl-global-mgmt). Okta reports each bucket's limit on every
 * answer, so the connector only needs to know which requests share one:
 * - `users`: GET or POST `/api/v1/users`; `user-get`: GET `/api/v1/users/{idOrLogin}`;
 *   `user-write`: POST, PUT or DELETE `/api/v1/users/{id}`;
 * - `groups`: `/api/v1/groups` and everything under a group (`/groups/{id}/users/...`);
 *   `group-by-id`: `/api/v1/groups/{id}` only;
 * - `apps`: `/api/v1/apps` and everything under an app (`/apps/{id}/users/...`);
 *   `app-by-id`: `/api/v1/apps/{id}` only;
 * - `logs`: the System Log, GET `/api/v1/logs` (the drift change feed; a bucket of its own);
 * - `api-v1`: every other `/api/v1` call, the user lifecycle and sessions calls included;
 * - `oauth2-token`: the org authorization server's token endpoint.
 */
export type OktaBucket =
  | 'oauth2-token'
  | 'users'
  | 'user-get'
  | 'user-write'
  | 'groups'
  | 'group-by-id'
  | 'apps'
  | 'app-by-id'
  | 'logs'
  | 'api-v1';

const FAMILIES = ['users', 'groups', 'apps'] as const;
type Family = (typeof FAMILIES)[number];

function isFamily(value: string | undefined): value is Family {
  return (FAMILIES as readonly (string | undefined)[]).includes(value);
}

/** Which bucket a request counts against. */
export function oktaRateBucket(method: string, url: string): OktaBucket {
  const path = new URL(url, 'http://okta.invalid').pathname.replace(/\/+$/, '');
  if (path === '/oauth2/v1/token') return 'oauth2-token';
  if (path === '/api/v1/logs') return 'logs';
  const m = /^\/api\/v1\/([^/]+)(?:\/([^/]+))?(\/.*)?$/.exec(path);
  const family = m?.[1];
  if (!m || !isFamily(family)) return 'api-v1';
  const [, , id, rest] = m;
  if (!id) return family;
  if (family === 'users') {
    if (rest) return 'api-v1';
    return method.toUpperCase() === 'GET' ? 'user-get' : 'user-write';
  }
  if (rest) return family;
  return family === 'groups' ? 'group-by-id' : 'app-by-id';
}

interface BucketState {
  /** What the last answer in the current window said is left; undefined when not known. */
  remaining?: number;
  /** The window's reset as Okta sent it (epoch seconds), to tell a new window from a late answer. */
  resetEpoch?: number;
  /** Local epoch ms from which the window has surely reset. */
  resetAt: number;
  inFlight: number;
  waiters: (() => void)[];
}

export interface RateHeaders {
  get(name: string): string | null;
}

/**
 * Per-bucket budget shared by every request of one connection. A request takes a slot before it
 * is sent and gives it back with the answer's headers. While a bucket is unknown (first request,
 * or its window has passed) one request probes it; once known, at most `remaining` requests are
 * in flight; when nothing is left, requests wait for the reset (plus Okta's one-second rounding).
 */
export class RateBudget {
  private readonly buckets = new Map<OktaBucket, BucketState>();

  constructor(
    private readonly clock: Pick<RetryOptions, 'now' | 'sleep'>,
    private readonly gate: RateGate,
  ) {}

  async acquire(bucket: OktaBucket): Promise<void> {
    const s = this.state(bucket);
    for (;;) {
      await this.gate.ready();
      const now = this.clock.now();
      if (s.resetAt > 0 && now >= s.resetAt) {
        s.remaining = undefined;
        s.resetEpoch = undefined;
        s.resetAt = 0;
      }
      const allowance = s.remaining ?? 1;
      if (s.inFlight < allowance) {
        s.inFlight++;
        return;
      }
      if (s.inFlight === 0) await this.clock.sleep(s.resetAt - now);
      else await new Promise<void>((resolve) => s.waiters.push(resolve));
    }
  }

  /** Gives the slot back and learns what the answer said (no headers: the request never got one). */
  release(bucket: OktaBucket, headers: RateHeaders | undefined): void {
    const s = this.state(bucket);
    s.inFlight--;
    const remaining = Number(headers?.get('x-rate-limit-remaining') ?? Number.NaN);
    const reset = headers?.get('x-rate-limit-reset');
    const waitMs = oktaResetMs(reset, headers?.get('date'), this.clock.now());
    if (Number.isInteger(remaining) && waitMs !== undefined) {
      const resetEpoch = Number(reset);
      if (s.resetEpoch === undefined || resetEpoch > s.resetEpoch) {
        s.resetEpoch = resetEpoch;
        s.remaining = remaining;
        s.resetAt = this.clock.now() + waitMs;
      } else if (resetEpoch === s.resetEpoch) {
        // Answers arrive out of order: the smallest count of the window is the freshest.
        s.remaining = Math.min(s.remaining ?? remaining, remaining);
      }
    }
    for (const wake of s.waiters.splice(0)) wake();
  }

  private state(bucket: OktaBucket): BucketState {
    let s = this.buckets.get(bucket);
    if (!s) {
      s = { resetAt: 0, inFlight: 0, waiters: [] };
      this.buckets.set(bucket, s);
    }
    return s;
  }
}
