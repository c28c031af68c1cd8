/**
 * Policy values (policy/jml.yaml) and the catalogs (entitlements, apps, separation of duties):
 * rules for everyone, so the security team approves them, and HR a change of the HR team. Either
 * may move anyone's access, so they explain every change of access (the net is off).
 */
import type { Located } from '../../load/source.js';
import {
  type DecisionContext,
  type DecisionRule,
  differingPaths,
  pairs,
  same,
  securityNeed,
  where,
} from './context.js';

/** A changed policy value needs the security team; a changed HR team needs HR too. */
export const policyValues: DecisionRule = {
  name: 'policyValues',
  rules: ['security-team', 'hr-team-change'],
  check(ctx) {
    const { base, head, found } = ctx;
    const b = base.repo.policy;
    const a = head.repo.policy;
    const changed = differingPaths(b?.value, a?.value);
    if (!changed.length) return;
    const keys = changed.map((k) => k.join('.'));
    const ref = where(a, b, changed[0]);
    found.needs.push(
      securityNeed(ctx, ref, `policy/jml.yaml values changed: ${keys.slice(0, 12).join(', ')}`),
    );
    if (!same(b?.value.teams.hr, a?.value.teams.hr)) {
      found.needs.push({
        rule: 'hr-team-change',
        ref: where(a, b, ['teams', 'hr']),
        change: 'policy/jml.yaml: teams.hr changed',
        description: `changing the HR team needs approval from ${ctx.hrTeamText}`,
        candidates: ctx.hr,
        excluded: ctx.noExclusions,
      });
    }
    found.everyoneExplained = true;
  },
};

function catalog<T extends { id: string }>(
  ctx: DecisionContext,
  file: string,
  b: readonly Located<T>[],
  a: readonly Located<T>[],
): void {
  const diff = pairs(b, a);
  if (!diff.length) return;
  const what = diff.map((d) => `${d.id} ${!d.before ? 'added' : !d.after ? 'removed' : 'changed'}`);
  const first = diff[0]!;
  ctx.found.needs.push(
    securityNeed(
      ctx,
      where(first.after, first.before),
      `${file}: ${what.slice(0, 12).join(', ')}${what.length > 12 ? ` and ${what.length - 12} more` : ''}`,
    ),
  );
  ctx.found.everyoneExplained = true;
}

/** A changed entry of the entitlement, app or separation-of-duties catalog needs the security team. */
export const catalogs: DecisionRule = {
  name: 'catalogs',
  rules: ['security-team'],
  check(ctx) {
    const { base, head } = ctx;
    catalog(ctx, 'policy/entitlements.yaml', base.repo.entitlements, head.repo.entitlements);
    catalog(ctx, 'policy/apps.yaml', base.repo.apps, head.repo.apps);
    catalog(ctx, 'policy/sod.yaml', base.repo.sod, head.repo.sod);
  },
};
