/**
 * `npm run bench` (second part): the connectors against their loopback fakes, with an
 * organisation of 5,000 users, 500 managed groups and 50,000 memberships. Prints, per provider:
 * - the API calls one full read of the managed scope costs (what every plan pays), next to the
 *   minimum for that API's page sizes (PROVIDERS.md: ceil(N/userPage) + G + sum of member pages)
 *   and to the per-resource model Terraform providers use (one read per membership);
 * - HTTP requests per 100 writes (Graph: target 5, with $batch);
 * - Okta: apply throughput with the fake enforcing 600 requests a minute, as a share of the
 *   limit the fake enforced (OktaFake.sustainedThroughput: full windows only, so never above
 *   100%; target 90%), and the requests sent after a 429 before its reset (target 0).
 * Figures are printed and recorded for docs/benchmarks.md, never asserted. `BENCH_OKTA_WINDOWS`
 * sets the throughput run's length in 60-second windows (default 2, about two minutes).
 */
import type { Change } from '../src/plan/plan-types.ts';
import type { Scope } from '../src/providers/types.ts';
import type { RecordedRequest } from '../test/fakes/fake-server.ts';
import type { ProviderHarness, ProviderState } from '../test/fakes/harness.ts';
import { n, recordPart, type Table } from './bench-figures.ts';
import { BENCH_SUBJECTS, type BenchSubject } from './bench-subjects.ts';

const USERS = 5_000;
const GROUPS = 500;
const PER_GROUP = 100; // 50,000 memberships

const login = (i: number) => `user${String(i).padStart(5, '0')}@example.com`;

/** The same organisation on every provider; group names as that provider spells them. */
function organisation(subject: BenchSubject): { state: ProviderState; scope: Scope; groups: string[] } {
  const users: ProviderState['users'] = {};
  for (let i = 0; i < USERS; i++) users[login(i)] = { displayName: `User ${i}`, enabled: true, sessions: 0 };
  const targets: ProviderState['targets'] = {};
  const groups: string[] = [];
  for (let g = 0; g < GROUPS; g++) {
    const name = subject.groupName(g);
    groups.push(name);
    // 100 distinct members per group, spread over the whole population.
    const members: string[] = [];
    for (let k = 0; k < PER_GROUP; k++) members.push(login((g * 37 + k * 53) % USERS));
    targets[`group:${name}`] = [...new Set(members)].sort();
  }
  return {
    state: { users, targets },
    scope: {
      logins: new Set(Object.keys(users)),
      targets: groups.map((target) => ({ kind: 'group' as const, target })),
    },
    groups,
  };
}

const isApi = (r: RecordedRequest, subject: BenchSubject) => !subject.isTokenRequest(r.path);

/** What docs/benchmarks.md shows, filled in as each measurement ends. */
const readTable: Table = {
  columns: [
    'provider',
    'API calls for one read',
    'minimum for the page sizes',
    'calls / minimum',
    'per-resource reads',
    'time',
  ],
  rows: [],
};
const writeTable: Table = {
  columns: ['provider', 'HTTP requests for 100 grants', 'target', 'applied'],
  rows: [],
};
const throughputTable: Table = {
  columns: ['provider', 'sustained', 'of the limit the fake enforced', '429s', 'sent before a reset', 'run'],
  rows: [],
};

async function measureRead(subject: BenchSubject): Promise<void> {
  const harness = await subject.start({});
  try {
    const org = organisation(subject);
    await harness.seed(org.state, []);
    const server = harness.server!;
    const from = server.requests.length;
    const started = performance.now();
    const actual = await harness.provider.read(org.scope);
    const ms = performance.now() - started;
    const calls = server.requests.slice(from).filter((r) => isApi(r, subject)).length;
    const memberships = Object.values(org.state.targets).reduce((n, m) => n + m.length, 0);
    const minimum =
      Math.ceil(USERS / subject.userPage) +
      GROUPS +
      Object.values(org.state.targets).reduce(
        (n, m) => n + Math.max(1, Math.ceil(m.length / subject.memberPage)),
        0,
      );
    const read = actual.memberships.reduce((n, m) => n + m.members.length, 0);
    row(
      subject.name,
      `${calls}`,
      `${minimum}`,
      `${memberships}`,
      `${(calls / minimum).toFixed(2)} x`,
      `${ms.toFixed(0)} ms; ${actual.users.length} users, ${read} memberships read${read === memberships ? '' : ' (MISMATCH)'}`,
    );
    readTable.rows.push([
      subject.name,
      n(calls),
      n(minimum),
      (calls / minimum).toFixed(2),
      n(memberships),
      `${n(ms / 1000, 1)} s${read === memberships ? '' : ` (read ${n(read)} memberships: MISMATCH)`}`,
    ]);
  } finally {
    await harness.close();
  }
}

function grants(subject: BenchSubject, harnessGroups: string[], n: number): Change[] {
  // Users 0..n-1 join a group they are not in (the last group holds users far from 0..n).
  const out: Change[] = [];
  for (let i = 0; i < n; i++) {
    const target = harnessGroups[(i * 7 + 1) % harnessGroups.length]!;
    out.push({
      id: `${subject.name}/${login(i)}/grant/bench-${i}`,
      action: 'grant',
      provider: subject.name,
      login: login(i),
      person: `user${i}`,
      entitlement: `bench-${i}`,
      target: { kind: 'group', target },
      event: { kind: 'update' },
      because: ['bench'],
    });
  }
  return out;
}

/** Drops members so that the grants below are real changes. */
function withoutGrantees(state: ProviderState, changes: readonly Change[]): ProviderState {
  const targets = { ...state.targets };
  for (const c of changes) {
    const key = `group:${c.target!.target}`;
    targets[key] = targets[key]!.filter((m) => m !== c.login);
  }
  return { users: state.users, targets };
}

async function measureWrites(subject: BenchSubject): Promise<void> {
  const harness = await subject.start({});
  try {
    const org = organisation(subject);
    const changes = grants(subject, org.groups, 100);
    await harness.seed(withoutGrantees(org.state, changes), []);
    await harness.provider.read(org.scope);
    const server = harness.server!;
    const from = server.requests.length;
    const outcomes = await Promise.all(harness.provider.applyMany!(changes));
    const requests = server.requests.slice(from).filter((r) => isApi(r, subject)).length;
    const applied = outcomes.filter((o) => o.status === 'applied').length;
    row(subject.name, `${requests}`, `${subject.writeTarget ?? ''}`, '100', '', `${applied} of 100 applied`);
    writeTable.rows.push([
      subject.name,
      n(requests),
      subject.writeTarget ? n(subject.writeTarget) : '',
      `${applied} of 100`,
    ]);
  } finally {
    await harness.close();
  }
}

/**
 * Sustained rate: 600 x W + 1 grants, one request each, in one apply. The first 600 x W use W
 * whole windows; the last one can only go when window W + 1 opens. The requests the fake accepted
 * in those W windows per minute, over the time from the first window's start to the last one's,
 * as a share of the limit (OktaFake.sustainedThroughput), is the throughput an apply of any
 * length reaches, and the fake's own windows make it impossible to exceed.
 */
async function measureOktaThroughput(subject: BenchSubject): Promise<void> {
  const windows = Number(process.env.BENCH_OKTA_WINDOWS ?? 2);
  const perMinute = 600;
  const harness: ProviderHarness = await subject.start({ rateLimitPerMinute: perMinute });
  try {
    const org = organisation(subject);
    const changes = grants(subject, org.groups, perMinute * windows + 1);
    await harness.seed(withoutGrantees(org.state, changes), []);
    await harness.provider.read(org.scope);
    const server = harness.server!;
    const from = server.requests.length;
    const outcomes = await Promise.all(harness.provider.applyMany!(changes));
    const log = server.requests.slice(from).filter((r) => isApi(r, subject));
    const spanMs = log.at(-1)!.at - log[0]!.at;
    // The bucket the grants went to (the one with the most windows: a read before may touch others).
    const t = (subject.throughput?.(log) ?? []).sort((a, b) => b.windows - a.windows)[0];
    const throttled = log.filter((r) => r.status === 429);
    const early = subject.sentBeforeReset?.(log) ?? 0;
    const applied = outcomes.filter((o) => o.status === 'applied').length;
    const run = `${log.length} requests, ${applied} of ${changes.length} applied in ${(spanMs / 1000).toFixed(1)} s, ${t ? `${t.windows} full windows of ${t.bucket}` : 'fewer than two windows'}`;
    row(
      subject.name,
      t ? `${t.perMinute.toFixed(0)}/min` : '-',
      t ? `${(t.share * 100).toFixed(1)} %` : '-',
      `${throttled.length}`,
      `${early}`,
      `${run} (target >= 90 %, 0 early)`,
    );
    throughputTable.rows.push([
      subject.name,
      t ? `${n(t.perMinute)} requests a minute` : '-',
      t ? `**${(t.share * 100).toFixed(1)}%** of ${n(t.limitPerMinute)} a minute (target >= 90%)` : '-',
      n(throttled.length),
      `${n(early)} (target 0)`,
      run,
    ]);
  } finally {
    await harness.close();
  }
}

function row(...cells: string[]): void {
  const widths = [8, 12, 12, 12, 10];
  process.stdout.write(`${cells.map((c, i) => (i < widths.length ? c.padEnd(widths[i]!) : c)).join(' ')}\n`);
}

process.stdout.write(
  `\nConnectors against loopback fakes: ${USERS} users, ${GROUPS} groups, ${GROUPS * PER_GROUP} memberships\n`,
);
process.stdout.write('\nRead the managed scope (API calls, tokens excluded)\n');
row('provider', 'calls', 'minimum', 'per-resource', 'vs min', 'notes');
for (const s of BENCH_SUBJECTS) await measureRead(s);
process.stdout.write('\nWrites: HTTP requests for 100 grants\n');
row('provider', 'requests', 'target', 'changes', '', 'notes');
for (const s of BENCH_SUBJECTS) await measureWrites(s);
const okta = BENCH_SUBJECTS.find((s) => s.name === 'okta');
if (okta) {
  process.stdout.write('\nOkta apply throughput, the fake enforcing 600 requests a minute\n');
  row('provider', 'rate', 'of ceiling', '429s', 'early', 'notes');
  await measureOktaThroughput(okta);
}

recordPart({
  part: 'providers',
  title: 'The connectors against their fakes',
  intro: `Each connector (Entra, Okta, Google) against its loopback fake, with ${n(USERS)} users, ${n(GROUPS)} managed groups and ${n(GROUPS * PER_GROUP)} memberships. The fakes follow the vendors' documented page sizes and limits (PROVIDERS.md).`,
  sections: [
    {
      heading: 'Reading the managed scope (what every plan pays)',
      text: "API calls for one full read, tokens excluded, next to the minimum for that API's page sizes (ceil(users / page) + one look-up per group + the member pages) and to the per-resource model Terraform's providers use (one read per membership). Reads beat the minimum where groups are found in bulk rather than one look-up each.",
      table: readTable,
    },
    {
      heading: 'Writes',
      text: 'HTTP requests for 100 grants (Graph batches 20 to a `$batch`).',
      table: writeTable,
    },
    {
      heading: 'Okta apply throughput',
      text: `The Okta fake enforces 600 requests a minute per endpoint bucket, in real 60-second windows, and one apply makes 600 x ${process.env.BENCH_OKTA_WINDOWS ?? 2} + 1 grants. Sustained is the requests the fake accepted in the full windows the apply used, per minute from the first window's start to the last one's: measured against the windows the fake itself opened, it cannot exceed 100%.`,
      table: throughputTable,
    },
  ],
});
