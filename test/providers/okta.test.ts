/**
 * The Okta connector against the loopback OktaFake, through the real @okta/okta-sdk-nodejs:
 * bulk reads and their cost, every action and its re-apply, throttling and faults, credentials,
 * and the fake's fidelity to Okta's own API description.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oktaConnection } from '../../src/model/schema.js';
import type { Change } from '../../src/plan/plan-types.js';
import { createOktaProvider, shareTokenRequests } from '../../src/providers/okta/index.js';
import { oktaRateBucket } from '../../src/providers/okta/rate-limits.js';
import type { ChangeOutcome } from '../../src/providers/types.js';
import type { RecordedRequest } from '../fakes/fake-server.js';
import type { ProviderState } from '../fakes/harness.js';
import {
  createOktaHarness,
  OKTA_THROTTLE,
  type OktaHarness,
  type OktaHarnessOptions,
} from '../fakes/okta/index.js';
import { documentedBucket } from '../fakes/okta/okta-fake.js';
import { OktaOpenApi } from '../fakes/okta/openapi-spec.js';

// The SDK sends loopback traffic to HTTPS_PROXY when it is set (NO_PROXY is ignored).
for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[v];

const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

let h: OktaHarness;
let logs: string[];

async function start(opts: OktaHarnessOptions = {}): Promise<OktaHarness> {
  logs = [];
  h = await createOktaHarness({ retry: FAST_RETRY, log: (l) => logs.push(l), ...opts });
  return h;
}

afterEach(async () => {
  if (!h) return;
  // Every request the connector made is one the fake (and so Okta's API) understands.
  expect(h.server!.unknownRequests).toEqual([]);
  await h.close();
  h = undefined as unknown as OktaHarness;
});

function change(action: Change['action'], login: string, extra: Partial<Change> = {}): Change {
  return {
    id: `okta/${login}/${action}`,
    action,
    provider: 'okta',
    login,
    person: login.split('@')[0]!,
    event: { kind: 'mover' },
    because: [],
    ...extra,
  };
}

const group = (target: string) => ({ target: { kind: 'group' as const, target } });
const app = (target: string) => ({ target: { kind: 'app' as const, target } });
const api = (r: RecordedRequest) => !r.path.startsWith('/oauth2/');

const BASE: ProviderState = {
  users: {
    'alice@northwind.test': { displayName: 'Alice Nguyen', enabled: true, sessions: 2 },
    'bob@northwind.test': { displayName: 'Bob Okafor', enabled: false, sessions: 0 },
    'carol@northwind.test': { displayName: 'Carol de la Cruz', enabled: true, sessions: 0 },
  },
  targets: {
    'group:Everyone (Northwind)': ['alice@northwind.test', 'carol@northwind.test'],
    'group:AWS - Prod Admin': [],
    'app:Slack': ['alice@northwind.test'],
  },
};

const SCOPE = {
  logins: new Set(['alice@northwind.test', 'bob@northwind.test', 'carol@northwind.test']),
  targets: [
    { kind: 'group' as const, target: 'Everyone (Northwind)' },
    { kind: 'group' as const, target: 'AWS - Prod Admin' },
    { kind: 'app' as const, target: 'Slack' },
  ],
};

describe('okta read', () => {
  beforeEach(() => start());

  it('returns people in scope, unknown members of managed targets, and counts everyone else', async () => {
    await h.seed(
      {
        ...BASE,
        targets: { ...BASE.targets, 'app:Slack': ['alice@northwind.test', 'mallory@outside.test'] },
      },
      ['mallory@outside.test', 'zed@outside.test', 'yan@outside.test'],
    );
    h.fake.addGroup('Not Managed');
    h.fake.userByLogin('alice@northwind.test')!.lastLogin = '2026-11-20T08:15:30.000Z';
    const state = await h.provider.read({
      ...SCOPE,
      targets: [...SCOPE.targets, { kind: 'group', target: 'Does Not Exist' }],
    });
    expect(state).toEqual({
      provider: 'okta',
      simulated: false,
      users: [
        {
          login: 'alice@northwind.test',
          displayName: 'Alice Nguyen',
          enabled: true,
          sessions: null,
          lastSignIn: '2026-11-20T08:15:30.000Z',
        },
        {
          login: 'bob@northwind.test',
          displayName: 'Bob Okafor',
          enabled: false,
          sessions: null,
          disabledAt: expect.any(String),
          lastSignIn: null,
        },
        {
          login: 'carol@northwind.test',
          displayName: 'Carol de la Cruz',
          enabled: true,
          sessions: null,
          lastSignIn: null,
        },
        {
          login: 'mallory@outside.test',
          displayName: 'mallory',
          enabled: true,
          sessions: null,
          lastSignIn: null,
        },
      ],
      memberships: [
        {
          kind: 'group',
          target: 'Everyone (Northwind)',
          members: ['alice@northwind.test', 'carol@northwind.test'],
        },
        { kind: 'group', target: 'AWS - Prod Admin', members: [] },
        { kind: 'app', target: 'Slack', members: ['alice@northwind.test', 'mallory@outside.test'] },
      ],
      outOfScopeAccounts: 2,
    });
  });

  it('lists STAGED and SUSPENDED accounts as disabled and treats DEPROVISIONED ones as deleted', async () => {
    await h.seed({ users: {}, targets: { 'group:Eng': [] } });
    for (const [login, status] of [
      ['staged@n.test', 'STAGED'],
      ['suspended@n.test', 'SUSPENDED'],
      ['gone@n.test', 'DEPROVISIONED'],
      ['locked@n.test', 'LOCKED_OUT'],
      ['expired@n.test', 'PASSWORD_EXPIRED'],
    ] as const) {
      h.fake.addUser({ login, status });
      h.fake.addMember('Eng', login);
    }
    const state = await h.provider.read({ logins: new Set(), targets: [{ kind: 'group', target: 'Eng' }] });
    expect(state.users.map((u) => [u.login, u.enabled])).toEqual([
      ['expired@n.test', true],
      ['locked@n.test', true],
      ['staged@n.test', false],
      ['suspended@n.test', false],
    ]);
    expect(state.memberships[0]!.members).not.toContain('gone@n.test');
    expect(state.outOfScopeAccounts).toBe(0);
  });

  it('pages through users, members and app users, within 10% of the minimum number of calls', async () => {
    const N = 1234;
    const users: ProviderState['users'] = {};
    for (let i = 0; i < N; i++)
      users[`u${i}@big.test`] = { displayName: `User ${i}`, enabled: true, sessions: 0 };
    const logins = Object.keys(users);
    await h.seed({
      users,
      targets: {
        'group:All': logins,
        'group:Half': logins.slice(0, 617),
        'group:Empty': [],
        'app:Zoom': logins.slice(0, 1100),
      },
    });
    const scope = {
      logins: new Set(logins.slice(0, 1000)),
      targets: ['All', 'Half', 'Empty'].map((target) => ({ kind: 'group' as const, target })),
    };
    const state = await h.provider.read({
      ...scope,
      targets: [...scope.targets, { kind: 'app', target: 'Zoom' }],
    });
    expect(state.users).toHaveLength(N);
    expect(state.memberships.map((m) => m.members.length)).toEqual([N, 617, 0, 1100]);
    const calls = h.server!.requests.filter(api);
    // Minimum (PROVIDERS.md): ceil(N/200) + G + sum ceil(members/page); the app counts as a target.
    const minimum = Math.ceil(N / 200) + 4 + Math.ceil(N / 1000) + 1 + 1 + Math.ceil(1100 / 500);
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(1.1 * minimum));
    expect(calls.filter((r) => r.path.startsWith('/api/v1/users?'))).toHaveLength(Math.ceil(N / 200));
    expect(h.server!.requests.filter((r) => !api(r))).toHaveLength(1);
  });

  it('refuses a license target: licenses are not an Okta kind', async () => {
    await h.seed(BASE);
    await expect(
      h.provider.read({ logins: new Set(), targets: [{ kind: 'license', target: 'SPE_E3' }] }),
    ).rejects.toThrow(/'license' is not an Okta kind/);
  });

  it('readAll returns every account, every Okta group and every active app', async () => {
    await h.seed(BASE, ['extra@outside.test']);
    h.fake.addApp('Retired', 'INACTIVE');
    const all = await h.provider.readAll!();
    expect(all.users.map((u) => u.login)).toHaveLength(4);
    expect(all.outOfScopeAccounts).toBe(0);
    expect(all.memberships.map((m) => `${m.kind}:${m.target}`).sort()).toEqual([
      'app:Slack',
      'group:AWS - Prod Admin',
      'group:Everyone (Northwind)',
    ]);
  });
});

describe('okta apply: each action, then the same change again', () => {
  beforeEach(async () => {
    await start();
    await h.seed(BASE);
    h.fake.addUser({ login: 'staged@northwind.test', displayName: 'Sam Staged', status: 'STAGED' });
    await h.provider.read(SCOPE);
  });

  const cases: {
    name: string;
    change: Change;
    check: (s: ProviderState) => void;
    again?: 'unchanged' | 'applied';
  }[] = [
    {
      name: 'createUser creates the account STAGED and has Okta email the activation link',
      change: change('createUser', 'dave@northwind.test', { displayName: 'Dave van Dyke' }),
      check: (s) => {
        expect(s.users['dave@northwind.test']).toEqual({
          displayName: 'Dave van Dyke',
          enabled: true,
          sessions: 0,
        });
        expect(h.fake.userByLogin('dave@northwind.test')!.profile).toMatchObject({
          firstName: 'Dave van',
          lastName: 'Dyke',
          email: 'dave@northwind.test',
        });
        expect(h.fake.activationEmails).toEqual(['dave@northwind.test']);
        expect(h.fake.activationLinksReturned).toBe(0);
      },
    },
    {
      name: 'enableUser unsuspends a SUSPENDED account',
      change: change('enableUser', 'bob@northwind.test'),
      check: (s) => expect(s.users['bob@northwind.test']!.enabled).toBe(true),
    },
    {
      name: 'enableUser activates a STAGED account, by email',
      change: change('enableUser', 'staged@northwind.test'),
      check: (s) => {
        expect(s.users['staged@northwind.test']!.enabled).toBe(true);
        expect(h.fake.activationEmails).toEqual(['staged@northwind.test']);
      },
    },
    {
      name: 'disableUser suspends (reversible)',
      change: change('disableUser', 'alice@northwind.test'),
      check: (s) => {
        expect(s.users['alice@northwind.test']!.enabled).toBe(false);
        expect(h.fake.userByLogin('alice@northwind.test')!.status).toBe('SUSPENDED');
      },
    },
    {
      name: 'revokeSessions ends sessions and OAuth tokens',
      change: change('revokeSessions', 'alice@northwind.test'),
      check: (s) => expect(s.users['alice@northwind.test']!.sessions).toBe(0),
      again: 'applied',
    },
    {
      name: 'deleteUser deactivates (Okta unassigns every app) and never deletes',
      change: change('deleteUser', 'alice@northwind.test'),
      check: (s) => {
        expect(s.users['alice@northwind.test']).toBeUndefined();
        expect(h.fake.userByLogin('alice@northwind.test')!.status).toBe('DEPROVISIONED');
        expect(h.fake.appMembers('Slack')).toEqual([]);
      },
    },
    {
      name: 'grant adds to a group',
      change: change('grant', 'bob@northwind.test', group('AWS - Prod Admin')),
      check: (s) => expect(s.targets['group:AWS - Prod Admin']).toEqual(['bob@northwind.test']),
    },
    {
      name: 'revoke removes from a group',
      change: change('revoke', 'carol@northwind.test', group('Everyone (Northwind)')),
      check: (s) => expect(s.targets['group:Everyone (Northwind)']).toEqual(['alice@northwind.test']),
    },
    {
      name: 'grant assigns an app',
      change: change('grant', 'carol@northwind.test', app('Slack')),
      check: (s) => expect(s.targets['app:Slack']).toEqual(['alice@northwind.test', 'carol@northwind.test']),
    },
    {
      name: 'revoke unassigns an app',
      change: change('revoke', 'alice@northwind.test', app('Slack')),
      check: (s) => expect(s.targets['app:Slack']).toEqual([]),
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      expect(await h.provider.apply(c.change)).toMatchObject({ status: 'applied' });
      c.check(await h.state(Object.keys(BASE.targets)));
      expect(await h.provider.apply(c.change)).toMatchObject({ status: c.again ?? 'unchanged' });
      c.check(await h.state(Object.keys(BASE.targets)));
    });
  }

  it('re-applies idempotently in a fresh process too (nothing cached from a read)', async () => {
    const fresh = createOktaProvider(
      oktaConnection.parse({ orgUrl: h.fake.url, auth: 'ssws', tokenEnv: 'T' }),
      { env: { T: 'fresh-token' }, retry: FAST_RETRY },
    );
    h.fake.addApiToken('fresh-token');
    for (const c of [
      change('createUser', 'alice@northwind.test', { displayName: 'Alice Nguyen' }),
      change('disableUser', 'bob@northwind.test'),
      change('enableUser', 'alice@northwind.test'),
      change('deleteUser', 'nobody@northwind.test'),
      change('revoke', 'bob@northwind.test', app('Slack')),
      change('revoke', 'bob@northwind.test', group('No Such Group')),
    ]) {
      expect(await fresh.apply(c), c.action).toMatchObject({ status: 'unchanged' });
    }
  });

  it('fails a grant to a group missing on Okta, naming the fix', async () => {
    const out = await h.provider.apply(change('grant', 'alice@northwind.test', group('Finance')));
    expect(out).toEqual({
      status: 'failed',
      error:
        'okta: grant alice@northwind.test: group Finance not found on okta; create it there or fix policy/entitlements.yaml',
    });
  });

  it('fails a license grant clearly: not an Okta kind', async () => {
    const out = await h.provider.apply(
      change('grant', 'alice@northwind.test', { target: { kind: 'license', target: 'SPE_E3' } }),
    );
    expect(out).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/'license' is not an Okta kind/),
    });
  });

  it('disables a LOCKED_OUT account: unlocks it, then suspends it', async () => {
    h.fake.addUser({ login: 'locked@northwind.test', status: 'LOCKED_OUT' });
    const disable = change('disableUser', 'locked@northwind.test');
    expect(await h.provider.apply(disable)).toEqual({
      status: 'applied',
      detail: 'unlocked, then suspended (Okta suspends only ACTIVE accounts)',
    });
    expect(h.fake.userByLogin('locked@northwind.test')!.status).toBe('SUSPENDED');
    expect(await h.provider.apply(disable)).toMatchObject({ status: 'unchanged' });
  });

  for (const status of ['PASSWORD_EXPIRED', 'RECOVERY', 'PROVISIONED'] as const) {
    it(`deactivates a ${status} leaver (Okta cannot suspend it) so that access ends now`, async () => {
      const login = `${status.toLowerCase()}@northwind.test`;
      h.fake.addUser({ login, status });
      h.fake.signIn(login);
      const leaver = change('disableUser', login, { event: { kind: 'leaver' } });
      const out = await h.provider.apply(leaver);
      const detail = `Okta suspends only ACTIVE accounts; this ${status} account was deactivated so the leaver cannot sign in`;
      expect(out).toMatchObject({ status: 'applied', detail });
      expect(out.steps).toEqual([
        { step: 'disable-sign-in', status: 'applied', at: expect.any(String), detail },
      ]);
      expect(h.fake.userByLogin(login)!.status).toBe('DEPROVISIONED');
      expect(h.fake.liveSessions(login)).toBe(0);
      expect(await h.provider.apply(leaver)).toMatchObject({ status: 'unchanged' });
    });
  }

  it('fails any other disable of an account Okta cannot suspend, naming the manual step', async () => {
    h.fake.addUser({ login: 'prov@northwind.test', status: 'PROVISIONED' });
    const out = await h.provider.apply(change('disableUser', 'prov@northwind.test'));
    expect(out).toEqual({
      status: 'failed',
      error:
        'okta: disableUser prov@northwind.test: Okta suspends only ACTIVE accounts and this one is PROVISIONED (activation pending); it was left enabled. Deactivate it by hand in the Okta Admin Console (Directory > People > prov@northwind.test > More Actions > Deactivate), or apply again once it is ACTIVE',
    });
    expect(h.fake.userByLogin('prov@northwind.test')!.status).toBe('PROVISIONED');
  });

  it('a rehire of a DEPROVISIONED account does not get its old managed groups back', async () => {
    h.fake.addGroup('Not Managed');
    h.fake.addMember('Not Managed', 'carol@northwind.test');
    expect(await h.provider.apply(change('deleteUser', 'carol@northwind.test'))).toMatchObject({
      status: 'applied',
    });
    // Okta keeps a deactivated account's group memberships.
    expect(h.fake.groupMembers('Everyone (Northwind)')).toContain('carol@northwind.test');
    const plan = await h.provider.read(SCOPE);
    expect(plan.users.map((u) => u.login)).not.toContain('carol@northwind.test');
    const rehire = change('createUser', 'carol@northwind.test', { displayName: 'Carol de la Cruz' });
    expect(await h.provider.apply(rehire)).toEqual({
      status: 'applied',
      detail:
        'reactivated a deactivated account after removing it from the 1 managed group(s) it still held; Okta emailed the activation link',
    });
    expect(h.fake.userByLogin('carol@northwind.test')!.status).toBe('PROVISIONED');
    expect(h.fake.groupMembers('Everyone (Northwind)')).toEqual(['alice@northwind.test']);
    // Outside the managed scope nothing is touched.
    expect(h.fake.groupMembers('Not Managed')).toEqual(['carol@northwind.test']);
    expect(await h.provider.apply(rehire)).toMatchObject({ status: 'unchanged' });
  });

  it('refuses to reactivate a DEPROVISIONED account before a read of the managed scope', async () => {
    h.fake.addUser({ login: 'gone@northwind.test', status: 'DEPROVISIONED' });
    h.fake.addMember('AWS - Prod Admin', 'gone@northwind.test');
    const fresh = createOktaProvider(
      oktaConnection.parse({ orgUrl: h.fake.url, auth: 'ssws', tokenEnv: 'T' }),
      { env: { T: 'fresh-token' }, retry: FAST_RETRY },
    );
    h.fake.addApiToken('fresh-token');
    const out = await fresh.apply(change('enableUser', 'gone@northwind.test'));
    expect(out).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/read the managed scope first/),
    });
    expect(h.fake.userByLogin('gone@northwind.test')!.status).toBe('DEPROVISIONED');
  });

  it('counts only direct (scope USER) app assignments; a group-granted one cannot be revoked', async () => {
    h.fake.addUser({ login: 'viagroup@northwind.test' });
    h.fake.assignApp('Slack', 'viagroup@northwind.test', 'GROUP');
    const state = await h.provider.read({
      ...SCOPE,
      logins: new Set([...SCOPE.logins, 'viagroup@northwind.test']),
    });
    expect(state.memberships.find((m) => m.target === 'Slack')!.members).toEqual(['alice@northwind.test']);
    const before = h.server!.requests.length;
    const out = await h.provider.apply(change('revoke', 'viagroup@northwind.test', app('Slack')));
    expect(out).toEqual({
      status: 'failed',
      error:
        'okta: revoke viagroup@northwind.test on app Slack: the access comes from a group assigned to the app (Okta E0000046: a group-scoped assignment cannot be removed from the user); remove the user from that group, or manage the group instead of the app',
    });
    // Not retried: Okta will say the same again.
    expect(h.server!.requests.slice(before).filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(h.fake.appMembers('Slack')).toContain('viagroup@northwind.test');
  });

  it('fails read and write on an app label (or group name) Okta holds twice', async () => {
    h.fake.addApp('Slack');
    await expect(h.provider.read(SCOPE)).rejects.toThrow(/ambiguous app label Slack \(2 apps\)/);
    const fresh = createOktaProvider(
      oktaConnection.parse({ orgUrl: h.fake.url, auth: 'ssws', tokenEnv: 'T' }),
      { env: { T: 'fresh-token' }, retry: FAST_RETRY },
    );
    h.fake.addApiToken('fresh-token');
    expect(await fresh.apply(change('grant', 'bob@northwind.test', app('Slack')))).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/ambiguous app label Slack \(2 apps\)/),
    });
    h.fake.addGroup('AWS - Prod Admin');
    expect(await fresh.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin')))).toMatchObject(
      {
        status: 'failed',
        error: expect.stringMatching(/ambiguous group name AWS - Prod Admin \(2 groups\)/),
      },
    );
    await expect(
      h.provider.read({ logins: new Set(), targets: [{ kind: 'group', target: 'AWS - Prod Admin' }] }),
    ).rejects.toThrow(/ambiguous group name AWS - Prod Admin \(2 groups\)/);
    expect(h.fake.appMembers('Slack')).toEqual(['alice@northwind.test']);
  });

  it('finishes a createUser whose account exists STAGED (a retry after a lost answer)', async () => {
    const out = await h.provider.apply(
      change('createUser', 'staged@northwind.test', { displayName: 'Sam Staged' }),
    );
    expect(out).toMatchObject({ status: 'applied' });
    expect(h.fake.userByLogin('staged@northwind.test')!.status).toBe('PROVISIONED');
    expect(h.fake.activationEmails).toEqual(['staged@northwind.test']);
  });

  it('applyMany keeps at most 10 requests in flight and settles one promise per change', async () => {
    for (let i = 0; i < 30; i++) h.fake.addUser({ login: `m${i}@northwind.test` });
    await h.provider.read(SCOPE);
    // Every answer takes 60 ms: with at most 10 in flight, the 11th request after any other
    // cannot arrive before that one was answered.
    h.server!.inject({ kind: 'delay', ms: 60, method: 'PUT', times: 30 });
    const changes = Array.from({ length: 30 }, (_, i) =>
      change('grant', `m${i}@northwind.test`, group('AWS - Prod Admin')),
    );
    const outcomes = await Promise.all(h.provider.applyMany!(changes));
    expect(outcomes).toHaveLength(30);
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const arrivals = h.server!.requests.filter((r) => r.method === 'PUT').map((r) => r.at);
    for (let i = 0; i + 10 < arrivals.length; i++)
      expect(arrivals[i + 10]! - arrivals[i]!).toBeGreaterThanOrEqual(55);
    expect(h.fake.groupMembers('AWS - Prod Admin')).toHaveLength(30);
  });
});

describe('okta: the leaver checklist', () => {
  beforeEach(async () => {
    await start();
    await h.seed(BASE);
  });
  const leaving = { event: { kind: 'leaver' as const, date: '2026-11-30T17:00:00Z' } };
  const stepsOf = (o: ChangeOutcome) => (o.steps ?? []).map((s) => `${s.step} ${s.status}`);

  it('records the suspension as disable-sign-in, unchanged the second time', async () => {
    const disable = change('disableUser', 'alice@northwind.test', {
      ...leaving,
      manager: 'carol@northwind.test',
    });
    const first = await h.provider.apply(disable);
    // Okta holds no mailbox and no files: no mailbox or transfer steps are invented.
    expect(stepsOf(first)).toEqual(['disable-sign-in applied']);
    expect(first.steps![0]!.detail).toMatch(/suspended/);
    expect(new Date(first.steps![0]!.at).toISOString()).toBe(first.steps![0]!.at);
    expect(stepsOf(await h.provider.apply(disable))).toEqual(['disable-sign-in unchanged']);
  });

  it('records sessions and OAuth tokens revoked by the one call, and both failed when it fails', async () => {
    const revoke = change('revokeSessions', 'alice@northwind.test', leaving);
    expect(stepsOf(await h.provider.apply(revoke))).toEqual([
      'revoke-sessions applied',
      'revoke-tokens applied',
    ]);
    expect(h.fake.liveSessions('alice@northwind.test')).toBe(0);
    h.server!.inject({
      kind: 'status',
      status: 403,
      method: 'DELETE',
      path: /\/sessions/,
      body: {
        errorCode: 'E0000006',
        errorSummary: 'You do not have permission to perform the requested action',
        errorLink: 'E0000006',
        errorId: 'x',
        errorCauses: [],
      },
      times: 1,
    });
    const failed = await h.provider.apply(revoke);
    expect(failed.status).toBe('failed');
    expect(stepsOf(failed)).toEqual(['revoke-sessions failed', 'revoke-tokens failed']);
  });

  it('records remove-access on each revoke and delete-account on the deactivation', async () => {
    const outs = await Promise.all(
      h.provider.applyMany!([
        change('revoke', 'alice@northwind.test', { ...leaving, ...group('Everyone (Northwind)') }),
        change('revoke', 'alice@northwind.test', { ...leaving, ...app('Slack') }),
      ]),
    );
    expect(outs.map(stepsOf)).toEqual([['remove-access applied'], ['remove-access applied']]);
    const gone = await h.provider.apply(change('deleteUser', 'alice@northwind.test', leaving));
    expect(stepsOf(gone)).toEqual(['delete-account applied']);
  });

  it("adds no steps to changes that are not a leaver's", async () => {
    for (const c of [
      change('disableUser', 'alice@northwind.test'),
      change('revokeSessions', 'carol@northwind.test'),
      change('revoke', 'carol@northwind.test', group('Everyone (Northwind)')),
    ]) {
      expect((await h.provider.apply(c)).steps, c.action).toBeUndefined();
    }
  });
});

describe('okta throttling and faults', () => {
  it('honours a 429 burst: no request arrives before the reset the server gave', async () => {
    await start();
    await h.seed(BASE);
    await h.provider.read(SCOPE);
    const resetEpoch = Math.ceil(Date.now() / 1000) + 1;
    const throttled = {
      'x-rate-limit-limit': '600',
      'x-rate-limit-remaining': '0',
      'x-rate-limit-reset': String(resetEpoch),
    };
    const fault = h.server!.inject({
      kind: 'status',
      status: 429,
      headers: throttled,
      body: { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' },
      method: 'PUT',
      times: 2,
    });
    const out = await h.provider.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin')));
    expect(out).toMatchObject({ status: 'applied' });
    expect(fault.times).toBe(0);
    const firstThrottle = h.server!.requests.findIndex((r) => r.status === 429);
    const after = h.server!.requests.slice(firstThrottle + 1);
    expect(after.length).toBeGreaterThan(0);
    for (const r of after) expect(r.at).toBeGreaterThanOrEqual(resetEpoch * 1000);
    expect(logs.some((l) => l.includes('E0000047'))).toBe(true);
  });

  it('paces a burst by X-Rate-Limit-Remaining: zero 429s, at most the limit per window', async () => {
    await start({ rateLimit: { perMinute: 1200, windowSeconds: 1 } });
    await h.seed({ users: {}, targets: { 'group:Eng': [] } });
    const logins = Array.from({ length: 45 }, (_, i) => `p${i}@northwind.test`);
    for (const login of logins) h.fake.addUser({ login });
    await h.provider.read({ logins: new Set(logins), targets: [{ kind: 'group', target: 'Eng' }] });
    const outcomes = await Promise.all(
      h.provider.applyMany!(logins.map((l) => change('grant', l, group('Eng')))),
    );
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    const puts = h.server!.requests.filter((r) => r.method === 'PUT');
    expect(h.server!.requests.filter((r) => r.status === 429)).toEqual([]);
    expect(h.fake.requestsBeforeReset()).toBe(0);
    const perSecond = new Map<number, number>();
    for (const r of puts)
      perSecond.set(Math.floor(r.at / 1000), (perSecond.get(Math.floor(r.at / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(20);
    expect(h.fake.groupMembers('Eng')).toHaveLength(45);
  });

  it('retries a 5xx and then succeeds', async () => {
    await start();
    await h.seed(BASE);
    h.server!.inject({ kind: 'status', status: 503, method: 'PUT', times: 2 });
    const out = await h.provider.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin')));
    expect(out).toMatchObject({ status: 'applied' });
    expect(h.server!.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([
      503, 503, 204,
    ]);
  });

  it('retries a connection reset before the write', async () => {
    await start();
    await h.seed(BASE);
    h.server!.inject({ kind: 'reset', method: 'POST', path: /lifecycle\/suspend/, times: 1 });
    expect(await h.provider.apply(change('disableUser', 'alice@northwind.test'))).toMatchObject({
      status: 'applied',
    });
    expect(h.fake.userByLogin('alice@northwind.test')!.status).toBe('SUSPENDED');
  });

  const afterWrite: { name: string; change: Change; path: RegExp; method: string; check: () => void }[] = [
    {
      name: 'a group grant',
      change: change('grant', 'bob@northwind.test', group('AWS - Prod Admin')),
      method: 'PUT',
      path: /groups/,
      check: () => expect(h.fake.groupMembers('AWS - Prod Admin')).toEqual(['bob@northwind.test']),
    },
    {
      name: 'a createUser',
      change: change('createUser', 'erin@northwind.test', { displayName: 'Erin Li' }),
      method: 'POST',
      path: /^\/api\/v1\/users\?/,
      check: () => {
        expect(h.fake.userByLogin('erin@northwind.test')!.status).toBe('PROVISIONED');
        expect(h.fake.activationEmails).toEqual(['erin@northwind.test']);
      },
    },
    {
      name: 'the activation of a new account (the retry answers 403 E0000016 already active)',
      change: change('createUser', 'erin@northwind.test', { displayName: 'Erin Li' }),
      method: 'POST',
      path: /\/lifecycle\/activate/,
      check: () => {
        expect(h.fake.userByLogin('erin@northwind.test')!.status).toBe('PROVISIONED');
        expect(h.fake.activationEmails).toEqual(['erin@northwind.test']);
        const activations = h.server!.requests.filter((r) => r.path.includes('/lifecycle/activate'));
        expect(activations.map((r) => r.status)).toEqual([200, 403]);
      },
    },
    {
      name: 'a suspend',
      change: change('disableUser', 'alice@northwind.test'),
      method: 'POST',
      path: /suspend/,
      check: () => expect(h.fake.userByLogin('alice@northwind.test')!.status).toBe('SUSPENDED'),
    },
    {
      name: 'an app unassignment',
      change: change('revoke', 'alice@northwind.test', app('Slack')),
      method: 'DELETE',
      path: /apps/,
      check: () => expect(h.fake.appMembers('Slack')).toEqual([]),
    },
  ];
  for (const c of afterWrite) {
    it(`ends right when the connection drops after ${c.name} was written`, async () => {
      await start();
      await h.seed(BASE);
      h.server!.inject({ kind: 'reset-after-write', method: c.method, path: c.path, times: 1 });
      const out = await h.provider.apply(c.change);
      expect(['applied', 'unchanged']).toContain(out.status);
      expect(h.server!.requests.some((r) => r.dropped === 'after-write')).toBe(true);
      c.check();
    });
  }

  it("OKTA_THROTTLE (the conformance throttle) falls on a leaver's suspend, and the wait holds", async () => {
    await start();
    await h.seed(BASE);
    await h.provider.read(SCOPE);
    const fault = h.server!.inject({ ...OKTA_THROTTLE.fault, times: 3 });
    const from = h.server!.requests.length;
    const leaver = { event: { kind: 'leaver' as const } };
    expect(await h.provider.apply(change('disableUser', 'alice@northwind.test', leaver))).toMatchObject({
      status: 'applied',
    });
    expect(fault.times).toBe(0);
    const log = h.server!.requests.slice(from);
    const throttled = log.filter((r) => r.status === 429);
    expect(throttled.map((r) => `${r.method} ${r.path.replace(/users\/[^/]+/, 'users/{id}')}`)).toEqual(
      Array(3).fill('POST /api/v1/users/{id}/lifecycle/suspend'),
    );
    for (const t of throttled) {
      expect(log.filter((r) => r.at > t.at && r.at < t.at + OKTA_THROTTLE.waitMs)).toEqual([]);
    }
  });

  it('gives up after the retry budget with a clear failed outcome', async () => {
    await start({ retry: { ...FAST_RETRY, maxAttempts: 3 } });
    await h.seed(BASE);
    await h.provider.read(SCOPE);
    h.server!.inject({ kind: 'status', status: 503, method: 'PUT', times: 10 });
    const out = await h.provider.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin')));
    expect(out).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        /^okta: grant bob@northwind.test on group AWS - Prod Admin: gave up after 3 attempts: HTTP 503/,
      ),
    });
  });

  it('reads eventually consistent memberships without re-reading after a write', async () => {
    await start({ membershipLag: { reads: 1 } });
    await h.seed(BASE);
    await h.provider.read(SCOPE);
    const before = h.server!.requests.length;
    await h.provider.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin')));
    expect(h.server!.requests.slice(before).map((r) => r.method)).toEqual(['PUT']);
    const stale = await h.provider.read(SCOPE);
    expect(stale.memberships.find((m) => m.target === 'AWS - Prod Admin')!.members).toEqual([]);
    const fresh = await h.provider.read(SCOPE);
    expect(fresh.memberships.find((m) => m.target === 'AWS - Prod Admin')!.members).toEqual([
      'bob@northwind.test',
    ]);
  });
});

describe('okta credentials', () => {
  it('authenticates with private_key_jwt and only the scopes granted', async () => {
    await start({ scopes: ['okta.users.manage', 'okta.groups.read', 'okta.apps.read'] });
    await h.seed(BASE);
    await h.provider.read(SCOPE);
    const out = await h.provider.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin')));
    expect(out).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('HTTP 403 E0000006: You do not have permission'),
    });
    expect(h.server!.requests.filter((r) => r.path === '/oauth2/v1/token')).toHaveLength(1);
  });

  it('signs with a private key given as a JWK, naming its kid', async () => {
    await start();
    await h.seed(BASE);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'jml-2026' };
    h.fake.registerServiceApp({
      clientId: 'jwk-app',
      publicKey,
      keyId: 'jml-2026',
      scopes: ['okta.users.read'],
    });
    const provider = createOktaProvider(
      oktaConnection.parse({ orgUrl: h.fake.url, clientId: 'jwk-app', scopes: ['okta.users.read'] }),
      { env: { OKTA_PRIVATE_KEY: JSON.stringify(jwk) }, retry: FAST_RETRY },
    );
    const state = await provider.read({ logins: SCOPE.logins, targets: [] });
    expect(state.users.map((u) => u.login)).toEqual([...SCOPE.logins].sort());
  });

  it('refuses an EC key or garbage up front, naming the variable and not the key', () => {
    const config = oktaConnection.parse({ orgUrl: 'http://127.0.0.1:1', clientId: 'x' });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(() => createOktaProvider(config, { env: { OKTA_PRIVATE_KEY: ec.toString() } })).toThrow(
      'okta: OKTA_PRIVATE_KEY holds a key of type ec; the Okta SDK signs client assertions only with RSA keys (RS256): register an RSA key for the service app',
    );
    expect(() => createOktaProvider(config, { env: { OKTA_PRIVATE_KEY: 'hunter2-not-a-key' } })).toThrow(
      /^okta: OKTA_PRIVATE_KEY does not hold a private key \(PEM or JWK\)$/,
    );
  });

  it('a key Okta does not know: a clear error, without the key', async () => {
    await start();
    await h.seed(BASE);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const wrongKey = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const provider = createOktaProvider(
      oktaConnection.parse({ orgUrl: h.fake.url, clientId: '0oa1jmlserviceapp' }),
      { env: { OKTA_PRIVATE_KEY: wrongKey }, retry: FAST_RETRY, log: (l) => logs.push(l) },
    );
    const error = await provider.read(SCOPE).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toBe(
      'okta: reading the managed scope failed: HTTP 401 invalid_client: The client_assertion signature is invalid.',
    );
    expect(error).not.toContain(wrongKey.split('\n')[1]);
  });

  it('a wrong SSWS token: a clear error, without the token', async () => {
    await start({ auth: 'ssws' });
    await h.seed(BASE);
    const provider = createOktaProvider(oktaConnection.parse({ orgUrl: h.fake.url, auth: 'ssws' }), {
      env: { OKTA_API_TOKEN: 'not-the-right-token-123' },
      retry: FAST_RETRY,
    });
    const out = await provider.apply(change('disableUser', 'alice@northwind.test'));
    expect(out).toEqual({
      status: 'failed',
      error: 'okta: disableUser alice@northwind.test: HTTP 401 E0000011: Invalid token provided',
    });
  });

  it('a missing variable names it; a missing clientId says so', () => {
    expect(() =>
      createOktaProvider(oktaConnection.parse({ orgUrl: 'http://127.0.0.1:1', clientId: 'x' }), { env: {} }),
    ).toThrow(/OKTA_PRIVATE_KEY is not set/);
    expect(() =>
      createOktaProvider(oktaConnection.parse({ orgUrl: 'http://127.0.0.1:1' }), {
        env: { OKTA_PRIVATE_KEY: 'k' },
      }),
    ).toThrow(/clientId is required/);
  });

  it('never puts the credential in an outcome, an error or a log line', async () => {
    await start({ retry: { ...FAST_RETRY, maxAttempts: 2 } });
    await h.seed(BASE);
    h.server!.inject({ kind: 'status', status: 500, times: 3 });
    h.server!.inject({ kind: 'reset', times: 1 });
    const seen: string[] = [];
    await h.provider.read(SCOPE).catch((e: Error) => seen.push(e.message, e.stack ?? ''));
    for (const c of [
      change('grant', 'bob@northwind.test', group('AWS - Prod Admin')),
      change('createUser', 'x@northwind.test'),
      change('disableUser', 'nobody@northwind.test'),
    ]) {
      seen.push(JSON.stringify(await h.provider.apply(c)));
    }
    const text = [...seen, ...logs].join('\n');
    expect(text.length).toBeGreaterThan(0);
    for (const line of h.secret.split('\n').filter((l) => l.length > 20)) expect(text).not.toContain(line);
    expect(text).not.toMatch(/Bearer |SSWS |client_assertion=/);
  });
});

describe('okta secrets', () => {
  it('redacts every line of a PEM key, the access token and credential shapes from errors and logs', async () => {
    await start({ retry: { ...FAST_RETRY, maxAttempts: 2 } });
    await h.seed(BASE);
    await h.provider.read(SCOPE);
    const [token] = h.fake.liveAccessTokens();
    expect(token).toBeDefined();
    const pemLines = h.secret.split('\n').filter((l) => l.length > 16);
    // An answer that quotes what no answer should: the key line by line, the token, headers.
    const leak = [
      ...pemLines,
      `raw ${token}`,
      'Authorization: SSWS 00abcdefghijklmnop',
      'Bearer eyJhbGciOi.something',
      'DPoP eyJdpop.proof',
      'grant_type=client_credentials&client_assertion=eyJhbGciOiJSUzI1NiJ9.e30.c2ln&scope=x',
    ].join('\n');
    const body = { errorCode: 'E0000001', errorSummary: leak, errorCauses: [{ errorSummary: leak }] };
    h.server!.inject({ kind: 'status', status: 400, method: 'PUT', body, times: 1 });
    h.server!.inject({ kind: 'status', status: 503, method: 'DELETE', body, times: 2 });
    const outcomes = [
      await h.provider.apply(change('grant', 'bob@northwind.test', group('AWS - Prod Admin'))),
      await h.provider.apply(change('revoke', 'alice@northwind.test', group('Everyone (Northwind)'))),
    ];
    const text = [...outcomes.map((o) => JSON.stringify(o)), ...logs].join('\n');
    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed']);
    expect(logs.some((l) => l.includes('HTTP 503'))).toBe(true);
    for (const line of pemLines) expect(text).not.toContain(line);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/(SSWS|Bearer|DPoP) (?!\[redacted\])/);
    expect(text).not.toMatch(/client_assertion=(?!\[redacted\])/);
    expect(text).toContain('client_assertion=[redacted]&scope=x');
  });

  it('keeps the credential, the token and the SDK client out of inspect and JSON of the provider', async () => {
    for (const auth of ['private-key-jwt', 'ssws'] as const) {
      await start({ auth });
      await h.seed(BASE);
      await h.provider.read(SCOPE);
      const shown = [
        inspect(h.provider, { depth: 20, showHidden: true, getters: true }),
        JSON.stringify(h.provider),
      ].join('\n');
      for (const line of h.secret.split('\n').filter((l) => l.length > 16)) expect(shown).not.toContain(line);
      for (const token of h.fake.liveAccessTokens()) expect(shown).not.toContain(token);
      expect(shown).not.toMatch(/requestExecutor|privateKey|apiToken/);
      await h.close();
      h = undefined as unknown as OktaHarness;
    }
  });

  it('shares one token request among concurrent callers, but passes a DPoP nonce through unshared', async () => {
    const calls: (string | null | undefined)[] = [];
    const answer = { access_token: 't', token_type: 'Bearer', expires_in: 3600, scope: '' };
    const oauth = {
      getAccessToken: (nonce?: string | null) => {
        calls.push(nonce);
        return new Promise<typeof answer>((resolve) => setTimeout(() => resolve(answer), 10));
      },
    };
    shareTokenRequests({ oauth });
    const get = oauth.getAccessToken as (nonce?: string | null) => Promise<typeof answer>;
    await Promise.all([get(), get(), get('nonce-1'), get()]);
    expect(calls).toEqual([undefined, 'nonce-1']);
  });
});

describe('okta rate-limit buckets', () => {
  it('files every request the connector makes under the bucket Okta documents for it', async () => {
    await start();
    await h.seed(BASE);
    h.fake.addUser({ login: 'locked@northwind.test', status: 'LOCKED_OUT' });
    await h.provider.read(SCOPE);
    for (const c of [
      change('createUser', 'new@northwind.test', { displayName: 'New Person' }),
      change('enableUser', 'bob@northwind.test'),
      change('disableUser', 'alice@northwind.test'),
      change('disableUser', 'locked@northwind.test'),
      change('revokeSessions', 'alice@northwind.test'),
      change('grant', 'bob@northwind.test', group('AWS - Prod Admin')),
      change('revoke', 'carol@northwind.test', group('Everyone (Northwind)')),
      change('grant', 'bob@northwind.test', app('Slack')),
      change('revoke', 'bob@northwind.test', app('Slack')),
      change('deleteUser', 'carol@northwind.test'),
      change('grant', 'bob@northwind.test', group('Not There')),
    ]) {
      await h.provider.apply(c);
    }
    const requests = [...new Set(h.server!.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`))];
    // Two requests share a connector bucket exactly when they share one of Okta's.
    const mismatched: string[] = [];
    for (const a of requests)
      for (const b of requests) {
        const [ma, pa] = a.split(' ') as [string, string];
        const [mb, pb] = b.split(' ') as [string, string];
        const ours = oktaRateBucket(ma, `http://x${pa}`) === oktaRateBucket(mb, `http://x${pb}`);
        const okta = documentedBucket(ma, pa).name === documentedBucket(mb, pb).name;
        if (ours !== okta) mismatched.push(`${a} / ${b}`);
      }
    expect(mismatched).toEqual([]);
    expect(requests.length).toBeGreaterThan(12);
  });
});

describe('okta fake fidelity', () => {
  const spec = new OktaOpenApi();

  async function call(method: string, path: string, body?: unknown, auth = 'SSWS fidelity') {
    const res = await fetch(h.fake.url + path, {
      method,
      headers: { authorization: auth, accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as unknown) : undefined,
    };
  }

  async function valid(method: string, path: string, body?: unknown, auth?: string) {
    const res = await call(method, path, body, auth);
    expect(spec.validate(method, path, res.status, res.body), `${method} ${path}`).toEqual([]);
    return res;
  }

  beforeEach(async () => {
    await start();
    await h.seed(BASE);
    h.fake.addApiToken('fidelity');
  });

  it('serves only operations Okta documents, as every connector request shows', async () => {
    await h.provider.read(SCOPE);
    for (const c of [
      change('createUser', 'new@northwind.test', { displayName: 'New Person' }),
      change('enableUser', 'bob@northwind.test'),
      change('disableUser', 'alice@northwind.test'),
      change('revokeSessions', 'alice@northwind.test'),
      change('grant', 'bob@northwind.test', group('AWS - Prod Admin')),
      change('revoke', 'carol@northwind.test', group('Everyone (Northwind)')),
      change('grant', 'bob@northwind.test', app('Slack')),
      change('revoke', 'bob@northwind.test', app('Slack')),
      change('deleteUser', 'carol@northwind.test'),
    ]) {
      await h.provider.apply(c);
    }
    await h.provider.readAll!();
    const operations = new Set(
      h.server!.requests.filter(api).map((r) => `${r.method} ${spec.operation(r.method, r.path) ?? r.path}`),
    );
    expect([...operations].sort()).toEqual([
      'DELETE /api/v1/apps/{appId}/users/{userId}',
      'DELETE /api/v1/groups/{groupId}/users/{userId}',
      'DELETE /api/v1/users/{userId}/sessions',
      'GET /api/v1/apps',
      'GET /api/v1/apps/{appId}/users',
      'GET /api/v1/groups',
      'GET /api/v1/groups/{groupId}/users',
      'GET /api/v1/users',
      'GET /api/v1/users/{id}',
      'POST /api/v1/apps/{appId}/users',
      'POST /api/v1/users',
      'POST /api/v1/users/{id}/lifecycle/activate',
      'POST /api/v1/users/{id}/lifecycle/deactivate',
      'POST /api/v1/users/{id}/lifecycle/suspend',
      'POST /api/v1/users/{id}/lifecycle/unsuspend',
      'PUT /api/v1/groups/{groupId}/users/{userId}',
    ]);
  });

  it('answers with bodies that match the response schemas Okta documents', async () => {
    const users = (await valid('GET', '/api/v1/users?limit=2')).body as { id: string }[];
    const alice = h.fake.userByLogin('alice@northwind.test')!.id;
    await valid('GET', `/api/v1/users/${alice}`);
    await valid('GET', '/api/v1/users/alice@northwind.test');
    const created = await valid('POST', '/api/v1/users?activate=false', {
      profile: { login: 'n@northwind.test', email: 'n@northwind.test', firstName: 'N', lastName: 'M' },
    });
    expect(created.body).toMatchObject({ status: 'STAGED' });
    const groups = (await valid('GET', '/api/v1/groups?search=type%20eq%20%22OKTA_GROUP%22')).body as {
      id: string;
    }[];
    await valid('GET', `/api/v1/groups/${groups[0]!.id}/users?limit=1000`);
    const apps = (await valid('GET', '/api/v1/apps?filter=status%20eq%20%22ACTIVE%22')).body as {
      id: string;
    }[];
    await valid('GET', `/api/v1/apps/${apps[0]!.id}/users`);
    await valid('POST', `/api/v1/apps/${apps[0]!.id}/users`, { id: users[0]!.id, scope: 'USER' });
    const errors = [
      await valid('POST', '/api/v1/users?activate=false', {
        profile: { login: 'n@northwind.test', email: 'n@northwind.test', firstName: 'N', lastName: 'M' },
      }),
      await valid('POST', `/api/v1/users/${alice}/lifecycle/unsuspend`),
      await valid('GET', '/api/v1/users/nobody@northwind.test'),
      await valid('DELETE', `/api/v1/apps/${apps[0]!.id}/users/${alice}x`),
    ];
    h.fake.addUser({ login: 'viagroup@northwind.test' });
    h.fake.assignApp('Slack', 'viagroup@northwind.test', 'GROUP');
    const viaGroup = h.fake.userByLogin('viagroup@northwind.test')!.id;
    const refused = await valid('DELETE', `/api/v1/apps/${apps[0]!.id}/users/${viaGroup}`);
    expect([refused.status, (refused.body as { errorCode: string }).errorCode]).toEqual([403, 'E0000046']);
    const locked = h.fake.addUser({ login: 'locked@northwind.test', status: 'LOCKED_OUT' });
    expect((await valid('POST', `/api/v1/users/${locked}/lifecycle/unlock`)).status).toBe(200);
    expect(h.fake.userByLogin('locked@northwind.test')!.status).toBe('ACTIVE');
    // Okta does not list a 401 for every operation; its body is still an Error.
    const unauthorized = await call('GET', '/api/v1/users', undefined, 'SSWS wrong');
    expect(spec.validateSchema('Error', unauthorized.body)).toEqual([]);
    errors.push(unauthorized);
    expect(errors.map((e) => [e.status, (e.body as { errorCode: string }).errorCode])).toEqual([
      [400, 'E0000001'],
      [400, 'E0000001'],
      [404, 'E0000007'],
      [404, 'E0000007'],
      [401, 'E0000011'],
    ]);
  });

  it('the schema check is not vacuous: a wrong body fails it', () => {
    h.fake.addApiToken('unused');
    expect(spec.validate('GET', '/api/v1/users/x', 200, { id: 1, status: 'BOGUS' })).not.toEqual([]);
  });

  it('pages with absolute Link headers (self and next) and omits DEPROVISIONED users from a plain list', async () => {
    h.fake.addUser({ login: 'gone@northwind.test', status: 'DEPROVISIONED' });
    const first = await call('GET', '/api/v1/users?limit=2');
    const link = first.headers.get('link')!;
    expect(link).toMatch(
      new RegExp(
        `^<${h.fake.url}/api/v1/users\\?limit=2>; rel="self", <${h.fake.url}/api/v1/users\\?limit=2&after=[^>]+>; rel="next"$`,
      ),
    );
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    const second = await call('GET', next.slice(h.fake.url.length));
    expect((second.body as unknown[]).length).toBe(1);
    expect(second.headers.get('link')).not.toContain('rel="next"');
    const all = await call('GET', `/api/v1/users?filter=${encodeURIComponent('status eq "DEPROVISIONED"')}`);
    expect((all.body as { profile: { login: string } }[]).map((u) => u.profile.login)).toEqual([
      'gone@northwind.test',
    ]);
  });

  it('sends X-Rate-Limit headers on every answer and 429 E0000047 beyond the limit', async () => {
    h.fake.rateLimit = { perMinute: 2, windowSeconds: 60 };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await call('GET', '/api/v1/groups'));
    expect(answers.map((a) => [a.status, a.headers.get('x-rate-limit-remaining')])).toEqual([
      [200, '1'],
      [200, '0'],
      [429, '0'],
    ]);
    expect(spec.validate('GET', '/api/v1/groups', 429, answers[2]!.body)).toEqual([]);
    expect(Number(answers[2]!.headers.get('x-rate-limit-reset'))).toBeGreaterThan(Date.now() / 1000 - 1);
    expect(answers[2]!.body).toMatchObject({ errorCode: 'E0000047' });
    // A fourth request in the same window is one too many: the bench counts such requests.
    await call('GET', '/api/v1/groups');
    expect(h.fake.requestsBeforeReset()).toBe(1);
  });

  it('keeps the user status machine Okta documents', async () => {
    const id = h.fake.addUser({ login: 's@northwind.test', status: 'STAGED' });
    const step = async (op: string) => (await call('POST', `/api/v1/users/${id}/lifecycle/${op}`)).status;
    expect(await step('suspend')).toBe(400);
    expect(await step('activate?sendEmail=true')).toBe(200);
    expect(h.fake.userByLogin('s@northwind.test')!.status).toBe('PROVISIONED');
    expect(await step('activate?sendEmail=true')).toBe(403);
    h.fake.userByLogin('s@northwind.test')!.status = 'ACTIVE';
    expect(await step('unsuspend')).toBe(400);
    expect(await step('suspend')).toBe(200);
    expect(await step('unsuspend')).toBe(200);
    expect(await step('deactivate')).toBe(200);
    expect(h.fake.userByLogin('s@northwind.test')!.status).toBe('DEPROVISIONED');
  });

  it('counts an activation link put in an answer (sendEmail=false), which the connector never asks for', async () => {
    const id = h.fake.addUser({ login: 's@northwind.test', status: 'STAGED' });
    const res = await call('POST', `/api/v1/users/${id}/lifecycle/activate?sendEmail=false`);
    expect(res.body).toHaveProperty('activationUrl');
    expect(h.fake.activationLinksReturned).toBe(1);
  });

  it('revokes sessions and, with oauthTokens=true, tokens', async () => {
    const alice = h.fake.userByLogin('alice@northwind.test')!;
    alice.signIns = [{ session: true, token: true }];
    await call('DELETE', `/api/v1/users/${alice.id}/sessions`);
    expect(h.fake.liveSessions('alice@northwind.test')).toBe(1);
    await call('DELETE', `/api/v1/users/${alice.id}/sessions?oauthTokens=true`);
    expect(h.fake.liveSessions('alice@northwind.test')).toBe(0);
  });

  it('verifies the client assertion: signature, audience, expiry, single use, granted scopes', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: '0oa1jmlserviceapp',
      sub: '0oa1jmlserviceapp',
      aud: `${h.fake.url}/oauth2/v1/token`,
    };
    const sign = (c: Record<string, unknown>, key = h.secret) => {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(c)}`;
      return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`;
    };
    const token = async (assertion: string, scope = 'okta.users.manage') => {
      const r = await fetch(`${h.fake.url}/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
      return [r.status, ((await r.json()) as { error?: string; token_type?: string }).error ?? 'ok'];
    };
    const good = sign({ ...claims, iat: now, exp: now + 300, jti: 'a' });
    expect(await token(good)).toEqual([200, 'ok']);
    expect(await token(good)).toEqual([401, 'invalid_client']);
    expect(
      await token(sign({ ...claims, aud: 'https://elsewhere/oauth2/v1/token', exp: now + 300, jti: 'b' })),
    ).toEqual([401, 'invalid_client']);
    expect(await token(sign({ ...claims, iat: now - 900, exp: now - 600, jti: 'c' }))).toEqual([
      401,
      'invalid_client',
    ]);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(
      await token(
        sign(
          { ...claims, exp: now + 300, jti: 'd' },
          other.export({ type: 'pkcs1', format: 'pem' }).toString(),
        ),
      ),
    ).toEqual([401, 'invalid_client']);
    expect(await token(sign({ ...claims, exp: now + 300, jti: 'e' }), 'okta.logs.read')).toEqual([
      400,
      'invalid_scope',
    ]);
  });

  it('answers an unknown request with an Okta 404 (or 405 for a known path) and records it', async () => {
    const res = await call('GET', '/api/v1/nothing/here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ errorCode: 'E0000007', errorCauses: [] });
    const wrongMethod = await call('PATCH', '/api/v1/users');
    expect([wrongMethod.status, (wrongMethod.body as { errorCode: string }).errorCode]).toEqual([
      405,
      'E0000022',
    ]);
    expect(h.server!.unknownRequests).toEqual(['GET /api/v1/nothing/here', 'PATCH /api/v1/users']);
    h.server!.unknownRequests.length = 0;
  });
});
