/**
 * Exceptions: access outside the template is justified, dated within policy, approved by someone
 * else, and not already granted by the role. Each problem is a Diagnostic at the field it is
 * about; what a move keeps of an exception is checked by ./retain.ts.
 */
import { DAY_MS } from '../../model/time.js';
import { describeBecause, resolvePerson } from '../../resolve/resolve.js';
import type { ValidationRule } from './context.js';

/** A justification says why (ten characters at least): an auditor reads it. */
export const exceptionJustified: ValidationRule = {
  name: 'exceptionJustified',
  rules: ['exception-no-justification'],
  check({ repo, emit }) {
    for (const e of repo.exceptions) {
      if (e.value.justification.trim().length < 10) {
        emit(
          'error',
          'exception-no-justification',
          e,
          ['justification'],
          'The justification is empty or too short to explain why this access is needed.',
          'Write why the access is needed and for how long, with a ticket reference.',
        );
      }
    }
  },
};

/**
 * An exception expires after it starts, within policy's maximum length, and not yet (a warning
 * shortly before): expired access must be removed from git, not left to look granted.
 */
export const exceptionDates: ValidationRule = {
  name: 'exceptionDates',
  rules: ['exception-bad-dates', 'exception-too-long', 'exception-expired', 'exception-expiring-soon'],
  check({ repo, policy, clock, at, emit }) {
    const { maxDays, warnDays } = policy.exceptions;
    for (const e of repo.exceptions) {
      const x = e.value;
      const fromMs = clock.dayStart(x.from);
      const expMs = clock.dayStart(x.expires);
      const days = Math.round((expMs - fromMs) / DAY_MS);
      if (expMs <= fromMs) {
        emit(
          'error',
          'exception-bad-dates',
          e,
          ['expires'],
          `The exception expires (${x.expires}) on or before it starts (${x.from}).`,
          'Set expires after from.',
        );
      } else if (days > maxDays) {
        emit(
          'error',
          'exception-too-long',
          e,
          ['expires'],
          `The exception lasts ${days} days; policy allows at most ${maxDays}.`,
          `Set expires to ${clock.dateOf(fromMs + maxDays * DAY_MS)} or earlier, and renew it by a new pull request if still needed.`,
        );
      }
      if (expMs <= at) {
        emit(
          'error',
          'exception-expired',
          e,
          ['expires'],
          `The exception expired on ${x.expires}; it no longer grants anything.`,
          `Delete ${e.src.path} (or renew it with a new expiry, approved again).`,
        );
      } else if (expMs - at <= warnDays * DAY_MS) {
        emit(
          'warning',
          'exception-expiring-soon',
          e,
          ['expires'],
          `The exception expires on ${x.expires}, in ${Math.ceil((expMs - at) / DAY_MS)} days.`,
          'Renew it by pull request if the access is still needed, or let it lapse.',
        );
      }
    }
  },
};

/** Nobody approves their own exception: the approval is a second person's judgement. */
export const exceptionNotSelfApproved: ValidationRule = {
  name: 'exceptionNotSelfApproved',
  rules: ['exception-self-approved'],
  check({ repo, emit }) {
    for (const e of repo.exceptions) {
      const x = e.value;
      x.approvers.forEach((a, i) => {
        if (a === x.person)
          emit(
            'error',
            'exception-self-approved',
            e,
            ['approvers', i],
            `${a} cannot approve access for themselves.`,
            "Ask the person's manager (and for high-risk access the entitlement owner) to approve.",
          );
      });
    }
  },
};

/** An exception grants nothing the role already does (a warning): it would hide when the role changes. */
export const exceptionNotRedundant: ValidationRule = {
  name: 'exceptionNotRedundant',
  rules: ['exception-redundant'],
  check({ repo, index, clock, emit }) {
    for (const e of repo.exceptions) {
      const x = e.value;
      const holder = index.people.get(x.person);
      if (!holder) continue;
      const when = Math.max(clock.dayStart(x.from), clock.dayStart(holder.value.employment.start));
      const role = resolvePerson(index, holder, when);
      x.entitlements.forEach((ent, i) => {
        const g = role.grants.find(
          (gr) => gr.entitlement === ent && gr.because.some((b) => b.source === 'role'),
        );
        if (g)
          emit(
            'warning',
            'exception-redundant',
            e,
            ['entitlements', i],
            `${ent} is already granted by the role (${describeBecause(g.because[0]!)}).`,
            'Remove it from the exception: the role grants it anyway.',
          );
      });
    }
  },
};
