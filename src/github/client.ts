/**
 * A thin typed client over @octokit/rest for what the JML workflows do on GitHub: read a pull
 * request's changed files and reviews (for approvals), keep ONE sticky plan comment on a pull
 * request, keep ONE drift issue, open one manual-work issue per (person, app), comment the apply
 * result on the pull request(s) a merge commit came from, report the approvals check run, and
 * keep ONE pull request that deletes files (expired exceptions) or writes files (a generated
 * document) from one reused branch.
 *
 * Nothing here retries: Octokit's default has none, and every call it makes is either a read or
 * idempotent by construction (a marker or an exact title finds what an earlier run wrote).
 * Errors are `GitHubError`s carrying the status and GitHub's message, never the token.
 */
import { Octokit, type RestEndpointMethodTypes } from '@octokit/rest';
import { changedFilesOf } from '../approvals/pull-request.js';
import { submittedReviews } from '../approvals/reviews.js';
import type { ChangedFile, Review } from '../approvals/types.js';

/** A deployment environment as GitHub lists it (GET environments). */
export type Environment = NonNullable<
  RestEndpointMethodTypes['repos']['getAllEnvironments']['response']['data']['environments']
>[number];

/** GitHub's limit on an issue or comment body, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;
/** GitHub lists at most this many files of a pull request. */
export const PULL_FILES_LIMIT = 3000;
/** The marker of the plan comment on a pull request. */
export const PLAN_MARKER = '<!-- jml:plan -->';
/** The check run that reports approvals. */
export const APPROVALS_CHECK = 'jml/approvals';

export interface PullRequestChanges {
  owner: string;
  repo: string;
  number: number;
  author: string;
  state: 'open' | 'closed';
  baseRef: string;
  baseSha: string;
  headSha: string;
  /** As the approvals decision reads them (approvals/pull-request.ts, changedFilesOf). */
  files: ChangedFile[];
  /** The submitted ones, in the order GitHub lists them (chronological). */
  reviews: Review[];
}

/** A pull request as listed for a commit. */
export interface MergedPullRequest {
  number: number;
  url: string;
  title: string;
  author: string;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  /** The pull request's head commit: the one approvals must be on to count. */
  headSha: string;
  /** Its description (markers jml wrote there say where it came from: an HR record, say). */
  body: string | null;
}

/** An issue as `issueState` reads it. */
export interface IssueStateInfo {
  state: 'open' | 'closed';
  /** When it was opened. */
  createdAt: string;
  /** When it was closed; null while open. */
  closedAt: string | null;
  /** Who closed it (GitHub's `closed_by`); null while open or when GitHub does not say. */
  closedBy: string | null;
  title: string;
  url: string;
}

export interface IssueSpec {
  title: string;
  body: string;
  labels?: string[];
  assignees?: string[];
  /** The comment left when the issue is closed (default: a one-line "resolved"). */
  closeComment?: string;
}

export interface IssueRef {
  number: number;
  url: string;
}

export type SyncIssueResult =
  | { action: 'created' | 'updated' | 'unchanged' | 'closed'; issue: IssueRef; closedDuplicates: number[] }
  | { action: 'none'; closedDuplicates: number[] };

export interface WorkIssueSpec {
  /** Person id (people/<id>.yaml). */
  person: string;
  /** App or entitlement id. */
  app: string;
  title: string;
  body: string;
  assignees?: string[];
  labels?: string[];
}

export interface CheckRunSpec {
  headSha: string;
  conclusion: 'success' | 'failure' | 'neutral' | 'action_required';
  title: string;
  summary: string;
  text?: string;
  detailsUrl?: string;
  name?: string;
}

export interface DeletionSpec {
  /** The branch the deletions are committed to (created from `base` when missing). */
  branch: string;
  /** The branch the pull request merges into, usually the default branch. */
  base: string;
  /** Repository-relative paths to delete. */
  paths: string[];
  title: string;
  body: string;
  labels?: string[];
}

export interface DeletionResult {
  /** `none`: no path exists at the base, so there is nothing to propose. */
  action: 'created' | 'updated' | 'unchanged' | 'none';
  pullRequest?: IssueRef;
  branch: 'created' | 'existing' | 'none';
  /** Paths deleted on the branch by this call. */
  deleted: string[];
  /** Paths that exist at the base (what the pull request removes). */
  present: string[];
}

export interface FileChangesSpec {
  /** The branch the files are committed to (created from `base` when missing). */
  branch: string;
  /** The branch the pull request merges into, usually the default branch. */
  base: string;
  title: string;
  body: string;
  /** The commit message of each file written. */
  message: string;
  labels?: string[];
  /** Logins asked to review when the pull request is opened or its files change. */
  reviewers?: string[];
  /** Repository-relative paths and their whole new text. */
  files: { path: string; content: string }[];
}

export interface FileChangesResult {
  /** `updated`: a file was written on the branch, or the pull request's body or labels changed. */
  action: 'created' | 'updated' | 'unchanged';
  pullRequest: IssueRef;
  branch: 'created' | 'existing';
  /** Paths written on the branch by this call (identical ones are skipped). */
  written: string[];
}

/** The one pull request a proposal keeps open from its branch. */
interface ProposalSpec {
  branch: string;
  base: string;
  title: string;
  /** The body with its marker (fitBody). */
  body: string;
  labels?: string[];
}

export interface GitHubClientOptions {
  /** A token (GITHUB_TOKEN, an app installation token or a PAT). */
  token: string;
  /** https://api.github.com (default), a GHES `https://HOST/api/v3`, or a loopback fake. */
  baseUrl?: string;
  /**
   * The login the token acts as (`github-actions[bot]` for the Actions GITHUB_TOKEN). When
   * known, a sticky comment is ours only if that login wrote it; when not, only if its body
   * starts with the marker.
   */
  identity?: string;
  userAgent?: string;
  /** Octokit's request timeout in ms. */
  timeoutMs?: number;
}

/**
 * A GitHub client and the repository it works on. `C` is the port its consumer declares where it
 * is used: the few methods it calls, as `Pick<GitHubClient, ...>`, so that a test (or an engine
 * function) can hand it a fake. The CLI builds the whole client (cli/run-support.ts).
 */
export interface GitHubAccess<C = GitHubClient> {
  client: C;
  owner: string;
  repo: string;
}

/** A failed GitHub call: what was asked, the status and GitHub's own message. */
export class GitHubError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly githubMessage: string,
    readonly details: string[] = [],
  ) {
    super(
      `GitHub ${operation} failed: ${status === 0 ? 'no answer: ' : status >= 300 ? `${status} ` : ''}${githubMessage}${
        details.length ? ` (${details.join('; ')})` : ''
      }`,
    );
    this.name = 'GitHubError';
  }
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** Hidden marker of a manual-work issue: one per (person, app). */
export interface OpenWorkIssue {
  number: number;
  url: string;
  title: string;
  person: string;
  app: string;
  createdAt: string;
  assignees: string[];
}

export function workMarker(person: string, app: string): string {
  return `<!-- jml:work person=${encodeURIComponent(person)} app=${encodeURIComponent(app)} -->`;
}

/**
 * `marker` + body, cut to GitHub's limit with a note saying so. Never splits a surrogate pair.
 */
export function fitBody(marker: string, body: string, limit = GITHUB_BODY_LIMIT): string {
  const full = `${marker}\n${body}`;
  if (full.length <= limit) return full;
  const note = `\n\n---\n**Truncated:** this text is ${full.length.toLocaleString('en-US')} characters and GitHub allows ${limit.toLocaleString('en-US')}; the full text is in the workflow run's log and artifacts.`;
  let cut = full.slice(0, Math.max(0, limit - note.length));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut + note;
}

export class GitHubClient {
  readonly octokit: Octokit;
  private readonly identity?: string;

  constructor(opts: GitHubClientOptions) {
    if (!opts.token) throw new Error('GitHub client: a token is required (GITHUB_TOKEN)');
    this.identity = opts.identity;
    this.octokit = new Octokit({
      auth: opts.token,
      baseUrl: opts.baseUrl ?? 'https://api.github.com',
      userAgent: opts.userAgent ?? 'jml-access-as-code',
      log: quiet,
      request: opts.timeoutMs ? { timeout: opts.timeoutMs } : {},
    });
  }

  /**
   * The three REST responses approvals are decided from, unchanged: `GET pulls/{n}`, and every
   * page of `pulls/{n}/files` and `pulls/{n}/reviews` concatenated (the `{pull, files, reviews}`
   * shape `jml approvals --changes` reads). Refuses a pull request GitHub cannot list in full.
   */
  async pullRequestData(owner: string, repo: string, number: number) {
    const where = `${owner}/${repo}#${number}`;
    const pr = await this.call(`get pull request ${where}`, () =>
      this.octokit.rest.pulls.get({ owner, repo, pull_number: number }),
    );
    const files = await this.call(`list files of ${where}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
        owner,
        repo,
        pull_number: number,
        per_page: 100,
      }),
    );
    // GitHub stops listing at 3000 files: approvals over a partial list would be a guess.
    if (files.length < pr.data.changed_files) {
      throw new GitHubError(
        `list files of ${where}`,
        200,
        `GitHub listed ${files.length} of ${pr.data.changed_files} changed files (it lists at most ${PULL_FILES_LIMIT}); split the pull request`,
      );
    }
    const reviews = await this.call(`list reviews of ${where}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: number,
        per_page: 100,
      }),
    );
    return { pull: pr.data, files, reviews };
  }

  /** The author, base and head, every changed file and every review of a pull request. */
  async pullRequestChanges(owner: string, repo: string, number: number): Promise<PullRequestChanges> {
    const { pull, files, reviews } = await this.pullRequestData(owner, repo, number);
    const pr = { data: pull };
    return {
      owner,
      repo,
      number,
      author: pr.data.user.login,
      state: pr.data.state as 'open' | 'closed',
      baseRef: pr.data.base.ref,
      baseSha: pr.data.base.sha,
      headSha: pr.data.head.sha,
      files: changedFilesOf(files),
      reviews: submittedReviews(reviews),
    };
  }

  /**
   * Keeps ONE comment carrying `marker` on an issue or pull request: updates ours when there is
   * one (and deletes any duplicate of ours an interrupted run left), creates it otherwise. A
   * comment by anyone else that merely contains the marker text is left alone.
   */
  async upsertStickyComment(
    owner: string,
    repo: string,
    issueNumber: number,
    marker: string,
    body: string,
  ): Promise<{ action: 'created' | 'updated' | 'unchanged'; id: number; url: string; truncated: boolean }> {
    if (!/^<!--[\s\S]*-->$/.test(marker))
      throw new Error(`sticky comment marker must be an HTML comment: ${marker}`);
    const where = `${owner}/${repo}#${issueNumber}`;
    const text = fitBody(marker, body);
    const truncated = text.length < marker.length + 1 + body.length;
    const comments = await this.call(`list comments of ${where}`, () =>
      this.octokit.paginate(this.octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: issueNumber,
        per_page: 100,
      }),
    );
    const ours = comments.filter((c) => this.isOurs(c.user?.login, c.body, marker));
    const [keep, ...duplicates] = ours;
    for (const d of duplicates) {
      await this.call(`delete duplicate comment ${d.id} on ${where}`, () =>
        this.octokit.rest.issues.deleteComment({ owner, repo, comment_id: d.id }),
      );
    }
    if (keep) {
      if (keep.body === text) return { action: 'unchanged', id: keep.id, url: keep.html_url, truncated };
      const res = await this.call(`update comment ${keep.id} on ${where}`, () =>
        this.octokit.rest.issues.updateComment({ owner, repo, comment_id: keep.id, body: text }),
      );
      return { action: 'updated', id: res.data.id, url: res.data.html_url, truncated };
    }
    const res = await this.call(`comment on ${where}`, () =>
      this.octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text }),
    );
    return { action: 'created', id: res.data.id, url: res.data.html_url, truncated };
  }

  /**
   * For events that must be acknowledged rather than state that clears itself (a leaver SLA
   * breach): opens the one issue with this title with `spec.body`, or, while it is open, adds the
   * body to it as a new comment, so no earlier event is overwritten. Never closes it: a person
   * does, after review.
   */
  async appendToIssue(
    owner: string,
    repo: string,
    spec: IssueSpec,
  ): Promise<{ action: 'created' | 'commented'; issue: IssueRef }> {
    const current = (await this.openIssues(owner, repo))
      .filter((i) => i.title === spec.title)
      .sort((a, b) => a.number - b.number)[0];
    if (!current) {
      const created = await this.syncIssue(owner, repo, spec, true);
      if (created.action === 'none')
        throw new Error(`could not open the issue "${spec.title}" in ${owner}/${repo}`);
      return { action: 'created', issue: created.issue };
    }
    const where = `${owner}/${repo}#${current.number}`;
    await this.call(`comment on ${where}`, () =>
      this.octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: current.number,
        body: fitBody('<!-- jml:event -->', spec.body),
      }),
    );
    return { action: 'commented', issue: { number: current.number, url: current.html_url } };
  }

  /**
   * Keeps ONE open issue with exactly this title (drift): `open` creates or updates it; `!open`
   * closes it with a comment. Further open issues with the same title are closed as duplicates.
   */
  async syncIssue(owner: string, repo: string, spec: IssueSpec, open: boolean): Promise<SyncIssueResult> {
    const where = `${owner}/${repo}`;
    const matching = (await this.openIssues(owner, repo))
      .filter((i) => i.title === spec.title)
      .sort((a, b) => a.number - b.number);
    const [current, ...duplicates] = matching;
    const closedDuplicates: number[] = [];
    for (const d of duplicates) {
      await this.closeWithComment(
        owner,
        repo,
        d.number,
        `Duplicate of #${current!.number}; jml keeps one issue titled "${spec.title}".`,
        'not_planned',
      );
      closedDuplicates.push(d.number);
    }
    const body = fitBody('<!-- jml:issue -->', spec.body);
    if (!open) {
      if (!current) return { action: 'none', closedDuplicates };
      await this.closeWithComment(
        owner,
        repo,
        current.number,
        spec.closeComment ?? 'Resolved: the last run found nothing for this issue.',
        'completed',
      );
      return { action: 'closed', issue: { number: current.number, url: current.html_url }, closedDuplicates };
    }
    if (!current) {
      const res = await this.call(`create issue "${spec.title}" in ${where}`, () =>
        this.octokit.rest.issues.create({
          owner,
          repo,
          title: spec.title,
          body,
          ...(spec.labels ? { labels: spec.labels } : {}),
          ...(spec.assignees ? { assignees: spec.assignees } : {}),
        }),
      );
      return {
        action: 'created',
        issue: { number: res.data.number, url: res.data.html_url },
        closedDuplicates,
      };
    }
    const labels = current.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
    const assignees = (current.assignees ?? []).map((a) => a.login);
    const same =
      current.body === body &&
      (!spec.labels || sameSet(labels, spec.labels)) &&
      (!spec.assignees || sameSet(assignees, spec.assignees));
    const ref = { number: current.number, url: current.html_url };
    if (same) return { action: 'unchanged', issue: ref, closedDuplicates };
    await this.call(`update issue #${current.number} in ${where}`, () =>
      this.octokit.rest.issues.update({
        owner,
        repo,
        issue_number: current.number,
        body,
        ...(spec.labels ? { labels: spec.labels } : {}),
        ...(spec.assignees ? { assignees: spec.assignees } : {}),
      }),
    );
    return { action: 'updated', issue: ref, closedDuplicates };
  }

  /**
   * One open issue per (person, app) for manual work, found again by a hidden marker in its body:
   * a second call for the same pair returns the open issue (adding missing labels and assignees)
   * instead of opening another. Closing is for people; this never closes or reopens anything.
   */
  async openWorkIssue(
    owner: string,
    repo: string,
    spec: WorkIssueSpec,
  ): Promise<{ action: 'created' | 'existing'; issue: IssueRef & { createdAt: string } }> {
    const where = `${owner}/${repo}`;
    const marker = workMarker(spec.person, spec.app);
    const existing = (await this.openIssues(owner, repo))
      .filter((i) => (i.body ?? '').includes(marker) && this.isOurs(i.user?.login, i.body ?? '', marker))
      .sort((a, b) => a.number - b.number)[0];
    if (existing) {
      const labels = existing.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
      const assignees = (existing.assignees ?? []).map((a) => a.login);
      const missingLabels = (spec.labels ?? []).filter(
        (l) => !labels.some((x) => x.toLowerCase() === l.toLowerCase()),
      );
      const missingAssignees = (spec.assignees ?? []).filter(
        (a) => !assignees.some((x) => x.toLowerCase() === a.toLowerCase()),
      );
      if (missingLabels.length || missingAssignees.length) {
        await this.call(`update work issue #${existing.number} in ${where}`, () =>
          this.octokit.rest.issues.update({
            owner,
            repo,
            issue_number: existing.number,
            labels: [...labels, ...missingLabels],
            assignees: [...assignees, ...missingAssignees],
          }),
        );
      }
      return {
        action: 'existing',
        issue: { number: existing.number, url: existing.html_url, createdAt: existing.created_at },
      };
    }
    const res = await this.call(`create work issue for ${spec.person}/${spec.app} in ${where}`, () =>
      this.octokit.rest.issues.create({
        owner,
        repo,
        title: spec.title,
        body: fitBody(marker, spec.body),
        labels: spec.labels ?? [],
        assignees: spec.assignees ?? [],
      }),
    );
    return {
      action: 'created',
      issue: { number: res.data.number, url: res.data.html_url, createdAt: res.data.created_at },
    };
  }

  /**
   * Comments the apply result on the pull request(s) whose merge produced `sha` (merge, squash
   * or rebase: GitHub's merge_commit_sha), or whose merged head is `sha`. The comment is sticky per
   * commit, so a re-run of the same apply updates it. Looks through the most recently updated
   * closed pull requests (up to `maxPages` pages of 100).
   */
  async commentOnPullRequestsOf(
    owner: string,
    repo: string,
    sha: string,
    body: string,
    maxPages = 3,
  ): Promise<number[]> {
    const where = `${owner}/${repo}`;
    const found: number[] = [];
    for (let page = 1; page <= maxPages && found.length === 0; page++) {
      const res = await this.call(`list closed pull requests of ${where}`, () =>
        this.octokit.rest.pulls.list({
          owner,
          repo,
          state: 'closed',
          sort: 'updated',
          direction: 'desc',
          per_page: 100,
          page,
        }),
      );
      for (const pr of res.data) {
        const merged = pr.merged_at !== null;
        if (merged && (pr.merge_commit_sha === sha || pr.head.sha === sha)) found.push(pr.number);
      }
      if (res.data.length < 100) break;
    }
    for (const n of found) await this.upsertStickyComment(owner, repo, n, `<!-- jml:apply ${sha} -->`, body);
    return found;
  }

  /** Reports approvals as a completed check run (`jml/approvals`) on a commit. */
  async createCheckRun(
    owner: string,
    repo: string,
    spec: CheckRunSpec,
  ): Promise<{ id: number; url: string }> {
    const name = spec.name ?? APPROVALS_CHECK;
    const cut = (s: string) => (s.length > GITHUB_BODY_LIMIT ? fitBody('', s).slice(1) : s);
    const res = await this.call(`create check run ${name} on ${spec.headSha.slice(0, 12)}`, () =>
      this.octokit.rest.checks.create({
        owner,
        repo,
        name,
        head_sha: spec.headSha,
        status: 'completed',
        conclusion: spec.conclusion,
        ...(spec.detailsUrl ? { details_url: spec.detailsUrl } : {}),
        output: {
          title: spec.title,
          summary: cut(spec.summary),
          ...(spec.text ? { text: cut(spec.text) } : {}),
        },
      }),
    );
    return { id: res.data.id, url: res.data.html_url ?? res.data.url };
  }

  /** A file's text at a ref (branch, tag or sha); undefined when it does not exist there. */
  async fileAt(owner: string, repo: string, path: string, ref: string): Promise<string | undefined> {
    return (await this.readFile(owner, repo, path, ref))?.text;
  }

  /**
   * Proposes deleting `paths` by pull request: creates `branch` at the base's head commit (or
   * reuses it when it exists), deletes there each path still present, and keeps ONE open pull
   * request from `branch` into `base` (its body and labels are updated on a later run). Paths
   * already gone at the base are skipped; when none exists there, nothing is proposed. Run twice,
   * it leaves one branch and one pull request.
   */
  async proposeDeletion(owner: string, repo: string, spec: DeletionSpec): Promise<DeletionResult> {
    const where = `${owner}/${repo}`;
    const present: string[] = [];
    for (const path of spec.paths) {
      if ((await this.fileSha(owner, repo, path, spec.base)) !== undefined) present.push(path);
    }
    if (present.length === 0) return { action: 'none', branch: 'none', deleted: [], present };

    const branch = await this.openBranch(owner, repo, spec.branch, spec.base);

    const deleted: string[] = [];
    for (const path of present) {
      const sha = await this.fileSha(owner, repo, path, spec.branch);
      if (sha === undefined) continue;
      await this.call(`delete ${path} on ${spec.branch} in ${where}`, () =>
        this.octokit.rest.repos.deleteFile({
          owner,
          repo,
          path,
          sha,
          branch: spec.branch,
          message: `Remove ${path}`,
        }),
      );
      deleted.push(path);
    }

    const pr = await this.keepPullRequest(owner, repo, {
      ...spec,
      body: fitBody('<!-- jml:deletion -->', spec.body),
    });
    return { ...pr, branch, deleted, present };
  }

  /**
   * Proposes writing `files` by pull request: creates `branch` at the base's head commit (or
   * reuses it), writes there each file whose text differs (one commit each, with the blob sha
   * when it replaces one), and keeps ONE open pull request from `branch` into `base` (body and
   * labels updated on a later run). `reviewers` are asked when the pull request is opened or its
   * files change. Run twice with the same files, it writes nothing and answers `unchanged`.
   */
  async proposeFileChanges(owner: string, repo: string, spec: FileChangesSpec): Promise<FileChangesResult> {
    const where = `${owner}/${repo}`;
    const branch = await this.openBranch(owner, repo, spec.branch, spec.base);
    const written: string[] = [];
    for (const file of spec.files) {
      const current = await this.readFile(owner, repo, file.path, spec.branch);
      if (current?.text === file.content) continue;
      await this.call(`write ${file.path} on ${spec.branch} in ${where}`, () =>
        this.octokit.rest.repos.createOrUpdateFileContents({
          owner,
          repo,
          path: file.path,
          branch: spec.branch,
          message: spec.message,
          content: Buffer.from(file.content, 'utf8').toString('base64'),
          ...(current ? { sha: current.sha } : {}),
        }),
      );
      written.push(file.path);
    }
    const pr = await this.keepPullRequest(owner, repo, {
      ...spec,
      body: fitBody('<!-- jml:files -->', spec.body),
    });
    const reviewers = spec.reviewers ?? [];
    if (reviewers.length && (pr.action === 'created' || written.length)) {
      await this.call(`request reviewers on pull request #${pr.pullRequest.number} in ${where}`, () =>
        this.octokit.rest.pulls.requestReviewers({
          owner,
          repo,
          pull_number: pr.pullRequest.number,
          reviewers,
        }),
      );
    }
    const action = pr.action === 'unchanged' && written.length ? 'updated' : pr.action;
    return { action, pullRequest: pr.pullRequest, branch, written };
  }

  /** Creates `branch` at the head commit of `base`, or reuses it when it exists. */
  private async openBranch(
    owner: string,
    repo: string,
    branch: string,
    base: string,
  ): Promise<'created' | 'existing'> {
    const where = `${owner}/${repo}`;
    const head = await this.call(`read the head commit of ${base} in ${where}`, () =>
      this.octokit.rest.repos.listCommits({ owner, repo, sha: base, per_page: 1 }),
    );
    const baseSha = head.data[0]?.sha;
    if (!baseSha) throw new GitHubError(`read the head commit of ${base} in ${where}`, 200, 'no commits');
    try {
      await this.call(`create branch ${branch} in ${where}`, () =>
        this.octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: baseSha }),
      );
      return 'created';
    } catch (e) {
      if (!(e instanceof GitHubError && e.status === 422 && /already exists/i.test(e.githubMessage))) throw e;
      return 'existing';
    }
  }

  /**
   * Keeps ONE open pull request from `spec.branch` into `spec.base`: updates the oldest open one's
   * body and labels (labels are merged, never dropped) when they differ, opens one otherwise.
   */
  private async keepPullRequest(
    owner: string,
    repo: string,
    spec: ProposalSpec,
  ): Promise<{ action: 'created' | 'updated' | 'unchanged'; pullRequest: IssueRef }> {
    const where = `${owner}/${repo}`;
    const open = await this.call(`list pull requests from ${spec.branch} in ${where}`, () =>
      this.octokit.rest.pulls.list({
        owner,
        repo,
        head: `${owner}:${spec.branch}`,
        base: spec.base,
        state: 'open',
        per_page: 100,
      }),
    );
    const existing = open.data.sort((a, b) => a.number - b.number)[0];
    if (existing) {
      const labels = existing.labels.map((l) => l.name);
      const ref = { number: existing.number, url: existing.html_url };
      if (existing.body === spec.body && (!spec.labels || spec.labels.every((l) => labels.includes(l)))) {
        return { action: 'unchanged', pullRequest: ref };
      }
      await this.call(`update pull request #${existing.number} in ${where}`, () =>
        this.octokit.rest.issues.update({
          owner,
          repo,
          issue_number: existing.number,
          body: spec.body,
          ...(spec.labels ? { labels: [...new Set([...labels, ...spec.labels])] } : {}),
        }),
      );
      return { action: 'updated', pullRequest: ref };
    }
    const pr = await this.call(`open a pull request from ${spec.branch} into ${spec.base} in ${where}`, () =>
      this.octokit.rest.pulls.create({
        owner,
        repo,
        head: spec.branch,
        base: spec.base,
        title: spec.title,
        body: spec.body,
      }),
    );
    if (spec.labels?.length) {
      // Pull requests take labels through the issues API.
      await this.call(`label pull request #${pr.data.number} in ${where}`, () =>
        this.octokit.rest.issues.update({ owner, repo, issue_number: pr.data.number, labels: spec.labels }),
      );
    }
    return { action: 'created', pullRequest: { number: pr.data.number, url: pr.data.html_url } };
  }

  /** The blob sha of a file at a ref; undefined when it does not exist there. */
  private async fileSha(owner: string, repo: string, path: string, ref: string): Promise<string | undefined> {
    return (await this.readFile(owner, repo, path, ref))?.sha;
  }

  /** A file's text and blob sha at a ref; undefined when it does not exist there. */
  private async readFile(
    owner: string,
    repo: string,
    path: string,
    ref: string,
  ): Promise<{ text: string; sha: string } | undefined> {
    try {
      const res = await this.call(`read ${path} at ${ref} in ${owner}/${repo}`, () =>
        this.octokit.rest.repos.getContent({ owner, repo, path, ref }),
      );
      const d = res.data;
      if (Array.isArray(d) || d.type !== 'file' || !('content' in d)) {
        throw new GitHubError(`read ${path} at ${ref} in ${owner}/${repo}`, 200, 'not a file');
      }
      return { text: Buffer.from(d.content, 'base64').toString('utf8'), sha: d.sha };
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** The head branches of the repository's own open pull requests (forks left out). */
  async openPullRequestBranches(owner: string, repo: string): Promise<string[]> {
    const pulls = await this.call(`list open pull requests of ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 }),
    );
    return pulls
      .filter((p) => p.head.repo?.full_name?.toLowerCase() === `${owner}/${repo}`.toLowerCase())
      .map((p) => p.head.ref);
  }

  /**
   * The open pull request whose head is `sha`, forks included (the trusted approvals workflow
   * re-runs after a review through `workflow_run`, whose `pull_requests` list GitHub leaves empty
   * for a fork). Undefined when no open pull request has that head any more (a newer push).
   */
  async openPullRequestWithHead(owner: string, repo: string, sha: string): Promise<number | undefined> {
    const pulls = await this.call(`list open pull requests of ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.list, { owner, repo, state: 'open', per_page: 100 }),
    );
    return pulls.find((p) => p.head.sha.toLowerCase() === sha.toLowerCase())?.number;
  }

  /**
   * The pull requests a commit came from (GitHub's "list pull requests associated with a
   * commit"): for a merge commit on the default branch, the merged pull request. A commit GitHub
   * does not know (422 "No commit found for SHA", or a 404 naming the commit) came from no pull
   * request: the answer is empty, not an error. Any other failure (a 404 for the repository, a
   * 5xx, no answer) is thrown.
   */
  async pullRequestsOfCommit(owner: string, repo: string, sha: string): Promise<MergedPullRequest[]> {
    let res: RestEndpointMethodTypes['repos']['listPullRequestsAssociatedWithCommit']['response'];
    try {
      res = await this.call(`list pull requests of ${sha.slice(0, 12)} in ${owner}/${repo}`, () =>
        this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
          owner,
          repo,
          commit_sha: sha,
          per_page: 100,
        }),
      );
    } catch (e) {
      if (isUnknownCommit(e)) return [];
      throw e;
    }
    return res.data.map((p) => ({
      number: p.number,
      url: p.html_url,
      title: p.title,
      author: p.user?.login ?? '',
      mergedAt: p.merged_at,
      mergeCommitSha: p.merge_commit_sha ?? null,
      headSha: p.head.sha,
      body: p.body ?? null,
    }));
  }

  /** The submitted reviews of a pull request, in GitHub's (chronological) order. */
  async reviewsOf(owner: string, repo: string, number: number): Promise<Review[]> {
    const reviews = await this.call(`list reviews of ${owner}/${repo}#${number}`, () =>
      this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: number,
        per_page: 100,
      }),
    );
    return submittedReviews(reviews);
  }

  /** An issue's state: when it was opened and, once closed, when and by whom. */
  async issueState(owner: string, repo: string, number: number): Promise<IssueStateInfo> {
    const res = await this.call(`read ${owner}/${repo}#${number}`, () =>
      this.octokit.rest.issues.get({ owner, repo, issue_number: number }),
    );
    return {
      state: res.data.state as 'open' | 'closed',
      createdAt: res.data.created_at,
      closedAt: res.data.closed_at,
      closedBy: res.data.state === 'closed' ? (res.data.closed_by?.login ?? null) : null,
      title: res.data.title,
      url: res.data.html_url,
    };
  }

  /** Logins of a team's members (for policy teams defined as GitHub teams). */
  async teamMembers(org: string, team: string): Promise<string[]> {
    const members = await this.call(`list members of ${org}/${team}`, () =>
      this.octokit.paginate(this.octokit.rest.teams.listMembersInOrg, {
        org,
        team_slug: team,
        per_page: 100,
      }),
    );
    return members.map((m) => m.login);
  }

  /** A user's role on a repository: admin, maintain, write, triage, read or none. */
  async permissionOf(owner: string, repo: string, login: string): Promise<string> {
    try {
      const res = await this.call(`read permission of ${login} on ${owner}/${repo}`, () =>
        this.octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: login }),
      );
      return res.data.role_name || res.data.permission;
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404) return 'none';
      throw e;
    }
  }

  /** The open manual-work issues jml opened (found by their marker), oldest first. */
  async openWorkIssues(owner: string, repo: string): Promise<OpenWorkIssue[]> {
    const out: OpenWorkIssue[] = [];
    for (const i of await this.openIssues(owner, repo)) {
      const m = /<!-- jml:work person=([^ ]+) app=([^ ]+) -->/.exec(i.body ?? '');
      if (!m || !this.isOurs(i.user?.login, i.body ?? '', m[0])) continue;
      out.push({
        number: i.number,
        url: i.html_url,
        title: i.title,
        person: decodeURIComponent(m[1]!),
        app: decodeURIComponent(m[2]!),
        createdAt: i.created_at,
        assignees: (i.assignees ?? []).map((a) => a.login),
      });
    }
    return out.sort((a, b) => a.number - b.number);
  }

  private async openIssues(owner: string, repo: string) {
    const all = await this.call(`list open issues of ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.issues.listForRepo, {
        owner,
        repo,
        state: 'open',
        per_page: 100,
      }),
    );
    // GitHub lists pull requests among issues.
    return all.filter((i) => !i.pull_request);
  }

  private async closeWithComment(
    owner: string,
    repo: string,
    number: number,
    comment: string,
    reason: 'completed' | 'not_planned',
  ): Promise<void> {
    await this.call(`comment on ${owner}/${repo}#${number}`, () =>
      this.octokit.rest.issues.createComment({ owner, repo, issue_number: number, body: comment }),
    );
    await this.call(`close ${owner}/${repo}#${number}`, () =>
      this.octokit.rest.issues.update({
        owner,
        repo,
        issue_number: number,
        state: 'closed',
        state_reason: reason,
      }),
    );
  }

  // ---- repository settings the approval gate relies on (jml doctor) -----------------------------
  // Reading them needs more than the workflow's GITHUB_TOKEN can hold: branch protection and the
  // workflow permissions need Administration (read), repository secrets Secrets (read), an
  // environment's secrets Environments (read). A refusal keeps what GitHub said it wanted
  // (x-accepted-github-permissions) in the error's details.

  /**
   * Classic branch protection of `branch` (GET branches/{b}/protection), or null when GitHub
   * answers 404 "Branch not protected". Any other 404 (no such branch, or a token that may not
   * see protection) is an error.
   */
  async branchProtection(owner: string, repo: string, branch: string) {
    try {
      const res = await this.readSetting(`read branch protection of ${branch} in ${owner}/${repo}`, () =>
        this.octokit.rest.repos.getBranchProtection({ owner, repo, branch }),
      );
      return res.data;
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404 && /branch not protected/i.test(e.githubMessage))
        return null;
      throw e;
    }
  }

  /** Every active ruleset rule that applies to `branch` (GET rules/branches/{b}), each naming its ruleset. */
  async branchRules(owner: string, repo: string, branch: string) {
    return this.readSetting(`read the rules of ${branch} in ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.repos.getBranchRules, { owner, repo, branch, per_page: 100 }),
    );
  }

  /**
   * One ruleset (GET rulesets/{id}), a parent's (organisation) included. GitHub leaves out
   * `bypass_actors` unless the token may edit the ruleset.
   */
  async repositoryRuleset(owner: string, repo: string, rulesetId: number) {
    const res = await this.readSetting(`read ruleset ${rulesetId} of ${owner}/${repo}`, () =>
      this.octokit.rest.repos.getRepoRuleset({ owner, repo, ruleset_id: rulesetId, includes_parents: true }),
    );
    return res.data;
  }

  /** Every deployment environment of the repository with its deployment branch policy. */
  async environmentsOf(owner: string, repo: string): Promise<Environment[]> {
    // Octokit's paginate flattens `{total_count, environments}` pages at run time; its types do
    // not know it for this answer (total_count is optional there).
    const all = await this.readSetting(`list the environments of ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.repos.getAllEnvironments, { owner, repo, per_page: 100 }),
    );
    return all as unknown as Environment[];
  }

  /** The branch and tag name patterns an environment with custom deployment branches accepts. */
  async deploymentBranchPolicies(owner: string, repo: string, environment: string) {
    return this.readSetting(`list the deployment branch policies of ${environment} in ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.repos.listDeploymentBranchPolicies, {
        owner,
        repo,
        environment_name: environment,
        per_page: 100,
      }),
    );
  }

  /** Names of an environment's secrets (never their values: GitHub does not give them). */
  async environmentSecretNames(owner: string, repo: string, environment: string): Promise<string[]> {
    const secrets = await this.readSetting(
      `list the secrets of environment ${environment} in ${owner}/${repo}`,
      () =>
        this.octokit.paginate(this.octokit.rest.actions.listEnvironmentSecrets, {
          owner,
          repo,
          environment_name: environment,
          per_page: 100,
        }),
    );
    return secrets.map((s) => s.name);
  }

  /** Names of the repository-level Actions secrets. */
  async repositorySecretNames(owner: string, repo: string): Promise<string[]> {
    const secrets = await this.readSetting(`list the repository secrets of ${owner}/${repo}`, () =>
      this.octokit.paginate(this.octokit.rest.actions.listRepoSecrets, { owner, repo, per_page: 100 }),
    );
    return secrets.map((s) => s.name);
  }

  /** The GITHUB_TOKEN's default permissions and whether Actions may create and approve pull requests. */
  async workflowPermissions(owner: string, repo: string) {
    const res = await this.readSetting(`read the workflow permissions of ${owner}/${repo}`, () =>
      this.octokit.rest.actions.getGithubActionsDefaultWorkflowPermissionsRepository({ owner, repo }),
    );
    return res.data;
  }

  /** As `call`, keeping the permission GitHub says a refused token lacks in the error's details. */
  private async readSetting<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const error = toGitHubError(operation, e);
      const headers = (e as { response?: { headers?: Record<string, string | undefined> } }).response
        ?.headers;
      const wanted = headers?.['x-accepted-github-permissions'];
      if (!wanted) throw error;
      throw new GitHubError(operation, error.status, error.githubMessage, [
        ...error.details,
        `the token needs ${wanted}`,
      ]);
    }
  }

  private isOurs(login: string | undefined, body: string | undefined, marker: string): boolean {
    if (!body) return false;
    if (this.identity) return login?.toLowerCase() === this.identity.toLowerCase() && body.includes(marker);
    return body.startsWith(marker);
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof GitHubError) throw e;
      throw toGitHubError(operation, e);
    }
  }
}

function sameSet(a: string[], b: string[]): boolean {
  const x = new Set(a.map((s) => s.toLowerCase()));
  const y = new Set(b.map((s) => s.toLowerCase()));
  return x.size === y.size && [...x].every((s) => y.has(s));
}

/**
 * Whether GitHub's refusal says it does not know a commit: 422 (what "list pull requests
 * associated with a commit" answers for an unknown sha), or a 404 whose message names the commit.
 */
function isUnknownCommit(e: unknown): boolean {
  if (!(e instanceof GitHubError)) return false;
  if (e.status === 422) return true;
  return e.status === 404 && /\b(commit|sha)\b/i.test(e.githubMessage);
}

/** Status and GitHub's message of an Octokit failure, without headers (the token stays out). */
function toGitHubError(operation: string, e: unknown): GitHubError {
  const err = e as {
    status?: number;
    message?: string;
    response?: { data?: unknown };
  };
  const data = err.response?.data as
    | { message?: string; errors?: ({ field?: string; code?: string; message?: string } | string)[] }
    | undefined;
  const details = (data?.errors ?? []).map((x) =>
    typeof x === 'string' ? x : [x.field, x.code, x.message].filter(Boolean).join(' '),
  );
  const message =
    data?.message ?? (err.message ?? String(e)).replace(/(token|bearer)\s+\S+/gi, '$1 [REDACTED]');
  return new GitHubError(operation, typeof err.status === 'number' ? err.status : 0, message, details);
}
