/**
 * `jml drift` with the change feeds' state (src/engine/drift-state.ts): when it reads
 * incrementally and when it falls back to a full read (no state, a state it cannot read or that
 * belongs to another catalog or connection, the daily safety net, --full), what it tells the user
 * about each provider and how fresh the state is, and the promise behind it all: a stale or forged
 * state can never change what apply writes, because apply reads the providers afresh.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyRepository } from '../../src/engine/apply.js';
import { FULL_READ_EVERY_MS, readForDrift } from '../../src/engine/drift-state.js';
import { detectDrift } from '../../src/engine/plan.js';
import { planFrom, readActual } from '../../src/engine/prepare.js';
import { cleanTempDirs, jmlWithClock, tempDir } from '../engine/helpers.js';
import { type EntraRepo, entraRepo, START } from './entra-repo.js';

let repo: EntraRepo;
const savedEnv = { ...process.env };
beforeAll(async () => {
  for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[v];
  repo = await entraRepo();
});
afterEach(async () => {
  await repo.h.seed(repo.base, repo.extra);
  repo.clock.now = START;
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
});
afterAll(async () => {
  await repo?.h.close();
  cleanTempDirs();
});

const read = (dir: string, extra: { full?: boolean } = {}) =>
  readForDrift(repo.p, { dir, now: repo.clock.now, ...extra });

describe('when drift reads incrementally and when in full', () => {
  it('reads in full without a state, then incrementally from the state it kept', async () => {
    const dir = tempDir('jml-drift-state-');
    expect((await read(dir)).reads).toEqual([
      expect.objectContaining({ provider: 'entra', mode: 'full', reason: 'no-checkpoint' }),
    ]);
    const file = JSON.parse(readFileSync(path.join(dir, 'entra.json'), 'utf8')) as Record<string, unknown>;
    expect(file).toMatchObject({ schema: 'jml-drift-state/v1', provider: 'entra' });
    repo.clock.now += 15 * 60_000;
    const again = await read(dir);
    expect(again.reads[0]).toMatchObject({
      mode: 'incremental',
      changes: 0,
      lastFullReadAt: new Date(START).toISOString(),
      readAt: new Date(START + 15 * 60_000).toISOString(),
      fullReadDue: new Date(START + FULL_READ_EVERY_MS).toISOString(),
    });
  });

  it('reads in full once a day whatever the feed says: the safety net', async () => {
    const dir = tempDir('jml-drift-state-');
    await read(dir);
    repo.clock.now += FULL_READ_EVERY_MS - 60_000;
    expect((await read(dir)).reads[0]!.mode).toBe('incremental');
    repo.clock.now += 60_000;
    expect((await read(dir)).reads[0]).toMatchObject({ mode: 'full', reason: 'daily' });
    expect((await read(dir)).reads[0]!.mode).toBe('incremental');
  });

  it('reads in full when the saved state was kept for another catalog or connection', async () => {
    const dir = tempDir('jml-drift-state-');
    await read(dir);
    const file = path.join(dir, 'entra.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...saved, scope: 'another-tenant' }));
    expect((await read(dir)).reads[0]).toMatchObject({ mode: 'full', reason: 'scope-changed' });
  });

  it('reads in full a state file that is corrupt, of another version or of another provider', async () => {
    const dir = tempDir('jml-drift-state-');
    await read(dir);
    const file = path.join(dir, 'entra.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const bad of [
      '{"schema": "jml-drift-state/v1", "provi',
      JSON.stringify({ ...saved, schema: 'jml-drift-state/v0' }),
      JSON.stringify({ ...saved, provider: 'okta' }),
      JSON.stringify({ ...saved, feed: { feed: 'entra-delta/v1' } }),
    ]) {
      writeFileSync(file, bad);
      expect((await read(dir)).reads[0]).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
    }
  });

  it('reads in full when asked (--full), and keeps the fresh state', async () => {
    const dir = tempDir('jml-drift-state-');
    await read(dir);
    repo.clock.now += 60_000;
    expect((await read(dir, { full: true })).reads[0]).toMatchObject({ mode: 'full', reason: 'asked' });
    expect((await read(dir)).reads[0]).toMatchObject({
      mode: 'incremental',
      lastFullReadAt: new Date(START + 60_000).toISOString(),
    });
  });
});

describe('what jml drift tells the user', () => {
  it('says how it read each provider and how fresh the state is, in text and JSON', async () => {
    Object.assign(process.env, repo.ctx.env);
    const clock = { now: () => repo.clock.now, sleepUntil: async () => {} };
    const first = await jmlWithClock(clock, repo.dir, 'drift');
    expect(first.code, first.err).toBe(2);
    expect(first.out).toContain('How each provider was read:');
    expect(first.out).toMatch(/ {2}entra: full read \(no saved state yet\)/);
    expect(first.out).toMatch(/ {2}local: full read \(this provider has no change feed\)/);
    repo.clock.now += 15 * 60_000;
    const second = await jmlWithClock(clock, repo.dir, 'drift', '--format', 'json');
    const json = JSON.parse(second.out) as {
      reads: { provider: string; mode: string }[];
      findings: unknown[];
    };
    expect(json.reads.find((r) => r.provider === 'entra')).toMatchObject({ mode: 'incremental', changes: 0 });
    const third = await jmlWithClock(clock, repo.dir, 'drift', '--format', 'markdown');
    expect(third.out).toMatch(
      /- entra: incremental, 0 change\(s\) since the last run; state as of .*last full read 15 min ago/,
    );
    // Same findings whichever way Entra was read.
    const full = await jmlWithClock(clock, repo.dir, 'drift', '--format', 'json', '--full');
    expect((JSON.parse(full.out) as { findings: unknown[] }).findings).toEqual(json.findings);
  });
});

describe('writes are never planned from the drift state', () => {
  it('a stale state cannot change what apply writes: apply plans from a fresh read', async () => {
    const dir = tempDir('jml-drift-state-');
    const before = await read(dir);
    // Someone disables an active employee behind the engine's back, after drift kept its state.
    const basePlan = planFrom(repo.p, await readActual(repo.p));
    const touched = new Set(basePlan.changes.filter((c) => /User$/.test(c.action)).map((c) => c.login));
    const victim = repo.logins.find((l) => !touched.has(l))!;
    repo.h.fake.userByKey(victim)!.accountEnabled = false;
    // The state drift kept still says the account is enabled: a plan from it would not enable it.
    const stalePlan = planFrom(repo.p, before.actual);
    expect(stalePlan.changes.some((c) => c.action === 'enableUser' && c.login === victim)).toBe(false);
    const stateBefore = readFileSync(path.join(dir, 'entra.json'), 'utf8');
    const deltaCalls = repo.h.fake.deltaLog.length;

    const r = await applyRepository(repo.ctx, {
      root: repo.dir,
      at: repo.clock.now,
      only: 'entra',
      flags: { allowMassDisable: true, allowMassRemoval: true, allowDelete: false },
      trigger: { actor: 'test', command: 'jml apply --confirm', ci: false },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.refusal));
    const enabled = r.outcome.record.changes.find((c) => c.action === 'enableUser' && c.login === victim);
    expect(enabled?.status).toBe('applied');
    expect(repo.h.fake.userByKey(victim)!.accountEnabled).toBe(true);
    // Apply neither read the change feed nor touched the state drift keeps.
    expect(repo.h.fake.deltaLog.length).toBe(deltaCalls);
    expect(readFileSync(path.join(dir, 'entra.json'), 'utf8')).toBe(stateBefore);
  });

  it('detectDrift without a state directory reads every provider in full and keeps nothing', async () => {
    const r = await detectDrift(repo.ctx, { root: repo.dir, at: repo.clock.now, only: 'entra' });
    if (!r.ok) throw new Error(JSON.stringify(r.refusal));
    expect(r.reads).toEqual([expect.objectContaining({ provider: 'entra', mode: 'full', reason: 'asked' })]);
  });
});
