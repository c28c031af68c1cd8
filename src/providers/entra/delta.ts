/**
 * Entra's change feed: Microsoft Graph delta queries on users and on groups with their members.
 *
 * A round starts at `/users/delta` (or `/groups/delta?$select=...,members`) with no token, pages
 * through `@odata.nextLink` and ends with an `@odata.deltaLink`; the next round starts from that
 * link and returns only what changed since ("Use delta query to track changes in Microsoft Graph
 * data"; "Get incremental changes for users / for groups", learn.microsoft.com/graph). The query
 * parameters of the first request are encoded in the links, so later rounds send none.
 *
 * What Graph answers, as folded here (verified against the documentation unless marked):
 * - A changed user comes back with its id and at least the changed properties; a deleted one as
 *   `{id, "@removed": {reason: "changed" | "deleted"}}` ("changed": in the recycle bin, restorable).
 * - A changed group likewise; its membership changes come as `members@delta`, each member
 *   `{"@odata.type", id}` or, when removed, with `"@removed": {reason: "deleted"}`. One group may
 *   come back more than once in a round (its members spread over pages): the entries add up.
 * - Delta links for directory objects last seven days; an older one is refused with
 *   `syncStateNotFound` ("The delta token is expired and data must be synchronized again",
 *   Microsoft 365 Developer Blog, 3 July 2020), and Graph may also answer `410 Gone` when the
 *   tenant's sync state was reset (delta query overview). Either means: start over with a full
 *   round. UNVERIFIED: the exact codes Graph pairs with a 410 (`resyncRequired`, `syncStateInvalid`
 *   are recognised as well, by name only).
 * - UNVERIFIED (reported on Microsoft Q&A, not in the reference): a user's deletion is not
 *   reported as a removal from the user's groups. The fold therefore drops a removed user from
 *   every group itself; a user restored from the recycle bin gets their groups back in Entra
 *   without a `members@delta` entry, which only the daily full read sees (docs/drift.md).
 *
 * The snapshot keeps every user and every group of the tenant (ids, names, members by id): a
 * membership change names ids only, and a group renamed into the catalog must be known already.
 */
import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Group, User } from '@microsoft/microsoft-graph-types';
import { z } from 'zod';
import type { ActualMembership, ActualState } from '../../model/state.js';
import type { FeedRead, FullReadReason, SavedFeed } from '../change-feed.js';
import { managedState } from '../common.js';
import type { Scope } from '../types.js';
import type { GraphConnection } from './graph.js';
import { addGroups, groupKey, listSkus, toActualUser, USER_SELECT, unsupported } from './read-state.js';

/** What the connector saves: the tenant's users and groups as last seen, and where to resume. */
const savedEntra = z.strictObject({
  feed: z.literal('entra-delta/v1'),
  /** `@odata.deltaLink` of the last users round, as a path under the version root. */
  usersLink: z.string().startsWith('/users/delta?'),
  groupsLink: z.string().startsWith('/groups/delta?'),
  users: z.record(
    z.string(),
    z.strictObject({
      upn: z.string(),
      displayName: z.string().optional(),
      enabled: z.boolean(),
      leave: z.string().nullable().optional(),
      skus: z.array(z.string()),
    }),
  ),
  groups: z.record(z.string(), z.strictObject({ name: z.string(), members: z.array(z.string()) })),
});
type SavedEntra = z.infer<typeof savedEntra>;

/** Delta rounds select what the full read selects, less `signInActivity` (delta does not track it). */
const USERS_DELTA = `/users/delta?$select=${USER_SELECT}`;
const GROUPS_DELTA = '/groups/delta?$select=id,displayName,members';
/** Graph's answers that mean "this token is no longer valid: synchronise again". */
const RESYNC_CODES = new Set(['syncStateNotFound', 'syncStateInvalid', 'resyncRequired']);

interface Removed {
  '@removed'?: { reason?: string };
}
type DeltaUser = User & Removed;
type DeltaMember = { '@odata.type'?: string; id?: string } & Removed;
type DeltaGroup = Group & Removed & { 'members@delta'?: DeltaMember[] };

/** Users and groups being folded: sets while working, arrays when saved. */
interface Working {
  users: Map<string, SavedEntra['users'][string]>;
  groups: Map<string, { name: string; members: Set<string> }>;
}

export function isResync(e: unknown): boolean {
  return (
    e instanceof GraphError &&
    (e.statusCode === 410 || (e.statusCode === 400 && RESYNC_CODES.has(e.code ?? '')))
  );
}

/**
 * The scope's state now through the delta feed: the changes since `saved` folded into it, or a
 * full round (both collections from the start) when there is nothing valid to resume from.
 */
export async function readEntraChanges(
  graph: GraphConnection,
  scope: Scope,
  saved: SavedFeed | undefined,
): Promise<FeedRead> {
  const bad = scope.targets.find((t) => t.kind !== 'group' && t.kind !== 'license');
  if (bad) throw unsupported(bad);
  if (saved === undefined) return fullRound(graph, scope, 'no-checkpoint');
  const parsed = savedEntra.safeParse(saved);
  if (!parsed.success) return fullRound(graph, scope, 'unreadable-checkpoint');
  const work = toWorking(parsed.data);
  let users: Awaited<ReturnType<typeof graph.getDeltaRound<DeltaUser>>>;
  let groups: Awaited<ReturnType<typeof graph.getDeltaRound<DeltaGroup>>>;
  try {
    users = await graph.getDeltaRound<DeltaUser>(parsed.data.usersLink);
    groups = await graph.getDeltaRound<DeltaGroup>(parsed.data.groupsLink);
  } catch (e) {
    if (isResync(e)) return fullRound(graph, scope, 'feed-restart');
    throw e;
  }
  foldUsers(work, users.items);
  foldGroups(work, groups.items);
  const changes =
    users.items.length + groups.items.reduce((n, g) => n + Math.max(1, g['members@delta']?.length ?? 0), 0);
  return {
    mode: 'incremental',
    actual: await derive(graph, scope, work),
    saved: toSaved(work, users.deltaLink, groups.deltaLink),
    changes,
  };
}

async function fullRound(graph: GraphConnection, scope: Scope, reason: FullReadReason): Promise<FeedRead> {
  const work: Working = { users: new Map(), groups: new Map() };
  const users = await graph.getDeltaRound<DeltaUser>(USERS_DELTA);
  const groups = await graph.getDeltaRound<DeltaGroup>(GROUPS_DELTA);
  foldUsers(work, users.items);
  foldGroups(work, groups.items);
  return {
    mode: 'full',
    actual: await derive(graph, scope, work),
    saved: toSaved(work, users.deltaLink, groups.deltaLink),
    reason,
  };
}

function toWorking(s: SavedEntra): Working {
  return {
    users: new Map(Object.entries(s.users)),
    groups: new Map(
      Object.entries(s.groups).map(([id, g]) => [id, { name: g.name, members: new Set(g.members) }]),
    ),
  };
}

function toSaved(w: Working, usersLink: string, groupsLink: string): SavedEntra {
  return {
    feed: 'entra-delta/v1',
    usersLink,
    groupsLink,
    users: Object.fromEntries(w.users),
    groups: Object.fromEntries(
      [...w.groups].map(([id, g]) => [id, { name: g.name, members: [...g.members].sort() }]),
    ),
  };
}

/** A user's properties present in the answer replace the saved ones; absent ones stay. */
function foldUsers(w: Working, items: readonly DeltaUser[]): void {
  for (const u of items) {
    if (!u.id) continue;
    if (u['@removed']) {
      w.users.delete(u.id);
      for (const g of w.groups.values()) g.members.delete(u.id);
      continue;
    }
    const was = w.users.get(u.id);
    const upn = 'userPrincipalName' in u ? u.userPrincipalName : was?.upn;
    if (!upn) continue;
    const displayName = 'displayName' in u ? (u.displayName ?? undefined) : was?.displayName;
    const leave = 'employeeLeaveDateTime' in u ? (u.employeeLeaveDateTime ?? null) : (was?.leave ?? null);
    w.users.set(u.id, {
      upn,
      ...(displayName ? { displayName } : {}),
      enabled: 'accountEnabled' in u ? u.accountEnabled === true : (was?.enabled ?? false),
      leave,
      skus:
        'assignedLicenses' in u
          ? [...new Set((u.assignedLicenses ?? []).map((l) => l.skuId ?? '').filter(Boolean))].sort()
          : (was?.skus ?? []),
    });
  }
}

function foldGroups(w: Working, items: readonly DeltaGroup[]): void {
  for (const g of items) {
    if (!g.id) continue;
    if (g['@removed']) {
      w.groups.delete(g.id);
      continue;
    }
    const group = w.groups.get(g.id) ?? { name: '', members: new Set<string>() };
    if ('displayName' in g) group.name = g.displayName ?? '';
    for (const m of g['members@delta'] ?? []) {
      if (!m.id) continue;
      if (m['@removed']) group.members.delete(m.id);
      else group.members.add(m.id);
    }
    w.groups.set(g.id, group);
  }
}

/** The managed scope out of the snapshot, as `readScope` reads it from the tenant. */
async function derive(graph: GraphConnection, scope: Scope, w: Working): Promise<ActualState> {
  const names = new Set(scope.targets.filter((t) => t.kind === 'group').map((t) => groupKey(t.target)));
  const managed = [...w.groups]
    .filter(([, g]) => names.has(groupKey(g.name)))
    .map(([id, g]) => ({ id, displayName: g.name }));
  const groupIds = new Map<string, string>();
  addGroups(groupIds, managed); // two groups with one managed name: the same refusal as the full read
  const skus = scope.targets.some((t) => t.kind === 'license')
    ? await listSkus(graph)
    : new Map<string, string>();
  const loginOf = (id: string) => w.users.get(id)?.upn.toLowerCase();

  const memberships: ActualMembership[] = [];
  for (const t of scope.targets) {
    let members: string[] | undefined;
    if (t.kind === 'group') {
      const id = groupIds.get(groupKey(t.target));
      const group = id ? w.groups.get(id) : undefined;
      members = group ? [...group.members].flatMap((m) => loginOf(m) ?? []) : undefined;
    } else {
      const skuId = skus.get(t.target);
      members = skuId
        ? [...w.users.values()].filter((u) => u.skus.includes(skuId)).map((u) => u.upn.toLowerCase())
        : undefined;
    }
    if (members) memberships.push({ kind: t.kind, target: t.target, members: [...new Set(members)].sort() });
  }

  const byLogin = new Map<string, User>();
  for (const u of w.users.values()) {
    byLogin.set(u.upn.toLowerCase(), {
      userPrincipalName: u.upn,
      ...(u.displayName ? { displayName: u.displayName } : {}),
      accountEnabled: u.enabled,
      employeeLeaveDateTime: u.leave ?? null,
    });
  }
  const accounts = [...byLogin].map(([login, u]) => toActualUser(login, u, false));
  return managedState('entra', accounts, memberships, scope.logins);
}
