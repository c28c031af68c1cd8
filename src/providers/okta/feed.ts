/**
 * Okta's change feed, for `jml drift` (issue 18; src/providers/change-feed.ts): what changed since
 * a checkpoint, read from three sources and folded into the state the last run saved.
 *
 * 1. Users API `search=lastUpdated gt "<since>"`: every account whose profile or status changed,
 *    as a whole user object (the search finds every status, DEPROVISIONED included).
 * 2. Groups API `search=type eq "OKTA_GROUP" and (lastUpdated gt "<since>" or
 *    lastMembershipUpdated gt "<since>")`: groups renamed, created, or whose members changed;
 *    only the managed ones among them have their members read again.
 * 3. System Log `GET /api/v1/logs?since=&until=&filter=eventType eq ...`, a bounded query
 *    paged by `Link: rel="next"`: what a `lastUpdated` search cannot show, because the object is
 *    gone (a user or group deleted), or what it shows late (its results "are sourced from an
 *    eventually consistent datasource", Okta's listGroups reference). An event naming an object
 *    the searches did not return makes the connector read that object by id (a 404: deleted).
 *    App assignments have no timestamp to search on: their events name the apps whose direct
 *    members are read again, and the active apps are listed on every run (one call).
 *
 * Facts relied on, checked against Okta's management OpenAPI description (vendor-specs) unless
 * marked: `lastUpdated gt` on users' search and `lastMembershipUpdated gt` / `lastUpdated gt` on
 * groups' (the reference's own examples); the System Log's `since`, `until`, `filter`, `limit`
 * (at most 1000) and `after` parameters; a bounded query (with `until`) ends when no `next`
 * link comes, whereas a polling query's `next` link never ends (okta-sdk-dotnet#337, Okta's
 * reply), so every read here is bounded and also stops at an empty page; events older than 90
 * days are not returned ("Log data older than 90 days is not returned", Okta's System Log
 * reference, Data Retention), so a checkpoint older than that cannot be trusted and the
 * connector reads in full. Event type names come from Okta's event-type catalog as third-party
 * code quotes it (group.lifecycle.delete, group.user_membership.add/remove,
 * user.lifecycle.deactivate/delete.initiated, application.user_membership.add/remove);
 * UNVERIFIED against Okta's own catalog page, which the search tool did not hold.
 *
 * Clocks: the checkpoint is the connector's clock at the start of a read (also the log query's
 * `until`); the next read asks from the checkpoint minus OVERLAP_MS, so a runner clock off by less
 * than that, an event persisted late, or a search index a little behind still land in a window.
 * What comes back twice is folded twice to the same result (whole objects replace saved ones;
 * members are re-read, not patched) and counted once (events by uuid, objects by timestamp).
 *
 * UNVERIFIED, and so covered by the daily full read: that deactivating a user removes their
 * direct app assignments (the connector's apply relies on it too; the fold removes them on the
 * DEPROVISIONED status or the deactivate event); that a search returns an object's current state
 * even when it found it through a lagging index.
 */
import type { Client, Group, LogEvent, User } from '@okta/okta-sdk-nodejs';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { ActualMembership, ActualState } from '../../model/state.js';
import type { FeedRead, FullReadReason, SavedFeed } from '../change-feed.js';
import { managedState } from '../common.js';
import type { Scope } from '../types.js';
import { oktaErrorCode } from './errors.js';
import {
  ALL_USERS_FILTER,
  actualUser,
  assertOktaKind,
  groupsNamed,
  knownUser,
  NAMES_PER_SEARCH,
  uniqueId,
} from './okta-provider.js';
import { OKTA_MAX_IN_FLIGHT } from './rate-limits.js';

/** How far back each read looks before the checkpoint: clock skew, late events, index lag. */
export const OVERLAP_MS = 5 * 60_000;
/** The System Log keeps 90 days; a checkpoint must be younger than that, overlap included. */
export const LOG_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/** The events that name an object the searches may not show (gone, or not indexed yet). */
export const FEED_EVENT_TYPES = [
  'user.lifecycle.create',
  'user.lifecycle.activate',
  'user.lifecycle.deactivate',
  'user.lifecycle.suspend',
  'user.lifecycle.unsuspend',
  'user.lifecycle.delete.initiated',
  'user.account.update_profile',
  'user.account.unlock',
  'group.lifecycle.create',
  'group.lifecycle.delete',
  'group.profile.update',
  'group.user_membership.add',
  'group.user_membership.remove',
  'application.user_membership.add',
  'application.user_membership.remove',
] as const;

const USER_PAGE = 200;
const GROUP_PAGE = 200;
const MEMBER_PAGE = 1000;
const APP_PAGE = 200;
const APP_USER_PAGE = 500;
const LOG_PAGE = 1000;

const savedUser = z.strictObject({
  login: z.string(),
  status: z.string(),
  name: z.string(),
  statusChanged: z.string().nullable(),
  lastUpdated: z.string(),
});
/** What the connector saves: every account, the managed groups and apps by id, the checkpoint. */
const savedOkta = z.strictObject({
  feed: z.literal('okta-feed/v1'),
  /** The connector's clock when the last read started: the next one asks from here less OVERLAP_MS. */
  checkpoint: z.iso.datetime(),
  users: z.record(z.string(), savedUser),
  groups: z.record(
    z.string(),
    z.strictObject({
      name: z.string(),
      lastUpdated: z.string(),
      lastMembershipUpdated: z.string(),
      /** When the members were read: a read soon after a change may not show it yet. */
      membersReadAt: z.iso.datetime(),
      members: z.array(z.string()),
    }),
  ),
  apps: z.record(z.string(), z.strictObject({ label: z.string(), members: z.array(z.string()) })),
});
type SavedOkta = z.infer<typeof savedOkta>;
type SavedUser = z.infer<typeof savedUser>;

interface Working {
  users: Map<string, SavedUser>;
  groups: Map<string, Omit<SavedOkta['groups'][string], 'members'> & { members: Set<string> }>;
  apps: Map<string, { label: string; members: Set<string> }>;
}

/** The SDK's list answers: pages fetched as they are iterated. */
type Listing<T> = { next(): Promise<{ done?: boolean; value: T | null }> };

/**
 * The scope's state now through the feed: the changes since `saved` folded into it, or a full
 * read (every account, the managed groups and apps with their members) when there is nothing
 * valid to resume from.
 */
export async function readOktaChanges(
  client: Client,
  scope: Scope,
  saved: SavedFeed | undefined,
  now: () => number,
): Promise<FeedRead> {
  for (const t of scope.targets) assertOktaKind(t);
  if (saved === undefined) return fullRead(client, scope, now(), 'no-checkpoint');
  const parsed = savedOkta.safeParse(saved);
  if (!parsed.success) return fullRead(client, scope, now(), 'unreadable-checkpoint');
  const at = now();
  const checkpoint = Date.parse(parsed.data.checkpoint);
  // Older than the System Log keeps: a deletion since then can no longer be seen.
  if (at - checkpoint + OVERLAP_MS >= LOG_RETENTION_MS) return fullRead(client, scope, at, 'feed-restart');
  // A checkpoint ahead of this clock was not taken by it: nothing is known about the window.
  if (checkpoint - at > OVERLAP_MS) return fullRead(client, scope, at, 'unreadable-checkpoint');

  const since = new Date(checkpoint - OVERLAP_MS).toISOString();
  // A second past the checkpoint: an event of its own instant is listed now, whether or not
  // Okta's `until` is inclusive (UNVERIFIED: the reference does not say), and the next window
  // starts before it anyway.
  const until = new Date(at + 1000).toISOString();
  let events: LogEvent[];
  try {
    events = await readLog(client, since, until);
  } catch (e) {
    // The service app lacks okta.logs.read: without the log a deletion goes unseen, so read in full.
    if (oktaErrorCode(e).status === 403) return fullRead(client, scope, at, 'feed-refused');
    throw e;
  }
  return fold(client, scope, parsed.data, at, since, events);
}

// --- the full read -----------------------------------------------------------------------------

async function fullRead(client: Client, scope: Scope, at: number, reason: FullReadReason): Promise<FeedRead> {
  const names = scope.targets.filter((t) => t.kind === 'group').map((t) => t.target);
  const anyApp = scope.targets.some((t) => t.kind === 'app');
  const w: Working = { users: new Map(), groups: new Map(), apps: new Map() };
  const [users, groups, apps] = await Promise.all([
    drain(await client.userApi.listUsers({ filter: ALL_USERS_FILTER, limit: USER_PAGE })),
    findGroups(client, names),
    anyApp ? listActiveApps(client) : Promise.resolve([]),
  ]);
  for (const u of users) setUser(w, u);
  const limit = pLimit(OKTA_MAX_IN_FLIGHT);
  const managed = new Set(names);
  await Promise.all([
    ...groups
      .filter((g) => g.id && managed.has(g.profile?.name ?? ''))
      .map((g) => limit(() => readGroup(client, w, g, at))),
    ...managedApps(scope, apps).map((a) => limit(() => readApp(client, w, a.id, a.label))),
  ]);
  const actual = derive(scope, w, apps);
  return { mode: 'full', actual, saved: toSaved(w, at), reason };
}

/** Managed groups by name, in as few searches as the names allow (as the full `read` does). */
async function findGroups(client: Client, names: readonly string[]): Promise<Group[]> {
  const found: Group[] = [];
  for (let i = 0; i < names.length; i += NAMES_PER_SEARCH) {
    const chunk = names.slice(i, i + NAMES_PER_SEARCH);
    const search = groupsNamed(chunk);
    for (const g of await drain(await client.groupApi.listGroups({ search, limit: GROUP_PAGE }))) {
      if (g.profile?.name && chunk.includes(g.profile.name)) found.push(g);
    }
  }
  return found;
}

// --- the incremental read ----------------------------------------------------------------------

async function fold(
  client: Client,
  scope: Scope,
  s: SavedOkta,
  at: number,
  since: string,
  events: readonly LogEvent[],
): Promise<FeedRead> {
  const w = toWorking(s);
  const names = new Set(scope.targets.filter((t) => t.kind === 'group').map((t) => t.target));
  const anyApp = scope.targets.some((t) => t.kind === 'app');
  // Objects whose saved state changed: what the overlap brings back again changes nothing.
  const changed = new Set<string>();

  // Phase 1: the two searches and the apps, side by side.
  const groupSearch = `type eq "OKTA_GROUP" and (lastUpdated gt "${since}" or lastMembershipUpdated gt "${since}")`;
  const [users, groups, apps] = await Promise.all([
    drain(await client.userApi.listUsers({ search: `lastUpdated gt "${since}"`, limit: USER_PAGE })),
    drain(await client.groupApi.listGroups({ search: groupSearch, limit: GROUP_PAGE })),
    anyApp ? listActiveApps(client) : Promise.resolve([]),
  ]);

  // Phase 2: what the log says, deletions first (ids are never reused).
  const userIds = new Set<string>();
  const groupIds = new Set<string>();
  const appIds = new Set<string>();
  for (const e of events) {
    const user = targetOf(e, 'User');
    const group = targetOf(e, 'UserGroup');
    const app = targetOf(e, 'AppInstance');
    const type = e.eventType ?? '';
    if (type === 'user.lifecycle.delete.initiated' && user) {
      if (w.users.delete(user)) changed.add(`user:${user}`);
      for (const g of w.groups.values()) g.members.delete(user);
      for (const a of w.apps.values()) a.members.delete(user);
    } else if (type === 'group.lifecycle.delete' && group) {
      if (w.groups.delete(group)) changed.add(`group:${group}`);
    } else if (type.startsWith('application.') && app) {
      appIds.add(app);
    } else if (type.startsWith('group.') && group) {
      // A managed group's members, or a group that may have been renamed into the catalog.
      if (w.groups.has(group) || !type.startsWith('group.user_membership.')) groupIds.add(group);
    } else if (user) {
      // Okta unassigns a deactivated user's apps (UNVERIFIED, see above); their groups stay.
      if (type === 'user.lifecycle.deactivate') for (const a of w.apps.values()) a.members.delete(user);
      userIds.add(user);
    }
  }

  // Phase 3: users; the ones the log names and the search did not return, by id.
  for (const u of users) {
    if (u.id) userIds.delete(u.id);
    if (setUser(w, u)) changed.add(`user:${u.id}`);
  }
  const limit = pLimit(OKTA_MAX_IN_FLIGHT);
  await Promise.all(
    [...userIds].map((id) =>
      limit(async () => {
        const u = await getOrGone(() => client.userApi.getUser({ userId: id }));
        if (u ? setUser(w, u) : w.users.delete(id)) changed.add(`user:${id}`);
      }),
    ),
  );

  // Phase 4: groups from the search, and the ones the log names, by id.
  for (const g of groups) if (g.id) groupIds.delete(g.id);
  const named = await Promise.all(
    [...groupIds].map((id) =>
      limit(async () => {
        const g = await getOrGone(() => client.groupApi.getGroup({ groupId: id }));
        if (!g && w.groups.delete(id)) changed.add(`group:${id}`);
        return g;
      }),
    ),
  );
  await Promise.all(
    [...groups, ...named.flatMap((g) => (g ? [g] : []))].map((g) =>
      limit(async () => {
        if (!g.id) return;
        const was = w.groups.get(g.id);
        const managed = g.type === 'OKTA_GROUP' && names.has(g.profile?.name ?? '');
        if (!managed) {
          if (w.groups.delete(g.id)) changed.add(`group:${g.id}`);
          return;
        }
        if (was && !membersStale(was, g)) {
          const name = g.profile?.name ?? '';
          if (was.name !== name) changed.add(`group:${g.id}`);
          Object.assign(was, { name, lastUpdated: iso(g.lastUpdated) });
          return;
        }
        const before = was ? [...was.members].sort().join() : undefined;
        if (!(await readGroup(client, w, g, at))) {
          if (w.groups.delete(g.id)) changed.add(`group:${g.id}`);
          return;
        }
        const now = w.groups.get(g.id)!;
        if (before !== [...now.members].sort().join() || was?.name !== now.name) changed.add(`group:${g.id}`);
      }),
    ),
  );

  // Phase 5: apps; the managed ones new to the state, or named by an assignment event.
  if (anyApp) {
    const current = managedApps(scope, apps);
    const keep = new Set(current.map((a) => a.id));
    for (const id of w.apps.keys()) if (!keep.has(id) && w.apps.delete(id)) changed.add(`app:${id}`);
    await Promise.all(
      current.map((a) =>
        limit(async () => {
          const was = w.apps.get(a.id);
          if (was && was.label === a.label && !appIds.has(a.id)) return;
          const before = was ? [...was.members].sort().join() : undefined;
          await readApp(client, w, a.id, a.label);
          if (before !== [...w.apps.get(a.id)!.members].sort().join()) changed.add(`app:${a.id}`);
        }),
      ),
    );
  } else w.apps.clear();

  return {
    mode: 'incremental',
    actual: derive(scope, w, apps),
    saved: toSaved(w, at),
    changes: changed.size,
  };
}

/**
 * Whether a managed group's members must be read again: its membership changed since they were
 * read, or they were read so soon after the last change that the read may not have shown it
 * (Okta's membership reads are eventually consistent).
 */
function membersStale(was: { lastMembershipUpdated: string; membersReadAt: string }, g: Group): boolean {
  const changedAt = iso(g.lastMembershipUpdated);
  return (
    was.lastMembershipUpdated !== changedAt ||
    Date.parse(was.membersReadAt) < Date.parse(changedAt) + OVERLAP_MS
  );
}

// --- reads -------------------------------------------------------------------------------------

/** Every page of a listing; stops at an empty page too (the System Log's polling never ends). */
async function drain<T>(list: Listing<T>): Promise<T[]> {
  const out: T[] = [];
  for (;;) {
    const { done, value } = await list.next();
    if (done || value === null || value === undefined) return out;
    out.push(value);
  }
}

async function readLog(client: Client, since: string, until: string): Promise<LogEvent[]> {
  const filter = FEED_EVENT_TYPES.map((t) => `eventType eq "${t}"`).join(' or ');
  return drain(
    await client.systemLogApi.listLogEvents({
      since,
      until,
      filter,
      limit: LOG_PAGE,
      sortOrder: 'ASCENDING',
    }),
  );
}

/** An object read by id, or undefined when Okta says it no longer exists. */
async function getOrGone<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (e) {
    if (oktaErrorCode(e).status === 404) return undefined;
    throw e;
  }
}

/** Reads a managed group's members into the state; false when the group is gone. */
async function readGroup(client: Client, w: Working, g: Group, at: number): Promise<boolean> {
  const members = new Set<string>();
  const list = await getOrGone(() => client.groupApi.listGroupUsers({ groupId: g.id!, limit: MEMBER_PAGE }));
  if (!list) return false;
  try {
    for (const u of await drain(list)) {
      if (!u.id) continue;
      members.add(u.id);
      // A member the searches have not shown yet (a lagging index) is still an account.
      if (!w.users.has(u.id)) setUser(w, u);
    }
  } catch (e) {
    if (oktaErrorCode(e).status === 404) return false;
    throw e;
  }
  w.groups.set(g.id!, {
    name: g.profile?.name ?? '',
    lastUpdated: iso(g.lastUpdated),
    lastMembershipUpdated: iso(g.lastMembershipUpdated),
    membersReadAt: new Date(at).toISOString(),
    members,
  });
  return true;
}

/** Direct (scope USER) assignments only, as the full read counts them. */
async function readApp(client: Client, w: Working, appId: string, label: string): Promise<void> {
  const members = new Set<string>();
  const list = await client.applicationApi.listApplicationUsers({ appId, limit: APP_USER_PAGE });
  for (const a of await drain(list)) if (a.scope === 'USER' && a.id) members.add(a.id);
  w.apps.set(appId, { label, members });
}

async function listActiveApps(client: Client): Promise<{ id: string; label: string }[]> {
  const list = await client.applicationApi.listApplications({
    filter: 'status eq "ACTIVE"',
    limit: APP_PAGE,
  });
  return (await drain(list)).flatMap((a) => (a.id ? [{ id: a.id, label: a.label }] : []));
}

/** The active apps whose label the catalog names (an ambiguous label is refused in `derive`). */
function managedApps(
  scope: Scope,
  apps: readonly { id: string; label: string }[],
): { id: string; label: string }[] {
  const labels = new Set(scope.targets.filter((t) => t.kind === 'app').map((t) => t.target));
  return apps.filter((a) => labels.has(a.label));
}

// --- the state ---------------------------------------------------------------------------------

/** Keeps a user as read; true when it differs from what was saved. */
function setUser(w: Working, u: User): boolean {
  const known = u.id ? knownUser(u) : undefined;
  if (!u.id || !known) return false;
  const p = u.profile;
  const rec: SavedUser = {
    login: known.login,
    status: known.status,
    name: p?.displayName ?? [p?.firstName, p?.lastName].filter(Boolean).join(' '),
    statusChanged: u.statusChanged ? iso(u.statusChanged) : null,
    lastUpdated: iso(u.lastUpdated),
  };
  const was = w.users.get(u.id);
  w.users.set(u.id, rec);
  if (rec.status === 'DEPROVISIONED') for (const a of w.apps.values()) a.members.delete(u.id);
  return !was || JSON.stringify(was) !== JSON.stringify(rec);
}

/** The managed scope out of the state, as the full `read` derives it from Okta. */
function derive(scope: Scope, w: Working, apps: readonly { id: string; label: string }[]): ActualState {
  const live = new Map<string, SavedUser>();
  for (const [id, u] of w.users) if (u.status !== 'DEPROVISIONED') live.set(id, u);
  const groupIds = new Map<string, string[]>();
  for (const [id, g] of w.groups) groupIds.set(g.name, [...(groupIds.get(g.name) ?? []), id]);
  const appIds = new Map<string, string[]>();
  for (const a of apps) appIds.set(a.label, [...(appIds.get(a.label) ?? []), a.id]);
  const memberships: ActualMembership[] = [];
  for (const t of scope.targets) {
    const kind = t.kind === 'group' ? 'group' : 'app';
    const id = uniqueId(kind, t.target, (kind === 'group' ? groupIds : appIds).get(t.target));
    const members = id ? (kind === 'group' ? w.groups.get(id)?.members : w.apps.get(id)?.members) : undefined;
    if (!members) continue;
    const logins = [...members].flatMap((m) => live.get(m)?.login ?? []);
    memberships.push({ kind: t.kind, target: t.target, members: [...new Set(logins)].sort() });
  }
  const accounts = [...live.values()].map((u) => {
    const { lastSignIn: _unused, ...user } = actualUser(
      {
        profile: { displayName: u.name },
        statusChanged: u.statusChanged,
        lastLogin: null,
      } as unknown as User,
      { id: '', login: u.login, status: u.status },
    );
    return user;
  });
  return managedState('okta', accounts, memberships, scope.logins);
}

function toWorking(s: SavedOkta): Working {
  return {
    users: new Map(Object.entries(s.users)),
    groups: new Map(Object.entries(s.groups).map(([id, g]) => [id, { ...g, members: new Set(g.members) }])),
    apps: new Map(
      Object.entries(s.apps).map(([id, a]) => [id, { label: a.label, members: new Set(a.members) }]),
    ),
  };
}

function toSaved(w: Working, at: number): SavedOkta {
  return {
    feed: 'okta-feed/v1',
    checkpoint: new Date(at).toISOString(),
    users: Object.fromEntries(w.users),
    groups: Object.fromEntries(
      [...w.groups].map(([id, g]) => [id, { ...g, members: [...g.members].sort() }]),
    ),
    apps: Object.fromEntries(
      [...w.apps].map(([id, a]) => [id, { label: a.label, members: [...a.members].sort() }]),
    ),
  };
}

function targetOf(e: LogEvent, type: string): string | undefined {
  return e.target?.find((t) => t.type === type)?.id;
}

/** The SDK gives instants as Date objects (or strings in some answers): kept as ISO strings. */
function iso(value: Date | string | undefined | null): string {
  return value ? new Date(value).toISOString() : '';
}
