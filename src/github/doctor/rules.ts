/**
 * `jml doctor`'s rules: from GitHub's answers about a repository's settings to findings. The
 * approval gate (a pull request approved as jml's rules require, judged by the `jml/approvals`
 * check) holds only while GitHub enforces it, and the repository's files cannot make GitHub do
 * that: branch protection or rulesets, who may bypass them, where credentials may be used. Each
 * finding has a stable rule id, one sentence, why it matters to the gate, what to click in
 * GitHub and the API calls that fix it. Pure: the answers come in, findings go out; reading them
 * is the command's (src/cli/doctor-command.ts).
 */
import { APPROVALS_CHECK } from '../client.js';
import { type CredentialUse, describeUse } from './workflows.js';

/** The GitHub Actions app: every workflow run's checks are posted as it. */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** The seven checks, in the order they are reported. */
export const CHECKS = [
  { id: 'protection', title: 'the branch is protected and requires jml/approvals from the right source' },
  { id: 'reviews', title: "a code owner's approving review is required and stale approvals are dismissed" },
  { id: 'bypass', title: 'nobody can bypass the protection' },
  { id: 'environments', title: 'environments holding credentials deploy from the branch only' },
  { id: 'repository-secrets', title: 'no repository-level secrets' },
  { id: 'actions-pull-requests', title: 'GitHub Actions may open pull requests' },
  {
    id: 'evidence-branch',
    title: 'only the approvals app can push to the evidence branch, and nobody can force-push or delete it',
  },
] as const;
export type CheckId = (typeof CHECKS)[number]['id'];

/** Stable rule ids, one per kind of misconfiguration. */
export type DoctorRule =
  | 'branch-unprotected'
  | 'approvals-app-unset'
  | 'approvals-check-not-required'
  | 'approvals-check-source'
  | 'pull-request-not-required'
  | 'code-owner-review-off'
  | 'stale-approvals-kept'
  | 'no-required-approval'
  | 'admins-bypass'
  | 'review-bypass-allowed'
  | 'ruleset-bypass'
  | 'ruleset-bypass-unknown'
  | 'environment-any-branch'
  | 'environment-protected-branches'
  | 'environment-other-branches'
  | 'repository-secrets'
  | 'actions-cannot-open-pull-requests'
  | 'evidence-branch-unprotected'
  | 'evidence-branch-writable'
  | 'evidence-branch-bypass-unknown'
  | 'evidence-branch-app-blocked'
  | 'evidence-branch-force-push'
  | 'evidence-branch-deletion';

/** One REST call of a fix. `body` is JSON; `<...>` marks a value only the reader knows. */
export interface ApiCall {
  method: 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
}

export interface Finding {
  rule: DoctorRule;
  check: CheckId;
  /** What is wrong, one sentence. */
  message: string;
  /** Why it matters to the approval gate. */
  why: string;
  /** What to click in GitHub's UI. */
  click: string;
  /** The REST calls that fix it, in order. */
  api: ApiCall[];
  /** What to know before making the calls (what a call replaces). */
  apiNote?: string;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  /** `blocked`: cannot hold until the branch is protected at all (see branch-unprotected). */
  status: 'ok' | 'findings' | 'blocked';
  findings: DoctorRule[];
}

export interface DoctorReport {
  /** `owner/repo`. */
  repository: string;
  branch: string;
  /** The branch the workflows keep the apply records on (and read the offboarding holds from). */
  evidenceBranch: string;
  approvalsAppId: number | null;
  checks: CheckResult[];
  findings: Finding[];
  /** What doctor could not read or judge, for a person to look at. */
  notes: string[];
}

// ---- GitHub's answers (the fields the rules read; Octokit's types are wider) ---------------------

export interface ProtectionAnswer {
  required_status_checks?: {
    strict?: boolean;
    checks: { context: string; app_id: number | null }[];
    contexts: string[];
  };
  enforce_admins?: { enabled: boolean };
  required_pull_request_reviews?: {
    dismiss_stale_reviews: boolean;
    require_code_owner_reviews: boolean;
    required_approving_review_count?: number;
    bypass_pull_request_allowances?: {
      users?: { login: string }[];
      teams?: { slug: string }[];
      apps?: ({ slug?: string; name: string } | null)[];
    };
  };
  /** "Restrict who can push to matching branches"; absent when anyone with write access may. */
  restrictions?: {
    users: { login?: string }[];
    teams: { slug?: string }[];
    apps: { id?: number; slug?: string; name?: string }[];
  };
  allow_force_pushes?: { enabled?: boolean };
  allow_deletions?: { enabled?: boolean };
}

/** A rule of GET rules/branches/{branch}: it names the ruleset it comes from. */
export interface RuleAnswer {
  type: string;
  parameters?: unknown;
  ruleset_id?: number;
  ruleset_source?: string;
  ruleset_source_type?: string;
}

export interface RulesetAnswer {
  id: number;
  name: string;
  source_type?: string;
  source?: string;
  /** Absent when the token may not edit the ruleset (GitHub hides who can bypass). */
  bypass_actors?: { actor_id?: number | null; actor_type: string; bypass_mode?: string }[];
}

export interface EnvironmentAnswer {
  name: string;
  /** Whether GitHub has it (a workflow may name one that does not exist yet). */
  exists: boolean;
  deploymentBranchPolicy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  /** The name patterns of a custom policy (empty otherwise). */
  branchPolicies: { id?: number; name?: string; type?: string }[];
  /** Names of its secrets. */
  secrets: string[];
}

/** What doctor read about the evidence branch (records, and the offboarding holds read from them). */
export interface EvidenceBranchAnswer {
  branch: string;
  /** Whether the branch exists (the first apply creates it). */
  exists: boolean;
  /** Classic branch protection, or null when it has none (or does not exist). */
  protection: ProtectionAnswer | null;
  /** The active ruleset rules that apply to it. */
  rules: RuleAnswer[];
}

/** Everything doctor read from GitHub. */
export interface GateSettings {
  owner: string;
  repo: string;
  branch: string;
  /** Classic branch protection, or null when the branch has none. */
  protection: ProtectionAnswer | null;
  /** The active ruleset rules that apply to the branch. */
  rules: RuleAnswer[];
  /** The rulesets those rules (and the evidence branch's) come from. */
  rulesets: RulesetAnswer[];
  environments: EnvironmentAnswer[];
  repositorySecrets: string[];
  workflowPermissions: { default_workflow_permissions: string; can_approve_pull_request_reviews: boolean };
  evidence: EvidenceBranchAnswer;
}

/** What the repository itself says the settings must be. */
export interface GateExpectations {
  /** policy/jml.yaml github.approvalsAppId. */
  approvalsAppId?: number;
  /** The jobs of .github/workflows that use credentials in an environment. */
  credentialUses: CredentialUse[];
  /** Notes from reading the workflows. */
  notes?: string[];
}

// ---- the rules -----------------------------------------------------------------------------------

interface PullRequestParams {
  dismiss_stale_reviews_on_push?: boolean;
  require_code_owner_review?: boolean;
  required_approving_review_count?: number;
}
interface StatusCheckParams {
  required_status_checks?: { context: string; integration_id?: number }[];
}

/** Where a requirement comes from: classic protection, or a ruleset. */
type Source = { kind: 'protection' } | { kind: 'ruleset'; id: number; name: string; organization: boolean };

const code = (s: string) => `\`${s}\``;

/** In a ruleset PUT body: where the ruleset's other rules go (PUT replaces them all). */
const OTHER_RULES = "<the ruleset's other rules, unchanged>";
const PROTECTION_PUT_NOTE =
  'PUT replaces the whole protection: the body is the current one with this change; add its push restrictions and bypass allowances if it has any.';
const RULESET_NOTE = "PUT replaces the ruleset's rules: send its other rules with this one (GET it first).";
const EVIDENCE_WHY =
  "The workflows read the emergency offboarding holds from this branch, and auditors sample its apply records. Whoever else can write it can forge a record: a forged cancellation lifts a hold, so the next apply gives an emergency-offboarded person their access back, and forged or rewritten records poison the evidence. jml's workflows push to it with the approvals app's token only; nobody else needs to.";

/** One layer that decides who may push to the evidence branch: classic protection, or a ruleset's `update` rule. */
interface PushLayer {
  source: Source;
  /** Who besides the approvals app may push through it, in words; `unknown` when GitHub hides it. */
  others: string[] | 'unknown';
  /** Whether the approvals app may push through it (undefined: unknown). */
  appAllowed: boolean | undefined;
}

/** Checks the settings against what the gate needs; every finding, in the order of CHECKS. */
export function checkGate(s: GateSettings, x: GateExpectations): DoctorReport {
  const ctx = new Context(s, x);
  const findings: Finding[] = [];
  const unprotected = s.protection === null && s.rules.length === 0;

  // Phase: protection and the approvals check's source.
  if (unprotected) findings.push(ctx.branchUnprotected());
  const workflowsRule = s.rules.some((r) => r.type === 'workflows');
  if (x.approvalsAppId === undefined && !workflowsRule) findings.push(ctx.appUnset());
  else if (!unprotected && !workflowsRule) {
    const f = ctx.approvalsCheck(x.approvalsAppId!);
    if (f) findings.push(f);
  }

  // Phase: reviews and bypass (moot while nothing protects the branch).
  if (!unprotected) {
    findings.push(...ctx.reviews());
    findings.push(...ctx.bypass());
  }

  // Phase: credentials.
  findings.push(...ctx.environments());
  if (s.repositorySecrets.length) findings.push(ctx.repositorySecrets());
  if (!s.workflowPermissions.can_approve_pull_request_reviews) findings.push(ctx.actionsPullRequests());

  // Phase: the evidence branch (apply records, and the offboarding holds the workflows read).
  findings.push(...ctx.evidence());

  const checks: CheckResult[] = CHECKS.map((c) => {
    const mine = findings.filter((f) => f.check === c.id).map((f) => f.rule);
    const blocked = unprotected && (c.id === 'reviews' || c.id === 'bypass');
    return {
      id: c.id,
      title: c.title,
      status: blocked ? 'blocked' : mine.length ? 'findings' : 'ok',
      findings: mine,
    };
  });
  return {
    repository: `${s.owner}/${s.repo}`,
    branch: s.branch,
    evidenceBranch: s.evidence.branch,
    approvalsAppId: x.approvalsAppId ?? null,
    checks,
    findings,
    notes: [...(x.notes ?? [])],
  };
}

/** The settings, the expectations and the paths and words every finding shares. */
class Context {
  readonly repoPath: string;
  readonly branchPath: string;
  readonly b: string;

  constructor(
    readonly s: GateSettings,
    readonly x: GateExpectations,
  ) {
    this.repoPath = `/repos/${s.owner}/${s.repo}`;
    this.branchPath = `${this.repoPath}/branches/${encodeURIComponent(s.branch)}/protection`;
    this.b = code(s.branch);
  }

  private get appId(): number | string {
    return this.x.approvalsAppId ?? '<App ID>';
  }

  /** The rules of the branch and of the evidence branch: a ruleset may apply to either or both. */
  private get allRules(): RuleAnswer[] {
    return [...this.s.rules, ...this.s.evidence.rules];
  }

  private rulesetOf(id: number | undefined): Source & { kind: 'ruleset' } {
    const answer = this.s.rulesets.find((r) => r.id === id);
    const rule = this.allRules.find((r) => r.ruleset_id === id);
    return {
      kind: 'ruleset',
      id: id ?? 0,
      name: answer?.name ?? `ruleset ${id}`,
      organization: (answer?.source_type ?? rule?.ruleset_source_type) === 'Organization',
    };
  }

  /** The parameters of a ruleset's rule of this type, as GET rules/branches showed them. */
  private paramsOf(id: number, type: string): Record<string, unknown> | undefined {
    const rule = this.allRules.find((r) => r.ruleset_id === id && r.type === type);
    return rule ? { ...((rule.parameters ?? {}) as Record<string, unknown>) } : undefined;
  }

  private rulesetClick(r: { name: string; organization: boolean }): string {
    return `${r.organization ? "the organisation's Settings" : 'Settings'} → Rules → Rulesets → ${r.name}`;
  }

  private rulesetPut(r: { id: number; organization: boolean }, body: unknown): ApiCall {
    // An organisation ruleset is edited at the organisation (its owner in the path).
    const org = this.allRules.find((x) => x.ruleset_id === r.id)?.ruleset_source ?? '<org>';
    return {
      method: 'PUT',
      path: r.organization ? `/orgs/${org}/rulesets/${r.id}` : `${this.repoPath}/rulesets/${r.id}`,
      body,
    };
  }

  /**
   * PUT of the whole classic protection: the current one, as GitHub listed it, with `change`.
   * For a rule that does not require status checks (or pull requests) yet, whose PATCH
   * sub-endpoints have nothing to update.
   */
  private protectionPut(change: {
    checks?: { context: string; app_id: number | string | null }[];
    reviews?: Record<string, unknown>;
  }): ApiCall {
    const p = this.s.protection;
    const checks = p?.required_status_checks;
    const reviews = p?.required_pull_request_reviews;
    return {
      method: 'PUT',
      path: this.branchPath,
      body: {
        required_status_checks:
          change.checks || checks
            ? { strict: checks?.strict ?? false, checks: change.checks ?? checks!.checks }
            : null,
        enforce_admins: p?.enforce_admins?.enabled ?? false,
        required_pull_request_reviews:
          change.reviews ??
          (reviews
            ? {
                dismiss_stale_reviews: reviews.dismiss_stale_reviews,
                require_code_owner_reviews: reviews.require_code_owner_reviews,
                required_approving_review_count: reviews.required_approving_review_count ?? 0,
              }
            : null),
        restrictions: null,
      },
    };
  }

  /** The one pull-request review requirement to fix: classic protection's, else the first ruleset's. */
  private reviewSource(): Source {
    if (this.s.protection?.required_pull_request_reviews) return { kind: 'protection' };
    return this.rulesetOf(this.s.rules.find((r) => r.type === 'pull_request')?.ruleset_id);
  }

  branchUnprotected(): Finding {
    return {
      rule: 'branch-unprotected',
      check: 'protection',
      message: `${this.b} has no branch protection and no ruleset applies to it: anyone with write access can push to it without a pull request, and nothing requires ${code(APPROVALS_CHECK)}.`,
      why: "The pull request is the approval: a push that skips it changes access with nobody's approval, and the record shows no review.",
      click: `Settings → Branches → Add classic branch protection rule for ${this.b}: tick "Require a pull request before merging" with "Require approvals" (1), "Dismiss stale pull request approvals when new commits are pushed" and "Require review from Code Owners"; tick "Require status checks to pass before merging" and add ${code(APPROVALS_CHECK)} from the app ${this.appId} (policy/jml.yaml github.approvalsAppId); tick "Do not allow bypassing the above settings". A branch ruleset with the same rules and an empty bypass list does as well.`,
      api: [
        {
          method: 'PUT',
          path: this.branchPath,
          body: {
            required_status_checks: {
              strict: false,
              checks: [{ context: APPROVALS_CHECK, app_id: this.appId }],
            },
            enforce_admins: true,
            required_pull_request_reviews: {
              dismiss_stale_reviews: true,
              require_code_owner_reviews: true,
              required_approving_review_count: 1,
            },
            restrictions: null,
          },
        },
      ],
      // GitHub's description still lists the deprecated `contexts` as required, but PUT takes
      // exactly one of `checks` and `contexts` (both, or neither, is 422: google/go-github#2276),
      // and only `checks` carries the app.
      apiNote: 'Needs a token with Administration: write.',
    };
  }

  appUnset(): Finding {
    return {
      rule: 'approvals-app-unset',
      check: 'protection',
      message: `policy/jml.yaml sets no github.approvalsAppId and no ruleset requires a workflow on ${this.b}: nothing says which source the ${code(APPROVALS_CHECK)} check must come from.`,
      why: `Every workflow run posts its checks as the GitHub Actions app, so a workflow that a pull request adds or edits, with checks: write, can post a passing ${code(APPROVALS_CHECK)} for its own head commit. Only the check required from the app that jml's trusted approvals workflow posts as (or a required workflow, which a pull request cannot edit) is a judge the pull request cannot replace.`,
      click: `Create a GitHub App (Settings → Developer settings → GitHub Apps → New GitHub App, the organisation's for an organisation): no webhook; repository permissions Checks: Read and write, Pull requests: Read, Contents: Read and write (the evidence branch ${code(this.s.evidence.branch)}), and for the scheduled jml doctor Administration, Secrets and Environments: Read. Install it on ${this.s.owner}/${this.s.repo}, keep its private key as a secret of the environments the trusted approvals workflow and the workflows that keep records run in (each deploying from ${this.b} only), and set github.approvalsAppId to its App ID in policy/jml.yaml by pull request. Then require ${code(APPROVALS_CHECK)} from that app: Settings → Branches → edit the rule for ${this.b} → "Require status checks to pass before merging" → ${code(APPROVALS_CHECK)} → its source: the app.`,
      api: [
        {
          method: 'PATCH',
          path: `${this.branchPath}/required_status_checks`,
          body: { checks: [{ context: APPROVALS_CHECK, app_id: '<App ID>' }] },
        },
      ],
      apiNote:
        'A GitHub App is created in the UI (or from a manifest), not by a call. The call replaces the list of required checks: list the others too.',
    };
  }

  /** The approvals check: required, and from the app policy names. Undefined when it is. */
  approvalsCheck(appId: number): Finding | undefined {
    const required: { source: Source; appId: number | null | undefined }[] = [];
    for (const c of this.s.protection?.required_status_checks?.checks ?? [])
      if (c.context === APPROVALS_CHECK) required.push({ source: { kind: 'protection' }, appId: c.app_id });
    for (const r of this.s.rules) {
      if (r.type !== 'required_status_checks') continue;
      for (const c of (r.parameters as StatusCheckParams | undefined)?.required_status_checks ?? [])
        if (c.context === APPROVALS_CHECK)
          required.push({ source: this.rulesetOf(r.ruleset_id), appId: c.integration_id });
    }
    // Every requirement applies: one from the right app is enough, whatever the others accept.
    if (required.some((q) => q.appId === appId)) return undefined;
    const others = (this.s.protection?.required_status_checks?.checks ?? []).filter(
      (c) => c.context !== APPROVALS_CHECK,
    );
    const where = (src: Source) =>
      src.kind === 'protection' ? 'in branch protection' : `in ruleset "${src.name}"`;
    const wrongSource = required.length > 0;
    // Fix it where it is required already; else in classic protection; else in the first ruleset.
    const target: Source =
      required[0]?.source ??
      (this.s.protection ? { kind: 'protection' } : this.rulesetOf(this.s.rules[0]?.ruleset_id));
    const classic = target.kind === 'protection';
    const describe = (id: number | null | undefined) =>
      id === null || id === undefined || id === -1
        ? 'any source'
        : id === GITHUB_ACTIONS_APP_ID
          ? `the GitHub Actions app (${GITHUB_ACTIONS_APP_ID})`
          : `app ${id}`;
    const sources = required.map((q) => `${describe(q.appId)} ${where(q.source)}`).join(' and ');
    const anySource = required.some((q) => q.appId === null || q.appId === undefined || q.appId === -1);
    const actions = required.some((q) => q.appId === GITHUB_ACTIONS_APP_ID);
    const why = wrongSource
      ? [
          anySource
            ? `A check accepted from any source passes when anything posts a successful ${code(APPROVALS_CHECK)}: a workflow a pull request adds or edits, with checks: write, can post one for its own head commit.`
            : '',
          actions
            ? `Every workflow run posts its checks as the GitHub Actions app, so a workflow a pull request adds or edits can post a passing ${code(APPROVALS_CHECK)} as that app.`
            : '',
          required.some(
            (q) => typeof q.appId === 'number' && q.appId !== -1 && q.appId !== GITHUB_ACTIONS_APP_ID,
          )
            ? `Whoever holds another app's key can post the verdict; jml's trusted approvals workflow posts as app ${appId}.`
            : '',
        ]
          .filter(Boolean)
          .join(' ')
      : `${code(APPROVALS_CHECK)} is where jml's approval rules (managers of record, entitlement owners, HR, security) are enforced; GitHub merges without it unless it is required.`;
    const click = classic
      ? `Settings → Branches → edit the rule for ${this.b} → "Require status checks to pass before merging" → ${wrongSource ? `${code(APPROVALS_CHECK)} → change its source to the app ${appId}` : `add ${code(APPROVALS_CHECK)} with the app ${appId} as its source`}.`
      : `${this.rulesetClick(target as Source & { kind: 'ruleset' })} → "Require status checks to pass" → ${wrongSource ? `${code(APPROVALS_CHECK)} → choose the app ${appId} as its source` : `Add checks → ${code(APPROVALS_CHECK)} with the app ${appId} as its source`}.`;
    const checks = [...others, { context: APPROVALS_CHECK, app_id: appId }];
    // A rule that requires no status check yet has nothing to PATCH: the whole protection is PUT.
    const put = classic && !this.s.protection?.required_status_checks;
    const api: ApiCall[] = classic
      ? [
          put
            ? this.protectionPut({ checks })
            : { method: 'PATCH', path: `${this.branchPath}/required_status_checks`, body: { checks } },
        ]
      : [
          this.rulesetPut(target as Source & { kind: 'ruleset' }, {
            rules: [OTHER_RULES, this.statusChecksRule(target.id, appId)],
          }),
        ];
    return {
      rule: wrongSource ? 'approvals-check-source' : 'approvals-check-not-required',
      check: 'protection',
      message: wrongSource
        ? `${this.b} requires ${code(APPROVALS_CHECK)} from ${sources}, not from the app ${appId} that policy/jml.yaml names (github.approvalsAppId).`
        : `${this.b} does not require the ${code(APPROVALS_CHECK)} check: a pull request can merge whatever jml's approval rules say.`,
      why,
      click,
      api,
      apiNote: put
        ? PROTECTION_PUT_NOTE
        : classic
          ? 'The call replaces the list of required checks; the body keeps the others as GitHub listed them.'
          : RULESET_NOTE,
    };
  }

  /** A ruleset's required_status_checks rule with jml/approvals from the app, its other checks kept. */
  private statusChecksRule(id: number, appId: number): unknown {
    const current = this.paramsOf(id, 'required_status_checks') ?? {
      strict_required_status_checks_policy: false,
    };
    const checks = ((current.required_status_checks ?? []) as { context: string }[]).filter(
      (c) => c.context !== APPROVALS_CHECK,
    );
    return {
      type: 'required_status_checks',
      parameters: {
        ...current,
        required_status_checks: [...checks, { context: APPROVALS_CHECK, integration_id: appId }],
      },
    };
  }

  /** Pull request required; a code owner's review; stale approvals dismissed; one approval at least. */
  reviews(): Finding[] {
    const classic = this.s.protection?.required_pull_request_reviews;
    const rules = this.s.rules
      .filter((r) => r.type === 'pull_request')
      .map((r) => (r.parameters ?? {}) as PullRequestParams);
    if (!classic && rules.length === 0) return [this.pullRequestNotRequired()];
    // Branch protection and every ruleset apply together: the strictest setting holds.
    const codeOwners =
      Boolean(classic?.require_code_owner_reviews) || rules.some((r) => r.require_code_owner_review);
    const dismiss =
      Boolean(classic?.dismiss_stale_reviews) || rules.some((r) => r.dismiss_stale_reviews_on_push);
    const count = Math.max(
      classic ? (classic.required_approving_review_count ?? 0) : 0,
      ...rules.map((r) => r.required_approving_review_count ?? 0),
    );
    const source = this.reviewSource();
    const fix = (
      rule: DoctorRule,
      message: string,
      why: string,
      box: string,
      classicBody: Record<string, unknown>,
      param: Record<string, unknown>,
    ): Finding => ({
      rule,
      check: 'reviews',
      message,
      why,
      click:
        source.kind === 'protection'
          ? `Settings → Branches → edit the rule for ${this.b} → under "Require a pull request before merging", ${box}.`
          : `${this.rulesetClick(source)} → under "Require a pull request before merging", ${box}.`,
      api:
        source.kind === 'protection'
          ? [{ method: 'PATCH', path: `${this.branchPath}/required_pull_request_reviews`, body: classicBody }]
          : [
              this.rulesetPut(source, {
                rules: [
                  OTHER_RULES,
                  {
                    type: 'pull_request',
                    parameters: { ...this.paramsOf(source.id, 'pull_request'), ...param },
                  },
                ],
              }),
            ],
      ...(source.kind === 'ruleset' ? { apiNote: RULESET_NOTE } : {}),
    });
    const out: Finding[] = [];
    if (!codeOwners)
      out.push(
        fix(
          'code-owner-review-off',
          `${this.b} does not require a code owner's review: GitHub merges on anyone's approval.`,
          "CODEOWNERS (generated by jml codeowners from people/ and roles/) names who owns each file; with this setting the owner must approve before GitHub merges. It is GitHub's own layer under jml/approvals, and the one that holds for files jml's rules do not read.",
          'tick "Require review from Code Owners"',
          { require_code_owner_reviews: true },
          { require_code_owner_review: true },
        ),
      );
    if (!dismiss)
      out.push(
        fix(
          'stale-approvals-kept',
          `${this.b} keeps approvals after a new push: an approval of an earlier commit still counts.`,
          'The author could push a different change after it was approved and merge it on the old approval. jml/approvals counts only approvals of the head commit; GitHub must not count the others either.',
          'tick "Dismiss stale pull request approvals when new commits are pushed"',
          { dismiss_stale_reviews: true },
          { dismiss_stale_reviews_on_push: true },
        ),
      );
    if (count < 1)
      out.push(
        fix(
          'no-required-approval',
          `${this.b} requires no approving review: GitHub merges a pull request nobody approved.`,
          'With no approval required, only the status checks stand between a pull request and main; the approval is the control an auditor samples.',
          'tick "Require approvals" and set "Required number of approvals before merging" to 1 or more',
          { required_approving_review_count: 1 },
          { required_approving_review_count: 1 },
        ),
      );
    return out;
  }

  private pullRequestNotRequired(): Finding {
    const ruleset = this.rulesetOf(this.s.rules[0]?.ruleset_id);
    const boxes =
      'tick "Require a pull request before merging" with "Require approvals" (1), "Dismiss stale pull request approvals when new commits are pushed" and "Require review from Code Owners"';
    const classic = this.s.protection !== null;
    return {
      rule: 'pull-request-not-required',
      check: 'reviews',
      message: `${this.b} is protected but does not require a pull request: a push to it changes access with no review.`,
      why: "The pull request is the approval: a direct push skips jml/approvals and every review, and changes access with nobody's approval.",
      click: classic
        ? `Settings → Branches → edit the rule for ${this.b} → ${boxes}.`
        : `${this.rulesetClick(ruleset)} → ${boxes}.`,
      api: classic
        ? [
            this.protectionPut({
              reviews: {
                dismiss_stale_reviews: true,
                require_code_owner_reviews: true,
                required_approving_review_count: 1,
              },
            }),
          ]
        : [
            this.rulesetPut(ruleset, {
              rules: [
                OTHER_RULES,
                {
                  type: 'pull_request',
                  parameters: {
                    dismiss_stale_reviews_on_push: true,
                    require_code_owner_review: true,
                    require_last_push_approval: false,
                    required_approving_review_count: 1,
                    required_review_thread_resolution: false,
                  },
                },
              ],
            }),
          ],
      apiNote: classic ? PROTECTION_PUT_NOTE : RULESET_NOTE,
    };
  }

  /** Administrators held to the rules; no pull request bypass allowances; no ruleset bypass actors. */
  bypass(): Finding[] {
    const out: Finding[] = [];
    const p = this.s.protection;
    if (p && !p.enforce_admins?.enabled)
      out.push({
        rule: 'admins-bypass',
        check: 'bypass',
        message: `Administrators can bypass the protection of ${this.b} (enforce_admins is off): they can merge without the approvals or a passing ${code(APPROVALS_CHECK)}, or push directly.`,
        why: "An administrator's merge without the required approvals changes access with nobody's approval; the record shows a merge, not an approval.",
        click: `Settings → Branches → edit the rule for ${this.b} → tick "Do not allow bypassing the above settings".`,
        api: [{ method: 'POST', path: `${this.branchPath}/enforce_admins` }],
      });
    const allowed = p?.required_pull_request_reviews?.bypass_pull_request_allowances;
    const actors = [
      ...(allowed?.users ?? []).map((u) => `@${u.login}`),
      ...(allowed?.teams ?? []).map((t) => `team ${t.slug}`),
      ...(allowed?.apps ?? []).flatMap((a) => (a ? [`app ${a.slug ?? a.name}`] : [])),
    ];
    if (actors.length)
      out.push({
        rule: 'review-bypass-allowed',
        check: 'bypass',
        message: `${actors.join(', ')} may bypass the pull request requirement on ${this.b}.`,
        why: 'Whoever may bypass it can merge a change to access that nobody approved.',
        click: `Settings → Branches → edit the rule for ${this.b} → untick "Allow specified actors to bypass required pull requests".`,
        api: [
          {
            method: 'PATCH',
            path: `${this.branchPath}/required_pull_request_reviews`,
            body: { bypass_pull_request_allowances: { users: [], teams: [], apps: [] } },
          },
        ],
      });
    const ids = [...new Set(this.s.rules.flatMap((r) => (r.ruleset_id === undefined ? [] : [r.ruleset_id])))];
    for (const id of ids.sort((a, b) => a - b)) {
      const answer = this.s.rulesets.find((r) => r.id === id);
      const ruleset = this.rulesetOf(id);
      if (!answer?.bypass_actors) {
        out.push({
          rule: 'ruleset-bypass-unknown',
          check: 'bypass',
          message: `doctor cannot see who may bypass ruleset "${ruleset.name}" (${id}): GitHub shows the bypass list only to a token that may edit the ruleset.`,
          why: `An actor on the bypass list can merge into ${this.b} without the approvals or a passing ${code(APPROVALS_CHECK)}.`,
          click: `${this.rulesetClick(ruleset)} → Bypass list: it should be empty.`,
          api: [
            { method: 'GET', path: `${this.repoPath}/rulesets/${id}` },
            this.rulesetPut(ruleset, { bypass_actors: [] }),
          ],
          apiNote:
            'Read it with a token that may edit the ruleset (Administration: write for a repository ruleset, an organisation owner for an organisation ruleset), and empty the list if it names anyone.',
        });
        continue;
      }
      if (answer.bypass_actors.length === 0) continue;
      out.push({
        rule: 'ruleset-bypass',
        check: 'bypass',
        message: `Ruleset "${ruleset.name}" (${id}) lets ${answer.bypass_actors.map(describeActor).join(', ')} bypass its rules on ${this.b}.`,
        why: `An actor on the bypass list can merge into ${this.b} without the approvals or a passing ${code(APPROVALS_CHECK)}, or push directly.`,
        click: `${this.rulesetClick(ruleset)} → Bypass list → remove every entry.`,
        api: [this.rulesetPut(ruleset, { bypass_actors: [] })],
      });
    }
    return out;
  }

  /** Every environment that holds a credential deploys from the branch only. */
  environments(): Finding[] {
    // GitHub's environment names are not case sensitive: one entry per name, GitHub's spelling first.
    const reasons = new Map<string, { name: string; why: string[] }>();
    const idToken = new Set<string>();
    const add = (env: string, why: string) => {
      const entry = reasons.get(env.toLowerCase()) ?? { name: env, why: [] };
      entry.why.push(why);
      reasons.set(env.toLowerCase(), entry);
    };
    for (const e of this.s.environments)
      if (e.secrets.length) add(e.name, `environment secrets ${e.secrets.join(', ')}`);
    for (const u of this.x.credentialUses) {
      add(u.environment, `${u.workflow} job ${u.job}: ${describeUse(u)}`);
      if (u.idToken) idToken.add(u.environment.toLowerCase());
    }
    const out: Finding[] = [];
    for (const key of [...reasons.keys()].sort()) {
      const { name, why: uses } = reasons.get(key)!;
      const env = this.s.environments.find((e) => e.name.toLowerCase() === key);
      const holds = `holds credentials (${uses.join('; ')})`;
      const envPath = `${this.repoPath}/environments/${encodeURIComponent(name)}`;
      const restrict: ApiCall[] = [
        {
          method: 'PUT',
          path: envPath,
          body: { deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } },
        },
        {
          method: 'POST',
          path: `${envPath}/deployment-branch-policies`,
          body: { name: this.s.branch, type: 'branch' },
        },
      ];
      const why = `Credentials must be usable only by jobs defined on ${this.b}, which a pull request cannot change; a job on any other branch runs code nobody approved.${
        idToken.has(key)
          ? ` The identity providers trust this environment's OIDC token (subject repo:${this.s.owner}/${this.s.repo}:environment:${name}) whatever branch asked for it.`
          : ''
      }`;
      const selected = `"Selected branches and tags" → Add deployment branch or tag rule → Ref type: Branch, Name pattern: ${this.s.branch}`;
      const policy = env?.exists ? env.deploymentBranchPolicy : null;
      if (!policy) {
        out.push({
          rule: 'environment-any-branch',
          check: 'environments',
          message: env?.exists
            ? `Environment ${code(name)} ${holds} and any branch may deploy to it.`
            : `Environment ${code(name)} ${holds} but does not exist on GitHub yet: the first job that names it creates it with no branch restriction.`,
          why,
          click: `Settings → Environments → ${env?.exists ? name : `New environment "${name}"`} → Deployment branches and tags → ${selected}.`,
          api: restrict,
        });
        continue;
      }
      if (policy.protected_branches) {
        out.push({
          rule: 'environment-protected-branches',
          check: 'environments',
          message: `Environment ${code(name)} ${holds} and accepts any protected branch: a branch protected for another reason (the evidence branch, say) can deploy to it.`,
          why,
          click: `Settings → Environments → ${name} → Deployment branches and tags → change "Protected branches only" to ${selected}.`,
          api: restrict,
        });
        continue;
      }
      const patterns = env!.branchPolicies;
      const isBranch = (p: { name?: string; type?: string }) =>
        p.name === this.s.branch && (p.type ?? 'branch') === 'branch';
      if (patterns.length === 1 && isBranch(patterns[0]!)) continue;
      const others = patterns.filter((p) => !isBranch(p));
      const listed = patterns.length
        ? patterns.map((p) => `${p.type ?? 'branch'} ${code(p.name ?? '?')}`).join(', ')
        : 'no branch at all';
      out.push({
        rule: 'environment-other-branches',
        check: 'environments',
        message: `Environment ${code(name)} ${holds} and accepts ${listed}, not ${this.b} only.`,
        why,
        click: `Settings → Environments → ${name} → Deployment branches and tags → remove every rule but Branch ${this.s.branch}${patterns.some(isBranch) ? '' : ', and add it'}.`,
        api: [
          ...others.map(
            (p): ApiCall => ({
              method: 'DELETE',
              path: `${envPath}/deployment-branch-policies/${p.id ?? '<id>'}`,
            }),
          ),
          ...(patterns.some(isBranch) ? [] : [restrict[1]!]),
        ],
      });
    }
    return out;
  }

  repositorySecrets(): Finding {
    const names = [...this.s.repositorySecrets].sort();
    // The environment a secret belongs in: the one whose jobs read it, when the workflows say.
    const home = (secret: string) =>
      this.x.credentialUses.find((u) => u.secrets.includes(secret))?.environment ?? '<environment>';
    return {
      rule: 'repository-secrets',
      check: 'repository-secrets',
      message: `${names.length} repository-level Actions secret${names.length === 1 ? '' : 's'} (${names.join(', ')}): a workflow on any branch can read ${names.length === 1 ? 'it' : 'them'}.`,
      why: `A repository secret is handed to any workflow run that names it, whatever its branch, so a pull request's own workflow, or a job that runs the pull request's code, can read it. A credential belongs to an environment that deploys from ${this.b} only.`,
      click:
        'Settings → Secrets and variables → Actions: add each repository secret as an environment secret of the environment whose jobs use it (Settings → Environments → the environment → Add environment secret), then delete the repository secret.',
      api: names.flatMap((n): ApiCall[] => [
        {
          method: 'PUT',
          path: `${this.repoPath}/environments/${encodeURIComponent(home(n))}/secrets/${n}`,
          body: {
            encrypted_value: '<the value sealed with the environment public key>',
            key_id: '<its key_id>',
          },
        },
        { method: 'DELETE', path: `${this.repoPath}/actions/secrets/${n}` },
      ]),
      apiNote: `GitHub takes a secret's value only sealed with the environment's public key (GET ${this.repoPath}/environments/ENV/secrets/public-key); \`gh secret set NAME --env ENV\` seals and sends it.`,
    };
  }

  actionsPullRequests(): Finding {
    return {
      rule: 'actions-cannot-open-pull-requests',
      check: 'actions-pull-requests',
      message: `GitHub Actions may not create pull requests in ${this.s.owner}/${this.s.repo} (can_approve_pull_request_reviews is false): jml's workflows cannot open theirs with the workflow's token.`,
      why: `jml's scheduled workflows propose changes as pull requests with the workflow's GITHUB_TOKEN (expired exceptions, access review remediation, HR sync without its bot token), so that a person approves each. The same GitHub setting lets a workflow approve a pull request; such an approval never counts in ${code(APPROVALS_CHECK)}, because github-actions[bot] is no person's github login, and CODEOWNERS, generated from people's logins, names no bot.`,
      click:
        'Settings → Actions → General → Workflow permissions → tick "Allow GitHub Actions to create and approve pull requests" → Save. If it is greyed out, the organisation has it off: the organisation\'s Settings → Actions → General.',
      api: [
        {
          method: 'PUT',
          path: `${this.repoPath}/actions/permissions/workflow`,
          body: { can_approve_pull_request_reviews: true },
        },
      ],
    };
  }

  // ---- the evidence branch ----------------------------------------------------------------------

  private get eb(): string {
    return code(this.s.evidence.branch);
  }

  private get evidencePath(): string {
    return `${this.repoPath}/branches/${encodeURIComponent(this.s.evidence.branch)}/protection`;
  }

  /** The approvals app as a ruleset bypass actor. */
  private get appActor(): { actor_id: number | string; actor_type: 'Integration'; bypass_mode: 'always' } {
    return { actor_id: this.appId, actor_type: 'Integration', bypass_mode: 'always' };
  }

  /**
   * The evidence branch: only the approvals app may push to it, and nobody may force-push or
   * delete it. Branch protection and every ruleset apply together, so one layer that lets the
   * app alone push (push restrictions naming only the app, with administrators held to them; or
   * a ruleset's `update` rule that only the app may bypass) is enough.
   */
  evidence(): Finding[] {
    const e = this.s.evidence;
    const p = e.protection;
    if (!p && e.rules.length === 0) return [this.evidenceUnprotected()];
    const layers = this.pushLayers();
    const out: Finding[] = [];
    if (!layers.some((l) => Array.isArray(l.others) && l.others.length === 0)) {
      const unknown = layers.filter((l) => l.others === 'unknown');
      out.push(unknown.length ? this.evidenceBypassUnknown(unknown) : this.evidenceWritable(layers));
    }
    if (this.x.approvalsAppId !== undefined) {
      const blocking = layers.filter((l) => l.appAllowed === false);
      if (blocking.length) out.push(this.evidenceAppBlocked(blocking));
    }
    const types = new Set(e.rules.map((r) => r.type));
    if (!(p && !p.allow_force_pushes?.enabled) && !types.has('non_fast_forward'))
      out.push(this.evidenceRuleOff('force-push'));
    if (!(p && !p.allow_deletions?.enabled) && !types.has('deletion'))
      out.push(this.evidenceRuleOff('deletion'));
    return out;
  }

  /** Who may push to the evidence branch through each layer that restricts it. */
  private pushLayers(): PushLayer[] {
    const e = this.s.evidence;
    const app = this.x.approvalsAppId;
    const layers: PushLayer[] = [];
    const p = e.protection;
    if (p) {
      const r = p.restrictions;
      const others = r
        ? [
            ...r.users.map((u) => `@${u.login}`),
            ...r.teams.map((t) => `team ${t.slug}`),
            ...r.apps
              .filter((a) => app === undefined || a.id !== app)
              .map((a) =>
                a.id === GITHUB_ACTIONS_APP_ID
                  ? `the GitHub Actions app (${GITHUB_ACTIONS_APP_ID}: any workflow run with contents: write)`
                  : `app ${a.slug ?? a.name ?? '?'}${a.id === undefined ? '' : ` (${a.id})`}`,
              ),
          ]
        : ['anyone with write access, GitHub Actions workflows with contents: write included'];
      if (!p.enforce_admins?.enabled) others.push('administrators and deploy keys (enforce_admins is off)');
      layers.push({
        source: { kind: 'protection' },
        others,
        appAllowed: !r || (app !== undefined && r.apps.some((a) => a.id === app)),
      });
    }
    const ids = [
      ...new Set(
        e.rules.flatMap((r) => (r.type === 'update' && r.ruleset_id !== undefined ? [r.ruleset_id] : [])),
      ),
    ].sort((a, b) => a - b);
    for (const id of ids) {
      const actors = this.s.rulesets.find((r) => r.id === id)?.bypass_actors;
      if (!actors) {
        layers.push({ source: this.rulesetOf(id), others: 'unknown', appAllowed: undefined });
        continue;
      }
      // An actor that may bypass on pull requests only cannot push directly.
      const pushers = actors.filter((a) => a.bypass_mode !== 'pull_request');
      const isApp = (a: (typeof actors)[number]) =>
        app !== undefined && a.actor_type === 'Integration' && a.actor_id === app;
      layers.push({
        source: this.rulesetOf(id),
        others: pushers.filter((a) => !isApp(a)).map(describeActor),
        appAllowed: pushers.some(isApp),
      });
    }
    return layers;
  }

  /** The app's slug, as push restrictions name apps: from the restrictions when they list it. */
  private get appSlug(): string {
    const app = this.x.approvalsAppId;
    const listed = this.s.evidence.protection?.restrictions?.apps.find(
      (a) => app !== undefined && a.id === app,
    );
    return listed?.slug ?? `<the slug of app ${this.appId}>`;
  }

  /** PUT of the evidence branch's whole classic protection, as it should be. */
  private evidenceProtectionPut(): ApiCall {
    return {
      method: 'PUT',
      path: this.evidencePath,
      body: {
        required_status_checks: null,
        enforce_admins: true,
        required_pull_request_reviews: null,
        restrictions: { users: [], teams: [], apps: [this.appSlug] },
        allow_force_pushes: false,
        allow_deletions: false,
        block_creations: true,
      },
    };
  }

  private get evidencePutNote(): string {
    return `PUT replaces the branch's whole protection; the evidence branch needs nothing else (a required check or pull request would stop the app's pushes too). Push restrictions name an app by its slug (its page is github.com/apps/<slug>) and exist in organisation repositories only; elsewhere use a branch ruleset targeting refs/heads/${this.s.evidence.branch} with the rules creation, update, deletion and non_fast_forward and the app as its only bypass actor (${JSON.stringify(this.appActor)}), POST ${this.repoPath}/rulesets. Needs a token with Administration: write.`;
  }

  private get evidenceClassicClick(): string {
    return `tick "Restrict who can push to matching branches" and list only the app ${this.appId} (no people, no teams), tick "Restrict pushes that create matching branches" and "Do not allow bypassing the above settings", and leave "Allow force pushes" and "Allow deletions" unticked`;
  }

  private evidenceUnprotected(): Finding {
    const e = this.s.evidence;
    return {
      rule: 'evidence-branch-unprotected',
      check: 'evidence-branch',
      message: e.exists
        ? `The evidence branch ${this.eb} has no branch protection and no ruleset applies to it: anyone with write access can push to it, rewrite it or delete it.`
        : `The evidence branch ${this.eb} does not exist yet and nothing protects its name: whoever creates it first writes records the workflows will read.`,
      why: EVIDENCE_WHY,
      click: `Settings → Branches → Add classic branch protection rule → Branch name pattern ${e.branch}: ${this.evidenceClassicClick}. Or Settings → Rules → Rulesets → New branch ruleset targeting ${e.branch}, Enforcement Active, with "Restrict creations", "Restrict updates", "Restrict deletions" and "Block force pushes", and the app ${this.appId} as its only bypass actor (Always allow).`,
      api: [this.evidenceProtectionPut()],
      apiNote: e.exists
        ? this.evidencePutNote
        : `${this.evidencePutNote} If GitHub answers 404 "Branch not found", protect it in the UI by name pattern, or with the ruleset, before the first apply creates it.`,
    };
  }

  /** The fix where pushes are decided: a ruleset's bypass list, else classic protection. */
  private pushFix(layers: PushLayer[]): Pick<Finding, 'click' | 'api' | 'apiNote'> {
    const ruleset = layers.find((l) => l.source.kind === 'ruleset' && l.others !== 'unknown');
    if (ruleset) {
      const src = ruleset.source as Source & { kind: 'ruleset' };
      return {
        click: `${this.rulesetClick(src)} → Bypass list → remove every entry but the app ${this.appId}, and add it (Always allow) if it is missing.`,
        api: [this.rulesetPut(src, { bypass_actors: [this.appActor] })],
      };
    }
    return {
      click: `Settings → Branches → ${this.s.evidence.protection ? `edit the rule for ${this.eb}` : `Add classic branch protection rule → Branch name pattern ${this.s.evidence.branch}`} → ${this.evidenceClassicClick}.`,
      api: [this.evidenceProtectionPut()],
      apiNote: this.evidencePutNote,
    };
  }

  private evidenceWritable(layers: PushLayer[]): Finding {
    const list = (xs: string[]) => xs.join(', ');
    const parts = layers.map((l) =>
      l.source.kind === 'protection'
        ? `branch protection lets ${list(l.others as string[])} push`
        : `ruleset "${l.source.name}" (${l.source.id}) restricts updates but lets ${list(l.others as string[])} bypass it`,
    );
    const who = parts.length
      ? parts.join('; ')
      : 'nothing restricts who can push to it (no push restrictions, no ruleset with "Restrict updates"): anyone with write access can, GitHub Actions workflows with contents: write included';
    return {
      rule: 'evidence-branch-writable',
      check: 'evidence-branch',
      message:
        this.x.approvalsAppId === undefined
          ? `policy/jml.yaml sets no github.approvalsAppId, so no app is known to be jml's, and the evidence branch ${this.eb} is writable by others: ${who}.`
          : `Others besides the approvals app ${this.appId} can push to the evidence branch ${this.eb}: ${who}.`,
      why: EVIDENCE_WHY,
      ...this.pushFix(layers),
    };
  }

  private evidenceBypassUnknown(layers: PushLayer[]): Finding {
    const rulesets = layers.map((l) => l.source as Source & { kind: 'ruleset' });
    return {
      rule: 'evidence-branch-bypass-unknown',
      check: 'evidence-branch',
      message: `doctor cannot see who may bypass ${rulesets.map((r) => `ruleset "${r.name}" (${r.id})`).join(', ')}, which restricts updates to the evidence branch ${this.eb}: GitHub shows the bypass list only to a token that may edit the ruleset.`,
      why: `${EVIDENCE_WHY} An actor on the bypass list may push to it.`,
      click: `${rulesets.map((r) => this.rulesetClick(r)).join('; ')} → Bypass list: only the app ${this.appId} (Always allow).`,
      api: rulesets.flatMap((r): ApiCall[] => [
        { method: 'GET', path: `${this.repoPath}/rulesets/${r.id}` },
        this.rulesetPut(r, { bypass_actors: [this.appActor] }),
      ]),
      apiNote: `Read it with a token that may edit the ruleset (Administration: write for a repository ruleset, an organisation owner for an organisation ruleset). Classic push restrictions on ${this.eb} do the same and are visible to doctor's read-only token.`,
    };
  }

  private evidenceAppBlocked(layers: PushLayer[]): Finding {
    const parts = layers.map((l) =>
      l.source.kind === 'protection'
        ? 'its branch protection restricts pushes and does not list the app'
        : `ruleset "${l.source.name}" (${l.source.id}) restricts updates and the app is not on its bypass list (Always allow)`,
    );
    return {
      rule: 'evidence-branch-app-blocked',
      check: 'evidence-branch',
      message: `The approvals app ${this.appId} cannot push to the evidence branch ${this.eb}: ${parts.join('; ')}.`,
      why: "The workflows push their apply records there with the approvals app's token: every run loses its record, and an emergency offboarding stops before it cuts, because its hold cannot be recorded first.",
      ...this.pushFix(layers),
    };
  }

  private evidenceRuleOff(what: 'force-push' | 'deletion'): Finding {
    const e = this.s.evidence;
    const force = what === 'force-push';
    const p = e.protection;
    const allowed = force ? p?.allow_force_pushes?.enabled : p?.allow_deletions?.enabled;
    const box = force ? '"Allow force pushes"' : '"Allow deletions"';
    const ruleType = force ? 'non_fast_forward' : 'deletion';
    const message = allowed
      ? `Branch protection of the evidence branch ${this.eb} allows ${force ? 'force pushes' : 'deleting it'} (${force ? 'allow_force_pushes' : 'allow_deletions'}).`
      : `Nothing stops ${force ? 'a force push to' : 'the deletion of'} the evidence branch ${this.eb}: ${force ? 'no classic protection blocks it and no ruleset has "Block force pushes"' : 'no classic protection blocks it and no ruleset has "Restrict deletions"'}.`;
    const why = force
      ? "A force push replaces the branch's history: records of earlier runs, offboarding holds included, vanish or change, and what an auditor samples is no longer what the workflows wrote."
      : 'Deleting the branch drops every record and every offboarding hold at once (a person cut off in an emergency gets their access back at the next apply), and whoever recreates it writes its first records.';
    const base = {
      rule: force ? ('evidence-branch-force-push' as const) : ('evidence-branch-deletion' as const),
      check: 'evidence-branch' as const,
      message,
      why,
    };
    if (p)
      return {
        ...base,
        click: `Settings → Branches → edit the rule for ${this.eb} → untick ${box}.`,
        api: [this.evidenceProtectionPut()],
        apiNote: this.evidencePutNote,
      };
    // Rulesets alone: add the rule to the one that restricts updates (else the first that applies).
    const id = (e.rules.find((r) => r.type === 'update') ?? e.rules[0])?.ruleset_id;
    const ruleset = this.rulesetOf(id);
    return {
      ...base,
      click: `${this.rulesetClick(ruleset)} → tick ${force ? '"Block force pushes"' : '"Restrict deletions"'}.`,
      api: [this.rulesetPut(ruleset, { rules: [OTHER_RULES, { type: ruleType }] })],
      apiNote: RULESET_NOTE,
    };
  }
}

/** A bypass actor in words. Repository role ids 2, 4, 5 are GitHub's maintain, write and admin. */
function describeActor(a: { actor_id?: number | null; actor_type: string; bypass_mode?: string }): string {
  const roles: Record<number, string> = { 2: 'maintain', 4: 'write', 5: 'admin' };
  const who =
    a.actor_type === 'OrganizationAdmin'
      ? 'organisation admins'
      : a.actor_type === 'DeployKey'
        ? 'deploy keys'
        : a.actor_type === 'RepositoryRole'
          ? `the repository role ${roles[a.actor_id ?? -1] ?? a.actor_id}`
          : a.actor_type === 'Integration'
            ? a.actor_id === GITHUB_ACTIONS_APP_ID
              ? `the GitHub Actions app (${GITHUB_ACTIONS_APP_ID})`
              : `app ${a.actor_id}`
            : `${a.actor_type.toLowerCase()} ${a.actor_id}`;
  return a.bypass_mode === 'pull_request' ? `${who} (on pull requests)` : who;
}
