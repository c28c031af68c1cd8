/**
 * The evidence pack's shapes. `EvidenceInput` is everything gathered (gather.ts does the I/O);
 * each artifact builder is a pure function of it that returns an `Artifact`: one table (the CSV),
 * what the artifact proves, notes on what could not be filled in, and the findings an auditor
 * would raise. Rendering (Markdown, CSV, HTML) reads only artifacts.
 */
import type { Review } from '../../approvals/types.js';
import type { ReviewCampaign, ReviewFile } from '../../model/schema.js';
import type { ActualState } from '../../model/state.js';
import type { RecordFile, RecordProblem } from '../../records/store.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import type { DayOneIssue } from '../day-one.js';
import type { CommitInfo } from './git-history.js';
import type { ReviewPullRequest } from './github-reads.js';

export type Cell = string | number | boolean | null;
export type Row = Record<string, Cell>;

export interface Column {
  key: string;
  header: string;
}

export interface Finding {
  artifact: ArtifactId;
  text: string;
}

export const ARTIFACT_IDS = [
  'policy',
  'roles',
  'jml-events',
  'exceptions',
  'terminated-accounts',
  'saas-inventory',
  'access-reviews',
  'day-one',
] as const;
export type ArtifactId = (typeof ARTIFACT_IDS)[number];

export interface Artifact {
  id: ArtifactId;
  title: string;
  /** What the artifact proves, in a sentence or two, for the auditor. */
  proves: string;
  columns: Column[];
  rows: Row[];
  /** What is empty and why (no GitHub access, a provider simulated, ...). */
  notes: string[];
  findings: Finding[];
  /**
   * The columns the page shows on each row (in this order); the others are folded into the row's
   * details. Absent: every column is shown. The CSV always has every column.
   */
  summary?: string[];
}

/**
 * A page of its own for one sampled item (a leaver): what an auditor asks about it, section by
 * section (the request, the approvals, the instant, each provider's confirmation, each step of
 * the checklist, the tickets). Written as `<name>.md` and `<name>.html` and listed in the manifest.
 */
export interface DetailPage {
  /** Path inside the pack without extension, `/`-separated: `leavers/<person>-<YYYY-MM-DD>`. */
  name: string;
  title: string;
  /** One line that says what the page is about and its verdict. */
  summary: string;
  sections: { heading: string; columns: Column[]; rows: Row[]; notes?: string[] }[];
  findings: Finding[];
}

/** A pull request that merged a commit, with its approving reviews. */
export interface PullRequestEvidence {
  number: number;
  url: string;
  mergedAt: string | null;
  /** APPROVED reviews only, in order. */
  approvals: Review[];
  /** For a pull request jml hr sync opened: the HR record (`source:sourceId`) in its marker. */
  hrRecord?: string;
  /** Who opened it (the requester), as GitHub lists it. */
  author?: string;
  /** Its head commit: approvals on any other commit are stale. */
  headSha?: string;
  /** Every submitted review, in GitHub's (chronological) order, approving or not. */
  reviews?: Review[];
}

/**
 * The manager of record of a person a commit changed, read from git at pack time for the
 * approvals GitHub holds (records carry their own): the person's file on the commit's first
 * parent (the base), else, for a new joiner, the file the commit wrote.
 */
export interface ManagerOfRecord {
  /** Person id; null when the file names none. */
  manager: string | null;
  /** true: from the base branch; false: from the new file (a joiner's first manager). */
  fromBase: boolean;
}

/** The state of a manual-work issue on GitHub. */
export interface IssueEvidence {
  state: 'open' | 'closed';
  closedAt: string | null;
}

/**
 * One reviewer file of an access review campaign as `jml review report` reads it (gathered by
 * review-gather.ts, built into a report by review/report.ts).
 */
export interface ReviewFileEvidence {
  /** reviews/<quarter>/<name>.yaml */
  path: string;
  name: string;
  file: ReviewFile;
  /** git log of the file, newest first (empty outside git). */
  commits: CommitInfo[];
  /** undefined: GitHub not read; null: read, and no pull request found. */
  pullRequest: ReviewPullRequest | null | undefined;
}

/** What a quarter's access review report is built from (review/report.ts, buildReviewReport). */
export interface ReviewReportInput {
  index: RepoIndex;
  campaign: ReviewCampaign;
  files: ReviewFileEvidence[];
  /** Every apply record found; those with `review.quarter` equal to the campaign's are read. */
  records: RecordFile[];
  /** The providers read live at `at`. */
  actual: ActualState[];
  at: number;
  /** Why the GitHub columns are empty, when they are. */
  githubGaps: string[];
}

export interface EvidenceInput {
  /** The policy repository's index at HEAD (validated). */
  index: RepoIndex;
  commit: string | null;
  /** The instant the pack is for (`--at`, default now). */
  at: number;
  /** The start of the period (`--at` minus `--since`). */
  since: number;
  /** Every apply record found, oldest first. */
  records: RecordFile[];
  /** Files in the records directory that are not valid apply records: left out, with why. */
  recordProblems: RecordProblem[];
  /** git history of policy/JML-POLICY.md, newest first. */
  policyHistory: CommitInfo[];
  /** git history of exceptions/, newest first. */
  exceptionHistory: CommitInfo[];
  /** Exception files' text at a commit (for deleted ones): `${sha}:${path}` -> text. */
  exceptionTexts: Map<string, string>;
  /**
   * The last commit that changed people/<id>.yaml as of a period record's commit (empty when
   * none), keyed by `personChangeKey(person, record)`.
   */
  personHistory: Map<string, CommitInfo[]>;
  /** Pull requests by commit sha; null when GitHub was asked and none merged it. */
  pullRequests: Map<string, PullRequestEvidence | null>;
  /**
   * The manager of record of each person a period commit changed, keyed
   * `${sha}:${person}` (gather.ts, from git): for approvals read from GitHub at pack time.
   */
  managersOfRecord?: Map<string, ManagerOfRecord>;
  /** Manual-work issues by url. */
  issues: Map<string, IssueEvidence>;
  /** Live provider states at `at`. */
  actual: ActualState[];
  /** Why GitHub columns are empty, when they are (no token, or a failed call). */
  githubGaps: string[];
  /** Access review campaigns in the period, each gathered as `jml review report` reads it. */
  reviews?: ReviewReportInput[];
  /** Day-one issues with their comments (undefined when GitHub was not read). */
  dayOne?: DayOneIssue[];
}
