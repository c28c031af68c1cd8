/**
 * The Entra connector against the loopback Graph fake, through the real
 * @microsoft/microsoft-graph-client and the real credential code: bulk reads and what they cost,
 * every action and its idempotent re-apply, `$batch`, throttling and faults under the shared
 * retry policy, credentials and the Temporary Access Pass that never leak, and the fake's own
 * fidelity to Graph.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { entraConnection } from '../../src/model/schema.js';
import type { Change } from '../../src/plan/plan-types.js';
import { FORWARD_RULE_NAME } from '../../src/providers/entra/changes.js';
import { createEntraProvider } from '../../src/providers/entra/index.js';
import type { ChangeOutcome, Scope } from '../../src/providers/types.js';
import {
  ALL_ROLES,
  AUDIT_LOG_PERMISSION,
  LIFECYCLE_PERMISSION,
  MAILBOX_PERMISSION,
  type SentMail,
} from '../fakes/entra/graph-fake.js';
import { createEntraHarness, type EntraHarness, type EntraHarnessOptions } from '../fakes/entra/harness.js';

beforeAll(() => {
  // Node's fetch ignores proxies today; make sure loopback traffic never meets one anyway.
  for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']) delete process.env[v];
});

/** Fast retries: the real policy, a tiny backoff base. */
const FAST = { baseDelayMs: 5, maxDelayMs: 40 };
const SEND_FROM = 'it-onboarding@example.com';

let h: EntraHarness | undefined;
let logs: string[] = [];
afterEach(async () => {
  if (h) {
    expect(h.server.unknownRequests).toEqual([]);
    await h.close();
  }
  h = undefined;
});

async function harness(opts: EntraHarnessOptions = {}): Promise<EntraHarness> {
  logs = [];
  h = await createEntraHarness({
    ...opts,
    context: { retry: FAST, log: (l) => logs.push(l), ...opts.context },
  });
  return h;
}

function change(action: Change['action'], login: string, extra: Partial<Change> = {}): Change {
  return {
    id: `entra/${login}/${action}`,
    action,
    provider: 'entra',
    login,
    person: login.split('@')[0]!,
    event: { kind: 'joiner' },
    because: [],
    ...extra,
  };
}
const group = (target: string) => ({ kind: 'group' as const, target });
const license = (target: string) => ({ kind: 'license' as const, target });

/** A leaver's checklist as step -> status, for assertions that read like the record. */
function stepsOf(outcome: ChangeOutcome): Record<string, string> {
  return Object.fromEntries((outcome.steps ?? []).map((s) => [s.step, s.status]));
}

/** Requests to the Graph API (the token endpoint aside). */
function apiCalls(x: EntraHarness, from = 0): string[] {
  return x.server.requests
    .slice(from)
    .filter((r) => r.path.startsWith('/v1.0/'))
    .map((r) => `${r.method} ${r.path}`);
}

/** The Temporary Access Pass a mail carries (the line after the blank one). */
function passIn(mail: SentMail): string | undefined {
  return /:\n\n(\S+)\n\n/.exec(mail.message.body?.content ?? '')?.[1];
}

/** A token straight from the fake, for fidelity tests that speak HTTP themselves. */
async function bearer(x: EntraHarness): Promise<string> {
  const res = await fetch(`${x.fake.url}/${x.fake.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: x.fake.clientId,
      client_secret: x.fake.clientSecret,
      scope: `${x.fake.url}/.default`,
      grant_type: 'client_credentials',
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function graphGet(x: EntraHarness, path: string, token?: string) {
  const res = await fetch(`${x.fake.url}/v1.0${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('reading the managed scope', () => {
  it('pages through every user and member, keeps the scope, and counts the rest', async () => {
    const x = await harness();
    const users: Record<string, { displayName: string; enabled: boolean; sessions: number }> = {};
    const many = Array.from({ length: 1_500 }, (_, i) => `member${String(i).padStart(4, '0')}@example.com`);
    for (const login of ['ann@example.com', 'bob@example.com', ...many]) {
      users[login] = { displayName: login, enabled: true, sessions: 0 };
    }
    const others = Array.from({ length: 700 }, (_, i) => `other${i}@example.com`);
    await x.seed(
      {
        users,
        targets: {
          'group:SP-Finance-Members': ['ann@example.com', 'member0001@example.com'],
          'group:Everyone-Big': many,
          'license:SPE_E3': ['bob@example.com'],
        },
      },
      others,
    );
    x.fake.userByKey('bob@example.com')!.accountEnabled = false;
    x.fake.userByKey('bob@example.com')!.employeeLeaveDateTime = '2026-11-01T00:00:00Z';
    const from = x.server.requests.length;
    const scope: Scope = {
      logins: new Set(['ann@example.com', 'bob@example.com', 'carol@example.com']),
      targets: [group('SP-Finance-Members'), group('Everyone-Big'), group('Not-There'), license('SPE_E3')],
    };
    const state = await x.provider.read(scope);

    expect(state.provider).toBe('entra');
    expect(state.simulated).toBe(false);
    // The people in scope that exist, plus every member of a managed target.
    expect(state.users).toHaveLength(2 + many.length);
    expect(state.users.find((u) => u.login === 'bob@example.com')).toEqual({
      login: 'bob@example.com',
      displayName: 'bob@example.com',
      enabled: false,
      sessions: null,
      disabledAt: '2026-11-01T00:00:00Z',
      lastSignIn: null,
    });
    expect(state.outOfScopeAccounts).toBe(others.length);
    expect(state.memberships.map((m) => `${m.kind}:${m.target}`)).toEqual([
      'group:SP-Finance-Members',
      'group:Everyone-Big',
      'license:SPE_E3',
    ]);
    expect(state.memberships[0]!.members).toEqual(['ann@example.com', 'member0001@example.com']);
    expect(state.memberships[1]!.members).toHaveLength(1_500);
    expect(state.memberships[2]!.members).toEqual(['bob@example.com']);

    // Cost: ceil(2202/500)=5 user pages (500 is Graph's page with signInActivity) + 1 group
    // lookup + 1 + 2 member pages + 1 subscribedSkus.
    const calls = apiCalls(x, from);
    const minimum = Math.ceil(2_202 / 500) + 2 + 1 + Math.ceil(1_500 / 999) + 1;
    expect(calls.length).toBeLessThanOrEqual(Math.ceil(1.1 * minimum));
    expect(calls.filter((c) => c.startsWith('GET /v1.0/users?'))).toHaveLength(5);
    expect(calls.every((c) => c.includes('$select=') || c.startsWith('GET /v1.0/subscribedSkus'))).toBe(true);
  });

  it('reports the latest of the interactive, non-interactive and successful sign-ins; never is null', async () => {
    const x = await harness();
    await x.seed({
      users: {
        'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 },
        'bob@example.com': { displayName: 'Bob', enabled: true, sessions: 0 },
        'cy@example.com': { displayName: 'Cy', enabled: true, sessions: 0 },
        'dee@example.com': { displayName: 'Dee', enabled: true, sessions: 0 },
      },
      targets: {},
    });
    // As Graph answers them (List users, example 11): "never" is 0001-01-01 or an empty string.
    x.fake.userByKey('ann@example.com')!.signInActivity = {
      lastSignInDateTime: '2026-11-02T09:00:00Z',
      lastNonInteractiveSignInDateTime: '2026-11-20T17:53:42Z',
      lastSuccessfulSignInDateTime: '2026-11-19T08:00:00Z',
    };
    x.fake.userByKey('bob@example.com')!.signInActivity = {
      lastSignInDateTime: '2026-10-01T10:00:00Z',
      lastNonInteractiveSignInDateTime: '0001-01-01T00:00:00Z',
      lastSuccessfulSignInDateTime: '',
    };
    x.fake.userByKey('cy@example.com')!.signInActivity = {
      lastSignInDateTime: null,
      lastNonInteractiveSignInDateTime: '0001-01-01T00:00:00Z',
      lastSuccessfulSignInDateTime: '',
    };
    // dee never signed in: Graph gives no signInActivity at all.
    const state = await x.provider.read({
      logins: new Set(['ann@example.com', 'bob@example.com', 'cy@example.com', 'dee@example.com']),
      targets: [],
    });
    expect(Object.fromEntries(state.users.map((u) => [u.login, u.lastSignIn]))).toEqual({
      'ann@example.com': '2026-11-20T17:53:42.000Z',
      'bob@example.com': '2026-10-01T10:00:00.000Z',
      'cy@example.com': null,
      'dee@example.com': null,
    });
    const lists = apiCalls(x).filter((c) => c.startsWith('GET /v1.0/users?'));
    expect(lists).toEqual([expect.stringMatching(/\$select=[^&]*signInActivity.*\$top=500/)]);
    expect(logs.filter((l) => /signInActivity/.test(l))).toEqual([]);
  });

  it.each([
    [
      'without AuditLog.Read.All',
      { roles: ALL_ROLES.filter((r) => r !== AUDIT_LOG_PERMISSION) },
      /403 Authentication_MSGraphPermissionMissing/,
    ],
    [
      'in a tenant without Entra ID P1/P2',
      { premium: false },
      /403 Authentication_RequestFromNonPremiumTenantOrB2CTenant/,
    ],
  ])('%s: reads everything else, reports no last sign-in, and warns once', async (_name, fake, reason) => {
    const x = await harness({ fake });
    await x.seed({
      users: { 'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 } },
      targets: { 'group:Eng': ['ann@example.com'] },
    });
    x.fake.signIn('ann@example.com');
    const scope: Scope = { logins: new Set(['ann@example.com']), targets: [group('Eng')] };
    const first = await x.provider.read(scope);
    const second = await x.provider.read(scope);
    for (const state of [first, second]) {
      expect(state.users).toEqual([
        { login: 'ann@example.com', displayName: 'Ann', enabled: true, sessions: null },
      ]);
      expect(state.memberships).toEqual([{ kind: 'group', target: 'Eng', members: ['ann@example.com'] }]);
    }
    const warnings = logs.filter((l) => /signInActivity/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(reason);
    expect(warnings[0]).toMatch(/AuditLog\.Read\.All/);
    // Refused once, then not asked again: one 403, then lists without it.
    const lists = x.server.requests.filter((r) => r.path.startsWith('/v1.0/users?'));
    expect(lists.map((r) => [r.status, r.path.includes('signInActivity')])).toEqual([
      [403, true],
      [200, false],
      [200, false],
    ]);
  });

  it('refuses app targets with a message that says what to do instead', async () => {
    const x = await harness();
    await x.seed({ users: {}, targets: {} });
    await expect(
      x.provider.read({ logins: new Set(), targets: [{ kind: 'app', target: 'Slack' }] }),
    ).rejects.toThrow(/entitlement target "Slack".*assign the enterprise application to a group/);
  });

  it('dumps every user, group and subscribed license', async () => {
    const x = await harness();
    await x.seed(
      {
        users: { 'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 } },
        targets: { 'group:A': ['ann@example.com'], 'license:SPE_E3': [] },
      },
      ['z@example.com'],
    );
    const all = await x.provider.readAll!();
    expect(all.users.map((u) => u.login)).toEqual(['ann@example.com', 'z@example.com']);
    expect(all.outOfScopeAccounts).toBe(0);
    expect(all.memberships).toEqual([
      { kind: 'group', target: 'A', members: ['ann@example.com'] },
      { kind: 'license', target: 'SPE_E3', members: [] },
    ]);
  });
});

describe('applying changes, and applying them again', () => {
  const seedBasic = (x: EntraHarness) =>
    x.seed({
      users: {
        'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 2 },
        'boss@example.com': { displayName: 'Boss', enabled: true, sessions: 0 },
        [SEND_FROM]: { displayName: 'IT', enabled: true, sessions: 0 },
      },
      targets: { 'group:SP-Finance-Members': [], 'license:SPE_E3': [] },
    });

  const cases: { name: string; changes: Change[]; check: (x: EntraHarness) => void }[] = [
    {
      name: 'grant then revoke a group',
      changes: [
        change('grant', 'ann@example.com', { target: group('SP-Finance-Members') }),
        change('revoke', 'ann@example.com', { target: group('SP-Finance-Members') }),
      ],
      check: (x) => expect(x.fake.memberUpns(x.fake.groupByName('SP-Finance-Members')!)).toEqual([]),
    },
    {
      name: 'assign then remove a license',
      changes: [
        change('grant', 'ann@example.com', { target: license('SPE_E3') }),
        change('revoke', 'ann@example.com', { target: license('SPE_E3') }),
      ],
      check: (x) => expect(x.fake.licenseHolders('SPE_E3')).toEqual([]),
    },
    {
      name: 'disable then enable an account',
      changes: [change('disableUser', 'ann@example.com'), change('enableUser', 'ann@example.com')],
      check: (x) => expect(x.fake.userByKey('ann@example.com')!.accountEnabled).toBe(true),
    },
    {
      name: 'delete an account',
      changes: [change('deleteUser', 'ann@example.com')],
      check: (x) => expect(x.fake.userByKey('ann@example.com')).toBeUndefined(),
    },
  ];

  for (const mode of ['apply', 'applyMany'] as const) {
    for (const c of cases) {
      it(`${c.name} (${mode}): applied once, unchanged the second time`, async () => {
        const x = await harness();
        await seedBasic(x);
        const run = async (ch: Change): Promise<ChangeOutcome> =>
          mode === 'apply' ? x.provider.apply(ch) : x.provider.applyMany!([ch])[0]!;
        for (const ch of c.changes) {
          expect(await run(ch), ch.action).toMatchObject({ status: 'applied' });
          expect(await run(ch), `${ch.action} again`).toMatchObject({ status: 'unchanged' });
        }
        c.check(x);
      });
    }
  }

  it('revokes sign-in sessions', async () => {
    const x = await harness();
    await seedBasic(x);
    expect(await x.provider.apply(change('revokeSessions', 'ann@example.com'))).toEqual({
      status: 'applied',
    });
    expect((await x.state([])).users['ann@example.com']!.sessions).toBe(0);
  });

  it('creates a joiner disabled, mails the Temporary Access Pass to the manager only, then enables', async () => {
    const x = await harness({
      config: { temporaryAccessPass: { lifetimeMinutes: 60, deliverTo: 'manager', sendFrom: SEND_FROM } },
    });
    await seedBasic(x);
    const joiner = change('createUser', 'new.person@example.com', {
      displayName: 'New Person',
      manager: 'boss@example.com',
      event: { kind: 'joiner', date: '2026-12-01' },
    });
    const outcome = await x.provider.applyMany!([joiner])[0]!;
    expect(outcome).toEqual({
      status: 'applied',
      detail: 'Temporary Access Pass mailed to manager boss@example.com',
    });

    const user = x.fake.userByKey('new.person@example.com')!;
    expect(user).toMatchObject({
      accountEnabled: true,
      displayName: 'New Person',
      employeeHireDate: '2026-12-01T00:00:00Z',
    });
    expect(user).not.toHaveProperty('passwordProfile');
    const pass = x.fake.passes.get(user.id)!;
    expect(pass).toBeTruthy();
    expect(x.fake.mail).toHaveLength(1);
    const mail = x.fake.mail[0]!;
    expect(mail.from).toBe(SEND_FROM);
    expect(mail.saveToSentItems).toBe(false);
    expect(mail.message.toRecipients).toEqual([{ emailAddress: { address: 'boss@example.com' } }]);
    expect(mail.message.body?.content).toContain(pass);
    // The pass is in the mail and nowhere else.
    expect(JSON.stringify(outcome)).not.toContain(pass);
    expect(logs.join('\n')).not.toContain(pass);
    // Create (disabled) -> hire date -> pass -> mail -> enable, in that order; the pass and the
    // mail travel alone, never in a `$batch` (a re-sent post would repeat them).
    expect(x.fake.steps.map((s) => `${s.method} ${s.url.replace(/[0-9a-f-]{36}/g, '{id}')}`)).toEqual([
      'POST /users',
      'PATCH /users/{id}',
      'PATCH /users/{id}',
    ]);
    expect(apiCalls(x).map((c) => c.replace(/[0-9a-f-]{36}/g, '{id}'))).toEqual([
      'POST /v1.0/$batch',
      'POST /v1.0/$batch',
      'POST /v1.0/users/{id}/authentication/temporaryAccessPassMethods',
      `POST /v1.0/users/${encodeURIComponent(SEND_FROM)}/sendMail`,
      'POST /v1.0/$batch',
    ]);

    expect(await x.provider.apply(joiner)).toEqual({ status: 'unchanged', detail: 'account exists' });
    expect(x.fake.mail).toHaveLength(1);
  });

  it('without a manager, creates the account and says the first credential goes through the service desk', async () => {
    const x = await harness({
      config: { temporaryAccessPass: { lifetimeMinutes: 60, deliverTo: 'manager', sendFrom: SEND_FROM } },
    });
    await seedBasic(x);
    const outcome = await x.provider.apply(change('createUser', 'solo@example.com', { displayName: 'Solo' }));
    expect(outcome).toEqual({
      status: 'applied',
      detail: 'no manager: first credential through the service desk',
    });
    expect(x.fake.mail).toEqual([]);
  });

  it('leaves the account disabled when the pass cannot be mailed, and finishes on the next apply', async () => {
    const x = await harness({
      config: { temporaryAccessPass: { lifetimeMinutes: 60, deliverTo: 'manager', sendFrom: SEND_FROM } },
    });
    await seedBasic(x);
    x.server.inject({ kind: 'status', status: 403, method: 'POST', path: /sendMail/, times: 1 });
    const joiner = change('createUser', 'late@example.com', {
      displayName: 'Late',
      manager: 'boss@example.com',
    });
    const first = await x.provider.apply(joiner);
    expect(first.status).toBe('failed');
    expect((first as { error: string }).error).toMatch(
      /entra: createUser late@example.com failed: mailing the Temporary Access Pass to boss@example.com \(the account stays disabled\): 403/,
    );
    const late = x.fake.userByKey('late@example.com')!;
    expect(late.accountEnabled).toBe(false);
    const unsent = x.fake.passes.get(late.id)!;
    expect(await x.provider.apply(joiner)).toMatchObject({ status: 'applied' });
    expect(late.accountEnabled).toBe(true);
    expect(x.fake.mail).toHaveLength(1);
    // The pass mailed is the one now valid: the next apply made a fresh one.
    const valid = x.fake.passes.get(late.id)!;
    expect(valid).not.toBe(unsent);
    expect(passIn(x.fake.mail[0]!)).toBe(valid);
  });

  it('disables a leaver, records the leave date and retires or wipes their devices by ownership', async () => {
    const x = await harness({ config: { devicesOnLeave: 'wipe' } });
    await seedBasic(x);
    const laptop = x.fake.addDevice('ann@example.com', 'company', 'laptop');
    const phone = x.fake.addDevice('ann@example.com', 'personal', 'phone');
    const leaver = change('disableUser', 'ann@example.com', {
      event: { kind: 'leaver', date: '2026-11-30T12:00:00-05:00' },
    });
    const first = await x.provider.apply(leaver);
    expect(first).toMatchObject({ status: 'applied', detail: 'devices: 1 wiped, 1 retired' });
    expect(stepsOf(first)).toEqual({
      'disable-sign-in': 'applied',
      'leave-date': 'applied',
      'wipe-devices': 'applied',
      'mailbox-forwarding': 'skipped',
      'mailbox-retention': 'applied',
    });
    const ann = x.fake.userByKey('ann@example.com')!;
    expect(ann).toMatchObject({ accountEnabled: false, employeeLeaveDateTime: '2026-11-30T17:00:00Z' });
    expect(x.fake.devices.get(laptop.id)!.deviceActionResults?.[0]?.actionName).toBe('wipe');
    expect(x.fake.devices.get(phone.id)!.deviceActionResults?.[0]?.actionName).toBe('retire');
    const again = await x.provider.apply(leaver);
    expect(again).toMatchObject({ status: 'unchanged', detail: 'no managed devices to retire' });
    expect(stepsOf(again)).toMatchObject({
      'disable-sign-in': 'unchanged',
      'wipe-devices': 'skipped',
      'mailbox-retention': 'unchanged',
    });
  });

  it('retires (never wipes) by default, and leaves devices alone with devicesOnLeave none', async () => {
    for (const [devicesOnLeave, expected] of [
      ['retire', 'retire'],
      ['none', undefined],
    ] as const) {
      const x = await harness({ config: { devicesOnLeave } });
      await seedBasic(x);
      const laptop = x.fake.addDevice('ann@example.com', 'company', 'laptop');
      await x.provider.apply(change('disableUser', 'ann@example.com', { event: { kind: 'leaver' } }));
      expect(x.fake.devices.get(laptop.id)!.deviceActionResults?.[0]?.actionName).toBe(expected);
      await x.close();
      h = undefined;
    }
  });

  it('fails a grant to a group that does not exist, naming the provider, login and group', async () => {
    const x = await harness();
    await seedBasic(x);
    const outcome = await x.provider.apply(change('grant', 'ann@example.com', { target: group('Ghost') }));
    expect(outcome).toEqual({
      status: 'failed',
      error:
        'entra: grant ann@example.com (group Ghost) failed: group Ghost not found on entra; create it there or fix policy/entitlements.yaml',
    });
  });

  it('fails a grant to an account that does not exist', async () => {
    const x = await harness();
    await seedBasic(x);
    const outcome = await x.provider.apply(
      change('grant', 'nobody@example.com', { target: group('SP-Finance-Members') }),
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('no account nobody@example.com on entra'),
    });
  });

  it('uses the ids of the last read, and looks up only what it did not see', async () => {
    const x = await harness();
    await seedBasic(x);
    await x.provider.read({ logins: new Set(['ann@example.com']), targets: [group('SP-Finance-Members')] });
    const from = x.server.requests.length;
    await x.provider.apply(change('grant', 'ann@example.com', { target: group('SP-Finance-Members') }));
    expect(apiCalls(x, from)).toEqual([
      expect.stringMatching(/^POST \/v1\.0\/groups\/[^/]+\/members\/\$ref$/),
    ]);
  });
});

describe('requests that are not safe to repeat', () => {
  const tapConfig = {
    temporaryAccessPass: { lifetimeMinutes: 60, deliverTo: 'manager' as const, sendFrom: SEND_FROM },
  };
  const seedPeople = (x: EntraHarness) =>
    x.seed({
      users: {
        'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 },
        'boss@example.com': { displayName: 'Boss', enabled: true, sessions: 0 },
        [SEND_FROM]: { displayName: 'IT', enabled: true, sessions: 0 },
      },
      targets: {},
    });
  const joiner = change('createUser', 'new@example.com', { displayName: 'New', manager: 'boss@example.com' });
  const count = (x: EntraHarness, path: RegExp) =>
    x.server.requests.filter((r) => r.method === 'POST' && path.test(r.path)).length;

  for (const mode of ['apply', 'applyMany'] as const) {
    it(`mails the pass once when the mail's answer is lost, and the next apply mails a fresh one (${mode})`, async () => {
      const x = await harness({ config: tapConfig });
      await seedPeople(x);
      x.server.inject({ kind: 'reset-after-write', method: 'POST', path: /\/sendMail$/, times: 1 });
      const run = (c: Change) => (mode === 'apply' ? x.provider.apply(c) : x.provider.applyMany!([c])[0]!);
      const first = await run(joiner);
      expect(first).toEqual({
        status: 'failed',
        error: expect.stringMatching(
          /^entra: createUser new@example.com failed: mailing the Temporary Access Pass to boss@example.com \(the account stays disabled\): connection to Graph failed.*not sent again/,
        ),
      });
      // Graph sent it, the answer was lost: one request, one mail, the account still disabled.
      expect(count(x, /\/sendMail$/)).toBe(1);
      expect(x.fake.mail).toHaveLength(1);
      const user = x.fake.userByKey('new@example.com')!;
      expect(user.accountEnabled).toBe(false);

      expect(await run(joiner)).toMatchObject({ status: 'applied' });
      expect(user.accountEnabled).toBe(true);
      expect(x.fake.mail).toHaveLength(2);
      // Only the last mail's pass works: the fresh pass replaced the one in the lost mail.
      expect(passIn(x.fake.mail[1]!)).toBe(x.fake.passes.get(user.id));
      expect(passIn(x.fake.mail[0]!)).not.toBe(x.fake.passes.get(user.id));
    });
  }

  it('does not repeat a Temporary Access Pass whose answer was lost', async () => {
    const x = await harness({ config: tapConfig });
    await seedPeople(x);
    x.server.inject({
      kind: 'reset-after-write',
      method: 'POST',
      path: /temporaryAccessPassMethods$/,
      times: 1,
    });
    const outcome = await x.provider.apply(joiner);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringContaining(
        'creating the Temporary Access Pass (the account stays disabled): connection to Graph failed',
      ),
    });
    expect(count(x, /temporaryAccessPassMethods$/)).toBe(1);
    expect(x.fake.mail).toEqual([]);
    expect(x.fake.userByKey('new@example.com')!.accountEnabled).toBe(false);
  });

  it('retries a throttled mail (Graph did not take it), stops at a 5xx, and never logs or reports the pass', async () => {
    const x = await harness({ config: tapConfig });
    await seedPeople(x);
    x.server.inject({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '0' },
      path: /\/sendMail$/,
      times: 1,
    });
    x.server.inject({ kind: 'status', status: 503, path: /\/sendMail$/, times: 1 });
    const outcome = await x.provider.apply(joiner);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /mailing the Temporary Access Pass to boss@example.com .*: 503 .*not sent again/,
      ),
    });
    expect(count(x, /\/sendMail$/)).toBe(2);
    expect(logs.some((l) => /^entra: 429 /.test(l))).toBe(true);
    const pass = x.fake.passes.get(x.fake.userByKey('new@example.com')!.id)!;
    expect(pass).toBeTruthy();
    expect(logs.join('\n')).not.toContain(pass);
    expect(JSON.stringify(outcome)).not.toContain(pass);
    expect(x.fake.userByKey('new@example.com')!.accountEnabled).toBe(false);
  });

  it('sends each wipe and retire once, goes on past a failed one, and counts them in the error', async () => {
    const x = await harness({ config: { devicesOnLeave: 'wipe' } });
    await seedPeople(x);
    const laptop = x.fake.addDevice('ann@example.com', 'company', 'laptop');
    const desktop = x.fake.addDevice('ann@example.com', 'company', 'desktop');
    x.fake.addDevice('ann@example.com', 'personal', 'phone');
    x.server.inject({ kind: 'status', status: 503, path: new RegExp(`${desktop.id}/wipe$`), times: 1 });
    const leaver = change('disableUser', 'ann@example.com', { event: { kind: 'leaver' } });
    const failed = await x.provider.applyMany!([leaver])[0]!;
    expect(failed).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        new RegExp(
          `^entra: disableUser ann@example.com failed: devices: 1 wiped, 1 retired, 1 failed \\(wiping device ${desktop.id}: 503 .*\\); the account is disabled$`,
        ),
      ),
    });
    // The sign-in is off whatever happened to the devices, and the record says which step failed.
    expect(stepsOf(failed)).toMatchObject({ 'disable-sign-in': 'applied', 'wipe-devices': 'failed' });
    expect(count(x, new RegExp(`${desktop.id}/wipe$`))).toBe(1);
    expect(x.fake.userByKey('ann@example.com')!.accountEnabled).toBe(false);
    // The next apply skips the devices with an action pending and wipes the one that failed.
    expect(await x.provider.apply(leaver)).toMatchObject({ status: 'applied', detail: 'devices: 1 wiped' });
    expect(count(x, new RegExp(`${laptop.id}/wipe$`))).toBe(1);
    expect(x.fake.devices.get(desktop.id)!.deviceActionResults?.map((a) => a.actionName)).toEqual(['wipe']);
  });
});

describe('the leaver checklist, step by step', () => {
  const seedPair = (x: EntraHarness) =>
    x.seed({
      users: {
        'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 1 },
        'boss@example.com': { displayName: 'Boss', enabled: true, sessions: 0 },
      },
      targets: { 'group:SP-Finance-Members': ['ann@example.com'], 'license:SPE_E3': ['ann@example.com'] },
    });
  const leaving = { kind: 'leaver' as const, date: '2026-11-30T17:00:00Z' };
  const disable = change('disableUser', 'ann@example.com', { event: leaving, manager: 'boss@example.com' });
  const rulesOf = (x: EntraHarness) => x.fake.messageRules.get(x.fake.userByKey('ann@example.com')!.id) ?? [];

  for (const mode of ['apply', 'applyMany'] as const) {
    it(`forwards the mailbox to the manager once, and finds the rule again on the next apply (${mode})`, async () => {
      const x = await harness({ config: { devicesOnLeave: 'none' } });
      await seedPair(x);
      const run = (c: Change) => (mode === 'apply' ? x.provider.apply(c) : x.provider.applyMany!([c])[0]!);
      const first = await run(disable);
      expect(first.status).toBe('applied');
      expect(first.steps?.map((st) => st.step)).toEqual([
        'disable-sign-in',
        'leave-date',
        'wipe-devices',
        'mailbox-forwarding',
        'mailbox-retention',
      ]);
      expect(stepsOf(first)).toEqual({
        'disable-sign-in': 'applied',
        'leave-date': 'applied',
        'wipe-devices': 'skipped',
        'mailbox-forwarding': 'applied',
        'mailbox-retention': 'applied',
      });
      for (const st of first.steps!) expect(new Date(st.at).toISOString()).toBe(st.at);
      const retention = first.steps!.find((st) => st.step === 'mailbox-retention')!;
      expect(retention.detail).toMatch(
        /mailbox is kept.*disabled, not deleted.*retention\.accountDays \(90 days\)/,
      );
      expect(rulesOf(x)).toEqual([
        expect.objectContaining({
          displayName: FORWARD_RULE_NAME,
          isEnabled: true,
          actions: expect.objectContaining({
            forwardTo: [{ emailAddress: { address: 'boss@example.com' } }],
          }),
        }),
      ]);

      const again = await run(disable);
      expect(again.status).toBe('unchanged');
      expect(stepsOf(again)).toMatchObject({
        'disable-sign-in': 'unchanged',
        'mailbox-forwarding': 'unchanged',
      });
      expect(rulesOf(x)).toHaveLength(1);
    });
  }

  it("points an existing rule of ours at the manager instead of adding a second, and keeps the user's own rules", async () => {
    const x = await harness({ config: { devicesOnLeave: 'none' } });
    await seedPair(x);
    const ann = x.fake.userByKey('ann@example.com')!;
    x.fake.messageRules.set(ann.id, [
      { id: 'own', displayName: 'Newsletters', sequence: 1, isEnabled: true, actions: { moveToFolder: 'x' } },
      {
        // Graph's rule ids are base64: the id goes percent-encoded in the PATCH path.
        id: 'AQAA/ours+1=',
        displayName: FORWARD_RULE_NAME,
        sequence: 2,
        isEnabled: true,
        actions: { forwardTo: [{ emailAddress: { address: 'old.boss@example.com' } }] },
      },
    ]);
    const out = await x.provider.apply(disable);
    expect(stepsOf(out)['mailbox-forwarding']).toBe('applied');
    expect(rulesOf(x).map((r) => [r.id, r.actions?.forwardTo?.[0]?.emailAddress?.address ?? null])).toEqual([
      ['own', null],
      ['AQAA/ours+1=', 'boss@example.com'],
    ]);
  });

  it('reports a rule that already forwards to the manager as unchanged, sending no write', async () => {
    const x = await harness({ config: { devicesOnLeave: 'none' } });
    await seedPair(x);
    x.fake.messageRules.set(x.fake.userByKey('ann@example.com')!.id, [
      {
        id: 'ours',
        displayName: FORWARD_RULE_NAME,
        sequence: 1,
        isEnabled: true,
        actions: { forwardTo: [{ emailAddress: { address: 'Boss@Example.com' } }] },
      },
    ]);
    const from = x.server.requests.length;
    const out = await x.provider.apply(disable);
    expect(stepsOf(out)['mailbox-forwarding']).toBe('unchanged');
    expect(apiCalls(x, from).filter((c) => /messageRules/.test(c) && !c.startsWith('GET'))).toEqual([]);
  });

  it('keeps the disable when the forwarding fails, and says why in a failed step', async () => {
    for (const [name, opts, setUp, reason] of [
      [
        'no permission',
        { roles: ALL_ROLES.filter((r) => r !== MAILBOX_PERMISSION) },
        () => undefined,
        /403 ErrorAccessDenied.*MailboxSettings\.ReadWrite application permission/,
      ],
      [
        'no mailbox',
        {},
        (x: EntraHarness) => x.fake.withoutMailbox.add(x.fake.userByKey('ann@example.com')!.id),
        /404 MailboxNotEnabledForRESTAPI.*cannot reach this mailbox/,
      ],
    ] as const) {
      const x = await harness({ fake: opts, config: { devicesOnLeave: 'none' } });
      await seedPair(x);
      setUp(x);
      const out = await x.provider.apply(disable);
      expect(out.status, name).toBe('applied');
      expect(stepsOf(out), name).toMatchObject({
        'disable-sign-in': 'applied',
        'mailbox-forwarding': 'failed',
      });
      const step = out.steps!.find((st) => st.step === 'mailbox-forwarding')!;
      expect(step.detail, name).toMatch(reason);
      expect(step.detail, name).toMatch(/by hand in the Exchange admin center$/);
      expect(x.fake.userByKey('ann@example.com')!.accountEnabled, name).toBe(false);
      await x.close();
      h = undefined;
    }
  });

  it('skips the forwarding of a leaver without a manager', async () => {
    const x = await harness({ config: { devicesOnLeave: 'none' } });
    await seedPair(x);
    const out = await x.provider.apply({ ...disable, manager: undefined });
    expect(stepsOf(out)['mailbox-forwarding']).toBe('skipped');
    expect(rulesOf(x)).toEqual([]);
  });

  it('says that revoking sessions ended the refresh tokens too', async () => {
    const x = await harness();
    await seedPair(x);
    const out = await x.provider.apply(change('revokeSessions', 'ann@example.com', { event: leaving }));
    expect(stepsOf(out)).toEqual({ 'revoke-sessions': 'applied', 'revoke-tokens': 'applied' });
    expect(out.steps![1]!.detail).toMatch(/refresh token/);
  });

  it("records remove-access on a leaver's revokes and delete-account on the deletion", async () => {
    const x = await harness();
    await seedPair(x);
    const revokes = [
      change('revoke', 'ann@example.com', { event: leaving, target: group('SP-Finance-Members') }),
      change('revoke', 'ann@example.com', { event: leaving, target: license('SPE_E3') }),
      change('revoke', 'ann@example.com', { event: leaving, target: group('No Such Group') }),
    ];
    const outs = await Promise.all(x.provider.applyMany!(revokes));
    expect(outs.map((o) => o.steps?.map((st) => `${st.step} ${st.status}`))).toEqual([
      ['remove-access applied'],
      ['remove-access applied'],
      ['remove-access unchanged'],
    ]);
    const gone = await x.provider.apply(change('deleteUser', 'ann@example.com', { event: leaving }));
    expect(stepsOf(gone)).toEqual({ 'delete-account': 'applied' });
  });

  it('records a failed step when the disable itself fails', async () => {
    const x = await harness();
    await seedPair(x);
    x.server.inject({ kind: 'status', status: 403, method: 'PATCH', path: /\/users\//, times: 1 });
    const out = await x.provider.apply(disable);
    expect(out.status).toBe('failed');
    expect(stepsOf(out)).toEqual({ 'disable-sign-in': 'failed' });
  });

  it("adds no steps to changes that are not a leaver's", async () => {
    const x = await harness();
    await seedPair(x);
    for (const c of [
      change('disableUser', 'ann@example.com', { event: { kind: 'update' }, manager: 'boss@example.com' }),
      change('revokeSessions', 'ann@example.com', { event: { kind: 'mover' } }),
      change('revoke', 'ann@example.com', { event: { kind: 'mover' }, target: group('SP-Finance-Members') }),
    ]) {
      expect((await x.provider.apply(c)).steps, c.action).toBeUndefined();
    }
    expect(rulesOf(x)).toEqual([]);
  });
});

describe('the Graph fake: inbox rules', () => {
  it('lists, creates and updates rules as Graph documents, checking the permission per token', async () => {
    const x = await harness({ fake: { roles: ALL_ROLES.filter((r) => r !== MAILBOX_PERMISSION) } });
    await x.seed({
      users: { 'a@example.com': { displayName: 'A', enabled: true, sessions: 0 } },
      targets: {},
    });
    const url = `${x.fake.url}/v1.0/users/a@example.com/mailFolders/inbox/messageRules`;
    const call = async (token: string, method: string, body?: object, at = url) =>
      fetch(at, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const without = await bearer(x);
    const refused = await call(without, 'GET');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'ErrorAccessDenied' } });
    x.fake.roles = ALL_ROLES;
    const token = await bearer(x);
    expect(await (await call(token, 'GET')).json()).toMatchObject({ value: [] });
    const incomplete = await call(token, 'POST', { displayName: 'x', actions: {} });
    expect(incomplete.status).toBe(400);
    const rule = {
      displayName: 'r',
      sequence: 1,
      actions: { forwardTo: [{ emailAddress: { address: 'b@example.com' } }] },
    };
    const created = await call(token, 'POST', rule);
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(
      (await call(token, 'PATCH', { isEnabled: false }, `${url}/${encodeURIComponent(id)}`)).status,
    ).toBe(200);
    expect((await call(token, 'PATCH', { isEnabled: false }, `${url}/nope`)).status).toBe(404);
    expect(x.fake.messageRules.get(x.fake.userByKey('a@example.com')!.id)).toEqual([
      expect.objectContaining({ id, isEnabled: false, hasError: false, isReadOnly: false }),
    ]);
  });
});

describe('hire and leave dates, an optional permission', () => {
  const withoutLifecycle = ALL_ROLES.filter((r) => r !== LIFECYCLE_PERMISSION);

  it('disables a leaver even when the app may not write the leave date, and says so', async () => {
    const x = await harness({ fake: { roles: withoutLifecycle }, config: { devicesOnLeave: 'none' } });
    await x.seed({
      users: { 'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 } },
      targets: {},
    });
    const leaver = change('disableUser', 'ann@example.com', {
      event: { kind: 'leaver', date: '2026-11-30' },
    });
    const out = await x.provider.apply(leaver);
    expect(out).toMatchObject({
      status: 'applied',
      detail: expect.stringMatching(
        /^leave date not recorded: 403 Authorization_RequestDenied: .*User-LifeCycleInfo\.ReadWrite\.All.*; devices left alone/,
      ),
    });
    expect(stepsOf(out)).toMatchObject({
      'disable-sign-in': 'applied',
      'leave-date': 'failed',
      'wipe-devices': 'skipped',
    });
    expect(x.fake.userByKey('ann@example.com')).toMatchObject({
      accountEnabled: false,
      employeeLeaveDateTime: null,
    });
  });

  it('creates a joiner even when the app may not write the hire date, and says so', async () => {
    const x = await harness({ fake: { roles: withoutLifecycle } });
    await x.seed({ users: {}, targets: {} });
    const joiner = change('createUser', 'new@example.com', { event: { kind: 'joiner', date: '2026-12-01' } });
    expect(await x.provider.apply(joiner)).toEqual({
      status: 'applied',
      detail: expect.stringMatching(/; hire date not recorded: 403 Authorization_RequestDenied/),
    });
    const user = x.fake.userByKey('new@example.com')!;
    expect(user.accountEnabled).toBe(true);
    expect(user.employeeHireDate).toBeUndefined();
  });

  it('the fake refuses the hire and leave dates to a token without User-LifeCycleInfo.ReadWrite.All', async () => {
    const x = await harness({ fake: { roles: withoutLifecycle } });
    await x.seed({
      users: { 'a@example.com': { displayName: 'A', enabled: true, sessions: 0 } },
      targets: {},
    });
    const token = await bearer(x);
    const patch = (body: object) =>
      fetch(`${x.fake.url}/v1.0/users/a@example.com`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refused = await patch({ employeeLeaveDateTime: '2026-11-30T00:00:00Z' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'Authorization_RequestDenied' } });
    expect((await patch({ accountEnabled: false })).status).toBe(204);
  });
});

describe('usage location and licenses', () => {
  const seedSku = (x: EntraHarness) => x.seed({ users: {}, targets: { 'license:SPE_E3': [] } });

  it('creates accounts with the configured usageLocation, so that a license can be assigned', async () => {
    const x = await harness({ config: { usageLocation: 'DE' } });
    await seedSku(x);
    expect(await x.provider.apply(change('createUser', 'new@example.com'))).toMatchObject({
      status: 'applied',
    });
    expect(x.fake.userByKey('new@example.com')!.usageLocation).toBe('DE');
    expect(await x.provider.apply(change('grant', 'new@example.com', { target: license('SPE_E3') }))).toEqual(
      {
        status: 'applied',
      },
    );
  });

  it('without a usageLocation, the license grant fails saying to set one', async () => {
    const x = await harness({ config: { usageLocation: undefined } });
    await seedSku(x);
    await x.provider.apply(change('createUser', 'new@example.com'));
    expect(x.fake.userByKey('new@example.com')!.usageLocation).toBeNull();
    expect(await x.provider.apply(change('grant', 'new@example.com', { target: license('SPE_E3') }))).toEqual(
      {
        status: 'failed',
        error: expect.stringMatching(
          /^entra: grant new@example.com \(license SPE_E3\) failed: assigning license SPE_E3: 400 Request_BadRequest: License assignment cannot be done for user with invalid usage location\.; set the account's usageLocation .*providers\.entra/,
        ),
      },
    );
  });

  it('the schema takes a two-letter country code only', () => {
    const base = { tenantId: 't', clientId: 'c' };
    expect(entraConnection.parse({ ...base, usageLocation: 'US' }).usageLocation).toBe('US');
    expect(() => entraConnection.parse({ ...base, usageLocation: 'usa' })).toThrow(/ISO 3166-1 alpha-2/);
  });
});

describe('group names, compared as Graph compares them', () => {
  it('reads and grants a group whose name differs in case from the policy', async () => {
    const x = await harness();
    await x.seed({
      users: {
        'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 },
        'bob@example.com': { displayName: 'Bob', enabled: true, sessions: 0 },
      },
      targets: { 'group:SP-Finance-Members': ['ann@example.com'] },
    });
    const state = await x.provider.read({
      logins: new Set(['ann@example.com', 'bob@example.com']),
      targets: [group('sp-finance-members')],
    });
    expect(state.memberships).toEqual([
      { kind: 'group', target: 'sp-finance-members', members: ['ann@example.com'] },
    ]);
    const grant = change('grant', 'bob@example.com', { target: group('SP-FINANCE-MEMBERS') });
    expect(await x.provider.apply(grant)).toEqual({ status: 'applied' });
    // Without a read, through Graph's own case-insensitive `$filter`.
    const fresh = createEntraProvider(x.config, {
      env: { ENTRA_FEDERATED_TOKEN: x.fake.federatedToken },
      retry: FAST,
    });
    expect(await fresh.apply(grant)).toEqual({ status: 'unchanged' });
    expect(x.fake.memberUpns(x.fake.groupByName('SP-Finance-Members')!)).toEqual([
      'ann@example.com',
      'bob@example.com',
    ]);
  });

  it('refuses two groups whose names differ only in case', async () => {
    const x = await harness();
    await x.seed({ users: {}, targets: { 'group:Eng': [], 'group:ENG': [] } });
    await expect(x.provider.read({ logins: new Set(), targets: [group('eng')] })).rejects.toThrow(
      /2 groups are named "Eng" \(Graph ignores case: "Eng", "ENG"\)/,
    );
  });
});

describe('$batch', () => {
  const people = Array.from({ length: 100 }, (_, i) => `p${i}@example.com`);
  const seedMany = async (x: EntraHarness) => {
    const users = Object.fromEntries(people.map((l) => [l, { displayName: l, enabled: true, sessions: 0 }]));
    await x.seed({ users, targets: { 'group:Big': [] } });
    await x.provider.read({ logins: new Set(people), targets: [group('Big')] });
  };

  it('sends 100 grants in 5 posts of 20', async () => {
    const x = await harness();
    await seedMany(x);
    const from = x.server.requests.length;
    const outcomes = await Promise.all(
      x.provider.applyMany!(people.map((l) => change('grant', l, { target: group('Big') }))),
    );
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    expect(apiCalls(x, from)).toEqual(Array(5).fill('POST /v1.0/$batch'));
    expect(x.fake.memberUpns(x.fake.groupByName('Big')!)).toHaveLength(100);
  });

  it('without a read, looks ids up in the same posts, each group once', async () => {
    const x = await harness();
    await seedMany(x);
    const fresh = createEntraProvider(x.config, {
      env: { ENTRA_FEDERATED_TOKEN: x.fake.federatedToken },
      retry: FAST,
    });
    const from = x.server.requests.length;
    const outcomes = await Promise.all(
      fresh.applyMany!(people.slice(0, 19).map((l) => change('grant', l, { target: group('Big') }))),
    );
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    // 19 user lookups + 1 group lookup in one post, then 19 adds in another.
    expect(apiCalls(x, from)).toEqual(['POST /v1.0/$batch', 'POST /v1.0/$batch']);
    expect(x.fake.steps.filter((s) => s.url.startsWith('/groups?'))).toHaveLength(1);
  });

  it('re-sends only the steps answered 429 or 5xx, and nothing before the Retry-After', async () => {
    const x = await harness();
    await seedMany(x);
    const steps = /^\/v1\.0\/groups\/[^/]+\/members\/\$ref$/;
    const throttle = x.server.inject({
      kind: 'status',
      status: 429,
      headers: { 'Retry-After': '1' },
      method: 'POST',
      path: steps,
      times: 2,
    });
    const unavailable = x.server.inject({
      kind: 'status',
      status: 503,
      method: 'POST',
      path: steps,
      times: 1,
    });
    const outcomes = await Promise.all(
      x.provider.applyMany!(people.slice(0, 20).map((l) => change('grant', l, { target: group('Big') }))),
    );
    expect(outcomes.every((o) => o.status === 'applied')).toBe(true);
    expect([throttle.times, unavailable.times]).toEqual([0, 0]);
    // 20 steps, then only the three that failed, once the gate opened again.
    expect(
      x.fake.steps
        .slice(0, 20)
        .map((s) => s.status)
        .sort(),
    ).toEqual([...Array(17).fill(204), 429, 429, 503]);
    const resent = x.fake.steps.slice(20);
    expect(resent.map((s) => s.status)).toEqual([204, 204, 204]);
    const firstThrottle = x.fake.steps.find((s) => s.status === 429)!;
    for (const r of resent) expect(r.at - firstThrottle.at).toBeGreaterThanOrEqual(1_000);
    expect(x.fake.memberUpns(x.fake.groupByName('Big')!)).toHaveLength(20);
  });

  it('re-sends a post whose answer was lost, and the re-sent steps end in the same state', async () => {
    const x = await harness();
    await seedMany(x);
    x.server.inject({ kind: 'reset-after-write', method: 'POST', path: /\$batch/, times: 1 });
    const outcomes = await Promise.all(
      x.provider.applyMany!(people.slice(0, 5).map((l) => change('grant', l, { target: group('Big') }))),
    );
    // The first post was applied but never answered: the second finds the members there.
    expect(outcomes).toEqual(Array(5).fill({ status: 'unchanged' }));
    expect(x.fake.memberUpns(x.fake.groupByName('Big')!)).toEqual(people.slice(0, 5).sort());
  });

  it('answers every change of a post the post could not be sent for, with a clear failure', async () => {
    const x = await harness({ context: { retry: { ...FAST, maxAttempts: 2 } } });
    await seedMany(x);
    x.server.inject({ kind: 'status', status: 503, path: /\$batch/, times: 5 });
    const outcomes = await Promise.all(
      x.provider.applyMany!(people.slice(0, 3).map((l) => change('grant', l, { target: group('Big') }))),
    );
    for (const o of outcomes)
      expect(o).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(
          /^entra: grant p\d@example.com \(group Big\) failed: gave up after 2 attempts: 503/,
        ),
      });
  });
});

describe('throttling and faults', () => {
  const seedOne = (x: EntraHarness) =>
    x.seed({
      users: { 'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 } },
      targets: { 'group:G': [] },
    });
  const grant = change('grant', 'ann@example.com', { target: group('G') });

  it('sends nothing before the wait a 429 burst asked for', async () => {
    const x = await harness();
    await seedOne(x);
    x.server.inject({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
      path: /^\/v1\.0\/users\?/,
      times: 2,
    });
    const from = x.server.requests.length;
    await x.provider.read({ logins: new Set(['ann@example.com']), targets: [group('G')] });
    const log = x.server.requests.slice(from);
    const throttled = log.filter((r) => r.status === 429);
    expect(throttled).toHaveLength(2);
    for (const t of throttled) {
      const next = log[log.indexOf(t) + 1]!;
      expect(next.at - t.at).toBeGreaterThanOrEqual(1_000);
    }
    expect(logs.some((l) => /^entra: 429 .*attempt 2 in 1 s$/.test(l))).toBe(true);
  });

  it("honours Graph's resource-unit budget: a 429 with Retry-After when the window is spent", async () => {
    const x = await harness({ fake: { budget: { units: 3, windowMs: 1_000 } } });
    await seedOne(x);
    const from = x.server.requests.length;
    const state = await x.provider.read({ logins: new Set(['ann@example.com']), targets: [group('G')] });
    expect(state.users).toHaveLength(1);
    const log = x.server.requests.slice(from).filter((r) => r.path.startsWith('/v1.0/'));
    const throttled = log.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const t of throttled) expect(log[log.indexOf(t) + 1]!.at - t.at).toBeGreaterThanOrEqual(900);
  });

  it('retries a 5xx', async () => {
    const x = await harness();
    await seedOne(x);
    x.server.inject({ kind: 'status', status: 503, method: 'POST', path: /members/, times: 2 });
    expect(await x.provider.apply(grant)).toEqual({ status: 'applied' });
  });

  it('a reset after the write succeeded ends in the right state on retry', async () => {
    const x = await harness();
    await seedOne(x);
    x.server.inject({ kind: 'reset-after-write', method: 'POST', path: /members/, times: 1 });
    // The retry is told "already exist": Graph's word on the retry is all there is to report.
    expect(await x.provider.apply(grant)).toEqual({ status: 'unchanged' });
    expect(x.fake.memberUpns(x.fake.groupByName('G')!)).toEqual(['ann@example.com']);

    x.server.inject({ kind: 'reset-after-write', method: 'POST', path: /^\/v1\.0\/users$/, times: 1 });
    const created = await x.provider.apply(change('createUser', 'new@example.com', { displayName: 'New' }));
    expect(created.status).toBe('applied');
    expect(x.fake.userByKey('new@example.com')!.accountEnabled).toBe(true);
  });

  it('a reset before the write is retried', async () => {
    const x = await harness();
    await seedOne(x);
    x.server.inject({ kind: 'reset', method: 'POST', path: /members/, times: 1 });
    expect(await x.provider.apply(grant)).toEqual({ status: 'applied' });
  });

  it('gives up with a clear failed outcome once the retry budget is spent', async () => {
    const x = await harness({ context: { retry: { ...FAST, maxAttempts: 3 } } });
    await seedOne(x);
    x.server.inject({ kind: 'status', status: 503, method: 'POST', path: /members/, times: 10 });
    expect(await x.provider.apply(grant)).toEqual({
      status: 'failed',
      error: expect.stringMatching(
        /^entra: grant ann@example.com \(group G\) failed: gave up after 3 attempts: 503/,
      ),
    });
  });

  it('gives up at once when the wait asked for is beyond the time budget', async () => {
    const x = await harness({ context: { retry: { ...FAST, budgetMs: 500 } } });
    await seedOne(x);
    x.server.inject({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '30' },
      method: 'POST',
      path: /members/,
      times: 1,
    });
    const outcome = await x.provider.apply(grant);
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('asked to wait 30 s') });
  });
});

describe('credentials', () => {
  it('signs in with a client secret as well as with the federated token', async () => {
    const x = await harness({ config: { auth: 'client-secret' } });
    await x.seed({ users: {}, targets: {} }, ['z@example.com']);
    expect((await x.provider.read({ logins: new Set(), targets: [] })).outOfScopeAccounts).toBe(1);
  });

  it('a wrong credential is a clear error that does not contain it, and nothing is logged with it', async () => {
    const x = await harness();
    for (const [auth, variable] of [
      ['workload-identity', 'ENTRA_FEDERATED_TOKEN'],
      ['client-secret', 'ENTRA_CLIENT_SECRET'],
    ] as const) {
      const wrong = `wrong-credential-${auth}-0123456789`;
      const lines: string[] = [];
      const provider = createEntraProvider(
        { ...x.config, auth },
        { env: { [variable]: wrong }, retry: FAST, log: (l) => lines.push(l) },
      );
      const error = await provider.read({ logins: new Set(), targets: [] }).then(
        () => undefined,
        (e: Error) => e.message,
      );
      expect(error).toMatch(
        new RegExp(
          `^entra: signing in as app ${x.fake.clientId} to tenant ${x.fake.tenantId} failed: 401 invalid_client`,
        ),
      );
      expect(error).not.toContain(wrong);
      expect(lines.join('\n')).not.toContain(wrong);
      const outcome = await provider.apply(change('revokeSessions', 'ann@example.com'));
      expect(outcome.status).toBe('failed');
      expect(JSON.stringify(outcome)).not.toContain(wrong);
    }
  });

  it('a missing variable names the variable, never a value', () => {
    expect(() =>
      createEntraProvider(
        {
          tenantId: 't',
          clientId: 'c',
          auth: 'workload-identity',
          clientSecretEnv: 'S',
          oidcTokenEnv: 'MY_OIDC',
          graphUrl: 'http://127.0.0.1:1',
          authorityUrl: 'http://127.0.0.1:1',
          devicesOnLeave: 'retire',
        },
        { env: {} },
      ),
    ).toThrow(/MY_OIDC is not set/);
  });

  it('never logs or reports the credential or a bearer token, even through retries', async () => {
    const x = await harness();
    await x.seed({
      users: { 'ann@example.com': { displayName: 'Ann', enabled: true, sessions: 0 } },
      targets: {},
    });
    // Scoped to a Graph call, so that the Graph retry path (and its log lines) runs.
    x.server.inject({ kind: 'status', status: 503, method: 'POST', path: /revokeSignInSessions/, times: 2 });
    x.server.inject({ kind: 'status', status: 403, method: 'POST', path: /revokeSignInSessions/, times: 1 });
    const outcome = await x.provider.apply(change('revokeSessions', 'ann@example.com'));
    const everything = `${JSON.stringify(outcome)}\n${logs.join('\n')}`;
    expect(logs.filter((l) => /^entra: 503 /.test(l))).toHaveLength(2);
    expect(outcome).toMatchObject({ status: 'failed', error: expect.stringContaining('403') });
    expect(everything).not.toContain(x.fake.federatedToken);
    expect(everything).not.toContain(x.fake.clientSecret);
    expect(everything).not.toMatch(/fake-graph-token|Bearer/);
  });
});

describe('the Graph fake', () => {
  it('answers an unknown request with an OData 400, and records it', async () => {
    const x = await harness();
    const token = await bearer(x);
    const r = await graphGet(x, '/users/x/unknownThing', token);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: { code: 'BadRequest', innerError: { 'request-id': expect.any(String) } },
    });
    expect(x.server.unknownRequests).toEqual(['GET /v1.0/users/x/unknownThing']);
    x.server.unknownRequests.length = 0;
  });

  it('rejects a missing or unknown bearer token with 401 InvalidAuthenticationToken', async () => {
    const x = await harness();
    expect(await graphGet(x, '/users')).toMatchObject({
      status: 401,
      body: { error: { code: 'InvalidAuthenticationToken' } },
    });
    expect((await graphGet(x, '/users', 'forged')).status).toBe(401);
  });

  it('honours $select, caps $top at 999, pages with relative nextLinks and refuses other $filters', async () => {
    const x = await harness();
    await x.seed({ users: {}, targets: { 'group:A': [] } }, [
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    const token = await bearer(x);
    const page = await graphGet(x, '/users?$select=id,userPrincipalName&$top=2', token);
    expect(Object.keys((page.body.value as object[])[0]!).sort()).toEqual([
      '@odata.type',
      'id',
      'userPrincipalName',
    ]);
    const next = page.body['@odata.nextLink'] as string;
    expect(next).toMatch(/^\/v1\.0\/users\?.*\$skiptoken=2/);
    const rest = await graphGet(x, next.replace(/^\/v1\.0/, ''), token);
    expect(rest.body.value).toHaveLength(1);
    expect(rest.body['@odata.nextLink']).toBeUndefined();
    expect((await graphGet(x, '/users?$top=1000', token)).status).toBe(400);
    expect(
      await graphGet(x, `/users?$filter=${encodeURIComponent("startswith(displayName,'a')")}`, token),
    ).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('Unsupported query') } },
    });
  });

  it('answers a duplicate member with 400 and a removed non-member with 404', async () => {
    const x = await harness();
    await x.seed({
      users: { 'a@example.com': { displayName: 'A', enabled: true, sessions: 0 } },
      targets: { 'group:A': ['a@example.com'] },
    });
    const token = await bearer(x);
    const g = x.fake.groupByName('A')!;
    const u = x.fake.userByKey('a@example.com')!;
    const add = await fetch(`${x.fake.url}/v1.0/groups/${g.id}/members/$ref`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@odata.id': `${x.fake.url}/v1.0/directoryObjects/${u.id}` }),
    });
    expect(add.status).toBe(400);
    expect(await add.json()).toMatchObject({ error: { message: expect.stringContaining('already exist') } });
    g.memberIds.clear();
    const del = await fetch(`${x.fake.url}/v1.0/groups/${g.id}/members/${u.id}/$ref`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(404);
    expect(await del.json()).toMatchObject({ error: { code: 'Request_ResourceNotFound' } });
  });

  it('runs $batch steps on their own: 20 at most, relative urls only, dependsOn honoured', async () => {
    const x = await harness();
    await x.seed({
      users: { 'a@example.com': { displayName: 'A', enabled: true, sessions: 0 } },
      targets: {},
    });
    const token = await bearer(x);
    const post = (requests: unknown[]) =>
      fetch(`${x.fake.url}/v1.0/$batch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ requests }),
      });
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));
    expect((await post(tooMany)).status).toBe(400);
    const res = await post([
      { id: '1', method: 'GET', url: '/v1.0/users' },
      { id: '2', method: 'GET', url: '/users/nobody@example.com' },
      {
        id: '3',
        method: 'PATCH',
        url: '/users/a@example.com',
        dependsOn: ['2'],
        body: { accountEnabled: false },
        headers: { 'Content-Type': 'application/json' },
      },
      { id: '4', method: 'GET', url: '/users/a@example.com?$select=id' },
    ]);
    const { responses } = (await res.json()) as { responses: { id: string; status: number }[] };
    expect(responses.map((r) => [r.id, r.status])).toEqual([
      ['1', 400],
      ['2', 404],
      ['3', 424],
      ['4', 200],
    ]);
    expect(x.fake.userByKey('a@example.com')!.accountEnabled).toBe(true);
    expect(x.server.unknownRequests).toEqual(['$batch GET /v1.0/users']);
    x.server.unknownRequests.length = 0;
  });

  it('spends the write budget on writes only, answering 429 with the seconds left in the window', async () => {
    const x = await harness({ fake: { budget: { writes: 1, writeWindowMs: 60_000 } } });
    await x.seed({
      users: { 'a@example.com': { displayName: 'A', enabled: true, sessions: 0 } },
      targets: {},
    });
    const token = await bearer(x);
    const id = x.fake.userByKey('a@example.com')!.id;
    const revoke = () =>
      fetch(`${x.fake.url}/v1.0/users/${id}/revokeSignInSessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await revoke()).status).toBe(200);
    expect((await graphGet(x, `/users/${id}`, token)).status).toBe(200);
    const throttled = await revoke();
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(55);
    expect(await throttled.json()).toMatchObject({ error: { code: 'TooManyRequests' } });
  });

  it('issues tokens only for the right tenant, client and credential', async () => {
    const x = await harness();
    const token = (form: Record<string, string>) =>
      fetch(`${x.fake.url}/${x.fake.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: x.fake.clientId,
          scope: 'https://graph.microsoft.com/.default',
          grant_type: 'client_credentials',
          ...form,
        }),
      });
    expect((await token({ client_secret: x.fake.clientSecret })).status).toBe(200);
    expect(
      (
        await token({
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: x.fake.federatedToken,
        })
      ).status,
    ).toBe(200);
    expect(await (await token({ client_secret: 'nope' })).json()).toMatchObject({ error: 'invalid_client' });
    expect((await token({ client_secret: x.fake.clientSecret, scope: 'User.Read' })).status).toBe(400);
  });
});
