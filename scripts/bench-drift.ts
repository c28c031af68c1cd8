/**
 * `npm run bench` (drift): what a scheduled drift check costs each provider, in API calls, with
 * the change feeds (issue 18; docs/drift.md) against their loopback fakes. For 5,000 users, 500
 * managed groups and 50,000 memberships, and again for 100,000 users (same groups and
 * memberships), it prints per provider:
 * - the full read every plan pays (`read`), and the feed's own full round (`readChanges` without
 *   a checkpoint: the first run, the daily safety net, an expired link);
 * - a drift with no change since the last run (target: at most 10 calls);
 * - a drift after 10 out-of-band changes (target: at most 10 + a small constant per change).
 * Figures are printed, never asserted. BENCH_DRIFT_SIZES=5000 skips the 100,000-user run.
 */
import type { ChangeFeed } from '../src/providers/change-feed.ts';
import type { Provider, Scope } from '../src/providers/types.ts';
import { createEntraHarness, type EntraHarness } from '../test/fakes/entra/harness.ts';
import type { FakeServer } from '../test/fakes/fake-server.ts';
import { DELEGATED_SCOPES, REPORTS_SCOPE } from '../test/fakes/google/google-fake.ts';
import { createGoogleHarness, type GoogleHarness } from '../test/fakes/google/harness.ts';
import { createOktaHarness, type OktaHarness } from '../test/fakes/okta/harness.ts';

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

/** A provider's organisation in its fake, and how to change it as an administrator would. */
interface FeedSubject {
  name: string;
  provider: Provider & ChangeFeed;
  server: FakeServer;
  scope: Scope;
  /** The sign-in calls, which are not the API's. */
  isToken(path: string): boolean;
  /** Ten changes in the console. */
  tenChanges(): void;
  /** Time passes on the fake's clock (a provider whose feed reads by time). */
  passMinutes?(minutes: number): void;
  close(): Promise<void>;
}

/** Measures one organisation's row, then closes its fake. */
async function measureFeed(s: FeedSubject, users: number): Promise<void> {
  try {
    await measureRow(s, users);
  } finally {
    await s.close();
  }
}

/**
 * One row: the full read, the feed's own full round, a drift with no change 15 minutes later, and
 * one 15 minutes after that with ten changes made a minute before it.
 */
async function measureRow(s: FeedSubject, users: number): Promise<void> {
  const { provider, scope } = s;
  const calls = async <T>(read: () => Promise<T>): Promise<{ value: T; calls: number; ms: number }> => {
    const from = s.server.requests.length;
    const t = performance.now();
    const value = await read();
    const ms = performance.now() - t;
    return { value, calls: s.server.requests.slice(from).filter((r) => !s.isToken(r.path)).length, ms };
  };
  const full = await calls(() => provider.read(scope));
  const first = await calls(() => provider.readChanges(scope, undefined));
  s.passMinutes?.(15);
  const quiet = await calls(() => provider.readChanges(scope, first.value.saved));
  s.passMinutes?.(14);
  s.tenChanges();
  s.passMinutes?.(1);
  const busy = await calls(() => provider.readChanges(scope, quiet.value.saved));
  const changes = busy.value.mode === 'incremental' ? busy.value.changes : 'full';
  row(
    s.name,
    `${users}`,
    `${full.calls} (${full.ms.toFixed(0)} ms)`,
    `${first.calls}`,
    `${quiet.calls} (${quiet.ms.toFixed(0)} ms)`,
    `${busy.calls} (${changes} changes)`,
  );
}

/** Entra seeded straight into the fake (the harness's seed looks users up by name: slow at 100,000). */
async function entraOrganisation(users: number): Promise<FeedSubject> {
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
  return {
    name: 'entra',
    provider: h.provider as Provider & ChangeFeed,
    server: h.server,
    scope,
    isToken: (path) => path.includes('/oauth2/'),
    tenChanges: () => tenChangesInEntra(h, users),
    close: () => h.close(),
  };
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

/** Google seeded straight into the fake, its delegation granting the Reports scope too. */
async function googleOrganisation(users: number): Promise<FeedSubject> {
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
  return {
    name: 'google',
    provider: h.provider as Provider & ChangeFeed,
    server: h.fake.server,
    scope,
    isToken: (path) => path === '/token',
    tenChanges: () => tenChangesInGoogle(h, users),
    close: () => h.close(),
  };
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

/**
 * Okta seeded straight into the fake an hour before the first drift run, on a clock the bench
 * moves (15 minutes between scheduled runs); its rate limits lifted, since calls are counted here
 * and bench-providers measures the waits.
 */
async function oktaOrganisation(users: number): Promise<FeedSubject> {
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
  return {
    name: 'okta',
    provider: h.provider as Provider & ChangeFeed,
    server: h.fake.server,
    scope,
    isToken: (path) => path.startsWith('/oauth2/'),
    tenChanges: () => tenChangesInOkta(h, users),
    passMinutes: (minutes) => {
      clock.now += minutes * 60_000;
    },
    close: () => h.close(),
  };
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

console.log(`\nDrift: API calls per provider (${GROUPS} managed groups, ${GROUPS * PER_GROUP} memberships)`);
row('provider', 'users', 'full read', 'feed round', 'no change', '10 changes');
for (const users of SIZES) {
  for (const organisation of [entraOrganisation, googleOrganisation, oktaOrganisation])
    await measureFeed(await organisation(users), users);
}
