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
 * The rows are the rules of src/approvals/rules/ (index.ts lists them in the order they run):
 * person.ts (joiner, removal, and per changed person the field rules: unknown fields, identity.ts,
 * details, mover and leaver with retain.ts), exceptions.ts, roles.ts, policy.ts (policy values and
 * the catalogs), access-reviews.ts, code-paths.ts (code, JML-POLICY.md, documentation), head.ts
 * (new errors) and unexplained.ts (the net). `decide` runs the table over one context, then
 * evaluates every requirement against the reviews, sorts them and summarises.
 *
 * What never counts: the PR author's approval; an approval on any commit but the head (stale);
 * an approval followed by a request for changes or a dismissal; an approval by a login that is
 * no person's `github` on the base branch; an approval by someone who has left, has not started
 * or is under an offboarding hold (src/approvals/reviews.ts); an approval by the person whose
 * access changes. Managers, owners, team members and logins are read from the base branch, so a
 * pull request cannot name its own approvers. Only the HR requirement of a person change may be
 * met by authorship ("comes from HR").
 */

import type { Located } from '../load/source.js';
import { lineOf } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { Person } from '../model/schema.js';
import { ACCOUNT, describeWindow } from './effect.js';
import {
  type ApproverContext,
  counts,
  type Standing,
  standings,
  standingWhy,
  unableToApprove,
} from './reviews.js';
import { type DecisionInput, decisionContext, type Need, who } from './rules/context.js';
import { DECISION_RULES } from './rules/index.js';
import type { Decision, Requirement, ReviewerSummary } from './types.js';

export type { DecisionInput } from './rules/context.js';

const lower = (s: string) => s.toLowerCase();

/** Judges each requirement against the reviews standing on the head commit. */
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

  who(id: string): string {
    return who(this.input.base, id);
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

/**
 * Decides: runs the rules (src/approvals/rules/index.ts) over one context, evaluates every
 * requirement against the reviews, sorts them (file, line, rule; ties in the order the rules found
 * them) and summarises the reviewers and the effect.
 */
export function decide(input: DecisionInput): Decision {
  const ctx = decisionContext(input);
  for (const rule of DECISION_RULES) rule.check(ctx);
  const ev = new Evaluator(input);
  const requirements = [...ctx.found.needs.map((n) => ev.evaluate(n)), ...ctx.found.refused].sort(
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
    effects: ctx.effects.map((e) => ({
      person: e.person,
      what: e.what === ACCOUNT ? 'account' : e.what,
      change: e.change,
      when: e.windows.map((w) => describeWindow(w, input.now, input.head.clock)).join('; '),
    })),
    notes: ctx.found.notes,
    zone: input.base.policy.timezone,
  };
}
