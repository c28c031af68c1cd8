/**
 * The SCIM connector against an independent SCIM 2.0 server (SCIMMY with scimmy-routers, behind
 * the quirk layer of test/fakes/scim): reads with paging and filters, idempotent writes, ETags,
 * the declared quirks, several apps at once, throttling, and what is refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Change } from '../../src/plan/plan-types.js';
import { createScimProvider } from '../../src/providers/scim/index.js';
import type { Scope } from '../../src/providers/types.js';
import { createScimHarness, SCIM_CONNECTION, type ScimHarness } from '../fakes/scim/harness.js';

const open: ScimHarness[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) {
    expect(h.server!.unknownRequests).toEqual([]);
    await h.close();
  }
});

async function harness(opts: Parameters<typeof createScimHarness>[0] = {}): Promise<ScimHarness> {
  const h = await createScimHarness(opts);
  open.push(h);
  return h;
}

const G = (name: string) => `${SCIM_CONNECTION}/${name}`;

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

const scope = (logins: string[], groups: string[], people?: Scope['people']): Scope => ({
  logins: new Set(logins),
  targets: groups.map((g) => ({ kind: 'group' as const, target: G(g) })),
  ...(people ? { people } : {}),
});

describe('scim: reads', () => {
  it('reads users and managed groups, paging past the page size', async () => {
    const h = await harness({ quirks: { maxPageSize: 7 } });
    const users: Record<string, { displayName: string; enabled: boolean; sessions: number }> = {};
    for (let i = 0; i < 30; i++)
      users[`u${i}@example.com`] = { displayName: `U ${i}`, enabled: i % 5 !== 0, sessions: 0 };
    await h.seed(
      {
        users,
        targets: { [`group:${G('Eng')}`]: ['u1@example.com', 'u2@example.com'], [`group:${G('Other')}`]: [] },
      },
      [],
    );
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
      Number(new URL(r.path, 'http://x').searchParams.get('count') ?? 0),
    );
    expect(Math.max(...counts)).toBeLessThanOrEqual(7);
  });
});
