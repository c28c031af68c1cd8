/**
 * Scenario fixtures: each directory under test/fixtures/engine/scenarios is a small repository,
 * the actual state of its embedded directories (`actual/`), the time to plan at
 * (`scenario.yaml`) and the plan the engine must produce (`expected-plan.json`).
 *
 * `UPDATE_SCENARIOS=1 npx vitest run test/engine/scenarios.test.ts` rewrites the expected plans.
 * Read every rewritten file before committing it: a snapshot of a wrong answer is a defect.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Plan } from '../../src/plan/plan-types.js';
import { cleanTempDirs, copyFixture, FIXTURES, jml } from './helpers.js';

const SCENARIOS = path.join(FIXTURES, 'scenarios');
const UPDATE = process.env.UPDATE_SCENARIOS === '1';

interface Scenario {
  name: string;
  description: string;
  at: string;
}

const scenarios: Scenario[] = readdirSync(SCENARIOS)
  .sort()
  .map((name) => {
    const meta = parse(readFileSync(path.join(SCENARIOS, name, 'scenario.yaml'), 'utf8')) as {
      description: string;
      at: string;
    };
    return { name, description: meta.description, at: meta.at };
  });

/** The commit and the fingerprint depend on where the fixture runs; everything else must not. */
function normalise(plan: Plan): Plan {
  return { ...plan, commit: '<commit>' as unknown as null, fingerprint: '<fingerprint>' };
}

async function planAt(dir: string, at: string): Promise<string> {
  const r = await jml(dir, 'plan', '--at', at, '--format', 'json');
  expect(r.code, r.err).toBe(0);
  return r.out;
}

afterAll(cleanTempDirs);

describe('scenario fixtures', () => {
  it('are all present', () => {
    expect(scenarios.map((s) => s.name)).toEqual([
      'expired-exception',
      'high-risk-leaver',
      'joiner-starts-today',
      'joiner-starts-tomorrow',
      'leaver-after-end-instant',
      'leaver-at-end-instant',
      'leaver-before-end-instant',
      'mover-on-effective-date',
      'mover-with-exceptions',
      'outside-managed-scope',
      'protected-account',
      'role-template-change',
    ]);
  });

  it.each(scenarios.map((s) => [s.description, s] as const))('%s', async (_, { name, at }) => {
    const dir = copyFixture(path.join(SCENARIOS, name));
    const plan = normalise(JSON.parse(await planAt(dir, at)) as Plan);
    const expectedFile = path.join(SCENARIOS, name, 'expected-plan.json');
    if (UPDATE) writeFileSync(expectedFile, `${JSON.stringify(plan, null, 2)}\n`);
    expect(existsSync(expectedFile), `${expectedFile} is missing: run with UPDATE_SCENARIOS=1`).toBe(true);
    expect(plan).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
  });

  it.each(scenarios.map((s) => [s.name, s] as const))(
    '%s plans the same bytes twice, from two different copies',
    async (_, { name, at }) => {
      const one = copyFixture(path.join(SCENARIOS, name));
      const two = copyFixture(path.join(SCENARIOS, name));
      const first = await planAt(one, at);
      expect(await planAt(one, at)).toBe(first);
      expect(await planAt(two, at)).toBe(first);
    },
  );

  it('a leaver missed at the instant gets the same changes a week later', async () => {
    const at = scenarios.find((s) => s.name === 'leaver-at-end-instant')!;
    const after = scenarios.find((s) => s.name === 'leaver-after-end-instant')!;
    const planOf = async (s: Scenario) =>
      JSON.parse(await planAt(copyFixture(path.join(SCENARIOS, s.name)), s.at)) as Plan;
    const [a, b] = [await planOf(at), await planOf(after)];
    expect(b.changes).toEqual(a.changes);
    expect(a.changes.length).toBeGreaterThan(0);
  });

  it('every change says why, with a file and line or the catalog entry', async () => {
    for (const s of scenarios) {
      const plan = JSON.parse(
        readFileSync(path.join(SCENARIOS, s.name, 'expected-plan.json'), 'utf8'),
      ) as Plan;
      for (const c of plan.changes) {
        expect(c.because.length, c.id).toBeGreaterThan(0);
        for (const why of c.because)
          expect(why, c.id).toMatch(
            /(people|exceptions|roles)\/[\w.-]+\.yaml:\d+|policy\/entitlements\.yaml/,
          );
      }
    }
  });
});
