/**
 * Access reviews: a campaign's terms are set by the security team; a reviewer file's decisions
 * (which only end access) need the reviewer the campaign on the base branch names, and the
 * people under review cannot approve their own items.
 */
import type { Located, SourceRef } from '../../load/source.js';
import { byCodePoint } from '../../model/order.js';
import type { ReviewFile } from '../../model/schema.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import {
  type DecisionContext,
  type DecisionRule,
  exclusionsFor,
  same,
  securityNeed,
  where,
  who,
} from './context.js';

/** The reviewer the base campaign names approves a reviewer file's decisions. */
function reviewFileNeed(ctx: DecisionContext, p: string, after: Located<ReviewFile>, ref: SourceRef): void {
  const campaign = ctx.base.repo.reviews.campaigns.find(
    (c) => c.value.quarter === after.value.quarter,
  )?.value;
  const listed = campaign?.reviewers.find((r) => r.file === p);
  const subjects = [...new Set(after.value.items.flatMap((i) => (i.person ? [i.person] : [])))];
  ctx.found.needs.push({
    rule: 'access-review',
    ref,
    change: `access review decisions in ${p} (decisions only end access; jml review check judges the file itself)`,
    description: listed
      ? `needs approval from the reviewer ${who(ctx.base, listed.reviewer)}, as the campaign on the base branch names`
      : 'needs approval from the reviewer the campaign names',
    candidates: listed ? [listed.reviewer] : [],
    noCandidates: `the campaign on the base branch does not list ${p}: merge the campaign's pull request first`,
    excluded: exclusionsFor(subjects, 'is an item of this file'),
  });
}

/** A changed campaign or a removed reviewer file needs security; a changed reviewer file, its reviewer. */
export const accessReviews: DecisionRule = {
  name: 'accessReviews',
  rules: ['security-team', 'access-review'],
  check(ctx) {
    const { base, head, found } = ctx;
    const files = (idx: RepoIndex) => new Map(idx.repo.reviews.files.map((f) => [f.src.path, f] as const));
    const campaigns = (idx: RepoIndex) =>
      new Map(idx.repo.reviews.campaigns.map((c) => [c.src.path, c] as const));
    const bc = campaigns(base);
    const hc = campaigns(head);
    for (const p of [...new Set([...bc.keys(), ...hc.keys()])].sort(byCodePoint)) {
      if (same(bc.get(p)?.value, hc.get(p)?.value)) continue;
      found.needs.push(
        securityNeed(
          ctx,
          where(hc.get(p), bc.get(p)),
          `access review campaign ${p} changed: its terms are set by security`,
        ),
      );
    }
    const bf = files(base);
    const hf = files(head);
    for (const p of [...new Set([...bf.keys(), ...hf.keys()])].sort(byCodePoint)) {
      const before = bf.get(p);
      const after = hf.get(p);
      if (same(before?.value, after?.value)) continue;
      const ref = where(after, before);
      if (!after) {
        found.needs.push(securityNeed(ctx, ref, `access review file ${p} removed`));
        continue;
      }
      reviewFileNeed(ctx, p, after, ref);
    }
  },
};
