import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * How long one test, or one set-up hook, may take: the only time limit in the suite, and a hang
 * detector, not a benchmark. Tests never wait on the wall clock (they await events, or move a fake
 * clock), but some are legitimately slow: they spawn the CLI many times (test/engine/crash.test.ts
 * kills it fifteen times, test/review/quarter.test.ts runs a whole quarter, test/evidence/ builds
 * packs), and on a loaded 2-core machine (a CI runner, a laptop) each spawn costs several seconds
 * of tsx start-up. Issue 16 saw 13 tests fail on limits of 10 s (vitest's default for hooks) and
 * 180 s there; `npm run test:busy` runs the slowest files beside two CPU-bound processes.
 */
const LIMIT_MS = 10 * 60_000;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: LIMIT_MS,
    hookTimeout: LIMIT_MS,
    // Forks, not threads: tests change the working directory and environment of their process,
    // and spawn children; a fork per worker keeps each file's process to itself.
    pool: 'forks',
    // vitest's default is one worker fewer than the CPUs: a single worker on 2 cores. Most of a
    // slow test's time is spent waiting on its child processes, so two workers overlap that wait.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
