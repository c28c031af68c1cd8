/**
 * `jml hr sync` as an engine use case (src/engine/hr-sync.ts): given a context and ports, it
 * returns an outcome value and prints nothing. What only the engine's seams show: a run that cuts
 * nobody needs no provider credentials (the providers are connected at the first cut); who
 * releases the brake is read from the context's environment, never the process's; GitHub is
 * asked for only when there is something to open or tell.
 *
 * The example organisation and its BambooHR snapshot, time frozen at 2026-12-01T15:00Z.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skippingClock } from '../../src/apply/leaver-schedule.js';
import type { EngineContext } from '../../src/engine/context.js';
import { type HrSyncOutcome, type HrSyncRequest, syncHr } from '../../src/engine/hr-sync.js';
import { prepare } from '../../src/engine/prepare.js';
import type { HrRecord } from '../../src/hr/snapshot.js';
import { editPolicyYaml } from '../../src/load/write-yaml.js';
import { cleanTempDirs } from '../engine/helpers.js';
import { type GitHubHarness, OWNER, REPO, specMismatches, startGitHub } from '../fakes/github/harness.js';
import { baseline, hrExample, NOW } from '../fixtures/hr/northwind.js';
import { seedGitHub } from './helpers.js';

/** Six overdue leavers: over safety.maxDisables (5) and 10% of the 50 active people. */
const SIX = ['BHR-1039', 'BHR-1027', 'BHR-1024', 'BHR-1045', 'BHR-1033', 'BHR-1035'];
/** As GitHub Actions describes a run a member of the security team started. */
const ERIN_IN_ACTIONS = {
  GITHUB_ACTIONS: 'true',
  GITHUB_ACTOR: 'emcbride-sec',
  GITHUB_TRIGGERING_ACTOR: 'emcbride-sec',
};

let dir: string;
let h: GitHubHarness | undefined;
let saved: Record<string, string | undefined> = {};
beforeEach(() => {
  dir = hrExample();
  // Whatever runs the tests (GitHub Actions itself), the process names no actor here.
  saved = Object.fromEntries(Object.keys(ERIN_IN_ACTIONS).map((k) => [k, process.env[k]]));
  for (const k of Object.keys(saved)) delete process.env[k];
});
afterEach(async () => {
  for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  if (!h) return;
  const mismatches = specMismatches(h.fake);
  await h.close();
  h = undefined;
  expect(mismatches).toEqual([]);
});
afterAll(cleanTempDirs);

const ctxWith = (env: NodeJS.ProcessEnv = {}): EngineContext => ({ clock: skippingClock(NOW), env });
const terminated = (...ids: string[]) =>
  baseline().map((r) =>
    ids.includes(r.sourceId)
      ? { ...r, status: 'terminated' as const, lastDayOfWork: '2026-11-30', endInstant: null }
      : r,
  );

function request(records: HrRecord[], over: Partial<HrSyncRequest> = {}): HrSyncRequest {
  const text = `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
  return {
    root: dir,
    snapshot: { file: 'snapshot.jsonl', read: () => text },
    dryRun: false,
    allowMassDisable: false,
    base: 'main',
    trigger: { actor: 'test', command: 'jml hr sync', ci: false },
    ...over,
  };
}

/** The report of a sync that went ahead (fails the test otherwise). */
function reportOf(o: HrSyncOutcome) {
  if (!o.ok) throw new Error(`refused: ${o.refusal.kind}`);
  if (o.refused) throw new Error(`refused: ${o.refused.kind}`);
  return o.report;
}

async function github() {
  h = await startGitHub();
  seedGitHub(h, dir);
  const { client } = h;
  return async () => ({ client, owner: OWNER, repo: REPO });
}

/** Okta declared real, its API token not in the environment: connecting it fails. */
function oktaWithoutCredentials(): void {
  const file = path.join(dir, 'policy/jml.yaml');
  writeFileSync(
    file,
    editPolicyYaml(readFileSync(file, 'utf8'), [
      [['providers', 'okta'], { orgUrl: 'https://northwind.okta.com', auth: 'ssws' }],
    ]),
  );
}

/** The records directory's files: the holds and cuts written. */
const records = () => {
  const at = path.join(dir, '.jml/records');
  return existsSync(at) ? readdirSync(at) : [];
};

describe('syncHr: providers are connected only to cut', () => {
  it('a dry run, and a real run that cuts nobody, need no provider credentials', async () => {
    oktaWithoutCredentials();
    // The test bites: preparing to write fails on the missing token.
    const full = await prepare(ctxWith(), { root: dir, at: NOW });
    expect(full.ok || full.refusal.kind).toBe('failed');

    const dry = reportOf(await syncHr(ctxWith(), request(terminated('BHR-1039'), { dryRun: true })));
    expect(dry).toMatchObject({ dryRun: true, status: 'done', cutTried: false });
    expect(dry.events.map((e) => [e.event, e.person, e.overdue])).toEqual([['leaver', 'priya.raman', true]]);

    const move = baseline().map((r) =>
      r.sourceId === 'BHR-1024' ? { ...r, managerSourceId: 'BHR-1003' } : r,
    );
    const real = reportOf(await syncHr(ctxWith(), request(move, { github: await github() })));
    expect(real).toMatchObject({ dryRun: false, status: 'done', cutTried: false });
    expect(real.outcomes?.map((o) => o.pullRequest?.action)).toEqual(['created']);
  });

  it('a cut that cannot connect fails alone: the leaver still gets their pull request, which says so', async () => {
    oktaWithoutCredentials();
    const r = reportOf(await syncHr(ctxWith(), request(terminated('BHR-1039'), { github: await github() })));
    expect(r).toMatchObject({ status: 'failed', cutTried: true });
    const [o] = r.outcomes!;
    expect(o!.cut).toBeUndefined();
    expect(o!.error).toMatch(/^access of priya\.raman was not cut: .*OKTA_API_TOKEN is not set/);
    expect(o!.pullRequest?.action).toBe('created');
    const body = h!.fake.repo(OWNER, REPO).issues.get(o!.pullRequest!.number)!.body!;
    expect(body).toContain('**Access could not be cut at once**');
  });
});

describe('syncHr: who releases the brake comes from the context', () => {
  it('GitHub Actions in ctx.env vouches for a security member; process.env is never read', async () => {
    const req = request(terminated(...SIX), { dryRun: true, allowMassDisable: true });
    const r = reportOf(await syncHr(ctxWith(ERIN_IN_ACTIONS), req));
    expect(r.brake).toMatchObject({ stopped: false, allowedBy: 'emcbride-sec', finding: false });
    expect(r.status).toBe('done');
    expect(r.events.filter((e) => e.event === 'leaver')).toHaveLength(6);

    const nobody = await syncHr(ctxWith(), req);
    expect(nobody.ok && nobody.refused).toEqual({
      kind: 'operator-refused',
      message:
        'who is running this? Outside GitHub Actions give --operator <your GitHub login> (it is recorded).',
    });
  });

  it('without it, the brake holds every leaver back and the status says security must look', async () => {
    const r = reportOf(await syncHr(ctxWith(), request(terminated(...SIX), { dryRun: true })));
    expect(r.status).toBe('brake');
    expect(r.brake).toMatchObject({ stopped: true, finding: true });
    expect(r.brake.heldBack.map((e) => e.record.sourceId).sort()).toEqual([...SIX].sort());
    expect(r.events).toEqual([]);
  });
});

describe('syncHr: GitHub only when there is something to open', () => {
  it('a snapshot that says what people/ says never asks for GitHub', async () => {
    let asked = 0;
    const r = reportOf(
      await syncHr(
        ctxWith(),
        request(baseline(), {
          github: async () => {
            asked++;
            throw new Error('not wanted');
          },
        }),
      ),
    );
    expect(r).toMatchObject({ dryRun: false, status: 'done', outcomes: [] });
    expect(asked).toBe(0);
  });

  it('events and no GitHub: refused before anything is cut or written', async () => {
    const o = await syncHr(ctxWith(), request(terminated('BHR-1039')));
    expect(o.ok && o.refused).toEqual({ kind: 'github-not-configured' });
    expect(records()).toEqual([]);
  });
});
