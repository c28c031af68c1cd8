/**
 * Safety guards, run on the whole plan before the first write (peribolos'
 * --maximum-removal-delta, Entra's accidental-deletion threshold). Each limit comes from
 * policy/jml.yaml `safety` and has its own --allow-* override, except protected accounts,
 * which no flag unlocks.
 */
import type { Policy } from '../model/schema.js';
import type { Plan } from '../plan/plan-types.js';
import type { GuardViolation } from '../records/schema.js';

export interface GuardFlags {
  allowMassRemoval: boolean;
  allowMassDisable: boolean;
  allowDelete: boolean;
}

export function checkGuards(plan: Plan, policy: Policy, flags: GuardFlags): GuardViolation[] {
  const v: GuardViolation[] = [];
  const { safety } = policy;
  const protectedLogins = new Set(safety.protectedAccounts.map((l) => l.toLowerCase()));
  const touched = [...new Set(plan.changes.filter((c) => protectedLogins.has(c.login)).map((c) => c.login))];
  if (touched.length) {
    v.push({
      guard: 'protected-account',
      message: `The plan changes protected account(s) ${touched.join(', ')}, which policy/jml.yaml says no plan may touch.`,
    });
  }
  if (!flags.allowMassRemoval) {
    for (const p of plan.providers) {
      const removals = plan.changes.filter(
        (c) =>
          c.provider === p.name &&
          (c.action === 'revoke' || (c.action === 'openTicket' && c.operation === 'revoke')),
      ).length;
      const share = p.memberships === 0 ? 0 : removals / p.memberships;
      if (removals > safety.removalShareFloor && share > safety.maxRemovalShare) {
        v.push({
          guard: 'mass-removal',
          flag: '--allow-mass-removal',
          message: `The plan removes ${removals} of ${p.memberships} memberships on ${p.name} (${Math.round(share * 100)}%), more than the ${Math.round(safety.maxRemovalShare * 100)}% policy allows in one apply.`,
        });
      }
    }
  }
  const disabled = new Set(
    plan.changes.filter((c) => c.action === 'disableUser').map((c) => c.person ?? c.login),
  );
  if (!flags.allowMassDisable && disabled.size > safety.maxDisables) {
    v.push({
      guard: 'mass-disable',
      flag: '--allow-mass-disable',
      message: `The plan disables ${disabled.size} people, more than the ${safety.maxDisables} policy allows in one apply.`,
    });
  }
  const deletes = plan.changes.filter((c) => c.action === 'deleteUser').length;
  if (!flags.allowDelete && deletes > 0) {
    v.push({
      guard: 'account-deletion',
      flag: '--allow-delete',
      message: `The plan deletes ${deletes} account(s) past their retention period; deletion cannot be undone.`,
    });
  }
  return v;
}
