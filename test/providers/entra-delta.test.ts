/**
 * Entra's change feed (src/providers/entra/delta.ts) against the Graph fake's delta queries: a
 * full round then rounds from the delta link, each folded into the saved state and always equal
 * to what a full bulk read says; what an unchanged tenant costs; expired and reset links that
 * make the connector start over; a saved state it cannot read; and the fake's own fidelity
 * (paging, repeated groups, the query options it refuses).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeedRead } from '../../src/providers/change-feed.js';
import { DELTA_LINK_LIFETIME_MS } from '../fakes/entra/graph-fake.js';
import { createEntraHarness, type EntraHarness } from '../fakes/entra/harness.js';
import { clearProxyEnv, feedScope, harnessPerTest, planned, readFeed } from './feed-helpers.js';

beforeAll(clearProxyEnv);

const FAST = { baseDelayMs: 5, maxDelayMs: 40 };
const keep = harnessPerTest<EntraHarness>();
let clock = Date.parse('2027-01-04T09:00:00Z');

const SCOPE = feedScope([
  { kind: 'group', target: 'Engineering' },
  { kind: 'group', target: 'Finance' },
  { kind: 'license', target: 'SPE_E3' },
]);

async function seeded(): Promise<EntraHarness> {
  clock = Date.parse('2027-01-04T09:00:00Z');
  const h = keep(await createEntraHarness({ fake: { now: () => clock }, context: { retry: FAST } }));
  await h.seed(
    {
      users: {
        'ada@example.com': { displayName: 'Ada', enabled: true, sessions: 0 },
        'bob@example.com': { displayName: 'Bob', enabled: true, sessions: 0 },
        'cy@example.com': { displayName: 'Cy', enabled: false, sessions: 0 },
      },
      targets: {
        'group:Engineering': ['ada@example.com'],
        'group:Finance': ['bob@example.com', 'cy@example.com'],
        'group:Unmanaged': ['ada@example.com'],
        'license:SPE_E3': ['ada@example.com'],
      },
    },
    ['outsider@example.com'],
  );
  return h;
}

async function feed(x: EntraHarness, saved?: unknown): Promise<FeedRead> {
  return readFeed(x.provider, SCOPE, saved);
}

function apiCalls(x: EntraHarness, from: number): string[] {
  return x.server.requests
    .slice(from)
    .filter((r) => r.path.startsWith('/v1.0/'))
    .map((r) => `${r.method} ${r.path.split('?')[0]}`);
}

describe('Entra delta queries', () => {
  it('reads in full without a checkpoint, and the state equals the bulk read', async () => {
    const x = await seeded();
    const first = await feed(x);
    expect(first.mode).toBe('full');
    expect(first.mode === 'full' && first.reason).toBe('no-checkpoint');
    expect(planned(first.actual)).toEqual(planned(await x.provider.read(SCOPE)));
  });

  it('costs two delta calls and the SKU list when nothing changed', async () => {
    const x = await seeded();
    const first = await feed(x);
    const from = x.server.requests.length;
    const again = await feed(x, first.saved);
    expect(again).toMatchObject({ mode: 'incremental', changes: 0 });
    expect(apiCalls(x, from)).toEqual([
      'GET /v1.0/users/delta',
      'GET /v1.0/groups/delta',
      'GET /v1.0/subscribedSkus',
    ]);
    expect(again.actual).toEqual(first.actual);
  });

  it('folds every kind of out-of-band change into the saved state', async () => {
    const x = await seeded();
    let saved = (await feed(x)).saved;
    const f = x.fake;
    const eng = f.groupByName('Engineering')!;
    const fin = f.groupByName('Finance')!;
    const bob = f.userByKey('bob@example.com')!;
    eng.memberIds.add(bob.id); // added behind the engine's back
    fin.memberIds.delete(bob.id); // removed
    f.userByKey('ada@example.com')!.accountEnabled = false; // disabled
    f.userByKey('cy@example.com')!.displayName = 'Cyrus'; // renamed
    f.addUser('eve@example.com'); // new, then added to a managed group
    eng.memberIds.add(f.userByKey('eve@example.com')!.id);
    const sku = f.skus.find((s) => s.skuPartNumber === 'SPE_E3')!;
    bob.assignedLicenses!.push({ skuId: sku.skuId!, disabledPlans: [] });
    let r = await feed(x, saved);
    expect(r.mode).toBe('incremental');
    expect(planned(r.actual)).toEqual(planned(await x.provider.read(SCOPE)));
    saved = r.saved;

    // A managed group renamed away and another renamed into its name; a user deleted.
    f.groupByName('Finance')!.displayName = 'Finance (old)';
    f.groupByName('Unmanaged')!.displayName = 'Finance';
    f.users.delete(bob.id);
    for (const g of f.groups.values()) g.memberIds.delete(bob.id);
    r = await feed(x, saved);
    expect(r.mode).toBe('incremental');
    expect(planned(r.actual)).toEqual(planned(await x.provider.read(SCOPE)));
    saved = r.saved;

    // A managed group deleted.
    f.groups.delete(eng.id);
    r = await feed(x, saved);
    expect(r.actual.memberships.map((m) => m.target)).toEqual(['Finance', 'SPE_E3']);
    expect(planned(r.actual)).toEqual(planned(await x.provider.read(SCOPE)));
  });

  it('starts over with a full read when the delta link has expired (syncStateNotFound)', async () => {
    const x = await seeded();
    const first = await feed(x);
    clock += DELTA_LINK_LIFETIME_MS + 60_000;
    x.fake.groupByName('Engineering')!.memberIds.add(x.fake.userByKey('cy@example.com')!.id);
    const r = await feed(x, first.saved);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-restart' });
    expect(x.fake.deltaLog.filter((l) => l.kind === 'refused')).toHaveLength(1);
    expect(planned(r.actual)).toEqual(planned(await x.provider.read(SCOPE)));
    // The fresh link works.
    expect((await feed(x, r.saved)).mode).toBe('incremental');
  });

  it('starts over with a full read when Graph answers 410 Gone', async () => {
    const x = await seeded();
    const first = await feed(x);
    x.fake.resetDeltaState();
    const r = await feed(x, first.saved);
    expect(r).toMatchObject({ mode: 'full', reason: 'feed-restart' });
  });

  it('reads in full a saved state it does not understand, never trusting it', async () => {
    const x = await seeded();
    const first = await feed(x);
    const forged = { ...(first.saved as object), feed: 'entra-delta/v0' };
    expect(await feed(x, forged)).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
    expect(await feed(x, 'not a state')).toMatchObject({ mode: 'full', reason: 'unreadable-checkpoint' });
  });

  it('pages large rounds and adds up a group that comes back with the rest of its members', async () => {
    const x = await seeded();
    const logins = Array.from({ length: 1_234 }, (_, i) => `p${i}@example.com`);
    for (const l of logins) x.fake.addUser(l);
    const eng = x.fake.groupByName('Engineering')!;
    for (const l of logins) eng.memberIds.add(x.fake.userByKey(l)!.id);
    const first = await feed(x);
    expect(x.fake.deltaLog.filter((l) => l.kind === 'next').length).toBeGreaterThan(10);
    expect(first.actual.memberships.find((m) => m.target === 'Engineering')!.members).toHaveLength(1_235);
    expect(planned(first.actual)).toEqual(planned(await x.provider.read(SCOPE)));
  });
});

describe('the Graph fake holds delta queries to what Graph documents', () => {
  async function get(x: EntraHarness, path: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${x.fake.url}${path}`, {
      headers: { authorization: `Bearer ${await bearer(x)}` },
    });
    return { status: res.status, body: await res.json() };
  }

  async function bearer(x: EntraHarness): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: x.fake.clientId,
      client_secret: x.fake.clientSecret,
      scope: `${x.fake.url}/.default`,
    });
    const res = await fetch(`${x.fake.url}/${x.fake.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      body: form,
    });
    return ((await res.json()) as { access_token: string }).access_token;
  }

  it('refuses query options it does not understand, loudly', async () => {
    const x = await seeded();
    const r = await get(x, '/v1.0/users/delta?$top=5');
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.body)).toMatch(/\$top/);
  });

  it('refuses an unknown delta token with syncStateNotFound', async () => {
    const x = await seeded();
    const r = await get(x, '/v1.0/groups/delta?$deltatoken=made-up');
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'syncStateNotFound' } });
  });

  it('ends a round with a delta link and no next link', async () => {
    const x = await seeded();
    const r = await get(x, '/v1.0/users/delta?$select=id,userPrincipalName');
    expect(r.status).toBe(200);
    const body = r.body as Record<string, unknown>;
    expect(body['@odata.deltaLink']).toMatch(/\/v1\.0\/users\/delta\?\$deltatoken=/);
    expect(body['@odata.nextLink']).toBeUndefined();
    expect(
      (body.value as object[]).every((u) =>
        Object.keys(u).every((k) => ['id', 'userPrincipalName'].includes(k)),
      ),
    ).toBe(true);
  });
});
