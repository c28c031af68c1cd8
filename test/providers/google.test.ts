/**
 * The Google Workspace connector against the loopback Admin SDK fake, through the real
 * @googleapis/admin SDK and google-auth-library: bulk reads and their cost, every action and its
 * idempotent re-apply, throttling and faults under the shared retry policy, credentials that
 * never leak, and the fake's own fidelity.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../../src/plan/plan-types.js';
import { createGoogleProvider } from '../../src/providers/google/index.js';
import type { Scope } from '../../src/providers/types.js';
import { ADMIN_SUBJECT, CREDENTIALS_ENV, createGoogleHarness, type GoogleHarness } from '../fakes/google/harness.js';

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
        targets: { [`group:${SALES}`]: ['ana@example.com', 'ghost@example.com'], [`license:${WORKSPACE}`]: ['ana@example.com'] },
      },
      ['other1@example.com', 'other2@example.com'],
    );
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
      users: [
        { login: 'ana@example.com', displayName: 'Ana Lima', enabled: true, sessions: null },
        { login: 'bo@example.com', displayName: 'Bo Chen', enabled: false, sessions: null },
        { login: 'ghost@example.com', displayName: 'Ghost Writer', enabled: true, sessions: null },
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
      users[`user${String(i).padStart(4, '0')}@example.com`] = { displayName: `User ${i}`, enabled: true, sessions: 0 };
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
    expect(api.filter((r) => r.path.startsWith('/admin/directory/v1/users?')).every((r) => r.path.includes('maxResults=500'))).toBe(true);
    expect(api.filter((r) => r.path.includes('/members?')).every((r) => r.path.includes('maxResults=200'))).toBe(true);
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
    await hh.seed({ users: { 'ana@example.com': { displayName: 'Ana Lima', enabled: true, sessions: 0 } }, targets: { [`group:${SALES}`]: ['ana@example.com'], [`group:${ENG}`]: [] } }, ['x@example.com']);
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
    ['creates a user', change('createUser', 'new.person@example.com', { displayName: 'New Van Person' }), 'users', { 'new.person@example.com': { displayName: 'New Van Person', enabled: true, sessions: 0 } }],
    ['enables a suspended user', change('enableUser', 'bo@example.com'), 'users', { 'bo@example.com': { displayName: 'Bo Chen', enabled: true, sessions: 0 } }],
    ['suspends a user', change('disableUser', 'ana@example.com'), 'users', { 'ana@example.com': { displayName: 'Ana Lima', enabled: false, sessions: 2 } }],
    ['adds a group member', change('grant', 'ana@example.com', group(SALES)), 'targets', { [`group:${SALES}`]: ['ana@example.com', 'bo@example.com'] }],
    ['removes a group member', change('revoke', 'bo@example.com', group(SALES)), 'targets', { [`group:${SALES}`]: [] }],
    ['assigns a license', change('grant', 'ana@example.com', license(WORKSPACE)), 'targets', { [`license:${WORKSPACE}`]: ['ana@example.com', 'bo@example.com'] }],
    ['removes a license', change('revoke', 'bo@example.com', license(WORKSPACE)), 'targets', { [`license:${WORKSPACE}`]: [] }],
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

  it("moves a leaver's Drive and Calendar to the manager before suspending, once", async () => {
    const hh = await seeded();
    const leaver = change('disableUser', 'ana@example.com', {
      event: { kind: 'leaver', date: '2026-11-26' },
      manager: 'mia@example.com',
    });
    const first = await hh.provider.apply(leaver);
    const transfer = hh.fake.transfers[0]!;
    expect(first).toEqual({
      status: 'applied',
      detail: `Drive and Calendar transfer ${transfer.id} to mia@example.com`,
    });
    expect(transfer).toMatchObject({
      oldOwnerUserId: hh.fake.users.get('ana@example.com')!.id,
      newOwnerUserId: hh.fake.users.get('mia@example.com')!.id,
      applicationDataTransfers: [
        { applicationId: '55656082996', applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }] },
        { applicationId: '435070579839', applicationTransferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }] },
      ],
    });
    const order = hh.fake.server.requests.map((r) => `${r.method} ${decodeURIComponent(r.path.split('?')[0]!)}`);
    expect(order.indexOf('POST /admin/datatransfer/v1/transfers')).toBeLessThan(
      order.indexOf('PUT /admin/directory/v1/users/ana@example.com'),
    );
    expect(hh.fake.users.get('ana@example.com')!.suspended).toBe(true);
    expect(await hh.provider.apply(leaver)).toEqual({
      status: 'unchanged',
      detail: `Drive and Calendar transfer ${transfer.id} to mia@example.com (requested earlier)`,
    });
    expect(hh.fake.transfers).toHaveLength(1);
  });

  it('suspends a leaver even when the transfer cannot be made, and says so', async () => {
    const hh = await seeded();
    const outcome = await hh.provider.apply(
      change('disableUser', 'ana@example.com', { event: { kind: 'leaver' }, manager: 'gone@example.com' }),
    );
    expect(outcome).toEqual({
      status: 'failed',
      error:
        'google: ana@example.com is suspended, but the Drive and Calendar transfer to gone@example.com failed: the recipient: no account gone@example.com on google',
    });
    expect(hh.fake.users.get('ana@example.com')!.suspended).toBe(true);
  });

  it.each<[string, Change, RegExp]>([
    ['a group that does not exist', change('grant', 'ana@example.com', group('drive-nope@example.com')), /^google: grant ana@example\.com on group drive-nope@example\.com failed: group drive-nope@example\.com not found on google; create it there or fix policy\/entitlements\.yaml$/],
    ['a license SKU that does not exist', change('grant', 'ana@example.com', license('Google-Apps/0000')), /license Google-Apps\/0000 not found on google; create it there or fix policy\/entitlements\.yaml$/],
    ['an app target', change('grant', 'ana@example.com', { target: { kind: 'app', target: 'Slack' } }), /kind "app" is not supported.*through a group.*Slack/],
    ['an account that does not exist', change('enableUser', 'nobody@example.com'), /^google: enableUser nobody@example\.com failed: no account nobody@example\.com on google$/],
    ['a member that does not exist', change('grant', 'nobody@example.com', group(SALES)), /^google: grant nobody@example\.com on group drive-sales@example\.com failed: 404 notFound: Resource Not Found: memberKey$/],
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
    expect([...hh.fake.groups.get(ENG)!].sort()).toEqual([...logins].sort());
    const arrivals = hh.fake.server.requests.filter((r) => r.method === 'POST' && /\/members(\?|$)/.test(r.path)).map((r) => r.at);
    const first = Math.min(...arrivals);
    expect(arrivals.filter((t) => t < first + 40).length).toBeLessThanOrEqual(10);
  });
});
