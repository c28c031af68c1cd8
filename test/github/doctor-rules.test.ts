/**
 * `jml doctor`'s rules as pure functions: from GitHub's answers (built here, no server) to
 * findings; and which environments the workflows hand credentials to. The end-to-end table of
 * misconfigurations is in doctor.test.ts; these are the cases that table does not reach.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkGate,
  type EvidenceBranchAnswer,
  type GateExpectations,
  type GateSettings,
  type RuleAnswer,
} from '../../src/github/doctor/rules.js';
import { readWorkflowCredentials } from '../../src/github/doctor/workflows.js';
import { REPO_ROOT } from '../engine/helpers.js';

const APP = 4242;

/** The evidence branch as it should be: push restricted to the approvals app, admins included. */
function goodEvidence(over: Partial<EvidenceBranchAnswer> = {}): EvidenceBranchAnswer {
  return {
    branch: 'jml-evidence',
    exists: true,
    protection: {
      enforce_admins: { enabled: true },
      restrictions: {
        users: [],
        teams: [],
        apps: [{ id: APP, slug: 'jml-approvals', name: 'jml approvals' }],
      },
      allow_force_pushes: { enabled: false },
      allow_deletions: { enabled: false },
    },
    rules: [],
    ...over,
  };
}

/** A repository configured as the gate needs: rulesets only, so each test can vary one rule. */
function settings(over: Partial<GateSettings> = {}): GateSettings {
  return {
    owner: 'acme',
    repo: 'access',
    branch: 'main',
    protection: null,
    rules: [
      {
        type: 'pull_request',
        ruleset_id: 7,
        ruleset_source: 'acme/access',
        ruleset_source_type: 'Repository',
        parameters: {
          dismiss_stale_reviews_on_push: true,
          require_code_owner_review: true,
          require_last_push_approval: false,
          required_approving_review_count: 1,
          required_review_thread_resolution: false,
        },
      },
      {
        type: 'required_status_checks',
        ruleset_id: 7,
        ruleset_source: 'acme/access',
        ruleset_source_type: 'Repository',
        parameters: {
          strict_required_status_checks_policy: true,
          required_status_checks: [
            { context: 'ci', integration_id: 15368 },
            { context: 'jml/approvals', integration_id: APP },
          ],
        },
      },
    ],
    rulesets: [{ id: 7, name: 'main', source_type: 'Repository', bypass_actors: [] }],
    environments: [],
    repositorySecrets: [],
    workflowPermissions: { default_workflow_permissions: 'read', can_approve_pull_request_reviews: true },
    evidence: goodEvidence(),
    ...over,
  };
}

const rulesOf = (s: GateSettings, x: GateExpectations = { approvalsAppId: APP, credentialUses: [] }) =>
  checkGate(s, x).findings.map((f) => f.rule);

describe('doctor rules', () => {
  it('find nothing in a repository protected by a ruleset alone', () => {
    expect(rulesOf(settings())).toEqual([]);
  });

  it('fix a ruleset by PUT of its rules, keeping its other checks and parameters', () => {
    const s = settings();
    const checks = s.rules[1]!.parameters as { required_status_checks: { integration_id: number }[] };
    checks.required_status_checks[1]!.integration_id = 15368;
    const [f] = checkGate(s, { approvalsAppId: APP, credentialUses: [] }).findings;
    expect(f!.rule).toBe('approvals-check-source');
    expect(f!.message).toContain(
      'from the GitHub Actions app (15368) in ruleset "main", not from the app 4242',
    );
    expect(f!.click).toMatch(/^Settings → Rules → Rulesets → main → "Require status checks to pass"/);
    expect(f!.api).toEqual([
      {
        method: 'PUT',
        path: '/repos/acme/access/rulesets/7',
        body: {
          rules: [
            "<the ruleset's other rules, unchanged>",
            {
              type: 'required_status_checks',
              parameters: {
                strict_required_status_checks_policy: true,
                required_status_checks: [
                  { context: 'ci', integration_id: 15368 },
                  { context: 'jml/approvals', integration_id: APP },
                ],
              },
            },
          ],
        },
      },
    ]);
  });

  it("fix an organisation's ruleset at the organisation", () => {
    const s = settings({
      rules: settings().rules.map(
        (r): RuleAnswer => ({ ...r, ruleset_source: 'acme', ruleset_source_type: 'Organization' }),
      ),
      rulesets: [
        {
          id: 7,
          name: 'org baseline',
          source_type: 'Organization',
          bypass_actors: [{ actor_id: 1, actor_type: 'OrganizationAdmin', bypass_mode: 'pull_request' }],
        },
      ],
    });
    const [f] = checkGate(s, { approvalsAppId: APP, credentialUses: [] }).findings;
    expect(f!.rule).toBe('ruleset-bypass');
    expect(f!.message).toBe(
      'Ruleset "org baseline" (7) lets organisation admins (on pull requests) bypass its rules on `main`.',
    );
    expect(f!.click).toMatch(/^the organisation's Settings → Rules → Rulesets → org baseline/);
    expect(f!.api[0]).toMatchObject({
      method: 'PUT',
      path: '/orgs/acme/rulesets/7',
      body: { bypass_actors: [] },
    });
  });

  it('take the strictest of branch protection and rulesets: a ruleset requiring code owners is enough', () => {
    const s = settings({
      protection: {
        required_status_checks: { checks: [], contexts: [] },
        enforce_admins: { enabled: true },
        required_pull_request_reviews: {
          dismiss_stale_reviews: false,
          require_code_owner_reviews: false,
          required_approving_review_count: 0,
        },
      },
    });
    expect(rulesOf(s)).toEqual([]);
  });

  it('name each bypass actor: the admin role, the Actions app, deploy keys', () => {
    const s = settings({
      rulesets: [
        {
          id: 7,
          name: 'main',
          bypass_actors: [
            { actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'always' },
            { actor_id: 15368, actor_type: 'Integration', bypass_mode: 'always' },
            { actor_id: null, actor_type: 'DeployKey', bypass_mode: 'always' },
          ],
        },
      ],
    });
    const [f] = checkGate(s, { approvalsAppId: APP, credentialUses: [] }).findings;
    expect(f!.message).toBe(
      'Ruleset "main" (7) lets the repository role admin, the GitHub Actions app (15368), deploy keys bypass its rules on `main`.',
    );
  });

  it('accept a required workflow in place of the app, with no app id in policy', () => {
    const s = settings({
      rules: [
        settings().rules[0]!,
        {
          type: 'workflows',
          ruleset_id: 7,
          parameters: { workflows: [{ path: '.github/workflows/approvals.yml', repository_id: 1 }] },
        },
      ],
    });
    // The evidence branch still needs the app: only its id in policy says which app may push there.
    expect(rulesOf(s, { credentialUses: [] })).toEqual(['evidence-branch-writable']);
  });

  it('accept an environment that deploys from main only, and no other', () => {
    const env = (branchPolicies: GateSettings['environments'][number]['branchPolicies']) =>
      settings({
        environments: [
          {
            name: 'production',
            exists: true,
            deploymentBranchPolicy: { protected_branches: false, custom_branch_policies: true },
            branchPolicies,
            secrets: ['KEY'],
          },
        ],
      });
    expect(rulesOf(env([{ id: 1, name: 'main', type: 'branch' }]))).toEqual([]);
    expect(rulesOf(env([{ id: 1, name: 'main', type: 'tag' }]))).toEqual(['environment-other-branches']);
    expect(rulesOf(env([{ id: 1, name: 'ma*', type: 'branch' }]))).toEqual(['environment-other-branches']);
    const none = checkGate(env([]), { approvalsAppId: APP, credentialUses: [] }).findings[0]!;
    expect(none.message).toContain('accepts no branch at all, not `main` only');
    expect(none.api).toEqual([
      {
        method: 'POST',
        path: '/repos/acme/access/environments/production/deployment-branch-policies',
        body: { name: 'main', type: 'branch' },
      },
    ]);
  });

  it('match environment names as GitHub does, whatever their case', () => {
    const s = settings({
      environments: [
        {
          name: 'production',
          exists: true,
          deploymentBranchPolicy: { protected_branches: false, custom_branch_policies: true },
          branchPolicies: [{ id: 1, name: 'main', type: 'branch' }],
          secrets: [],
        },
      ],
    });
    const use = {
      workflow: 'w.yml',
      job: 'a',
      environment: 'Production',
      secrets: ['K'],
      inheritsSecrets: false,
      idToken: true,
    };
    expect(rulesOf(s, { approvalsAppId: APP, credentialUses: [use] })).toEqual([]);
  });

  it('leave an environment without credentials alone, whatever its branch policy', () => {
    const s = settings({
      environments: [
        { name: 'docs', exists: true, deploymentBranchPolicy: null, branchPolicies: [], secrets: [] },
      ],
    });
    expect(rulesOf(s)).toEqual([]);
  });

  it('say why an OIDC environment matters: the identity provider trusts its subject', () => {
    const [f] = checkGate(settings(), {
      approvalsAppId: APP,
      credentialUses: [
        {
          workflow: 'w.yml',
          job: 'plan',
          environment: 'plan',
          secrets: [],
          inheritsSecrets: false,
          idToken: true,
        },
      ],
    }).findings;
    expect(f!.rule).toBe('environment-any-branch');
    expect(f!.why).toContain('subject repo:acme/access:environment:plan');
  });
});

describe('the evidence branch: only the approvals app may push, no force push, no deletion', () => {
  /** A ruleset (id 9) on the evidence branch with these rules and bypass list. */
  const byRuleset = (
    types: string[],
    bypass: GateSettings['rulesets'][number]['bypass_actors'],
    source: 'Repository' | 'Organization' = 'Repository',
  ): Partial<GateSettings> => ({
    evidence: goodEvidence({
      protection: null,
      rules: types.map((type) => ({
        type,
        ruleset_id: 9,
        ruleset_source: source === 'Repository' ? 'acme/access' : 'acme',
        ruleset_source_type: source,
      })),
    }),
    rulesets: [
      ...settings().rulesets,
      { id: 9, name: 'evidence', source_type: source, ...(bypass ? { bypass_actors: bypass } : {}) },
    ],
  });
  const ALL = ['creation', 'update', 'deletion', 'non_fast_forward'];
  const theApp = { actor_id: APP, actor_type: 'Integration', bypass_mode: 'always' };

  it('find nothing when a ruleset restricts updates to the app alone and blocks force pushes and deletion', () => {
    expect(rulesOf(settings(byRuleset(ALL, [theApp])))).toEqual([]);
  });

  it("say so when GitHub hides the ruleset's bypass list (a token that may not edit it)", () => {
    const [f, ...rest] = checkGate(settings(byRuleset(ALL, undefined)), {
      approvalsAppId: APP,
      credentialUses: [],
    }).findings;
    expect(rest).toEqual([]);
    expect(f!.rule).toBe('evidence-branch-bypass-unknown');
    expect(f!.message).toContain(
      'ruleset "evidence" (9), which restricts updates to the evidence branch `jml-evidence`',
    );
    expect(f!.api.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /repos/acme/access/rulesets/9',
      'PUT /repos/acme/access/rulesets/9',
    ]);
  });

  it('name whoever else may bypass the update restriction, and fix the bypass list to the app alone', () => {
    const s = settings(
      byRuleset(
        ALL,
        [theApp, { actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'always' }],
        'Organization',
      ),
    );
    const [f, ...rest] = checkGate(s, { approvalsAppId: APP, credentialUses: [] }).findings;
    expect(rest).toEqual([]);
    expect(f!.rule).toBe('evidence-branch-writable');
    expect(f!.message).toBe(
      'Others besides the approvals app 4242 can push to the evidence branch `jml-evidence`: ruleset "evidence" (9) restricts updates but lets the repository role admin bypass it.',
    );
    expect(f!.click).toMatch(/^the organisation's Settings → Rules → Rulesets → evidence → Bypass list/);
    expect(f!.api).toEqual([
      {
        method: 'PUT',
        path: '/orgs/acme/rulesets/9',
        body: { bypass_actors: [{ actor_id: APP, actor_type: 'Integration', bypass_mode: 'always' }] },
      },
    ]);
  });

  it('do not count an actor that may bypass on pull requests only: it cannot push', () => {
    const onPulls = { actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'pull_request' };
    expect(rulesOf(settings(byRuleset(ALL, [theApp, onPulls])))).toEqual([]);
  });

  it('say when the app itself may not push: the workflows would lose their records', () => {
    const [f, ...rest] = checkGate(settings(byRuleset(ALL, [])), {
      approvalsAppId: APP,
      credentialUses: [],
    }).findings;
    expect(rest).toEqual([]);
    expect(f!.rule).toBe('evidence-branch-app-blocked');
    expect(f!.message).toContain(
      'ruleset "evidence" (9) restricts updates and the app is not on its bypass list',
    );
    expect(f!.why).toContain('an emergency offboarding stops before it cuts');
  });

  it('add Block force pushes and Restrict deletions to the ruleset that restricts updates', () => {
    const findings = checkGate(settings(byRuleset(['update'], [theApp])), {
      approvalsAppId: APP,
      credentialUses: [],
    }).findings;
    expect(findings.map((f) => f.rule)).toEqual(['evidence-branch-force-push', 'evidence-branch-deletion']);
    expect(findings.map((f) => f.api)).toEqual([
      [
        {
          method: 'PUT',
          path: '/repos/acme/access/rulesets/9',
          body: { rules: ["<the ruleset's other rules, unchanged>", { type: 'non_fast_forward' }] },
        },
      ],
      [
        {
          method: 'PUT',
          path: '/repos/acme/access/rulesets/9',
          body: { rules: ["<the ruleset's other rules, unchanged>", { type: 'deletion' }] },
        },
      ],
    ]);
  });

  it('take one layer that lets the app alone push as enough: push restrictions beside a ruleset anyone bypasses', () => {
    const s = settings(
      byRuleset(ALL, [{ actor_id: 4, actor_type: 'RepositoryRole', bypass_mode: 'always' }]),
    );
    s.evidence.protection = goodEvidence().protection;
    // The ruleset still keeps the app out: its bypass list does not name it.
    expect(rulesOf(s)).toEqual(['evidence-branch-app-blocked']);
    s.rulesets[1]!.bypass_actors!.push(theApp);
    expect(rulesOf(s)).toEqual([]);
  });

  it("with no app id in policy, cannot call any app jml's", () => {
    const findings = checkGate(settings(), { credentialUses: [] }).findings;
    expect(findings.map((f) => f.rule)).toEqual(['approvals-app-unset', 'evidence-branch-writable']);
    expect(findings[1]!.message).toMatch(/^policy\/jml\.yaml sets no github\.approvalsAppId/);
    expect(findings[1]!.message).toContain('app jml-approvals (4242)');
  });

  it('a branch that does not exist yet: whoever creates it first writes its records', () => {
    const s = settings({ evidence: goodEvidence({ exists: false, protection: null }) });
    const [f, ...rest] = checkGate(s, { approvalsAppId: APP, credentialUses: [] }).findings;
    expect(rest).toEqual([]);
    expect(f!.rule).toBe('evidence-branch-unprotected');
    expect(f!.message).toContain('does not exist yet');
    expect(f!.apiNote).toContain('404 "Branch not found"');
    expect(f!.api[0]).toMatchObject({
      method: 'PUT',
      path: '/repos/acme/access/branches/jml-evidence/protection',
      body: {
        restrictions: { users: [], teams: [], apps: ['<the slug of app 4242>'] },
        enforce_admins: true,
      },
    });
  });

  it("fix push restrictions with the app's slug when they list it already", () => {
    const s = settings();
    s.evidence.protection!.restrictions!.users.push({ login: 'dana-admin' });
    const [f] = checkGate(s, { approvalsAppId: APP, credentialUses: [] }).findings;
    expect(f!.rule).toBe('evidence-branch-writable');
    expect(f!.api[0]!.body).toMatchObject({
      restrictions: { users: [], teams: [], apps: ['jml-approvals'] },
    });
  });
});

describe('which environments the workflows hand credentials to', () => {
  const read = (text: string) => readWorkflowCredentials([{ path: 'w.yml', text }]);

  it('a job in an environment reading a secret, or granted id-token: write', () => {
    const { uses, notes } = read(`
on: push
jobs:
  a:
    environment: production
    steps:
      - run: echo
        env: { KEY: "\${{ secrets.OKTA_PRIVATE_KEY }}", T: "\${{ secrets.GITHUB_TOKEN }}", X: "\${{ secrets['WEIRD-NAME'] }}" }
  b:
    environment: { name: plan, url: https://example.com }
    permissions: { id-token: write }
  c:
    environment: docs
    steps: [{ run: echo }]
  d:
    steps: [{ run: "echo \${{ secrets.NO_ENVIRONMENT }}" }]
  e:
    uses: ./.github/workflows/reusable.yml
    secrets: inherit
`);
    expect(notes).toEqual([]);
    expect(uses).toEqual([
      {
        workflow: 'w.yml',
        job: 'a',
        environment: 'production',
        secrets: ['OKTA_PRIVATE_KEY', 'WEIRD-NAME'],
        inheritsSecrets: false,
        idToken: false,
      },
      {
        workflow: 'w.yml',
        job: 'b',
        environment: 'plan',
        secrets: [],
        inheritsSecrets: false,
        idToken: true,
      },
    ]);
  });

  it("the workflow's permissions and env reach a job that sets none of its own", () => {
    const { uses } = read(`
permissions: write-all
env: { K: "\${{ secrets.SHARED }}" }
jobs:
  inherits: { environment: production, steps: [{ run: echo }] }
  narrows: { environment: staging, permissions: { contents: read }, steps: [{ run: echo }] }
`);
    expect(uses.map((u) => [u.job, u.secrets, u.idToken])).toEqual([
      ['inherits', ['SHARED'], true],
      ['narrows', ['SHARED'], false],
    ]);
  });

  it('notes what it cannot read: an environment chosen by an expression, a file that is not YAML', () => {
    const { uses, notes } = readWorkflowCredentials([
      {
        path: 'a.yml',
        text: `jobs:\n  x:\n    environment: \${{ inputs.env }}\n    permissions: { id-token: write }\n`,
      },
      { path: 'b.yml', text: 'jobs: [unclosed\n' },
    ]);
    expect(uses).toEqual([]);
    expect(notes).toEqual([
      expect.stringMatching(/^a\.yml job x chooses its environment by an expression/),
      expect.stringMatching(/^b\.yml does not parse as YAML/),
    ]);
  });

  it("finds the credential environments of this repository's own workflows", () => {
    const dir = path.join(REPO_ROOT, '.github/workflows');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => ({ path: `.github/workflows/${f}`, text: readFileSync(path.join(dir, f), 'utf8') }));
    const { uses, notes } = readWorkflowCredentials(files);
    expect(notes).toEqual([]);
    const environments = new Set(uses.map((u) => u.environment));
    expect(environments.has('production')).toBe(true);
    expect(uses.find((u) => u.workflow.endsWith('apply.yml'))).toMatchObject({
      environment: 'production',
      idToken: true,
    });
  });
});

describe('the fixes', () => {
  it("send bodies GitHub's description documents for the call (where the vendored description has it)", async () => {
    const { default: Ajv } = await import('ajv');
    const { toJsonSchema } = await import('../fakes/openapi.js');
    const { githubSpec } = await import('../fakes/github/harness.js');
    const spec = githubSpec();
    const broken = settings({
      rules: [],
      protection: null,
      evidence: goodEvidence({ protection: null }),
      environments: [
        { name: 'plan', exists: true, deploymentBranchPolicy: null, branchPolicies: [], secrets: ['K'] },
      ],
      workflowPermissions: { default_workflow_permissions: 'read', can_approve_pull_request_reviews: false },
    });
    const calls = checkGate(broken, { approvalsAppId: APP, credentialUses: [] }).findings.flatMap(
      (f) => f.api,
    );
    const checked: string[] = [];
    for (const call of calls) {
      const template = spec.operation(call.method, call.path);
      // PUT protection takes `checks` in place of the deprecated `contexts`, which the description
      // still calls required (GitHub refuses a body with both): see rules.ts. The evidence
      // branch's protection requires no check (null), so its body is checked.
      const body = call.body as { required_status_checks?: unknown } | undefined;
      if (!template || (template.endsWith('/protection') && body?.required_status_checks !== null)) continue;
      const op = spec.spec.paths[template]![call.method.toLowerCase()] as {
        requestBody?: { content: { 'application/json': { schema: unknown } } };
      };
      const validate = new Ajv.default({ strict: false }).compile(
        toJsonSchema(op.requestBody!.content['application/json'].schema) as object,
      );
      expect(validate(call.body), `${call.method} ${template}: ${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
      checked.push(`${call.method} ${template}`);
    }
    expect(checked).toEqual([
      'PUT /repos/{owner}/{repo}/environments/{environment_name}',
      'POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
      'PUT /repos/{owner}/{repo}/actions/permissions/workflow',
      'PUT /repos/{owner}/{repo}/branches/{branch}/protection',
    ]);
  });
});
