/**
 * The property issue 18 asks for, on Google Workspace: whatever an administrator changes behind
 * the engine's back, drift computed from the admin audit log's feed equals drift computed from a
 * full read. Random sequences of out-of-band changes in the fake's Admin console (members added
 * and removed, accounts suspended, restored, renamed, given a new address, deleted, created and
 * undeleted, groups created, deleted and given a managed address, licenses assigned and removed,
 * minutes and hours passing); after every step the engine reads Google both ways (drift-state.ts
 * through the feed, prepare.ts `readActual` in full) and plans both.
 *
 * Two clocks, as in production: Google's (the fake's, minutes apart, near the real time since the
 * connector signs its delegation with the real clock) and the runner's (drift-state's `now`,
 * which hours move on to the daily full read).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanTempDirs } from '../engine/helpers.js';
import { DELEGATED_SCOPES, REPORTS_SCOPE } from '../fakes/google/google-fake.js';
import { CREDENTIALS_ENV, createGoogleHarness, type GoogleHarness } from '../fakes/google/harness.js';
import type { ProviderState } from '../fakes/harness.js';
import { clearProxyEnv } from '../providers/feed-helpers.js';
import { checkIncrementalEqualsFull, connectExample, type DriftRepo, enabledUsers } from './property.js';

const RUNNER_START = Date.parse('2027-01-04T09:00:00Z');

interface GoogleRepo extends DriftRepo<GoogleHarness> {
  licenses: string[];
}

let repo: GoogleRepo;
/** Google's clock (the fake's) and the runner's. */
let google = Date.now();
let runner = RUNNER_START;

beforeAll(async () => {
  clearProxyEnv();
  const h = await createGoogleHarness({
    fake: { now: () => google, delegatedScopes: [...DELEGATED_SCOPES, REPORTS_SCOPE] },
  });
  const { p, logins, groups, licenses } = await connectExample({
    prefix: 'jml-drift-google-',
    provider: 'google',
    config: h.config,
    env: { [CREDENTIALS_ENV]: h.keyFile },
    now: () => runner,
    at: RUNNER_START,
  });
  const users = enabledUsers(logins, (local) => `${local} Person`);
  const targets: ProviderState['targets'] = {};
  for (const [i, t] of groups.entries()) targets[`group:${t}`] = logins.slice(i * 3, i * 3 + 4);
  for (const [i, t] of licenses.entries()) targets[`license:${t}`] = logins.slice(i * 5, i * 5 + 6);
  targets['group:all-staff@example.com'] = logins.slice(0, 10);
  repo = { h, p, logins, groups, licenses, base: { users, targets }, extra: ['contractor@example.com'] };
});

afterAll(async () => {
  await repo?.h.close();
  cleanTempDirs();
});

const EXTRA_GROUPS = ['all-staff@example.com', 'old-finance@example.com', 'temp@example.com'];

type Op =
  | { op: 'add' | 'remove'; group: number; login: number }
  | { op: 'suspend' | 'unsuspend' | 'delete-user' | 'create-user' | 'undelete-user'; login: number }
  | { op: 'set-name'; login: number; name: string }
  | { op: 'new-address'; login: number; to: number }
  | { op: 'create-group' | 'delete-group'; group: number }
  | { op: 'group-address'; group: number; to: number }
  | { op: 'license'; login: number; add: boolean }
  | { op: 'minutes'; n: number }
  | { op: 'hours'; n: number };

const idx = fc.nat(40);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'remove' as const), group: idx, login: idx }),
  fc.record({
    op: fc.constantFrom(
      'suspend' as const,
      'unsuspend' as const,
      'delete-user' as const,
      'create-user' as const,
      'undelete-user' as const,
    ),
    login: idx,
  }),
  fc.record({
    op: fc.constant('set-name' as const),
    login: idx,
    name: fc.constantFrom('Ada Lovelace', 'Grace Hopper', 'Cy', 'Ren Name'),
  }),
  fc.record({ op: fc.constant('new-address' as const), login: idx, to: idx }),
  fc.record({ op: fc.constantFrom('create-group' as const, 'delete-group' as const), group: idx }),
  fc.record({ op: fc.constant('group-address' as const), group: idx, to: idx }),
  fc.record({ op: fc.constant('license' as const), login: idx, add: fc.boolean() }),
  fc.record({ op: fc.constant('minutes' as const), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ op: fc.constant('hours' as const), n: fc.integer({ min: 1, max: 30 }) }),
);

const stepArb = fc.record({ o: opArb, read: fc.boolean() });

/** A person, an account outside the repository, a new address, or one that does not exist yet. */
function loginAt(i: number): string {
  const pool = [...repo.logins.slice(0, 8), ...repo.extra, 'new.hire@example.com', 'renamed@example.com'];
  return pool[i % pool.length]!;
}

function groupAt(i: number): string {
  const pool = [...repo.groups, ...EXTRA_GROUPS];
  return pool[i % pool.length]!;
}

/** An administrator's change in the Admin console: straight into the fake, logged as Google logs it. */
function change(o: Op): void {
  const f = repo.h.fake;
  switch (o.op) {
    case 'add':
      f.consoleAddMember(groupAt(o.group), loginAt(o.login));
      return;
    case 'remove':
      f.consoleRemoveMember(groupAt(o.group), loginAt(o.login));
      return;
    case 'suspend':
    case 'unsuspend':
      f.consoleSuspend(loginAt(o.login), o.op === 'suspend');
      return;
    case 'set-name':
      f.consoleSetName(loginAt(o.login), o.name);
      return;
    case 'delete-user':
      f.consoleDeleteUser(loginAt(o.login));
      return;
    case 'create-user':
      f.consoleCreateUser(loginAt(o.login));
      return;
    case 'undelete-user':
      f.consoleUndeleteUser(loginAt(o.login));
      return;
    case 'new-address':
      f.consoleRename(loginAt(o.login), loginAt(o.to));
      return;
    case 'create-group':
      f.consoleCreateGroup(groupAt(o.group), [loginAt(o.group)]);
      return;
    case 'delete-group':
      f.consoleDeleteGroup(groupAt(o.group));
      return;
    case 'group-address':
      f.consoleChangeGroupEmail(groupAt(o.group), groupAt(o.to));
      return;
    case 'license': {
      const target = repo.licenses[0];
      if (target) f.consoleLicense(target, loginAt(o.login), o.add);
      return;
    }
    case 'minutes':
      google += o.n * 60_000;
      runner += o.n * 60_000;
      return;
    case 'hours':
      runner += o.n * 3_600_000;
      return;
  }
}

it('drift from the admin audit log always equals drift from a full read', async () => {
  const modes = await checkIncrementalEqualsFull({
    p: repo.p,
    step: stepArb,
    async reset() {
      google = Math.floor(Date.now() / 1000) * 1000;
      runner = RUNNER_START;
      await repo.h.seed(repo.base, repo.extra);
    },
    apply({ o, read }, last) {
      change(o);
      // Several changes between two runs, sometimes: the fold must not depend on one per run.
      if (!read && !last) return false;
      // A run is at least a second after the last: Google's times are to the second.
      google += 1_000;
      return true;
    },
    now: () => runner,
    stateDirPrefix: 'jml-drift-state-',
    // Always tried: an account deleted and created again under the same address (the fold must
    // not bring its old groups back), and one given a new address (its groups follow it).
    examples: [
      [
        { o: { op: 'delete-user', login: 0 }, read: false },
        { o: { op: 'create-user', login: 0 }, read: true },
      ],
      [{ o: { op: 'new-address', login: 1, to: 10 }, read: true }],
      // A restored account: the feed cannot tell whether its groups came back, so it reads in full.
      [
        { o: { op: 'delete-user', login: 2 }, read: true },
        { o: { op: 'minutes', n: 1 }, read: true },
        { o: { op: 'undelete-user', login: 2 }, read: true },
      ],
    ],
  });
  // The runs went through every path, not only the full read.
  expect(modes.get('incremental') ?? 0).toBeGreaterThan(50);
  expect(modes.get('full:daily') ?? 0).toBeGreaterThan(0);
  expect(modes.get('full:feed-restart') ?? 0).toBeGreaterThan(0);
});
