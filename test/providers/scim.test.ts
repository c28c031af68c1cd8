/**
 * The SCIM connector against an independent SCIM 2.0 server (SCIMMY with scimmy-routers, behind
 * the quirk layer of test/fakes/scim): reads with paging and filters, idempotent writes, ETags,
 * the declared quirks, several apps at once, throttling, and what is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { policy as policySchema } from '../../src/model/schema.js';
import type { Change } from '../../src/plan/plan-types.js';
import { createScimProvider } from '../../src/providers/scim/index.js';
import type { Scope } from '../../src/providers/types.js';
import { createScimHarness, SCIM_CONNECTION, type ScimHarness } from '../fakes/scim/harness.js';
import { ScimFake } from '../fakes/scim/scim-fake.js';

const open: { close(): Promise<void>; server?: { unknownRequests: string[] } }[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    expect(h.server?.unknownRequests ?? []).toEqual([]);
    await h.close();
  }
});

async function harness(opts: Parameters<typeof createScimHarness>[0] = {}): Promise<ScimHarness> {
  const h = await createScimHarness(opts);
  open.push(h);
  return h;
}

async function fake(): Promise<ScimFake> {
  const f = new ScimFake();
  await f.start();
  open.push(f);
  return f;
}

const G = (name: string) => `${SCIM_CONNECTION}/${name}`;
const user = (enabled = true, sessions = 0) => ({ displayName: 'Some One', enabled, sessions });

function change(action: Change['action'], login: string, extra: Partial<Change> = {}): Change {
  return {
    id: `scim/${login}/${action}`,
    action,
    provider: 'scim',
    login,
    person: login.split('@')[0]!,
    event: { kind: 'update' },
    because: ['test'],
    ...extra,
  };
}

const group = (target: string) => ({ target: { kind: 'group' as const, target } });

const scope = (logins: string[], groups: string[], people?: Scope['people']): Scope => ({
  logins: new Set(logins),
  targets: groups.map((g) => ({ kind: 'group' as const, target: G(g) })),
  ...(people ? { people } : {}),
});

describe('scim: reads', () => {
  it('reads users and managed groups, paging within the declared page size', async () => {
    const h = await harness({ quirks: { maxPageSize: 7 } });
    const users: Record<string, ReturnType<typeof user>> = {};
    for (let i = 0; i < 30; i++) users[`u${i}@example.com`] = user(i % 5 !== 0);
    await h.seed({
      users,
      targets: { [`group:${G('Eng')}`]: ['u1@example.com', 'u2@example.com'], [`group:${G('Other')}`]: [] },
    });
    const state = await h.provider.read(scope(['u1@example.com', 'u5@example.com'], ['Eng', 'Missing']));
    expect(state.users.map((u) => [u.login, u.enabled, u.sessions])).toEqual([
      ['u1@example.com', true, null],
      ['u2@example.com', true, null],
      ['u5@example.com', false, null],
    ]);
    expect(state.outOfScopeAccounts).toBe(27);
    expect(state.memberships).toEqual([
      { kind: 'group', target: G('Eng'), members: ['u1@example.com', 'u2@example.com'] },
    ]);
    const counts = h.server!.requests.map((r) =>
      Number(new URL(r.path, 'http://x').searchParams.get('count')),
    );
    expect(Math.max(...counts)).toBe(7);
  });

  it('filters groups by name when that costs fewer requests than listing them all', async () => {
    const h = await harness({ quirks: { maxPageSize: 5 } });
    const targets: Record<string, string[]> = {};
    for (let i = 0; i < 40; i++) targets[`group:${G(`g${i}`)}`] = [];
    await h.seed({ users: { 'a@example.com': user() }, targets });
    const from = h.server!.requests.length;
    await h.provider.read(scope(['a@example.com'], ['g3']));
    const groupCalls = h.server!.requests.slice(from).filter((r) => r.path.startsWith('/scim/v2/Groups'));
    // The first page says there are 40 (7 more pages); one filter asks for the one group.
    expect(groupCalls.map((r) => decodeURIComponent(r.path))).toEqual([
      '/scim/v2/Groups?startIndex=1&count=5',
      '/scim/v2/Groups?startIndex=1&count=5&filter=displayName+eq+"g3"',
    ]);
  });

  it('with filter: false, never sends a filter and picks the managed groups itself', async () => {
    const h = await harness({ quirks: { filter: false, maxPageSize: 5 } });
    const targets: Record<string, string[]> = {};
    for (let i = 0; i < 12; i++) targets[`group:${G(`g${i}`)}`] = i === 3 ? ['a@example.com'] : [];
    await h.seed({ users: { 'a@example.com': user() }, targets });
    const state = await h.provider.read(scope(['a@example.com'], ['g3']));
    expect(state.memberships).toEqual([{ kind: 'group', target: G('g3'), members: ['a@example.com'] }]);
    await h.provider.apply(change('revoke', 'a@example.com', group(G('g3'))));
    expect(h.server!.requests.filter((r) => r.path.includes('filter='))).toEqual([]);
    expect(h.server!.requests.every((r) => r.status < 400)).toBe(true);
  });

  it('refuses a target naming no declared connection, saying which are declared', async () => {
    const h = await harness();
    await expect(
      h.provider.read({ logins: new Set(), targets: [{ kind: 'group', target: 'slack/Eng' }] }),
    ).rejects.toThrow(
      /connection "slack", which policy\/jml.yaml providers.scim.connections does not declare \(declared: corp\)/,
    );
    await expect(
      h.provider.read({ logins: new Set(), targets: [{ kind: 'group', target: 'Eng' }] }),
    ).rejects.toThrow(/must name its connection: <connection>\/<group displayName>, like corp\/Eng/);
  });
});

describe('scim: writes', () => {
  it('creates the account with userName, emails, name and externalId = the hrId', async () => {
    const h = await harness();
    await h.seed({ users: {}, targets: {} });
    await h.provider.read(
      scope(['jo@example.com'], [], new Map([['jo@example.com', { name: 'Jo Joiner', hrId: 'BHR-1' }]])),
    );
    const out = await h.provider.apply(change('createUser', 'jo@example.com', { displayName: 'Jo Joiner' }));
    expect(out.status).toBe('applied');
    const made = h.fake.store.userByName('jo@example.com')!;
    expect(made).toMatchObject({
      userName: 'jo@example.com',
      externalId: 'BHR-1',
      active: true,
      name: { givenName: 'Jo', familyName: 'Joiner' },
      emails: [{ value: 'jo@example.com', type: 'work', primary: true }],
    });
    // Again: the app answers 409 uniqueness, which is the account already made.
    expect((await harness2(h)).status).toBe('unchanged');
  });

  it('a member already present is unchanged and nothing is written; a missing group is named', async () => {
    const h = await harness();
    await h.seed({
      users: { 'a@example.com': user() },
      targets: { [`group:${G('Eng')}`]: ['a@example.com'] },
    });
    await h.provider.read(scope(['a@example.com'], ['Eng']));
    const writes = () => h.server!.requests.filter((r) => r.method !== 'GET').length;
    expect((await h.provider.apply(change('grant', 'a@example.com', group(G('Eng'))))).status).toBe(
      'unchanged',
    );
    expect(writes()).toBe(0);
    expect((await h.provider.apply(change('revoke', 'a@example.com', group(G('Eng'))))).status).toBe(
      'applied',
    );
    expect((await h.provider.apply(change('revoke', 'a@example.com', group(G('Eng'))))).status).toBe(
      'unchanged',
    );
    expect(writes()).toBe(1);
    const missing = await h.provider.apply(change('grant', 'a@example.com', group(G('Nope'))));
    expect(missing).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('group corp/Nope not found on scim'),
    });
  });

  it('sends If-Match with the ETag it read, and reads again when the app answers 412', async () => {
    const h = await harness();
    await h.seed({ users: { 'a@example.com': user() }, targets: { [`group:${G('Eng')}`]: [] } });
    await h.provider.read(scope(['a@example.com'], ['Eng']));
    h.server!.inject({ kind: 'status', status: 412, method: 'PATCH', path: /Groups/, times: 1 });
    const out = await h.provider.apply(change('grant', 'a@example.com', group(G('Eng'))));
    expect(out.status).toBe('applied');
    expect(h.fake.conditionalWrites).toBeGreaterThan(0);
    const groupGets = h.server!.requests.filter((r) => r.method === 'GET' && /\/Groups\/[^?]+$/.test(r.path));
    expect(groupGets.length).toBe(2);
    expect((await h.state([`group:${G('Eng')}`])).targets[`group:${G('Eng')}`]).toEqual(['a@example.com']);
  });

  it('with patch: false, PUTs the whole resource and never PATCHes', async () => {
    const h = await harness({ quirks: { patch: false } });
    await h.seed({
      users: { 'a@example.com': user(), 'b@example.com': user() },
      targets: { [`group:${G('Eng')}`]: ['b@example.com'] },
    });
    await h.provider.read(scope(['a@example.com', 'b@example.com'], ['Eng']));
    expect((await h.provider.apply(change('grant', 'a@example.com', group(G('Eng'))))).status).toBe(
      'applied',
    );
    expect((await h.provider.apply(change('disableUser', 'b@example.com'))).status).toBe('applied');
    expect(h.server!.requests.filter((r) => r.method === 'PATCH')).toEqual([]);
    const s = await h.state([`group:${G('Eng')}`]);
    expect(s.targets[`group:${G('Eng')}`]).toEqual(['a@example.com', 'b@example.com']);
    expect(s.users['b@example.com']!.enabled).toBe(false);
  });

  it('with memberRemoval: valueArray, removes a member by value, never by a value filter path', async () => {
    const h = await harness({ quirks: { memberRemoval: 'valueArray' } });
    await h.seed({
      users: { 'a@example.com': user() },
      targets: { [`group:${G('Eng')}`]: ['a@example.com'] },
    });
    await h.provider.read(scope(['a@example.com'], ['Eng']));
    expect((await h.provider.apply(change('revoke', 'a@example.com', group(G('Eng'))))).status).toBe(
      'applied',
    );
    const patch = h.fake.bodies.find((b) => b.method === 'PATCH')!.body as { Operations: unknown[] };
    expect(patch.Operations).toEqual([
      { op: 'remove', path: 'members', value: [{ value: expect.any(String) }] },
    ]);
  });

  it("a leaver's disable deactivates, ends the app's sessions, and revokeSessions confirms it", async () => {
    const h = await harness();
    await h.seed({ users: { 'l@example.com': user(true, 2) }, targets: {} });
    await h.provider.read(scope(['l@example.com'], []));
    const leaver = { event: { kind: 'leaver' as const } };
    const early = await h.provider.apply(change('revokeSessions', 'l@example.com', leaver));
    expect(early).toMatchObject({ status: 'failed', error: expect.stringContaining('still active in corp') });
    const disabled = await h.provider.apply(change('disableUser', 'l@example.com', leaver));
    expect(disabled).toMatchObject({
      status: 'applied',
      steps: [{ step: 'disable-sign-in', status: 'applied' }],
    });
    const ended = await h.provider.apply(change('revokeSessions', 'l@example.com', leaver));
    expect(ended).toMatchObject({
      status: 'applied',
      steps: [{ step: 'revoke-sessions', status: 'applied' }],
    });
    expect((await h.state([])).users['l@example.com']).toMatchObject({ enabled: false, sessions: 0 });
    expect((await h.provider.apply(change('disableUser', 'l@example.com'))).status).toBe('unchanged');
    expect((await h.provider.apply(change('deleteUser', 'l@example.com'))).status).toBe('applied');
    expect((await h.provider.apply(change('deleteUser', 'l@example.com'))).status).toBe('unchanged');
    expect(h.fake.store.userByName('l@example.com')).toBeUndefined();
  });

  it('waits as long as a 429 Retry-After says, on the shared retry policy', async () => {
    let now = 1_000_000;
    const waits: number[] = [];
    const h = await harness({
      ctx: {
        retry: {
          now: () => now,
          sleep: async (ms) => {
            waits.push(ms);
            now += ms;
          },
        },
      },
    });
    await h.seed({ users: { 'a@example.com': user() }, targets: {} });
    h.server!.inject({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '7' },
      method: 'GET',
      times: 2,
    });
    await h.provider.read(scope(['a@example.com'], []));
    expect(waits).toEqual([7000, 7000]);
  });

  it('spaces requests under the declared requestsPerMinute', async () => {
    let now = 0;
    const h = await harness({
      requestsPerMinute: 60,
      ctx: {
        retry: {
          now: () => now,
          sleep: async (ms) => {
            now += ms;
          },
        },
      },
    });
    await h.seed({ users: { 'a@example.com': user() }, targets: { [`group:${G('Eng')}`]: [] } });
    await h.provider.read(scope(['a@example.com'], ['Eng']));
    // Three requests (users, the first group page) at one a second.
    expect(now).toBe((h.server!.requests.length - 1) * 1000);
  });
});

describe('scim: several apps', () => {
  it('one provider over two apps: accounts made by the first grant there, disabled everywhere', async () => {
    const [slack, zoom] = [await fake(), await fake()];
    const provider = createScimProvider(
      {
        connections: {
          slack: {
            baseUrl: slack.baseUrl,
            tokenEnv: 'SLACK_SCIM',
            quirks: { patch: true, filter: true, memberRemoval: 'valuePath' },
          },
          zoom: {
            baseUrl: zoom.baseUrl,
            tokenEnv: 'ZOOM_SCIM',
            quirks: { patch: false, filter: false, memberRemoval: 'valuePath' },
          },
        },
      },
      { env: { SLACK_SCIM: slack.token, ZOOM_SCIM: zoom.token } },
    );
    slack.store.addGroup('Eng', []);
    const targets = [
      { kind: 'group' as const, target: 'slack/Eng' },
      { kind: 'app' as const, target: 'zoom' },
    ];
    await provider.read({
      logins: new Set(['p@example.com']),
      targets,
      people: new Map([['p@example.com', { name: 'Pat Doe', hrId: 'H-9' }]]),
    });
    const create = await provider.apply(change('createUser', 'p@example.com', { displayName: 'Pat Doe' }));
    expect(create).toMatchObject({ status: 'applied', detail: expect.stringContaining('first grant') });
    expect(slack.store.users.size + zoom.store.users.size).toBe(0);
    expect((await provider.apply(change('grant', 'p@example.com', { target: targets[0]! }))).status).toBe(
      'applied',
    );
    expect(slack.store.userByName('p@example.com')).toMatchObject({ externalId: 'H-9', active: true });
    expect(zoom.store.userByName('p@example.com')).toBeUndefined();
    expect((await provider.apply(change('grant', 'p@example.com', { target: targets[1]! }))).status).toBe(
      'applied',
    );
    const state = await provider.read({ logins: new Set(['p@example.com']), targets });
    expect(state.users).toMatchObject([{ login: 'p@example.com', enabled: true }]);
    expect(state.memberships.map((m) => [m.target, m.members])).toEqual([
      ['zoom', ['p@example.com']],
      ['slack/Eng', ['p@example.com']],
    ]);
    const off = await provider.apply(change('disableUser', 'p@example.com'));
    expect(off).toMatchObject({ status: 'applied', detail: 'active: false in slack, zoom' });
    expect([
      slack.store.userByName('p@example.com')!.active,
      zoom.store.userByName('p@example.com')!.active,
    ]).toEqual([false, false]);
  });
});

describe('scim: refusals', () => {
  it('refuses a plain-http base URL off loopback, naming the connection', async () => {
    expect(() =>
      createScimProvider(
        {
          connections: {
            slack: {
              baseUrl: 'http://api.slack.example/scim/v2',
              tokenEnv: 'T',
              quirks: { patch: true, filter: true, memberRemoval: 'valuePath' },
            },
          },
        },
        { env: { T: 'x' } },
      ),
    ).toThrow(
      /scim slack: baseUrl http:\/\/api.slack.example\/scim\/v2 must use https: .*providers.scim.connections.slack.baseUrl/,
    );
  });

  it('a missing token names its variable and setting', () => {
    expect(() =>
      createScimProvider(
        {
          connections: {
            slack: {
              baseUrl: 'https://api.slack.example/scim/v2',
              tokenEnv: 'SLACK_SCIM_TOKEN',
              quirks: { patch: true, filter: true, memberRemoval: 'valuePath' },
            },
          },
        },
        { env: {} },
      ),
    ).toThrow(/SLACK_SCIM_TOKEN is not set \(policy\/jml.yaml providers.scim.connections.slack.tokenEnv\)/);
  });

  it('a refused token fails the read without the token in the message', async () => {
    const f = await fake();
    const provider = createScimProvider(
      {
        connections: {
          corp: {
            baseUrl: f.baseUrl,
            tokenEnv: 'T',
            quirks: { patch: true, filter: true, memberRemoval: 'valuePath' },
          },
        },
      },
      { env: { T: 'wrong-token-value-123456' } },
    );
    const err = await provider.read({ logins: new Set(), targets: [] }).catch((e: Error) => e);
    expect(String(err)).toMatch(/scim corp: listing users failed: HTTP 401/);
    expect(String(err)).not.toContain('wrong-token-value-123456');
  });

  it('policy/jml.yaml refuses a connection name that cannot prefix a target, and an empty list', () => {
    const base = {
      organisation: { name: 'T', domain: 'example.com' },
      timezone: 'UTC',
      teams: { hr: ['a.b'], security: ['a.b'] },
    };
    const bad = policySchema.safeParse({
      ...base,
      providers: {
        scim: { connections: { 'Slack/Prod': { baseUrl: 'https://x.example/scim', tokenEnv: 'T' } } },
      },
    });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain(
      'must be a short lower-case name like slack or github-emu',
    );
    const none = policySchema.safeParse({ ...base, providers: { scim: { connections: {} } } });
    expect(JSON.stringify(none.error?.issues)).toContain('declare at least one connection');
  });
});

/** The same createUser a second time, after the account exists: the app's 409 is `unchanged`. */
async function harness2(h: ScimHarness) {
  // A fresh connector, so that nothing it read says the account is there: it learns it from the 409.
  const again = createScimProvider(h.config, { env: h.env });
  return again.apply(change('createUser', 'jo@example.com', { displayName: 'Jo Joiner' }));
}
