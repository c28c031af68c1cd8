import { describe, expect, it } from 'vitest';
import {
  backoffMs,
  type Failure,
  isGoogleRetryable,
  oktaResetMs,
  RateGate,
  RetryError,
  retryAfterMs,
  withRetry,
} from '../../src/providers/retry.js';

class HttpError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}
const classify = (e: unknown): Failure =>
  e instanceof HttpError ? e.failure : { retryable: false, message: String(e) };

function clock() {
  let t = 0;
  const waits: number[] = [];
  return {
    waits,
    now: () => t,
    sleep: async (ms: number) => {
      waits.push(ms);
      t += ms;
    },
    random: () => 0.5,
  };
}

describe('the shared retry policy', () => {
  it('waits exactly what the server asked before the next attempt', async () => {
    const c = clock();
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3)
          throw new HttpError({ status: 429, retryAfterMs: 2_000, retryable: true, message: '429' });
        return 'ok';
      },
      classify,
      c,
    );
    expect(result).toBe('ok');
    expect(c.waits).toEqual([2_000, 2_000]);
  });

  it('backs off exponentially with jitter when the server gives no wait', async () => {
    const c = clock();
    let calls = 0;
    await withRetry(
      async () => {
        if (++calls < 4) throw new HttpError({ status: 503, retryable: true, message: '503' });
      },
      classify,
      { ...c, baseDelayMs: 100 },
    );
    expect(c.waits).toEqual([50, 100, 200]);
    expect(backoffMs(20, { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999 })).toBe(999);
  });

  it('does not retry what cannot succeed', async () => {
    const c = clock();
    await expect(
      withRetry(
        async () => Promise.reject(new HttpError({ status: 400, retryable: false, message: 'bad' })),
        classify,
        c,
      ),
    ).rejects.toThrow('bad');
    expect(c.waits).toEqual([]);
  });

  it('gives up with a clear error after the attempts or the time budget', async () => {
    const c = clock();
    const always = async () =>
      Promise.reject(new HttpError({ status: 429, retryAfterMs: 10, retryable: true, message: 'throttled' }));
    await expect(withRetry(always, classify, { ...c, maxAttempts: 3 })).rejects.toThrow(
      /gave up after 3 attempts: throttled/,
    );
    const long = async () =>
      Promise.reject(
        new HttpError({ status: 429, retryAfterMs: 600_000, retryable: true, message: 'throttled' }),
      );
    const err = await withRetry(long, classify, { ...c, budgetMs: 60_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(RetryError);
    expect(err.message).toMatch(/beyond the retry budget of 60 s/);
  });

  it('reads each vendor’s header the way the vendor documents it', () => {
    expect(retryAfterMs('7', 0)).toBe(7_000);
    expect(retryAfterMs('Wed, 25 Nov 2026 20:00:10 GMT', Date.parse('2026-11-25T20:00:00Z'))).toBe(10_000);
    expect(retryAfterMs(undefined, 0)).toBeUndefined();
    // Okta: reset measured against the server's Date, plus a second for rounding.
    const serverNow = 'Wed, 25 Nov 2026 20:00:00 GMT';
    const reset = String(Date.parse('2026-11-25T20:00:30Z') / 1000);
    expect(oktaResetMs(reset, serverNow, Date.parse('2026-11-25T19:00:00Z'))).toBe(31_000);
    expect(isGoogleRetryable(403, ['userRateLimitExceeded'])).toBe(true);
    expect(isGoogleRetryable(403, ['forbidden'])).toBe(false);
    expect(isGoogleRetryable(429, [])).toBe(true);
    expect(isGoogleRetryable(404, [])).toBe(false);
  });
});

describe('the rate gate shared by one connection', () => {
  it('makes every concurrent call wait for the wait one of them was given', async () => {
    const c = clock();
    const gate = new RateGate(c);
    const sent: { who: string; at: number }[] = [];
    let throttled = false;
    const call = (who: string) =>
      withRetry(
        async () => {
          sent.push({ who, at: c.now() });
          if (who === 'a' && !throttled) {
            throttled = true;
            throw new HttpError({ status: 429, retryAfterMs: 5000, retryable: true, message: '429' });
          }
          return who;
        },
        classify,
        { ...c, gate },
      );
    // a is throttled first; b starts after the 429 and must not go out before t = 5000.
    const a = call('a');
    await Promise.resolve();
    const b = call('b');
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(sent[0]).toEqual({ who: 'a', at: 0 });
    for (const s of sent.slice(1)) expect(s.at).toBeGreaterThanOrEqual(5000);
    expect(gate.closedUntil).toBe(5000);
  });

  it('never opens earlier than it was closed', () => {
    const gate = new RateGate(clock());
    gate.closeUntil(9000);
    gate.closeUntil(3000);
    expect(gate.closedUntil).toBe(9000);
  });
});
