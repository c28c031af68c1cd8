/**
 * approvals: does a pull request carry the approvals its effect needs?
 *
 * A pure function of the base branch (which says who is whose manager, who owns what, who is on
 * which team, and what access everyone holds), the head as it would be after the merge (the
 * loaded model: src/cli/approvals-command.ts overlays the pull request's changed data files on
 * the base), the changed paths, the author, the reviews and the instant. Paths only say what is
 * data (src/load/data-files.ts); what needs approval is read from the difference between the two
 * LOADED models, however the files were written:
 *
 * | difference                                    | needs                                                  |
 * |-----------------------------------------------|--------------------------------------------------------|
 * | person added (joiner)                         | manager named in the file (on the base branch) + HR     |
 * | person: roles or employment (mover)           | manager of record (base) + HR (authored or approved)    |
 * | person: leaver (end set or earlier, only)     | manager of record or HR (HR alone suffices) + HR        |
 * | person removed                                | as a leaver                                             |
 * | person: email, github, manager, hrId          | manager of record (base) or security + HR               |
 * | person: a move retains an exception (retain)  | manager of record (+ the exception's approvers if high  |
 * |                                               | risk): the re-approval the seed's process asks for      |
 * | person: name, department, title, location     | HR                                                      |
 * | person without a manager (the top)            | the security team instead of the manager                |
 * | exception: new or extended                    | manager of record + owner of each high-risk entitlement |
 * |                                               | + every listed approver (manager and owners listed)     |
 * | exception: shortened, removed, edited         | HR, security or the manager of record (one approval)    |
 * | role template                                 | role owner (base) + security team                       |
 * | policy values, catalog, apps, SoD, JML-POLICY | security team (+ HR for teams.hr and JML-POLICY.md)     |
 * | access review campaign                        | security team                                           |
 * | access reviewer file                          | the reviewer the base campaign names                    |
 * | code, workflows, scripts, packages, CODEOWNERS| security team                                           |
 * | anything the loader reads it cannot classify  | refused: the security team must look                    |
 * | new errors on the head (jml validate)         | refused until fixed                                     |
 *
 * And over all of it, the effect: each person's access over the coming year (src/approvals/
 * effect.ts) is compared, and a person whose access changes with no difference above to explain
 * it is refused (`unexplained-access-change`): the rules cannot be walked around by a change they
 * did not foresee.
 *
 * What never counts: the PR author's approval; an approval on any commit but the head (stale);
 * an approval followed by a request for changes or a dismissal; an approval by a login that is
 * no person's `github` on the base branch; an approval by someone who has left, has not started
 * or is under an offboarding hold (src/approvals/reviews.ts); an approval by the person whose
 * access changes. Managers, owners, team members and logins are read from the base branch, so a
 * pull request cannot name its own approvers. Only the HR requirement of a person change may be
 * met by authorship ("comes from HR").
 */

import { isDeepStrictEqual } from 'node:util';
import { classifyPath, WRITTEN_POLICY } from '../load/data-files.js';
import type { Located, SourceRef } from '../load/source.js';
import { lineOf, refOf } from '../load/source.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { byCodePoint } from '../model/order.js';
import type { Exception, Person, ReviewFile } from '../model/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { ACCOUNT, accessChanges, describeWindow } from './effect.js';
import {
  type ApproverContext,
  counts,
  type Standing,
  standings,
  standingWhy,
  unableToApprove,
} from './reviews.js';
import type { ChangedFile, Decision, Requirement, Review, ReviewerSummary } from './types.js';

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

const lower = (s: string) => s.toLowerCase();
const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);

/** Identity fields: who the person is on every provider, and who approves for them. */
const IDENTITY_FIELDS = ['email', 'github', 'manager', 'hrId'] as const;
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

/** One requirement before it is evaluated: who may meet it and who may not. */
interface Need {
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

class Evaluator {
  readonly byLogin = new Map<string, Located<Person>>();
  readonly stands: Map<string, Standing>;
  readonly authorPerson: Located<Person> | undefined;
  readonly ctx: ApproverContext;

  constructor(private readonly input: DecisionInput) {
    for (const p of input.base.repo.people) {
      const gh = p.value.github;
      if (gh && !this.byLogin.has(lower(gh))) this.byLogin.set(lower(gh), p);
    }
    this.stands = standings(input, (l) => this.byLogin.get(lower(l)));
    this.authorPerson = this.byLogin.get(lower(input.author));
    this.ctx = { now: input.now, clock: input.base.clock, held: input.held ?? new Set() };
  }

  /** `grace.lin (GitHub @grace-l)` as of the base branch. */
  who(id: string): string {
    const p = this.input.base.people.get(id);
    if (!p) return `${id} (not on the base branch)`;
    return p.value.github
      ? `${id} (GitHub @${p.value.github})`
      : `${id} (no GitHub login on the base branch)`;
  }

  whoList(ids: readonly string[]): string {
    return ids.map((id) => this.who(id)).join(', ');
  }

  evaluate(n: Need): Requirement {
    const base = {
      rule: n.rule,
      file: n.ref.file,
      line: lineOf(n.ref),
      change: n.change,
      description: n.description,
    };
    const reasons: string[] = [];
    const silent: string[] = [];
    if (n.candidates.length === 0) reasons.push(n.noCandidates ?? 'nobody is eligible');
    for (const id of n.candidates) {
      const excluded = n.excluded.get(id);
      const p = this.input.base.people.get(id);
      if (!p) {
        reasons.push(`${id} is not a person on the base branch, so no login can approve as them`);
        continue;
      }
      if (excluded) {
        reasons.push(`${this.who(id)} does not count: ${excluded}`);
        continue;
      }
      const unable = unableToApprove(p.value, this.ctx);
      if (unable) {
        reasons.push(unable);
        continue;
      }
      if (n.authorMay && this.authorPerson?.value.id === id) {
        return {
          ...base,
          status: 'met',
          satisfiedBy: this.input.author,
          why: `the pull request comes from @${this.input.author} (${id})`,
        };
      }
      const gh = p.value.github;
      if (!gh) {
        reasons.push(`${id} has no github login in ${p.src.path} on the base branch, so cannot approve`);
        continue;
      }
      const s = this.stands.get(lower(gh));
      if (!s) {
        silent.push(id);
        continue;
      }
      if (counts(s, this.ctx))
        return {
          ...base,
          status: 'met',
          satisfiedBy: s.login,
          why: standingWhy(s, this.input.headSha, this.ctx),
        };
      reasons.push(standingWhy(s, this.input.headSha, this.ctx));
    }
    if (silent.length === 1) reasons.push(`${this.who(silent[0]!)} has not reviewed`);
    else if (silent.length > 1) reasons.push(`none of ${this.whoList(silent)} has reviewed`);
    return { ...base, status: 'missing', satisfiedBy: null, why: reasons.join('; ') };
  }
}

function byId<T extends { id: string }>(items: readonly Located<T>[]): Map<string, Located<T>> {
  const m = new Map<string, Located<T>>();
  for (const it of items) if (!m.has(it.value.id)) m.set(it.value.id, it);
  return m;
}

/** The ids on either side, in code-point order, with the value on each. */
function pairs<T extends { id: string }>(
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

/** Decides. */
export function decide(input: DecisionInput): Decision {
  const { base, head } = input;
  const ev = new Evaluator(input);
  const needs: Need[] = [];
  const refused: Requirement[] = [];
  const hr = base.policy.teams.hr;
  const security = base.policy.teams.security;
  const members = (ids: readonly string[]) =>
    ids
      .map((id) => {
        const gh = base.people.get(id)?.value.github;
        return gh ? `${id} @${gh}` : `${id} without a GitHub login`;
      })
      .join(', ');
  const hrTeamText = `the HR team (named in policy/jml.yaml on the base branch: ${members(hr)})`;
  const securityTeamText = `the security team (named in policy/jml.yaml on the base branch: ${members(security)})`;
  const noExclusions = new Map<string, string>();
  const exclusionsFor = (subjects: readonly string[], what: string) => {
    const m = new Map<string, string>();
    for (const s of subjects)
      m.set(s, `${s} is the person whose access ${what}, and nobody approves their own access`);
    return m;
  };
  /** Where a value is: on the head when it is there, else on the base. */
  const where = <T>(
    after: Located<T> | undefined,
    before: Located<T> | undefined,
    path: (string | number)[] = [],
  ) =>
    after
      ? refOf(after, path)
      : before
        ? { file: before.src.path, line: 1 }
        : { file: 'policy/jml.yaml', line: 1 };

  /** The manager of record of a person as of the base branch (for someone new: the head file's). */
  const managerOf = (personId: string): { id: string | undefined; fromBase: boolean } => {
    const b = base.people.get(personId);
    if (b) return { id: b.value.manager, fromBase: true };
    return { id: head.people.get(personId)?.value.manager, fromBase: false };
  };

  const securityNeed = (
    ref: SourceRef,
    change: string,
    rule = 'security-team',
    excluded: ReadonlyMap<string, string> = noExclusions,
  ): Need => ({
    rule,
    ref,
    change,
    description: `needs approval from ${securityTeamText}`,
    candidates: security,
    excluded,
  });

  const managerNeed = (
    personId: string,
    ref: SourceRef,
    change: string,
    excluded: ReadonlyMap<string, string>,
  ): Need => {
    const m = managerOf(personId);
    if (!m.id) {
      return {
        ...securityNeed(ref, change, 'security-team', excluded),
        description: `${personId} has no manager of record${m.fromBase ? ' on the base branch' : ''}: needs approval from ${securityTeamText} instead`,
      };
    }
    return {
      rule: 'manager-approval',
      ref,
      change,
      description: m.fromBase
        ? `needs approval from the manager of record ${ev.who(m.id)} as of the base branch`
        : `needs approval from ${ev.who(m.id)}, the manager named in the new file (who must already be on the base branch)`,
      candidates: [m.id],
      excluded,
    };
  };

  const hrNeed = (ref: SourceRef, change: string, excluded: ReadonlyMap<string, string>): Need => ({
    rule: 'hr-team',
    ref,
    change,
    description: `needs to come from, or be approved by, ${hrTeamText}`,
    candidates: hr,
    excluded,
    authorMay: true,
  });

  const leaverNeed = (
    personId: string,
    ref: SourceRef,
    change: string,
    excluded: ReadonlyMap<string, string>,
  ): Need => {
    const m = managerOf(personId);
    return {
      rule: 'leaver-manager-or-hr',
      ref,
      change,
      description: m.id
        ? `a leaver needs approval from the manager of record ${ev.who(m.id)} as of the base branch, or from ${hrTeamText} (HR alone suffices)`
        : `a leaver needs approval from ${hrTeamText}`,
      candidates: [...(m.id ? [m.id] : []), ...hr.filter((h) => h !== m.id)],
      excluded,
    };
  };

  /** Something the rules do not know how to judge: refused, for the security team to look at. */
  const unclassified = (ref: SourceRef, change: string) =>
    needs.push({
      ...securityNeed(ref, change, 'unclassified-change'),
      description: `jml approvals has no rule for this change, so it is refused unless ${securityTeamText} approves it`,
    });

  /** Why each person's access may change: the differences that explain it (see the effect check). */
  const explained = new Set<string>();
  let everyoneExplained = false;

  // --- the head must load and validate as well as the base does ------------------------------
  for (const d of input.headProblems ?? []) {
    refused.push({
      rule: 'head-invalid',
      file: d.file,
      line: d.line,
      change: `jml validate: ${d.rule}`,
      description: 'the head must load and validate before its approvals can be decided',
      status: 'missing',
      satisfiedBy: null,
      why: `${d.message} ${d.hint}`.trim(),
    });
  }

  // --- changed paths that are not data: code, the written policy, documentation ---------------
  const notes: string[] = [];
  const code: string[] = [];
  const paths = [
    ...new Set(
      input.files.flatMap((f) =>
        f.status === 'renamed' && f.previousPath ? [f.previousPath, f.path] : [f.path],
      ),
    ),
  ].sort(byCodePoint);
  for (const p of paths) {
    const kind = classifyPath(p);
    if (kind === 'code' && input.generated?.has(p))
      notes.push(`${p}: generated from the data by jml (judged by the data it comes from)`);
    else if (kind === 'code') code.push(p);
    else if (kind === 'policy-text') {
      const change = `${p} changed`;
      needs.push(securityNeed({ file: p, line: 1 }, change, 'security-team'));
      if (p === WRITTEN_POLICY)
        needs.push({
          rule: 'hr-team-policy',
          ref: { file: p, line: 1 },
          change,
          description: `the written JML policy also needs approval from ${hrTeamText}`,
          candidates: hr,
          excluded: noExclusions,
        });
      everyoneExplained = true;
    } else if (kind === 'documentation' || kind === 'not-read')
      notes.push(`${p}: ${kind === 'not-read' ? 'not read by jml' : 'documentation'}, no effect on access`);
  }
  if (code.length) {
    const shown = code.slice(0, 10).join(', ') + (code.length > 10 ? ` and ${code.length - 10} more` : '');
    needs.push({
      ...securityNeed({ file: code[0]!, line: 1 }, `code or workflow changed: ${shown}`, 'code-change'),
      description: `the engine, workflows, scripts, packages and CODEOWNERS decide what every approval means: needs approval from ${securityTeamText}`,
    });
    everyoneExplained = true;
  }

  // --- policy values: policy/jml.yaml and the catalogs ---------------------------------------
  {
    const b = base.repo.policy;
    const a = head.repo.policy;
    const changed = differingPaths(b?.value, a?.value);
    if (changed.length) {
      const keys = changed.map((k) => k.join('.'));
      const ref = where(a, b, changed[0]);
      needs.push(securityNeed(ref, `policy/jml.yaml values changed: ${keys.slice(0, 12).join(', ')}`));
      if (!same(b?.value.teams.hr, a?.value.teams.hr)) {
        needs.push({
          rule: 'hr-team-change',
          ref: where(a, b, ['teams', 'hr']),
          change: 'policy/jml.yaml: teams.hr changed',
          description: `changing the HR team needs approval from ${hrTeamText}`,
          candidates: hr,
          excluded: noExclusions,
        });
      }
      everyoneExplained = true;
    }
  }
  const catalog = <T extends { id: string }>(
    file: string,
    b: readonly Located<T>[],
    a: readonly Located<T>[],
  ) => {
    const diff = pairs(b, a);
    if (!diff.length) return;
    const what = diff.map((d) => `${d.id} ${!d.before ? 'added' : !d.after ? 'removed' : 'changed'}`);
    const first = diff[0]!;
    needs.push(
      securityNeed(
        where(first.after, first.before),
        `${file}: ${what.slice(0, 12).join(', ')}${what.length > 12 ? ` and ${what.length - 12} more` : ''}`,
      ),
    );
    everyoneExplained = true;
  };
  catalog('policy/entitlements.yaml', base.repo.entitlements, head.repo.entitlements);
  catalog('policy/apps.yaml', base.repo.apps, head.repo.apps);
  catalog('policy/sod.yaml', base.repo.sod, head.repo.sod);

  // --- role templates --------------------------------------------------------------------------
  const changedRoles = new Set<string>();
  for (const { id, before, after } of pairs(base.repo.roles, head.repo.roles)) {
    changedRoles.add(id);
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
    // Holding the role does not disqualify its owner or the security team: a template is policy
    // for everyone holding it, reviewed by two people, and the author's approval never counts.
    const owner = b?.owner ?? a!.owner;
    needs.push({
      rule: 'role-owner-approval',
      ref: where(after, before, after ? ['owner'] : []),
      change,
      description: `needs approval from the role owner ${ev.who(owner)}${b ? ' as of the base branch' : ' (named in the new file)'}`,
      candidates: [owner],
      excluded: noExclusions,
    });
    needs.push(securityNeed(where(after, before), change));
  }

  // --- people ----------------------------------------------------------------------------------
  for (const { id, before, after } of pairs(base.repo.people, head.repo.people)) {
    explained.add(id);
    const excluded = exclusionsFor([id], 'this file changes');
    const b = before?.value;
    const a = after?.value;
    if (!a || !after) {
      const ref = where(after, before);
      const change = `person removed: ${id}'s file is deleted, which ends all their access`;
      needs.push(leaverNeed(id, ref, change, excluded), hrNeed(ref, change, excluded));
      continue;
    }
    if (!b) {
      const change = `joiner: ${id} is added`;
      needs.push(
        managerNeed(id, refOf(after, ['manager']), change, excluded),
        hrNeed(refOf(after), change, excluded),
      );
      retained(undefined, after, change, excluded);
      continue;
    }
    const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])]
      .filter((k) => !same((b as Record<string, unknown>)[k], (a as Record<string, unknown>)[k]))
      .sort(byCodePoint);
    let hrRef: SourceRef | undefined;
    let hrChange = '';
    const needHr = (ref: SourceRef, change: string) => {
      hrRef ??= ref;
      hrChange ||= change;
    };
    // Fields no rule knows (a field added to the model later): refused, never passed.
    for (const f of fields.filter((k) => !PERSON_FIELDS.has(k)))
      unclassified(refOf(after, [f]), `person ${id}: field ${f} changed`);
    const identity = IDENTITY_FIELDS.filter((f) => fields.includes(f));
    if (identity.length) {
      const change = `identity of ${id} changed: ${identity.map((f) => `${f} ${b[f] ?? '(none)'} -> ${a[f] ?? '(none)'}`).join(', ')}`;
      const m = managerOf(id).id;
      needs.push({
        rule: 'identity-change',
        ref: refOf(after, [identity[0]!]),
        change,
        description: `${identity.join(', ')} decide${identity.length === 1 ? 's' : ''} which account holds ${id}'s access and who approves for them: needs approval from ${m ? `the manager of record ${ev.who(m)} as of the base branch, or ` : ''}${securityTeamText}`,
        candidates: [...new Set([...(m ? [m] : []), ...security])],
        excluded,
      });
      needHr(refOf(after, [identity[0]!]), change);
    }
    const descriptive = DESCRIPTIVE_FIELDS.filter((f) => fields.includes(f));
    if (descriptive.length)
      needHr(refOf(after, [descriptive[0]!]), `person details changed: ${descriptive.join(', ')}`);
    const rolesChanged = fields.includes('roles');
    const employmentChanged = fields.includes('employment');
    if (rolesChanged || employmentChanged) {
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
        needs.push(leaverNeed(id, ref, change, excluded));
        needHr(ref, change);
      } else {
        const what = [rolesChanged ? 'roles' : '', employmentChanged ? 'employment' : ''].filter(Boolean);
        const firstEmployment = differingPaths(b.employment, a.employment)[0] ?? [];
        const ref = rolesChanged
          ? refOf(after, ['roles', firstDifference(b.roles, a.roles)])
          : refOf(after, ['employment', ...firstEmployment]);
        const change = `mover: ${what.join(' and ')} changed`;
        needs.push(managerNeed(id, ref, change, excluded));
        needHr(ref, change);
        if (rolesChanged) retained(before, after, change, excluded);
      }
    }
    if (hrRef) needs.push(hrNeed(hrRef, hrChange, excluded));
  }

  /**
   * A move's `retain` keeps an exception that would otherwise end on the move date: the manager
   * of record re-approves it, and where it grants anything high-risk, its own approvers too.
   */
  function retained(
    before: Located<Person> | undefined,
    after: Located<Person>,
    change: string,
    excluded: ReadonlyMap<string, string>,
  ) {
    const old = new Set(
      (before?.value.roles ?? []).flatMap((r) => (r.retain ?? []).map((x) => `${r.role}@${r.from}/${x}`)),
    );
    after.value.roles.forEach((r, i) => {
      (r.retain ?? []).forEach((excId, j) => {
        if (old.has(`${r.role}@${r.from}/${excId}`)) return;
        const exc = head.repo.exceptions.find((e) => e.value.id === excId)?.value;
        const ref = refOf(after, ['roles', i, 'retain', j]);
        const what = `${change}: ${excId} retained through the move to ${r.role} on ${r.from}`;
        const mgr = managerNeed(after.value.id, ref, what, excluded);
        needs.push({
          ...mgr,
          rule: mgr.rule === 'manager-approval' ? 'retained-exception' : mgr.rule,
          description: `${excId}${exc ? ` (${exc.entitlements.join(', ')})` : ''} is kept through the move only if it is re-approved: ${mgr.description}`,
        });
        const high = exc?.entitlements.some(
          (e) =>
            base.entitlements.get(e)?.value.risk === 'high' ||
            head.entitlements.get(e)?.value.risk === 'high',
        );
        if (!exc || !high) return;
        const approvers = (base.repo.exceptions.find((e) => e.value.id === excId)?.value ?? exc).approvers;
        for (const approver of approvers)
          needs.push({
            rule: 'retained-exception-approver',
            ref,
            change: what,
            description: `${excId} grants high-risk access: its approver ${ev.who(approver)} must re-approve it for the move`,
            candidates: [approver],
            excluded,
          });
      });
    });
  }

  // --- exceptions ------------------------------------------------------------------------------
  {
    // An exception renamed to a new id with everything else equal is one exception edited, not
    // one removed and one granted: what it grants and why did not change.
    const diff = pairs(base.repo.exceptions, head.repo.exceptions);
    const content = (e: Exception) => JSON.stringify({ ...e, id: undefined });
    const removed = new Map(diff.filter((d) => !d.after).map((d) => [content(d.before!.value), d] as const));
    for (const d of diff) {
      if (!d.after) continue;
      const renamedFrom = d.before ? undefined : removed.get(content(d.after.value));
      if (renamedFrom) removed.delete(content(d.after.value));
      exceptionRules(d.id, d.before ?? renamedFrom?.before, d.after);
    }
    for (const d of removed.values()) exceptionRules(d.id, d.before, undefined);
  }

  function exceptionRules(
    id: string,
    before: Located<Exception> | undefined,
    after: Located<Exception> | undefined,
  ) {
    const b = before?.value;
    const a = after?.value;
    const subjects = [...new Set([b?.person, a?.person].filter((x): x is string => x !== undefined))];
    for (const s of subjects) explained.add(s);
    const excluded = exclusionsFor(subjects, 'this exception grants');
    const extendedWhy: string[] = [];
    if (a && !b) extendedWhy.push('new exception');
    if (a && b) {
      if (a.person !== b.person) extendedWhy.push(`given to ${a.person} instead of ${b.person}`);
      const gained = a.entitlements.filter((e) => !b.entitlements.includes(e));
      if (gained.length) extendedWhy.push(`adds ${gained.join(', ')}`);
      if (a.expires > b.expires) extendedWhy.push(`expiry extended from ${b.expires} to ${a.expires}`);
      if (a.from < b.from) extendedWhy.push(`starts earlier, on ${a.from} instead of ${b.from}`);
      if (a.retainOnMove && !b.retainOnMove)
        extendedWhy.push('may now be kept through a role change (retainOnMove)');
    }
    if (a && after && extendedWhy.length > 0) {
      const change = `exception ${id} for ${a.person}: ${extendedWhy.join('; ')}`;
      const mgr = managerNeed(a.person, refOf(after, ['person']), change, excluded);
      needs.push(mgr);
      const mustList = new Map<string, SourceRef>();
      if (mgr.rule === 'manager-approval') mustList.set(mgr.candidates[0]!, mgr.ref);
      a.entitlements.forEach((entId, i) => {
        const be = base.entitlements.get(entId)?.value;
        const he = head.entitlements.get(entId)?.value;
        if (be?.risk !== 'high' && he?.risk !== 'high') return;
        const owner = (be ?? he)!.owner;
        const ref = refOf(after, ['entitlements', i]);
        needs.push({
          rule: 'entitlement-owner-approval',
          ref,
          change,
          description: `${entId} is high-risk: needs approval from its owner ${ev.who(owner)}${be ? ' as of the base branch' : ''}`,
          candidates: [owner],
          excluded,
        });
        if (!mustList.has(owner)) mustList.set(owner, ref);
      });
      a.approvers.forEach((approver, i) => {
        needs.push(listedApprover(after, approver, i, change, excluded));
      });
      const unlisted = [...mustList.keys()].filter((p) => !a.approvers.includes(p));
      refused.push({
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
      return;
    }
    // Shortened, removed, or edited without granting more.
    const theirs = (a ?? b)!;
    const change = !a
      ? `exception ${id} for ${theirs.person} removed`
      : a.expires < b!.expires || a.entitlements.length < b!.entitlements.length || a.from > b!.from
        ? `exception ${id} for ${theirs.person} shortened or narrowed`
        : `exception ${id} for ${theirs.person} edited without granting more`;
    const m = managerOf(theirs.person).id;
    needs.push({
      rule: 'exception-reduced',
      ref: where(after, before),
      change,
      description: `taking access away needs one approval from ${hrTeamText}, ${securityTeamText}${m ? `, or the manager of record ${ev.who(m)}` : ''}`,
      candidates: [...new Set([...hr, ...security, ...(m ? [m] : [])])],
      excluded,
    });
    if (a && after) {
      a.approvers.forEach((approver, i) => {
        if (!b!.approvers.includes(approver))
          needs.push(listedApprover(after, approver, i, change, excluded));
      });
    }
  }

  function listedApprover(
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
      description: `${after.src.path} lists ${ev.who(id)} as an approver: they must really approve this pull request`,
      candidates: [id],
      excluded,
    };
  }

  // --- access reviews --------------------------------------------------------------------------
  {
    const files = (idx: RepoIndex) => new Map(idx.repo.reviews.files.map((f) => [f.src.path, f] as const));
    const campaigns = (idx: RepoIndex) =>
      new Map(idx.repo.reviews.campaigns.map((c) => [c.src.path, c] as const));
    const bc = campaigns(base);
    const hc = campaigns(head);
    for (const p of [...new Set([...bc.keys(), ...hc.keys()])].sort(byCodePoint)) {
      if (same(bc.get(p)?.value, hc.get(p)?.value)) continue;
      needs.push(
        securityNeed(
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
        needs.push(securityNeed(ref, `access review file ${p} removed`));
        continue;
      }
      reviewFileNeed(p, after, ref);
    }
  }

  function reviewFileNeed(p: string, after: Located<ReviewFile>, ref: SourceRef) {
    const campaign = base.repo.reviews.campaigns.find((c) => c.value.quarter === after.value.quarter)?.value;
    const listed = campaign?.reviewers.find((r) => r.file === p);
    const subjects = [...new Set(after.value.items.flatMap((i) => (i.person ? [i.person] : [])))];
    needs.push({
      rule: 'access-review',
      ref,
      change: `access review decisions in ${p} (decisions only end access; jml review check judges the file itself)`,
      description: listed
        ? `needs approval from the reviewer ${ev.who(listed.reviewer)}, as the campaign on the base branch names`
        : 'needs approval from the reviewer the campaign names',
      candidates: listed ? [listed.reviewer] : [],
      noCandidates: `the campaign on the base branch does not list ${p}: merge the campaign's pull request first`,
      excluded: exclusionsFor(subjects, 'is an item of this file'),
    });
  }

  // --- the effect: every person whose access changes must be explained -----------------------
  const effects = accessChanges(base, head, input.now);
  /** Whether any role a person is ever given is, or includes, a template this pull request changes. */
  const roleHolders = (idx: RepoIndex, id: string) =>
    (idx.people.get(id)?.value.roles ?? []).some((r) =>
      [...changedRoles].some((role) => role === r.role || includesRole(idx, r.role, role)),
    );
  if (!everyoneExplained) {
    const unexplained = [...new Set(effects.map((e) => e.person))].filter(
      (id) => !explained.has(id) && !roleHolders(base, id) && !roleHolders(head, id),
    );
    for (const id of unexplained) {
      const located = head.people.get(id) ?? base.people.get(id)!;
      const what = effects
        .filter((e) => e.person === id)
        .map((e) => `${e.change === 'gained' ? '+' : '-'}${e.what === ACCOUNT ? 'account' : e.what}`);
      needs.push({
        ...securityNeed(
          refOf(located),
          `access of ${id} changes (${what.join(', ')}) with no change of theirs to explain it`,
          'unexplained-access-change',
        ),
        description: `no approval rule explains this change of access, so it is refused unless ${securityTeamText} approves it`,
      });
    }
  }

  // --- evaluate --------------------------------------------------------------------------------
  const requirements = [...needs.map((n) => ev.evaluate(n)), ...refused].sort(
    (x, y) => byCodePoint(x.file, y.file) || x.line - y.line || byCodePoint(x.rule, y.rule),
  );
  const reviewers: ReviewerSummary[] = [...ev.stands.values()]
    .sort((x, y) => byCodePoint(lower(x.login), lower(y.login)))
    .map((s) => ({
      login: s.login,
      person: s.person?.value.id ?? null,
      state: s.state,
      commitId: s.commitId,
      counts: counts(s, ev.ctx),
      why: standingWhy(s, input.headSha, ev.ctx),
    }));
  return {
    approved: requirements.every((r) => r.status !== 'missing'),
    headSha: input.headSha,
    author: input.author,
    requirements,
    reviewers,
    effects: effects.map((e) => ({
      person: e.person,
      what: e.what === ACCOUNT ? 'account' : e.what,
      change: e.change,
      when: e.windows.map((w) => describeWindow(w, input.now, head.clock)).join('; '),
    })),
    notes,
  };
}

/** Whether role `id` includes `target`, directly or through other includes (cycles cut). */
function includesRole(idx: RepoIndex, id: string, target: string, seen = new Set<string>()): boolean {
  if (seen.has(id)) return false;
  seen.add(id);
  const r = idx.roles.get(id)?.value;
  if (!r) return false;
  return r.includes.some((inc) => inc === target || includesRole(idx, inc, target, seen));
}
