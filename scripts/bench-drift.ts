/**
 * `npm run bench` (drift): what a scheduled drift check costs each provider, in API calls, with
 * the change feeds (issue 18; docs/drift.md) against their loopback fakes. For 5,000 users, 500
 * managed groups and 50,000 memberships, and again for 100,000 users (same groups and
 * memberships), it prints per provider:
 * - the full read every plan pays (`read`), and the feed's own full round (`readChanges` without
 *   a checkpoint: the first run, the daily safety net, an expired link);
 * - a drift with no change since the last run (target: at most 10 calls);
 * - a drift after 10 out-of-band changes (target: at most 10 + a small constant per change).
 * A provider without a change feed reads in full every time; that is printed too. Figures are
 * printed, never asserted. BENCH_DRIFT_SIZES=5000 skips the 100,000-user run.
 */
import type { ProviderName } from '../src/model/providers.ts';
import type { TargetRef } from '../src/model/state.ts';
import { type ChangeFeed, hasChangeFeed } from '../src/providers/change-feed.ts';
import type { Provider, Scope } from '../src/providers/types.ts';
import { createEntraHarness, type EntraHarness } from '../test/fakes/entra/harness.ts';
import type { FakeServer } from '../test/fakes/fake-server.ts';
import { DELEGATED_SCOPES, REPORTS_SCOPE } from '../test/fakes/google/google-fake.ts';
import { createGoogleHarness, type GoogleHarness } from '../test/fakes/google/harness.ts';
import type { ProviderState } from '../test/fakes/harness.ts';
import { createOktaHarness, type OktaHarness } from '../test/fakes/okta/harness.ts';
import { BENCH_SUBJECTS } from './bench-subjects.ts';

const GROUPS = 500;
const PER_GROUP = 100; // 50,000 memberships
const SIZES = (process.env.BENCH_DRIFT_SIZES ?? '5000,100000').split(',').map(Number);

const login = (i: number) => `user${String(i).padStart(6, '0')}@example.com`;
const groupName = (g: number) => `Group ${String(g).padStart(3, '0')}`;
const memberOf = (g: number, k: number, users: number) => (g * 37 + k * 53) % users;

function row(...cells: string[]): void {
  const widths = [8, 9, 14, 12, 12, 16];
  console.log(cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' '));
}

function apiCalls(server: FakeServer, from: number, isToken: (path: string) => boolean): number {
  return server.requests.slice(from).filter((r) => !isToken(r.path)).length;
}

/** Entra seeded straight into the fake (the harness's seed looks users up by name: slow at 100,000). */
async function entraOrganisation(users: number): Promise<{ h: EntraHarness; scope: Scope }> {
  const h = await createEntraHarness();
  const ids: string[] = [];
  for (let i = 0; i < users; i++) ids.push(h.fake.addUser(login(i), { displayName: `User ${i}` }).id);
  for (let g = 0; g < GROUPS; g++) {
    const group = h.fake.addGroup(groupName(g));
    for (let k = 0; k < PER_GROUP; k++) group.memberIds.add(ids[memberOf(g, k, users)]!);
  }
  const scope: Scope = {
    logins: new Set(ids.map((_, i) => login(i))),
    targets: Array.from({ length: GROUPS }, (_, g) => ({ kind: 'group' as const, target: groupName(g) })),
  };
  return { h, scope };
}

/** Ten changes an administrator makes in the console: members, accounts, a group's name. */
function tenChangesInEntra(h: EntraHarness, users: number): void {
  const f = h.fake;
  const user = (i: number) => f.userByKey(login(i))!;
  const group = (g: number) => f.groupByName(groupName(g))!;
  group(1).memberIds.add(user(4).id);
  group(2).memberIds.add(user(5).id);
  group(3).memberIds.add(user(6).id);
  group(4).memberIds.delete([...group(4).memberIds][0]!);
  group(5).memberIds.delete([...group(5).memberIds][0]!);
  user(7).accountEnabled = false;
  user(8).accountEnabled = false;
  user(9).displayName = 'Renamed';
  f.addUser(login(users), { displayName: 'New joiner' });
  group(6).memberIds.add(f.userByKey(login(users))!.id);
}

async function measureEntra(users: number): Promise<void> {
  const { h, scope } = await entraOrganisation(users);
  const isToken = (path: string) => path.includes('/oauth2/');
  const provider = h.provider as Provider & ChangeFeed;
  try {
    let from = h.server.requests.length;
    let t = performance.now();
    await provider.read(scope);
    const full = apiCalls(h.server, from, isToken);
    const fullMs = performance.now() - t;

    from = h.server.requests.length;
    const first = await provider.readChanges(scope, undefined);
    const round = apiCalls(h.server, from, isToken);

    from = h.server.requests.length;
    t = performance.now();
    const quiet = await provider.readChanges(scope, first.saved);
    const none = apiCalls(h.server, from, isToken);
    const quietMs = performance.now() - t;

    tenChangesInEntra(h, users);
    from = h.server.requests.length;
    const busy = await provider.readChanges(scope, quiet.saved);
    const ten = apiCalls(h.server, from, isToken);
    const changes = busy.mode === 'incremental' ? busy.changes : 'full';
    row(
      'entra',
      `${users}`,
      `${full} (${fullMs.toFixed(0)} ms)`,
      `${round}`,
      `${none} (${quietMs.toFixed(0)} ms)`,
      `${ten} (${changes} changes)`,
    );
  } finally {
    await h.close();
  }
}

/** A provider without a change feed: every drift is a full read. */
async function measureFullOnly(name: ProviderName, users: number): Promise<void> {
  const subject = BENCH_SUBJECTS.find((s) => s.name === name)!;
  const harness = await subject.start({});
  try {
    if (hasChangeFeed(harness.provider)) {
      row(name, `${users}`, 'has a change feed: add it to this bench');
      return;
    }
    const state: ProviderState = { users: {}, targets: {} };
    for (let i = 0; i < users; i++)
      state.users[login(i)] = { displayName: `User ${i}`, enabled: true, sessions: 0 };
    const targets: TargetRef[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const target = subject.groupName(g);
      targets.push({ kind: 'group', target });
      const members = new Set<string>();
      for (let k = 0; k < PER_GROUP; k++) members.add(login(memberOf(g, k, users)));
      state.targets[`group:${target}`] = [...members].sort();
    }
    await harness.seed(state, []);
    const server = harness.server!;
    const from = server.requests.length;
    await harness.provider.read({ logins: new Set(Object.keys(state.users)), targets });
    const full = server.requests.slice(from).filter((r) => !subject.isTokenRequest(r.path)).length;
    row(name, `${users}`, `${full}`, 'no feed', `${full} (full)`, `${full} (full)`);
  } finally {
    await harness.close();
  }
}

/** Google seeded straight into the fake, its delegation granting the Reports scope too. */
async function googleOrganisation(users: number): Promise<{ h: GoogleHarness; scope: Scope }> {
  const h = await createGoogleHarness({ fake: { delegatedScopes: [...DELEGATED_SCOPES, REPORTS_SCOPE] } });
  for (let i = 0; i < users; i++) h.fake.addUser(login(i), { displayName: `User ${i}` });
  const email = (g: number) => `group-${String(g).padStart(3, '0')}@example.com`;
  for (let g = 0; g < GROUPS; g++) {
    const members = new Set<string>();
    for (let k = 0; k < PER_GROUP; k++) members.add(login(memberOf(g, k, users)));
    h.fake.addGroup(email(g), [...members]);
  }
  const scope: Scope = {
    logins: new Set(Array.from({ length: users }, (_, i) => login(i))),
    targets: Array.from({ length: GROUPS }, (_, g) => ({ kind: 'group' as const, target: email(g) })),
  };
  return { h, scope };
}

/** Ten changes an administrator makes in the Admin console, each one admin log event. */
function tenChangesInGoogle(h: GoogleHarness, users: number): void {
  const f = h.fake;
  const group = (g: number) => `group-${String(g).padStart(3, '0')}@example.com`;
  f.consoleAddMember(group(1), login(4));
  f.consoleAddMember(group(2), login(5));
  f.consoleAddMember(group(3), login(6));
  f.consoleRemoveMember(group(4), f.userMembers(group(4))![0]!);
  f.consoleRemoveMember(group(5), f.userMembers(group(5))![0]!);
  f.consoleSuspend(login(7), true);
  f.consoleSuspend(login(8), true);
  f.consoleSetName(login(9), 'User Renamed');
  f.consoleCreateUser(login(users), 'New Joiner');
  f.consoleAddMember(group(6), login(users));
}

async function measureGoogle(users: number): Promise<void> {
  const { h, scope } = await googleOrganisation(users);
  const isToken = (path: string) => path === '/token';
  const provider = h.provider as Provider & ChangeFeed;
  try {
    let from = h.fake.server.requests.length;
    let t = performance.now();
    await provider.read(scope);
    const full = apiCalls(h.fake.server, from, isToken);
    const fullMs = performance.now() - t;

    from = h.fake.server.requests.length;
    const first = await provider.readChanges(scope, undefined);
    const round = apiCalls(h.fake.server, from, isToken);

    from = h.fake.server.requests.length;
    t = performance.now();
    const quiet = await provider.readChanges(scope, first.saved);
    const none = apiCalls(h.fake.server, from, isToken);
    const quietMs = performance.now() - t;

    tenChangesInGoogle(h, users);
    from = h.fake.server.requests.length;
    const busy = await provider.readChanges(scope, quiet.saved);
    const ten = apiCalls(h.fake.server, from, isToken);
    const changes = busy.mode === 'incremental' ? busy.changes : 'full';
    row(
      'google',
      `${users}`,
      `${full} (${fullMs.toFixed(0)} ms)`,
      `${round}`,
      `${none} (${quietMs.toFixed(0)} ms)`,
      `${ten} (${changes} changes)`,
    );
  } finally {
    await h.close();
  }
}

/**
 * Okta seeded straight into the fake an hour before the first drift run, on a clock the bench
 * moves (15 minutes between scheduled runs); its rate limits lifted, since calls are counted here
 * and bench-providers measures the waits.
 */
async function oktaOrganisation(
  users: number,
): Promise<{ h: OktaHarness; scope: Scope; clock: { now: number } }> {
  const clock = { now: Date.parse('2027-01-04T08:00:00.000Z') };
  const h = await createOktaHarness({
    auth: 'ssws',
    now: () => clock.now,
    retry: { now: () => clock.now },
    rateLimit: { perMinute: 10_000_000 },
  });
  const ids: string[] = [];
  for (let i = 0; i < users; i++) ids.push(h.fake.addUser({ login: login(i), displayName: `User ${i}` }));
  for (let g = 0; g < GROUPS; g++) {
    const id = h.fake.addGroup(groupName(g));
    h.fake.addMemberIds(
      id,
      Array.from({ length: PER_GROUP }, (_, k) => ids[memberOf(g, k, users)]!),
    );
  }
  clock.now += 3_600_000;
  const scope: Scope = {
    logins: new Set(ids.map((_, i) => login(i))),
    targets: Array.from({ length: GROUPS }, (_, g) => ({ kind: 'group' as const, target: groupName(g) })),
  };
  return { h, scope, clock };
}

/** Ten changes an administrator makes in the Admin Console, each with its System Log event. */
function tenChangesInOkta(h: OktaHarness, users: number): void {
  const f = h.fake;
  const first = (g: number) => f.groupMembers(groupName(g))[0]!;
  f.consoleSetMember(groupName(1), login(4), true);
  f.consoleSetMember(groupName(2), login(5), true);
  f.consoleSetMember(groupName(3), login(6), true);
  f.consoleSetMember(groupName(4), first(4), false);
  f.consoleSetMember(groupName(5), first(5), false);
  f.consoleLifecycle(login(7), 'suspend');
  f.consoleLifecycle(login(8), 'suspend');
  f.consoleRenameUser(login(9), 'Renamed');
  f.consoleCreateUser(login(users), 'New Joiner');
  f.consoleSetMember(groupName(6), login(users), true);
}

async function measureOkta(users: number): Promise<void> {
  const { h, scope, clock } = await oktaOrganisation(users);
  const isToken = (path: string) => path.startsWith('/oauth2/');
  const provider = h.provider as Provider & ChangeFeed;
  const server = h.fake.server;
  try {
    let from = server.requests.length;
    let t = performance.now();
    await provider.read(scope);
    const full = apiCalls(server, from, isToken);
    const fullMs = performance.now() - t;

    from = server.requests.length;
    const first = await provider.readChanges(scope, undefined);
    const round = apiCalls(server, from, isToken);

    clock.now += 15 * 60_000;
    from = server.requests.length;
    t = performance.now();
    const quiet = await provider.readChanges(scope, first.saved);
    const none = apiCalls(server, from, isToken);
    const quietMs = performance.now() - t;

    clock.now += 14 * 60_000;
    tenChangesInOkta(h, users);
    clock.now += 60_000;
    from = server.requests.length;
    const busy = await provider.readChanges(scope, quiet.saved);
    const ten = apiCalls(server, from, isToken);
    const changes = busy.mode === 'incremental' ? busy.changes : 'full';
    row(
      'okta',
      `${users}`,
      `${full} (${fullMs.toFixed(0)} ms)`,
      `${round}`,
      `${none} (${quietMs.toFixed(0)} ms)`,
      `${ten} (${changes} changes)`,
    );
  } finally {
    await h.close();
  }
}

console.log(`\nDrift: API calls per provider (${GROUPS} managed groups, ${GROUPS * PER_GROUP} memberships)`);
row('provider', 'users', 'full read', 'feed round', 'no change', '10 changes');
for (const users of SIZES) {
  await measureEntra(users);
  await measureGoogle(users);
  await measureOkta(users);
}
