/**
 * The net under every other rule: each person's access over the coming year is compared base to
 * head (src/approvals/effect.ts), and a person whose access changes with no difference of theirs
 * to explain it (their file, an exception of theirs, a role template they hold) is refused unless
 * the security team approves: the rules cannot be walked around by a change they did not foresee.
 * A change to code, policy or a catalog may move anyone's access, so it turns the net off.
 */
import { refOf } from '../../load/source.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import { ACCOUNT } from '../effect.js';
import { type DecisionRule, securityNeed } from './context.js';
import { includesRole } from './roles.js';

/** A change of someone's access that no difference explains is refused unless security approves. */
export const unexplainedAccess: DecisionRule = {
  name: 'unexplainedAccess',
  rules: ['unexplained-access-change'],
  check(ctx) {
    const { base, head, effects, found } = ctx;
    if (found.everyoneExplained) return;
    /** Whether any role a person is ever given is, or includes, a template this pull request changes. */
    const roleHolders = (idx: RepoIndex, id: string) =>
      (idx.people.get(id)?.value.roles ?? []).some((r) =>
        [...found.changedRoles].some((role) => role === r.role || includesRole(idx, r.role, role)),
      );
    const unexplained = [...new Set(effects.map((e) => e.person))].filter(
      (id) => !found.explained.has(id) && !roleHolders(base, id) && !roleHolders(head, id),
    );
    for (const id of unexplained) {
      const located = head.people.get(id) ?? base.people.get(id)!;
      const what = effects
        .filter((e) => e.person === id)
        .map((e) => `${e.change === 'gained' ? '+' : '-'}${e.what === ACCOUNT ? 'account' : e.what}`);
      found.needs.push({
        ...securityNeed(
          ctx,
          refOf(located),
          `access of ${id} changes (${what.join(', ')}) with no change of theirs to explain it`,
          'unexplained-access-change',
        ),
        description: `no approval rule explains this change of access, so it is refused unless ${ctx.securityTeamText} approves it`,
      });
    }
  },
};
