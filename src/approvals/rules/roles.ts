/**
 * Role templates: a template is policy for everyone holding it, so a change needs its owner (as
 * of the base branch) and the security team. Holding the role does not disqualify either: the
 * change is reviewed by two people, and the author's approval never counts.
 */
import type { RepoIndex } from '../../resolve/repo-index.js';
import { type DecisionRule, pairs, securityNeed, where, who } from './context.js';

/** An added, changed or removed role template needs its owner and the security team. */
export const roleTemplates: DecisionRule = {
  name: 'roleTemplates',
  rules: ['role-owner-approval', 'security-team'],
  check(ctx) {
    const { base, head, found } = ctx;
    for (const { id, before, after } of pairs(base.repo.roles, head.repo.roles)) {
      found.changedRoles.add(id);
      const b = before?.value;
      const a = after?.value;
      const gained = a
        ? [...head.expandRole(id).keys()].filter((e) => !(b ? base.expandRole(id).has(e) : false))
        : [];
      const change = !b
        ? `role template ${id} added`
        : !a
          ? `role template ${id} removed`
          : gained.length
            ? `role template ${id} changed: now also grants ${gained.join(', ')}`
            : `role template ${id} changed without granting more`;
      const owner = b?.owner ?? a!.owner;
      found.needs.push({
        rule: 'role-owner-approval',
        ref: where(after, before, after ? ['owner'] : []),
        change,
        description: `needs approval from the role owner ${who(ctx.base, owner)}${b ? ' as of the base branch' : ' (named in the new file)'}`,
        candidates: [owner],
        excluded: ctx.noExclusions,
      });
      found.needs.push(securityNeed(ctx, where(after, before), change));
    }
  },
};

/** Whether role `id` includes `target`, directly or through other includes (cycles cut). */
export function includesRole(idx: RepoIndex, id: string, target: string, seen = new Set<string>()): boolean {
  if (seen.has(id)) return false;
  seen.add(id);
  const r = idx.roles.get(id)?.value;
  if (!r) return false;
  return r.includes.some((inc) => inc === target || includesRole(idx, inc, target, seen));
}
