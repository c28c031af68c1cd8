/**
 * approvals: does a pull request carry the approvals its changes need?
 *
 * A pure function of the base repository (the target branch, which says who is whose manager,
 * who owns what and who is on which team), the head repository (what the pull request proposes),
 * the changed files, the author and the reviews. Every changed file is classified by comparing
 * its base and head values, and each class names the people who must approve:
 *
 * | change                                  | needs                                                        |
 * |-----------------------------------------|--------------------------------------------------------------|
 * | person: roles or employment (mover)     | manager of record (base) + HR (authored or approved)         |
 * | person: added (joiner)                  | manager named in the file (must exist on base) + HR          |
 * | person: leaver (end set or earlier),    | manager of record or HR (HR alone suffices) + HR             |
 * |   or file removed                       |                                                              |
 * | person: other fields (name, manager...) | HR                                                           |
 * | person without a manager (the top)      | the security team instead of the manager                     |
 * | exception: new or extended              | manager of record + owner of each high-risk entitlement +    |
 * |                                         | every listed approver; the manager and owners must be listed |
 * | exception: shortened, removed, edited   | HR, security or the manager of record (one approval)         |
 * |                                         | + any newly listed approver                                  |
 * | role template                           | role owner (base) + security team                            |
 * | policy/*                                | security team (+ HR for JML-POLICY.md and teams.hr changes)  |
 * | anything else                           | nothing here: CODEOWNERS review applies (not-checked)        |
 *
 * What never counts: the PR author's approval; an approval on any commit but the head (stale);
 * an approval followed by a request for changes or a dismissal (a later COMMENTED review changes
 * nothing, as on GitHub); an approval by a login that is no person's `github` on the base
 * branch; an approval by the person whose access the file (a person file or an exception)
 * changes. Managers, owners, team members and logins are read from the base branch, so a pull
 * request cannot name its own approvers. Only the HR requirement of a person change may be met
 * by authorship ("comes from HR"). Holding a role does not stop its owner or the security team
 * from approving a change to its template (everyone holds `employee`; two people still review).
 * A changed access file that does not load on the head blocks (`unreadable-file`).
 */

import type { Review as GitHubReview } from '../github/client.js';
import type { Located, SourceRef } from '../load/source.js';
import { refOf } from '../load/source.js';
import type { Exception, Person, Role } from '../model/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import type { ChangedFile, Decision, Requirement, Review, ReviewerSummary, ReviewState } from './types.js';

export interface DecisionInput {
  base: RepoIndex;
  head: RepoIndex;
  files: readonly ChangedFile[];
  author: string;
  headSha: string;
  reviews: readonly Review[];
}

type Kind = 'person' | 'role' | 'exception' | 'policy' | 'other';

export function kindOfPath(p: string): Kind {
  if (/^people\/[^/]+\.yaml$/.test(p)) return 'person';
  if (/^roles\/[^/]+\.yaml$/.test(p)) return 'role';
  if (/^exceptions\/[^/]+\.yaml$/.test(p)) return 'exception';
  if (p.startsWith('policy/')) return 'policy';
  return 'other';
}

const short = (sha: string) => sha.slice(0, 7);
const lower = (s: string) => s.toLowerCase();
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function byPath<T>(items: readonly Located<T>[]): Map<string, Located<T>> {
  const m = new Map<string, Located<T>>();
  for (const it of items) if (it.at.length === 0 && !m.has(it.src.path)) m.set(it.src.path, it);
  return m;
}

/** Index of the first entry that differs (the head list's length when it only lost entries at the end). */
function firstDifference(b: readonly unknown[], a: readonly unknown[]): number {
  let i = 0;
  while (i < a.length && i < b.length && same(a[i], b[i])) i++;
  return Math.min(i, Math.max(a.length - 1, 0));
}

/** The first key whose value differs, as a path ([] when none). */
function firstKeyDifference(b: object, a: object): string[] {
  const bb = b as Record<string, unknown>;
  const aa = a as Record<string, unknown>;
  const k = Object.keys({ ...bb, ...aa }).find((key) => !same(bb[key], aa[key]) && key in aa);
  return k ? [k] : [];
}

/** Where a reviewer stands: the latest decisive review, and whether it counts at all. */
interface Standing {
  login: string;
  person: Located<Person> | undefined;
  state: ReviewState;
  commitId: string;
  stale: boolean;
  isAuthor: boolean;
  /** An APPROVED earlier than the standing CHANGES_REQUESTED / DISMISSED. */
  approvedBefore: boolean;
}

function standings(
  input: Pick<DecisionInput, 'reviews' | 'headSha' | 'author'>,
  personOfLogin: (l: string) => Located<Person> | undefined,
) {
  const ordered = input.reviews
    .map((r, i) => ({ r, i, t: Date.parse(r.submittedAt) }))
    .sort((a, b) => a.t - b.t || a.i - b.i);
  const out = new Map<string, Standing>();
  for (const { r } of ordered) {
    const key = lower(r.login);
    const prev = out.get(key);
    // A comment does not withdraw an approval or a request for changes (as on GitHub).
    if (r.state === 'COMMENTED' && prev) continue;
    out.set(key, {
      login: r.login,
      person: personOfLogin(r.login),
      state: r.state,
      commitId: r.commitId,
      stale: lower(r.commitId) !== lower(input.headSha),
      isAuthor: key === lower(input.author),
      approvedBefore: Boolean(prev && (prev.state === 'APPROVED' || prev.approvedBefore)),
    });
  }
  return out;
}

const SUBMITTED = new Set<string>(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED']);

/**
 * GitHub's reviews as the approval rule reads them: submitted ones only (a pending draft has no
 * time and no commit, and nobody else can see it).
 */
export function submittedReviews(reviews: readonly GitHubReview[]): Review[] {
  return reviews.flatMap((r) =>
    SUBMITTED.has(r.state) && r.commitId && r.submittedAt
      ? [
          {
            login: r.login,
            state: r.state as Review['state'],
            commitId: r.commitId,
            submittedAt: r.submittedAt,
          },
        ]
      : [],
  );
}

/**
 * The approvals that stood when a pull request merged, by the same rule as `jml approvals`:
 * each reviewer's latest decisive review, APPROVED, on the head commit, not by the author. For
 * evidence: who really approved, not everyone who once clicked approve.
 */
export function standingApprovals(pr: Pick<DecisionInput, 'reviews' | 'headSha' | 'author'>): Review[] {
  const standing = standings(pr, () => undefined);
  return [...standing.values()]
    .filter((s) => s.state === 'APPROVED' && !s.stale && !s.isAuthor)
    .map((s) => {
      const review = [...pr.reviews]
        .reverse()
        .find((r) => lower(r.login) === lower(s.login) && r.state === 'APPROVED')!;
      return review;
    });
}

function counts(s: Standing): boolean {
  return s.state === 'APPROVED' && !s.stale && !s.isAuthor && s.person !== undefined;
}

function standingWhy(s: Standing, headSha: string): string {
  if (s.isAuthor) return `@${s.login} is the pull request's author, whose approval never counts`;
  if (s.state === 'CHANGES_REQUESTED')
    return s.approvedBefore
      ? `@${s.login} requested changes after approving, which withdraws the approval`
      : `@${s.login} requested changes`;
  if (s.state === 'DISMISSED') return `@${s.login}'s review was dismissed`;
  if (s.state === 'COMMENTED') return `@${s.login} only commented`;
  if (s.stale)
    return `@${s.login} approved ${short(s.commitId)}, before the latest push (${short(headSha)}): the approval is stale`;
  if (!s.person)
    return `@${s.login} is no person's github login on the base branch, so the approval counts for nobody`;
  return `@${s.login} (${s.person.value.id}) approved the head commit ${short(headSha)}`;
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

  constructor(private readonly input: DecisionInput) {
    for (const p of input.base.repo.people) {
      const gh = p.value.github;
      if (gh && !this.byLogin.has(lower(gh))) this.byLogin.set(lower(gh), p);
    }
    this.stands = standings(input, (l) => this.byLogin.get(lower(l)));
    this.authorPerson = this.byLogin.get(lower(input.author));
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
      line: n.ref.line,
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
      if (counts(s))
        return { ...base, status: 'met', satisfiedBy: s.login, why: standingWhy(s, this.input.headSha) };
      reasons.push(standingWhy(s, this.input.headSha));
    }
    if (silent.length === 1) reasons.push(`${this.who(silent[0]!)} has not reviewed`);
    else if (silent.length > 1) reasons.push(`none of ${this.whoList(silent)} has reviewed`);
    return { ...base, status: 'missing', satisfiedBy: null, why: reasons.join('; ') };
  }
}

interface Sides<T> {
  basePath: string;
  headPath: string | undefined;
  before: Located<T> | undefined;
  after: Located<T> | undefined;
  /** The file changed but its head version did not load: nothing can be decided about it. */
  unreadable: boolean;
}

/** Classifies every changed file and lists what each needs. */
export function decide(input: DecisionInput): Decision {
  const { base, head } = input;
  const ev = new Evaluator(input);
  const needs: Need[] = [];
  const notChecked: Requirement[] = [];
  const basePolicy = base.policy;
  const hr = basePolicy.teams.hr;
  const security = basePolicy.teams.security;
  const policyRef = (index: RepoIndex, p: string): SourceRef =>
    index.repo.policy ? refOf(index.repo.policy, ['teams', p]) : { file: 'policy/jml.yaml', line: 1 };
  const members = (ids: readonly string[]) =>
    ids
      .map((id) => {
        const gh = base.people.get(id)?.value.github;
        return gh ? `${id} @${gh}` : `${id} without a GitHub login`;
      })
      .join(', ');
  const hrTeamText = `the HR team (named in policy/jml.yaml on the base branch: ${members(hr)})`;
  const securityTeamText = `the security team (named in policy/jml.yaml on the base branch: ${members(security)})`;

  const people = { base: byPath(base.repo.people), head: byPath(head.repo.people) };
  const roles = { base: byPath(base.repo.roles), head: byPath(head.repo.roles) };
  const exceptions = { base: byPath(base.repo.exceptions), head: byPath(head.repo.exceptions) };

  /** The manager of record of a person as of the base branch (for someone new: the head file's). */
  const managerOf = (personId: string): { id: string | undefined; fromBase: boolean } => {
    const b = base.people.get(personId);
    if (b) return { id: b.value.manager, fromBase: true };
    return { id: head.people.get(personId)?.value.manager, fromBase: false };
  };

  const noExclusions = new Map<string, string>();
  const exclusionsFor = (subjects: readonly string[], what: string) => {
    const m = new Map<string, string>();
    for (const s of subjects)
      m.set(s, `${s} is the person whose access ${what}, and nobody approves their own access`);
    return m;
  };

  const managerNeed = (
    personId: string,
    ref: SourceRef,
    change: string,
    excluded: ReadonlyMap<string, string>,
  ): Need => {
    const m = managerOf(personId);
    if (!m.id) {
      return {
        rule: 'security-team',
        ref,
        change,
        description: `${personId} has no manager of record${m.fromBase ? ' on the base branch' : ''}: needs approval from ${securityTeamText} instead`,
        candidates: security,
        excluded,
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

  const securityNeed = (
    ref: SourceRef,
    change: string,
    excluded: ReadonlyMap<string, string> = noExclusions,
  ): Need => ({
    rule: 'security-team',
    ref,
    change,
    description: `needs approval from ${securityTeamText}`,
    candidates: security,
    excluded,
  });

  const unreadable = (file: string, kind: string) =>
    notChecked.push({
      rule: 'unreadable-file',
      file,
      line: 1,
      change: `${kind} file changed`,
      description: `the head version of ${file} must load as a ${kind} file before its approvals can be decided`,
      status: 'missing',
      satisfiedBy: null,
      why: `${file} does not load on the head commit (or is not a valid ${kind}): run jml validate and fix it`,
    });

  /** A removed file that did not load on the base branch either granted nothing. */
  const goneUnread = (file: string, kind: string) =>
    notChecked.push({
      rule: 'removed-unloadable',
      file,
      line: 1,
      change: `${kind} file removed`,
      description:
        'a file that did not load on the base branch granted nothing, so removing it needs no approval here',
      status: 'not-checked',
      satisfiedBy: null,
      why: `${file} was not a loadable ${kind} on the base branch`,
    });

  function sides<T>(
    f: ChangedFile,
    maps: { base: Map<string, Located<T>>; head: Map<string, Located<T>> },
    basePath: string,
    headPath: string | undefined,
  ): Sides<T> {
    const before = maps.base.get(basePath);
    const after = headPath === undefined ? undefined : maps.head.get(headPath);
    return {
      basePath,
      headPath,
      before,
      after,
      unreadable: headPath !== undefined && !after && f.status !== 'removed',
    };
  }

  /** A changed data file of one kind: unreadable on the head, judged, or removed unread. */
  function judge<T>(
    f: ChangedFile,
    maps: { base: Map<string, Located<T>>; head: Map<string, Located<T>> },
    basePath: string,
    part: { kind: string; basePath: string; headPath: string | undefined },
    rules: (s: Sides<T>) => void,
  ): void {
    const s = sides(f, maps, basePath, part.headPath);
    if (s.unreadable) unreadable(part.headPath!, part.kind);
    else if (s.before || s.after) rules(s);
    else goneUnread(part.basePath, part.kind);
  }

  // --- people ----------------------------------------------------------------------------------
  const person = (s: Sides<Person>) => {
    const b = s.before?.value;
    const a = s.after?.value;
    const subjects = [...new Set([b?.id, a?.id].filter((x): x is string => x !== undefined))];
    const excluded = exclusionsFor(subjects, 'this file changes');
    if (!a) {
      if (!b || !s.before) return;
      const ref = { file: s.basePath, line: 1 };
      const change = `person removed: ${b.id}'s file is deleted, which ends all their access`;
      needs.push(leaverNeed(b.id, ref, change, excluded), hrNeed(ref, change, excluded));
      return;
    }
    const after = s.after!;
    if (!b) {
      const ref = refOf(after, ['manager']);
      const change = `joiner: ${a.id} is added`;
      needs.push(managerNeed(a.id, ref, change, excluded), hrNeed(refOf(after), change, excluded));
      return;
    }
    const rolesChanged = !same(b.roles, a.roles);
    const employmentChanged = !same(b.employment, a.employment);
    if (!rolesChanged && !employmentChanged) {
      const fields = (Object.keys({ ...b, ...a }) as (keyof Person)[]).filter((k) => !same(b[k], a[k]));
      const change = fields.length
        ? `person details changed: ${fields.join(', ')}`
        : 'person file edited (no value changed)';
      const at = fields[0] ? refOf(after, [fields[0]]) : refOf(after);
      needs.push(hrNeed(at, change, excluded));
      return;
    }
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
      needs.push(leaverNeed(a.id, ref, change, excluded), hrNeed(ref, change, excluded));
      return;
    }
    const what: string[] = [];
    if (rolesChanged) what.push('roles');
    if (employmentChanged) what.push('employment');
    const ref = rolesChanged
      ? refOf(after, ['roles', firstDifference(b.roles, a.roles)])
      : refOf(after, ['employment', ...firstKeyDifference(b.employment, a.employment)]);
    const change = `mover: ${what.join(' and ')} changed`;
    needs.push(managerNeed(b.id, ref, change, excluded), hrNeed(ref, change, excluded));
  };

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

  // --- exceptions ------------------------------------------------------------------------------
  const exception = (s: Sides<Exception>) => {
    const b = s.before?.value;
    const a = s.after?.value;
    const subjects = [...new Set([b?.person, a?.person].filter((x): x is string => x !== undefined))];
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
        extendedWhy.push('now kept through a role change (retainOnMove)');
    }
    if (a && extendedWhy.length > 0) {
      const after = s.after!;
      const change = `exception ${a.id} for ${a.person}: ${extendedWhy.join('; ')}`;
      const mgr = managerNeed(a.person, refOf(after, ['person']), change, excluded);
      needs.push(mgr);
      const mustList = new Map<string, SourceRef>();
      if (mgr.rule === 'manager-approval') mustList.set(mgr.candidates[0]!, mgr.ref);
      a.entitlements.forEach((entId, i) => {
        const be = base.entitlements.get(entId)?.value;
        const he = head.entitlements.get(entId)?.value;
        const high = be?.risk === 'high' || he?.risk === 'high';
        if (!high) return;
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
      a.approvers.forEach((id, i) => {
        needs.push(listedApprover(after, id, i, change, excluded));
      });
      const unlisted = [...mustList.keys()].filter((id) => !a.approvers.includes(id));
      notChecked.push({
        rule: 'approvers-recorded',
        file: after.src.path,
        line: refOf(after, ['approvers']).line,
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
    const ref = s.after ? refOf(s.after) : { file: s.basePath, line: 1 };
    const theirs = (a ?? b)!;
    const change = !a
      ? `exception ${theirs.id} for ${theirs.person} removed`
      : a.expires < b!.expires || a.entitlements.length < b!.entitlements.length || a.from > b!.from
        ? `exception ${theirs.id} for ${theirs.person} shortened or narrowed`
        : `exception ${theirs.id} for ${theirs.person} edited without granting more`;
    const m = managerOf(theirs.person).id;
    needs.push({
      rule: 'exception-reduced',
      ref,
      change,
      description: `taking access away needs one approval from ${hrTeamText}, ${securityTeamText}${m ? `, or the manager of record ${ev.who(m)}` : ''}`,
      candidates: [...new Set([...hr, ...security, ...(m ? [m] : [])])],
      excluded,
    });
    if (a && s.after) {
      a.approvers.forEach((id, i) => {
        if (!b!.approvers.includes(id)) needs.push(listedApprover(s.after!, id, i, change, excluded));
      });
    }
  };

  const listedApprover = (
    after: Located<Exception>,
    id: string,
    i: number,
    change: string,
    excluded: ReadonlyMap<string, string>,
  ): Need => ({
    rule: 'listed-approver',
    ref: refOf(after, ['approvers', i]),
    change,
    description: `${after.src.path} lists ${ev.who(id)} as an approver: they must really approve this pull request`,
    candidates: [id],
    excluded,
  });

  // --- role templates --------------------------------------------------------------------------
  const role = (s: Sides<Role>) => {
    const b = s.before?.value;
    const a = s.after?.value;
    const theirs = (a ?? b)!;
    const ref = s.after ? refOf(s.after) : { file: s.basePath, line: 1 };
    const gainedEnts = a
      ? [...head.expandRole(a.id).keys()].filter((e) => !(b ? base.expandRole(b.id).has(e) : false))
      : [];
    const change = !b
      ? `role template ${theirs.id} added`
      : !a
        ? `role template ${theirs.id} removed`
        : gainedEnts.length
          ? `role template ${theirs.id} changed: now also grants ${gainedEnts.join(', ')}`
          : `role template ${theirs.id} changed without granting more`;
    // Holding the role does not disqualify its owner or the security team: a template is policy
    // for everyone holding it, reviewed by two people, and the author's approval never counts.
    const excluded = noExclusions;
    const owner = b?.owner ?? a!.owner;
    needs.push({
      rule: 'role-owner-approval',
      ref: s.after ? refOf(s.after, ['owner']) : ref,
      change,
      description: `needs approval from the role owner ${ev.who(owner)}${b ? ' as of the base branch' : ' (named in the new file)'}`,
      candidates: [owner],
      excluded,
    });
    needs.push(securityNeed(ref, change, excluded));
  };

  // --- policy ----------------------------------------------------------------------------------
  const policyFile = (f: string) => {
    const change = `policy file ${f} changed`;
    if (f === 'policy/jml.yaml') {
      const bt = base.repo.policy?.value.teams;
      const ht = head.repo.policy?.value.teams;
      const teamsRef = head.repo.policy ? refOf(head.repo.policy, ['teams']) : { file: f, line: 1 };
      const teamChange = !same(bt, ht);
      const ref = teamChange ? teamsRef : head.repo.policy ? refOf(head.repo.policy) : { file: f, line: 1 };
      const c = teamChange ? `${change}: teams changed` : change;
      needs.push(securityNeed(ref, c));
      if (teamChange && !same(bt?.hr, ht?.hr)) {
        needs.push({
          rule: 'hr-team-change',
          ref: policyRef(head, 'hr'),
          change: c,
          description: `changing the HR team needs approval from ${hrTeamText}`,
          candidates: hr,
          excluded: noExclusions,
        });
      }
      return;
    }
    const ref = { file: f, line: 1 };
    needs.push(securityNeed(ref, change));
    if (f === 'policy/JML-POLICY.md') {
      needs.push({
        rule: 'hr-team-policy',
        ref,
        change,
        description: `the written JML policy also needs approval from ${hrTeamText}`,
        candidates: hr,
        excluded: noExclusions,
      });
    }
  };

  // --- classify every changed file -------------------------------------------------------------
  for (const f of input.files) {
    const basePath = f.status === 'renamed' && f.previousPath ? f.previousPath : f.path;
    const headPath = f.status === 'removed' ? undefined : f.path;
    const baseKind = f.status === 'added' ? undefined : kindOfPath(basePath);
    const headKind = headPath === undefined ? undefined : kindOfPath(headPath);
    // A file moved between kinds is the removal of one and the addition of the other.
    const parts: {
      kind: Kind;
      basePath: string;
      headPath: string | undefined;
      status: ChangedFile['status'];
    }[] = [];
    if (baseKind && headKind && baseKind !== headKind) {
      parts.push({ kind: baseKind, basePath, headPath: undefined, status: 'removed' });
      parts.push({ kind: headKind, basePath: headPath!, headPath, status: 'added' });
    } else {
      parts.push({ kind: (headKind ?? baseKind)!, basePath, headPath, status: f.status });
    }
    for (const part of parts) {
      const cf = { ...f, status: part.status };
      const bp = part.status === 'added' ? `\u0000none` : part.basePath;
      switch (part.kind) {
        case 'person':
          judge(cf, people, bp, part, person);
          break;
        case 'exception':
          judge(cf, exceptions, bp, part, exception);
          break;
        case 'role':
          judge(cf, roles, bp, part, role);
          break;
        case 'policy':
          policyFile(part.headPath ?? part.basePath);
          break;
        default:
          notChecked.push({
            rule: 'code-change',
            file: part.headPath ?? part.basePath,
            line: 1,
            change: 'not an access file',
            description: "code change: branch protection's CODEOWNERS review applies",
            status: 'not-checked',
            satisfiedBy: null,
            why: 'no approval rule of jml applies to this file',
          });
      }
    }
  }

  const requirements = [...needs.map((n) => ev.evaluate(n)), ...notChecked].sort(
    (x, y) => x.file.localeCompare(y.file) || x.line - y.line || x.rule.localeCompare(y.rule),
  );
  const reviewers: ReviewerSummary[] = [...ev.stands.values()]
    .sort((x, y) => lower(x.login).localeCompare(lower(y.login)))
    .map((s) => ({
      login: s.login,
      person: s.person?.value.id ?? null,
      state: s.state,
      commitId: s.commitId,
      counts: counts(s),
      why: standingWhy(s, input.headSha),
    }));
  return {
    approved: requirements.every((r) => r.status !== 'missing'),
    headSha: input.headSha,
    author: input.author,
    requirements,
    reviewers,
  };
}
