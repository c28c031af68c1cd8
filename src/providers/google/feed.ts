/**
 * Google Workspace's change feed: the Admin SDK Reports API's admin audit log
 * (`activities.list`, `userKey=all`, `applicationName=admin`), read since a checkpoint.
 *
 * The log says *who or what* an administrator changed, not the state it left behind, so the fold
 * treats each new event as a pointer: the user it names is read again (`users.get`), the managed
 * group it names has its members read again (`members.list`). A read answers with the state now,
 * whatever the order or the number of events behind it, so the fold is idempotent: an event seen
 * twice, or late, costs a call, never a wrong state. What the log documents, as relied on here:
 * - Activities come back in pages of at most `maxResults` (default 1,000), followed by
 *   `nextPageToken`; `startTime` is RFC 3339 and must be before the time of the request, or the
 *   API answers an error; a `startTime` more than 180 days back silently gets the last 180 days
 *   (Admin SDK reference, activities.list, as @googleapis/admin's reports_v1 carries it).
 * - Admin log events appear "near real time (couple of minutes)" after they happen, with "a small
 *   chance" of a longer delay, and "in rare cases" never (Google Workspace Admin Help, "Data
 *   retention and lag times"). The checkpoint is therefore taken from Google's clock (the `Date`
 *   of the answer, never the runner's), and each read starts REPORTING_MARGIN_MS before it; the
 *   activities already folded are remembered for that long and skipped.
 * - Events of groups have `type=GROUP_SETTINGS` and name the group in `GROUP_EMAIL` (CREATE_GROUP,
 *   DELETE_GROUP, ADD_GROUP_MEMBER with the member in USER_EMAIL, CHANGE_GROUP_EMAIL...); events of
 *   users have `type=USER_SETTINGS` and name the user in `USER_EMAIL` (CREATE_USER...) ("Admin
 *   Audit Activity Events - Group Settings / User Settings").
 * - UNVERIFIED (seen in third-party parsers of the log, not read in the reference): the names
 *   DELETE_USER, UNDELETE_USER, RENAME_USER and that RENAME_USER carries the new address in
 *   NEW_VALUE, as CHANGE_GROUP_EMAIL does. The fold does not depend on the other names: any event
 *   naming a user or a group makes it read again.
 * - UNVERIFIED: that a deleted user leaves their groups without a REMOVE_GROUP_MEMBER event, and
 *   that a renamed user keeps their memberships under the new address. The fold assumes both, and
 *   an undeleted user (whose memberships may or may not come back) makes it read in full.
 *
 * Licenses are not folded: license holders are read again on every incremental read (a license
 * assignment made through the Licensing API is not known to reach the admin log). The snapshot
 * keeps every account of the customer (the full read counts the accounts outside the scope) and
 * each managed target's members with the instant they were read.
 */
import type { admin_reports_v1 } from '@googleapis/admin';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { ActualMembership, ActualState, ActualUser } from '../../model/state.js';
import type { FeedRead, FullReadReason, SavedFeed } from '../change-feed.js';
import { managedState } from '../common.js';
import type { Scope } from '../types.js';
import { REPORTS_SCOPE } from './auth.js';
import { googleErrorInfo } from './errors.js';

/** Start each read this long before the checkpoint: the admin log's documented lag, thirty times over. */
export const REPORTING_MARGIN_MS = 60 * 60 * 1000;
/** How far back the Reports API answers; an older checkpoint cannot be resumed. */
export const REPORTS_RETENTION_MS = 180 * 24 * 60 * 60 * 1000;
/** The documented default and largest page of activities. UNVERIFIED: that 1,000 is the maximum. */
export const ACTIVITY_PAGE = 1000;
const CONCURRENCY = 10;

/** A user as the snapshot keeps it (by lower-cased primary address). */
const savedUser = z.strictObject({ name: z.string().optional(), enabled: z.boolean() });
type SavedUser = z.infer<typeof savedUser>;

const savedGoogle = z.strictObject({
  feed: z.literal('google-reports/v1'),
  /** Google's time at the start of the last read; null when the Reports API refused the feed. */
  checkpoint: z.iso.datetime().nullable(),
  customerId: z.string().nullable(),
  users: z.record(z.string(), savedUser),
  /** `kind:target` -> its members (null: the target does not exist) and when they were read. */
  targets: z.record(
    z.string(),
    z.strictObject({ members: z.array(z.string()).nullable(), readAt: z.iso.datetime() }),
  ),
  /** Activities already folded (`time|uniqueQualifier`) within the margin before the checkpoint. */
  seen: z.array(z.string()),
});
type SavedGoogle = z.infer<typeof savedGoogle>;

/** The calls the feed needs from the connector (google-provider.ts), each under its retry policy. */
export interface GoogleFeedSource {
  /** Every account of the customer, by lower-cased primary address, and the customer's id. */
  listAllUsers(): Promise<{ users: Map<string, ActualUser>; customerId: string | undefined }>;
  /** `users.get`: the account whose primary address or alias `key` is; undefined on 404. */
  getUser(key: string): Promise<{ primaryEmail: string; name?: string; enabled: boolean } | undefined>;
  /** A group's USER members as the full read reads them; undefined when it does not exist. */
  groupMembers(groupKey: string): Promise<string[] | undefined>;
  licenseHolders(target: string, customerId: string | undefined): Promise<string[] | undefined>;
  /** One page of admin activities, with Google's time from the answer's `Date`. */
  listActivities(q: {
    startTime?: string;
    pageToken?: string;
    maxResults: number;
  }): Promise<{ page: admin_reports_v1.Schema$Activities; serverTime: number }>;
  /** The admin the connector acts as, for the message when the feed is refused. */
  adminSubject: string;
  log?: (line: string) => void;
}

type Activity = admin_reports_v1.Schema$Activity;

/** The Reports API refused the feed (no scope, no Reports privilege): read in full, say why. */
class FeedRefused extends Error {}
/** The Reports API refused the start time (in the future, malformed): start over. */
class FeedRestart extends Error {}

/**
 * The scope's state now: the admin log's new events since `saved` folded into it, or a full read
 * (with a new checkpoint) when there is nothing valid to resume from.
 */
export async function readGoogleChanges(
  src: GoogleFeedSource,
  scope: Scope,
  saved: SavedFeed | undefined,
): Promise<FeedRead> {
  if (saved === undefined) return fullRound(src, scope, 'no-checkpoint');
  const parsed = savedGoogle.safeParse(saved);
  if (!parsed.success || !coversScope(parsed.data, scope)) {
    return fullRound(src, scope, 'unreadable-checkpoint');
  }
  const state = parsed.data;
  if (state.checkpoint === null) return fullRound(src, scope, 'no-checkpoint');

  // --- the events since the checkpoint (less the margin) ------------------------------------------
  const checkpoint = Date.parse(state.checkpoint);
  let listed: { activities: Activity[]; serverTime: number };
  try {
    listed = await listSince(src, new Date(checkpoint - REPORTING_MARGIN_MS).toISOString());
  } catch (e) {
    if (e instanceof FeedRefused) return fullRound(src, scope, 'feed-refused', false);
    if (e instanceof FeedRestart) return fullRound(src, scope, 'feed-restart');
    throw e;
  }
  const now = listed.serverTime;
  // Older than the log keeps: Google answered the last 180 days only, and something may be lost.
  if (checkpoint - REPORTING_MARGIN_MS <= now - REPORTS_RETENTION_MS) {
    src.log?.(
      'google: the change feed checkpoint is older than the Reports API keeps (180 days); reading in full',
    );
    return fullRound(src, scope, 'feed-restart');
  }
  const seen = new Set(state.seen);
  const fresh = listed.activities
    .filter((a) => !seen.has(activityKey(a)))
    .sort((a, b) => Date.parse(a.id?.time ?? '') - Date.parse(b.id?.time ?? ''));

  // --- what the new events point at ---------------------------------------------------------------
  const pointers = collect(fresh);
  if (pointers.undeleted) {
    src.log?.('google: a user was restored (UNDELETE_USER): their groups are read in full');
    return fullRound(src, scope, 'feed-restart');
  }

  // --- the fold: users read again, then the groups and licenses ----------------------------------
  const users = new Map(Object.entries(state.users));
  const targets = new Map(Object.entries(state.targets));
  const { gone, moved } = await rereadUsers(src, users, pointers);
  const reread = new Set<string>();
  for (const t of scope.targets) {
    if (t.kind === 'group' && pointers.groups.has(t.target.toLowerCase())) reread.add(keyOf(t));
    if (t.kind === 'license') reread.add(keyOf(t));
  }
  for (const [key, t] of targets) {
    if (reread.has(key) || !t.members) continue;
    t.members = foldMembers(t.members, t.readAt, gone, moved, pointers.deleted, users);
  }
  const readAt = new Date(now).toISOString();
  await readTargets(src, scope, state.customerId ?? undefined, targets, readAt, (t) => reread.has(keyOf(t)));

  const next: SavedGoogle = {
    feed: 'google-reports/v1',
    checkpoint: readAt,
    customerId: state.customerId,
    users: Object.fromEntries(users),
    targets: Object.fromEntries(targets),
    seen: keepSeen(listed.activities, now),
  };
  return { mode: 'incremental', actual: derive(next, scope), saved: next, changes: pointers.events };
}

/**
 * Everything read afresh, as `read` reads it, after one small call to the Reports API: its
 * `Date` is the new checkpoint (taken before the reads, so nothing in between is missed), and
 * its answer says whether the feed is open to this connection at all.
 */
async function fullRound(
  src: GoogleFeedSource,
  scope: Scope,
  reason: FullReadReason,
  probe = true,
): Promise<FeedRead> {
  let checkpoint: number | null = null;
  let why = reason;
  try {
    if (probe) checkpoint = (await src.listActivities({ maxResults: 1 })).serverTime;
  } catch (e) {
    const refusal = refusalOf(e);
    if (!refusal) throw e;
    why = 'feed-refused';
    src.log?.(
      `google: the Reports API refused the change feed (${refusal}); drift reads Google in full. ` +
        `Grant ${REPORTS_SCOPE} in the domain-wide delegation and the Reports privilege to ` +
        `${src.adminSubject} (docs/providers/google.md)`,
    );
  }
  const { users: accounts, customerId } = await src.listAllUsers();
  const users = new Map<string, SavedUser>();
  for (const [login, u] of accounts) users.set(login, toSaved(u));
  const targets = new Map<string, SavedGoogle['targets'][string]>();
  const readAt = new Date(checkpoint ?? Date.now()).toISOString();
  await readTargets(src, scope, customerId, targets, readAt, () => true);
  const saved: SavedGoogle = {
    feed: 'google-reports/v1',
    checkpoint: checkpoint === null ? null : readAt,
    customerId: customerId ?? null,
    users: Object.fromEntries(users),
    targets: Object.fromEntries(targets),
    seen: [],
  };
  return { mode: 'full', actual: derive(saved, scope), saved, reason: why };
}

/** Every page of admin activities from `startTime`, and Google's time at the first. */
async function listSince(
  src: GoogleFeedSource,
  startTime: string,
): Promise<{ activities: Activity[]; serverTime: number }> {
  const activities: Activity[] = [];
  let serverTime: number | undefined;
  let pageToken: string | undefined;
  do {
    let answer: Awaited<ReturnType<GoogleFeedSource['listActivities']>>;
    try {
      answer = await src.listActivities({
        startTime,
        maxResults: ACTIVITY_PAGE,
        ...(pageToken ? { pageToken } : {}),
      });
    } catch (e) {
      const refusal = refusalOf(e);
      if (refusal) {
        src.log?.(`google: the Reports API refused the change feed (${refusal}); reading in full`);
        throw new FeedRefused(refusal);
      }
      const info = googleErrorInfo(e);
      if (info.status === 400 && pageToken === undefined) {
        src.log?.(`google: the Reports API refused the checkpoint (${info.message}); reading in full`);
        throw new FeedRestart(info.message);
      }
      throw e;
    }
    serverTime ??= answer.serverTime;
    activities.push(...(answer.page.items ?? []));
    pageToken = answer.page.nextPageToken ?? undefined;
  } while (pageToken);
  return { activities, serverTime: serverTime! };
}

/** 401/403 other than a quota: the scope or the Reports privilege is missing. */
function refusalOf(e: unknown): string | undefined {
  const info = googleErrorInfo(e);
  const quota = info.reasons.some((r) => /ratelimitexceeded$/i.test(r));
  return (info.status === 401 || info.status === 403) && !quota ? info.message : undefined;
}

interface Pointers {
  /** Users named by user events (lower-cased addresses). */
  users: Set<string>;
  /** Groups named by any event. */
  groups: Set<string>;
  /** DELETE_USER: the address and when. */
  deleted: { login: string; at: number }[];
  /** RENAME_USER: old address -> new. */
  renamed: Map<string, string>;
  undeleted: boolean;
  /** Events that named a user or a group. */
  events: number;
}

function collect(activities: readonly Activity[]): Pointers {
  const p: Pointers = {
    users: new Set(),
    groups: new Set(),
    deleted: [],
    renamed: new Map(),
    undeleted: false,
    events: 0,
  };
  for (const a of activities) {
    const at = Date.parse(a.id?.time ?? '');
    for (const ev of a.events ?? []) {
      const param = (name: string) => {
        const v = ev.parameters?.find((x) => x.name === name)?.value;
        return v ? v.toLowerCase() : undefined;
      };
      const user = param('USER_EMAIL');
      const group = param('GROUP_EMAIL');
      const newValue = param('NEW_VALUE');
      const address = newValue?.includes('@') ? newValue : undefined;
      if (ev.type === 'GROUP_SETTINGS') {
        // The member of ADD_GROUP_MEMBER is in USER_EMAIL: the user itself did not change.
        for (const g of [group, address]) if (g) p.groups.add(g);
      } else {
        for (const u of [user, address]) if (u) p.users.add(u);
        if (group) p.groups.add(group);
      }
      if (ev.name === 'DELETE_USER' && user) p.deleted.push({ login: user, at });
      if (ev.name === 'RENAME_USER' && user && address) p.renamed.set(user, address);
      if (ev.name === 'UNDELETE_USER') p.undeleted = true;
      if (user || group) p.events++;
    }
  }
  return p;
}

/**
 * Each user an event named, read again: gone (no account has the address), moved (the address
 * now leads to another primary address: a rename), or its state now.
 */
async function rereadUsers(
  src: GoogleFeedSource,
  users: Map<string, SavedUser>,
  p: Pointers,
): Promise<{ gone: Set<string>; moved: Map<string, string> }> {
  const gone = new Set<string>();
  const moved = new Map<string, string>();
  const limit = pLimit(CONCURRENCY);
  const keys = [...p.users];
  const found = await Promise.all(keys.map((k) => limit(() => src.getUser(k))));
  const missing: string[] = [];
  keys.forEach((key, i) => {
    const u = found[i];
    if (!u) {
      users.delete(key);
      missing.push(key);
      return;
    }
    const primary = u.primaryEmail.toLowerCase();
    if (primary !== key) {
      users.delete(key);
      moved.set(key, primary);
    }
    users.set(primary, { ...(u.name ? { name: u.name } : {}), enabled: u.enabled });
  });
  // An address that leads nowhere: renamed without keeping the old one as an alias, or gone.
  for (const key of missing) {
    const to = p.renamed.get(key);
    if (to && users.has(to)) moved.set(key, to);
    else gone.add(key);
  }
  return { gone, moved };
}

/**
 * A target's members as Google lists them now, for a target not read again: members with no
 * account drop out, a renamed member is listed under the new address, and a member deleted after
 * the target was read leaves it even when the address belongs to a new account now.
 */
function foldMembers(
  members: readonly string[],
  readAt: string,
  gone: ReadonlySet<string>,
  moved: ReadonlyMap<string, string>,
  deleted: readonly { login: string; at: number }[],
  users: ReadonlyMap<string, SavedUser>,
): string[] {
  const since = Date.parse(readAt);
  const left = new Set(deleted.filter((d) => d.at >= since).map((d) => d.login));
  const out = new Set<string>();
  for (const m of members) {
    if (gone.has(m) || left.has(m)) continue;
    const to = moved.get(m) ?? m;
    if (users.has(to)) out.add(to);
  }
  return [...out].sort();
}

/** Reads the targets `which` selects (all at once, ten in flight) into `targets`. */
async function readTargets(
  src: GoogleFeedSource,
  scope: Scope,
  customerId: string | undefined,
  targets: Map<string, SavedGoogle['targets'][string]>,
  readAt: string,
  which: (t: Scope['targets'][number]) => boolean,
): Promise<void> {
  const limit = pLimit(CONCURRENCY);
  const chosen = scope.targets.filter(which);
  const read = await Promise.all(
    chosen.map((t) =>
      limit(() =>
        t.kind === 'group' ? src.groupMembers(t.target) : src.licenseHolders(t.target, customerId),
      ),
    ),
  );
  chosen.forEach((t, i) => {
    const members = read[i];
    targets.set(keyOf(t), { members: members ? [...new Set(members)].sort() : null, readAt });
  });
}

/** The managed scope out of the snapshot, as `read` reports it (less last sign-ins). */
function derive(s: SavedGoogle, scope: Scope): ActualState {
  const memberships: ActualMembership[] = [];
  for (const t of scope.targets) {
    const members = s.targets[keyOf(t)]?.members;
    if (members) memberships.push({ kind: t.kind, target: t.target, members });
  }
  const accounts: ActualUser[] = Object.entries(s.users).map(([login, u]) => ({
    login,
    ...(u.name ? { displayName: u.name } : {}),
    enabled: u.enabled,
    sessions: null,
  }));
  return managedState('google', accounts, memberships, scope.logins);
}

function toSaved(u: ActualUser): SavedUser {
  return { ...(u.displayName ? { name: u.displayName } : {}), enabled: u.enabled };
}

function keyOf(t: { kind: string; target: string }): string {
  return `${t.kind}:${t.target}`;
}

/** A saved state read for the same targets (drift-state.ts checks the catalog too: belt and braces). */
function coversScope(s: SavedGoogle, scope: Scope): boolean {
  return scope.targets.every((t) => keyOf(t) in s.targets);
}

function activityKey(a: Activity): string {
  return `${a.id?.time ?? ''}|${a.id?.uniqueQualifier ?? ''}`;
}

/**
 * The activities the next read lists again (within the margin before the new checkpoint): every
 * one listed now was folded, now or by an earlier read.
 */
function keepSeen(listed: readonly Activity[], now: number): string[] {
  const from = now - REPORTING_MARGIN_MS;
  return [...new Set(listed.filter((a) => Date.parse(a.id?.time ?? '') >= from).map(activityKey))].sort();
}
