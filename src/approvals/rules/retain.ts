/**
 * A move's `retain` keeps an exception that would otherwise end on the move date (the seed's
 * process: the manager of record re-approves it in the pull request that adds it), and where it
 * grants anything high-risk, its own approvers re-approve it too. Only a retain the base did not
 * have needs approval.
 */
import { type Located, refOf } from '../../load/source.js';
import type { Person } from '../../model/schema.js';
import { type DecisionContext, managerNeed, who } from './context.js';

/** Each new retain needs the manager of record (and a high-risk exception's approvers) to re-approve it. */
export function retainedExceptions(
  ctx: DecisionContext,
  before: Located<Person> | undefined,
  after: Located<Person>,
  change: string,
  excluded: ReadonlyMap<string, string>,
): void {
  const { base, head, found } = ctx;
  const old = new Set(
    (before?.value.roles ?? []).flatMap((r) => (r.retain ?? []).map((x) => `${r.role}@${r.from}/${x}`)),
  );
  after.value.roles.forEach((r, i) => {
    (r.retain ?? []).forEach((excId, j) => {
      if (old.has(`${r.role}@${r.from}/${excId}`)) return;
      const exc = head.repo.exceptions.find((e) => e.value.id === excId)?.value;
      const ref = refOf(after, ['roles', i, 'retain', j]);
      const what = `${change}: ${excId} retained through the move to ${r.role} on ${r.from}`;
      const mgr = managerNeed(ctx, after.value.id, ref, what, excluded);
      found.needs.push({
        ...mgr,
        rule: mgr.rule === 'manager-approval' ? 'retained-exception' : mgr.rule,
        description: `${excId}${exc ? ` (${exc.entitlements.join(', ')})` : ''} is kept through the move only if it is re-approved: ${mgr.description}`,
      });
      const high = exc?.entitlements.some(
        (e) =>
          base.entitlements.get(e)?.value.risk === 'high' || head.entitlements.get(e)?.value.risk === 'high',
      );
      if (!exc || !high) return;
      const approvers = (base.repo.exceptions.find((e) => e.value.id === excId)?.value ?? exc).approvers;
      for (const approver of approvers)
        found.needs.push({
          rule: 'retained-exception-approver',
          ref,
          change: what,
          description: `${excId} grants high-risk access: its approver ${who(base, approver)} must re-approve it for the move`,
          candidates: [approver],
          excluded,
        });
    });
  });
}
