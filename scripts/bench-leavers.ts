/**
 * `npm run bench` (third part): leavers on time. 100 leavers fall due in one window, in ten
 * instants five seconds apart, on three providers at once: the Entra, Okta and Google connectors
 * against their loopback fakes (each leaver holds an account and a managed group on all three,
 * and a manager for Google's Drive transfer and Entra's mail forwarding). `jml leavers` runs on
 * the real clock, exactly as the scheduled workflow does: it reads and plans ahead of each
 * instant, waits, and applies on the second. Printed: the p50 / p95 / max lag from each end
 * instant to the last provider's confirmed disable and session revocation (target: p95 under
 * 60 s), per provider too, and the share within the 15-minute high-risk SLA. Never asserted.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../src/cli/main.ts';
import { toPolicyYaml } from '../src/load/write-yaml.ts';
import type { LeaverTiming } from '../src/records/schema.ts';
import { SUBJECTS } from '../test/conformance/subjects.ts';
import type { ProviderHarness, ProviderState } from '../test/fakes/harness.ts';

const LEAVERS = 100;
const INSTANTS = 10;
const SPACING_MS = 5_000;
/** The first instant, from the start: enough for loading and the first read ahead of it. */
const FIRST_IN_MS = 45_000;
const LEAD = '20s';

const TARGETS = {
  entra: { kind: 'group', target: 'Bench Staff' },
  okta: { kind: 'group', target: 'Bench Staff' },
  google: { kind: 'group', target: 'bench-staff@example.com' },
} as const;
type Real = keyof typeof TARGETS;

const id = (i: number) => `leaver.${String(i).padStart(3, '0')}`;
const login = (person: string) => `${person}@example.com`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jml-bench-leavers-'));
  const harnesses = new Map<Real, ProviderHarness>();
  const savedEnv = { ...process.env };
  try {
    const connections: Record<string, unknown> = {};
    for (const name of Object.keys(TARGETS) as Real[]) {
      const subject = SUBJECTS.find((s) => s.name === name)!;
      const h = await subject.fake!.start();
      harnesses.set(name, h);
      const { config, env } = subject.fake!.connection(h);
      connections[name] = config;
      Object.assign(process.env, env);
    }

    const start = Date.now();
    const first = Math.ceil((start + FIRST_IN_MS) / 1000) * 1000;
    const people = ['boss', ...Array.from({ length: LEAVERS }, (_, i) => id(i))];
    const write = (rel: string, value: unknown) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), toPolicyYaml(value));
    };
    write('policy/jml.yaml', {
      organisation: { name: 'Bench', domain: 'example.com' },
      timezone: 'America/New_York',
      providers: { local: { directory: '.jml/directory.json' }, ...connections },
      teams: { hr: ['boss'], security: ['boss'] },
      sla: { leaverMinutes: 60, highRiskLeaverMinutes: 15 },
    });
    write(
      'policy/entitlements.yaml',
      (Object.keys(TARGETS) as Real[]).map((p) => ({
        id: `${p}-staff`,
        provider: p,
        ...TARGETS[p],
        owner: 'boss',
      })),
    );
    write('policy/apps.yaml', []);
    write('roles/staff.yaml', {
      id: 'staff',
      title: 'Staff',
      owner: 'boss',
      entitlements: ['entra-staff', 'okta-staff', 'google-staff'],
    });
    people.forEach((person, i) => {
      const end =
        person === 'boss' ? undefined : new Date(first + ((i - 1) % INSTANTS) * SPACING_MS).toISOString();
      write(`people/${person}.yaml`, {
        id: person,
        name: person === 'boss' ? 'The Boss' : `Leaver ${i}`,
        email: login(person),
        hrId: `HR-${String(i).padStart(4, '0')}`,
        department: 'Operations',
        ...(person === 'boss' ? {} : { manager: 'boss' }),
        employment: { start: '2020-01-06', ...(end ? { end, highRisk: true } : {}) },
        roles: [{ role: 'staff', from: '2020-01-06' }],
      });
    });

    for (const [name, h] of harnesses) {
      const key = `${TARGETS[name].kind}:${TARGETS[name].target}`;
      const state: ProviderState = { users: {}, targets: { [key]: people.map(login).sort() } };
      for (const person of people)
        state.users[login(person)] = { displayName: person, enabled: true, sessions: 1 };
      await h.seed(state, []);
    }

    let out = '';
    let err = '';
    const code = await main(
      [
        'node',
        'jml',
        '-C',
        dir,
        'leavers',
        '--confirm',
        '--window',
        '5m',
        '--lead',
        LEAD,
        '--allow-mass-disable',
        '--allow-mass-removal',
        '--format',
        'json',
      ],
      {
        out: (t) => {
          out += t;
        },
        err: (t) => {
          err += t;
        },
        isTty: false,
      },
    );
    if (code !== 0) process.stderr.write(`jml leavers exited ${code}\n${err}\n`);
    const { leavers } = JSON.parse(out) as { leavers: LeaverTiming[] };
    const lags = leavers
      .map((t) => t.lagSeconds)
      .filter((x): x is number => x !== null)
      .sort((a, b) => a - b);
    const perProvider = (Object.keys(TARGETS) as Real[]).map((p) => {
      const own = leavers
        .map((t) => t.providers.find((x) => x.provider === p))
        .map((x, i) =>
          x?.disabledAt ? (Date.parse(x.disabledAt) - Date.parse(leavers[i]!.scheduledAt)) / 1000 : NaN,
        )
        .filter((x) => !Number.isNaN(x))
        .sort((a, b) => a - b);
      return { p, own };
    });
    const f = (s: number) => `${s.toFixed(2)} s`;
    process.stdout.write(
      `\nLeavers on time: ${LEAVERS} leavers in ${INSTANTS} instants ${SPACING_MS / 1000} s apart, on Entra, Okta and Google fakes at once\n`,
    );
    process.stdout.write(
      `${'scope'.padEnd(22)}${'p50'.padEnd(10)}${'p95'.padEnd(10)}${'max'.padEnd(10)}confirmed\n`,
    );
    process.stdout.write(
      `${'all providers'.padEnd(22)}${f(percentile(lags, 50)).padEnd(10)}${f(percentile(lags, 95)).padEnd(10)}${f(lags.at(-1)!).padEnd(10)}${lags.length} of ${LEAVERS} (target p95 < 60 s)\n`,
    );
    for (const { p, own } of perProvider)
      process.stdout.write(
        `${`${p} disable`.padEnd(22)}${f(percentile(own, 50)).padEnd(10)}${f(percentile(own, 95)).padEnd(10)}${f(own.at(-1)!).padEnd(10)}${own.length}\n`,
      );
    const within = leavers.filter((t) => t.withinSla).length;
    const early = leavers.filter((t) =>
      t.providers.some((x) => x.disabledAt !== undefined && x.disabledAt < t.scheduledAt),
    ).length;
    process.stdout.write(
      `within the 15-minute SLA: ${within} of ${leavers.length}; disabled before the instant: ${early}\n`,
    );
    for (const h of harnesses.values())
      if (h.server?.unknownRequests.length)
        process.stdout.write(
          `${h.name}: ${h.server.unknownRequests.length} request(s) the fake did not understand\n`,
        );
  } finally {
    for (const h of harnesses.values()) await h.close();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    rmSync(dir, { recursive: true, force: true });
  }
}

await run();
