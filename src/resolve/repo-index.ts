/**
 * Lookup tables over a loaded repository, built once and shared by validate, resolve and plan.
 * Where ids are duplicated (the validator reports it) the first one wins.
 */
import type { Repository } from '../load/load-repo.js';
import { type Located, refOf, type SourceRef } from '../load/source.js';
import type { App, Entitlement, Exception, Person, Policy, Role } from '../model/schema.js';
import { type Clock, createClock } from '../model/time.js';

export interface RepoIndex {
  repo: Repository;
  policy: Policy;
  clock: Clock;
  people: Map<string, Located<Person>>;
  roles: Map<string, Located<Role>>;
  entitlements: Map<string, Located<Entitlement>>;
  apps: Map<string, Located<App>>;
  exceptionsByPerson: Map<string, Located<Exception>[]>;
  /**
   * The entitlements a role grants, directly or through includes, each with the chain of roles
   * that leads to it (`[role, included, ...]`). Memoised; include cycles are cut, not followed.
   */
  expandRole(roleId: string): ReadonlyMap<string, string[]>;
  /** Where a role template lists an entitlement (roles/<id>.yaml:line). Memoised. */
  grantRef(roleId: string, entitlement: string): SourceRef;
}

function byId<T extends { id: string }>(items: Located<T>[]): Map<string, Located<T>> {
  const m = new Map<string, Located<T>>();
  for (const it of items) if (!m.has(it.value.id)) m.set(it.value.id, it);
  return m;
}

export function indexRepository(repo: Repository, policy: Policy): RepoIndex {
  const roles = byId(repo.roles);
  const exceptionsByPerson = new Map<string, Located<Exception>[]>();
  for (const e of repo.exceptions) {
    const list = exceptionsByPerson.get(e.value.person) ?? [];
    list.push(e);
    exceptionsByPerson.set(e.value.person, list);
  }
  const memo = new Map<string, Map<string, string[]>>();
  const grantRefs = new Map<string, SourceRef>();
  const expand = (roleId: string, stack: string[]): Map<string, string[]> => {
    const cached = memo.get(roleId);
    if (cached) return cached;
    const out = new Map<string, string[]>();
    const r = roles.get(roleId);
    if (!r || stack.includes(roleId)) return out;
    const chain = [...stack, roleId];
    for (const inc of r.value.includes) {
      for (const [ent, via] of expand(inc, chain)) if (!out.has(ent)) out.set(ent, [roleId, ...via]);
    }
    // Direct grants win over included ones for the explanation: they are the closer cause.
    for (const ent of r.value.entitlements) out.set(ent, [roleId]);
    if (stack.length === 0) memo.set(roleId, out);
    return out;
  };
  return {
    repo,
    policy,
    clock: createClock(policy.timezone),
    people: byId(repo.people),
    roles,
    entitlements: byId(repo.entitlements),
    apps: byId(repo.apps),
    exceptionsByPerson,
    expandRole: (roleId) => expand(roleId, []),
    grantRef: (roleId, entitlement) => {
      const key = `${roleId}\u0000${entitlement}`;
      let ref = grantRefs.get(key);
      if (!ref) {
        const r = roles.get(roleId)!;
        ref = refOf(r, ['entitlements', r.value.entitlements.indexOf(entitlement)]);
        grantRefs.set(key, ref);
      }
      return ref;
    },
  };
}
