/**
 * Reading the managed scope in bulk: every user in pages of 999 (the only way to count the
 * accounts outside the scope), the managed groups by display name (15 names per `$filter`), their
 * members in pages of 999, and `subscribedSkus` once when licenses are managed (license holders
 * come from the users' `assignedLicenses`, at no extra call). What it learns about ids is kept
 * in a `DirectoryIndex`, so that apply does not look up what read has just seen.
 */
import type { Group, SubscribedSku, User } from '@microsoft/microsoft-graph-types';
import { managedState } from '../common.js';
import type { ActualMembership, ActualState, ActualUser, Scope, TargetRef } from '../types.js';
import type { GraphConnection } from './graph.js';

const USER_SELECT = 'id,userPrincipalName,displayName,accountEnabled,assignedLicenses,employeeLeaveDateTime';
/** Graph's largest page for users, groups and members. */
const PAGE = 999;
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

export async function listUsers(graph: GraphConnection): Promise<User[]> {
  return graph.getAll<User>(`/users?$select=${USER_SELECT}&$top=${PAGE}`);
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
function addGroups(found: Map<string, string>, groups: readonly Group[]): void {
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

function unsupported(t: TargetRef): Error {
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
  const users = await listUsers(graph);
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
  const accounts = [...byLogin].map(([login, u]) => toActualUser(login, u));
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

function toActualUser(login: string, u: User): ActualUser {
  const enabled = u.accountEnabled === true;
  return {
    login,
    ...(u.displayName ? { displayName: u.displayName } : {}),
    enabled,
    // Graph lists no sign-in sessions: the planner then always revokes with the disable.
    sessions: null,
    ...(!enabled && u.employeeLeaveDateTime ? { disabledAt: u.employeeLeaveDateTime } : {}),
  };
}

/** Everything, for `jml dump`: all users, all groups, all subscribed licenses. */
export async function readEverything(graph: GraphConnection, index: DirectoryIndex): Promise<ActualState> {
  const groups = await listGroups(graph);
  const skus = await listSkus(graph);
  const targets: TargetRef[] = [
    ...groups.map((g) => ({ kind: 'group' as const, target: g.displayName ?? '' })),
    ...[...skus.keys()].map((target) => ({ kind: 'license' as const, target })),
  ];
  const byName = new Map(groups.map((g) => [groupKey(g.displayName ?? ''), g.id!]));
  return readScope(graph, { logins: new Set(), targets }, index, { groups: byName, skus, everyone: true });
}
