/**
 * Google's change feed (src/providers/google/feed.ts) against the fake's admin audit log: a full
 * read, then reads of the events since the checkpoint, each folded into the saved state and always
 * equal to what a full bulk read says; what an unchanged tenant costs; the reporting lag and the
 * overlap; the answers that make the connector start over (a checkpoint older than the log keeps,
 * a start time Google refuses, a restored account); a feed the delegation or the admin role does
 * not open; paging; and the fake's own fidelity to the Reports API reference.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActualState } from '../../src/model/state.js';
import type { Change } from '../../src/plan/plan-types.js';
import type { FeedRead } from '../../src/providers/change-feed.js';
import { REPORTING_MARGIN_MS, REPORTS_RETENTION_MS } from '../../src/providers/google/feed.js';
import {
  DELEGATED_SCOPES,
  googleError,
  REPORTS_PARAMS,
  REPORTS_SCOPE,
  REPORTS_UNIMPLEMENTED,
} from '../fakes/google/google-fake.js';
import { createGoogleHarness, type GoogleHarness } from '../fakes/google/harness.js';
import { clearProxyEnv, feedScope, harnessPerTest, planned, readFeed } from './feed-helpers.js';

beforeAll(clearProxyEnv);

const FAST = { baseDelayMs: 5, maxDelayMs: 40 };
/**
 * The fake's clock (Google's) starts at the real time and moves by minutes only: the connector
 * signs its delegation assertions with the real clock, and Google refuses one more than an hour
 * away from its own. Longer spans are tested with checkpoints and events dated in the past.
 */
let START = Date.now();
const REPORTS = 'GET /admin/reports/v1/activity/users/all/applications/admin';
const keep = harnessPerTest<GoogleHarness>();
let clock = START;
let logged: string[] = [];

const SCOPE = feedScope([
  { kind: 'group', target: 'eng@example.com' },
  { kind: 'group', target: 'fin@example.com' },
  { kind: 'group', target: 'ops@example.com' },
  { kind: 'license', target: 'Google-Apps/1010020028' },
]);

async function seeded(opts: { delegatedScopes?: string[] } = {}): Promise<GoogleHarness> {
  START = Math.floor(Date.now() / 1000) * 1000;
  clock = START;
  logged = [];
  const h = keep(
    await createGoogleHarness({
      fake: {
        now: () => clock,
        delegatedScopes: opts.delegatedScopes ?? [...DELEGATED_SCOPES, REPORTS_SCOPE],
      },
      ctx: { retry: { ...FAST, now: () => clock }, log: (l) => logged.push(l) },
    }),
  );
  await h.seed(
    {
      users: {
        'ada@example.com': { displayName: 'Ada Lovelace', enabled: true, sessions: 0 },
        'bob@example.com': { displayName: 'Bob Smith', enabled: true, sessions: 0 },
        'cy@example.com': { displayName: 'Cy Young', enabled: false, sessions: 0 },
      },
      targets: {
        'group:eng@example.com': ['ada@example.com'],
        'group:fin@example.com': ['bob@example.com', 'cy@example.com'],
        'group:other@example.com': ['ada@example.com'],
        'license:Google-Apps/1010020028': ['ada@example.com'],
      },
    },
    ['outsider@example.com'],
  );
  return h;
}

async function feed(x: GoogleHarness, saved?: unknown): Promise<FeedRead> {
  return readFeed(x.provider, SCOPE, saved);
}

async function fullRead(x: GoogleHarness): Promise<ActualState> {
  return planned(await x.provider.read(SCOPE));
}

function apiCalls(x: GoogleHarness, from: number): string[] {
  return x.fake.server.requests
    .slice(from)
    .filter((r) => /^\/(admin|apps)\//.test(r.path))
    .map((r) => `${r.method} ${decodeURIComponent(r.path.split('?')[0]!)}`);
}

/** Minutes pass: the next run of the drift check. */
function later(minutes = 3): void {
  clock += minutes * 60_000;
}

describe('Google: the admin audit log as a change feed', () => {
  it('reads in full without a checkpoint (one Reports call for the checkpoint), equal to the bulk read', async () => {
    const x = await seeded();
    const from = x.fake.server.requests.length;
    const first = await feed(x);
    expect(first).toMatchObject({ mode: 'full', reason: 'no-checkpoint' });
    expect(apiCalls(x, from)[0]).toBe(REPORTS);
    expect(planned(first.actual)).toEqual(await fullRead(x));
  });

  it('costs one call (plus the license holders) when nothing changed', async () => {
    const x = await seeded();
    const first = await feed(x);
    later();
    const from = x.fake.server.requests.length;
    const again = await feed(x, first.saved);
    expect(again).toMatchObject({ mode: 'incremental', changes: 0 });
    expect(apiCalls(x, from)).toEqual([
      REPORTS,
      'GET /apps/licensing/v1/product/Google-Apps/sku/1010020028/users',
    ]);
    expect(again.actual).toEqual(first.actual);
  });

  it('folds every kind of out-of-band change into the saved state', async () => {
    const x = await seeded();
    const f = x.fake;
    let saved = (await feed(x)).saved;
    const step = async (what: string, change: () => void | Promise<void>) => {
      later();
      await change();
      const r = await feed(x, saved);
      expect(r.mode, what).toBe('incremental');
      expect(planned(r.actual), what).toEqual(await fullRead(x));
      saved = r.saved;
      return r;
    };
    await step('a member added and another removed', () => {
      f.consoleAddMember('eng@example.com', 'bob@example.com');
      f.consoleRemoveMember('fin@example.com', 'cy@example.com');
    });
    await step('an account suspended, another restored, one renamed', () => {
      f.consoleSuspend('ada@example.com', true);
      f.consoleSuspend('cy@example.com', false);
      f.consoleSetName('bob@example.com', 'Robert Smith');
    });
    await step('a new account, then added to a managed group', () => {
      f.consoleCreateUser('eve@example.com', 'Eve Adams');
      f.consoleAddMember('fin@example.com', 'eve@example.com');
    });
    await step('an account given a new address (its groups follow it)', () => {
      f.consoleRename('bob@example.com', 'robert@example.com');
    });
    await step('an account deleted: it leaves its groups without an event for each', () => {
      f.consoleDeleteUser('robert@example.com');
    });
    await step('an account deleted and created again under the same address, in no group', () => {
      f.consoleDeleteUser('eve@example.com');
      f.consoleCreateUser('eve@example.com', 'Eve Again');
    });
    await step('a managed group created, another deleted', () => {
      f.consoleCreateGroup('ops@example.com', ['ada@example.com', 'outsider@example.com']);
      f.consoleDeleteGroup('eng@example.com');
    });
    await step('an unmanaged group given a managed address', () => {
      f.consoleChangeGroupEmail('other@example.com', 'eng@example.com');
    });
    await step('a license assigned (licenses are read again every time)', () => {
      f.consoleLicense('Google-Apps/1010020028', 'cy@example.com', true);
    });
    const r = await step("the connector's own writes are in the log too", async () => {
      const grant: Change = {
        id: 'google/cy@example.com/grant',
        action: 'grant',
        provider: 'google',
        login: 'cy@example.com',
        person: 'cy',
        event: { kind: 'joiner' },
        because: ['test'],
        target: { kind: 'group', target: 'ops@example.com' },
      };
      expect((await x.provider.apply(grant)).status).toBe('applied');
    });
    expect(r.mode === 'incremental' && r.changes).toBe(1);
  });

  it('reads a changed object once: the overlap lists the event again, the fold skips it', async () => {
    const x = await seeded();
    const first = await feed(x);
    later();
    x.fake.consoleAddMember('eng@example.com', 'bob@example.com');
    const once = await feed(x, first.saved);
    expect(once).toMatchObject({ mode: 'incremental', changes: 1 });
    later();
    const from = x.fake.server.requests.length;
    const twice = await feed(x, once.saved);
    expect(twice).toMatchObject({ mode: 'incremental', changes: 0 });
    expect(apiCalls(x, from).filter((c) => c.includes('/directory/'))).toEqual([]);
    expect(planned(twice.actual)).toEqual(await fullRead(x));
  });

  it('folds an event that appears late (the reporting lag) when it appears, within the margin', async () => {
    const x = await seeded();
    let saved = (await feed(x)).saved;
    x.fake.setReportingLag(20 * 60_000);
    later(1);
    x.fake.consoleRemoveMember('fin@example.com', 'bob@example.com');
    later(2);
    const early = await feed(x, saved);
    // Not listed yet: the state is the one before, as Google's own log says.
    expect(early.actual.memberships.find((m) => m.target === 'fin@example.com')?.members).toContain(
      'bob@example.com',
    );
    saved = early.saved;
    later(25);
    const late = await feed(x, saved);
    expect(late).toMatchObject({ mode: 'incremental', changes: 1 });
    expect(planned(late.actual)).toEqual(await fullRead(x));
    expect(REPORTING_MARGIN_MS).toBeGreaterThan(20 * 60_000);
  });

  it('pages through a busy log, 1,000 activities a page', async () => {
    const x = await seeded();
    const first = await feed(x);
    later();
    for (let i = 0; i < 1_200; i++) {
      x.fake.consoleAddMember('eng@example.com', 'cy@example.com');
      x.fake.consoleRemoveMember('eng@example.com', 'cy@example.com');
    }
    x.fake.consoleAddMember('fin@example.com', 'ada@example.com');
    const from = x.fake.server.requests.length;
    const r = await feed(x, first.saved);
    expect(apiCalls(x, from).filter((c) => c === REPORTS)).toHaveLength(3);
    expect(r).toMatchObject({ mode: 'incremental', changes: 2_401 });
    expect(planned(r.actual)).toEqual(await fullRead(x));
  });
});

describe('Google: when the feed says start over, or is not open', () => {
  it('starts over when the checkpoint is older than the 180 days the log keeps', async () => {
    const x = await seeded();
    const first = await feed(x);
    x.fake.consoleAddMember('eng@example.com', 'cy@example.com');
    const old = {
      ...(first.saved as object),
      checkpoint: new Date(START - REPORTS_RETENTION_MS).toISOString(),
    };
    const r = await feed(x, old);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-restart' });
    expect(planned(r.actual)).toEqual(await fullRead(x));
    later();
    expect((await feed(x, r.saved)).mode).toBe('incremental');
  });

  it('starts over when Google refuses the start time (a checkpoint from the future)', async () => {
    const x = await seeded();
    const first = await feed(x);
    const forged = {
      ...(first.saved as object),
      checkpoint: new Date(START + 3 * REPORTING_MARGIN_MS).toISOString(),
    };
    const r = await feed(x, forged);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-restart' });
    expect(logged.join('\n')).toMatch(/refused the checkpoint/);
  });

  it('reads in full when an account is restored (its groups may come back without an event)', async () => {
    const x = await seeded();
    x.fake.consoleDeleteUser('bob@example.com');
    const first = await feed(x);
    later();
    x.fake.consoleUndeleteUser('bob@example.com');
    const r = await feed(x, first.saved);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-restart' });
    expect(planned(r.actual)).toEqual(await fullRead(x));
  });

  it('reads in full, saying which scope to grant, when the delegation does not grant the Reports scope', async () => {
    const x = await seeded({ delegatedScopes: DELEGATED_SCOPES });
    const first = await feed(x);
    expect(first).toMatchObject({ mode: 'full', reason: 'feed-refused' });
    expect(planned(first.actual)).toEqual(await fullRead(x));
    expect(logged.join('\n')).toContain(REPORTS_SCOPE);
    later();
    // Every run asks again (the grant may have been added since), and reads in full meanwhile.
    expect(await feed(x, first.saved)).toMatchObject({ mode: 'full', reason: 'feed-refused' });
  });

  it('reads in full when the Reports API answers 403 (the admin role lacks the Reports privilege)', async () => {
    const x = await seeded();
    const first = await feed(x);
    later();
    x.fake.server.inject({
      kind: 'status',
      ...googleError(403, 'forbidden', 'Not Authorized to access this resource/api', 'PERMISSION_DENIED'),
      path: /\/admin\/reports\//,
      times: 1,
    } as never);
    const r = await feed(x, first.saved);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-refused' });
    expect(logged.join('\n')).toMatch(/refused the change feed/);
    expect(planned(r.actual)).toEqual(await fullRead(x));
  });

  it('reads in full a saved state it does not understand, never trusting it', async () => {
    const x = await seeded();
    const first = await feed(x);
    const forged = { ...(first.saved as object), feed: 'google-reports/v0' };
    expect(await feed(x, forged)).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
    expect(await feed(x, 'not a state')).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
    const other = { ...(first.saved as { targets: object }), targets: {} };
    expect(await feed(x, other)).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
  });
});

describe("the Google fake's activities.list holds to the Reports API reference", () => {
  async function get(x: GoogleHarness, query: string): Promise<{ status: number; body: unknown }> {
    const token = await bearer(x);
    const res = await fetch(`${x.fake.url}/admin/reports/v1/activity/users/${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: await res.json() };
  }

  /** A delegated token for the Reports scope, through the connector's own credentials path. */
  async function bearer(x: GoogleHarness): Promise<string> {
    const { createGoogleAuth } = await import('../../src/providers/google/auth.js');
    const auth = createGoogleAuth(x.config, { env: { JML_GOOGLE_TEST_CREDENTIALS: x.keyFile } }, [
      REPORTS_SCOPE,
    ]);
    return (await auth.getAccessToken()).token!;
  }

  it('knows only query options activities.list defines (as @googleapis/admin declares them)', () => {
    const dts = readFileSync(
      path.join(
        path.dirname(createRequire(import.meta.url).resolve('@googleapis/admin/package.json')),
        'build/reports_v1.d.ts',
      ),
      'utf8',
    );
    const body = /interface Params\$Resource\$Activities\$List[^{]*\{([\s\S]*?)\n {4}\}/.exec(dts)![1]!;
    const declared = new Set([...body.matchAll(/^\s+(\w+)\?: /gm)].map((m) => m[1]));
    expect(declared.size).toBeGreaterThan(10);
    for (const p of [...REPORTS_PARAMS, ...REPORTS_UNIMPLEMENTED, 'userKey', 'applicationName']) {
      expect(declared, p).toContain(p);
    }
  });

  it('refuses what it does not implement, loudly: filters, another user or application', async () => {
    const x = await seeded();
    for (const q of [
      'all/applications/admin?filters=USER_EMAIL==a',
      'ada@example.com/applications/admin',
      'all/applications/login',
    ]) {
      const r = await get(x, q);
      expect(r.status, q).toBe(400);
      expect(JSON.stringify(r.body), q).toMatch(/not implemented/);
    }
    expect((await get(x, 'all/applications/admin?maxResults=1001')).status).toBe(400);
    expect((await get(x, 'all/applications/admin?startTime=yesterday')).status).toBe(400);
  });

  it('refuses a start time after now, and answers the last 180 days for an older one', async () => {
    const x = await seeded();
    x.fake.consoleAddMember('eng@example.com', 'bob@example.com');
    const future = new Date(START + 60_000).toISOString();
    expect((await get(x, `all/applications/admin?startTime=${future}`)).status).toBe(400);
    // An event from before the 180 days, and the one just made: only the latter is listed.
    x.fake.auditLog.unshift({
      ...x.fake.auditLog[0]!,
      time: START - REPORTS_RETENTION_MS - 60_000,
      visibleAt: START - REPORTS_RETENTION_MS,
      uniqueQualifier: '-1',
      parameters: { USER_EMAIL: 'cy@example.com', GROUP_EMAIL: 'eng@example.com' },
    });
    later(2);
    const old = new Date(START - REPORTS_RETENTION_MS - 86_400_000).toISOString();
    const r = await get(x, `all/applications/admin?startTime=${old}`);
    expect(r.status).toBe(200);
    const items = (r.body as { items: { events: { parameters: { value: string }[] }[] }[] }).items;
    expect(items).toHaveLength(1);
    expect(JSON.stringify(items[0])).toContain('bob@example.com');
  });

  it('pages newest first, and a page token keeps the first page’s view', async () => {
    const x = await seeded();
    for (let i = 0; i < 3; i++) {
      later(1);
      x.fake.consoleSuspend('ada@example.com', i % 2 === 0);
    }
    const first = await get(x, 'all/applications/admin?maxResults=2');
    const page = first.body as { items: { id: { time: string } }[]; nextPageToken: string };
    expect(page.items.map((i) => i.id.time)).toEqual([
      new Date(START + 180_000).toISOString(),
      new Date(START + 120_000).toISOString(),
    ]);
    later(1);
    x.fake.consoleSuspend('bob@example.com', true);
    const second = await get(x, `all/applications/admin?maxResults=2&pageToken=${page.nextPageToken}`);
    const rest = second.body as { items: { id: { time: string } }[]; nextPageToken?: string };
    expect(rest.items.map((i) => i.id.time)).toEqual([new Date(START + 60_000).toISOString()]);
    expect(rest.nextPageToken).toBeUndefined();
  });
});
