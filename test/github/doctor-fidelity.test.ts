/**
 * The repository-settings routes of the GitHub fake (what `jml doctor` reads) say what GitHub
 * says: each is an operation in GitHub's OpenAPI description (the vendored subset, plus the two
 * cut unchanged into github-rest-extra.json), each was exercised here, and every body it answered
 * validates against the documented response. Beside that, the behaviour the description cannot
 * show: 404 "Branch not protected" and "Branch not found", push restrictions left out of the
 * protection answer while they are off, 403 with the permission GitHub wanted, a bypass list
 * hidden from a token that may not edit the ruleset, and paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GitHubHarness,
  githubSpec,
  OWNER,
  REPO,
  specMismatches,
  startGitHub,
  TOKEN,
} from '../fakes/github/harness.js';

const spec = githubSpec();
const R = `/repos/${OWNER}/${REPO}`;
const ADMIN = 'ghs_adminWriteInstallationToken0';
const READER = 'ghs_readOnlyInstallationToken000';

let h: GitHubHarness;

async function call(path: string, token = ADMIN) {
  const res = await fetch(h.fake.url + path, {
    headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json' },
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

beforeAll(async () => {
  h = await startGitHub();
  const { fake } = h;
  fake.addToken(ADMIN, 'admin-app[bot]');
  fake.setTokenPermissions(ADMIN, { administration: 'write', secrets: 'read', environments: 'read' });
  fake.addToken(READER, 'reader-app[bot]');
  fake.setTokenPermissions(READER, { administration: 'read', secrets: 'read', environments: 'read' });
  fake.repo(OWNER, REPO).refs.set('refs/heads/open', 'a'.repeat(40));
  fake.protectBranch(OWNER, REPO, 'main', {
    checks: [
      { context: 'jml/approvals', appId: 4242 },
      { context: 'ci', appId: null },
    ],
    strict: true,
    enforceAdmins: true,
    reviews: { codeOwners: true, dismissStale: true, count: 2, bypassUsers: ['dana-admin'] },
  });
  fake.addRuleset(OWNER, REPO, {
    name: 'main',
    bypass: [
      { actorType: 'RepositoryRole', actorId: 5, mode: 'always' },
      { actorType: 'DeployKey', actorId: null },
    ],
    rules: [
      { type: 'deletion' },
      { type: 'non_fast_forward' },
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
      {
        type: 'required_status_checks',
        parameters: {
          strict_required_status_checks_policy: false,
          required_status_checks: [{ context: 'jml/approvals', integration_id: 4242 }],
        },
      },
      {
        type: 'workflows',
        parameters: {
          workflows: [{ path: '.github/workflows/approvals.yml', repository_id: 1, ref: 'main' }],
        },
      },
    ],
  });
  // The evidence branch: push restricted to users, a team and apps (the Actions app too).
  fake.repo(OWNER, REPO).refs.set('refs/heads/jml-evidence', 'e'.repeat(40));
  fake.addTeam(OWNER, 'it-ops', ['erin-it']);
  fake.protectBranch(OWNER, REPO, 'jml-evidence', {
    enforceAdmins: true,
    restrictions: {
      users: ['erin-it'],
      teams: ['it-ops'],
      apps: [
        { id: 4242, slug: 'jml-approvals', name: 'jml approvals' },
        { id: 15368, slug: 'github-actions', name: 'GitHub Actions', owner: 'github' },
      ],
    },
    blockCreations: true,
    allowForcePushes: true,
  });
  fake.addRuleset(OWNER, REPO, {
    name: 'release branches',
    include: ['refs/heads/release-*'],
    rules: [{ type: 'deletion' }],
  });
  fake.addRuleset(OWNER, REPO, { name: 'trial', enforcement: 'evaluate', rules: [{ type: 'deletion' }] });
  fake.addEnvironment(OWNER, REPO, 'production', {
    branches: ['main', { name: 'v*', type: 'tag' }],
    secrets: ['OKTA_PRIVATE_KEY'],
  });
  fake.addEnvironment(OWNER, REPO, 'plan', { branches: 'protected' });
  fake.addEnvironment(OWNER, REPO, 'sandbox');
  fake.addRepositorySecret(OWNER, REPO, 'LEFTOVER');
  fake.setWorkflowPermissions(OWNER, REPO, { default_workflow_permissions: 'write' });

  // Through the client (Octokit), as jml doctor reads.
  const { GitHubClient } = await import('../../src/github/client.js');
  const client = new GitHubClient({ token: ADMIN, baseUrl: fake.url });
  await client.branchProtection(OWNER, REPO, 'main');
  await client.branchProtection(OWNER, REPO, 'open');
  await client.branchProtection(OWNER, REPO, 'jml-evidence');
  await client.branchRules(OWNER, REPO, 'main');
  const [first] = await client.branchRules(OWNER, REPO, 'main');
  await client.repositoryRuleset(OWNER, REPO, first!.ruleset_id!);
  for (const e of await client.environmentsOf(OWNER, REPO)) {
    await client.environmentSecretNames(OWNER, REPO, e.name);
    await client.deploymentBranchPolicies(OWNER, REPO, e.name);
  }
  await client.repositorySecretNames(OWNER, REPO);
  await client.workflowPermissions(OWNER, REPO);
});

afterAll(async () => {
  await h.close();
});

describe('the GitHub fake: repository settings', () => {
  it('serves only operations GitHub documents, and each was exercised', () => {
    const problems: string[] = [];
    for (const route of h.fake.settingsServed) {
      const hits = h.fake.requests.filter(
        (r) => r.method === route.method && route.path.test(decodeURIComponent(r.path.split('?')[0]!)),
      );
      if (hits.length === 0) problems.push(`${route.method} ${route.path.source}: not exercised`);
      for (const hit of hits)
        if (!spec.operation(hit.method, hit.path))
          problems.push(`${hit.method} ${hit.path} is not documented`);
    }
    expect(problems).toEqual([]);
    expect(h.fake.settingsServed).toHaveLength(8);
  });

  it('answers branch protection as GitHub does: the checks with their apps, reviews, admins', async () => {
    const r = await call(`${R}/branches/main/protection`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      required_status_checks: {
        strict: true,
        contexts: ['jml/approvals', 'ci'],
        checks: [
          { context: 'jml/approvals', app_id: 4242 },
          { context: 'ci', app_id: null },
        ],
      },
      enforce_admins: { enabled: true },
      required_pull_request_reviews: {
        dismiss_stale_reviews: true,
        require_code_owner_reviews: true,
        required_approving_review_count: 2,
        bypass_pull_request_allowances: { users: [expect.objectContaining({ login: 'dana-admin' })] },
      },
    });
  });

  it('answers push restrictions as GitHub does: users, teams and apps, only while they are on', async () => {
    const r = await call(`${R}/branches/jml-evidence/protection`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      enforce_admins: { enabled: true },
      restrictions: {
        url: expect.stringMatching(/\/branches\/jml-evidence\/protection\/restrictions$/),
        users: [expect.objectContaining({ login: 'erin-it' })],
        teams: [expect.objectContaining({ slug: 'it-ops', name: 'it-ops' })],
        apps: [
          expect.objectContaining({ id: 4242, slug: 'jml-approvals' }),
          expect.objectContaining({
            id: 15368,
            slug: 'github-actions',
            owner: expect.objectContaining({ login: 'github' }),
          }),
        ],
      },
      allow_force_pushes: { enabled: true },
      allow_deletions: { enabled: false },
      block_creations: { enabled: true },
    });
    // Not "restrictions": null: the field is left out while anyone with write access may push.
    expect((await call(`${R}/branches/main/protection`)).body).not.toHaveProperty('restrictions');
  });

  it('answers 404 "Branch not protected", and "Branch not found" for a branch that does not exist', async () => {
    const open = await call(`${R}/branches/open/protection`);
    expect(open.status).toBe(404);
    expect(open.body).toMatchObject({ message: 'Branch not protected' });
    const missing = await call(`${R}/branches/nope/protection`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ message: 'Branch not found' });
  });

  it('answers 403 with the permission it wanted to a token without it', async () => {
    for (const [path, wanted] of [
      [`${R}/branches/main/protection`, 'administration=read'],
      [`${R}/actions/permissions/workflow`, 'administration=read'],
      [`${R}/actions/secrets`, 'secrets=read'],
      [`${R}/environments/production/secrets`, 'environments=read'],
    ] as const) {
      const r = await call(path, TOKEN);
      expect(r.status, path).toBe(403);
      expect(r.body).toMatchObject({ message: 'Resource not accessible by integration', status: '403' });
      expect(r.headers.get('x-accepted-github-permissions')).toBe(wanted);
    }
    // Rules, environments and their branch policies need only read access.
    for (const path of [
      `${R}/rules/branches/main`,
      `${R}/environments`,
      `${R}/environments/production/deployment-branch-policies`,
    ])
      expect((await call(path, TOKEN)).status, path).toBe(200);
  });

  it('lists the active rules that apply to a branch, each naming its ruleset; evaluate-only rulesets do not count', async () => {
    const main = await call(`${R}/rules/branches/main`);
    const rules = main.body as unknown as { type: string; ruleset_id: number; ruleset_source: string }[];
    expect(rules.map((r) => r.type)).toEqual([
      'deletion',
      'non_fast_forward',
      'pull_request',
      'required_status_checks',
      'workflows',
    ]);
    expect(new Set(rules.map((r) => r.ruleset_source))).toEqual(new Set([`${OWNER}/${REPO}`]));
    const release = (await call(`${R}/rules/branches/release-2027`)).body as unknown as { type: string }[];
    expect(release.map((r) => r.type)).toEqual(['deletion']);
    expect((await call(`${R}/rules/branches/feature`)).body).toEqual([]);
  });

  it("shows a ruleset's bypass list only to a token that may edit it", async () => {
    const [rule] = (await call(`${R}/rules/branches/main`)).body as unknown as { ruleset_id: number }[];
    const admin = await call(`${R}/rulesets/${rule!.ruleset_id}`);
    expect(admin.body).toMatchObject({
      name: 'main',
      bypass_actors: [
        { actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'always' },
        { actor_id: null, actor_type: 'DeployKey', bypass_mode: 'always' },
      ],
    });
    const reader = await call(`${R}/rulesets/${rule!.ruleset_id}`, READER);
    expect(reader.status).toBe(200);
    expect(reader.body).not.toHaveProperty('bypass_actors');
    expect((await call(`${R}/rulesets/999999`)).status).toBe(404);
  });

  it('answers environments with their deployment branch policy, and pages them', async () => {
    const all = await call(`${R}/environments`);
    const envs = (all.body as { environments: { name: string; deployment_branch_policy: unknown }[] })
      .environments;
    expect(envs.map((e) => [e.name, e.deployment_branch_policy])).toEqual([
      ['plan', { protected_branches: true, custom_branch_policies: false }],
      ['production', { protected_branches: false, custom_branch_policies: true }],
      ['sandbox', null],
    ]);
    const page = await call(`${R}/environments?per_page=1&page=2`);
    expect(page.body).toMatchObject({ total_count: 3, environments: [{ name: 'production' }] });
    expect(page.headers.get('link')).toMatch(/rel="next".*rel="last".*rel="first"/);
    const policies = await call(`${R}/environments/production/deployment-branch-policies`);
    expect(policies.body).toMatchObject({
      total_count: 2,
      branch_policies: [
        { name: 'main', type: 'branch' },
        { name: 'v*', type: 'tag' },
      ],
    });
    expect((await call(`${R}/environments/nope/secrets`)).status).toBe(404);
    expect((await call(`${R}/environments/nope/deployment-branch-policies`)).status).toBe(404);
  });

  it('answers secrets by name only, and the workflow permissions', async () => {
    expect((await call(`${R}/environments/production/secrets`)).body).toMatchObject({
      total_count: 1,
      secrets: [{ name: 'OKTA_PRIVATE_KEY' }],
    });
    expect((await call(`${R}/actions/secrets`)).body).toMatchObject({
      total_count: 1,
      secrets: [{ name: 'LEFTOVER' }],
    });
    expect((await call(`${R}/actions/permissions/workflow`)).body).toEqual({
      default_workflow_permissions: 'write',
      can_approve_pull_request_reviews: false,
    });
  });

  it('refuses a seed it does not understand, loudly', () => {
    expect(() => h.fake.addRuleset(OWNER, REPO, { name: 'x', rules: [{ type: 'teleport' }] })).toThrow(
      /knows no ruleset rule of type teleport/,
    );
    expect(() => h.fake.addRuleset(OWNER, REPO, { name: 'x', include: ['main'], rules: [] })).toThrow(
      /refs\/heads/,
    );
    expect(() => h.fake.setTokenPermissions('ghs_unknown', {})).toThrow(/addToken first/);
    expect(() =>
      h.fake.protectBranch(OWNER, REPO, 'jml-evidence', { restrictions: { teams: ['nobody'] } }),
    ).toThrow(/addTeam first/);
    expect(() => h.fake.protectBranch(OWNER, REPO, 'jml-evidence', { blockCreations: true })).toThrow(
      /needs restrictions/,
    );
  });

  it('answers bodies that validate against the documented response schemas', () => {
    const mine = h.fake.answers.filter((a) =>
      h.fake.settingsServed.some(
        (r) => r.method === a.method && r.path.test(decodeURIComponent(a.path.split('?')[0]!)),
      ),
    );
    expect(mine.length).toBeGreaterThan(30);
    expect(specMismatches(h.fake)).toEqual([]);
    // The check can fail: a protection answer without its required fields is caught.
    expect(
      spec.validate('GET', `${R}/branches/main/protection`, 200, {
        required_status_checks: { checks: [{}] },
      }),
    ).not.toEqual([]);
    // ... and push restrictions without their lists.
    expect(
      spec.validate('GET', `${R}/branches/main/protection`, 200, { restrictions: { users: [] } }),
    ).not.toEqual([]);
    expect(spec.validate('GET', `${R}/environments/production/secrets`, 200, { secrets: [] })).not.toEqual(
      [],
    );
  });
});
