/**
 * Structure: manager chains and role includes go somewhere. A cycle is an error Diagnostic on
 * every member's line, so the annotation lands on whichever file the pull request changed.
 */
import type { ValidationRule } from './context.js';
import { findPath } from './text.js';

/** Nobody is their own manager: approvals need someone else. */
export const selfManagers: ValidationRule = {
  name: 'selfManagers',
  rules: ['self-manager'],
  check({ repo, emit }) {
    for (const p of repo.people) {
      if (p.value.manager === p.value.id) {
        emit(
          'error',
          'self-manager',
          p,
          ['manager'],
          `${p.value.name} is listed as their own manager.`,
          'Set manager to the person they report to.',
        );
      }
    }
  },
};

/** Manager chains end at the top of the organisation: in a circle nobody outside can approve. */
export const managerCycles: ValidationRule = {
  name: 'managerCycles',
  rules: ['manager-cycle'],
  check({ repo, index, emit }) {
    const cycleOf = new Map<string, string[]>();
    const outsideCycles = new Set<string>();
    for (const p of repo.people) {
      const chain: string[] = [];
      const onChain = new Set<string>();
      let cur: string | undefined = p.value.id;
      while (cur !== undefined && !onChain.has(cur) && !outsideCycles.has(cur) && !cycleOf.has(cur)) {
        chain.push(cur);
        onChain.add(cur);
        cur = index.people.get(cur)?.value.manager;
      }
      if (cur !== undefined && onChain.has(cur)) {
        const cycle = chain.slice(chain.indexOf(cur));
        // A person who is their own manager is reported as self-manager.
        if (cycle.length > 1) {
          cycle.forEach((id, i) => {
            cycleOf.set(id, [...cycle.slice(i), ...cycle.slice(0, i)]);
          });
        }
      }
      for (const id of chain) if (!cycleOf.has(id)) outsideCycles.add(id);
    }
    for (const p of repo.people) {
      const cycle = cycleOf.get(p.value.id);
      if (!cycle || index.people.get(p.value.id) !== p) continue;
      emit(
        'error',
        'manager-cycle',
        p,
        ['manager'],
        `Managers go round in a circle: ${[...cycle, cycle[0]].join(' -> ')}.`,
        'Someone in this chain must report to a person outside it.',
      );
    }
  },
};

/** Role includes form a tree: a role that includes itself, even through others, has no meaning. */
export const roleIncludeCycles: ValidationRule = {
  name: 'roleIncludeCycles',
  rules: ['role-include-cycle'],
  check({ repo, index, emit }) {
    for (const r of repo.roles) {
      r.value.includes.forEach((inc, i) => {
        if (inc === r.value.id) {
          emit(
            'error',
            'role-include-cycle',
            r,
            ['includes', i],
            `The role ${inc} includes itself.`,
            'Remove it from its own includes.',
          );
          return;
        }
        const pathBack = findPath(inc, r.value.id, (id) => index.roles.get(id)?.value.includes ?? []);
        if (pathBack) {
          emit(
            'error',
            'role-include-cycle',
            r,
            ['includes', i],
            `Role includes go round in a circle: ${[r.value.id, ...pathBack].join(' -> ')}.`,
            'Remove one of the includes so the roles form a tree.',
          );
        }
      });
    }
  },
};
