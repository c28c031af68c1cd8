/**
 * `npm run bench`: generates an organisation of 10,000 people, 200 roles and 1,000
 * entitlements (deterministically, into bench-out/, git-ignored) and prints the time of each
 * pipeline step, peak memory, and the ratio of the whole plan to a bare YAML parse of the same
 * files. Targets on a 2-core machine: plan under 2 s, under 500 MB, ratio under 2.
 * Figures are printed, never asserted: timing belongs in a benchmark, not in a test.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsyaml from 'js-yaml';
import { parse, stringify } from 'yaml';
import { loadRepository } from '../src/load/load-repo.ts';
import type { Diagnostic } from '../src/model/diagnostic.ts';
import type { ActualState } from '../src/model/state.ts';
import { buildPlan } from '../src/plan/build-plan.ts';
import type { RepoIndex } from '../src/resolve/repo-index.ts';
import { type DesiredState, resolveAll } from '../src/resolve/resolve.ts';
import { validateRepository } from '../src/validate/validate.ts';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
const ROLES = 200;
const ENTITLEMENTS = 1_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench-out', `org-${PEOPLE}`);
const AT = Date.parse('2026-11-25T17:00:00Z');
const PROVIDERS = ['local', 'okta', 'entra', 'google', 'manual'] as const;

/** A small seeded PRNG (mulberry32), so every run generates the same organisation. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(): void {
  const rand = rng(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  rmSync(root, { recursive: true, force: true });
  for (const d of ['policy', 'people', 'roles', 'exceptions'])
    mkdirSync(path.join(root, d), { recursive: true });
  const person = (i: number) => `person.${String(i).padStart(5, '0')}`;
  writeFileSync(
    path.join(root, 'policy/jml.yaml'),
    stringify({
      organisation: { name: 'Bench Corp', domain: 'bench.example.com' },
      timezone: 'America/New_York',
      providers: {
        local: { directory: '.jml/directory.json' },
        okta: { embedded: true },
        entra: { embedded: true },
        google: { embedded: true },
        manual: {},
      },
      teams: { hr: [person(1)], security: [person(2)] },
    }),
  );
  const ents = Array.from({ length: ENTITLEMENTS }, (_, i) => {
    const provider = PROVIDERS[i % PROVIDERS.length]!;
    return {
      id: `ent-${i}`,
      provider,
      kind:
        provider === 'manual'
          ? 'manual'
          : i % 7 === 0 && (provider === 'okta' || provider === 'local')
            ? 'app'
            : 'group',
      target: `Target ${i}`,
      owner: person(1 + (i % 50)),
      risk: i % 10 === 0 ? 'high' : 'low',
      ...(i % 13 === 0 ? { management: 'additive' } : {}),
    };
  });
  writeFileSync(path.join(root, 'policy/entitlements.yaml'), stringify(ents));
  // SoD over entitlements granted only by exceptions, so the generated organisation is clean.
  writeFileSync(
    path.join(root, 'policy/sod.yaml'),
    stringify([{ id: 'sod-one', title: 'Never both', conflicting: ['ent-998', 'ent-999'] }]),
  );
  for (let r = 0; r < ROLES; r++) {
    const id = r === 0 ? 'employee' : `role-${r}`;
    const own = Array.from({ length: 8 }, (_, k) => `ent-${(r * 5 + k * 37) % 990}`);
    writeFileSync(
      path.join(root, `roles/${id}.yaml`),
      stringify({
        id,
        title: `Role ${r}`,
        owner: person(1 + (r % 40)),
        includes: r === 0 ? [] : ['employee'],
        entitlements: [...new Set(own)],
      }),
    );
  }
  for (let i = 1; i <= PEOPLE; i++) {
    const id = person(i);
    const start = `20${String(18 + Math.floor(rand() * 8)).padStart(2, '0')}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
    const role = `role-${1 + Math.floor(rand() * (ROLES - 1))}`;
    const roles = [{ role, from: start }];
    if (rand() < 0.05)
      roles.push({ role: `role-${1 + Math.floor(rand() * (ROLES - 1))}`, from: '2027-02-01' });
    const end = i > 100 && rand() < 0.03 ? { end: '2026-12-18T17:00:00-05:00' } : {};
    writeFileSync(
      path.join(root, `people/${id}.yaml`),
      stringify({
        id,
        name: `Person ${i}`,
        email: `${id}@bench.example.com`,
        github: `gh-${i}`,
        hrId: `HR-${i}`,
        ...(i > 1 ? { manager: person(Math.floor((i - 2) / 8) + 1) } : {}),
        department: pick(['Engineering', 'Sales', 'Finance', 'People', 'IT']),
        employment: { start, ...end },
        roles: roles.filter((r, k) => k === 0 || r.role !== roles[0]!.role),
      }),
    );
  }
  for (let e = 1; e <= 500; e++) {
    const who = person(200 + e * 7);
    writeFileSync(
      path.join(root, `exceptions/EXC-${String(e).padStart(4, '0')}.yaml`),
      stringify({
        id: `EXC-${String(e).padStart(4, '0')}`,
        person: who,
        entitlements: [`ent-${990 + (e % 8)}`],
        justification: `Project access, ticket OPS-${e}`,
        approvers: [person(Math.floor((200 + e * 7 - 2) / 8) + 1)],
        from: '2026-11-01',
        expires: '2027-01-15',
      }),
    );
  }
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

generate();
const files: string[] = [];
for (const d of ['policy', 'people', 'roles', 'exceptions']) {
  for (const f of readdirSync(path.join(root, d))) files.push(path.join(root, d, f));
}
/** Actual state as the providers would report it after the last apply, with 1% drift. */
function actualFrom(index: RepoIndex, desired: DesiredState): ActualState[] {
  const rand = rng(7);
  return PROVIDERS.map((provider) => {
    const members = new Map<string, string[]>();
    const users = [];
    for (const p of desired.people) {
      const mine = p.grants.filter((g) => g.provider === provider);
      if (mine.length && provider !== 'manual') users.push({ login: p.login, enabled: true, sessions: 1 });
      for (const g of mine) {
        if (rand() < 0.01) continue;
        const e = index.entitlements.get(g.entitlement)!.value;
        const key = `${e.kind}\u0000${e.target}`;
        members.set(key, [...(members.get(key) ?? []), p.login]);
      }
    }
    return {
      provider,
      simulated: provider !== 'local',
      users,
      memberships: [...members].map(([k, m]) => {
        const [kind, target] = k.split('\u0000') as ['group', string];
        return { kind, target, members: m.sort() };
      }),
      outOfScopeAccounts: 0,
    };
  });
}

interface Round {
  parseMs: number;
  quickParseMs: number;
  loadMs: number;
  validateMs: number;
  resolveMs: number;
  planMs: number;
  totalMs: number;
  changes: number;
  errors: Diagnostic[];
}

function round(): Round {
  // Bare parse: read and YAML-parse every file with the same library, nothing else.
  const [, parseMs] = time(() => {
    for (const f of files) parse(readFileSync(f, 'utf8'));
  });
  // The same with js-yaml, which the loader uses for plain files (see src/load/parse-yaml.ts).
  const [, quickParseMs] = time(() => {
    for (const f of files) jsyaml.load(readFileSync(f, 'utf8'), { schema: jsyaml.CORE_SCHEMA });
  });
  const [loaded, loadMs] = time(() => loadRepository(root));
  const [validated, validateMs] = time(() => validateRepository(loaded.repo, AT));
  const index = validated.index!;
  const [desired, resolveMs] = time(() => resolveAll(index, AT));
  const actual = actualFrom(index, desired);
  const [plan, planMs] = time(() => buildPlan({ index, desired, actual, commit: null }));
  return {
    parseMs,
    quickParseMs,
    loadMs,
    validateMs,
    resolveMs,
    planMs,
    totalMs: loadMs + validateMs + resolveMs + planMs,
    changes: plan.changes.length,
    errors: [...loaded.diagnostics, ...validated.diagnostics].filter((d) => d.severity === 'error'),
  };
}

// The first round is what one `jml plan` process pays (code not yet optimised by the JIT);
// the second is the same work once warm.
const cold = round();
const warm = round();
const peakMb = process.resourceUsage().maxRSS / 1024;

const row = (k: string, a: string, b = '', note = '') =>
  process.stdout.write(`${k.padEnd(32)}${a.padStart(9)}${b.padStart(9)}   ${note}\n`);
const ms = (n: number) => `${n.toFixed(0)} ms`;
process.stdout.write(
  `\nBenchmark: ${PEOPLE} people, ${ROLES} roles, ${ENTITLEMENTS} entitlements, 500 exceptions (${files.length} files)\n\n`,
);
row('', 'cold', 'warm');
row('bare YAML parse (yaml)', ms(cold.parseMs), ms(warm.parseMs));
row('bare parse (js-yaml, quick path)', ms(cold.quickParseMs), ms(warm.quickParseMs));
row('load (parse + checks + schema)', ms(cold.loadMs), ms(warm.loadMs));
row('validate', ms(cold.validateMs), ms(warm.validateMs));
row('resolve', ms(cold.resolveMs), ms(warm.resolveMs));
row('plan (diff)', ms(cold.planMs), ms(warm.planMs), `${warm.changes} changes against 1% drift`);
row('total plan time', ms(cold.totalMs), ms(warm.totalMs), 'target < 2000 ms');
row(
  'ratio total / bare parse',
  (cold.totalMs / cold.parseMs).toFixed(2),
  (warm.totalMs / warm.parseMs).toFixed(2),
  'target < 2',
);
row(
  'ratio total / js-yaml parse',
  (cold.totalMs / cold.quickParseMs).toFixed(2),
  (warm.totalMs / warm.quickParseMs).toFixed(2),
  'for comparison',
);
row('peak memory (max RSS)', `${peakMb.toFixed(0)} MB`, '', 'target < 500 MB');
row(
  'validation errors',
  String(warm.errors.length),
  '',
  warm.errors.length ? `first: ${warm.errors[0]!.file}:${warm.errors[0]!.line} ${warm.errors[0]!.rule}` : '',
);
