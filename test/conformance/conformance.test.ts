/**
 * The provider conformance suite: one set of behaviours, run against the embedded directory
 * (`local`) and the real Entra, Okta and Google connectors pointed at loopback fakes of their
 * APIs. Every run goes through the real CLI (`jml plan`, `jml apply`, `jml drift`, `jml dump`):
 * - the engine's scenario fixtures produce the same plan whichever provider holds the state;
 * - applying it leaves the provider in the state the embedded directory reaches, and a second
 *   plan is empty (idempotent re-apply);
 * - drift made behind the engine's back is found; dump reads the whole tenant;
 * - a change that fails leaves a partial record, and the next apply finishes the job;
 * - when the server says to wait, no request goes out before the wait is over.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ActualState } from '../../src/model/state.js';
import type { Plan } from '../../src/plan/plan-types.js';
import { type DirectoryFile, EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import type { Scope } from '../../src/providers/types.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, copyFixture, FIXTURES, jml, planJson, readRecords } from '../engine/helpers.js';
import type { ProviderHarness, ProviderState } from '../fakes/harness.js';
import {
  fixtureState,
  fixtureTargetKeys,
  inFixtureTerms,
  localState,
  rewriteRepository,
  type Subject,
  translateTarget,
} from './subject.js';
import { SUBJECTS, VARIANTS } from './subjects.js';

const SCENARIOS = path.join(FIXTURES, 'scenarios');
const scenarios = readdirSync(SCENARIOS)
  .sort()
  .map((name) => ({
    name,
    at: (parse(readFileSync(path.join(SCENARIOS, name, 'scenario.yaml'), 'utf8')) as { at: string }).at,
  }));

afterAll(cleanTempDirs);

/** A scenario repository ready for one subject: the copy, its Okta-part target keys, and the harness. */
interface Prepared {
  dir: string;
  keys: string[];
  /** Target key on the subject -> the fixture's own kind and target. */
  fixtureTargets: Map<string, { kind: string; target: string }>;
  state: () => Promise<ProviderState>;
}

async function prepare(
  subject: Subject,
  scenario: string,
  harness?: ProviderHarness,
  extra: string[] = [],
): Promise<Prepared> {
  const dir = copyFixture(path.join(SCENARIOS, scenario));
  const fixtureKeys = fixtureTargetKeys(dir);
  const fixtureTargets = new Map<string, { kind: string; target: string }>();
  for (const key of fixtureKeys) {
    const i = key.indexOf(':');
    const t = translateTarget(subject, key.slice(0, i), key.slice(i + 1));
    fixtureTargets.set(`${t.kind}:${t.target}`, { kind: key.slice(0, i), target: key.slice(i + 1) });
  }
  if (!harness) {
    return { dir, keys: fixtureKeys, fixtureTargets, state: async () => localState(dir) };
  }
  const seed = fixtureState(path.join(dir, '.jml/okta.json'), subject);
  const { config, env } = subject.fake!.connection(harness);
  Object.assign(process.env, env);
  const keys = rewriteRepository(dir, subject, config);
  // Every managed target exists on the provider, empty when nobody holds it yet.
  for (const k of keys) seed.targets[k] ??= [];
  await harness.seed(seed, extra);
  return { dir, keys, fixtureTargets, state: () => harness.state(keys) };
}

/** The end state in the fixture's terms, for comparing providers: who is enabled, signed in, and holds what. */
function comparable(state: ProviderState, fixtureTargets: Map<string, { kind: string; target: string }>) {
  const users = Object.fromEntries(
    Object.entries(state.users)
      .filter(([login]) => login !== 'outsider@example.com')
      .map(([login, u]) => [login, { enabled: u.enabled, signedIn: u.sessions > 0 }]),
  );
  const targets: Record<string, string[]> = {};
  for (const [key, members] of Object.entries(state.targets)) {
    // Managed targets only: the others are never touched, and a fake need not report them.
    const t = fixtureTargets.get(key);
    if (t && members.length > 0) targets[`${t.kind}:${t.target}`] = [...members].sort();
  }
  return { users, targets };
}

/** `jml apply --confirm` at `at`, past the mass-change brakes (the scenarios are small on purpose). */
function applyAll(dir: string, at: string) {
  return jml(dir, 'apply', '--at', at, '--confirm', '--allow-mass-removal', '--allow-mass-disable');
}

/** The state the embedded directory reaches for a scenario: the reference every provider must reach. */
async function referenceEndState(scenario: string, at: string) {
  const local = SUBJECTS.find((s) => s.name === 'local')!;
  const p = await prepare(local, scenario);
  const r = await applyAll(p.dir, at);
  expect(r.code, r.err + r.out).toBe(0);
  return comparable(await p.state(), p.fixtureTargets);
}

const expectedPlan = (scenario: string): Plan => {
  const plan = JSON.parse(readFileSync(path.join(SCENARIOS, scenario, 'expected-plan.json'), 'utf8')) as Plan;
  return inFixtureTerms(plan, 'local', new Map());
};

for (const subject of [...SUBJECTS, ...VARIANTS]) {
  describe(`conformance: ${subject.name}${subject.variant ? ` (${subject.variant})` : ''}`, () => {
    let harness: ProviderHarness | undefined;
    beforeAll(async () => {
      harness = await subject.fake?.start();
    });
    const savedEnv = { ...process.env };
    afterAll(async () => {
      await harness?.close();
      // Credentials set for this subject's fake do not outlive its tests.
      for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    });
    afterEach(() => {
      if (harness?.server) {
        // A connector that calls something the fake does not understand fails here, loudly.
        expect(harness.server.unknownRequests).toEqual([]);
        harness.server.faults.length = 0;
      }
    });

    it.each(scenarios.map((s) => [s.name, s] as const))(
      '%s: same plan, same end state, then nothing left to do',
      async (name, { at }) => {
        const p = await prepare(subject, name, harness);
        const plan = await planJson(p.dir, '--at', at);
        expect(inFixtureTerms(plan, subject.name, p.fixtureTargets)).toEqual(expectedPlan(name));

        const r = await applyAll(p.dir, at);
        expect(r.code, r.err + r.out).toBe(0);
        expect(comparable(await p.state(), p.fixtureTargets)).toEqual(await referenceEndState(name, at));
        expectLeaverSteps(readRecords(p.dir).at(-1)!.record as unknown as ApplyRecord, plan);

        const again = await planJson(p.dir, '--at', at);
        expect(again.changes).toEqual([]);
        const second = await jml(p.dir, 'apply', '--at', at, '--confirm');
        expect(second.code, second.err).toBe(0);
        expect(readRecords(p.dir).at(-1)?.record.result).toBe('no-changes');
      },
    );

    it('finds drift made behind its back, and plans the fix', async () => {
      const { at } = scenarios.find((s) => s.name === 'mover-with-exceptions')!;
      const p = await prepare(subject, 'mover-with-exceptions', harness);
      expect((await jml(p.dir, 'apply', '--at', at, '--confirm', '--allow-mass-removal')).code).toBe(0);
      expect((await jml(p.dir, 'drift', '--at', at)).code).toBe(0);

      // An administrator adds an outsider to a managed group and takes a member out of another.
      const state = await p.state();
      const [authoritative] = p.keys.filter(
        (k) => k.startsWith('group:') && (state.targets[k]?.length ?? 0) > 0,
      );
      expect(authoritative).toBeDefined();
      const removed = state.targets[authoritative!]![0]!;
      state.targets[authoritative!] = [
        ...state.targets[authoritative!]!.filter((m) => m !== removed),
        'outsider@example.com',
      ].sort();
      if (harness) await harness.seed(state, ['outsider@example.com']);
      else editLocal(p.dir, state);

      const drift = await jml(p.dir, 'drift', '--at', at, '--format', 'json');
      expect(drift.code, drift.err).toBe(2);
      const findings = (JSON.parse(drift.out) as { findings: { kind: string; login: string }[] }).findings;
      expect(findings.map((f) => `${f.kind} ${f.login}`).sort()).toEqual(
        [`missing-grant ${removed}`, 'unknown-member outsider@example.com'].sort(),
      );
      const plan = await planJson(p.dir, '--at', at);
      expect(plan.changes.map((c) => `${c.action} ${c.login}`).sort()).toEqual(
        [`grant ${removed}`, 'revoke outsider@example.com'].sort(),
      );
    });

    it('dumps the whole tenant for onboarding', async () => {
      const p = await prepare(subject, 'mover-with-exceptions', harness, ['outsider@example.com']);
      const name = harness ? subject.name : 'okta';
      const out = path.join(p.dir, 'dump-out');
      const r = await jml(p.dir, 'dump', '--provider', name, '--out', out);
      expect(r.code, r.err).toBe(0);
      // Every account, the outsider included: dump reads the whole tenant, not the managed scope.
      const people = readdirSync(path.join(out, 'people')).sort();
      const seeded = fixtureState(path.join(SCENARIOS, 'mover-with-exceptions/actual/okta.json'), subject);
      const logins = Object.keys(seeded.users).map((l) => `${l.split('@')[0]}.yaml`);
      if (harness) logins.push('outsider.yaml');
      expect(people).toEqual(logins.sort());
      const dumped = parse(readFileSync(path.join(out, `policy/entitlements.${name}.yaml`), 'utf8')) as {
        kind: string;
        target: string;
      }[];
      const withMembers = Object.entries(seeded.targets)
        .filter(([, m]) => m.length > 0)
        .map(([k]) => k);
      expect(dumped.map((e) => `${e.kind}:${e.target}`)).toEqual(expect.arrayContaining(withMembers));
    });

    it.skipIf(subject.noSignIns)(
      'reports a last sign-in at or after the moment a user signs in',
      async () => {
        const p = await prepare(subject, 'mover-with-exceptions', harness);
        const before = await p.state();
        const login = Object.keys(before.users)
          .sort()
          .find((l) => before.users[l]!.enabled)!;
        expect(login).toBeDefined();
        const scope = { logins: new Set([login]), targets: [] };
        // Providers record sign-ins to the second: the moment is taken to the second too.
        const since = Math.floor(Date.now() / 1000) * 1000;
        const read = await signInAndRead(subject, p.dir, harness, login, scope);
        const user = read.users.find((u) => u.login === login);
        expect(user?.lastSignIn, JSON.stringify(user)).toEqual(expect.any(String));
        expect(new Date(user!.lastSignIn!).toISOString()).toBe(user!.lastSignIn);
        expect(Date.parse(user!.lastSignIn!)).toBeGreaterThanOrEqual(since);
        expect(Date.parse(user!.lastSignIn!)).toBeLessThanOrEqual(Date.now());
      },
    );

    it.skipIf(!subject.withoutSignIns)(
      'without the permission to read sign-ins, reports none and warns once, and the read still succeeds',
      async () => {
        const { harness: limited, log } = await subject.withoutSignIns!();
        try {
          const p = await prepare(subject, 'mover-with-exceptions', limited);
          const login = Object.keys((await p.state()).users).sort()[0]!;
          await limited.signIn(login);
          const scope = { logins: new Set([login]), targets: [] };
          const reads = [await limited.provider.read(scope), await limited.provider.read(scope)];
          for (const read of reads) {
            const user = read.users.find((u) => u.login === login);
            expect(user).toBeDefined();
            expect(user).not.toHaveProperty('lastSignIn');
          }
          expect(log.filter((l) => /signInActivity/.test(l))).toHaveLength(1);
          expect(limited.server!.unknownRequests).toEqual([]);
        } finally {
          await limited.close();
        }
      },
    );

    it.skipIf(!subject.refuseOneWrite)(
      'a refused write leaves a partial record; the next apply finishes',
      async () => {
        const { at } = scenarios.find((s) => s.name === 'mover-with-exceptions')!;
        const p = await prepare(subject, 'mover-with-exceptions', harness);
        const fault = harness!.server!.inject({ ...subject.refuseOneWrite!, times: 1 });
        const first = await jml(p.dir, 'apply', '--at', at, '--confirm', '--allow-mass-removal');
        expect(fault.times).toBe(0);
        expect(first.code).not.toBe(0);
        const record = readRecords(p.dir).at(-1)!.record as {
          result: string;
          counts: Record<string, number>;
        };
        expect(record.result).toBe('partial');
        expect(record.counts.failed).toBeGreaterThan(0);
        expect(record.counts.applied).toBeGreaterThan(0);

        const resumed = await jml(p.dir, 'apply', '--at', at, '--confirm', '--allow-mass-removal');
        expect(resumed.code, resumed.err + resumed.out).toBe(0);
        expect((await planJson(p.dir, '--at', at)).changes).toEqual([]);
        expect(comparable(await p.state(), p.fixtureTargets)).toEqual(
          await referenceEndState('mover-with-exceptions', at),
        );
      },
    );

    it.skipIf(!subject.throttle)('sends nothing before the wait the server asked for', async () => {
      const { at } = scenarios.find((s) => s.name === 'high-risk-leaver')!;
      const p = await prepare(subject, 'high-risk-leaver', harness);
      const server = harness!.server!;
      const from = server.requests.length;
      server.inject({ ...subject.throttle!.fault, times: 3 });
      const r = await applyAll(p.dir, at);
      expect(r.code, r.err + r.out).toBe(0);
      const log = server.requests.slice(from);
      const throttled = log.filter((q) => q.status === 429);
      expect(throttled.length).toBe(3);
      // The fault falls on the leaver's disable, the only change of the first apply phase: when
      // the server throttles it, nothing else is in flight, so nothing at all may arrive before
      // the wait is over, and the throttled request itself must be sent again.
      for (const t of throttled) {
        const retry = log.find((q) => q.at >= t.at && q !== t && q.method === t.method && q.path === t.path);
        expect(retry, `${t.method} ${t.path} was sent again`).toBeDefined();
        const wait = subject.throttle!.waitMs;
        if (wait === undefined) continue; // Google names no wait: its backoff is random (retry.test.ts)
        const early = log.filter((q) => q.at > t.at && q.at < t.at + wait);
        expect(early.map((q) => `${q.method} ${q.path} ${q.at - t.at} ms after the 429`)).toEqual([]);
        expect(retry!.at - t.at).toBeGreaterThanOrEqual(wait);
      }
      expect(comparable(await p.state(), p.fixtureTargets)).toEqual(
        await referenceEndState('high-risk-leaver', at),
      );
    });
  });
}

/**
 * Every provider's disable of a leaver carries a `disable-sign-in` step that the provider
 * confirmed (applied, or unchanged when the account already was), and the apply record shows it;
 * no change of anyone else carries a step.
 */
function expectLeaverSteps(record: ApplyRecord, plan: Plan): void {
  const planned = plan.changes.filter((c) => c.event.kind === 'leaver' && c.action === 'disableUser');
  const disables = record.changes.filter((c) => c.event.kind === 'leaver' && c.action === 'disableUser');
  expect(disables.map((c) => c.id).sort()).toEqual(planned.map((c) => c.id).sort());
  for (const c of disables) {
    const signIn = c.steps?.find((s) => s.step === 'disable-sign-in');
    expect(signIn?.status, `${c.id}: ${JSON.stringify(c.steps)}`).toMatch(/^(applied|unchanged)$/);
    expect(new Date(signIn!.at).toISOString()).toBe(signIn!.at);
  }
  expect(record.changes.filter((c) => c.event.kind !== 'leaver' && c.steps).map((c) => c.id)).toEqual([]);
}

/**
 * A user signs in, then the provider is read: through the harness for a fake, through the
 * embedded directory itself for local (the directory the CLI reads, `.jml/okta.json`).
 */
async function signInAndRead(
  subject: Subject,
  dir: string,
  harness: ProviderHarness | undefined,
  login: string,
  scope: Scope,
): Promise<ActualState> {
  if (harness) {
    await harness.signIn(login);
    return harness.provider.read(scope);
  }
  expect(subject.name).toBe('local');
  const local = new EmbeddedDirectory({
    name: 'okta',
    file: path.join(dir, '.jml/okta.json'),
    simulated: true,
    accounts: true,
  });
  expect(local.signIn(login)).toBe(true);
  return local.read(scope);
}

/** Overwrites the embedded Okta directory of a local run, as an administrator would. */
function editLocal(dir: string, state: ProviderState): void {
  const file = path.join(dir, '.jml/okta.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as DirectoryFile;
  data.targets = state.targets;
  for (const login of Object.values(state.targets).flat()) {
    data.users[login] ??= {
      displayName: login,
      enabled: true,
      sessions: [],
      createdAt: '2025-01-01T00:00:00.000Z',
    };
  }
  writeFileSync(file, `${JSON.stringify(data, null, 1)}\n`);
}
