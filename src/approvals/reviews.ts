/**
 * approvals: where each reviewer stands, and whether their approval counts.
 *
 * A reviewer's standing review is their latest decisive one (APPROVED, CHANGES_REQUESTED or
 * DISMISSED; a later COMMENTED changes nothing, as on GitHub). An approval counts only when it is
 * on the head commit (an approval before the latest push is stale), is not the author's, comes
 * from a login that is a person's `github` on the base branch, and that person may approve today:
 * employed now (started, and `employment.end` not passed on the base branch) and not under an
 * emergency offboarding hold. A departed manager's or a suspended admin's GitHub account often
 * outlives their access; their approval must not.
 */
import type { Located } from '../load/source.js';
import type { Person } from '../model/schema.js';
import { type Clock, instantMs } from '../model/time.js';
import type { Review, ReviewState } from './types.js';

const lower = (s: string) => s.toLowerCase();
const short = (sha: string) => sha.slice(0, 7);

/** Where a reviewer stands: the latest decisive review, and whether it counts at all. */
export interface Standing {
  login: string;
  person: Located<Person> | undefined;
  state: ReviewState;
  commitId: string;
  stale: boolean;
  isAuthor: boolean;
  /** An APPROVED earlier than the standing CHANGES_REQUESTED / DISMISSED. */
  approvedBefore: boolean;
}

export interface PullRequestReviews {
  reviews: readonly Review[];
  headSha: string;
  author: string;
}

export function standings(
  input: PullRequestReviews,
  personOfLogin: (l: string) => Located<Person> | undefined,
): Map<string, Standing> {
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

/** A review as GitHub's REST API lists it (`GET pulls/{n}/reviews`); `user` is null for a deleted account. */
export interface ListedReview {
  user: { login: string } | null;
  state: string;
  commit_id: string | null;
  submitted_at?: string | null;
}

/**
 * GitHub's reviews as the approval rule reads them: submitted ones only (a pending draft has no
 * time and no commit, and nobody else can see it), by an account that still exists. The GitHub
 * client lists reviews through this, so every reader gets the same `Review`s.
 */
export function submittedReviews(reviews: readonly ListedReview[]): Review[] {
  return reviews.flatMap((r) =>
    r.user && SUBMITTED.has(r.state) && r.commit_id && r.submitted_at
      ? [
          {
            login: r.user.login,
            state: r.state as Review['state'],
            commitId: r.commit_id,
            submittedAt: r.submitted_at,
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
export function standingApprovals(pr: PullRequestReviews): Review[] {
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

/** What decides whether a person may approve today. */
export interface ApproverContext {
  /** The decision's instant (epoch ms). */
  now: number;
  /** The organisation's clock, which reads `employment.start` as a date in its zone. */
  clock: Clock;
  /** People under an emergency offboarding hold (jml offboard), as the base branch's records say. */
  held: ReadonlySet<string>;
}

/**
 * Why a person may not approve anything today, or undefined when they may: they have left (their
 * `employment.end` on the base branch has passed), have not started yet, or are under an
 * emergency offboarding hold.
 */
export function unableToApprove(person: Person, ctx: ApproverContext): string | undefined {
  const { end, start } = person.employment;
  if (end !== undefined && instantMs(end) <= ctx.now)
    return `${person.id} left at ${end} (employment.end on the base branch): a departed person's approval never counts`;
  if (ctx.clock.dayStart(start) > ctx.now)
    return `${person.id} starts on ${start} and cannot approve before then`;
  if (ctx.held.has(person.id))
    return `${person.id} is under an emergency offboarding hold (jml offboard): their approval does not count`;
  return undefined;
}

/** Whether a standing review is an approval that counts. */
export function counts(s: Standing, ctx: ApproverContext): boolean {
  return (
    s.state === 'APPROVED' &&
    !s.stale &&
    !s.isAuthor &&
    s.person !== undefined &&
    unableToApprove(s.person.value, ctx) === undefined
  );
}

/** Why a standing review counts or not, in a sentence. */
export function standingWhy(s: Standing, headSha: string, ctx: ApproverContext): string {
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
  const unable = unableToApprove(s.person.value, ctx);
  if (unable) return `@${s.login}: ${unable}`;
  return `@${s.login} (${s.person.value.id}) approved the head commit ${short(headSha)}`;
}
