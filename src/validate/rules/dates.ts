/**
 * Dates in people/: an employment ends after it starts, roles are dated within it and in order,
 * and an active person's manager has not left. Each problem is a Diagnostic at the date (or the
 * manager) it is about.
 */
import { instantMs } from '../../model/time.js';
import type { ValidationRule } from './context.js';

/** An employment ends after it starts: otherwise the person never holds access. */
export const employmentEnds: ValidationRule = {
  name: 'employmentEnds',
  rules: ['end-before-start'],
  check({ repo, clock, emit }) {
    for (const p of repo.people) {
      const startMs = clock.dayStart(p.value.employment.start);
      const endMs = p.value.employment.end ? instantMs(p.value.employment.end) : undefined;
      if (endMs !== undefined && endMs <= startMs) {
        emit(
          'error',
          'end-before-start',
          p,
          ['employment', 'end'],
          `The employment ends (${p.value.employment.end}) before it starts (${p.value.employment.start}).`,
          'Correct the start date or the end instant.',
        );
      }
    }
  },
};

/**
 * Roles start within the employment, one per date in date order, the first at the start: the
 * role in force at a date is the last one from on or before it.
 */
export const roleDates: ValidationRule = {
  name: 'roleDates',
  rules: ['role-before-start', 'roles-out-of-order', 'no-role-at-start'],
  check({ repo, emit }) {
    for (const p of repo.people) {
      let prev: string | undefined;
      p.value.roles.forEach((r, i) => {
        if (r.from < p.value.employment.start) {
          emit(
            'error',
            'role-before-start',
            p,
            ['roles', i, 'from'],
            `The role ${r.role} starts on ${r.from}, before employment starts on ${p.value.employment.start}.`,
            `Set from to ${p.value.employment.start} or later.`,
          );
        }
        if (prev !== undefined && r.from <= prev) {
          emit(
            'error',
            'roles-out-of-order',
            p,
            ['roles', i, 'from'],
            `Roles must be listed in date order, each on a later date; ${r.from} is not after ${prev}.`,
            'Order the roles by their from date, oldest first, one per date.',
          );
        }
        prev = r.from;
      });
      if (p.value.roles[0] && p.value.roles[0].from > p.value.employment.start) {
        emit(
          'warning',
          'no-role-at-start',
          p,
          ['roles', 0, 'from'],
          `From ${p.value.employment.start} to ${p.value.roles[0].from} no role is in force, so the person has no access.`,
          `Start the first role on ${p.value.employment.start}.`,
        );
      }
    }
  },
};

/** An active person reports to someone still here: approvals need a manager of record. */
export const managersPresent: ValidationRule = {
  name: 'managersPresent',
  rules: ['manager-left'],
  check({ repo, index, clock, at, emit }) {
    for (const p of repo.people) {
      const startMs = clock.dayStart(p.value.employment.start);
      const endMs = p.value.employment.end ? instantMs(p.value.employment.end) : undefined;
      const active = at >= startMs && (endMs === undefined || at < endMs);
      const mgr = p.value.manager ? index.people.get(p.value.manager) : undefined;
      if (active && mgr?.value.employment.end && instantMs(mgr.value.employment.end) <= at) {
        emit(
          'error',
          'manager-left',
          p,
          ['manager'],
          `${p.value.name}'s manager ${mgr.value.name} left on ${mgr.value.employment.end}.`,
          'Set manager to the person they report to now; approvals need a manager of record.',
        );
      }
    }
  },
};
