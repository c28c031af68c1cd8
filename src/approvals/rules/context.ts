/**
 * What every approval rule is given: the pull request (base, head, files, reviews, the instant),
 * how to name people and teams as of the base branch, builders for the requirements the rules
 * share (the manager of record, HR, the security team, a leaver's), and where the rules put what
 * they find. A rule is a small pure function of this context; src/approvals/rules/index.ts lists
 * them in the order they run.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Located, lineRef, refOf, type SourceRef, type YamlPath } from '../../load/source.js';
import type { Diagnostic } from '../../model/diagnostic.js';
import { byCodePoint } from '../../model/order.js';
import type { Person } from '../../model/schema.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import { type AccessChange, accessChanges } from '../effect.js';
import type { ChangedFile, Requirement, Review } from '../types.js';

export interface DecisionInput {
  /** The base branch: the authority (managers, owners, teams, logins) and the access before. */
  base: RepoIndex;
  /** The head as it would be merged: the access after. */
  head: RepoIndex;
  files: readonly ChangedFile[];
  author: string;
  headSha: string;
  reviews: readonly Review[];
  /** The instant of the decision: who may approve, and where the year of effect starts. */
  now: number;
  /** People under an emergency offboarding hold on the base branch's records. */
  held?: ReadonlySet<string>;
  /** Errors the head has and the base has not (load and validate): each refuses the change. */
  headProblems?: readonly Diagnostic[];
  /** Changed files that are exactly what jml generates from the head's data (CODEOWNERS). */
  generated?: ReadonlySet<string>;
}

export const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

/** One requirement before it is evaluated: who may meet it and who may not. */
export interface Need {
  rule: string;
  ref: SourceRef;
  change: string;
  description: string;
  /** Person ids any one of whom meets it; empty means nobody can (the why says so). */
  candidates: readonly string[];
  /** Why nobody is eligible, when candidates is empty. */
  noCandidates?: string;
  /** Person ids whose approval does not count here, with the reason. */
  excluded: ReadonlyMap<string, string>;
  /** "Comes from or is approved by": a candidate's authorship meets it too. */
  authorMay?: boolean;
}

/** What the rules find, in the order they find it (the order of ties in the sorted requirements). */
export interface Findings {
  needs: Need[];
  /** Requirements decided without an approval (refused outright, or a check of the record). */
  refused: Requirement[];
  /** Changed files with no effect on access. */
  notes: string[];
  /** People a difference explains a change of access for (see the unexplained-access net). */
  explained: Set<string>;
  /** A change that may move anyone's access (code, policy, catalogs) was found: the net is off. */
  everyoneExplained: boolean;
  /** Role templates the pull request changes. */
  changedRoles: Set<string>;
}

export interface DecisionContext {
  input: DecisionInput;
  /** The authority (managers, owners, teams, logins) and the access before. */
  base: RepoIndex;
  /** The access after. */
  head: RepoIndex;
  /** Each person's access over the coming year, before and after: what changes. */
  effects: readonly AccessChange[];
  hr: readonly string[];
  security: readonly string[];
  hrTeamText: string;
  securityTeamText: string;
  noExclusions: ReadonlyMap<string, string>;
  found: Findings;
}

/** `grace.lin (GitHub @grace-l)` as of the base branch. */
export function who(base: RepoIndex, id: string): string {
  const p = base.people.get(id);
  if (!p) return `${id} (not on the base branch)`;
  return p.value.github ? `${id} (GitHub @${p.value.github})` : `${id} (no GitHub login on the base branch)`;
}

export function decisionContext(input: DecisionInput): DecisionContext {
  const { base, head } = input;
  const hr = base.policy.teams.hr;
  const security = base.policy.teams.security;
  const members = (ids: readonly string[]) =>
    ids
      .map((id) => {
        const gh = base.people.get(id)?.value.github;
        return gh ? `${id} @${gh}` : `${id} without a GitHub login`;
      })
      .join(', ');
  return {
    input,
    base,
    head,
    effects: accessChanges(base, head, input.now),
    hr,
    security,
    hrTeamText: `the HR team (named in policy/jml.yaml on the base branch: ${members(hr)})`,
    securityTeamText: `the security team (named in policy/jml.yaml on the base branch: ${members(security)})`,
    noExclusions: new Map<string, string>(),
    found: {
      needs: [],
      refused: [],
      notes: [],
      explained: new Set(),
      everyoneExplained: false,
      changedRoles: new Set(),
    },
  };
}

/** The subjects' own approvals do not count: nobody approves their own access. */
export function exclusionsFor(subjects: readonly string[], what: string): ReadonlyMap<string, string> {
  const m = new Map<string, string>();
  for (const s of subjects)
    m.set(s, `${s} is the person whose access ${what}, and nobody approves their own access`);
  return m;
}

/** Where a value is: on the head when it is there, else the first line of its base file. */
export function where<T>(
  after: Located<T> | undefined,
  before: Located<T> | undefined,
  path: YamlPath = [],
): SourceRef {
  return after ? refOf(after, path) : before ? lineRef(before.src.path) : lineRef('policy/jml.yaml');
}

/** The manager of record of a person as of the base branch (for someone new: the head file's). */
export function managerOf(
  ctx: DecisionContext,
  personId: string,
): { id: string | undefined; fromBase: boolean } {
  const b = ctx.base.people.get(personId);
  if (b) return { id: b.value.manager, fromBase: true };
  return { id: ctx.head.people.get(personId)?.value.manager, fromBase: false };
}

/** Approval by the security team. */
export function securityNeed(
  ctx: DecisionContext,
  ref: SourceRef,
  change: string,
  rule = 'security-team',
  excluded: ReadonlyMap<string, string> = ctx.noExclusions,
): Need {
  return {
    rule,
    ref,
    change,
    description: `needs approval from ${ctx.securityTeamText}`,
    candidates: ctx.security,
    excluded,
  };
}

/** Approval by the manager of record; for someone without one, the security team instead. */
export function managerNeed(
  ctx: DecisionContext,
  personId: string,
  ref: SourceRef,
  change: string,
  excluded: ReadonlyMap<string, string>,
): Need {
  const m = managerOf(ctx, personId);
  if (!m.id) {
    return {
      ...securityNeed(ctx, ref, change, 'security-team', excluded),
      description: `${personId} has no manager of record${m.fromBase ? ' on the base branch' : ''}: needs approval from ${ctx.securityTeamText} instead`,
    };
  }
  return {
    rule: 'manager-approval',
    ref,
    change,
    description: m.fromBase
      ? `needs approval from the manager of record ${who(ctx.base, m.id)} as of the base branch`
      : `needs approval from ${who(ctx.base, m.id)}, the manager named in the new file (who must already be on the base branch)`,
    candidates: [m.id],
    excluded,
  };
}

/** HR's part of a person change: the pull request comes from HR, or HR approves it. */
export function hrNeed(
  ctx: DecisionContext,
  ref: SourceRef,
  change: string,
  excluded: ReadonlyMap<string, string>,
): Need {
  return {
    rule: 'hr-team',
    ref,
    change,
    description: `needs to come from, or be approved by, ${ctx.hrTeamText}`,
    candidates: ctx.hr,
    excluded,
    authorMay: true,
  };
}

/** A leaver: the manager of record or HR (HR alone suffices). */
export function leaverNeed(
  ctx: DecisionContext,
  personId: string,
  ref: SourceRef,
  change: string,
  excluded: ReadonlyMap<string, string>,
): Need {
  const m = managerOf(ctx, personId);
  return {
    rule: 'leaver-manager-or-hr',
    ref,
    change,
    description: m.id
      ? `a leaver needs approval from the manager of record ${who(ctx.base, m.id)} as of the base branch, or from ${ctx.hrTeamText} (HR alone suffices)`
      : `a leaver needs approval from ${ctx.hrTeamText}`,
    candidates: [...(m.id ? [m.id] : []), ...ctx.hr.filter((h) => h !== m.id)],
    excluded,
  };
}

/** Something the rules do not know how to judge: refused, for the security team to look at. */
export function unclassified(ctx: DecisionContext, ref: SourceRef, change: string): Need {
  return {
    ...securityNeed(ctx, ref, change, 'unclassified-change'),
    description: `jml approvals has no rule for this change, so it is refused unless ${ctx.securityTeamText} approves it`,
  };
}

function byId<T extends { id: string }>(items: readonly Located<T>[]): Map<string, Located<T>> {
  const m = new Map<string, Located<T>>();
  for (const it of items) if (!m.has(it.value.id)) m.set(it.value.id, it);
  return m;
}

/** The ids on either side that differ, in code-point order, with the value on each. */
export function pairs<T extends { id: string }>(
  base: readonly Located<T>[],
  head: readonly Located<T>[],
): { id: string; before: Located<T> | undefined; after: Located<T> | undefined }[] {
  const b = byId(base);
  const h = byId(head);
  return [...new Set([...b.keys(), ...h.keys()])]
    .sort(byCodePoint)
    .map((id) => ({ id, before: b.get(id), after: h.get(id) }))
    .filter((p) => !p.before || !p.after || !same(p.before.value, p.after.value));
}

/** The paths of every leaf value that differs between two plain values (`safety.maxDisables`). */
export function differingPaths(b: unknown, a: unknown, prefix: string[] = []): string[][] {
  if (same(b, a)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(b) && isObj(a)) {
    const bb = b as Record<string, unknown>;
    const aa = a as Record<string, unknown>;
    return [...new Set([...Object.keys(bb), ...Object.keys(aa)])]
      .sort(byCodePoint)
      .flatMap((k) => differingPaths(bb[k], aa[k], [...prefix, k]));
  }
  return [prefix];
}

/** A person on both sides whose file changed. */
export interface PersonDiff {
  id: string;
  before: Located<Person>;
  after: Located<Person>;
  b: Person;
  a: Person;
  /** The top-level fields that differ, in code-point order. */
  fields: string[];
  /** The person's own approval does not count. */
  excluded: ReadonlyMap<string, string>;
  /** Notes that HR's part is needed here; the first place and change are the requirement's. */
  needHr(ref: SourceRef, change: string): void;
}

/** A rule over one changed person. */
export interface PersonRule {
  name: string;
  rules: readonly string[];
  check(ctx: DecisionContext, d: PersonDiff): void;
}

/** A rule of the table: the requirement ids it may add, and the check. */
export interface DecisionRule {
  /** A short name, for tests and for reading the table. */
  name: string;
  /** Every requirement rule id it may add (README.md, "jml approvals", documents each). */
  rules: readonly string[];
  check(ctx: DecisionContext): void;
}
