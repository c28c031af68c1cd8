/**
 * Exceptions: access outside the template. One new or extended (more entitlements, a later
 * expiry, an earlier start, another person, retainOnMove) needs the manager of record, the owner
 * of each high-risk entitlement and every listed approver, and its approvers must list everyone
 * whose approval it needs (the record matches the real approvals). One shortened, removed or
 * edited without granting more needs one approval from HR, security or the manager of record.
 * An exception renamed to a new id with everything else equal is one exception edited, not one
 * removed and one granted: what it grants and why did not change.
 */
import { type Located, lineOf, refOf, type SourceRef } from '../../load/source.js';
import type { Exception } from '../../model/schema.js';
import {
  type DecisionContext,
  type DecisionRule,
  exclusionsFor,
  managerNeed,
  managerOf,
  type Need,
  pairs,
  where,
  who,
} from './context.js';

/** Every listed approver really approves: the record must match the real approvals. */
function listedApprover(
  ctx: DecisionContext,
  after: Located<Exception>,
  id: string,
  i: number,
  change: string,
  excluded: ReadonlyMap<string, string>,
): Need {
  return {
    rule: 'listed-approver',
    ref: refOf(after, ['approvers', i]),
    change,
    description: `${after.src.path} lists ${who(ctx.base, id)} as an approver: they must really approve this pull request`,
    candidates: [id],
    excluded,
  };
}

/** What an exception's change grants more, in words; empty when it grants nothing more. */
function extension(a: Exception | undefined, b: Exception | undefined): string[] {
  const why: string[] = [];
  if (a && !b) why.push('new exception');
  if (a && b) {
    if (a.person !== b.person) why.push(`given to ${a.person} instead of ${b.person}`);
    const gained = a.entitlements.filter((e) => !b.entitlements.includes(e));
    if (gained.length) why.push(`adds ${gained.join(', ')}`);
    if (a.expires > b.expires) why.push(`expiry extended from ${b.expires} to ${a.expires}`);
    if (a.from < b.from) why.push(`starts earlier, on ${a.from} instead of ${b.from}`);
    if (a.retainOnMove && !b.retainOnMove) why.push('may now be kept through a role change (retainOnMove)');
  }
  return why;
}

/** New or extended: the manager, each high-risk entitlement's owner, every listed approver, all recorded. */
function granted(
  ctx: DecisionContext,
  id: string,
  a: Exception,
  after: Located<Exception>,
  why: readonly string[],
  excluded: ReadonlyMap<string, string>,
): void {
  const { base, head, found } = ctx;
  const change = `exception ${id} for ${a.person}: ${why.join('; ')}`;
  const mgr = managerNeed(ctx, a.person, refOf(after, ['person']), change, excluded);
  found.needs.push(mgr);
  const mustList = new Map<string, SourceRef>();
  if (mgr.rule === 'manager-approval') mustList.set(mgr.candidates[0]!, mgr.ref);
  a.entitlements.forEach((entId, i) => {
    const be = base.entitlements.get(entId)?.value;
    const he = head.entitlements.get(entId)?.value;
    if (be?.risk !== 'high' && he?.risk !== 'high') return;
    const owner = (be ?? he)!.owner;
    const ref = refOf(after, ['entitlements', i]);
    found.needs.push({
      rule: 'entitlement-owner-approval',
      ref,
      change,
      description: `${entId} is high-risk: needs approval from its owner ${who(base, owner)}${be ? ' as of the base branch' : ''}`,
      candidates: [owner],
      excluded,
    });
    if (!mustList.has(owner)) mustList.set(owner, ref);
  });
  a.approvers.forEach((approver, i) => {
    found.needs.push(listedApprover(ctx, after, approver, i, change, excluded));
  });
  const unlisted = [...mustList.keys()].filter((p) => !a.approvers.includes(p));
  found.refused.push({
    rule: 'approvers-recorded',
    file: after.src.path,
    line: lineOf(refOf(after, ['approvers'])),
    change,
    description: `approvers must name everyone whose approval this exception needs: ${[...mustList.keys()].join(', ') || 'nobody'}`,
    status: unlisted.length ? 'missing' : 'met',
    satisfiedBy: null,
    why: unlisted.length
      ? `add ${unlisted.join(', ')} to approvers in ${after.src.path} (the record must match the real approvals)`
      : 'every required approver is listed',
  });
}

/** Shortened, removed, or edited without granting more: one approval from HR, security or the manager. */
function reduced(
  ctx: DecisionContext,
  id: string,
  before: Located<Exception> | undefined,
  after: Located<Exception> | undefined,
  excluded: ReadonlyMap<string, string>,
): void {
  const b = before?.value;
  const a = after?.value;
  const theirs = (a ?? b)!;
  const change = !a
    ? `exception ${id} for ${theirs.person} removed`
    : a.expires < b!.expires || a.entitlements.length < b!.entitlements.length || a.from > b!.from
      ? `exception ${id} for ${theirs.person} shortened or narrowed`
      : `exception ${id} for ${theirs.person} edited without granting more`;
  const m = managerOf(ctx, theirs.person).id;
  ctx.found.needs.push({
    rule: 'exception-reduced',
    ref: where(after, before),
    change,
    description: `taking access away needs one approval from ${ctx.hrTeamText}, ${ctx.securityTeamText}${m ? `, or the manager of record ${who(ctx.base, m)}` : ''}`,
    candidates: [...new Set([...ctx.hr, ...ctx.security, ...(m ? [m] : [])])],
    excluded,
  });
  if (a && after) {
    a.approvers.forEach((approver, i) => {
      if (!b!.approvers.includes(approver))
        ctx.found.needs.push(listedApprover(ctx, after, approver, i, change, excluded));
    });
  }
}

function exceptionChange(
  ctx: DecisionContext,
  id: string,
  before: Located<Exception> | undefined,
  after: Located<Exception> | undefined,
): void {
  const b = before?.value;
  const a = after?.value;
  const subjects = [...new Set([b?.person, a?.person].filter((x): x is string => x !== undefined))];
  for (const s of subjects) ctx.found.explained.add(s);
  const excluded = exclusionsFor(subjects, 'this exception grants');
  const why = extension(a, b);
  if (a && after && why.length > 0) granted(ctx, id, a, after, why, excluded);
  else reduced(ctx, id, before, after, excluded);
}

/** Every exception added, changed or removed, each judged by what it grants more or takes away. */
export const exceptions: DecisionRule = {
  name: 'exceptions',
  rules: [
    'manager-approval',
    'security-team',
    'entitlement-owner-approval',
    'listed-approver',
    'approvers-recorded',
    'exception-reduced',
  ],
  check(ctx) {
    const diff = pairs(ctx.base.repo.exceptions, ctx.head.repo.exceptions);
    const content = (e: Exception) => JSON.stringify({ ...e, id: undefined });
    const removed = new Map(diff.filter((d) => !d.after).map((d) => [content(d.before!.value), d] as const));
    for (const d of diff) {
      if (!d.after) continue;
      const renamedFrom = d.before ? undefined : removed.get(content(d.after.value));
      if (renamedFrom) removed.delete(content(d.after.value));
      exceptionChange(ctx, d.id, d.before ?? renamedFrom?.before, d.after);
    }
    for (const d of removed.values()) exceptionChange(ctx, d.id, d.before, undefined);
  },
};
