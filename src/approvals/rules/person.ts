/**
 * People: one file per person, compared base to head. A joiner needs the manager named in the
 * file and HR; a person removed is a leaver; a changed person is judged field by field by the
 * person rules below (unknown fields, identity, details, roles and employment), and HR's part of
 * the change is one requirement, at the first place that needs it.
 */
import { refOf, type SourceRef } from '../../load/source.js';
import { byCodePoint } from '../../model/order.js';
import {
  type DecisionRule,
  differingPaths,
  exclusionsFor,
  hrNeed,
  leaverNeed,
  managerNeed,
  type PersonDiff,
  type PersonRule,
  pairs,
  same,
  unclassified,
  where,
} from './context.js';
import { IDENTITY_FIELDS, identityChange } from './identity.js';
import { retainedExceptions } from './retain.js';

/** Fields that describe the person and grant nothing. */
const DESCRIPTIVE_FIELDS = ['name', 'department', 'title', 'location'] as const;
/** Fields whose changes move access (mover, leaver). */
const ACCESS_FIELDS = ['roles', 'employment'] as const;
const PERSON_FIELDS: ReadonlySet<string> = new Set<string>([
  'id',
  ...IDENTITY_FIELDS,
  ...DESCRIPTIVE_FIELDS,
  ...ACCESS_FIELDS,
]);

/** Index of the first entry that differs (the head list's length when it only lost entries at the end). */
function firstDifference(b: readonly unknown[], a: readonly unknown[]): number {
  let i = 0;
  while (i < a.length && i < b.length && same(a[i], b[i])) i++;
  return Math.min(i, Math.max(a.length - 1, 0));
}

/** A field no rule knows (one added to the model later) is refused, never passed. */
const unknownFields: PersonRule = {
  name: 'unknownFields',
  rules: ['unclassified-change'],
  check(ctx, { id, after, fields }) {
    for (const f of fields.filter((k) => !PERSON_FIELDS.has(k)))
      ctx.found.needs.push(unclassified(ctx, refOf(after, [f]), `person ${id}: field ${f} changed`));
  },
};

/** Name, department, title and location grant nothing: HR's part alone. */
const detailsChange: PersonRule = {
  name: 'detailsChange',
  rules: [],
  check(_ctx, d) {
    const descriptive = DESCRIPTIVE_FIELDS.filter((f) => d.fields.includes(f));
    if (descriptive.length)
      d.needHr(refOf(d.after, [descriptive[0]!]), `person details changed: ${descriptive.join(', ')}`);
  },
};

/**
 * Roles or employment: an end set or moved earlier (and nothing else) is a leaver, for the
 * manager of record or HR; anything else is a mover, for the manager of record, whose new
 * retains are re-approved too. HR's part either way.
 */
const accessChange: PersonRule = {
  name: 'accessChange',
  rules: [
    'leaver-manager-or-hr',
    'manager-approval',
    'security-team',
    'retained-exception',
    'retained-exception-approver',
  ],
  check(ctx, d) {
    const { id, before, after, b, a, fields, excluded } = d;
    const rolesChanged = fields.includes('roles');
    const employmentChanged = fields.includes('employment');
    if (!rolesChanged && !employmentChanged) return;
    const endB = b.employment.end;
    const endA = a.employment.end;
    const leaving = endA !== undefined && (endB === undefined || Date.parse(endA) < Date.parse(endB));
    const onlyEnd =
      !rolesChanged &&
      same(
        { ...b.employment, end: undefined, highRisk: undefined },
        { ...a.employment, end: undefined, highRisk: undefined },
      );
    if (leaving && onlyEnd) {
      const ref = refOf(after, ['employment', 'end']);
      const change = endB
        ? `leaver: employment.end moved earlier, from ${endB} to ${endA}`
        : `leaver: employment.end set to ${endA}`;
      ctx.found.needs.push(leaverNeed(ctx, id, ref, change, excluded));
      d.needHr(ref, change);
    } else {
      const what = [rolesChanged ? 'roles' : '', employmentChanged ? 'employment' : ''].filter(Boolean);
      const firstEmployment = differingPaths(b.employment, a.employment)[0] ?? [];
      const ref = rolesChanged
        ? refOf(after, ['roles', firstDifference(b.roles, a.roles)])
        : refOf(after, ['employment', ...firstEmployment]);
      const change = `mover: ${what.join(' and ')} changed`;
      ctx.found.needs.push(managerNeed(ctx, id, ref, change, excluded));
      d.needHr(ref, change);
      if (rolesChanged) retainedExceptions(ctx, before, after, change, excluded);
    }
  },
};

/** The rules over a changed person, in the order they run. */
const PERSON_RULES: readonly PersonRule[] = [unknownFields, identityChange, detailsChange, accessChange];

/**
 * Every person added, removed or changed: a joiner needs the manager named in the file and HR, a
 * removal is a leaver, a change is judged by PERSON_RULES; each explains the person's own access.
 */
export const people: DecisionRule = {
  name: 'people',
  rules: [
    'leaver-manager-or-hr',
    'hr-team',
    'manager-approval',
    'security-team',
    ...new Set(PERSON_RULES.flatMap((r) => r.rules)),
  ],
  check(ctx) {
    const { base, head, found } = ctx;
    for (const { id, before, after } of pairs(base.repo.people, head.repo.people)) {
      found.explained.add(id);
      const excluded = exclusionsFor([id], 'this file changes');
      if (!after) {
        const ref = where(after, before);
        const change = `person removed: ${id}'s file is deleted, which ends all their access`;
        found.needs.push(leaverNeed(ctx, id, ref, change, excluded), hrNeed(ctx, ref, change, excluded));
        continue;
      }
      if (!before) {
        const change = `joiner: ${id} is added`;
        found.needs.push(
          managerNeed(ctx, id, refOf(after, ['manager']), change, excluded),
          hrNeed(ctx, refOf(after), change, excluded),
        );
        retainedExceptions(ctx, undefined, after, change, excluded);
        continue;
      }
      const b = before.value;
      const a = after.value;
      let hrRef: SourceRef | undefined;
      let hrChange = '';
      const diff: PersonDiff = {
        id,
        before,
        after,
        b,
        a,
        fields: [...new Set([...Object.keys(b), ...Object.keys(a)])]
          .filter((k) => !same((b as Record<string, unknown>)[k], (a as Record<string, unknown>)[k]))
          .sort(byCodePoint),
        excluded,
        needHr: (ref, change) => {
          hrRef ??= ref;
          hrChange ||= change;
        },
      };
      for (const rule of PERSON_RULES) rule.check(ctx, diff);
      if (hrRef) found.needs.push(hrNeed(ctx, hrRef, hrChange, excluded));
    }
  },
};
