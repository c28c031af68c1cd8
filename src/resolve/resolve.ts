/**
 * resolve (pure): the repository at time T -> who must have what, and why.
 *
 * Rules, in the order they apply to a person at T:
 * - before the start of `employment.start` (org zone) the person is `pending`: no access;
 * - at and after `employment.end` the person is `terminated`: account disabled, sessions
 *   revoked, every grant removed;
 * - otherwise `active`: the role in force is the last `roles` entry with `from` <= T, expanded
 *   through its includes, plus every exception in force (from <= T < expires). An exception
 *   granted under one role ends at the next role change, unless it is marked `retainOnMove` AND
 *   that move's roles entry lists it in `retain` (the manager of record re-approving it in the
 *   pull request that adds the move; jml approvals requires that approval).
 * Every grant carries the reasons it exists, each with the file and line that causes it.
 */
import type { Located, SourceRef } from '../load/source.js';
import { formatRef, refOf } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { Exception, Person, ProviderName } from '../model/schema.js';
import { instantMs } from '../model/time.js';
import type { RepoIndex } from './repo-index.js';

export interface Because {
  source: 'role' | 'exception';
  /** For a role: where the granting template lists the entitlement. */
  listed?: SourceRef;
  /** Role id or exception id. */
  id: string;
  /** For a role: the chain of includes from the role in force down to the granting role. */
  via: string[];
  ref: SourceRef;
}

export interface DesiredGrant {
  entitlement: string;
  provider: ProviderName;
  because: Because[];
}

export type Status = 'pending' | 'active' | 'terminated';

export interface RoleInForce {
  role: string;
  from: string;
  /** Position in the person's `roles` list. */
  index: number;
  ref: SourceRef;
}

export interface PersonState {
  id: string;
  name: string;
  /** The login on every provider, lower-cased for comparison. */
  login: string;
  status: Status;
  startMs: number;
  endMs?: number;
  highRisk: boolean;
  role?: RoleInForce;
  grants: DesiredGrant[];
  ref: SourceRef;
}

export interface DesiredState {
  at: number;
  people: PersonState[];
}

/** The role entry in force at `at`: the last with from <= at (entries are in date order). */
export function roleInForce(index: RepoIndex, person: Located<Person>, at: number): RoleInForce | undefined {
  const roles = person.value.roles;
  let found = -1;
  for (let i = 0; i < roles.length; i++) if (index.clock.dayStart(roles[i]!.from) <= at) found = i;
  if (found < 0) return undefined;
  const r = roles[found]!;
  return { role: r.role, from: r.from, index: found, ref: refOf(person, ['roles', found]) };
}

/** Whether a move's roles entry keeps an exception: it is retainable and the entry lists it. */
export function retainedThrough(move: Person['roles'][number], exc: Exception): boolean {
  return exc.retainOnMove && (move.retain ?? []).includes(exc.id);
}

/**
 * The first move (a roles entry that changes the role) after an exception started and at or
 * before `at` that does not retain it: the move that ends it. Undefined while it survives.
 */
function endingMove(
  index: RepoIndex,
  person: Person,
  exc: Exception,
  at: number,
): { entry: Person['roles'][number]; index: number } | undefined {
  const excFrom = index.clock.dayStart(exc.from);
  let role: string | undefined;
  for (let i = 0; i < person.roles.length; i++) {
    const r = person.roles[i]!;
    const from = index.clock.dayStart(r.from);
    // The first role is a start, not a move: an exception approved before the start date
    // (from < employment.start) lives under the role the person starts in.
    if (from <= excFrom || role === undefined) role = r.role;
    else if (from <= at && r.role !== role) {
      if (!retainedThrough(r, exc)) return { entry: r, index: i };
      role = r.role; // kept through this move; the next one must retain it again
    }
  }
  return undefined;
}

function survivesMoves(index: RepoIndex, person: Person, exc: Exception, at: number): boolean {
  return endingMove(index, person, exc, at) === undefined;
}

export function exceptionInForce(index: RepoIndex, exc: Exception, at: number): boolean {
  return index.clock.dayStart(exc.from) <= at && at < index.clock.dayStart(exc.expires);
}

/**
 * The instants at which resolvePerson's answer for `person` can change, from the dates in their
 * files: employment start and end, each role's from, each exception's from and expiry (unsorted,
 * may repeat).
 */
export function changePoints(index: RepoIndex, person: Located<Person>): number[] {
  const { clock } = index;
  const v = person.value;
  const out = [clock.dayStart(v.employment.start)];
  if (v.employment.end) out.push(instantMs(v.employment.end));
  for (const r of v.roles) out.push(clock.dayStart(r.from));
  for (const e of index.exceptionsByPerson.get(v.id) ?? [])
    out.push(clock.dayStart(e.value.from), clock.dayStart(e.value.expires));
  return out;
}

/** Resolves one person at `at`. */
export function resolvePerson(index: RepoIndex, person: Located<Person>, at: number): PersonState {
  const p = person.value;
  const startMs = index.clock.dayStart(p.employment.start);
  const endMs = p.employment.end ? instantMs(p.employment.end) : undefined;
  const status: Status =
    at < startMs ? 'pending' : endMs !== undefined && at >= endMs ? 'terminated' : 'active';
  const role = roleInForce(index, person, at);
  const state: PersonState = {
    id: p.id,
    name: p.name,
    login: p.email.toLowerCase(),
    status,
    startMs,
    highRisk: p.employment.highRisk,
    grants: [],
    ref: refOf(person),
    ...(endMs !== undefined ? { endMs } : {}),
    ...(role ? { role } : {}),
  };
  if (status !== 'active') return state;

  const template = role ? roleGrants(index, role.role) : NO_ROLE_GRANTS;
  const roleBecause = (t: RoleGrant): Because => ({
    source: 'role',
    id: t.granting,
    via: t.via,
    ref: role!.ref,
    listed: t.listed,
  });
  const exceptions = (index.exceptionsByPerson.get(p.id) ?? []).filter(
    (exc) => exceptionInForce(index, exc.value, at) && survivesMoves(index, p, exc.value, at),
  );
  // Most people hold exactly their role: its grants, already in order, one `because` each.
  if (exceptions.length === 0) {
    state.grants = template.map((t) => ({
      entitlement: t.entitlement,
      provider: t.provider,
      because: [roleBecause(t)],
    }));
    return state;
  }
  const grants = new Map<string, DesiredGrant>();
  const add = (entitlement: string, provider: ProviderName, because: Because) => {
    const g = grants.get(entitlement);
    if (g) g.because.push(because);
    else grants.set(entitlement, { entitlement, provider, because: [because] });
  };
  for (const t of template) add(t.entitlement, t.provider, roleBecause(t));
  for (const exc of exceptions) {
    for (let i = 0; i < exc.value.entitlements.length; i++) {
      const entitlement = exc.value.entitlements[i]!;
      const ent = index.entitlements.get(entitlement);
      if (!ent) continue; // unknown ids are the validator's business
      add(entitlement, ent.value.provider, {
        source: 'exception',
        id: exc.value.id,
        via: [],
        ref: refOf(exc, ['entitlements', i]),
      });
    }
  }
  state.grants = [...grants.values()].sort((a, b) => byCodePoint(a.entitlement, b.entitlement));
  return state;
}

/** One entitlement a role grants: what every person holding the role gets, but the place of their roles entry. */
interface RoleGrant {
  entitlement: string;
  provider: ProviderName;
  /** The role that lists it (the role itself or one it includes), and the chain of includes to it. */
  granting: string;
  via: string[];
  listed: SourceRef;
}

const NO_ROLE_GRANTS: readonly RoleGrant[] = [];
const roleGrantsOf = new WeakMap<RepoIndex, Map<string, readonly RoleGrant[]>>();

/**
 * What a role grants, in entitlement order, worked out once per role and index instead of once
 * per person: at 100,000 people the per-person lookups and sorting were a tenth of the plan and
 * most of its garbage. Read through `index.expandRole`, so an index that expands differently
 * gets its own table.
 */
function roleGrants(index: RepoIndex, roleId: string): readonly RoleGrant[] {
  let byRole = roleGrantsOf.get(index);
  if (!byRole) {
    byRole = new Map();
    roleGrantsOf.set(index, byRole);
  }
  let out = byRole.get(roleId);
  if (!out) {
    const list: RoleGrant[] = [];
    for (const [entitlement, via] of index.expandRole(roleId)) {
      const ent = index.entitlements.get(entitlement);
      if (!ent) continue; // unknown ids are the validator's business
      const granting = via[via.length - 1] ?? roleId;
      list.push({
        entitlement,
        provider: ent.value.provider,
        granting,
        via,
        listed: index.grantRef(granting, entitlement),
      });
    }
    out = list.sort((a, b) => byCodePoint(a.entitlement, b.entitlement));
    byRole.set(roleId, out);
  }
  return out;
}

/** Resolves everyone at `at`, sorted by person id. */
export function resolveAll(index: RepoIndex, at: number): DesiredState {
  const people = [...index.people.values()]
    .sort((a, b) => byCodePoint(a.value.id, b.value.id))
    .map((p) => resolvePerson(index, p, at));
  return { at, people };
}

/** "role backend-engineer (via sre) at people/alice.nguyen.yaml:14" */
export function describeBecause(b: Because): string {
  const where = formatRef(b.ref);
  if (b.source === 'exception') return `exception ${b.id} at ${where}`;
  const chain = b.via.length > 1 ? ` (included by ${b.via.slice(0, -1).reverse().join(' < ')})` : '';
  const listed = b.listed ? `, listed at ${formatRef(b.listed)}` : '';
  return `role ${b.id}${chain} at ${where}${listed}`;
}

/**
 * Why a person at `at` no longer has an entitlement they hold: the exception that lapsed or
 * ended with a move, or the role change that dropped it. Falls back to the general statement.
 */
export function explainRevoke(index: RepoIndex, state: PersonState, entitlement: string, at: number): string {
  const person = index.people.get(state.id)!;
  const where = formatRef;
  for (const exc of index.exceptionsByPerson.get(state.id) ?? []) {
    const x = exc.value;
    if (!x.entitlements.includes(entitlement) || index.clock.dayStart(x.from) > at) continue;
    if (at >= index.clock.dayStart(x.expires)) {
      return `exception ${x.id} expired on ${x.expires} (${where(refOf(exc, ['expires']))})`;
    }
    const ending = endingMove(index, person.value, x, at);
    if (ending) {
      const moveRef = where(refOf(person, ['roles', ending.index]));
      const why = x.retainOnMove
        ? `the move does not list it in retain`
        : `retainOnMove is false at ${where(refOf(exc, ['retainOnMove']))}`;
      return `mover: exception ${x.id} ended with the move to ${ending.entry.role} on ${ending.entry.from} (${moveRef}; ${why})`;
    }
  }
  const role = state.role;
  if (!role) return `no role is in force at ${where(state.ref)}`;
  const previous = role.index > 0 ? person.value.roles[role.index - 1] : undefined;
  if (previous && index.expandRole(previous.role).has(entitlement)) {
    return `mover: role ${role.role} from ${role.from} (${where(role.ref)}) does not grant it; role ${previous.role} did`;
  }
  return `role ${role.role} (${where(role.ref)}) does not grant it and no exception in force does`;
}
