/**
 * Reading the managed scope in bulk: every user in pages of 999 (the only way to count the
 * accounts outside the scope), the managed groups by display name (15 names per `$filter`), their
 * members in pages of 999, and `subscribedSkus` once when licenses are managed (license holders
 * come from the users' `assignedLicenses`, at no extra call). What it learns about ids is kept
 * in a `DirectoryIndex`, so that apply does not look up what read has just seen.
 */

import { GraphError } from '@microsoft/microsoft-graph-client';
import type { Group, SubscribedSku, User } from '@microsoft/microsoft-graph-types';
import type { ActualMembership, ActualState, ActualUser, TargetRef } from '../../model/state.js';
import { latestSignIn, managedState } from '../common.js';
import type { Scope } from '../types.js';
import { describeError, type GraphConnection } from './graph.js';

export const USER_SELECT =
  'id,userPrincipalName,displayName,accountEnabled,assignedLicenses,employeeLeaveDateTime';
/** Graph's largest page for users, groups and members. */
const PAGE = 999;
/**
 * Graph's largest users page when `signInActivity` is selected ("Requests with `$top` set higher
 * than 500 return pages with up to 500 users", List users, example 11).
 */
const SIGN_IN_PAGE = 500;

/**
 * Whether the users list asks for `signInActivity`, and what to do when Graph refuses it. It needs
 * AuditLog.Read.All and an Entra ID P1/P2 tenant; without either Graph answers the whole list
 * 403 (Authentication_MSGraphPermissionMissing, or
 * Authentication_RequestFromNonPremiumTenantOrB2CTenant). The read then goes on without it and
 * reports no last sign-in, with one warning per connection; the list is not asked again.
 */
export interface SignInReading {
  /** Graph's refusal, once it has refused: later reads do not ask again. */
  refused?: string;
  warn: (line: string) => void;
}
/** Names per `displayName in (...)` filter: Graph caps the values of one `in` at 15. */
const NAMES_PER_FILTER = 15;

/** What apply needs to know about a user without asking Graph again. */
export interface UserRef {
  id: string;
  enabled: boolean;
  skuIds: Set<string>;
}

/** Ids learnt by the last read (and by lookups since): login -> user, group name -> id, sku. */
export interface DirectoryIndex {
  users: Map<string, UserRef>;
  /** By `groupKey(displayName)`. */
  groups: Map<string, string>;
  /** skuPartNumber -> skuId; undefined until subscribedSkus has been read. */
  skus?: Map<string, string>;
}

export function emptyIndex(): DirectoryIndex {
  return { users: new Map(), groups: new Map() };
}

export function toUserRef(u: User): UserRef {
  return {
    id: u.id!,
    enabled: u.accountEnabled === true,
    skuIds: new Set((u.assignedLicenses ?? []).map((l) => l.skuId!).filter(Boolean)),
  };
}

/** Graph compares group display names case-insensitively ("eng" finds "Eng"); so do we. */
export function groupKey(displayName: string): string {
  return displayName.toLowerCase();
}

/** OData string literal: a quote is doubled. */
export function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Every user; with `signIns`, their `signInActivity` too, unless Graph refuses it (then without,
 * and `signIns.refused` says why). Returns whether the sign-in activity was read.
 */
export async function listUsers(
  graph: GraphConnection,
  signIns?: SignInReading,
): Promise<{ users: User[]; signIns: boolean }> {
  if (signIns && signIns.refused === undefined) {
    try {
      const users = await graph.getAll<User>(
        `/users?$select=${USER_SELECT},signInActivity&$top=${SIGN_IN_PAGE}`,
      );
      return { users, signIns: true };
    } catch (e) {
      if (!(e instanceof GraphError) || e.statusCode !== 403) throw e;
      signIns.refused = describeError(e);
      signIns.warn(
        `entra: Graph refused signInActivity (${signIns.refused}); last sign-ins are not reported. ` +
          'Grant the app AuditLog.Read.All (it also needs an Entra ID P1 or P2 tenant) to have them for access reviews',
      );
    }
  }
  return { users: await graph.getAll<User>(`/users?$select=${USER_SELECT}&$top=${PAGE}`), signIns: false };
}

export async function listSkus(graph: GraphConnection): Promise<Map<string, string>> {
  const skus = await graph.getAll<SubscribedSku>('/subscribedSkus?$select=skuId,skuPartNumber');
  return new Map(skus.map((s) => [s.skuPartNumber!, s.skuId!]));
}

/**
 * The managed groups, by display name. Display names are not unique in Entra: two groups with
 * a managed name make the read fail, because granting either one could be the wrong access.
 */
async function findGroups(graph: GraphConnection, names: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const part of chunk([...new Set(names)], NAMES_PER_FILTER)) {
    const filter = `displayName in (${part.map(odataString).join(',')})`;
    const groups = await graph.getAll<Group>(
      `/groups?$select=id,displayName&$filter=${encodeURIComponent(filter)}&$top=${PAGE}`,
    );
    addGroups(found, groups);
  }
  return found;
}

async function listGroups(graph: GraphConnection): Promise<Group[]> {
  const groups = await graph.getAll<Group>(`/groups?$select=id,displayName&$top=${PAGE}`);
  addGroups(new Map(), groups); // the same check for names that only differ in case
  return groups;
}

/** Adds groups by `groupKey`; names that differ only in case are the same name to Graph. */
export function addGroups(found: Map<string, string>, groups: readonly Group[]): void {
  for (const g of groups) {
    const key = groupKey(g.displayName ?? '');
    if (found.has(key)) {
      const same = groups.filter((x) => groupKey(x.displayName ?? '') === key);
      throw new Error(
        `entra: ${same.length} groups are named "${same[0]!.displayName}" (Graph ignores case: ${same.map((x) => `"${x.displayName}"`).join(', ')}); ` +
          'rename all but one in Entra so that the entitlement names exactly one group',
      );
    }
    found.set(key, g.id!);
  }
}

/** Members that are users, by login; nested groups, devices and service principals are skipped. */
async function groupMembers(graph: GraphConnection, groupId: string): Promise<string[]> {
  const members = await graph.getAll<User>(
    `/groups/${groupId}/members?$select=id,userPrincipalName&$top=${PAGE}`,
  );
  return members.flatMap((m) => (m.userPrincipalName ? [m.userPrincipalName.toLowerCase()] : []));
}

export function unsupported(t: TargetRef): Error {
  return new Error(
    `entra: entitlement target "${t.target}" is of kind ${t.kind}, which the Entra connector does not manage; ` +
      'assign the enterprise application to a group and make the entitlement that group (kind: group)',
  );
}

/** What `readEverything` has already listed, and whether every account is in scope. */
interface ReadOptions {
  groups?: Map<string, string>;
  skus?: Map<string, string>;
  everyone?: boolean;
  /** Ask for each user's last sign-in (signInActivity). */
  signIns?: SignInReading;
}

/** Reads the scope, and refreshes `index` with every id it saw. */
export async function readScope(
  graph: GraphConnection,
  scope: Scope,
  index: DirectoryIndex,
  opts: ReadOptions = {},
): Promise<ActualState> {
  const bad = scope.targets.find((t) => t.kind !== 'group' && t.kind !== 'license');
  if (bad) throw unsupported(bad);
  const groupNames = scope.targets.filter((t) => t.kind === 'group').map((t) => t.target);
  const wantsLicenses = scope.targets.some((t) => t.kind === 'license');

  // Phase 1: every account (paged), the managed groups and the tenant's SKUs.
  const { users, signIns } = await listUsers(graph, opts.signIns);
  const byLogin = new Map(
    users.filter((u) => u.userPrincipalName).map((u) => [u.userPrincipalName!.toLowerCase(), u]),
  );
  index.users = new Map([...byLogin].map(([login, u]) => [login, toUserRef(u)]));
  index.groups = opts.groups ?? (groupNames.length > 0 ? await findGroups(graph, groupNames) : new Map());
  if (wantsLicenses) index.skus = opts.skus ?? (await listSkus(graph));

  // Phase 2: members of each managed target that exists.
  const memberships: ActualMembership[] = [];
  for (const t of scope.targets) {
    const members = await targetMembers(graph, t, index, users);
    if (members) memberships.push({ kind: t.kind, target: t.target, members: [...new Set(members)].sort() });
  }

  // Phase 3: the scope is the repository's people plus anyone holding a managed target.
  const accounts = [...byLogin].map(([login, u]) => toActualUser(login, u, signIns));
  return managedState('entra', accounts, memberships, scope.logins, opts.everyone);
}

async function targetMembers(
  graph: GraphConnection,
  t: TargetRef,
  index: DirectoryIndex,
  users: readonly User[],
): Promise<string[] | undefined> {
  if (t.kind === 'group') {
    const id = index.groups.get(groupKey(t.target));
    return id ? groupMembers(graph, id) : undefined;
  }
  const skuId = index.skus?.get(t.target);
  if (!skuId) return undefined;
  return users
    .filter((u) => u.userPrincipalName && u.assignedLicenses?.some((l) => l.skuId === skuId))
    .map((u) => u.userPrincipalName!.toLowerCase());
}

export function toActualUser(login: string, u: User, signIns: boolean): ActualUser {
  const enabled = u.accountEnabled === true;
  return {
    login,
    ...(u.displayName ? { displayName: u.displayName } : {}),
    enabled,
    // Graph lists no sign-in sessions: the planner then always revokes with the disable.
    sessions: null,
    ...(!enabled && u.employeeLeaveDateTime ? { disabledAt: u.employeeLeaveDateTime } : {}),
    ...(signIns ? { lastSignIn: lastSignIn(u) } : {}),
  };
}

/**
 * The latest of the interactive, non-interactive and successful sign-ins Graph reports. A user who
 * never signed in has no signInActivity (null), or its "never" values: `0001-01-01T00:00:00Z`
 * and empty strings (lastSuccessfulSignInDateTime was not backfilled before December 2023).
 */
function lastSignIn(u: User): string | null {
  const a = u.signInActivity;
  if (!a) return null;
  return latestSignIn([
    a.lastSignInDateTime,
    a.lastNonInteractiveSignInDateTime,
    a.lastSuccessfulSignInDateTime,
  ]);
}

/** Everything, for `jml dump`: all users, all groups, all subscribed licenses. */
export async function readEverything(
  graph: GraphConnection,
  index: DirectoryIndex,
  signIns?: SignInReading,
): Promise<ActualState> {
  const groups = await listGroups(graph);
  const skus = await listSkus(graph);
  const targets: TargetRef[] = [
    ...groups.map((g) => ({ kind: 'group' as const, target: g.displayName ?? '' })),
    ...[...skus.keys()].map((target) => ({ kind: 'license' as const, target })),
  ];
  const byName = new Map(groups.map((g) => [groupKey(g.displayName ?? ''), g.id!]));
  return readScope(graph, { logins: new Set(), targets }, index, {
    groups: byName,
    skus,
    everyone: true,
    ...(signIns ? { signIns } : {}),
  });
}
