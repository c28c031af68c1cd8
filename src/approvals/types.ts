/**
 * approvals: the shapes shared by the decision, its rendering and the command.
 */

/** How a file changed in the pull request (GitHub's `copied` arrives as `added`, `changed` as `modified`). */
export type FileStatus = 'added' | 'modified' | 'removed' | 'renamed';

export interface ChangedFile {
  /** Repository-relative path on the head side (for a removed file: the path it had). */
  path: string;
  status: FileStatus;
  /** For a rename: the path on the base side. */
  previousPath?: string;
}

/** A submitted review (PENDING reviews are drafts nobody else can see and are dropped before this). */
export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';

export interface Review {
  login: string;
  state: ReviewState;
  /** The commit the review was given on; an approval on any other commit than the head is stale. */
  commitId: string;
  /** RFC 3339; reviews are ordered by it (ties keep the order given, which is GitHub's). */
  submittedAt: string;
}

/** Whether a requirement holds: `not-checked` is informational and never blocks. */
export type RequirementStatus = 'met' | 'missing' | 'not-checked';

export interface Requirement {
  /** Stable rule id: `manager-approval`, `hr-team`, ... (see README, "jml approvals"). */
  rule: string;
  /** The file (head side; base side for a removed file) and the line the rule is about. */
  file: string;
  line: number;
  /** What changed in that file, as classified: "mover: roles changed", "leaver: employment.end set". */
  change: string;
  /** What is needed, naming the people: "needs approval from the manager of record grace.lin (GitHub @grace-l) as of the base branch". */
  description: string;
  status: RequirementStatus;
  /** The GitHub login whose approval (or authorship, where that counts) meets the rule. */
  satisfiedBy: string | null;
  /** Why it is met or missing: who approved which commit, who did not count and why. */
  why: string;
}

/** What became of each reviewer's reviews. */
export interface ReviewerSummary {
  login: string;
  /** The person the login belongs to on the base branch, if any. */
  person: string | null;
  /** The reviewer's standing review: the latest APPROVED / CHANGES_REQUESTED / DISMISSED (COMMENTED if only comments). */
  state: ReviewState;
  commitId: string;
  /** True when this is an approval of the head commit by someone other than the author who maps to a person. */
  counts: boolean;
  why: string;
}

/** One change of a person's access over the coming year, as the pull request would make it. */
export interface EffectSummary {
  person: string;
  /** An entitlement id, or `account` for the ability to sign in at all. */
  what: string;
  change: 'gained' | 'lost';
  /** "from 2027-02-01 until 2027-03-15", in the organisation's dates. */
  when: string;
}

export interface Decision {
  approved: boolean;
  headSha: string;
  author: string;
  requirements: Requirement[];
  reviewers: ReviewerSummary[];
  /** What the pull request does to access: every person's gains and losses, from now over a year. */
  effects: EffectSummary[];
  /** Changed files with no effect on access (documentation, files jml does not read). */
  notes: string[];
  /** The organisation's time zone on the base branch: the comment shows its times there. */
  zone?: string;
}
