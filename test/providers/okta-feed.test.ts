/**
 * Okta's change feed (src/providers/okta/feed.ts) against the Okta fake's searches and System
 * Log: a full read then reads since the checkpoint, each folded into the saved state and always
 * equal to what a full bulk read says; what an unchanged org costs; the feed's own "start over"
 * answers (a checkpoint beyond the log's retention, a service app without okta.logs.read, a
 * state it cannot read); paging; and the fake's own fidelity (the System Log's bounded and
 * polling queries, the filters it accepts and refuses, its retention, answers as Okta documents).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeedRead } from '../../src/providers/change-feed.js';
import { LOG_RETENTION_MS, OVERLAP_MS } from '../../src/providers/okta/feed.js';
import { oktaRateBucket } from '../../src/providers/okta/rate-limits.js';
import type { ProviderState } from '../fakes/harness.js';
import { createOktaHarness, type OktaHarness } from '../fakes/okta/harness.js';
import { documentedBucket, SYSTEM_LOG_RETENTION_MS } from '../fakes/okta/okta-fake.js';
import { OktaOpenApi } from '../fakes/okta/openapi-spec.js';
import { clearProxyEnv, feedScope, harnessPerTest, planned, readFeed } from './feed-helpers.js';

beforeAll(clearProxyEnv);

const START = Date.parse('2027-01-04T09:00:00.000Z');
const keep = harnessPerTest<OktaHarness>();
const clock = { now: START };

const SCOPE = feedScope([
  { kind: 'group', target: 'Engineering' },
  { kind: 'group', target: 'Finance' },
  { kind: 'app', target: 'Slack' },
]);

const BASE: ProviderState = {
  users: {
    'ada@example.com': { displayName: 'Ada Lovelace', enabled: true, sessions: 0 },
    'bob@example.com': { displayName: 'Bob Stone', enabled: true, sessions: 0 },
    'cy@example.com': { displayName: 'Cy Young', enabled: false, sessions: 0 },
  },
  targets: {
    'group:Engineering': ['ada@example.com'],
    'group:Finance': ['bob@example.com', 'cy@example.com'],
    'group:Unmanaged': ['ada@example.com'],
    'app:Slack': ['ada@example.com'],
  },
};

/**
 * An org seeded an hour before the first drift run. With `scopes`, the connector signs in as a
 * service app (private_key_jwt: the SDK signs its assertion on the real clock, so the test clock
 * starts at the real time); otherwise with an API token, on a fixed date.
 */
async function seeded(opts: { scopes?: string[]; skewMs?: number } = {}): Promise<OktaHarness> {
  clock.now = opts.scopes ? Date.now() - 3_600_000 : START;
  const h = keep(
    await createOktaHarness({
      now: () => clock.now,
      auth: opts.scopes ? 'private-key-jwt' : 'ssws',
      // The connector's clock may run apart from Okta's (skew); both are the test's.
      retry: { baseDelayMs: 5, maxDelayMs: 40, now: () => clock.now + (opts.skewMs ?? 0) },
      rateLimit: { perMinute: 1_000_000 },
      scopes: opts.scopes,
    }),
  );
  await h.seed(BASE, ['outsider@example.com']);
  clock.now += 3_600_000; // the org was set up an hour before the first drift run
  return h;
}

async function feed(x: OktaHarness, saved?: unknown): Promise<FeedRead> {
  return readFeed(x.provider, SCOPE, saved);
}

function apiCalls(x: OktaHarness, from: number): string[] {
  return x.fake.server.requests
    .slice(from)
    .filter((r) => !r.path.startsWith('/oauth2/'))
    .map((r) => `${r.method} ${r.path.split('?')[0]}`);
}

/** A later drift run: time passes, then the feed is read from the last checkpoint. */
async function later(x: OktaHarness, saved: unknown, minutes = 15): Promise<FeedRead> {
  clock.now += minutes * 60_000;
  return feed(x, saved);
}

async function expectEqualsFullRead(x: OktaHarness, r: FeedRead): Promise<void> {
  expect(planned(r.actual)).toEqual(planned(await x.provider.read(SCOPE)));
}

describe('Okta change feed', () => {
  it('reads in full without a checkpoint, and the state equals the bulk read', async () => {
    const x = await seeded();
    const first = await feed(x);
    expect(first).toMatchObject({ mode: 'full', reason: 'no-checkpoint' });
    await expectEqualsFullRead(x, first);
  });

  it('costs two searches, one System Log page and the app list when nothing changed', async () => {
    const x = await seeded();
    const first = await feed(x);
    const from = x.fake.server.requests.length;
    const again = await later(x, first.saved);
    expect(again).toMatchObject({ mode: 'incremental', changes: 0 });
    expect(apiCalls(x, from).sort()).toEqual([
      'GET /api/v1/apps',
      'GET /api/v1/groups',
      'GET /api/v1/logs',
      'GET /api/v1/users',
    ]);
    expect(again.actual).toEqual(first.actual);
  });

  it('folds every kind of out-of-band change into the saved state', async () => {
    const x = await seeded();
    let saved = (await feed(x)).saved;
    const f = x.fake;
    clock.now += 60_000;
    f.consoleSetMember('Engineering', 'bob@example.com', true); // added behind the engine's back
    f.consoleSetMember('Finance', 'bob@example.com', false); // removed
    f.consoleLifecycle('ada@example.com', 'suspend'); // disabled
    f.consoleRenameUser('cy@example.com', 'Cyrus Young'); // renamed
    f.consoleCreateUser('eve@example.com', 'Eve Adams'); // new, then given a group and the app
    f.consoleSetMember('Engineering', 'eve@example.com', true);
    f.consoleAssignApp('Slack', 'eve@example.com', true);
    let r = await later(x, saved);
    expect(r.mode).toBe('incremental');
    expect(r.mode === 'incremental' && r.changes).toBeGreaterThanOrEqual(6);
    await expectEqualsFullRead(x, r);
    saved = r.saved;

    // A managed group renamed away and another renamed into its name; a user deleted for good.
    f.consoleRenameGroup('Finance', 'Finance (old)');
    f.consoleRenameGroup('Unmanaged', 'Finance');
    f.consoleDeleteUser('bob@example.com');
    f.consoleAssignApp('Slack', 'ada@example.com', false);
    r = await later(x, saved);
    expect(r.mode).toBe('incremental');
    await expectEqualsFullRead(x, r);
    saved = r.saved;

    // A managed group deleted, then created again under its name; a deactivated app member.
    f.consoleDeleteGroup('Engineering');
    r = await later(x, saved);
    expect(r.actual.memberships.map((m) => m.target)).toEqual(['Finance', 'Slack']);
    await expectEqualsFullRead(x, r);
    f.consoleCreateGroup('Engineering');
    f.consoleSetMember('Engineering', 'cy@example.com', true);
    f.consoleLifecycle('eve@example.com', 'deactivate');
    r = await later(x, r.saved);
    await expectEqualsFullRead(x, r);
    // Reactivated: Okta took the app away at the deactivation, and the fold did too.
    f.consoleLifecycle('eve@example.com', 'activate');
    r = await later(x, r.saved);
    expect(r.actual.memberships.find((m) => m.target === 'Slack')!.members).toEqual([]);
    await expectEqualsFullRead(x, r);
  });

  it('catches a change made during the last read: the window overlaps the checkpoint', async () => {
    const x = await seeded();
    const first = await feed(x);
    // The same instant as the checkpoint: after the read in Okta's order of things.
    x.fake.consoleSetMember('Engineering', 'cy@example.com', true);
    const r = await feed(x, first.saved);
    expect(r.actual.memberships.find((m) => m.target === 'Engineering')!.members).toContain('cy@example.com');
  });

  it('agrees with a full read when the runner clock is ahead of Okta by less than the overlap', async () => {
    const x = await seeded({ skewMs: OVERLAP_MS - 60_000 });
    const first = await feed(x);
    clock.now += 60_000;
    x.fake.consoleSetMember('Finance', 'ada@example.com', true);
    x.fake.consoleLifecycle('bob@example.com', 'suspend');
    const r = await feed(x, first.saved);
    expect(r.mode).toBe('incremental');
    await expectEqualsFullRead(x, r);
  });

  it('reads again the members of a group read too soon after its last change', async () => {
    const x = await seeded();
    x.fake.membershipLag = { ms: 0, reads: 1 }; // the next member read still shows the old members
    const first = await feed(x);
    x.fake.consoleSetMember('Engineering', 'cy@example.com', true);
    const stale = await later(x, first.saved, 1);
    expect(stale.actual.memberships.find((m) => m.target === 'Engineering')!.members).not.toContain(
      'cy@example.com',
    );
    const r = await later(x, stale.saved);
    expect(r.actual.memberships.find((m) => m.target === 'Engineering')!.members).toContain('cy@example.com');
  });

  it('starts over with a full read when the checkpoint is older than the System Log keeps', async () => {
    const x = await seeded();
    const first = await feed(x);
    // A managed group deleted 91 days ago: its event is gone from the log.
    x.fake.consoleDeleteGroup('Finance');
    clock.now += 91 * 24 * 3_600_000;
    const r = await feed(x, first.saved);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-restart' });
    expect(r.actual.memberships.map((m) => m.target)).toEqual(['Engineering', 'Slack']);
    await expectEqualsFullRead(x, r);
    expect(LOG_RETENTION_MS).toBe(SYSTEM_LOG_RETENTION_MS);
  });

  it('reads in full when the service app may not read the System Log (okta.logs.read)', async () => {
    const x = await seeded({ scopes: ['okta.users.manage', 'okta.groups.manage', 'okta.apps.manage'] });
    const first = await feed(x);
    const r = await later(x, first.saved);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-refused' });
    await expectEqualsFullRead(x, r);
  });

  it('reads in full a saved state it does not understand, never trusting it', async () => {
    const x = await seeded();
    const first = await feed(x);
    const forged = { ...(first.saved as object), feed: 'okta-feed/v0' };
    expect(await feed(x, forged)).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
    expect(await feed(x, 'not a state')).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
    const future = { ...(first.saved as object), checkpoint: new Date(clock.now + 86_400_000).toISOString() };
    expect(await feed(x, future)).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
  });

  it('pages the searches, the members and the System Log', async () => {
    const x = await seeded();
    const first = await feed(x);
    const logins = Array.from({ length: 1_234 }, (_, i) => `p${i}@example.com`);
    for (const l of logins) {
      x.fake.consoleCreateUser(l);
      x.fake.consoleSetMember('Engineering', l, true);
    }
    const from = x.fake.server.requests.length;
    const r = await later(x, first.saved);
    const calls = apiCalls(x, from);
    expect(calls.filter((c) => c === 'GET /api/v1/logs').length).toBeGreaterThan(3); // 3,702 events
    expect(calls.filter((c) => c === 'GET /api/v1/users').length).toBeGreaterThan(6); // 200 a page
    expect(r.actual.memberships.find((m) => m.target === 'Engineering')!.members).toHaveLength(1_235);
    await expectEqualsFullRead(x, r);
  });

  it('files the System Log under a rate-limit bucket of its own, as Okta does', () => {
    expect(oktaRateBucket('GET', 'https://x/api/v1/logs')).toBe('logs');
    expect(documentedBucket('GET', '/api/v1/logs?since=x').name).toBe('/api/v1/logs');
    expect(oktaRateBucket('GET', 'https://x/api/v1/groups/00g1')).toBe('group-by-id');
  });
});

describe('the Okta fake holds the System Log and the searches to what Okta documents', () => {
  const spec = new OktaOpenApi();

  async function get(x: OktaHarness, path: string) {
    const res = await fetch(`${x.fake.url}${path}`, {
      headers: { authorization: 'SSWS fidelity', accept: 'application/json' },
    });
    return { status: res.status, link: res.headers.get('link') ?? '', body: (await res.json()) as unknown };
  }

  async function withLog(): Promise<OktaHarness> {
    const x = await seeded();
    x.fake.addApiToken('fidelity');
    x.fake.consoleSetMember('Engineering', 'cy@example.com', true);
    x.fake.consoleDeleteGroup('Finance');
    x.fake.consoleLifecycle('ada@example.com', 'suspend');
    clock.now += 1_000;
    return x;
  }

  const q = (params: Record<string, string>) => `/api/v1/logs?${new URLSearchParams(params).toString()}`;

  it("answers events shaped as Okta's LogEvent, and group searches by instant", async () => {
    const x = await withLog();
    const r = await get(x, q({ since: new Date(START).toISOString() }));
    expect(r.status).toBe(200);
    expect(spec.validate('GET', '/api/v1/logs', 200, r.body)).toEqual([]);
    expect((r.body as { eventType: string }[]).map((e) => e.eventType)).toEqual([
      'group.user_membership.add',
      'group.lifecycle.delete',
      'user.lifecycle.suspend',
    ]);
    const since = new Date(clock.now - 2_000).toISOString();
    const g = await get(
      x,
      `/api/v1/groups?search=${encodeURIComponent(`lastMembershipUpdated gt "${since}"`)}`,
    );
    expect((g.body as { profile: { name: string } }[]).map((x) => x.profile.name)).toEqual(['Engineering']);
  });

  it('ends a bounded query with no next link, and always links the next page of a polling one', async () => {
    const x = await withLog();
    const since = new Date(START).toISOString();
    const until = new Date(clock.now + 1).toISOString();
    const bounded = await get(x, q({ since, until, limit: '2' }));
    expect(bounded.link).toMatch(/rel="next"/);
    const next = /<([^>]+)>; rel="next"/.exec(bounded.link)![1]!;
    const rest = await get(x, next.slice(x.fake.url.length));
    expect((rest.body as unknown[]).length).toBe(1);
    expect(rest.link).not.toMatch(/rel="next"/);
    const polling = await get(x, q({ since }));
    expect(polling.link).toMatch(/rel="next"/);
    const after = /<([^>]+)>; rel="next"/.exec(polling.link)![1]!;
    const empty = await get(x, after.slice(x.fake.url.length));
    expect(empty.body).toEqual([]);
    expect(empty.link).toMatch(/rel="next"/);
  });

  it('filters on eventType and target, any element of the target array', async () => {
    const x = await withLog();
    const finance = x.fake.systemLog().find((e) => e.eventType === 'group.lifecycle.delete')!.target![0]!.id;
    const r = await get(
      x,
      q({
        since: new Date(START).toISOString(),
        filter: `eventType eq "group.lifecycle.delete" and target.id eq "${finance}"`,
      }),
    );
    expect((r.body as unknown[]).length).toBe(1);
  });

  it('refuses what it does not implement, loudly', async () => {
    const x = await withLog();
    expect((await get(x, q({ q: 'bob' }))).status).toBe(400);
    expect((await get(x, q({ limit: '1001' }))).status).toBe(400);
    expect((await get(x, q({ since: 'yesterday' }))).status).toBe(400);
    expect((await get(x, q({ filter: 'displayMessage eq "x"' }))).status).toBe(400);
    const users = await get(x, `/api/v1/users?search=${encodeURIComponent('profile.login gt "a"')}`);
    expect(users.status).toBe(400);
    const loose = await get(x, `/api/v1/users?search=${encodeURIComponent('lastUpdated gt "2027-01-01"')}`);
    expect(loose.status).toBe(400);
  });

  it('keeps 90 days of events: older ones are not returned, whatever since says', async () => {
    const x = await withLog();
    clock.now += SYSTEM_LOG_RETENTION_MS + 60_000;
    const r = await get(x, q({ since: new Date(START).toISOString() }));
    expect(r.status).toBe(200);
    expect(r.body).toEqual([]);
  });
});
