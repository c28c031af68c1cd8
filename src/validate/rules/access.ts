/**
 * Access as a whole: nobody holds two entitlements a separation-of-duties rule forbids together,
 * at any date their access changes (an error Diagnostic at the grant that began last), and every
 * catalog entry can be held by someone (a warning).
 */
import type { Located, YamlPath } from '../../load/source.js';
import type { Person } from '../../model/schema.js';
import { describeBecause, resolvePerson } from '../../resolve/resolve.js';
import type { ValidationRule } from './context.js';

/** Nobody holds entitlements a separation-of-duties rule forbids together, at any date. */
export const separationOfDuties: ValidationRule = {
  name: 'separationOfDuties',
  rules: ['sod-conflict'],
  check({ repo, index, clock, emit }) {
    if (repo.sod.length === 0) return;
    const ruleOf = new Map<string, Set<string>>(); // entitlement -> rules naming it
    for (const rule of repo.sod) {
      for (const ent of rule.value.conflicting)
        ruleOf.set(ent, (ruleOf.get(ent) ?? new Set()).add(rule.value.id));
    }
    // Could anything this person ever holds clash? Only then is each date resolved.
    const mayClash = (p: Located<Person>): boolean => {
      const hits = new Map<string, Set<string>>(); // rule -> entitlements
      const note = (ent: string) => {
        for (const rule of ruleOf.get(ent) ?? []) hits.set(rule, (hits.get(rule) ?? new Set()).add(ent));
      };
      for (const r of p.value.roles) for (const ent of index.expandRole(r.role).keys()) note(ent);
      for (const e of index.exceptionsByPerson.get(p.value.id) ?? [])
        for (const ent of e.value.entitlements) note(ent);
      return [...hits.values()].some((ents) => ents.size >= 2);
    };
    for (const p of repo.people) {
      if (!mayClash(p)) continue;
      const dates = new Set<string>([p.value.employment.start, ...p.value.roles.map((r) => r.from)]);
      const personExceptions = index.exceptionsByPerson.get(p.value.id) ?? [];
      for (const e of personExceptions) {
        dates.add(e.value.from);
        dates.add(e.value.expires);
      }
      const reported = new Set<string>();
      for (const d of [...dates].sort()) {
        const t = Math.max(clock.dayStart(d), clock.dayStart(p.value.employment.start));
        const state = resolvePerson(index, p, t);
        if (state.status !== 'active') continue;
        const held = new Map(state.grants.map((g) => [g.entitlement, g]));
        for (const rule of repo.sod) {
          if (reported.has(rule.value.id)) continue;
          const clash = rule.value.conflicting.filter((ent) => held.has(ent));
          if (clash.length < 2) continue;
          reported.add(rule.value.id);
          // Point at the grant that began last: the role change or exception that brought the clash.
          let blame: { at: Located<unknown>; path: YamlPath; since: string; exception: boolean } | undefined;
          for (const ent of clash) {
            for (const b of held.get(ent)!.because) {
              const exc =
                b.source === 'exception' ? personExceptions.find((x) => x.value.id === b.id) : undefined;
              const cand = exc
                ? {
                    at: exc,
                    path: ['entitlements', exc.value.entitlements.indexOf(ent)],
                    since: exc.value.from,
                    exception: true,
                  }
                : {
                    at: p,
                    path: ['roles', state.role?.index ?? 0],
                    since: state.role?.from ?? '',
                    exception: false,
                  };
              if (
                !blame ||
                cand.since > blame.since ||
                (cand.since === blame.since && cand.exception && !blame.exception)
              )
                blame = cand;
            }
          }
          emit(
            'error',
            'sod-conflict',
            blame!.at,
            blame!.path,
            `${p.value.name} would hold ${clash.join(' and ')} together from ${clock.dateOf(t)}, which separation-of-duties rule "${rule.value.id}" forbids (${rule.value.title}).`,
            `Remove one of them (${clash.map((c) => `${c}: ${describeBecause(held.get(c)!.because[0]!)}`).join('; ')}), or change the rule in policy/sod.yaml with the security team's approval.`,
          );
        }
      }
    }
  },
};

/** Every catalog entry is granted by some role or exception (a warning): otherwise nobody can hold it. */
export const reachableEntitlements: ValidationRule = {
  name: 'reachableEntitlements',
  rules: ['entitlement-unreachable'],
  check({ repo, index, emit }) {
    const reachable = new Set<string>();
    for (const r of index.roles.keys()) for (const ent of index.expandRole(r).keys()) reachable.add(ent);
    for (const e of repo.exceptions) for (const ent of e.value.entitlements) reachable.add(ent);
    // A role or exception file that failed to load may be the one granting it: say nothing then.
    const grantsMissing = repo.broken.roles.size > 0 || repo.broken.exceptions.size > 0;
    for (const e of repo.entitlements) {
      if (!grantsMissing && !reachable.has(e.value.id)) {
        emit(
          'warning',
          'entitlement-unreachable',
          e,
          ['id'],
          `No role or exception grants "${e.value.id}", so nobody can hold it.`,
          'Add it to a role, or remove it from the catalog.',
        );
      }
    }
  },
};
