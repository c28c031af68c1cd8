/**
 * A loopback fake of the part of GitHub's REST API a JML repository uses: pull requests (their
 * files, reviews and commits), issues, issue comments and labels, check runs, contents, commits,
 * refs, team members, collaborator permissions, and the repository settings `jml doctor` reads
 * (branch protection, rules and rulesets, environments with their deployment branch policies and
 * secrets, repository secrets, workflow permissions). Paths, bodies, error shapes, paging (`page`,
 * `per_page` up to 100, `Link` rel="next"/"last") and x-ratelimit-* headers follow GitHub's
 * documentation; every body it answers is recorded in `answers` so the fidelity test can check
 * it against GitHub's own OpenAPI description (vendor-specs/github-rest-subset.json).
 *
 * As on GitHub, pull requests are issues too: they share the number sequence, `GET /issues`
 * lists them (with a `pull_request` key) and their conversation comments live under
 * `/issues/{n}/comments`.
 */
import { createHash } from 'node:crypto';
import {
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  type Route,
  requireBody,
  VendorFake,
} from '../fake-server.js';

const DOCS = 'https://docs.github.com/rest';
const WEB = 'https://github.com';
/** GitHub's limit on an issue or comment body, in characters. */
export const BODY_LIMIT = 65_536;

export type FileStatus = 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface SeedFile {
  path: string;
  status?: FileStatus;
  previousPath?: string;
  additions?: number;
  deletions?: number;
}

export interface SeedReview {
  login: string;
  state: ReviewState;
  /** The head commit the review was given on (defaults to the PR's head). */
  commitId?: string;
  submittedAt?: string;
  body?: string;
}

export interface SeedPull {
  owner?: string;
  repo?: string;
  number?: number;
  author: string;
  title?: string;
  body?: string;
  baseRef?: string;
  headRef?: string;
  baseSha: string;
  headSha: string;
  files?: SeedFile[];
  reviews?: SeedReview[];
  /** Commit shas on the branch, oldest first (defaults to [headSha]). */
  commits?: string[];
  state?: 'open' | 'closed';
  /** Set for a merged PR: the commit its merge produced on the base branch. */
  mergeCommitSha?: string;
  /** When it was merged (defaults to the fake's clock when `mergeCommitSha` is set). */
  mergedAt?: string;
  /** Who merged it (defaults to the repository's owner when `mergeCommitSha` is set). */
  mergedBy?: string;
  /** When it was opened (defaults to the fake's clock). */
  createdAt?: string;
  draft?: boolean;
}

interface User {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

interface LabelState {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface IssueState {
  number: number;
  id: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  user: string;
  labels: string[];
  assignees: string[];
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Who closed it (GitHub's `closed_by`); absent: its author, as the fake always answered. */
  closedBy?: string | null;
  /** Set when this issue is a pull request. */
  pull?: PullState;
}

export interface PullState {
  owner: string;
  repo: string;
  number: number;
  id: number;
  author: string;
  baseRef: string;
  headRef: string;
  baseSha: string;
  headSha: string;
  files: SeedFile[];
  reviews: (SeedReview & { id: number })[];
  commits: string[];
  mergeCommitSha: string | null;
  mergedAt: string | null;
  /** Who merged it (GitHub's `merged_by`); absent on a merged one: the repository's owner. */
  mergedBy?: string | null;
  draft: boolean;
  /** Logins asked to review and not yet reviewed. */
  requestedReviewers: string[];
}

export interface CommentState {
  id: number;
  issue: number;
  body: string;
  user: string;
  createdAt: string;
  updatedAt: string;
}

export interface CheckRunState {
  id: number;
  name: string;
  headSha: string;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  startedAt: string;
  completedAt: string | null;
}

export interface CommitState {
  sha: string;
  message: string;
  author: string;
  date: string;
  parents: string[];
  /** Paths the commit touched, for `GET /commits?path=`. */
  paths: string[];
}

export interface RepoState {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  private: boolean;
  issues: Map<number, IssueState>;
  comments: Map<number, CommentState>;
  labels: Map<string, LabelState>;
  checkRuns: CheckRunState[];
  /** ref name or commit sha -> path -> file text. */
  contents: Map<string, Map<string, string>>;
  /** Newest first. */
  commits: CommitState[];
  refs: Map<string, string>;
  /** login -> permission (admin, maintain, write, triage, read). */
  collaborators: Map<string, string>;
  nextNumber: number;
  /** The settings `jml doctor` reads (Settings in GitHub's UI). */
  settings: RepoSettings;
}

/** A permission of a GitHub App installation token or fine-grained token, as GitHub names them. */
export type TokenPermission = 'administration' | 'secrets' | 'environments';
export type TokenPermissions = Partial<Record<TokenPermission, 'read' | 'write'>>;

/** Classic branch protection of one branch (Settings -> Branches). */
export interface ProtectionSeed {
  /** Required status checks: the check's name and the app that must post it (null: any source). */
  checks?: { context: string; appId?: number | null }[];
  strict?: boolean;
  /** "Do not allow bypassing the above settings" (enforce_admins). */
  enforceAdmins?: boolean;
  /** "Require a pull request before merging"; omitted: no pull request is required. */
  reviews?: { codeOwners?: boolean; dismissStale?: boolean; count?: number; bypassUsers?: string[] };
  /**
   * "Restrict who can push to matching branches" (organisation repositories): the users, teams
   * (slugs of teams added with addTeam) and GitHub Apps that may push; omitted: anyone with write
   * access may.
   */
  restrictions?: { users?: string[]; teams?: string[]; apps?: AppSeed[] };
  /** "Restrict pushes that create matching branches" (only with restrictions). */
  blockCreations?: boolean;
  /** "Allow force pushes" (default: blocked, as GitHub's). */
  allowForcePushes?: boolean;
  /** "Allow deletions" (default: blocked, as GitHub's). */
  allowDeletions?: boolean;
}

/** A GitHub App as GitHub lists it where it is granted something (push restrictions). */
export interface AppSeed {
  /** The App ID (what a ruleset's Integration bypass actor and a check's app_id name). */
  id: number;
  slug: string;
  name?: string;
  /** The account that owns the app (default: the repository's owner). */
  owner?: string;
}

export type BypassActorType =
  | 'Integration'
  | 'OrganizationAdmin'
  | 'RepositoryRole'
  | 'Team'
  | 'DeployKey'
  | 'User';

/** A repository ruleset (Settings -> Rules -> Rulesets). */
export interface RulesetSeed {
  name: string;
  enforcement?: 'active' | 'evaluate' | 'disabled';
  /** ref_name conditions: `~DEFAULT_BRANCH`, `~ALL` or `refs/heads/<pattern>` (default: the default branch). */
  include?: string[];
  exclude?: string[];
  bypass?: { actorType: BypassActorType; actorId: number | null; mode?: 'always' | 'pull_request' }[];
  /** The rules exactly as GitHub writes them: `{type, parameters}`. */
  rules: { type: string; parameters?: Record<string, unknown> }[];
}

export interface RulesetState extends Required<Omit<RulesetSeed, 'bypass'>> {
  id: number;
  bypass: NonNullable<RulesetSeed['bypass']>;
  createdAt: string;
}

/** A deployment environment (Settings -> Environments). */
export interface EnvironmentSeed {
  /**
   * Deployment branches and tags: null or omitted (no restriction), `protected` (protected
   * branches only), or custom name patterns (a string is a branch pattern).
   */
  branches?: null | 'protected' | (string | { name: string; type: 'branch' | 'tag' })[];
  /** Names of the environment's secrets. */
  secrets?: string[];
}

export interface EnvironmentState {
  id: number;
  name: string;
  policy: null | 'protected' | { id: number; name: string; type: 'branch' | 'tag' }[];
  /** The id of the branch_policy protection rule GitHub lists while a policy is set. */
  policyRuleId: number;
  secrets: string[];
  createdAt: string;
}

export interface RepoSettings {
  /** branch -> classic protection. */
  protection: Map<string, ProtectionSeed>;
  rulesets: RulesetState[];
  environments: Map<string, EnvironmentState>;
  /** Repository-level Actions secrets, by name. */
  secrets: string[];
  workflowPermissions: {
    default_workflow_permissions: 'read' | 'write';
    can_approve_pull_request_reviews: boolean;
  };
}

/** The rule types GitHub documents for rulesets; a seed with another type is a mistake in a test. */
const RULE_TYPES = new Set([
  'creation',
  'update',
  'deletion',
  'required_linear_history',
  'merge_queue',
  'required_deployments',
  'required_signatures',
  'pull_request',
  'required_status_checks',
  'non_fast_forward',
  'commit_message_pattern',
  'commit_author_email_pattern',
  'committer_email_pattern',
  'branch_name_pattern',
  'tag_name_pattern',
  'workflows',
  'code_scanning',
  'copilot_code_review',
  'file_path_restriction',
  'max_file_path_length',
  'file_extension_restriction',
  'max_file_size',
]);

export interface Answer {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface GitHubFakeOptions {
  /** Requests allowed per token before 403 "API rate limit exceeded" (GitHub's default: 5000/h). */
  rateLimit?: number;
  now?: () => number;
}

class Invalid extends Error {
  constructor(readonly response: FakeResponse) {
    super('invalid');
  }
}

function validationFailed(resource: string, field: string, code: string, message?: string): Invalid {
  return new Invalid({
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource, field, code, ...(message ? { message } : {}) }],
      documentation_url: DOCS,
      status: '422',
    },
  });
}

/** GitHub's answer to a contents write that lacks a field. */
function invalidRequest(field: string): Invalid {
  return new Invalid({
    status: 422,
    body: {
      message: `Invalid request.\n\n"${field}" wasn't supplied.`,
      documentation_url: DOCS,
      status: '422',
    },
  });
}

function notFound(): Invalid {
  return new Invalid({ status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } });
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The verification of an unsigned commit. */
const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

const SEG = '([^/]+)';
const REPO = `^/repos/${SEG}/${SEG}`;

export class GitHubFake extends VendorFake {
  readonly server: FakeServer;
  readonly repos = new Map<string, RepoState>();
  readonly users = new Map<string, User>();
  /** token -> login of the identity it belongs to. */
  readonly tokens = new Map<string, string>();
  /** org/slug -> member logins. */
  readonly teams = new Map<string, string[]>();
  /** Every answer with its parsed JSON body, for the fidelity test. */
  readonly answers: Answer[] = [];
  private readonly used = new Map<string, number>();
  private readonly rateLimit: number;
  private readonly now: () => number;
  private nextId = 1000;
  /** org/slug -> the team's id, given when a protection answer first lists it. */
  private readonly teamIds = new Map<string, number>();
  /** The routes this fake serves (the fidelity test checks each is documented). */
  readonly served: Route[];
  /**
   * The repository-settings routes `jml doctor` reads, served beside `served`; their fidelity
   * (documented, exercised, answers valid) is checked by test/github/doctor-fidelity.test.ts.
   */
  readonly settingsServed: Route[];
  /**
   * token -> the permissions it was granted (an app installation or fine-grained token). A token
   * of `github-actions[bot]` without an entry is the Actions GITHUB_TOKEN, which GitHub never
   * grants Administration, Secrets or Environments; any other token without one may read all.
   */
  readonly tokenPermissions = new Map<string, TokenPermissions>();

  constructor(opts: GitHubFakeOptions = {}) {
    super();
    this.rateLimit = opts.rateLimit ?? 5000;
    this.now = opts.now ?? Date.now;
    this.served = this.buildRoutes();
    this.settingsServed = this.buildSettingsRoutes();
    this.server = new FakeServer({
      name: 'github',
      routes: [...this.served, ...this.settingsServed],
      now: this.now,
      // The shared server hands a body that is not JSON to `unknown` too: GitHub says 400.
      unknown: (req) =>
        req.rawBody.length > 0 && !parses(req.rawBody)
          ? {
              status: 400,
              body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' },
            }
          : { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } },
      badRequest: (_req, message) => ({
        status: 400,
        body: { message: `Problems parsing JSON: ${message}`, documentation_url: DOCS, status: '400' },
      }),
      authenticate: (req) => this.authenticate(req),
      throttle: (req) => this.throttle(req),
      decorate: (req, res, now) => this.decorate(req, res, now),
    });
  }

  get requests() {
    return this.server.requests;
  }

  // ---- seeding ---------------------------------------------------------------------------------

  addUser(login: string, type: 'User' | 'Bot' = login.endsWith('[bot]') ? 'Bot' : 'User'): User {
    let u = this.users.get(login.toLowerCase());
    if (!u) {
      u = { login, id: this.id(), type };
      this.users.set(login.toLowerCase(), u);
    }
    return u;
  }

  /** A token that authenticates as `login`. */
  addToken(token: string, login: string): void {
    this.addUser(login);
    this.tokens.set(token, login);
  }

  addRepo(owner: string, name: string, opts: { defaultBranch?: string; private?: boolean } = {}): RepoState {
    const key = `${owner}/${name}`.toLowerCase();
    let r = this.repos.get(key);
    if (!r) {
      this.addUser(owner);
      r = {
        owner,
        name,
        id: this.id(),
        defaultBranch: opts.defaultBranch ?? 'main',
        private: opts.private ?? true,
        issues: new Map(),
        comments: new Map(),
        labels: new Map(),
        checkRuns: [],
        contents: new Map(),
        commits: [],
        refs: new Map(),
        collaborators: new Map(),
        nextNumber: 1,
        settings: {
          protection: new Map(),
          rulesets: [],
          environments: new Map(),
          secrets: [],
          // A new repository's defaults: read-only GITHUB_TOKEN, Actions may not create or approve pull requests.
          workflowPermissions: {
            default_workflow_permissions: 'read',
            can_approve_pull_request_reviews: false,
          },
        },
      };
      this.repos.set(key, r);
    }
    return r;
  }

  repo(owner: string, name: string): RepoState {
    const r = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!r) throw new Error(`no repository ${owner}/${name} in the fake`);
    return r;
  }

  addCollaborator(owner: string, name: string, login: string, permission = 'write'): void {
    this.addUser(login);
    this.addRepo(owner, name).collaborators.set(login.toLowerCase(), permission);
  }

  addTeam(org: string, slug: string, members: string[]): void {
    for (const m of members) this.addUser(m);
    this.teams.set(`${org}/${slug}`.toLowerCase(), members);
  }

  /** Files at a ref (branch name) and, when given, at a commit sha too. */
  setFiles(owner: string, name: string, ref: string, files: Record<string, string>): void {
    const r = this.addRepo(owner, name);
    const m = r.contents.get(ref) ?? new Map<string, string>();
    for (const [p, t] of Object.entries(files)) m.set(p, t);
    r.contents.set(ref, m);
  }

  /**
   * A branch whose head is a new commit `sha` holding `files` (the whole tree): the branch ref
   * (refs/heads/<branch>), its commit in the history, and its contents by name and by sha.
   */
  addBranch(owner: string, name: string, branch: string, sha: string, files: Record<string, string>): void {
    const r = this.addRepo(owner, name);
    if (!r.commits.some((c) => c.sha === sha))
      this.addCommit(owner, name, { sha, paths: Object.keys(files) });
    r.refs.set(`refs/heads/${branch}`, sha);
    r.contents.set(branch, new Map(Object.entries(files)));
    r.contents.set(sha, new Map(Object.entries(files)));
  }

  addCommit(owner: string, name: string, c: Partial<CommitState> & { sha: string }): CommitState {
    const r = this.addRepo(owner, name);
    const commit: CommitState = {
      message: 'commit',
      author: r.owner,
      date: new Date(this.now()).toISOString(),
      parents: r.commits[0] ? [r.commits[0].sha] : [],
      paths: [],
      ...c,
    };
    this.addUser(commit.author);
    r.commits.unshift(commit);
    return commit;
  }

  addPullRequest(seed: SeedPull): PullState {
    const owner = seed.owner ?? 'acme';
    const name = seed.repo ?? 'access';
    const r = this.addRepo(owner, name);
    this.addUser(seed.author);
    const number = seed.number ?? r.nextNumber;
    r.nextNumber = Math.max(r.nextNumber, number + 1);
    const at = seed.createdAt ?? new Date(this.now()).toISOString();
    const pull: PullState = {
      owner,
      repo: name,
      number,
      id: this.id(),
      author: seed.author,
      baseRef: seed.baseRef ?? r.defaultBranch,
      headRef: seed.headRef ?? `change-${number}`,
      baseSha: seed.baseSha,
      headSha: seed.headSha,
      files: seed.files ?? [],
      reviews: [],
      commits: seed.commits ?? [seed.headSha],
      mergeCommitSha: seed.mergeCommitSha ?? null,
      mergedAt: seed.mergeCommitSha ? (seed.mergedAt ?? new Date(this.now()).toISOString()) : null,
      mergedBy: seed.mergeCommitSha ? (seed.mergedBy ?? r.owner) : null,
      draft: seed.draft ?? false,
      requestedReviewers: [],
    };
    for (const rv of seed.reviews ?? []) this.addReview(pull, rv);
    const closed = seed.state === 'closed' || seed.mergeCommitSha !== undefined;
    r.issues.set(number, {
      number,
      id: this.id(),
      title: seed.title ?? `Change ${number}`,
      body: seed.body ?? null,
      state: closed ? 'closed' : 'open',
      stateReason: null,
      user: seed.author,
      labels: [],
      assignees: [],
      createdAt: at,
      updatedAt: pull.mergedAt ?? at,
      closedAt: closed ? (pull.mergedAt ?? at) : null,
      // GitHub names the merger as the one who closed a merged pull request.
      closedBy: closed ? (pull.mergedBy ?? seed.author) : null,
      pull,
    });
    return pull;
  }

  addReview(pull: PullState, review: SeedReview): void {
    this.addUser(review.login);
    // A review answers the request for it.
    pull.requestedReviewers = pull.requestedReviewers.filter(
      (l) => l.toLowerCase() !== review.login.toLowerCase(),
    );
    pull.reviews.push({
      commitId: pull.headSha,
      submittedAt: new Date(this.now()).toISOString(),
      ...review,
      id: this.id(),
    });
  }

  /**
   * Closes an issue as someone does through the UI (the person who did the work): GitHub then
   * answers `closed_at` (the fake's clock, or `at`) and `closed_by` that person.
   */
  closeIssue(
    owner: string,
    name: string,
    number: number,
    by: string,
    opts: { at?: string; reason?: 'completed' | 'not_planned' } = {},
  ): IssueState {
    this.addUser(by);
    const issue = this.issue(this.repo(owner, name), String(number));
    const at = opts.at ?? new Date(this.now()).toISOString();
    Object.assign(issue, {
      state: 'closed',
      closedAt: at,
      closedBy: by,
      stateReason: opts.reason ?? 'completed',
      updatedAt: at,
    });
    return issue;
  }

  /** A comment written by someone (a person, another bot), as if through the UI. */
  addComment(owner: string, name: string, issue: number, user: string, body: string): CommentState {
    this.addUser(user);
    const r = this.repo(owner, name);
    const at = new Date(this.now()).toISOString();
    const c = { id: this.id(), issue, body, user, createdAt: at, updatedAt: at };
    r.comments.set(c.id, c);
    return c;
  }

  // ---- seeding: repository settings -------------------------------------------------------------

  /** Restricts a token to these permissions (as a GitHub App installation token is). */
  setTokenPermissions(token: string, permissions: TokenPermissions): void {
    if (!this.tokens.has(token)) throw new Error(`no token ${token} in the fake: addToken first`);
    this.tokenPermissions.set(token, permissions);
  }

  /** Classic branch protection of `branch` (replaces any earlier one, as PUT protection does). */
  protectBranch(owner: string, name: string, branch: string, seed: ProtectionSeed): void {
    const r = this.repo(owner, name);
    for (const login of seed.reviews?.bypassUsers ?? []) this.addUser(login);
    for (const login of seed.restrictions?.users ?? []) this.addUser(login);
    for (const slug of seed.restrictions?.teams ?? [])
      if (!this.teams.has(`${r.owner}/${slug}`.toLowerCase()))
        throw new Error(`no team ${r.owner}/${slug} in the fake: addTeam first`);
    if (seed.blockCreations && !seed.restrictions)
      throw new Error('block_creations restricts who may create the branch: it needs restrictions');
    r.settings.protection.set(branch, seed);
  }

  /** A repository ruleset; returns its id. */
  addRuleset(owner: string, name: string, seed: RulesetSeed): number {
    const r = this.repo(owner, name);
    for (const rule of seed.rules) {
      if (!RULE_TYPES.has(rule.type))
        throw new Error(`the GitHub fake knows no ruleset rule of type ${rule.type}`);
    }
    for (const p of [...(seed.include ?? []), ...(seed.exclude ?? [])]) {
      if (!['~DEFAULT_BRANCH', '~ALL'].includes(p) && !p.startsWith('refs/heads/'))
        throw new Error(
          `the GitHub fake matches branch rulesets on ~DEFAULT_BRANCH, ~ALL or refs/heads/..., not ${p}`,
        );
    }
    const state: RulesetState = {
      id: this.id(),
      name: seed.name,
      enforcement: seed.enforcement ?? 'active',
      include: seed.include ?? ['~DEFAULT_BRANCH'],
      exclude: seed.exclude ?? [],
      bypass: seed.bypass ?? [],
      rules: seed.rules,
      createdAt: new Date(this.now()).toISOString(),
    };
    r.settings.rulesets.push(state);
    return state.id;
  }

  /** A deployment environment with its branch policy and secrets (replaces one of the same name). */
  addEnvironment(
    owner: string,
    name: string,
    environment: string,
    seed: EnvironmentSeed = {},
  ): EnvironmentState {
    const r = this.repo(owner, name);
    if (environment.includes('/') || environment.trim() === '')
      throw new Error(`the GitHub fake takes environment names without "/": ${environment}`);
    const policy: EnvironmentState['policy'] =
      seed.branches === undefined || seed.branches === null || seed.branches === 'protected'
        ? (seed.branches ?? null)
        : seed.branches.map((b) => ({
            id: this.id(),
            ...(typeof b === 'string' ? { name: b, type: 'branch' as const } : b),
          }));
    const state: EnvironmentState = {
      id: r.settings.environments.get(environment)?.id ?? this.id(),
      name: environment,
      policy,
      policyRuleId: this.id(),
      secrets: [...(seed.secrets ?? [])],
      createdAt: new Date(this.now()).toISOString(),
    };
    r.settings.environments.set(environment, state);
    return state;
  }

  /** A repository-level Actions secret. */
  addRepositorySecret(owner: string, name: string, secret: string): void {
    const r = this.repo(owner, name);
    if (!r.settings.secrets.includes(secret)) r.settings.secrets.push(secret);
  }

  /** Settings -> Actions -> General -> Workflow permissions. */
  setWorkflowPermissions(
    owner: string,
    name: string,
    permissions: Partial<RepoSettings['workflowPermissions']>,
  ): void {
    const r = this.repo(owner, name);
    r.settings.workflowPermissions = { ...r.settings.workflowPermissions, ...permissions };
  }

  // ---- inspection ------------------------------------------------------------------------------

  commentsOn(owner: string, name: string, issue: number): CommentState[] {
    return [...this.repo(owner, name).comments.values()].filter((c) => c.issue === issue);
  }

  pullsOf(owner: string, name: string): PullState[] {
    return [...this.repo(owner, name).issues.values()].flatMap((i) => (i.pull ? [i.pull] : []));
  }

  /** Branch names (refs/heads/*) of a repository. */
  branchesOf(owner: string, name: string): string[] {
    return [...this.repo(owner, name).refs.keys()]
      .filter((k) => k.startsWith('refs/heads/'))
      .map((k) => k.slice('refs/heads/'.length));
  }

  /** The files of a branch (or commit sha), by path. */
  filesAt(owner: string, name: string, ref: string): Map<string, string> {
    return new Map(this.repo(owner, name).contents.get(ref) ?? []);
  }

  issuesOf(owner: string, name: string): IssueState[] {
    return [...this.repo(owner, name).issues.values()].filter((i) => !i.pull);
  }

  // ---- protocol --------------------------------------------------------------------------------

  private id(): number {
    return this.nextId++;
  }

  private tokenOf(req: FakeRequest): string | undefined {
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^(?:token|bearer)\s+(\S+)$/i.exec(h.trim()) : null;
    return m?.[1];
  }

  private caller(req: FakeRequest): string {
    return this.tokens.get(this.tokenOf(req) ?? '') ?? 'ghost';
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    if (req.headers.authorization === undefined) {
      return {
        status: 401,
        body: { message: 'Requires authentication', documentation_url: DOCS, status: '401' },
      };
    }
    const token = this.tokenOf(req);
    if (!token || !this.tokens.has(token)) {
      return { status: 401, body: { message: 'Bad credentials', documentation_url: DOCS, status: '401' } };
    }
    return undefined;
  }

  private throttle(req: FakeRequest): FakeResponse | undefined {
    const token = this.tokenOf(req) ?? '';
    const n = (this.used.get(token) ?? 0) + 1;
    this.used.set(token, n);
    if (n <= this.rateLimit) return undefined;
    const user = this.users.get(this.caller(req).toLowerCase());
    return {
      status: 403,
      body: {
        message: `API rate limit exceeded for user ID ${user?.id ?? 0}.`,
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
        status: '403',
      },
    };
  }

  private decorate(req: FakeRequest, res: FakeResponse, now: number): void {
    const used = this.used.get(this.tokenOf(req) ?? '') ?? 0;
    res.headers = {
      'x-ratelimit-limit': String(this.rateLimit),
      'x-ratelimit-remaining': String(Math.max(0, this.rateLimit - used)),
      'x-ratelimit-used': String(Math.min(used, this.rateLimit)),
      'x-ratelimit-reset': String(Math.floor(now / 1000) + 3600),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-request-id': `FAKE:${this.server.requests.length}`,
      ...res.headers,
    };
    this.answers.push({
      method: req.method,
      path: req.url.pathname + req.url.search,
      status: res.status,
      body: res.status === 204 ? undefined : res.body,
    });
  }

  private wrap(
    method: string,
    path: string,
    handler: (req: FakeRequest, p: string[]) => FakeResponse,
    write = false,
  ): Route {
    return {
      method,
      path: new RegExp(`${path}$`),
      write,
      handler: (req, p) => {
        try {
          return handler(req, p);
        } catch (e) {
          if (e instanceof Invalid) return e.response;
          throw e;
        }
      },
    };
  }

  private buildRoutes(): Route[] {
    const R = REPO;
    return [
      this.wrap('GET', `${R}/pulls/(\\d+)`, (_q, [o, n, num]) =>
        ok(this.pullJson(this.pull(o!, n!, num!), true)),
      ),
      this.wrap('GET', `${R}/pulls/(\\d+)/files`, (q, [o, n, num]) => {
        const pull = this.pull(o!, n!, num!);
        // GitHub lists at most 3000 files of a pull request.
        const files = pull.files.slice(0, 3000).map((f) => this.fileJson(pull, f));
        return this.page(q, files);
      }),
      this.wrap('GET', `${R}/pulls/(\\d+)/reviews`, (q, [o, n, num]) => {
        const pull = this.pull(o!, n!, num!);
        return this.page(
          q,
          pull.reviews.map((rv) => this.reviewJson(pull, rv)),
        );
      }),
      this.wrap('GET', `${R}/pulls/(\\d+)/commits`, (q, [o, n, num]) => {
        const pull = this.pull(o!, n!, num!);
        const r = this.repoOr404(o!, n!);
        return this.page(
          q,
          pull.commits.map((sha) => this.commitJson(r, this.commitOf(r, sha))),
        );
      }),
      this.wrap('GET', `${R}/pulls`, (q, [o, n]) => {
        const r = this.repoOr404(o!, n!);
        const state = q.url.searchParams.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state))
          throw validationFailed('PullRequest', 'state', 'invalid');
        const base = q.url.searchParams.get('base');
        // `head` is `user:ref-name` (an organisation's or user's branch); a bare ref matches nothing.
        const head = q.url.searchParams.get('head');
        const headMatch = (p: PullState) => {
          if (!head) return true;
          const i = head.indexOf(':');
          if (i < 0) return false;
          return head.slice(0, i).toLowerCase() === r.owner.toLowerCase() && head.slice(i + 1) === p.headRef;
        };
        const sort = q.url.searchParams.get('sort') ?? 'created';
        const direction = q.url.searchParams.get('direction') ?? (sort === 'created' ? 'desc' : 'desc');
        let list = [...r.issues.values()].filter(
          (i) =>
            i.pull &&
            (state === 'all' || i.state === state) &&
            (!base || i.pull.baseRef === base) &&
            headMatch(i.pull),
        );
        const key = (i: IssueState) =>
          (sort === 'updated' ? i.updatedAt : i.createdAt) + String(i.number).padStart(9, '0');
        list = list.sort((a, b) => key(a).localeCompare(key(b)));
        if (direction === 'desc') list.reverse();
        return this.page(
          q,
          list.map((i) => this.pullJson(i.pull!, false)),
        );
      }),
      this.wrap(
        'POST',
        `${R}/pulls`,
        (q, [o, n]) => {
          const r = this.repoOr404(o!, n!);
          const b = requireBody<Record<string, unknown>>(q);
          if (typeof b.title !== 'string' || b.title.trim() === '')
            throw validationFailed('PullRequest', 'title', 'missing_field');
          if (typeof b.base !== 'string' || !r.refs.has(`refs/heads/${b.base}`))
            throw validationFailed('PullRequest', 'base', 'invalid');
          if (typeof b.head !== 'string') throw validationFailed('PullRequest', 'head', 'invalid');
          // `head` is a branch of this repository, or `owner:branch`.
          const colon = b.head.indexOf(':');
          if (colon >= 0 && b.head.slice(0, colon).toLowerCase() !== r.owner.toLowerCase())
            throw validationFailed('PullRequest', 'head', 'invalid');
          const headRef = colon >= 0 ? b.head.slice(colon + 1) : b.head;
          const headSha = r.refs.get(`refs/heads/${headRef}`);
          if (!headSha) throw validationFailed('PullRequest', 'head', 'invalid');
          const baseSha = r.refs.get(`refs/heads/${b.base}`)!;
          const custom = (message: string) =>
            new Invalid({
              status: 422,
              body: {
                message: 'Validation Failed',
                errors: [{ resource: 'PullRequest', code: 'custom', message }],
                documentation_url: DOCS,
                status: '422',
              },
            });
          const dup = [...r.issues.values()].find(
            (i) => i.pull && i.state === 'open' && i.pull.headRef === headRef && i.pull.baseRef === b.base,
          );
          if (dup) throw custom(`A pull request already exists for ${r.owner}:${headRef}.`);
          if (headSha === baseSha) throw custom(`No commits between ${b.base} and ${headRef}`);
          const body = this.bodyField(b.body, 'PullRequest');
          const before = r.contents.get(b.base) ?? new Map<string, string>();
          const after = r.contents.get(headRef) ?? new Map<string, string>();
          const files: SeedFile[] = [];
          for (const [fp, t] of after) {
            const old = before.get(fp);
            if (old === undefined) files.push({ path: fp, status: 'added' });
            else if (old !== t) files.push({ path: fp, status: 'modified' });
          }
          for (const fp of before.keys()) if (!after.has(fp)) files.push({ path: fp, status: 'removed' });
          files.sort((x, y) => x.path.localeCompare(y.path));
          const baseIndex = r.commits.findIndex((c) => c.sha === baseSha);
          const headIndex = r.commits.findIndex((c) => c.sha === headSha);
          const commits =
            headIndex >= 0 && baseIndex > headIndex
              ? r.commits
                  .slice(headIndex, baseIndex)
                  .map((c) => c.sha)
                  .reverse()
              : [headSha];
          const pull = this.addPullRequest({
            owner: r.owner,
            repo: r.name,
            author: this.caller(q),
            title: b.title,
            ...(body ? { body } : {}),
            baseRef: b.base,
            headRef,
            baseSha,
            headSha,
            files,
            commits,
            draft: b.draft === true,
          });
          return { status: 201, body: this.pullJson(pull, true) };
        },
        true,
      ),
      this.wrap('GET', `${R}/issues`, (q, [o, n]) => {
        const r = this.repoOr404(o!, n!);
        const sp = q.url.searchParams;
        const state = sp.get('state') ?? 'open';
        if (!['open', 'closed', 'all'].includes(state)) throw validationFailed('Issue', 'state', 'invalid');
        const labels = (sp.get('labels') ?? '')
          .split(',')
          .map((l) => l.trim().toLowerCase())
          .filter(Boolean);
        const creator = sp.get('creator')?.toLowerCase();
        const assignee = sp.get('assignee')?.toLowerCase();
        const list = [...r.issues.values()]
          .filter(
            (i) =>
              (state === 'all' || i.state === state) &&
              labels.every((l) => i.labels.some((x) => x.toLowerCase() === l)) &&
              (!creator || i.user.toLowerCase() === creator) &&
              (!assignee ||
                (assignee === 'none'
                  ? i.assignees.length === 0
                  : assignee === '*'
                    ? i.assignees.length > 0
                    : i.assignees.some((a) => a.toLowerCase() === assignee))),
          )
          .sort((a, b) => (sp.get('direction') === 'asc' ? a.number - b.number : b.number - a.number));
        return this.page(
          q,
          list.map((i) => this.issueJson(r, i)),
        );
      }),
      this.wrap(
        'POST',
        `${R}/issues`,
        (q, [o, n]) => {
          const r = this.repoOr404(o!, n!);
          const b = requireBody<Record<string, unknown>>(q);
          if (typeof b.title !== 'string' || b.title.trim() === '')
            throw validationFailed('Issue', 'title', 'missing_field');
          const body = this.bodyField(b.body, 'Issue');
          const labels = this.labelsField(r, b.labels);
          const assignees = this.assigneesField(r, b.assignees);
          const at = new Date(this.now()).toISOString();
          const issue: IssueState = {
            number: r.nextNumber++,
            id: this.id(),
            title: b.title,
            body: body ?? null,
            state: 'open',
            stateReason: null,
            user: this.caller(q),
            labels: labels ?? [],
            assignees: assignees ?? [],
            createdAt: at,
            updatedAt: at,
            closedAt: null,
          };
          r.issues.set(issue.number, issue);
          return {
            status: 201,
            headers: { location: `${this.url}/repos/${r.owner}/${r.name}/issues/${issue.number}` },
            body: this.issueJson(r, issue),
          };
        },
        true,
      ),
      this.wrap('GET', `${R}/issues/(\\d+)`, (_q, [o, n, num]) => {
        const r = this.repoOr404(o!, n!);
        return ok(this.issueJson(r, this.issue(r, num!)));
      }),
      this.wrap(
        'PATCH',
        `${R}/issues/(\\d+)`,
        (q, [o, n, num]) => {
          const r = this.repoOr404(o!, n!);
          const issue = this.issue(r, num!);
          const b = requireBody<Record<string, unknown>>(q);
          if (b.title !== undefined) {
            if (typeof b.title !== 'string' || b.title.trim() === '')
              throw validationFailed('Issue', 'title', 'invalid');
          }
          if (b.state !== undefined && b.state !== 'open' && b.state !== 'closed') {
            throw validationFailed('Issue', 'state', 'invalid');
          }
          if (
            b.state_reason !== undefined &&
            b.state_reason !== null &&
            !['completed', 'not_planned', 'reopened'].includes(String(b.state_reason))
          ) {
            throw validationFailed('Issue', 'state_reason', 'invalid');
          }
          const body = this.bodyField(b.body, 'Issue');
          const labels = this.labelsField(r, b.labels);
          const assignees = this.assigneesField(r, b.assignees);
          const at = new Date(this.now()).toISOString();
          if (typeof b.title === 'string') issue.title = b.title;
          if (body !== undefined) issue.body = body;
          if (labels) issue.labels = labels;
          if (assignees) issue.assignees = assignees;
          if (b.state === 'closed' && issue.state === 'open') {
            issue.state = 'closed';
            issue.closedAt = at;
            issue.closedBy = this.caller(q);
            issue.stateReason = (b.state_reason as IssueState['stateReason']) ?? 'completed';
          } else if (b.state === 'open' && issue.state === 'closed') {
            issue.state = 'open';
            issue.closedAt = null;
            issue.closedBy = null;
            issue.stateReason = 'reopened';
          }
          issue.updatedAt = at;
          return ok(this.issueJson(r, issue));
        },
        true,
      ),
      this.wrap('GET', `${R}/issues/(\\d+)/comments`, (q, [o, n, num]) => {
        const r = this.repoOr404(o!, n!);
        const issue = this.issue(r, num!);
        const list = [...r.comments.values()]
          .filter((c) => c.issue === issue.number)
          .sort((a, b) => a.id - b.id);
        return this.page(
          q,
          list.map((c) => this.commentJson(r, c)),
        );
      }),
      this.wrap(
        'POST',
        `${R}/issues/(\\d+)/comments`,
        (q, [o, n, num]) => {
          const r = this.repoOr404(o!, n!);
          const issue = this.issue(r, num!);
          const b = requireBody<Record<string, unknown>>(q);
          const body = this.bodyField(b.body, 'IssueComment');
          if (body === undefined || body === null || body.trim() === '') {
            throw validationFailed('IssueComment', 'body', 'missing_field');
          }
          const at = new Date(this.now()).toISOString();
          const c: CommentState = {
            id: this.id(),
            issue: issue.number,
            body,
            user: this.caller(q),
            createdAt: at,
            updatedAt: at,
          };
          r.comments.set(c.id, c);
          issue.updatedAt = at;
          return {
            status: 201,
            headers: { location: `${this.url}/repos/${r.owner}/${r.name}/issues/comments/${c.id}` },
            body: this.commentJson(r, c),
          };
        },
        true,
      ),
      this.wrap('GET', `${R}/issues/comments/(\\d+)`, (_q, [o, n, id]) => {
        const r = this.repoOr404(o!, n!);
        return ok(this.commentJson(r, this.comment(r, id!)));
      }),
      this.wrap(
        'PATCH',
        `${R}/issues/comments/(\\d+)`,
        (q, [o, n, id]) => {
          const r = this.repoOr404(o!, n!);
          const c = this.comment(r, id!);
          const b = requireBody<Record<string, unknown>>(q);
          const body = this.bodyField(b.body, 'IssueComment');
          if (body === undefined || body === null || body.trim() === '') {
            throw validationFailed('IssueComment', 'body', 'missing_field');
          }
          c.body = body;
          c.updatedAt = new Date(this.now()).toISOString();
          return ok(this.commentJson(r, c));
        },
        true,
      ),
      this.wrap(
        'DELETE',
        `${R}/issues/comments/(\\d+)`,
        (_q, [o, n, id]) => {
          const r = this.repoOr404(o!, n!);
          const c = this.comment(r, id!);
          r.comments.delete(c.id);
          return { status: 204 };
        },
        true,
      ),
      this.wrap('GET', `${R}/issues/(\\d+)/labels`, (q, [o, n, num]) => {
        const r = this.repoOr404(o!, n!);
        return this.page(
          q,
          this.issue(r, num!).labels.map((l) => this.labelJson(r, l)),
        );
      }),
      this.wrap(
        'POST',
        `${R}/issues/(\\d+)/labels`,
        (q, [o, n, num]) => {
          const r = this.repoOr404(o!, n!);
          const issue = this.issue(r, num!);
          const labels = this.labelsField(r, labelsOfBody(q.body)) ?? [];
          for (const l of labels)
            if (!issue.labels.some((x) => x.toLowerCase() === l.toLowerCase())) issue.labels.push(l);
          return ok(issue.labels.map((l) => this.labelJson(r, l)));
        },
        true,
      ),
      this.wrap(
        'PUT',
        `${R}/issues/(\\d+)/labels`,
        (q, [o, n, num]) => {
          const r = this.repoOr404(o!, n!);
          const issue = this.issue(r, num!);
          issue.labels = this.labelsField(r, labelsOfBody(q.body)) ?? [];
          return ok(issue.labels.map((l) => this.labelJson(r, l)));
        },
        true,
      ),
      this.wrap(
        'DELETE',
        `${R}/issues/(\\d+)/labels`,
        (_q, [o, n, num]) => {
          const r = this.repoOr404(o!, n!);
          this.issue(r, num!).labels = [];
          return { status: 204 };
        },
        true,
      ),
      this.wrap(
        'POST',
        `${R}/check-runs`,
        (q, [o, n]) => {
          const r = this.repoOr404(o!, n!);
          const b = requireBody<Record<string, unknown>>(q);
          if (typeof b.name !== 'string' || b.name === '')
            throw validationFailed('CheckRun', 'name', 'missing_field');
          if (typeof b.head_sha !== 'string' || !/^[0-9a-f]{40}$/.test(b.head_sha)) {
            throw validationFailed('CheckRun', 'head_sha', 'invalid');
          }
          const conclusions = [
            'action_required',
            'cancelled',
            'failure',
            'neutral',
            'success',
            'skipped',
            'stale',
            'timed_out',
          ];
          if (b.conclusion !== undefined && !conclusions.includes(String(b.conclusion))) {
            throw validationFailed('CheckRun', 'conclusion', 'invalid');
          }
          const status = (
            b.conclusion !== undefined ? 'completed' : (b.status ?? 'queued')
          ) as CheckRunState['status'];
          if (!['queued', 'in_progress', 'completed'].includes(status))
            throw validationFailed('CheckRun', 'status', 'invalid');
          if (status === 'completed' && b.conclusion === undefined) {
            throw validationFailed(
              'CheckRun',
              'conclusion',
              'missing_field',
              'conclusion is required when status is completed',
            );
          }
          const out = (b.output ?? {}) as Record<string, unknown>;
          if (b.output !== undefined && (typeof out.title !== 'string' || typeof out.summary !== 'string')) {
            throw validationFailed(
              'CheckRun',
              'output',
              'missing_field',
              'output needs a title and a summary',
            );
          }
          if (typeof out.summary === 'string' && out.summary.length > BODY_LIMIT) {
            throw validationFailed(
              'CheckRun',
              'output.summary',
              'invalid',
              `summary is too long (maximum is ${BODY_LIMIT} characters)`,
            );
          }
          const at = new Date(this.now()).toISOString();
          const run: CheckRunState = {
            id: this.id(),
            name: b.name,
            headSha: b.head_sha,
            status,
            conclusion: (b.conclusion as string | undefined) ?? null,
            title: (out.title as string | undefined) ?? null,
            summary: (out.summary as string | undefined) ?? null,
            text: (out.text as string | undefined) ?? null,
            detailsUrl: (b.details_url as string | undefined) ?? null,
            externalId: (b.external_id as string | undefined) ?? null,
            startedAt: (b.started_at as string | undefined) ?? at,
            completedAt: status === 'completed' ? ((b.completed_at as string | undefined) ?? at) : null,
          };
          r.checkRuns.push(run);
          return { status: 201, body: this.checkRunJson(r, run) };
        },
        true,
      ),
      this.wrap('GET', `${R}/contents/(.+)`, (q, [o, n, path]) => {
        const r = this.repoOr404(o!, n!);
        const ref = q.url.searchParams.get('ref') ?? r.defaultBranch;
        const files = r.contents.get(ref);
        if (!files) {
          throw new Invalid({
            status: 404,
            body: { message: `No commit found for the ref ${ref}`, documentation_url: DOCS, status: '404' },
          });
        }
        const p = path!.replace(/^\/+|\/+$/g, '');
        const text = files.get(p);
        if (text !== undefined) return ok(this.contentJson(r, ref, p, text, true));
        const prefix = `${p}/`;
        const children = new Map<string, string | undefined>();
        for (const [fp, t] of files) {
          if (!fp.startsWith(prefix)) continue;
          const rest = fp.slice(prefix.length);
          const name = rest.split('/')[0]!;
          children.set(name, rest.includes('/') ? undefined : t);
        }
        if (children.size === 0) throw notFound();
        return ok(
          [...children.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, t]) =>
              t === undefined
                ? this.dirJson(r, ref, `${prefix}${name}`)
                : this.contentJson(r, ref, `${prefix}${name}`, t, false),
            ),
        );
      }),
      // Create or replace a file (PUT) and delete one (DELETE): one commit each on the branch.
      ...(['PUT', 'DELETE'] as const).map((method) =>
        this.wrap(
          method,
          `${R}/contents/(.+)`,
          (q, [o, n, path]) => this.writeFile(method, q, o!, n!, path!),
          true,
        ),
      ),
      this.wrap(
        'POST',
        `${R}/pulls/(\\d+)/requested_reviewers`,
        (q, [o, n, num]) => {
          const r = this.repoOr404(o!, n!);
          const pull = this.pull(o!, n!, num!);
          const b = (q.body ?? {}) as Record<string, unknown>;
          const asked = b.reviewers ?? [];
          if (!Array.isArray(asked) || asked.some((x) => typeof x !== 'string'))
            throw validationFailed('PullRequest', 'reviewers', 'invalid');
          const logins: string[] = [];
          for (const login of asked as string[]) {
            const u = this.users.get(login.toLowerCase());
            if (u && u.login.toLowerCase() === pull.author.toLowerCase()) {
              throw validationFailed(
                'PullRequest',
                'reviewers',
                'custom',
                'Review cannot be requested from pull request author.',
              );
            }
            if (!u || (!r.collaborators.has(u.login.toLowerCase()) && u.login !== r.owner)) {
              throw validationFailed(
                'PullRequest',
                'reviewers',
                'custom',
                `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${r.owner}/${r.name} repository.`,
              );
            }
            logins.push(u.login);
          }
          for (const login of logins)
            if (!pull.requestedReviewers.some((l) => l.toLowerCase() === login.toLowerCase()))
              pull.requestedReviewers.push(login);
          return { status: 201, body: this.pullJson(pull, false) };
        },
        true,
      ),
      this.wrap('GET', `${R}/commits/([0-9a-f]{7,40})/pulls`, (q, [o, n, sha]) => {
        const r = this.repoOr404(o!, n!);
        const pulls = [...r.issues.values()].flatMap((i) => (i.pull ? [i.pull] : []));
        // The pull requests that brought a commit: merged ones whose merge produced it or whose
        // branch carried it; for a commit on no default branch, the open ones carrying it too.
        const known = r.commits.some((c) => c.sha.startsWith(sha!)) || pulls.some((p) => carries(p, sha!));
        if (!known) {
          throw new Invalid({
            status: 422,
            body: { message: `No commit found for SHA: ${sha}`, documentation_url: DOCS, status: '422' },
          });
        }
        const found = pulls.filter((p) => carries(p, sha!)).sort((a, b) => b.number - a.number);
        return this.page(
          q,
          found.map((p) => this.pullJson(p, false)),
        );
      }),
      this.wrap('GET', `${R}/commits`, (q, [o, n]) => {
        const r = this.repoOr404(o!, n!);
        const sp = q.url.searchParams;
        const path = sp.get('path');
        let list = r.commits;
        const from = sp.get('sha');
        if (from) {
          const start = list.findIndex((c) => c.sha === from || r.refs.get(`refs/heads/${from}`) === c.sha);
          if (start < 0) {
            throw new Invalid({
              status: 404,
              body: { message: 'No commit found for SHA: ' + from, documentation_url: DOCS, status: '404' },
            });
          }
          list = list.slice(start);
        }
        if (path) list = list.filter((c) => c.paths.some((p) => p === path || p.startsWith(`${path}/`)));
        return this.page(
          q,
          list.map((c) => this.commitJson(r, c)),
        );
      }),
      this.wrap(
        'POST',
        `${R}/git/refs`,
        (q, [o, n]) => {
          const r = this.repoOr404(o!, n!);
          const b = requireBody<Record<string, unknown>>(q);
          if (typeof b.ref !== 'string' || !/^refs\/[^\s]+\/[^\s]+$/.test(b.ref)) {
            throw new Invalid({
              status: 422,
              body: {
                message: "Reference name must start with 'refs/' and have at least two slashes.",
                documentation_url: DOCS,
                status: '422',
              },
            });
          }
          if (typeof b.sha !== 'string' || !/^[0-9a-f]{40}$/.test(b.sha)) {
            throw new Invalid({
              status: 422,
              body: { message: 'Object does not exist', documentation_url: DOCS, status: '422' },
            });
          }
          if (r.refs.has(b.ref)) {
            throw new Invalid({
              status: 422,
              body: { message: 'Reference already exists', documentation_url: DOCS, status: '422' },
            });
          }
          r.refs.set(b.ref, b.sha);
          if (b.ref.startsWith('refs/heads/')) {
            // A new branch starts with the tree of its commit.
            const sha = b.sha;
            const from =
              r.contents.get(sha) ??
              [...r.refs.entries()]
                .filter(([k, v]) => v === sha && k.startsWith('refs/heads/'))
                .map(([k]) => r.contents.get(k.slice('refs/heads/'.length)))
                .find((m) => m !== undefined);
            r.contents.set(b.ref.slice('refs/heads/'.length), new Map(from ?? []));
          }
          return { status: 201, body: this.refJson(r, b.ref, b.sha) };
        },
        true,
      ),
      this.wrap('GET', `^/orgs/${SEG}/teams/${SEG}/members`, (q, [org, slug]) => {
        const members = this.teams.get(`${org}/${slug}`.toLowerCase());
        if (!members) throw notFound();
        return this.page(
          q,
          members.map((m) => this.userJson(m)),
        );
      }),
      this.wrap('GET', `${R}/collaborators/${SEG}/permission`, (_q, [o, n, login]) => {
        const r = this.repoOr404(o!, n!);
        const user = this.users.get(login!.toLowerCase());
        if (!user) throw notFound();
        const permission =
          r.collaborators.get(user.login.toLowerCase()) ?? (user.login === r.owner ? 'admin' : 'none');
        const legacy = permission === 'maintain' ? 'write' : permission === 'triage' ? 'read' : permission;
        return ok({
          permission: legacy,
          role_name: permission,
          user: { ...this.userJson(user.login), role_name: permission },
        });
      }),
    ];
  }

  /**
   * What `jml doctor` reads. GitHub answers 403 "Resource not accessible by integration", with the
   * permission it wanted in `x-accepted-github-permissions`, to a token without it: branch
   * protection and workflow permissions need Administration, repository secrets Secrets, an
   * environment's secrets Environments (all read). Rules, rulesets, environments and deployment
   * branch policies need only read access to the repository ("Anyone with read access", GitHub's
   * description says); a ruleset's `bypass_actors` is shown only to a token that can edit it.
   */
  private buildSettingsRoutes(): Route[] {
    const R = REPO;
    return [
      this.wrap('GET', `${R}/branches/(.+)/protection`, (q, [o, n, branch]) => {
        const r = this.repoOr404(o!, n!);
        this.requirePermission(
          q,
          'administration',
          'read',
          'branches/branch-protection#get-branch-protection',
        );
        if (!this.branchExists(r, branch!))
          throw notFoundAs('Branch not found', 'branches/branch-protection#get-branch-protection');
        const p = r.settings.protection.get(branch!);
        if (!p) throw notFoundAs('Branch not protected', 'branches/branch-protection#get-branch-protection');
        return ok(this.protectionJson(r, branch!, p));
      }),
      this.wrap('GET', `${R}/rules/branches/(.+)`, (q, [o, n, branch]) => {
        const r = this.repoOr404(o!, n!);
        // Only active rulesets count; the branch need not exist (GitHub's description says so).
        const rules = r.settings.rulesets
          .filter((s) => s.enforcement === 'active' && rulesetApplies(r, s, branch!))
          .flatMap((s) =>
            s.rules.map((rule) => ({
              ...rule,
              ruleset_source_type: 'Repository',
              ruleset_source: `${r.owner}/${r.name}`,
              ruleset_id: s.id,
            })),
          );
        return this.page(q, rules);
      }),
      this.wrap('GET', `${R}/rulesets/(\\d+)`, (q, [o, n, id]) => {
        const r = this.repoOr404(o!, n!);
        const s = r.settings.rulesets.find((x) => x.id === Number(id));
        if (!s) throw notFound();
        return ok(this.rulesetJson(r, s, this.granted(q, 'administration') === 'write'));
      }),
      this.wrap('GET', `${R}/environments`, (q, [o, n]) => {
        const r = this.repoOr404(o!, n!);
        const list = [...r.settings.environments.values()].sort((a, b) => a.name.localeCompare(b.name));
        return this.pageObject(
          q,
          'environments',
          list.map((e) => this.environmentJson(r, e)),
        );
      }),
      this.wrap('GET', `${R}/environments/([^/]+)/deployment-branch-policies`, (q, [o, n, env]) => {
        const r = this.repoOr404(o!, n!);
        const e = r.settings.environments.get(env!);
        if (!e) throw notFound();
        const list = Array.isArray(e.policy) ? e.policy : [];
        return this.pageObject(
          q,
          'branch_policies',
          list.map((b) => ({
            id: b.id,
            node_id: Buffer.from(`022:DeploymentBranchPolicy${b.id}`).toString('base64'),
            name: b.name,
            type: b.type,
          })),
        );
      }),
      this.wrap('GET', `${R}/environments/([^/]+)/secrets`, (q, [o, n, env]) => {
        const r = this.repoOr404(o!, n!);
        this.requirePermission(q, 'environments', 'read', 'actions/secrets#list-environment-secrets');
        const e = r.settings.environments.get(env!);
        if (!e) throw notFound();
        return this.pageObject(
          q,
          'secrets',
          [...e.secrets].sort().map((s) => this.secretJson(e.createdAt, s)),
        );
      }),
      this.wrap('GET', `${R}/actions/secrets`, (q, [o, n]) => {
        const r = this.repoOr404(o!, n!);
        this.requirePermission(q, 'secrets', 'read', 'actions/secrets#list-repository-secrets');
        const at = new Date(this.now()).toISOString();
        return this.pageObject(
          q,
          'secrets',
          [...r.settings.secrets].sort().map((s) => this.secretJson(at, s)),
        );
      }),
      this.wrap('GET', `${R}/actions/permissions/workflow`, (q, [o, n]) => {
        const r = this.repoOr404(o!, n!);
        this.requirePermission(
          q,
          'administration',
          'read',
          'actions/permissions#get-default-workflow-permissions-for-a-repository',
        );
        return ok({ ...r.settings.workflowPermissions });
      }),
    ];
  }

  /** The level of a permission the request's token holds. */
  private granted(req: FakeRequest, permission: TokenPermission): 'read' | 'write' | undefined {
    const token = this.tokenOf(req) ?? '';
    const set = this.tokenPermissions.get(token);
    if (set) return set[permission];
    if (this.tokens.get(token)?.toLowerCase() === 'github-actions[bot]') return undefined;
    return 'write';
  }

  /** GitHub's 403 to a token without the permission an endpoint needs. */
  private requirePermission(
    req: FakeRequest,
    permission: TokenPermission,
    level: 'read' | 'write',
    docs: string,
  ): void {
    const has = this.granted(req, permission);
    if (has === 'write' || has === level) return;
    throw new Invalid({
      status: 403,
      headers: { 'x-accepted-github-permissions': `${permission}=${level}` },
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: `${DOCS}/${docs}`,
        status: '403',
      },
    });
  }

  /** A branch exists when it has a ref, or is the default branch. */
  private branchExists(r: RepoState, branch: string): boolean {
    return branch === r.defaultBranch || r.refs.has(`refs/heads/${branch}`);
  }

  // ---- lookups ---------------------------------------------------------------------------------

  /**
   * PUT contents creates a file (201, `sha` ignored) or replaces one (200, with the blob sha it
   * replaces); DELETE removes one (200, with its blob sha). GitHub's order of refusals: 422 a
   * missing field, 404 an unknown branch, 422 a missing sha, 409 a stale one.
   */
  private writeFile(
    method: 'PUT' | 'DELETE',
    q: FakeRequest,
    o: string,
    n: string,
    path: string,
  ): FakeResponse {
    const r = this.repoOr404(o, n);
    const b = requireBody<Record<string, unknown>>(q);
    if (method === 'DELETE' && typeof b.message === 'string' && typeof b.sha !== 'string')
      throw invalidRequest('sha');
    const { branch, files, parent } = this.writableBranch(r, b);
    if (method === 'PUT' && typeof b.content !== 'string') throw invalidRequest('content');
    const p = path.replace(/^\/+|\/+$/g, '');
    const old = files.get(p);
    if (method === 'DELETE' && old === undefined) throw notFound();
    if (old !== undefined) this.checkBlobSha(p, old, b.sha);
    if (method === 'DELETE') files.delete(p);
    else files.set(p, Buffer.from(b.content as string, 'base64').toString('utf8'));
    const commit = this.commitFileChange(r, q, branch, parent, b.message as string, p, files);
    if (method === 'DELETE') return ok({ content: null, commit });
    return {
      status: old === undefined ? 201 : 200,
      body: { content: this.contentJson(r, branch, p, files.get(p)!, false), commit },
    };
  }

  /** The branch a contents write goes to (404 when it does not exist), after its `message`. */
  private writableBranch(
    r: RepoState,
    b: Record<string, unknown>,
  ): { branch: string; files: Map<string, string>; parent: string } {
    if (typeof b.message !== 'string') throw invalidRequest('message');
    const branch = typeof b.branch === 'string' ? b.branch : r.defaultBranch;
    const parent = r.refs.get(`refs/heads/${branch}`);
    const files = r.contents.get(branch);
    if (!parent || !files) {
      throw new Invalid({
        status: 404,
        body: { message: `Branch ${branch} not found`, documentation_url: DOCS, status: '404' },
      });
    }
    return { branch, files, parent };
  }

  /** GitHub's answers to the blob sha of a file being replaced or deleted: 422 missing, 409 stale. */
  private checkBlobSha(path: string, text: string, sha: unknown): void {
    if (typeof sha !== 'string') throw invalidRequest('sha');
    if (sha !== sha1(`blob ${Buffer.byteLength(text)}\0${text}`)) {
      throw new Invalid({
        status: 409,
        body: { message: `${path} does not match ${sha}`, documentation_url: DOCS, status: '409' },
      });
    }
  }

  /** Commits a contents write on `branch` (its files already changed) and answers its commit. */
  private commitFileChange(
    r: RepoState,
    q: FakeRequest,
    branch: string,
    parent: string,
    message: string,
    path: string,
    files: Map<string, string>,
  ): Record<string, unknown> {
    const commitSha = sha1(`commit:${parent}:${path}:${this.id()}`);
    const author = this.caller(q);
    const commit: CommitState = {
      sha: commitSha,
      message,
      author,
      date: new Date(this.now()).toISOString(),
      parents: [parent],
      paths: [path],
    };
    r.commits.unshift(commit);
    r.refs.set(`refs/heads/${branch}`, commitSha);
    r.contents.set(commitSha, new Map(files));
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const person = { name: author, email: `${author}@users.noreply.github.com`, date: commit.date };
    const tree = sha1(`tree:${commitSha}`);
    return {
      sha: commitSha,
      node_id: Buffer.from(`06:Commit${commitSha}`).toString('base64'),
      url: `${repoUrl}/git/commits/${commitSha}`,
      html_url: `${WEB}/${r.owner}/${r.name}/commit/${commitSha}`,
      author: person,
      committer: person,
      message,
      tree: { url: `${repoUrl}/git/trees/${tree}`, sha: tree },
      parents: [
        {
          url: `${repoUrl}/git/commits/${parent}`,
          html_url: `${WEB}/${r.owner}/${r.name}/commit/${parent}`,
          sha: parent,
        },
      ],
      verification: { ...UNSIGNED },
    };
  }

  private repoOr404(owner: string, name: string): RepoState {
    const r = this.repos.get(`${owner}/${name}`.toLowerCase());
    if (!r) throw notFound();
    return r;
  }

  private pull(owner: string, name: string, num: string): PullState {
    const pull = this.repoOr404(owner, name).issues.get(Number(num))?.pull;
    if (!pull) throw notFound();
    return pull;
  }

  private issue(r: RepoState, num: string): IssueState {
    const issue = r.issues.get(Number(num));
    if (!issue) throw notFound();
    return issue;
  }

  private comment(r: RepoState, id: string): CommentState {
    const c = r.comments.get(Number(id));
    if (!c) throw notFound();
    return c;
  }

  private commitOf(r: RepoState, sha: string): CommitState {
    return (
      r.commits.find((c) => c.sha === sha) ?? {
        sha,
        message: 'commit',
        author: r.owner,
        date: new Date(this.now()).toISOString(),
        parents: [],
        paths: [],
      }
    );
  }

  private bodyField(v: unknown, resource: string): string | null | undefined {
    if (v === undefined || v === null) return v as null | undefined;
    if (typeof v !== 'string') throw validationFailed(resource, 'body', 'invalid');
    if (v.length > BODY_LIMIT) {
      throw validationFailed(
        resource,
        'body',
        'custom',
        `body is too long (maximum is ${BODY_LIMIT} characters)`,
      );
    }
    return v;
  }

  private labelsField(r: RepoState, v: unknown): string[] | undefined {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw validationFailed('Label', 'labels', 'invalid');
    const out: string[] = [];
    for (const l of v) {
      const name = typeof l === 'string' ? l : (l as { name?: unknown })?.name;
      if (typeof name !== 'string' || name.trim() === '') throw validationFailed('Label', 'name', 'invalid');
      const existing = r.labels.get(name.toLowerCase());
      if (!existing)
        r.labels.set(name.toLowerCase(), { id: this.id(), name, color: 'ededed', description: null });
      const canonical = r.labels.get(name.toLowerCase())!.name;
      if (!out.includes(canonical)) out.push(canonical);
    }
    return out;
  }

  private assigneesField(r: RepoState, v: unknown): string[] | undefined {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((a) => typeof a !== 'string'))
      throw validationFailed('Issue', 'assignees', 'invalid');
    if (v.length > 10)
      throw validationFailed('Issue', 'assignees', 'invalid', 'an issue takes at most 10 assignees');
    const out: string[] = [];
    for (const a of v as string[]) {
      const u = this.users.get(a.toLowerCase());
      // GitHub accepts only users who can be assigned in the repository.
      const assignable = u && (r.collaborators.has(u.login.toLowerCase()) || u.login === r.owner);
      if (!assignable)
        throw validationFailed('Issue', 'assignees', 'invalid', `${a} cannot be assigned to this issue`);
      out.push(u.login);
    }
    return out;
  }

  private page(q: FakeRequest, items: unknown[]): FakeResponse {
    const sp = q.url.searchParams;
    const perPage = Math.min(100, Math.max(1, Number(sp.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(sp.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const u = new URL(q.url.pathname + q.url.search, this.url);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return `<${u.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'));
    return {
      status: 200,
      headers: links.length ? { link: links.join(', ') } : {},
      body: items.slice((page - 1) * perPage, page * perPage),
    };
  }

  /** A page of a list GitHub wraps in an object: `{total_count, <key>: [...]}`, Link header as usual. */
  private pageObject(q: FakeRequest, key: string, items: unknown[]): FakeResponse {
    const p = this.page(q, items);
    return { ...p, body: { total_count: items.length, [key]: p.body } };
  }

  // ---- response objects (complete enough to validate against GitHub's schemas) -------------------

  private protectionJson(r: RepoState, branch: string, p: ProtectionSeed): Record<string, unknown> {
    const url = this.api(`/repos/${r.owner}/${r.name}/branches/${encodeURIComponent(branch)}/protection`);
    const off = { enabled: false };
    const out: Record<string, unknown> = { url };
    if (p.checks) {
      out.required_status_checks = {
        url: `${url}/required_status_checks`,
        strict: p.strict ?? false,
        contexts: p.checks.map((c) => c.context),
        contexts_url: `${url}/required_status_checks/contexts`,
        // What GitHub answers for a check set "from any source" is not documented beyond a
        // nullable app_id: the fake answers what the test seeded (null when it seeded none).
        checks: p.checks.map((c) => ({ context: c.context, app_id: c.appId ?? null })),
      };
    }
    if (p.reviews) {
      const bypass = p.reviews.bypassUsers ?? [];
      out.required_pull_request_reviews = {
        url: `${url}/required_pull_request_reviews`,
        dismiss_stale_reviews: p.reviews.dismissStale ?? false,
        require_code_owner_reviews: p.reviews.codeOwners ?? false,
        required_approving_review_count: p.reviews.count ?? 1,
        require_last_push_approval: false,
        ...(bypass.length
          ? {
              bypass_pull_request_allowances: {
                users: bypass.map((l) => this.userJson(l)),
                teams: [],
                apps: [],
              },
            }
          : {}),
      };
    }
    // GitHub lists push restrictions only while they are on (as it does required checks and reviews).
    if (p.restrictions) {
      const restrictions = `${url}/restrictions`;
      out.restrictions = {
        url: restrictions,
        users_url: `${restrictions}/users`,
        teams_url: `${restrictions}/teams`,
        apps_url: `${restrictions}/apps`,
        users: (p.restrictions.users ?? []).map((l) => this.userJson(l)),
        teams: (p.restrictions.teams ?? []).map((t) => this.teamJson(r.owner, t)),
        apps: (p.restrictions.apps ?? []).map((a) => this.appJson(a, r.owner)),
      };
    }
    Object.assign(out, {
      required_signatures: { url: `${url}/required_signatures`, enabled: false },
      enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins ?? false },
      required_linear_history: off,
      allow_force_pushes: { enabled: p.allowForcePushes ?? false },
      allow_deletions: { enabled: p.allowDeletions ?? false },
      block_creations: { enabled: p.blockCreations ?? false },
      required_conversation_resolution: off,
      lock_branch: off,
      allow_fork_syncing: off,
    });
    return out;
  }

  private rulesetJson(r: RepoState, s: RulesetState, showBypass: boolean): Record<string, unknown> {
    const url = this.api(`/repos/${r.owner}/${r.name}/rulesets/${s.id}`);
    return {
      id: s.id,
      name: s.name,
      target: 'branch',
      source_type: 'Repository',
      source: `${r.owner}/${r.name}`,
      enforcement: s.enforcement,
      // GitHub returns bypass_actors only to a token with write access to the ruleset.
      ...(showBypass
        ? {
            bypass_actors: s.bypass.map((b) => ({
              actor_id: b.actorId,
              actor_type: b.actorType,
              bypass_mode: b.mode ?? 'always',
            })),
          }
        : {}),
      // Whether the caller could bypass: the fake does not model who the caller is; "never".
      current_user_can_bypass: 'never',
      node_id: Buffer.from(`021:RepositoryRuleset${s.id}`).toString('base64'),
      _links: { self: { href: url }, html: { href: `${WEB}/${r.owner}/${r.name}/rules/${s.id}` } },
      conditions: { ref_name: { include: s.include, exclude: s.exclude } },
      rules: s.rules,
      created_at: s.createdAt,
      updated_at: s.createdAt,
    };
  }

  private environmentJson(r: RepoState, e: EnvironmentState): Record<string, unknown> {
    const enc = encodeURIComponent(e.name);
    return {
      id: e.id,
      node_id: Buffer.from(`020:Environment${e.id}`).toString('base64'),
      name: e.name,
      url: this.api(`/repos/${r.owner}/${r.name}/environments/${enc}`),
      html_url: `${WEB}/${r.owner}/${r.name}/deployments/activity_log?environments_filter=${enc}`,
      created_at: e.createdAt,
      updated_at: e.createdAt,
      // GitHub lists a branch_policy protection rule while deployment branches are restricted.
      protection_rules:
        e.policy === null
          ? []
          : [
              {
                id: e.policyRuleId,
                node_id: Buffer.from(`023:ProtectionRule${e.policyRuleId}`).toString('base64'),
                type: 'branch_policy',
              },
            ],
      deployment_branch_policy:
        e.policy === null
          ? null
          : {
              protected_branches: e.policy === 'protected',
              custom_branch_policies: e.policy !== 'protected',
            },
    };
  }

  /** A team as GitHub lists it in a repository's settings. */
  private teamJson(org: string, slug: string): Record<string, unknown> {
    const key = `${org}/${slug}`.toLowerCase();
    const id = this.teamIds.get(key) ?? this.id();
    this.teamIds.set(key, id);
    const url = this.api(`/organizations/1/team/${id}`);
    return {
      id,
      node_id: Buffer.from(`04:Team${id}`).toString('base64'),
      url,
      html_url: `${WEB}/orgs/${org}/teams/${slug}`,
      name: slug,
      slug,
      description: null,
      privacy: 'closed',
      notification_setting: 'notifications_enabled',
      permission: 'push',
      members_url: `${url}/members{/member}`,
      repositories_url: `${url}/repos`,
      type: 'organization',
      parent: null,
    };
  }

  /** A GitHub App (an "Integration") as GitHub lists it where it is granted something. */
  private appJson(a: AppSeed, defaultOwner: string): Record<string, unknown> {
    const at = new Date(this.now()).toISOString();
    const owner = a.owner ?? defaultOwner;
    return {
      id: a.id,
      slug: a.slug,
      node_id: Buffer.from(`03:Integration${a.id}`).toString('base64'),
      owner: {
        login: owner,
        id: this.users.get(owner.toLowerCase())?.id ?? 1,
        type: 'Organization',
        url: this.api(`/users/${owner}`),
        html_url: `${WEB}/${owner}`,
      },
      name: a.name ?? a.slug,
      client_id: `Iv1.${a.id.toString(16).padStart(16, '0')}`,
      description: '',
      external_url: `${WEB}/apps/${a.slug}`,
      html_url: `${WEB}/apps/${a.slug}`,
      created_at: at,
      updated_at: at,
      permissions: { contents: 'write', metadata: 'read' },
      events: [],
    };
  }

  private secretJson(at: string, name: string): Record<string, unknown> {
    return { name, created_at: at, updated_at: at };
  }

  private api(path: string): string {
    return `${this.url}${path}`;
  }

  /**
   * A user as GitHub writes one (@octokit/webhooks-examples holds real ones): a bot's login goes
   * into its API URLs percent-encoded (`users/renovate%5Bbot%5D`, a valid URI; the raw brackets
   * are not), its page is its app's (`https://github.com/apps/renovate`), its node id a Bot's.
   */
  userJson(login: string): Record<string, unknown> {
    const u = this.users.get(login.toLowerCase()) ?? this.addUser(login);
    const url = this.api(`/users/${encodeURIComponent(u.login)}`);
    const bot = u.type === 'Bot';
    return {
      login: u.login,
      id: u.id,
      node_id: Buffer.from(bot ? `03:Bot${u.id}` : `04:User${u.id}`).toString('base64'),
      avatar_url: `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      gravatar_id: '',
      url,
      html_url: bot ? `${WEB}/apps/${u.login.replace(/\[bot\]$/, '')}` : `${WEB}/${u.login}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: u.type,
      user_view_type: 'public',
      site_admin: false,
    };
  }

  private repoJson(r: RepoState): Record<string, unknown> {
    const full = `${r.owner}/${r.name}`;
    const url = this.api(`/repos/${full}`);
    const at = new Date(this.now()).toISOString();
    const openIssues = [...r.issues.values()].filter((i) => i.state === 'open').length;
    return {
      id: r.id,
      node_id: Buffer.from(`010:Repository${r.id}`).toString('base64'),
      name: r.name,
      full_name: full,
      private: r.private,
      owner: this.userJson(r.owner),
      html_url: `${WEB}/${full}`,
      description: null,
      fork: false,
      url,
      archive_url: `${url}/{archive_format}{/ref}`,
      assignees_url: `${url}/assignees{/user}`,
      blobs_url: `${url}/git/blobs{/sha}`,
      branches_url: `${url}/branches{/branch}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      comments_url: `${url}/comments{/number}`,
      commits_url: `${url}/commits{/sha}`,
      compare_url: `${url}/compare/{base}...{head}`,
      contents_url: `${url}/contents/{+path}`,
      contributors_url: `${url}/contributors`,
      deployments_url: `${url}/deployments`,
      downloads_url: `${url}/downloads`,
      events_url: `${url}/events`,
      forks_url: `${url}/forks`,
      git_commits_url: `${url}/git/commits{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      git_url: `git://github.com/${full}.git`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      issue_events_url: `${url}/issues/events{/number}`,
      issues_url: `${url}/issues{/number}`,
      keys_url: `${url}/keys{/key_id}`,
      labels_url: `${url}/labels{/name}`,
      languages_url: `${url}/languages`,
      merges_url: `${url}/merges`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      pulls_url: `${url}/pulls{/number}`,
      releases_url: `${url}/releases{/id}`,
      ssh_url: `git@github.com:${full}.git`,
      stargazers_url: `${url}/stargazers`,
      statuses_url: `${url}/statuses/{sha}`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      tags_url: `${url}/tags`,
      teams_url: `${url}/teams`,
      trees_url: `${url}/git/trees{/sha}`,
      clone_url: `${WEB}/${full}.git`,
      mirror_url: null,
      hooks_url: `${url}/hooks`,
      svn_url: `${WEB}/${full}`,
      homepage: null,
      language: 'TypeScript',
      forks_count: 0,
      stargazers_count: 0,
      watchers_count: 0,
      size: 1,
      default_branch: r.defaultBranch,
      open_issues_count: openIssues,
      is_template: false,
      topics: [],
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: true,
      has_discussions: false,
      archived: false,
      disabled: false,
      visibility: r.private ? 'private' : 'public',
      pushed_at: at,
      created_at: at,
      updated_at: at,
      allow_forking: false,
      license: null,
      forks: 0,
      open_issues: openIssues,
      watchers: 0,
    };
  }

  private labelJson(r: RepoState, name: string): Record<string, unknown> {
    const l = r.labels.get(name.toLowerCase())!;
    return {
      id: l.id,
      node_id: Buffer.from(`05:Label${l.id}`).toString('base64'),
      url: this.api(`/repos/${r.owner}/${r.name}/labels/${encodeURIComponent(l.name)}`),
      name: l.name,
      description: l.description,
      color: l.color,
      default: false,
    };
  }

  private issueJson(r: RepoState, i: IssueState): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const url = `${repoUrl}/issues/${i.number}`;
    const comments = [...r.comments.values()].filter((c) => c.issue === i.number).length;
    const assignees = i.assignees.map((a) => this.userJson(a));
    return {
      id: i.id,
      node_id: Buffer.from(`05:Issue${i.id}`).toString('base64'),
      url,
      repository_url: repoUrl,
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: `${WEB}/${r.owner}/${r.name}/${i.pull ? 'pull' : 'issues'}/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.stateReason,
      title: i.title,
      body: i.body,
      user: this.userJson(i.user),
      labels: i.labels.map((l) => this.labelJson(r, l)),
      assignee: assignees[0] ?? null,
      assignees,
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments,
      ...(i.pull
        ? {
            pull_request: {
              url: `${repoUrl}/pulls/${i.number}`,
              html_url: `${WEB}/${r.owner}/${r.name}/pull/${i.number}`,
              diff_url: `${WEB}/${r.owner}/${r.name}/pull/${i.number}.diff`,
              patch_url: `${WEB}/${r.owner}/${r.name}/pull/${i.number}.patch`,
              merged_at: i.pull.mergedAt,
            },
            draft: i.pull.draft,
          }
        : {}),
      closed_at: i.closedAt,
      created_at: i.createdAt,
      updated_at: i.updatedAt,
      closed_by: i.state === 'closed' ? this.userJson(i.closedBy ?? i.user) : null,
      author_association: this.association(r, i.user),
      reactions: this.reactions(url),
    };
  }

  private reactions(url: string): Record<string, unknown> {
    return {
      url: `${url}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      confused: 0,
      heart: 0,
      hooray: 0,
      eyes: 0,
      rocket: 0,
    };
  }

  private association(r: RepoState, login: string): string {
    if (login.toLowerCase() === r.owner.toLowerCase()) return 'OWNER';
    if (r.collaborators.has(login.toLowerCase())) return 'COLLABORATOR';
    return 'CONTRIBUTOR';
  }

  private commentJson(r: RepoState, c: CommentState): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const url = `${repoUrl}/issues/comments/${c.id}`;
    const issue = r.issues.get(c.issue);
    return {
      id: c.id,
      node_id: Buffer.from(`012:IssueComment${c.id}`).toString('base64'),
      url,
      html_url: `${WEB}/${r.owner}/${r.name}/${issue?.pull ? 'pull' : 'issues'}/${c.issue}#issuecomment-${c.id}`,
      body: c.body,
      user: this.userJson(c.user),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      issue_url: `${repoUrl}/issues/${c.issue}`,
      author_association: this.association(r, c.user),
      reactions: this.reactions(url),
    };
  }

  private pullJson(p: PullState, full: boolean): Record<string, unknown> {
    const r = this.repo(p.owner, p.repo);
    const issue = r.issues.get(p.number)!;
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const url = `${repoUrl}/pulls/${p.number}`;
    const html = `${WEB}/${r.owner}/${r.name}/pull/${p.number}`;
    const repo = this.repoJson(r);
    const side = (ref: string, sha: string) => ({
      label: `${r.owner}:${ref}`,
      ref,
      sha,
      user: this.userJson(r.owner),
      repo,
    });
    const assignees = issue.assignees.map((a) => this.userJson(a));
    const out: Record<string, unknown> = {
      url,
      id: p.id,
      node_id: Buffer.from(`011:PullRequest${p.id}`).toString('base64'),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${repoUrl}/issues/${p.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${repoUrl}/pulls/comments{/number}`,
      comments_url: `${repoUrl}/issues/${p.number}/comments`,
      statuses_url: `${repoUrl}/statuses/${p.headSha}`,
      number: p.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      user: this.userJson(p.author),
      body: issue.body,
      // GitHub documents a listed pull request's label description as a string (not nullable):
      // the list gives "" where a single pull request gives null.
      labels: issue.labels.map((l) => {
        const json = this.labelJson(r, l);
        return full ? json : { ...json, description: json.description ?? '' };
      }),
      milestone: null,
      active_lock_reason: null,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: p.mergedAt,
      merge_commit_sha: p.mergeCommitSha,
      assignee: assignees[0] ?? null,
      assignees,
      requested_reviewers: p.requestedReviewers.map((l) => this.userJson(l)),
      requested_teams: [],
      head: side(p.headRef, p.headSha),
      base: side(p.baseRef, p.baseSha),
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: `${repoUrl}/issues/${p.number}` },
        comments: { href: `${repoUrl}/issues/${p.number}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${repoUrl}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${repoUrl}/statuses/${p.headSha}` },
      },
      author_association: this.association(r, p.author),
      auto_merge: null,
      draft: p.draft,
    };
    if (full) {
      Object.assign(out, {
        merged: p.mergedAt !== null,
        mergeable: issue.state === 'open' ? true : null,
        rebaseable: issue.state === 'open' ? true : null,
        mergeable_state: issue.state === 'open' ? 'clean' : 'unknown',
        merged_by: p.mergedAt ? this.userJson(p.mergedBy ?? r.owner) : null,
        comments: [...r.comments.values()].filter((c) => c.issue === p.number).length,
        review_comments: 0,
        maintainer_can_modify: false,
        commits: p.commits.length,
        additions: p.files.reduce((s, f) => s + (f.additions ?? 1), 0),
        deletions: p.files.reduce((s, f) => s + (f.deletions ?? 0), 0),
        changed_files: p.files.length,
      });
    }
    return out;
  }

  private fileJson(p: PullState, f: SeedFile): Record<string, unknown> {
    const status = f.status ?? 'modified';
    const additions = f.additions ?? (status === 'removed' ? 0 : 1);
    const deletions = f.deletions ?? (status === 'added' ? 0 : status === 'removed' ? 1 : 0);
    const enc = f.path.split('/').map(encodeURIComponent).join('/');
    return {
      sha: sha1(`${p.headSha}:${f.path}`),
      filename: f.path,
      status,
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${WEB}/${p.owner}/${p.repo}/blob/${p.headSha}/${enc}`,
      raw_url: `${WEB}/${p.owner}/${p.repo}/raw/${p.headSha}/${enc}`,
      contents_url: this.api(`/repos/${p.owner}/${p.repo}/contents/${enc}?ref=${p.headSha}`),
      ...(f.previousPath ? { previous_filename: f.previousPath } : {}),
    };
  }

  private reviewJson(p: PullState, rv: PullState['reviews'][number]): Record<string, unknown> {
    const r = this.repo(p.owner, p.repo);
    const html = `${WEB}/${p.owner}/${p.repo}/pull/${p.number}#pullrequestreview-${rv.id}`;
    const prUrl = this.api(`/repos/${p.owner}/${p.repo}/pulls/${p.number}`);
    return {
      id: rv.id,
      node_id: Buffer.from(`017:PullRequestReview${rv.id}`).toString('base64'),
      user: this.userJson(rv.login),
      body: rv.body ?? '',
      state: rv.state,
      html_url: html,
      pull_request_url: prUrl,
      _links: { html: { href: html }, pull_request: { href: prUrl } },
      ...(rv.state === 'PENDING' ? {} : { submitted_at: rv.submittedAt }),
      commit_id: rv.commitId ?? null,
      author_association: this.association(r, rv.login),
    };
  }

  private commitJson(r: RepoState, c: CommitState): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const person = { name: c.author, email: `${c.author}@users.noreply.github.com`, date: c.date };
    return {
      url: `${repoUrl}/commits/${c.sha}`,
      sha: c.sha,
      node_id: Buffer.from(`06:Commit${c.sha}`).toString('base64'),
      html_url: `${WEB}/${r.owner}/${r.name}/commit/${c.sha}`,
      comments_url: `${repoUrl}/commits/${c.sha}/comments`,
      commit: {
        url: `${repoUrl}/git/commits/${c.sha}`,
        author: person,
        committer: person,
        message: c.message,
        comment_count: 0,
        tree: { sha: sha1(`tree:${c.sha}`), url: `${repoUrl}/git/trees/${sha1(`tree:${c.sha}`)}` },
        verification: { ...UNSIGNED },
      },
      author: this.userJson(c.author),
      committer: this.userJson(c.author),
      parents: c.parents.map((sha) => ({
        sha,
        url: `${repoUrl}/commits/${sha}`,
        html_url: `${WEB}/${r.owner}/${r.name}/commit/${sha}`,
      })),
    };
  }

  private contentJson(
    r: RepoState,
    ref: string,
    path: string,
    text: string,
    withContent: boolean,
  ): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const sha = sha1(`blob ${Buffer.byteLength(text)}\0${text}`);
    const enc = path.split('/').map(encodeURIComponent).join('/');
    const self = `${repoUrl}/contents/${enc}?ref=${encodeURIComponent(ref)}`;
    const html = `${WEB}/${r.owner}/${r.name}/blob/${ref}/${enc}`;
    const git = `${repoUrl}/git/blobs/${sha}`;
    const base64 = Buffer.from(text, 'utf8').toString('base64');
    return {
      type: 'file',
      ...(withContent ? { encoding: 'base64', content: base64.replace(/(.{60})/g, '$1\n') } : {}),
      size: Buffer.byteLength(text),
      name: path.split('/').pop()!,
      path,
      sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url: `https://raw.githubusercontent.com/${r.owner}/${r.name}/${ref}/${enc}`,
      _links: { self, git, html },
    };
  }

  private dirJson(r: RepoState, ref: string, path: string): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const sha = sha1(`tree:${ref}:${path}`);
    const enc = path.split('/').map(encodeURIComponent).join('/');
    const self = `${repoUrl}/contents/${enc}?ref=${encodeURIComponent(ref)}`;
    const html = `${WEB}/${r.owner}/${r.name}/tree/${ref}/${enc}`;
    const git = `${repoUrl}/git/trees/${sha}`;
    return {
      type: 'dir',
      size: 0,
      name: path.split('/').pop()!,
      path,
      sha,
      url: self,
      git_url: git,
      html_url: html,
      download_url: null,
      _links: { self, git, html },
    };
  }

  private refJson(r: RepoState, ref: string, sha: string): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    return {
      ref,
      node_id: Buffer.from(`03:Ref${r.id}:${ref}`).toString('base64'),
      url: `${repoUrl}/git/${ref}`,
      object: { type: 'commit', sha, url: `${repoUrl}/git/commits/${sha}` },
    };
  }

  private checkRunJson(r: RepoState, c: CheckRunState): Record<string, unknown> {
    const repoUrl = this.api(`/repos/${r.owner}/${r.name}`);
    const url = `${repoUrl}/check-runs/${c.id}`;
    const appOwner = this.userJson('github');
    return {
      id: c.id,
      head_sha: c.headSha,
      node_id: Buffer.from(`08:CheckRun${c.id}`).toString('base64'),
      external_id: c.externalId ?? '',
      url,
      html_url: `${WEB}/${r.owner}/${r.name}/runs/${c.id}`,
      details_url: c.detailsUrl ?? `${WEB}/${r.owner}/${r.name}/runs/${c.id}`,
      status: c.status,
      conclusion: c.conclusion,
      started_at: c.startedAt,
      completed_at: c.completedAt,
      output: {
        title: c.title,
        summary: c.summary,
        text: c.text,
        annotations_count: 0,
        annotations_url: `${url}/annotations`,
      },
      name: c.name,
      check_suite: { id: c.id + 1 },
      app: {
        id: 15368,
        slug: 'github-actions',
        client_id: 'Iv1.fake',
        node_id: 'MDM6QXBwMTUzNjg=',
        owner: appOwner,
        name: 'GitHub Actions',
        description: 'Automate your workflow from idea to production',
        external_url: 'https://help.github.com/en/actions',
        html_url: `${WEB}/apps/github-actions`,
        created_at: '2018-07-30T09:30:17Z',
        updated_at: '2024-04-10T20:33:16Z',
        permissions: {
          checks: 'write',
          contents: 'read',
          issues: 'write',
          pull_requests: 'write',
          metadata: 'read',
        },
        events: ['check_run', 'pull_request', 'push'],
      },
      pull_requests: [],
    };
  }
}

/** A pull request carries a commit when its merge produced it or its branch holds it. */
function carries(p: PullState, sha: string): boolean {
  return [p.mergeCommitSha ?? '', p.headSha, ...p.commits].some((c) => c !== '' && c.startsWith(sha));
}

/** A 404 with GitHub's own message for it ("Branch not protected", "Branch not found"). */
function notFoundAs(message: string, docs: string): Invalid {
  return new Invalid({ status: 404, body: { message, documentation_url: `${DOCS}/${docs}`, status: '404' } });
}

/** Whether an active branch ruleset's ref_name conditions take in `branch`. */
function rulesetApplies(r: RepoState, s: RulesetState, branch: string): boolean {
  const hit = (p: string) =>
    p === '~ALL' ||
    (p === '~DEFAULT_BRANCH' && branch === r.defaultBranch) ||
    (p.startsWith('refs/heads/') && refGlob(p.slice('refs/heads/'.length)).test(branch));
  return s.include.some(hit) && !s.exclude.some(hit);
}

/** fnmatch as rulesets use it: `*` within a path segment, `**` across segments. */
function refGlob(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?' || c === '[')
      throw new Error(`the GitHub fake does not match "${c}" in ref patterns: ${pattern}`);
    else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function ok(body: unknown): FakeResponse {
  return { status: 200, body };
}

/** `POST/PUT /issues/{n}/labels` take `{labels: [...]}` or a bare array of names. */
function labelsOfBody(body: unknown): unknown {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object' && 'labels' in body) return (body as { labels: unknown }).labels;
  return [];
}
