/**
 * The approval evidence of one commit as the pack shows it, read in this order:
 *
 * 1. `record`: the apply record whose `approval.commits` holds the commit (any record, not only
 *    the period's). `jml github merge-evidence` wrote it when the commit merged: the pull request,
 *    its author, every review standing at merge, the manager of record and the approvals verdict.
 *    This is the evidence; it needs nothing but git and the records.
 * 2. `github`: what GitHub's API says at pack time (gather.ts), for merges older than the
 *    records' evidence. The verdict is then checked here, at pack time, against the manager of
 *    record git names (and HR for joiners and leavers), and every cell says so.
 * 3. `none`: neither. That is a finding in itself ("approval not evidenced"), never a silent pass.
 *
 * Each is judged the same way: a commit without a pull request, an approval only by the author
 * (self-approval), approvals only on an older commit than the merged head (stale-only), an
 * approval by someone who is not the manager of record (wrong person), and a verdict not
 * approved at merge are findings.
 */
import { standingApprovals } from '../../approvals/reviews.js';
import type { Review } from '../../approvals/types.js';
import type { MergeEvidence } from '../../records/schema.js';
import { utc } from './common.js';
import type { EvidenceInput, Row } from './types.js';

export type ApprovalSource = 'record' | 'github' | 'none';

/** One review as it stood at merge, and whether it counted. */
export interface ReviewEvidence {
  login: string;
  state: string;
  commitId: string;
  submittedAt: string;
  counts: boolean;
  why: string;
}

export interface RequirementEvidence {
  rule: string;
  status: 'met' | 'missing' | 'not-checked';
  satisfiedBy: string | null;
  description: string;
  why: string;
}

export type ApprovalProblemKind =
  | 'no-pull-request'
  | 'self-approval'
  | 'stale-only'
  | 'wrong-person'
  | 'no-approval'
  | 'not-approved'
  | 'not-evidenced';

/** What approval a change needs, for the verdict checked at pack time (GitHub's evidence). */
export type ApprovalNeed = 'joiner' | 'mover' | 'leaver' | 'any';

export interface PullRequestFacts {
  number: number;
  url: string;
  title: string | null;
  /** The requester. */
  author: string | null;
  headSha: string | null;
  mergedAt: string | null;
  mergedBy: string | null;
  hrRecord: string | null;
}

export interface ApprovalEvidence {
  source: ApprovalSource;
  /** The commit judged; null when none was found. */
  commit: string | null;
  /** For `record`: the apply record that carries the evidence, and when it was captured. */
  record: string | null;
  capturedAt: string | null;
  /** undefined: not known; null: no pull request merged the commit. */
  pullRequest: PullRequestFacts | null | undefined;
  /** Why there is no pull request, in a sentence. */
  noPullRequest: string | null;
  reviews: ReviewEvidence[];
  /** The reviews that counted. */
  approvers: ReviewEvidence[];
  /** The manager of record of the person the change is about. */
  manager: { person: string | null; login: string | null; fromBase: boolean } | null;
  verdict: {
    approved: boolean;
    requirements: RequirementEvidence[];
    /** `at merge`: the record's; `at pack time`: checked here from GitHub's reviews. */
    computed: 'at merge' | 'at pack time';
  } | null;
  /** Why the verdict is missing, when it is. */
  verdictError: string | null;
  problem: { kind: ApprovalProblemKind; text: string } | null;
}

export interface ApprovalQuery {
  /** The commit whose approval is asked for (the person file's last change, a policy version). */
  sha: string | undefined;
  /** The person the change is about, for the manager of record. */
  person?: string;
  need: ApprovalNeed;
  /** How the change is named in findings: "liam.walsh's leaver change". */
  subject: string;
}

const short = (sha: string | null | undefined) => (sha ? sha.slice(0, 7) : '?');
const lower = (s: string) => s.toLowerCase();

interface Carried {
  file: string;
  approval: MergeEvidence;
}

const carriedCache = new WeakMap<EvidenceInput, Map<string, Carried>>();

/**
 * Every commit some record's approval evidence covers, with the record: the one that applied
 * exactly that commit first, else the oldest that lists it.
 */
function carriedApprovals(input: EvidenceInput): Map<string, Carried> {
  const cached = carriedCache.get(input);
  if (cached) return cached;
  const out = new Map<string, Carried>();
  for (const r of input.records) {
    const a = r.record.approval;
    if (!a) continue;
    for (const sha of new Set([...a.commits, a.commit])) {
      const seen = out.get(sha);
      if (!seen || (seen.approval.commit !== sha && a.commit === sha))
        out.set(sha, { file: r.file, approval: a });
    }
  }
  carriedCache.set(input, out);
  return out;
}

/** The approval evidence of `q.sha`: from a record, else GitHub, else none, and its finding. */
export function approvalOf(input: EvidenceInput, q: ApprovalQuery): ApprovalEvidence {
  const ev = q.sha ? (fromRecord(input, q) ?? fromGitHub(input, q)) : undefined;
  const found = ev ?? {
    source: 'none' as const,
    commit: q.sha ?? null,
    record: null,
    capturedAt: null,
    pullRequest: undefined,
    noPullRequest: null,
    reviews: [],
    approvers: [],
    manager: managerFromGit(input, q),
    verdict: null,
    verdictError: null,
    problem: null,
  };
  found.problem = judge(input, found, q);
  return found;
}

function fromRecord(input: EvidenceInput, q: ApprovalQuery): ApprovalEvidence | undefined {
  const carried = carriedApprovals(input).get(q.sha!);
  if (!carried) return undefined;
  const a = carried.approval;
  const pr = a.pullRequest;
  const reviews: ReviewEvidence[] = a.reviews.map((r) => ({
    login: r.login,
    state: r.state,
    commitId: r.commitId,
    submittedAt: utc(r.submittedAt),
    counts: r.counts,
    why: r.why,
  }));
  const m = q.person ? a.managers.find((x) => x.person === q.person) : undefined;
  // A new joiner's first manager is null on the base branch: the new file names it.
  const manager =
    m && m.manager !== null
      ? { person: m.manager, login: m.managerLogin, fromBase: true }
      : managerFromGit(input, q);
  const ev: ApprovalEvidence = {
    source: 'record',
    commit: q.sha!,
    record: carried.file,
    capturedAt: utc(a.capturedAt),
    pullRequest: pr
      ? {
          number: pr.number,
          url: pr.url,
          title: pr.title,
          author: pr.author,
          headSha: pr.headSha,
          mergedAt: pr.mergedAt === null ? null : utc(pr.mergedAt),
          mergedBy: pr.mergedBy,
          hrRecord: pr.hrRecord ?? null,
        }
      : null,
    noPullRequest: pr ? null : (a.noPullRequest ?? 'the commit reached the branch without a pull request'),
    reviews,
    approvers: reviews.filter((r) => r.counts),
    manager,
    verdict: a.verdict
      ? {
          approved: a.verdict.approved,
          requirements: a.verdict.requirements.map((x) => ({
            rule: x.rule,
            status: x.status,
            satisfiedBy: x.satisfiedBy,
            description: x.description,
            why: x.why,
          })),
          computed: 'at merge',
        }
      : null,
    verdictError: a.verdict ? null : (a.verdictError ?? 'not computed at merge'),
    problem: null,
  };
  if (!ev.verdict && pr) ev.verdict = packTimeVerdict(input, ev, q);
  return ev;
}

function fromGitHub(input: EvidenceInput, q: ApprovalQuery): ApprovalEvidence | undefined {
  const pr = input.pullRequests.get(q.sha!);
  if (pr === undefined) return undefined;
  const base = {
    source: 'github' as const,
    commit: q.sha!,
    record: null,
    capturedAt: null,
    manager: managerFromGit(input, q),
    verdictError: null,
    problem: null,
  };
  if (pr === null)
    return {
      ...base,
      pullRequest: null,
      noPullRequest: 'GitHub lists no pull request that merged the commit',
      reviews: [],
      approvers: [],
      verdict: null,
    };
  const all: Review[] = pr.reviews ?? pr.approvals;
  const author = pr.author ?? null;
  const head = pr.headSha ?? null;
  const counted = new Set<Review>(
    pr.reviews && author !== null && head !== null
      ? standingApprovals({ reviews: pr.reviews, headSha: head, author })
      : pr.approvals,
  );
  const reviews: ReviewEvidence[] = all.map((r) => ({
    login: r.login,
    state: r.state,
    commitId: r.commitId,
    submittedAt: utc(r.submittedAt),
    counts: counted.has(r),
    why: reviewWhy(r, author, head, counted.has(r)),
  }));
  const ev: ApprovalEvidence = {
    ...base,
    pullRequest: {
      number: pr.number,
      url: pr.url,
      title: null,
      author,
      headSha: head,
      mergedAt: pr.mergedAt === null ? null : utc(pr.mergedAt),
      mergedBy: null,
      hrRecord: pr.hrRecord ?? null,
    },
    noPullRequest: null,
    reviews,
    approvers: reviews.filter((r) => r.counts),
    verdict: null,
  };
  ev.verdict = packTimeVerdict(input, ev, q);
  return ev;
}

function reviewWhy(r: Review, author: string | null, head: string | null, counts: boolean): string {
  if (author !== null && lower(r.login) === lower(author))
    return `@${r.login} is the pull request's author, whose approval never counts`;
  if (r.state !== 'APPROVED') return `@${r.login}: ${r.state.toLowerCase().replace('_', ' ')}`;
  if (head !== null && lower(r.commitId) !== lower(head))
    return `@${r.login} approved ${short(r.commitId)}, not the merged head ${short(head)}: stale`;
  if (counts) return `@${r.login} approved the merged head ${short(head)}`;
  return `@${r.login}'s approval was superseded by a later review`;
}

function managerFromGit(input: EvidenceInput, q: ApprovalQuery): ApprovalEvidence['manager'] {
  if (!q.person) return null;
  const m = q.sha ? input.managersOfRecord?.get(`${q.sha}:${q.person}`) : undefined;
  const id = m ? m.manager : (input.index.people.get(q.person)?.value.manager ?? null);
  return {
    person: id,
    login: id ? (input.index.people.get(id)?.value.github ?? null) : null,
    fromBase: m?.fromBase ?? false,
  };
}

/**
 * The verdict checked at pack time, for evidence that carries none: a joiner needs the manager
 * named in the file and HR (HR may be the author), a mover the manager of record, a leaver the
 * manager of record or HR, anything else one approval that counted.
 */
function packTimeVerdict(
  input: EvidenceInput,
  ev: ApprovalEvidence,
  q: ApprovalQuery,
): NonNullable<ApprovalEvidence['verdict']> {
  const logins = new Set(ev.approvers.map((r) => lower(r.login)));
  const hrLogins = input.index.policy.teams.hr
    .map((id) => input.index.people.get(id)?.value.github)
    .filter((l): l is string => Boolean(l));
  const byHr = hrLogins.find((l) => logins.has(lower(l)));
  const author = ev.pullRequest?.author ?? null;
  const hrAuthor = author !== null && hrLogins.some((l) => lower(l) === lower(author)) ? author : undefined;
  const mgr = ev.manager?.login ?? null;
  const byManager = mgr !== null && logins.has(lower(mgr)) ? mgr : undefined;
  const mgrText = ev.manager?.person
    ? `the manager of record ${ev.manager.person}${mgr ? ` (@${mgr})` : ''}`
    : 'the manager of record (none named)';
  const req = (rule: string, description: string, by: string | undefined): RequirementEvidence => ({
    rule,
    status: by ? 'met' : 'missing',
    satisfiedBy: by ?? null,
    description,
    why: by ? `@${by} approved` : `no approval that counted came from them`,
  });
  const requirements: RequirementEvidence[] = [];
  if (q.need === 'joiner' || q.need === 'mover')
    requirements.push(req('manager-approval', `needs approval from ${mgrText}`, byManager));
  if (q.need === 'joiner')
    requirements.push(req('hr-team', 'needs to come from, or be approved by, the HR team', byHr ?? hrAuthor));
  if (q.need === 'leaver')
    requirements.push(
      req(
        'leaver-manager-or-hr',
        `a leaver needs approval from ${mgrText}, or from the HR team`,
        byManager ?? byHr,
      ),
    );
  if (q.need === 'any')
    requirements.push(req('approval', 'needs an approval that counted', ev.approvers[0]?.login));
  return { approved: requirements.every((r) => r.status === 'met'), requirements, computed: 'at pack time' };
}

function judge(input: EvidenceInput, ev: ApprovalEvidence, q: ApprovalQuery): ApprovalEvidence['problem'] {
  if (ev.source === 'none') {
    const why = !q.sha
      ? 'no commit was found for it in git'
      : input.githubGaps.length
        ? `no apply record carries the approval evidence of ${short(q.sha)} and GitHub was not read (${input.githubGaps.join('; ')})`
        : `no apply record carries the approval evidence of ${short(q.sha)} and GitHub was not asked about it`;
    return { kind: 'not-evidenced', text: `Approval not evidenced: ${q.subject}: ${why}.` };
  }
  const pr = ev.pullRequest;
  if (pr === null)
    return {
      kind: 'no-pull-request',
      text: `No pull request: ${q.subject} reached the branch without one: ${ev.noPullRequest}.`,
    };
  if (!pr) return null;
  const name = `#${pr.number}, ${q.subject},`;
  const approvals = ev.reviews.filter((r) => r.state === 'APPROVED');
  // A verdict at merge that approved without a counted review (the author's part sufficed) stands.
  if (ev.approvers.length === 0 && !(ev.verdict?.computed === 'at merge' && ev.verdict.approved)) {
    const author = pr.author === null ? undefined : lower(pr.author);
    const others = approvals.filter((r) => lower(r.login) !== author);
    if (approvals.length === 0)
      return { kind: 'no-approval', text: `No approval: ${name} merged without an approving review.` };
    if (others.length === 0)
      return {
        kind: 'self-approval',
        text: `Self-approval: the only approval of ${name} is by its author @${pr.author}.`,
      };
    if (pr.headSha && others.every((r) => lower(r.commitId) !== lower(pr.headSha!)))
      return {
        kind: 'stale-only',
        text: `Stale-only approval: ${name} was approved only on an older commit than the merged head ${short(pr.headSha)} (${others.map((r) => `@${r.login} on ${short(r.commitId)}`).join(', ')}).`,
      };
    return {
      kind: 'not-approved',
      text: `Not approved at merge: no approval of #${pr.number}, ${q.subject}, counted (${approvals.map((r) => r.why).join('; ')}).`,
    };
  }
  const v = ev.verdict;
  if (v && !v.approved) {
    const missing = v.requirements.filter((r) => r.status === 'missing');
    const managerMissing = missing.some(
      (r) => r.rule === 'manager-approval' || r.rule === 'leaver-manager-or-hr',
    );
    if (managerMissing && ev.manager?.person)
      return {
        kind: 'wrong-person',
        text: `Wrong-person approval: ${name} was approved by ${ev.approvers.map((r) => `@${r.login}`).join(', ')}, who is not the manager of record ${ev.manager.person}${ev.manager.login ? ` (@${ev.manager.login})` : ''}.`,
      };
    return {
      kind: 'not-approved',
      text: `Not approved at merge: #${pr.number}, ${q.subject}: ${missing.map((r) => `${r.rule} (${r.description})`).join('; ') || 'the verdict was not approved'}.`,
    };
  }
  return null;
}

/** The approval cells of an event or a policy version. */
export function approvalCells(ev: ApprovalEvidence): Row {
  const pr = ev.pullRequest;
  const source =
    ev.source === 'record'
      ? `record ${ev.record} (captured at merge, ${ev.capturedAt})`
      : ev.source === 'github'
        ? 'from GitHub at pack time'
        : 'approval not evidenced';
  return {
    approvalSource: ev.source,
    approvalEvidence: source,
    pullRequest: pr ? `#${pr.number}` : pr === null ? 'no pull request' : null,
    pullRequestUrl: pr?.url ?? null,
    requester: pr ? pr.author : pr === null ? 'no pull request' : null,
    approvers: pr || pr === null ? ev.approvers.map((a) => a.login).join('; ') : null,
    approvedAt: pr || pr === null ? ev.approvers.map((a) => a.submittedAt).join('; ') : null,
    approvedCommits: pr || pr === null ? ev.approvers.map((a) => a.commitId).join('; ') : null,
    reviewsAtMerge: ev.reviews.length
      ? ev.reviews
          .map(
            (r) =>
              `@${r.login} ${r.state} on ${short(r.commitId)} at ${r.submittedAt}: ${r.counts ? 'counts' : 'does not count'} (${r.why})`,
          )
          .join('; ')
      : null,
    managerOfRecord: ev.manager?.person
      ? `${ev.manager.person}${ev.manager.login ? ` (@${ev.manager.login})` : ''}${ev.manager.fromBase ? '' : ' (named in the new file)'}`
      : ev.manager
        ? 'none named'
        : null,
    verdict: verdictText(ev),
    mergedAt: pr?.mergedAt ?? null,
    mergedBy: pr?.mergedBy ?? null,
    approvalFinding: ev.problem?.text ?? null,
  };
}

export function verdictText(ev: ApprovalEvidence): string {
  if (ev.problem?.kind === 'not-evidenced') return 'approval not evidenced';
  if (ev.pullRequest === null) return 'no pull request';
  const v = ev.verdict;
  if (!v) return `not computed${ev.verdictError ? `: ${ev.verdictError}` : ''}`;
  const reqs = v.requirements
    .map((r) => `${r.rule} ${r.status}${r.satisfiedBy ? ` by @${r.satisfiedBy}` : ''}`)
    .join('; ');
  return `${v.approved ? 'approved' : 'not approved'} ${v.computed}${reqs ? ` (${reqs})` : ''}`;
}

export const APPROVAL_COLUMNS: [string, string][] = [
  ['approvalSource', 'Approval source'],
  ['approvalEvidence', 'Approval evidence'],
  ['pullRequest', 'Pull request'],
  ['pullRequestUrl', 'Pull request URL'],
  ['requester', 'Requester (PR author)'],
  ['approvers', 'Approved by'],
  ['approvedAt', 'Approved at'],
  ['approvedCommits', 'Approved commit'],
  ['reviewsAtMerge', 'Reviews at merge'],
  ['managerOfRecord', 'Manager of record'],
  ['verdict', 'Approvals verdict'],
  ['mergedAt', 'Merged at'],
  ['mergedBy', 'Merged by'],
  ['approvalFinding', 'Approval finding'],
];
