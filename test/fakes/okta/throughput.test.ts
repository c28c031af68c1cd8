/**
 * The Okta throughput figure of `npm run bench` (OktaFake.sustainedThroughput) is computed
 * against the windows the fake itself enforced, so no client can score above 100%: one that fills
 * every window back to back scores exactly 100%, one that ignores the limit still 100% at most,
 * one that waits after a reset less. The fake runs on a clock the test moves; requests go over
 * loopback HTTP as a client's would.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { OktaFake } from './okta-fake.js';

const TOKEN = '00throughputtesttoken';
let fake: OktaFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A fake with `perMinute` requests a minute per bucket, on a clock starting at a whole minute. */
async function start(perMinute: number): Promise<{ fake: OktaFake; clock: { now: number } }> {
  const clock = { now: Date.parse('2026-11-25T17:00:00Z') };
  fake = new OktaFake({ rateLimit: { perMinute }, now: () => clock.now });
  fake.addApiToken(TOKEN);
  await fake.start();
  return { fake, clock };
}

/** `n` group listings (one bucket) sent at once; their statuses. */
async function burst(f: OktaFake, n: number): Promise<number[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      fetch(`${f.url}/api/v1/groups?limit=1`, { headers: { authorization: `SSWS ${TOKEN}` } }).then(
        async (r) => {
          await r.arrayBuffer();
          return r.status;
        },
      ),
    ),
  );
}

describe('Okta throughput against the limit the fake enforces', () => {
  it('a client that fills every window back to back sustains exactly the limit (100%)', async () => {
    const { fake: f, clock } = await start(6);
    const from = f.server.requests.length;
    for (let w = 0; w < 3; w++) {
      expect(await burst(f, 6)).toEqual(Array(6).fill(200));
      clock.now += 60_000;
    }
    await burst(f, 1); // the first request of the fourth window marks the end of the third
    const [t] = f.sustainedThroughput(f.server.requests.slice(from));
    expect(t).toMatchObject({
      bucket: '/api/v1/groups*',
      perMinute: 6,
      limitPerMinute: 6,
      share: 1,
      windows: 3,
    });
  });

  it('a client that ignores the limit is refused the excess and scores no more than 100%', async () => {
    const { fake: f, clock } = await start(6);
    const from = f.server.requests.length;
    for (let w = 0; w < 2; w++) {
      const statuses = await burst(f, 10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
      clock.now += 60_000;
    }
    await burst(f, 1);
    expect(f.sustainedThroughput(f.server.requests.slice(from))[0]!.share).toBe(1);
  });

  it('a client that waits 30 s after each reset sustains two thirds of the limit', async () => {
    const { fake: f, clock } = await start(6);
    const from = f.server.requests.length;
    for (let w = 0; w < 2; w++) {
      await burst(f, 6);
      clock.now += 90_000;
    }
    await burst(f, 1);
    expect(f.sustainedThroughput(f.server.requests.slice(from))[0]!.share).toBeCloseTo(2 / 3, 10);
  });

  it('no sequence of bursts at any times scores above 100%', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ wait: fc.integer({ min: 0, max: 150_000 }), n: fc.integer({ min: 1, max: 9 }) }),
          {
            minLength: 2,
            maxLength: 8,
          },
        ),
        async (steps) => {
          const { fake: f, clock } = await start(6);
          try {
            const from = f.server.requests.length;
            for (const s of steps) {
              clock.now += s.wait;
              await burst(f, s.n);
            }
            for (const t of f.sustainedThroughput(f.server.requests.slice(from)))
              expect(t.share).toBeLessThanOrEqual(1);
          } finally {
            await f.close();
            fake = undefined;
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
