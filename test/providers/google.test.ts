/**
 * The Google Workspace connector against the loopback Admin SDK fake, through the real
 * @googleapis/admin SDK and google-auth-library: bulk reads and their cost, every action and its
 * idempotent re-apply, throttling and faults under the shared retry policy, credentials that
 * never leak, and the fake's own fidelity.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Policy } from '../../src/model/schema.js';
import type { Change } from '../../src/plan/plan-types.js';
import { signWithKey } from '../../src/providers/google/auth.js';
import { classifyGoogleError, GoogleAuthError } from '../../src/providers/google/errors.js';
import { GoogleProvider } from '../../src/providers/google/google-provider.js';
import { createGoogleProvider } from '../../src/providers/google/index.js';
import type { ChangeOutcome, Scope } from '../../src/providers/types.js';
import {
  ADMIN_SUBJECT,
  CREDENTIALS_ENV,
  createGoogleHarness,
  type GoogleHarness,
} from '../fakes/google/harness.js';

/** Every first password the connector makes, so a test can look for it where it must not be. */
const { passwords } = vi.hoisted(() => ({ passwords: [] as string[] }));
vi.mock('../../src/providers/common.js', async (importOriginal) => {
  const common = await importOriginal<typeof import('../../src/providers/common.js')>();
  return {
    ...common,
    throwawayPassword: () => {
      const password = common.throwawayPassword();
      passwords.push(password);
      return password;
    },
  };
});

beforeAll(() => {
  // gaxios honours proxies: loopback traffic must not go to one.
  for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[v];
});

const SALES = 'drive-sales@example.com';
const ENG = 'drive-engineering@example.com';
const WORKSPACE = 'Google-Apps/1010020028';

/** Fast retries: real backoff shape, tiny base delay. */
const FAST = { baseDelayMs: 5, maxDelayMs: 40 };

let h: GoogleHarness | undefined;
afterEach(async () => {
  if (h) {
    expect(h.fake.server.unknownRequests).toEqual([]);
    await h.close();
  }
  h = undefined;
});

async function harness(opts: Parameters<typeof createGoogleHarness>[0] = {}): Promise<GoogleHarness> {
  const logs: string[] = [];
  h = await createGoogleHarness({ ...opts, ctx: { retry: FAST, log: (l) => logs.push(l), ...opts.ctx } });
  return h;
}

/** A leaver's checklist as "step status" lines, in the order the provider took them. */
function stepsOf(outcome: ChangeOutcome): string[] {
  return (outcome.steps ?? []).map((s) => `${s.step} ${s.status}`);
}

function change(action: Change['action'], login: string, extra: Partial<Change> = {}): Change {
  return {
    id: `google/${login}/${action}`,
    action,
    provider: 'google',
    login,
    person: login.split('@')[0]!,
    event: { kind: 'joiner' },
    because: ['test'],
    ...extra,
  };
}

const group = (target: string) => ({ target: { kind: 'group' as const, target } });
const license = (target: string) => ({ target: { kind: 'license' as const, target } });

function apiRequests(hh: GoogleHarness) {
  return hh.fake.server.requests.filter((r) => r.path.startsWith('/admin/') || r.path.startsWith('/apps/'));
}

describe('reading the managed scope in bulk', () => {
  it('reads users in scope, unknown members of managed groups, memberships and the out-of-scope count', async () => {
    const hh = await harness();
    await hh.seed(
      {
        users: {
          'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 },
          'bo@example.com': { displayName: 'Bo Chen', enabled: false, sessions: 0 },
          'ghost@example.com': { displayName: 'Ghost Writer', enabled: true, sessions: 0 },
        },
        targets: {
          [`group:${SALES}`]: ['ana@example.com', 'ghost@example.com'],
          [`license:${WORKSPACE}`]: ['ana@example.com'],
        },
      },
      ['other1@example.com', 'other2@example.com'],
    );
    hh.fake.signIn('ana@example.com');
    const before = hh.fake.users.get('ana@example.com')!.lastLoginTime;
    const scope: Scope = {
      logins: new Set(['ana@example.com', 'bo@example.com', 'nobody@example.com']),
      targets: [
        { kind: 'group', target: SALES },
        { kind: 'group', target: 'drive-missing@example.com' },
        { kind: 'license', target: WORKSPACE },
        { kind: 'license', target: 'Google-Apps/unknown-sku' },
      ],
    };
    const state = await hh.provider.read(scope);
    expect(state).toEqual({
      provider: 'google',
      simulated: false,
      // lastLoginTime: Ana's sign-in; Google's 1970-01-01T00:00:00.000Z ("never") for the others.
      users: [
        {
          login: 'ana@example.com',
          displayName: 'Ana Lima',
          enabled: true,
          sessions: null,
          lastSignIn: before,
        },
        { login: 'bo@example.com', displayName: 'Bo Chen', enabled: false, sessions: null, lastSignIn: null },
        {
          login: 'ghost@example.com',
          displayName: 'Ghost Writer',
          enabled: true,
          sessions: null,
          lastSignIn: null,
        },
      ],
      memberships: [
        { kind: 'group', target: SALES, members: ['ana@example.com', 'ghost@example.com'] },
        { kind: 'license', target: WORKSPACE, members: ['ana@example.com'] },
      ],
      outOfScopeAccounts: 2,
    });
  });

  it('pages across several pages of users and members and costs no more than the minimum', async () => {
    const hh = await harness();
    const users: Record<string, { displayName: string; enabled: boolean; sessions: number }> = {};
    for (let i = 0; i < 1203; i++) {
      users[`user${String(i).padStart(4, '0')}@example.com`] = {
        displayName: `User ${i}`,
        enabled: true,
        sessions: 0,
      };
    }
    const logins = Object.keys(users);
    await hh.seed({
      users,
      targets: {
        [`group:${SALES}`]: logins.slice(0, 450),
        [`group:${ENG}`]: [],
        [`license:${WORKSPACE}`]: logins.slice(0, 1001),
      },
    });
    const scope: Scope = {
      logins: new Set(logins.slice(0, 1000)),
      targets: [
        { kind: 'group', target: SALES },
        { kind: 'group', target: ENG },
        { kind: 'license', target: WORKSPACE },
      ],
    };
    const state = await hh.provider.read(scope);
    // The 1,001st license holder is outside scope.logins but holds a managed target: in scope.
    expect(state.users).toHaveLength(1001);
    expect(state.outOfScopeAccounts).toBe(202);
    expect(state.memberships.map((m) => [m.target, m.members.length])).toEqual([
      [SALES, 450],
      [ENG, 0],
      [WORKSPACE, 1001],
    ]);
    // Minimum: ceil(1203/500) user pages + ceil(450/200) + 1 (empty group) member pages + ceil(1001/1000) license pages.
    const minimum = 3 + 3 + 1 + 2;
    const api = apiRequests(hh);
    expect(api.length).toBeLessThanOrEqual(Math.ceil(1.1 * minimum));
    expect(
      api
        .filter((r) => r.path.startsWith('/admin/directory/v1/users?'))
        .every((r) => r.path.includes('maxResults=500')),
    ).toBe(true);
    expect(
      api.filter((r) => r.path.includes('/members?')).every((r) => r.path.includes('maxResults=200')),
    ).toBe(true);
    // One token for the whole read.
    expect(hh.fake.server.requests.filter((r) => r.path === '/token')).toHaveLength(1);
  });

  it('refuses app targets with a message pointing to groups', async () => {
    const hh = await harness();
    await hh.seed({ users: {}, targets: {} });
    await expect(
      hh.provider.read({ logins: new Set(), targets: [{ kind: 'app', target: 'Slack' }] }),
    ).rejects.toThrow(/kind "app" is not supported.*through a group/);
    expect(apiRequests(hh)).toEqual([]);
  });

  it('dumps every user and every group', async () => {
    const hh = await harness();
    await hh.seed(
      {
        users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
        targets: { [`group:${SALES}`]: ['ana@example.com'], [`group:${ENG}`]: [] },
      },
      ['x@example.com'],
    );
    const all = await hh.provider.readAll!();
    expect(all.users.map((u) => u.login)).toEqual(['ana@example.com', 'x@example.com']);
    expect(all.memberships).toEqual([
      { kind: 'group', target: ENG, members: [] },
      { kind: 'group', target: SALES, members: ['ana@example.com'] },
    ]);
    expect(all.outOfScopeAccounts).toBe(0);
  });
});

describe('applying changes idempotently', () => {
  const seeded = async () => {
    const hh = await harness();
    await hh.seed({
      users: {
        'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 2 },
        'bo@example.com': { displayName: 'Bo Chen', enabled: false, sessions: 0 },
        'mia@example.com': { displayName: 'Mia Manager', enabled: true, sessions: 0 },
      },
      targets: { [`group:${SALES}`]: ['bo@example.com'], [`license:${WORKSPACE}`]: ['bo@example.com'] },
    });
    return hh;
  };

  it.each<[string, Change, string, Partial<Record<string, unknown>>]>([
    [
      'creates a user',
      change('createUser', 'new.person@example.com', { displayName: 'New Van Person' }),
      'users',
      { 'new.person@example.com': { displayName: 'New Van Person', enabled: true, sessions: 0 } },
    ],
    [
      'enables a suspended user',
      change('enableUser', 'bo@example.com'),
      'users',
      { 'bo@example.com': { displayName: 'Bo Chen', enabled: true, sessions: 0 } },
    ],
    [
      'suspends a user',
      change('disableUser', 'ana@example.com'),
      'users',
      { 'ana@example.com': { displayName: 'Ana Lima', enabled: false, sessions: 2 } },
    ],
    [
      'adds a group member',
      change('grant', 'ana@example.com', group(SALES)),
      'targets',
      { [`group:${SALES}`]: ['ana@example.com', 'bo@example.com'] },
    ],
    [
      'removes a group member',
      change('revoke', 'bo@example.com', group(SALES)),
      'targets',
      { [`group:${SALES}`]: [] },
    ],
    [
      'assigns a license',
      change('grant', 'ana@example.com', license(WORKSPACE)),
      'targets',
      { [`license:${WORKSPACE}`]: ['ana@example.com', 'bo@example.com'] },
    ],
    [
      'removes a license',
      change('revoke', 'bo@example.com', license(WORKSPACE)),
      'targets',
      { [`license:${WORKSPACE}`]: [] },
    ],
  ])('%s, and reports unchanged when applied again', async (_name, c, part, expected) => {
    const hh = await seeded();
    expect(await hh.provider.apply(c)).toMatchObject({ status: 'applied' });
    const state = await hh.state([`group:${SALES}`, `license:${WORKSPACE}`]);
    expect(state[part as 'users' | 'targets']).toMatchObject(expected);
    expect(await hh.provider.apply(c)).toMatchObject({ status: 'unchanged' });
  });

  it('creates a user with a split name, a throwaway password and a forced change at first sign-in', async () => {
    const hh = await seeded();
    await hh.provider.apply(change('createUser', 'solo@example.com', { displayName: 'Cher' }));
    await hh.provider.apply(change('createUser', 'jo@example.com', { displayName: 'Jo Anne de la Cruz' }));
    const solo = hh.fake.users.get('solo@example.com')!;
    const jo = hh.fake.users.get('jo@example.com')!;
    expect([solo.givenName, solo.familyName]).toEqual(['Cher', 'Cher']);
    expect([jo.givenName, jo.familyName]).toEqual(['Jo Anne de la', 'Cruz']);
    expect(jo.changePasswordAtNextLogin).toBe(true);
    expect(jo.password!.length).toBeGreaterThanOrEqual(24);
    expect(jo.password).not.toBe(solo.password);
  });

  it('deletes a user, and calls a second delete unchanged', async () => {
    const hh = await seeded();
    expect(await hh.provider.apply(change('deleteUser', 'bo@example.com'))).toEqual({ status: 'applied' });
    expect(hh.fake.users.has('bo@example.com')).toBe(false);
    expect(await hh.provider.apply(change('deleteUser', 'bo@example.com'))).toEqual({ status: 'unchanged' });
  });

  it('signs a user out and revokes every OAuth token', async () => {
    const hh = await seeded();
    hh.fake.grantToken('ana@example.com', 'client-1.apps.googleusercontent.com');
    hh.fake.grantToken('ana@example.com', 'client-2.apps.googleusercontent.com');
    expect((await hh.state([])).users['ana@example.com']!.sessions).toBe(4);
    const outcome = await hh.provider.apply(change('revokeSessions', 'ana@example.com'));
    expect(outcome).toEqual({ status: 'applied', detail: 'signed out; 2 OAuth token(s) revoked' });
    expect((await hh.state([])).users['ana@example.com']!.sessions).toBe(0);
  });

  it('suspends a leaver first, then moves Drive and Calendar to the manager, once', async () => {
    const hh = await seeded();
    const leaver = change('disableUser', 'ana@example.com', {
      event: { kind: 'leaver', date: '2026-11-26' },
      manager: 'mia@example.com',
    });
    const first = await hh.provider.apply(leaver);
    const transfer = hh.fake.transfers[0]!;
    expect(first).toMatchObject({
      status: 'applied',
      detail: `Drive and Calendar transfer ${transfer.id} to mia@example.com`,
    });
    expect(stepsOf(first)).toEqual([
      'disable-sign-in applied',
      'transfer-drive applied',
      'transfer-calendar applied',
      'mailbox-retention applied',
      'mailbox-forwarding manual',
    ]);
    expect(first.steps![1]!.detail).toBe(
      `Drive transfer ${transfer.id} to mia@example.com requested; Google reports it pending`,
    );
    expect(transfer).toMatchObject({
      oldOwnerUserId: hh.fake.users.get('ana@example.com')!.id,
      newOwnerUserId: hh.fake.users.get('mia@example.com')!.id,
      applicationDataTransfers: [
        {
          applicationId: '55656082996',
          applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }],
        },
        {
          applicationId: '435070579839',
          applicationTransferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }],
        },
      ],
    });
    // Suspended first (the leaver SLA), by id; then the transfer. One call each.
    const ana = hh.fake.users.get('ana@example.com')!.id;
    expect(apiRequests(hh).map((r) => `${r.method} ${decodeURIComponent(r.path.split('?')[0]!)}`)).toEqual([
      'GET /admin/directory/v1/users/ana@example.com',
      `PUT /admin/directory/v1/users/${ana}`,
      'GET /admin/directory/v1/users/mia@example.com',
      'GET /admin/datatransfer/v1/transfers',
      'POST /admin/datatransfer/v1/transfers',
    ]);
    expect(hh.fake.users.get('ana@example.com')!.suspended).toBe(true);
    // Google finished the Drive part meanwhile: the step says so, and nothing is requested again.
    transfer.applicationDataTransfers![0]!.applicationTransferStatus = 'completed';
    const again = await hh.provider.apply(leaver);
    expect(again).toMatchObject({
      status: 'unchanged',
      detail: `Drive and Calendar transfer ${transfer.id} to mia@example.com (requested earlier)`,
    });
    expect(stepsOf(again)).toEqual([
      'disable-sign-in unchanged',
      'transfer-drive unchanged',
      'transfer-calendar unchanged',
      'mailbox-retention unchanged',
      'mailbox-forwarding manual',
    ]);
    expect(again.steps![1]!.detail).toMatch(/requested earlier; Google reports it completed$/);
    expect(hh.fake.transfers).toHaveLength(1);
  });

  it('suspends a leaver even when the transfer cannot be made, and says who must move the files', async () => {
    const hh = await seeded();
    const outcome = await hh.provider.apply(
      change('disableUser', 'ana@example.com', { event: { kind: 'leaver' }, manager: 'gone@example.com' }),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      error:
        'google: ana@example.com IS suspended, but its Drive and Calendar still need a new owner: the transfer to gone@example.com failed (the recipient: no account gone@example.com on google); an administrator must transfer them to gone@example.com in the Admin console (Account > Data transfer)',
    });
    // The suspension stands, and the record says which steps are left.
    expect(stepsOf(outcome)).toEqual([
      'disable-sign-in applied',
      'transfer-drive failed',
      'transfer-calendar failed',
      'mailbox-retention applied',
      'mailbox-forwarding manual',
    ]);
    expect(hh.fake.users.get('ana@example.com')!.suspended).toBe(true);
  });

  it('suspends a leaver before the transfer: a failing transfer service does not delay the suspension', async () => {
    const hh = await seeded();
    hh.fake.server.inject({
      kind: 'status',
      status: 500,
      path: /\/datatransfer\//,
      times: 100,
      body: { error: { code: 500, message: 'Internal error', errors: [{ reason: 'backendError' }] } },
    });
    const outcome = await hh.provider.apply(
      change('disableUser', 'ana@example.com', { event: { kind: 'leaver' }, manager: 'mia@example.com' }),
    );
    expect(outcome.status === 'failed' && outcome.error).toMatch(
      /^google: ana@example\.com IS suspended, but its Drive and Calendar still need a new owner: the transfer to mia@example\.com failed \(gave up after 6 attempts: 500 backendError: Internal error\); an administrator must transfer them to mia@example\.com/,
    );
    const requests = apiRequests(hh);
    const suspendedAt = requests.findIndex((r) => r.method === 'PUT');
    const firstTransfer = requests.findIndex((r) => r.path.includes('/datatransfer/'));
    expect(suspendedAt).toBeGreaterThanOrEqual(0);
    expect(suspendedAt).toBeLessThan(firstTransfer);
    expect(hh.fake.users.get('ana@example.com')!.suspended).toBe(true);
  });

  it.each<[string, (hh: GoogleHarness) => void]>([
    [
      'an earlier transfer to someone else',
      (hh) =>
        hh.fake.transfers.push({
          id: 'to-other',
          oldOwnerUserId: hh.fake.users.get('ana@example.com')!.id,
          newOwnerUserId: hh.fake.users.get('bo@example.com')!.id,
          overallTransferStatusCode: 'completed',
        }),
    ],
    [
      'an earlier transfer to the manager that failed',
      (hh) =>
        hh.fake.transfers.push({
          id: 'failed-one',
          oldOwnerUserId: hh.fake.users.get('ana@example.com')!.id,
          newOwnerUserId: hh.fake.users.get('mia@example.com')!.id,
          overallTransferStatusCode: 'failed',
        }),
    ],
  ])('starts a new transfer to the manager despite %s', async (_name, earlier) => {
    const hh = await seeded();
    earlier(hh);
    const outcome = await hh.provider.apply(
      change('disableUser', 'ana@example.com', { event: { kind: 'leaver' }, manager: 'mia@example.com' }),
    );
    const made = hh.fake.transfers[1]!;
    expect(outcome).toMatchObject({
      status: 'applied',
      detail: `Drive and Calendar transfer ${made.id} to mia@example.com`,
    });
    expect(made.newOwnerUserId).toBe(hh.fake.users.get('mia@example.com')!.id);
  });

  it.each<[string, Change, RegExp]>([
    [
      'a group that does not exist',
      change('grant', 'ana@example.com', group('drive-nope@example.com')),
      /^google: grant ana@example\.com on group drive-nope@example\.com failed: group drive-nope@example\.com not found on google; create it there or fix policy\/entitlements\.yaml$/,
    ],
    [
      'a license SKU that does not exist',
      change('grant', 'ana@example.com', license('Google-Apps/0000')),
      /license Google-Apps\/0000 not found on google; create it there or fix policy\/entitlements\.yaml$/,
    ],
    [
      'an app target',
      change('grant', 'ana@example.com', { target: { kind: 'app', target: 'Slack' } }),
      /kind "app" is not supported.*through a group.*Slack/,
    ],
    [
      'an account that does not exist',
      change('enableUser', 'nobody@example.com'),
      /^google: enableUser nobody@example\.com failed: no account nobody@example\.com on google$/,
    ],
    [
      'a member that does not exist',
      change('grant', 'nobody@example.com', group(SALES)),
      /^google: grant nobody@example\.com on group drive-sales@example\.com failed: 404 notFound: Resource Not Found: memberKey$/,
    ],
  ])('fails clearly on %s', async (_name, c, error) => {
    const hh = await seeded();
    const outcome = await hh.provider.apply(c);
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toMatch(error);
  });

  it('applies many changes with at most ten in flight, one outcome per change in order', async () => {
    const hh = await seeded();
    const logins = Array.from({ length: 25 }, (_, i) => `p${i}@example.com`);
    for (const l of logins) hh.fake.addUser(l);
    hh.fake.server.inject({ kind: 'delay', ms: 60, method: 'POST', path: /\/members(\?|$)/, times: 25 });
    const changes = logins.map((l) => change('grant', l, group(ENG)));
    hh.fake.addGroup(ENG);
    const outcomes = await Promise.all(hh.provider.applyMany!(changes));
    expect(outcomes).toEqual(logins.map(() => ({ status: 'applied' })));
    expect(hh.fake.userMembers(ENG)).toEqual([...logins].sort());
    const arrivals = hh.fake.server.requests
      .filter((r) => r.method === 'POST' && /\/members(\?|$)/.test(r.path))
      .map((r) => r.at);
    const first = Math.min(...arrivals);
    expect(arrivals.filter((t) => t < first + 40).length).toBeLessThanOrEqual(10);
  });
});

describe('throttling and faults under the shared retry policy', () => {
  const small = async (ctx: Parameters<typeof createGoogleHarness>[0] = {}) => {
    const hh = await harness(ctx);
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
      targets: { [`group:${SALES}`]: [] },
    });
    return hh;
  };
  const scope: Scope = { logins: new Set(['ana@example.com']), targets: [{ kind: 'group', target: SALES }] };

  it('backs off exponentially on a burst of 429 rateLimitExceeded: no retry arrives before its wait', async () => {
    const hh = await small({ ctx: { retry: { baseDelayMs: 20, maxDelayMs: 200, random: () => 1 } } });
    hh.fake.rateLimitNext(3);
    const state = await hh.provider.read({ ...scope, targets: [] });
    expect(state.users).toHaveLength(1);
    const list = apiRequests(hh);
    expect(list.map((r) => r.status)).toEqual([429, 429, 429, 200]);
    const gaps = list.slice(1).map((r, i) => r.at - list[i]!.at);
    // Full jitter with random() = 1: waits of 20, 40 and 80 ms.
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[1]).toBeGreaterThanOrEqual(40);
    expect(gaps[2]).toBeGreaterThanOrEqual(80);
  });

  it('backs off on 403 userRateLimitExceeded (the per-minute query budget) and finishes the read', async () => {
    const users: Record<string, { displayName: string; enabled: boolean; sessions: number }> = {};
    for (let i = 0; i < 1100; i++)
      users[`u${i}@example.com`] = { displayName: `U ${i}`, enabled: true, sessions: 0 };
    // One clock for the fake's quota window and the connector's waits, moved only by those waits:
    // the budget runs out however slow the machine, and each wait is what reopens it.
    let now = Date.now();
    const clock = {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
    };
    const hh = await harness({
      fake: { now: clock.now },
      ctx: { retry: { baseDelayMs: 30, maxDelayMs: 120, maxAttempts: 12, random: () => 1, ...clock } },
    });
    await hh.seed({ users, targets: { [`group:${SALES}`]: Object.keys(users).slice(0, 600) } });
    hh.fake.setQuota(3, 100);
    const state = await hh.provider.read({ logins: new Set(), targets: [{ kind: 'group', target: SALES }] });
    expect(state.memberships[0]!.members).toHaveLength(600);
    expect(state.users).toHaveLength(600);
    expect(apiRequests(hh).some((r) => r.status === 403)).toBe(true);
  });

  it('retries a 503 and reads the same state', async () => {
    const hh = await small();
    hh.fake.server.inject({
      kind: 'status',
      status: 503,
      path: /\/users\?/,
      times: 2,
      body: { error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError' }] } },
    });
    const state = await hh.provider.read(scope);
    expect(state.users.map((u) => u.login)).toEqual(['ana@example.com']);
  });

  it('ends in the right state when the answer to a write is lost (reset after write)', async () => {
    const hh = await small();
    hh.fake.server.inject({ kind: 'reset-after-write', method: 'POST', path: /\/members/, times: 1 });
    const outcome = await hh.provider.apply(change('grant', 'ana@example.com', group(SALES)));
    // The retried insert is told "Member already exists": the change is in place.
    expect(outcome).toEqual({ status: 'unchanged' });
    expect(hh.fake.userMembers(SALES)).toEqual(['ana@example.com']);
    expect(
      hh.fake.server.requests.filter((r) => r.method === 'POST' && r.path.includes('/members')),
    ).toHaveLength(2);
  });

  it('does not start a second data transfer when the answer to the first is lost', async () => {
    const hh = await small();
    hh.fake.addUser('mia@example.com');
    hh.fake.server.inject({ kind: 'reset-after-write', method: 'POST', path: /\/transfers/, times: 1 });
    const outcome = await hh.provider.apply(
      change('disableUser', 'ana@example.com', { event: { kind: 'leaver' }, manager: 'mia@example.com' }),
    );
    // The retry finds the transfer the lost insert made; the suspension was applied just before.
    expect(outcome).toMatchObject({
      status: 'applied',
      detail: `Drive and Calendar transfer ${hh.fake.transfers[0]!.id} to mia@example.com (requested earlier)`,
    });
    expect(hh.fake.transfers).toHaveLength(1);
    expect(hh.fake.users.get('ana@example.com')!.suspended).toBe(true);
  });

  it('reports a user created when the answer was lost as unchanged, not a conflict', async () => {
    const hh = await small();
    hh.fake.server.inject({ kind: 'reset-after-write', method: 'POST', path: /\/users(\?|$)/, times: 1 });
    const outcome = await hh.provider.apply(
      change('createUser', 'new@example.com', { displayName: 'New Person' }),
    );
    // The retry is told 409; users.get shows the address is this account's own primary address.
    expect(outcome).toEqual({ status: 'unchanged' });
    expect(hh.fake.users.has('new@example.com')).toBe(true);
  });

  it('retries a connection reset before the write', async () => {
    const hh = await small();
    hh.fake.server.inject({ kind: 'reset', method: 'POST', path: /\/users/, times: 1 });
    const outcome = await hh.provider.apply(
      change('createUser', 'new@example.com', { displayName: 'New Person' }),
    );
    expect(outcome).toEqual({ status: 'applied' });
    expect(hh.fake.users.has('new@example.com')).toBe(true);
  });

  it('gives up with a clear failed outcome once the retry budget is spent', async () => {
    const hh = await small();
    hh.fake.server.inject({
      kind: 'status',
      status: 503,
      method: 'POST',
      path: /\/members/,
      times: 100,
      body: {
        error: {
          code: 503,
          message: 'The service is currently unavailable.',
          errors: [{ reason: 'backendError' }],
        },
      },
    });
    const outcome = await hh.provider.apply(change('grant', 'ana@example.com', group(SALES)));
    expect(outcome).toEqual({
      status: 'failed',
      error: `google: grant ana@example.com on group ${SALES} failed: gave up after 6 attempts: 503 backendError: The service is currently unavailable.`,
    });
  });
});

describe('credentials', () => {
  const scope: Scope = { logins: new Set(['ana@example.com']), targets: [] };

  it('refuses to start without the variable naming the credentials file, and names it', () => {
    const config = {
      customer: 'my_customer',
      adminSubject: ADMIN_SUBJECT,
      auth: 'service-account-key' as const,
      credentialsEnv: 'GOOGLE_KEY_FILE',
      rootUrl: 'http://127.0.0.1:9/',
      licensingUrl: 'http://127.0.0.1:9/',
      dataTransferTo: 'manager' as const,
    };
    expect(() => createGoogleProvider(config, { env: {} })).toThrow(
      /google: the environment variable GOOGLE_KEY_FILE is not set \(policy\/jml\.yaml providers\.google\.credentialsEnv\)/,
    );
  });

  it('fails clearly on a key Google does not trust, without the key or the assertion in the error', async () => {
    const logs: string[] = [];
    const hh = await harness({ ctx: { log: (l) => logs.push(l) } });
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
      targets: {},
    });
    const key = JSON.parse(readFileSync(hh.keyFile, 'utf8')) as Record<string, string>;
    // Another key pair for the same account: the signature no longer verifies.
    const forged = hh.fake.createServiceAccountKey('forger@jml-test.iam.gserviceaccount.com');
    writeFileSync(hh.keyFile, JSON.stringify({ ...key, private_key: forged.private_key }));
    const provider = createGoogleProvider(hh.config, {
      env: { [CREDENTIALS_ENV]: hh.keyFile },
      retry: FAST,
      log: (l) => logs.push(l),
    });
    const error = await provider.read(scope).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toBe(
      'google: the token endpoint did not grant a delegated token for admin@example.com (400 invalid_grant: Invalid JWT Signature.)',
    );
    const outcome = await provider.apply(change('enableUser', 'ana@example.com'));
    expect(outcome).toEqual({
      status: 'failed',
      error:
        'google: enableUser ana@example.com failed: google: the token endpoint did not grant a delegated token for admin@example.com (400 invalid_grant: Invalid JWT Signature.)',
    });
    for (const text of [error!.message, JSON.stringify(outcome), ...logs]) {
      expect(text).not.toMatch(/PRIVATE KEY|eyJ|ya29\./);
    }
  });

  it('retries a connection reset at the token endpoint', async () => {
    const hh = await harness();
    hh.fake.server.inject({ kind: 'reset', path: /^\/token/, times: 1 });
    await hh.provider.read(scope);
    expect(
      hh.fake.server.requests.filter((r) => r.path === '/token').map((r) => r.dropped ?? r.status),
    ).toEqual(['before', 200]);
  });

  it('fails clearly when the delegation does not cover the admin subject', async () => {
    const hh = await harness({ config: { adminSubject: 'not-an-admin@example.com' } });
    await hh.seed({ users: {}, targets: {} });
    await expect(hh.provider.read(scope)).rejects.toThrow(
      /did not grant a delegated token for not-an-admin@example\.com \(401 unauthorized_client: Client is unauthorized/,
    );
  });

  it('never puts the token, the key, the assertion or the first password in an outcome or a log line', async () => {
    const logs: string[] = [];
    const hh = await harness({ ctx: { log: (l) => logs.push(l) } });
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 1 } },
      targets: { [`group:${SALES}`]: [] },
    });
    hh.fake.rateLimitNext(2);
    hh.fake.server.inject({
      kind: 'status',
      status: 401,
      path: /\/signOut/,
      times: 1,
      body: { error: { code: 401, message: 'Login Required.', errors: [{ reason: 'required' }] } },
    });
    const outcomes = await Promise.all(
      hh.provider.applyMany!([
        change('createUser', 'new@example.com', { displayName: 'New Person' }),
        change('grant', 'ana@example.com', group(SALES)),
        change('revokeSessions', 'ana@example.com'),
      ]),
    );
    const password = hh.fake.users.get('new@example.com')!.password!;
    const key = JSON.parse(readFileSync(hh.keyFile, 'utf8')) as { private_key: string };
    const text = JSON.stringify(outcomes) + logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    expect(outcomes[2]).toEqual({
      status: 'failed',
      error: 'google: revokeSessions ana@example.com failed: 401 required: Login Required.',
    });
    for (const secret of [password, key.private_key.split('\n')[1]!, 'ya29.', 'eyJ', 'Bearer']) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('Workload Identity Federation with domain-wide delegation', () => {
  /** An external account file as `gcloud iam workload-identity-pools create-cred-config` writes it. */
  function writeExternalAccount(hh: GoogleHarness): string {
    const sa = 'jml@jml-test.iam.gserviceaccount.com';
    const dir = path.dirname(hh.keyFile);
    writeFileSync(path.join(dir, 'oidc-token'), hh.fake.federatedSubjectToken);
    const file = path.join(dir, 'external.json');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'external_account',
        audience:
          '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/providers/actions',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${hh.fake.url}/v1/token`,
        service_account_impersonation_url: `${hh.fake.url}/v1/projects/-/serviceAccounts/${sa}:generateAccessToken`,
        credential_source: { file: path.join(dir, 'oidc-token') },
        // Not in gcloud's output: where the delegation assertion is exchanged (Google's by default).
        token_uri: `${hh.fake.url}/token`,
      }),
    );
    return file;
  }

  it('exchanges the federated token, impersonates the service account, has IAM sign the assertion and reads', async () => {
    const hh = await harness();
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
      targets: {},
    });
    const sa = 'jml@jml-test.iam.gserviceaccount.com';
    const externalFile = writeExternalAccount(hh);
    const provider = createGoogleProvider(
      { ...hh.config, auth: 'workload-identity' },
      { env: { [CREDENTIALS_ENV]: externalFile }, retry: FAST },
    );
    const state = await provider.read({ logins: new Set(['ana@example.com']), targets: [] });
    expect(state.users.map((u) => u.login)).toEqual(['ana@example.com']);
    expect(
      hh.fake.server.requests.map((r) => `${r.method} ${decodeURIComponent(r.path.split('?')[0]!)}`),
    ).toEqual([
      'POST /v1/token',
      `POST /v1/projects/-/serviceAccounts/${sa}:generateAccessToken`,
      `POST /v1/projects/-/serviceAccounts/${sa}:signJwt`,
      'POST /token',
      'GET /admin/directory/v1/users',
    ]);
  });

  it('leaves retries of the STS exchange to the shared policy', async () => {
    const logs: string[] = [];
    const hh = await harness();
    const file = writeExternalAccount(hh);
    hh.fake.server.inject({
      kind: 'status',
      status: 503,
      path: /^\/v1\/token/,
      times: 1,
      body: { error: 'temporarily_unavailable' },
    });
    const provider = createGoogleProvider(
      { ...hh.config, auth: 'workload-identity' },
      { env: { [CREDENTIALS_ENV]: file }, retry: FAST, log: (l) => logs.push(l) },
    );
    await provider.read({ logins: new Set(), targets: [] });
    expect(hh.fake.server.requests.filter((r) => r.path === '/v1/token').map((r) => r.status)).toEqual([
      503, 200,
    ]);
    expect(logs).toEqual([
      expect.stringMatching(
        /^google: attempt 1 failed \(google: signing the delegation assertion as .* failed \(503 temporarily_unavailable\)\); retrying in \d+ ms$/,
      ),
    ]);
  });

  it('says what is missing when the external account has no service account to impersonate', async () => {
    const hh = await harness();
    const file = path.join(path.dirname(hh.keyFile), 'external.json');
    writeFileSync(
      file,
      JSON.stringify({
        type: 'external_account',
        audience: 'x',
        subject_token_type: 'jwt',
        token_url: `${hh.fake.url}/v1/token`,
        credential_source: { file },
      }),
    );
    expect(() =>
      createGoogleProvider({ ...hh.config, auth: 'workload-identity' }, { env: { [CREDENTIALS_ENV]: file } }),
    ).toThrow(/needs service_account_impersonation_url/);
  });
});

describe('the fake answers as Google does', () => {
  /** A delegated token from the fake's token endpoint, asserted the way the connector does. */
  async function mint(hh: GoogleHarness, scope: string): Promise<string> {
    const key = JSON.parse(readFileSync(hh.keyFile, 'utf8')) as { private_key: string; client_email: string };
    const iat = Math.floor(Date.now() / 1000);
    const assertion = await signWithKey(key)({
      iss: key.client_email,
      sub: ADMIN_SUBJECT,
      scope: `https://www.googleapis.com/auth/${scope}`,
      aud: `${hh.fake.url}/token`,
      iat,
      exp: iat + 3600,
    });
    const res = await exchange(hh, assertion);
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  const exchange = (hh: GoogleHarness, assertion: string) =>
    fetch(`${hh.fake.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });

  const get = (hh: GoogleHarness, p: string, bearer?: string) =>
    fetch(`${hh.fake.url}${p}`, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});

  it.each<[string, string, string | undefined, number, string]>([
    [
      'a request without a token',
      '/admin/directory/v1/users?customer=my_customer',
      undefined,
      401,
      'authError',
    ],
    [
      'a token without the scope',
      `/admin/directory/v1/groups/${SALES}/members`,
      'admin.directory.user',
      403,
      'insufficientPermissions',
    ],
    [
      'users above 500 a page',
      '/admin/directory/v1/users?customer=my_customer&maxResults=501',
      'admin.directory.user',
      400,
      'invalid',
    ],
    [
      'members above 200 a page',
      `/admin/directory/v1/groups/${SALES}/members?maxResults=201`,
      'admin.directory.group.member',
      400,
      'invalid',
    ],
    [
      'an unknown query parameter',
      '/admin/directory/v1/users?customer=my_customer&top=5',
      'admin.directory.user',
      400,
      'invalid',
    ],
    [
      'an unknown user',
      '/admin/directory/v1/users/nobody@example.com',
      'admin.directory.user',
      404,
      'notFound',
    ],
    [
      'an unknown group',
      '/admin/directory/v1/groups/nope@example.com/members',
      'admin.directory.group.member',
      404,
      'notFound',
    ],
  ])('rejects %s with Google’s error body', async (_name, p, scope, status, reason) => {
    const hh = await harness();
    await hh.seed({ users: {}, targets: { [`group:${SALES}`]: [] } });
    const res = await get(hh, p, scope ? await mint(hh, scope) : undefined);
    expect(res.status).toBe(status);
    const body = (await res.json()) as {
      error: { code: number; message: string; errors: unknown[]; status: string };
    };
    expect(body.error).toMatchObject({ code: status, errors: [{ reason, domain: expect.any(String) }] });
    expect(body.error.message).toEqual(expect.any(String));
    expect(body.error.status).toEqual(expect.any(String));
  });

  it('verifies the assertion: a tampered claim set is an invalid signature', async () => {
    const hh = await harness();
    const key = JSON.parse(readFileSync(hh.keyFile, 'utf8')) as { private_key: string; client_email: string };
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iss: key.client_email,
      sub: ADMIN_SUBJECT,
      scope: 'x',
      aud: `${hh.fake.url}/token`,
      iat,
      exp: iat + 3600,
    };
    const [head, , sig] = (await signWithKey(key)(claims)).split('.');
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: 'other@example.com' })).toString(
      'base64url',
    );
    const res = await exchange(hh, `${head}.${tampered}.${sig}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  });

  it('answers an unknown request with a 404 error body and records it', async () => {
    const hh = await harness();
    const res = await get(
      hh,
      '/admin/directory/v1/customers/my_customer/orgunits',
      await mint(hh, 'admin.directory.user'),
    );
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]!.reason).toBe(
      'notFound',
    );
    expect(hh.fake.server.unknownRequests).toEqual([
      'GET /admin/directory/v1/customers/my_customer/orgunits',
    ]);
    hh.fake.server.unknownRequests.length = 0;
  });

  it('pages with nextPageToken until the last page', async () => {
    const hh = await harness();
    const emails = Array.from({ length: 7 }, (_, i) => `x${i}@example.com`);
    await hh.seed({ users: {}, targets: {} }, emails);
    const bearer = await mint(hh, 'admin.directory.user');
    const seen: string[] = [];
    let pageToken: string | undefined = '';
    while (pageToken !== undefined) {
      const res = await get(
        hh,
        `/admin/directory/v1/users?customer=my_customer&maxResults=3${pageToken ? `&pageToken=${pageToken}` : ''}`,
        bearer,
      );
      const body = (await res.json()) as { users: { primaryEmail: string }[]; nextPageToken?: string };
      seen.push(...body.users.map((u) => u.primaryEmail));
      pageToken = body.nextPageToken;
    }
    expect(seen).toEqual(emails);
  });

  it('returns only the fields a partial-response selector names', async () => {
    const hh = await harness();
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: false, sessions: 0 } },
      targets: {},
    });
    const bearer = await mint(hh, 'admin.directory.user');
    const res = await get(
      hh,
      '/admin/directory/v1/users?customer=my_customer&fields=users(primaryEmail,name/fullName)',
      bearer,
    );
    expect(await res.json()).toEqual({
      users: [{ primaryEmail: 'ana@example.com', name: { fullName: 'Ana Lima' } }],
    });
    const bad = await get(
      hh,
      '/admin/directory/v1/users?customer=my_customer&fields=users(primaryEmail',
      bearer,
    );
    expect(bad.status).toBe(400);
  });

  it('lists typed members (USER, GROUP) and honours the fields selector on them', async () => {
    const hh = await harness();
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
      targets: {},
    });
    hh.fake.addGroup(SALES, ['ana@example.com'], [ENG]);
    const bearer = await mint(hh, 'admin.directory.group.member');
    const typed = await get(
      hh,
      `/admin/directory/v1/groups/${SALES}/members?fields=members(email,type)`,
      bearer,
    );
    expect(await typed.json()).toEqual({
      members: [
        { email: 'ana@example.com', type: 'USER' },
        { email: ENG, type: 'GROUP' },
      ],
    });
    const bare = await get(hh, `/admin/directory/v1/groups/${SALES}/members?fields=members(email)`, bearer);
    expect(await bare.json()).toEqual({ members: [{ email: 'ana@example.com' }, { email: ENG }] });
  });

  it('lists license holders only for the customer id, not my_customer or a domain', async () => {
    const hh = await harness();
    await hh.seed({ users: {}, targets: { [`license:${WORKSPACE}`]: [] } });
    const bearer = await mint(hh, 'apps.licensing');
    const list = (customerId: string) =>
      get(hh, `/apps/licensing/v1/product/Google-Apps/sku/1010020028/users?customerId=${customerId}`, bearer);
    expect((await list(hh.fake.customerId)).status).toBe(200);
    expect((await list('my_customer')).status).toBe(400);
    expect((await list('example.com')).status).toBe(400);
  });

  it('resolves an alias on users.get like Google, and refuses an insert of any address in use', async () => {
    const hh = await harness();
    await hh.seed({ users: {}, targets: { [`group:${SALES}`]: [] } });
    hh.fake.addUser('ana@example.com', { aliases: ['ana.lima@example.com'] });
    const bearer = await mint(hh, 'admin.directory.user');
    const res = await get(
      hh,
      '/admin/directory/v1/users/ana.lima@example.com?fields=primaryEmail,aliases',
      bearer,
    );
    expect(await res.json()).toEqual({ primaryEmail: 'ana@example.com', aliases: ['ana.lima@example.com'] });
    for (const address of ['ana@example.com', 'ana.lima@example.com', SALES]) {
      const insert = await fetch(`${hh.fake.url}/admin/directory/v1/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          primaryEmail: address,
          name: { givenName: 'A', familyName: 'B' },
          password: 'long-enough-password',
        }),
      });
      expect(insert.status).toBe(409);
    }
  });

  it('throttles past the query budget with 403 userRateLimitExceeded until the window ends', async () => {
    // The fake's own clock, moved by the test: three requests fall in one window however slow the machine.
    let now = Date.now();
    const hh = await harness({ fake: { now: () => now } });
    const bearer = await mint(hh, 'admin.directory.user');
    hh.fake.setQuota(2, 150);
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await get(hh, '/admin/directory/v1/users?customer=my_customer', bearer)).status);
    expect(statuses).toEqual([200, 200, 403]);
    now += 150;
    expect((await get(hh, '/admin/directory/v1/users?customer=my_customer', bearer)).status).toBe(200);
  });
});

describe('nested groups and other non-person members', () => {
  it('reads only USER members: a nested group is not an unknown member to revoke', async () => {
    const hh = await harness();
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
      targets: {},
    });
    hh.fake.addGroup('drive-all@example.com', [], [SALES]);
    hh.fake.addGroup(SALES, ['ana@example.com'], ['drive-contractors@example.com']);
    const state = await hh.provider.read({
      logins: new Set(['ana@example.com']),
      targets: [
        { kind: 'group', target: SALES },
        { kind: 'group', target: 'drive-all@example.com' },
      ],
    });
    expect(state.memberships).toEqual([
      { kind: 'group', target: SALES, members: ['ana@example.com'] },
      { kind: 'group', target: 'drive-all@example.com', members: [] },
    ]);
    expect(state.users.map((u) => u.login)).toEqual(['ana@example.com']);
    const lists = apiRequests(hh).filter((r) => r.path.includes('/members?'));
    expect(lists.every((r) => decodeURIComponent(r.path).includes('members(email,type)'))).toBe(true);
  });
});

describe('aliases: users.get, update and delete resolve an alias to its owner', () => {
  const withAlias = async () => {
    const hh = await harness();
    await hh.seed({ users: {}, targets: { [`group:${SALES}`]: [] } });
    hh.fake.addUser('ana@example.com', { displayName: 'Ana Lima', aliases: ['ana.lima@example.com'] });
    return hh;
  };
  const alias = 'ana.lima@example.com';
  const refusal = (action: string) =>
    `google: ${action} ${alias} failed: ${alias} is an alias of ana@example.com; fix people/`;

  it.each<[string, Change]>([
    ['disableUser', change('disableUser', alias)],
    ['enableUser', change('enableUser', alias)],
    ['revokeSessions', change('revokeSessions', alias)],
    ['deleteUser', change('deleteUser', alias)],
  ])('refuses %s on an alias instead of acting on its owner', async (action, c) => {
    const hh = await withAlias();
    hh.fake.users.get('ana@example.com')!.sessions = 1;
    expect(await hh.provider.apply(c)).toEqual({ status: 'failed', error: refusal(action) });
    const ana = hh.fake.users.get('ana@example.com');
    expect(ana).toMatchObject({ suspended: false, sessions: 1 });
    expect(apiRequests(hh).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('suspends and deletes by the account id', async () => {
    const hh = await withAlias();
    const id = hh.fake.users.get('ana@example.com')!.id;
    expect(await hh.provider.apply(change('disableUser', 'ana@example.com'))).toEqual({ status: 'applied' });
    expect(await hh.provider.apply(change('deleteUser', 'ana@example.com'))).toEqual({ status: 'applied' });
    expect(apiRequests(hh).flatMap((r) => (r.method === 'GET' ? [] : [`${r.method} ${r.path}`]))).toEqual([
      `PUT /admin/directory/v1/users/${id}?fields=id%2Csuspended`,
      `DELETE /admin/directory/v1/users/${id}`,
    ]);
  });

  it.each<[string, string]>([
    ['an alias of another user', alias],
    ['a group email', SALES],
  ])('fails a create whose address is %s instead of calling it unchanged', async (_name, address) => {
    const hh = await withAlias();
    const outcome = await hh.provider.apply(change('createUser', address, { displayName: 'Someone Else' }));
    expect(outcome).toEqual({
      status: 'failed',
      error: `google: createUser ${address} failed: the address ${address} is in use by another user, alias or group`,
    });
  });

  it('calls a create of an existing primary address unchanged', async () => {
    const hh = await withAlias();
    expect(
      await hh.provider.apply(change('createUser', 'ana@example.com', { displayName: 'Ana Lima' })),
    ).toEqual({ status: 'unchanged' });
  });
});

describe('licenses are read with the customer id', () => {
  it('sends the customer id from the user list to the licensing API, at no extra call', async () => {
    const hh = await harness();
    await hh.seed({
      users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } },
      targets: { [`license:${WORKSPACE}`]: ['ana@example.com'], 'license:Google-Apps/1010020020': [] },
    });
    const scope: Scope = {
      logins: new Set(['ana@example.com']),
      targets: [
        { kind: 'license', target: WORKSPACE },
        { kind: 'license', target: 'Google-Apps/1010020020' },
      ],
    };
    await hh.provider.read(scope);
    const state = await hh.provider.read(scope);
    expect(state.memberships[0]).toEqual({
      kind: 'license',
      target: WORKSPACE,
      members: ['ana@example.com'],
    });
    const api = apiRequests(hh);
    expect(api.map((r) => decodeURIComponent(r.path.split('?')[0]!))).toEqual([
      '/admin/directory/v1/users',
      '/apps/licensing/v1/product/Google-Apps/sku/1010020028/users',
      '/apps/licensing/v1/product/Google-Apps/sku/1010020020/users',
      '/admin/directory/v1/users',
      '/apps/licensing/v1/product/Google-Apps/sku/1010020028/users',
      '/apps/licensing/v1/product/Google-Apps/sku/1010020020/users',
    ]);
    const licenseReads = api.filter((r) => r.path.startsWith('/apps/licensing/'));
    expect(licenseReads).toHaveLength(4);
    expect(licenseReads.every((r) => r.path.includes(`customerId=${hh.fake.customerId}&`))).toBe(true);
  });
});

describe('no SDK error escapes with the request it failed on', () => {
  /** Everything an error holds, as a log line or a JSON record would show it. */
  const dump = (e: unknown) => {
    let json: string;
    try {
      json = JSON.stringify(e);
    } catch (err) {
      json = String(err);
    }
    return `${json}\n${inspect(e, { depth: Number.POSITIVE_INFINITY, showHidden: true })}`;
  };

  it.each<[string, Parameters<GoogleHarness['fake']['server']['inject']>[0]]>([
    [
      'a 400',
      {
        kind: 'status',
        status: 400,
        method: 'POST',
        path: /\/users(\?|$)/,
        times: 1,
        body: { error: { code: 400, message: 'Invalid Input', errors: [{ reason: 'invalid' }] } },
      },
    ],
    ['a connection reset', { kind: 'reset', method: 'POST', path: /\/users(\?|$)/, times: 6 }],
  ])(
    'keeps the first password out of the error of a users.insert that fails with %s',
    async (_name, fault) => {
      const hh = await harness();
      await hh.seed({ users: {}, targets: {} });
      const create = vi.spyOn(
        GoogleProvider.prototype as unknown as { createUser: () => unknown },
        'createUser',
      );
      passwords.length = 0;
      hh.fake.server.inject(fault);
      const outcome = await hh.provider.apply(
        change('createUser', 'new@example.com', { displayName: 'New Person' }),
      );
      expect(outcome.status).toBe('failed');
      const [settled] = create.mock.settledResults;
      create.mockRestore();
      expect(settled?.type).toBe('rejected');
      expect(passwords).toHaveLength(1);
      const password = passwords[0]!;
      for (const text of [dump(settled?.value), JSON.stringify(outcome)]) {
        expect(text).not.toContain(password);
        expect(text).not.toMatch(/Bearer|ya29\./);
      }
    },
  );

  it('rethrows a failed read as a new error: no request, no response, no cause', async () => {
    const hh = await harness();
    await hh.seed({ users: {}, targets: { [`group:${SALES}`]: [] } });
    hh.fake.server.inject({
      kind: 'status',
      status: 403,
      path: /\/members/,
      times: 1,
      body: {
        error: {
          code: 403,
          message: 'Not Authorized to access this resource/api',
          errors: [{ reason: 'forbidden' }],
        },
      },
    });
    const error = await hh.provider
      .read({ logins: new Set(), targets: [{ kind: 'group', target: SALES }] })
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(error?.message).toBe(
      'google: reading failed: 403 forbidden: Not Authorized to access this resource/api',
    );
    expect(Object.getOwnPropertyNames(error).sort()).toEqual(['message', 'stack']);
    expect(dump(error)).not.toMatch(/Bearer|ya29\.|authorization/i);
  });

  it('keeps a dropped token request retryable by its code, without the original error as cause', () => {
    const drop = Object.assign(new Error('socket hang up'), {
      code: 'ECONNRESET',
      config: { data: 'assertion=eyJsecret' },
    });
    const error = GoogleAuthError.from('google: the token endpoint did not answer', drop);
    expect(error.cause).toBeUndefined();
    expect(error.code).toBe('ECONNRESET');
    expect(classifyGoogleError(error).retryable).toBe(true);
    expect(dump(error)).not.toContain('eyJ');
  });
});

describe('the leaver checklist, step by step', () => {
  const leaving = { kind: 'leaver' as const, date: '2026-11-30T17:00:00Z' };
  const start = async (opts: Parameters<typeof createGoogleHarness>[0] = {}) => {
    const hh = await harness(opts);
    await hh.seed({
      users: {
        'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 1 },
        'mia@example.com': { displayName: 'Mia Manager', enabled: true, sessions: 0 },
      },
      targets: { [`group:${SALES}`]: ['ana@example.com'], [`license:${WORKSPACE}`]: ['ana@example.com'] },
    });
    return hh;
  };

  it('hands the mail forwarding to an administrator, saying exactly what to do and why', async () => {
    const policy = { retention: { accountDays: 30, deleteAccounts: true, mailboxForwardTo: 'manager' } };
    const hh = await start({ ctx: { policy: policy as Policy } });
    const out = await hh.provider.apply(
      change('disableUser', 'ana@example.com', { event: leaving, manager: 'mia@example.com' }),
    );
    const step = (name: string) => out.steps!.find((s) => s.step === name)!;
    expect(step('mailbox-forwarding')).toMatchObject({ status: 'manual' });
    expect(step('mailbox-forwarding').detail).toMatch(
      /rejects mail sent to a suspended account.*Gmail > Default routing.*ana@example\.com.*envelope recipient to mia@example\.com/,
    );
    expect(step('mailbox-retention').detail).toMatch(
      /keeps the mail it holds.*disabled, not deleted.*after retention\.accountDays \(30 days\)/,
    );
    for (const s of out.steps!) expect(new Date(s.at).toISOString()).toBe(s.at);
  });

  it('skips the transfers of a leaver without a manager, and still suspends', async () => {
    const hh = await start();
    const out = await hh.provider.apply(change('disableUser', 'ana@example.com', { event: leaving }));
    expect(out.status).toBe('applied');
    expect(stepsOf(out)).toEqual([
      'disable-sign-in applied',
      'transfer-drive skipped',
      'transfer-calendar skipped',
      'mailbox-retention applied',
      'mailbox-forwarding manual',
    ]);
    expect(hh.fake.transfers).toEqual([]);
  });

  it('records the sign-out and the OAuth tokens deleted, unchanged when there were none', async () => {
    const hh = await start();
    hh.fake.grantToken('ana@example.com', 'client-1.apps.googleusercontent.com');
    const revoke = change('revokeSessions', 'ana@example.com', { event: leaving });
    const first = await hh.provider.apply(revoke);
    expect(stepsOf(first)).toEqual(['revoke-sessions applied', 'revoke-tokens applied']);
    expect(first.steps![1]!.detail).toBe('1 OAuth token(s) the user granted deleted');
    expect(stepsOf(await hh.provider.apply(revoke))).toEqual([
      'revoke-sessions applied',
      'revoke-tokens unchanged',
    ]);
  });

  it('records remove-access on each revoke and delete-account on the deletion', async () => {
    const hh = await start();
    const outs = await Promise.all(
      hh.provider.applyMany!([
        change('revoke', 'ana@example.com', { event: leaving, ...group(SALES) }),
        change('revoke', 'ana@example.com', {
          event: leaving,
          target: { kind: 'license', target: WORKSPACE },
        }),
      ]),
    );
    expect(outs.map(stepsOf)).toEqual([['remove-access applied'], ['remove-access applied']]);
    const again = await hh.provider.apply(
      change('revoke', 'ana@example.com', { event: leaving, ...group(SALES) }),
    );
    expect(stepsOf(again)).toEqual(['remove-access unchanged']);
    const gone = await hh.provider.apply(change('deleteUser', 'ana@example.com', { event: leaving }));
    expect(stepsOf(gone)).toEqual(['delete-account applied']);
  });

  it("adds no steps to changes that are not a leaver's", async () => {
    const hh = await start();
    for (const c of [
      change('disableUser', 'ana@example.com', { event: { kind: 'update' }, manager: 'mia@example.com' }),
      change('revokeSessions', 'ana@example.com', { event: { kind: 'mover' } }),
      change('revoke', 'ana@example.com', { event: { kind: 'mover' }, ...group(SALES) }),
    ]) {
      expect((await hh.provider.apply(c)).steps, c.action).toBeUndefined();
    }
    expect(hh.fake.transfers).toEqual([]);
  });
});
