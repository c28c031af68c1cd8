/**
 * `jml doctor` end to end: the CLI reads policy/jml.yaml and .github/workflows of a checkout and
 * the repository's settings from the GitHub fake (every answer checked against GitHub's own
 * description after each test). A correctly configured repository has no finding; each
 * misconfiguration yields exactly its finding, with what to click and the call that fixes it;
 * a token that may not read the settings is an error that says which permission it lacks.
 */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { DoctorReport, Finding } from '../../src/github/doctor/rules.js';
import { editYaml } from '../approvals/helpers.js';
import { cleanTempDirs, copyFixture, jml, writeRepoFile } from '../engine/helpers.js';
import type { GitHubFake, ProtectionSeed } from '../fakes/github/github-fake.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO, TOKEN } from '../fakes/github/harness.js';

/** The app the trusted approvals workflow posts jml/approvals as (policy github.approvalsAppId). */
const APP = 4242;
/** An installation token of the app doctor runs as, with the permissions docs/doctor.md names. */
const DOCTOR_TOKEN = 'ghs_doctorAppInstallationToken01';

const APPLY_WORKFLOW = `name: apply
on:
  push:
    branches: [main]
permissions: {}
jobs:
  apply:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      contents: read
      id-token: write
    steps:
      - run: npx jml apply --confirm
        env:
          OKTA_PRIVATE_KEY: \${{ secrets.OKTA_PRIVATE_KEY }}
          GITHUB_TOKEN: \${{ github.token }}
`;
const PR_WORKFLOW = `name: pull-request
on: pull_request
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - run: npx jml validate
`;

const GOOD_PROTECTION: ProtectionSeed = {
  checks: [{ context: 'jml/approvals', appId: APP }],
  enforceAdmins: true,
  reviews: { codeOwners: true, dismissStale: true, count: 1 },
};

/** The approvals app as push restrictions list it. */
const THE_APP = { id: APP, slug: 'jml-approvals', name: 'jml approvals' };
/** The GitHub Actions app: a workflow's own GITHUB_TOKEN pushes as it. */
const ACTIONS_APP = { id: 15368, slug: 'github-actions', name: 'GitHub Actions', owner: 'github' };
const EVIDENCE = 'jml-evidence';

/** The evidence branch: only the approvals app may push (administrators included), no force push, no deletion. */
const GOOD_EVIDENCE: ProtectionSeed = {
  enforceAdmins: true,
  restrictions: { apps: [THE_APP] },
  blockCreations: true,
};

let h: GitHubHarness;
let fake: GitHubFake;
let dir: string;

githubForEachTest((x) => {
  h = x;
  fake = x.fake;
});
afterAll(cleanTempDirs);

/** A checkout and a repository configured as the gate needs; each test then breaks one thing. */
beforeEach(() => {
  dir = copyFixture('org');
  editYaml(dir, 'policy/jml.yaml', (p) => {
    p.github = { approvalsAppId: APP };
  });
  writeRepoFile(dir, '.github/workflows/apply.yml', APPLY_WORKFLOW);
  writeRepoFile(dir, '.github/workflows/pull-request.yml', PR_WORKFLOW);
  fake.addToken(DOCTOR_TOKEN, 'jml-doctor[bot]');
  fake.setTokenPermissions(DOCTOR_TOKEN, { administration: 'read', secrets: 'read', environments: 'read' });
  fake.protectBranch(OWNER, REPO, 'main', GOOD_PROTECTION);
  fake.repo(OWNER, REPO).refs.set(`refs/heads/${EVIDENCE}`, 'e'.repeat(40));
  fake.protectBranch(OWNER, REPO, EVIDENCE, GOOD_EVIDENCE);
  fake.addEnvironment(OWNER, REPO, 'production', { branches: ['main'], secrets: ['OKTA_PRIVATE_KEY'] });
  fake.setWorkflowPermissions(OWNER, REPO, { can_approve_pull_request_reviews: true });
  process.env.GITHUB_TOKEN = DOCTOR_TOKEN;
});

async function doctor(...args: string[]) {
  return jml(dir, 'doctor', ...args);
}

async function report(...args: string[]): Promise<{ code: number; report: DoctorReport; err: string }> {
  const r = await doctor('--format', 'json', ...args);
  expect(r.err).toBe('');
  return { code: r.code, report: JSON.parse(r.out) as DoctorReport, err: r.err };
}

const fixText = (f: Finding) =>
  [f.message, f.click, ...f.api.map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body ?? null)}`)].join(
    '\n',
  );

describe('jml doctor on a correctly configured repository', () => {
  it('finds nothing with classic branch protection, and says each check holds', async () => {
    const r = await doctor();
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('jml doctor: acme/access, branch main: no finding');
    expect(r.out.match(/^ {2}ok {3}/gm)).toHaveLength(7);
    expect(r.out).toContain(
      '  ok   only the approvals app can push to jml-evidence, and nobody can force-push or delete it',
    );
  });

  it('finds nothing with rulesets instead: the check from the app, code owners, no bypass list', async () => {
    fake.repo(OWNER, REPO).settings.protection.delete('main');
    fake.addRuleset(OWNER, REPO, {
      name: 'main',
      rules: [
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
            required_status_checks: [{ context: 'jml/approvals', integration_id: APP }],
          },
        },
      ],
    });
    // Only a token that may edit a ruleset sees its bypass list.
    fake.setTokenPermissions(DOCTOR_TOKEN, {
      administration: 'write',
      secrets: 'read',
      environments: 'read',
    });
    const { code, report: out } = await report();
    expect(out.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('takes a required workflow in place of the app: a pull request cannot edit it', async () => {
    editYaml(dir, 'policy/jml.yaml', (p) => {
      delete p.github;
    });
    fake.protectBranch(OWNER, REPO, 'main', { ...GOOD_PROTECTION, checks: [] });
    fake.addRuleset(OWNER, REPO, {
      name: 'approvals workflow',
      rules: [
        {
          type: 'workflows',
          parameters: {
            workflows: [{ path: '.github/workflows/approvals.yml', repository_id: 1, ref: 'main' }],
          },
        },
      ],
    });
    fake.setTokenPermissions(DOCTOR_TOKEN, {
      administration: 'write',
      secrets: 'read',
      environments: 'read',
    });
    const { code, report: out } = await report();
    // The evidence branch still needs the app: only its id in policy says which app may push there.
    expect(out.findings.map((f) => f.rule)).toEqual(['evidence-branch-writable']);
    expect(code).toBe(2);
  });

  it('takes a ruleset on the evidence branch that only the app may bypass, in place of push restrictions', async () => {
    fake.repo(OWNER, REPO).settings.protection.delete(EVIDENCE);
    fake.addRuleset(OWNER, REPO, {
      name: 'evidence',
      include: [`refs/heads/${EVIDENCE}`],
      bypass: [{ actorType: 'Integration', actorId: APP, mode: 'always' }],
      rules: [{ type: 'creation' }, { type: 'update' }, { type: 'deletion' }, { type: 'non_fast_forward' }],
    });
    fake.setTokenPermissions(DOCTOR_TOKEN, {
      administration: 'write',
      secrets: 'read',
      environments: 'read',
    });
    const { code, report: out } = await report();
    expect(out.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('reads the evidence branch named by --evidence-branch, else JML_EVIDENCE_BRANCH', async () => {
    fake.repo(OWNER, REPO).refs.set('refs/heads/records', 'f'.repeat(40));
    fake.protectBranch(OWNER, REPO, 'records', GOOD_EVIDENCE);
    fake.repo(OWNER, REPO).settings.protection.delete(EVIDENCE);
    expect((await report('--evidence-branch', 'records')).report.findings).toEqual([]);
    process.env.JML_EVIDENCE_BRANCH = 'records';
    try {
      const { report: out } = await report();
      expect(out.evidenceBranch).toBe('records');
      expect(out.findings).toEqual([]);
    } finally {
      delete process.env.JML_EVIDENCE_BRANCH;
    }
  });
});

interface Row {
  name: string;
  breakIt: () => void;
  rule: string;
  /** Findings that follow from the same change, after it (none for most). */
  also?: string[];
  /** What the finding must say: its sentence, what to click and the call. */
  says: RegExp[];
}

const rows: Row[] = [
  {
    name: 'an unprotected branch, with no ruleset either',
    breakIt: () => fake.repo(OWNER, REPO).settings.protection.delete('main'),
    rule: 'branch-unprotected',
    says: [
      /anyone with write access can push/,
      /Add classic branch protection rule/,
      /PUT \/repos\/acme\/access\/branches\/main\/protection .*"app_id":4242/,
    ],
  },
  {
    name: 'no github.approvalsAppId in policy/jml.yaml and no required workflow',
    breakIt: () =>
      editYaml(dir, 'policy/jml.yaml', (p) => {
        delete p.github;
      }),
    rule: 'approvals-app-unset',
    // Without the app's id nothing says which app may push to the evidence branch either.
    also: ['evidence-branch-writable'],
    says: [
      /sets no github\.approvalsAppId/,
      /New GitHub App/,
      /Checks: Read and write/,
      /PATCH .*\/required_status_checks/,
    ],
  },
  {
    name: 'jml/approvals not required at all',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        checks: [{ context: 'ci', appId: 15368 }],
      }),
    rule: 'approvals-check-not-required',
    says: [
      /does not require the `jml\/approvals` check/,
      /add `jml\/approvals` with the app 4242/,
      /"checks":\[\{"context":"ci","app_id":15368\},\{"context":"jml\/approvals","app_id":4242\}\]/,
    ],
  },
  {
    name: 'jml/approvals required from any source (app_id null)',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        checks: [{ context: 'jml/approvals', appId: null }],
      }),
    rule: 'approvals-check-source',
    says: [
      /from any source in branch protection, not from the app 4242/,
      /change its source to the app 4242/,
    ],
  },
  {
    name: 'jml/approvals required from any source (app_id -1)',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        checks: [{ context: 'jml/approvals', appId: -1 }],
      }),
    rule: 'approvals-check-source',
    says: [/from any source/],
  },
  {
    name: 'jml/approvals required from the GitHub Actions app, which any workflow posts as',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        checks: [{ context: 'jml/approvals', appId: 15368 }],
      }),
    rule: 'approvals-check-source',
    says: [
      /from the GitHub Actions app \(15368\)/,
      /PATCH \/repos\/acme\/access\/branches\/main\/protection\/required_status_checks/,
    ],
  },
  {
    name: 'no pull request required',
    breakIt: () => fake.protectBranch(OWNER, REPO, 'main', { ...GOOD_PROTECTION, reviews: undefined }),
    rule: 'pull-request-not-required',
    says: [/does not require a pull request/, /tick "Require a pull request before merging"/],
  },
  {
    name: "no code owner's review required",
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        reviews: { codeOwners: false, dismissStale: true, count: 1 },
      }),
    rule: 'code-owner-review-off',
    says: [
      /Require review from Code Owners/,
      /PATCH .*required_pull_request_reviews \{"require_code_owner_reviews":true\}/,
    ],
  },
  {
    name: 'stale approvals kept after a push',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        reviews: { codeOwners: true, dismissStale: false, count: 1 },
      }),
    rule: 'stale-approvals-kept',
    says: [
      /Dismiss stale pull request approvals when new commits are pushed/,
      /\{"dismiss_stale_reviews":true\}/,
    ],
  },
  {
    name: 'no approving review required',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        reviews: { codeOwners: true, dismissStale: true, count: 0 },
      }),
    rule: 'no-required-approval',
    says: [/requires no approving review/, /\{"required_approving_review_count":1\}/],
  },
  {
    name: 'administrators may bypass',
    breakIt: () => fake.protectBranch(OWNER, REPO, 'main', { ...GOOD_PROTECTION, enforceAdmins: false }),
    rule: 'admins-bypass',
    says: [
      /enforce_admins is off/,
      /Do not allow bypassing the above settings/,
      /POST \/repos\/acme\/access\/branches\/main\/protection\/enforce_admins/,
    ],
  },
  {
    name: 'a user allowed to bypass the pull request requirement',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, 'main', {
        ...GOOD_PROTECTION,
        reviews: { codeOwners: true, dismissStale: true, count: 1, bypassUsers: ['dana-admin'] },
      }),
    rule: 'review-bypass-allowed',
    says: [/@dana-admin may bypass/, /Allow specified actors to bypass required pull requests/],
  },
  {
    name: 'a ruleset whose bypass list names the admin role',
    breakIt: () => {
      fake.setTokenPermissions(DOCTOR_TOKEN, {
        administration: 'write',
        secrets: 'read',
        environments: 'read',
      });
      fake.addRuleset(OWNER, REPO, {
        name: 'no deletion',
        bypass: [{ actorType: 'RepositoryRole', actorId: 5, mode: 'always' }],
        rules: [{ type: 'deletion' }],
      });
    },
    rule: 'ruleset-bypass',
    says: [
      /Ruleset "no deletion" \(\d+\) lets the repository role admin bypass/,
      /Bypass list → remove every entry/,
      /PUT \/repos\/acme\/access\/rulesets\/\d+ \{"bypass_actors":\[\]\}/,
    ],
  },
  {
    name: 'a ruleset whose bypass list the token may not see',
    breakIt: () => fake.addRuleset(OWNER, REPO, { name: 'no deletion', rules: [{ type: 'deletion' }] }),
    rule: 'ruleset-bypass-unknown',
    says: [/cannot see who may bypass ruleset "no deletion"/, /Bypass list: it should be empty/],
  },
  {
    name: 'an environment with credentials that any branch may deploy to',
    breakIt: () =>
      fake.addEnvironment(OWNER, REPO, 'production', { branches: null, secrets: ['OKTA_PRIVATE_KEY'] }),
    rule: 'environment-any-branch',
    says: [
      /`production` holds credentials \(environment secrets OKTA_PRIVATE_KEY; \.github\/workflows\/apply\.yml job apply: secrets\.OKTA_PRIVATE_KEY, id-token: write\) and any branch may deploy/,
      /Selected branches and tags/,
      /POST \/repos\/acme\/access\/environments\/production\/deployment-branch-policies \{"name":"main","type":"branch"\}/,
    ],
  },
  {
    name: 'an environment that accepts any protected branch',
    breakIt: () =>
      fake.addEnvironment(OWNER, REPO, 'production', {
        branches: 'protected',
        secrets: ['OKTA_PRIVATE_KEY'],
      }),
    rule: 'environment-protected-branches',
    says: [/accepts any protected branch/, /change "Protected branches only"/],
  },
  {
    name: 'an environment that accepts release branches and tags too',
    breakIt: () =>
      fake.addEnvironment(OWNER, REPO, 'production', {
        branches: ['main', 'release/*', { name: 'v*', type: 'tag' }],
        secrets: ['OKTA_PRIVATE_KEY'],
      }),
    rule: 'environment-other-branches',
    says: [
      /accepts branch `main`, branch `release\/\*`, tag `v\*`, not `main` only/,
      /DELETE \/repos\/acme\/access\/environments\/production\/deployment-branch-policies\/\d+/,
    ],
  },
  {
    name: 'an environment a workflow names that GitHub does not have yet',
    breakIt: () => fake.repo(OWNER, REPO).settings.environments.clear(),
    rule: 'environment-any-branch',
    says: [/does not exist on GitHub yet/, /New environment "production"/],
  },
  {
    name: 'an environment with secrets that no workflow names',
    breakIt: () => fake.addEnvironment(OWNER, REPO, 'staging', { secrets: ['ENTRA_CLIENT_SECRET'] }),
    rule: 'environment-any-branch',
    says: [/`staging` holds credentials \(environment secrets ENTRA_CLIENT_SECRET\)/],
  },
  {
    name: 'a repository-level secret',
    breakIt: () => fake.addRepositorySecret(OWNER, REPO, 'OKTA_PRIVATE_KEY'),
    rule: 'repository-secrets',
    says: [
      /1 repository-level Actions secret \(OKTA_PRIVATE_KEY\): a workflow on any branch can read it/,
      /PUT \/repos\/acme\/access\/environments\/production\/secrets\/OKTA_PRIVATE_KEY/,
      /DELETE \/repos\/acme\/access\/actions\/secrets\/OKTA_PRIVATE_KEY/,
    ],
  },
  {
    name: 'GitHub Actions not allowed to open pull requests',
    breakIt: () => fake.setWorkflowPermissions(OWNER, REPO, { can_approve_pull_request_reviews: false }),
    rule: 'actions-cannot-open-pull-requests',
    says: [
      /Allow GitHub Actions to create and approve pull requests/,
      /PUT \/repos\/acme\/access\/actions\/permissions\/workflow \{"can_approve_pull_request_reviews":true\}/,
    ],
  },
  {
    name: 'an evidence branch with no protection and no ruleset',
    breakIt: () => fake.repo(OWNER, REPO).settings.protection.delete(EVIDENCE),
    rule: 'evidence-branch-unprotected',
    says: [
      /The evidence branch `jml-evidence` has no branch protection and no ruleset applies to it/,
      /Restrict who can push to matching branches" and list only the app 4242/,
      /PUT \/repos\/acme\/access\/branches\/jml-evidence\/protection .*"restrictions":\{"users":\[\],"teams":\[\],"apps":\["<the slug of app 4242>"\]\}/,
      /"allow_force_pushes":false,"allow_deletions":false/,
    ],
  },
  {
    name: 'an evidence branch that does not exist yet, nothing protecting its name',
    breakIt: () => {
      fake.repo(OWNER, REPO).refs.delete(`refs/heads/${EVIDENCE}`);
      fake.repo(OWNER, REPO).settings.protection.delete(EVIDENCE);
    },
    rule: 'evidence-branch-unprotected',
    says: [/`jml-evidence` does not exist yet/, /Branch name pattern jml-evidence/],
  },
  {
    name: "an evidence branch the GitHub Actions app may push to (any workflow's own token)",
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, EVIDENCE, {
        ...GOOD_EVIDENCE,
        restrictions: { apps: [THE_APP, ACTIONS_APP] },
      }),
    rule: 'evidence-branch-writable',
    says: [
      /Others besides the approvals app 4242 can push to the evidence branch `jml-evidence`: branch protection lets the GitHub Actions app \(15368: any workflow run with contents: write\) push/,
      /"apps":\["jml-approvals"\]/,
    ],
  },
  {
    name: 'an evidence branch that users and teams may push to',
    breakIt: () => {
      fake.addTeam(OWNER, 'it-ops', ['erin-it']);
      fake.protectBranch(OWNER, REPO, EVIDENCE, {
        ...GOOD_EVIDENCE,
        restrictions: { users: ['dana-admin'], teams: ['it-ops'], apps: [THE_APP] },
      });
    },
    rule: 'evidence-branch-writable',
    says: [
      /branch protection lets @dana-admin, team it-ops push/,
      /list only the app 4242 \(no people, no teams\)/,
      /"restrictions":\{"users":\[\],"teams":\[\],"apps":\["jml-approvals"\]\}/,
    ],
  },
  {
    name: 'an evidence branch protected without push restrictions: anyone with write access may push',
    breakIt: () => fake.protectBranch(OWNER, REPO, EVIDENCE, { enforceAdmins: true }),
    rule: 'evidence-branch-writable',
    says: [/anyone with write access, GitHub Actions workflows with contents: write included/],
  },
  {
    name: 'an evidence branch whose push restrictions administrators bypass',
    breakIt: () => fake.protectBranch(OWNER, REPO, EVIDENCE, { ...GOOD_EVIDENCE, enforceAdmins: false }),
    rule: 'evidence-branch-writable',
    says: [/administrators and deploy keys \(enforce_admins is off\)/, /"enforce_admins":true/],
  },
  {
    name: 'an evidence branch whose push restrictions leave out the app itself',
    breakIt: () =>
      fake.protectBranch(OWNER, REPO, EVIDENCE, { ...GOOD_EVIDENCE, restrictions: { apps: [] } }),
    rule: 'evidence-branch-app-blocked',
    says: [/The approvals app 4242 cannot push to the evidence branch `jml-evidence`/],
  },
  {
    name: 'an evidence branch that allows force pushes',
    breakIt: () => fake.protectBranch(OWNER, REPO, EVIDENCE, { ...GOOD_EVIDENCE, allowForcePushes: true }),
    rule: 'evidence-branch-force-push',
    says: [
      /allows force pushes \(allow_force_pushes\)/,
      /untick "Allow force pushes"/,
      /"allow_force_pushes":false/,
    ],
  },
  {
    name: 'an evidence branch that allows deletion',
    breakIt: () => fake.protectBranch(OWNER, REPO, EVIDENCE, { ...GOOD_EVIDENCE, allowDeletions: true }),
    rule: 'evidence-branch-deletion',
    says: [/allows deleting it \(allow_deletions\)/, /untick "Allow deletions"/, /"allow_deletions":false/],
  },
  {
    name: 'an evidence branch ruleset whose bypass list the token may not see',
    breakIt: () => {
      fake.repo(OWNER, REPO).settings.protection.delete(EVIDENCE);
      fake.addRuleset(OWNER, REPO, {
        name: 'evidence',
        include: [`refs/heads/${EVIDENCE}`],
        bypass: [{ actorType: 'Integration', actorId: APP }],
        rules: [{ type: 'update' }, { type: 'deletion' }, { type: 'non_fast_forward' }],
      });
    },
    rule: 'evidence-branch-bypass-unknown',
    says: [/cannot see who may bypass ruleset "evidence" \(\d+\), which restricts updates/],
  },
];

describe('jml doctor finds each misconfiguration, and only it', () => {
  it.each(rows)('$name: $rule', async (row) => {
    row.breakIt();
    const { code, report: out } = await report();
    expect(out.findings.map((f) => f.rule)).toEqual([row.rule, ...(row.also ?? [])]);
    expect(code).toBe(2);
    const text = fixText(out.findings[0]!);
    for (const re of row.says) expect(text).toMatch(re);
  });

  it('reports no review or bypass finding on an unprotected branch: protecting it comes first', async () => {
    fake.repo(OWNER, REPO).settings.protection.delete('main');
    const r = await doctor();
    expect(r.code).toBe(2);
    expect(r.out).toContain('n/a  a code owner');
    expect(r.out).toContain('(protect the branch first)');
  });

  it('holds when branch protection accepts any source but a ruleset requires the app: both apply', async () => {
    fake.protectBranch(OWNER, REPO, 'main', {
      ...GOOD_PROTECTION,
      checks: [{ context: 'jml/approvals', appId: null }],
    });
    fake.setTokenPermissions(DOCTOR_TOKEN, {
      administration: 'write',
      secrets: 'read',
      environments: 'read',
    });
    fake.addRuleset(OWNER, REPO, {
      name: 'approvals',
      rules: [
        {
          type: 'required_status_checks',
          parameters: {
            strict_required_status_checks_policy: false,
            required_status_checks: [{ context: 'jml/approvals', integration_id: APP }],
          },
        },
      ],
    });
    const { code, report: out } = await report();
    expect(out.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it('reads every page: 120 environments and 130 repository secrets', async () => {
    for (let i = 0; i < 119; i++)
      fake.addEnvironment(OWNER, REPO, `env-${String(i).padStart(3, '0')}`, { branches: ['main'] });
    fake.addEnvironment(OWNER, REPO, 'zz-last', { secrets: ['LAST_ONE'] });
    for (let i = 0; i < 130; i++) fake.addRepositorySecret(OWNER, REPO, `S${i}`);
    const { report: out } = await report();
    expect(out.findings.map((f) => f.rule)).toEqual(['environment-any-branch', 'repository-secrets']);
    expect(out.findings[0]!.message).toContain('`zz-last`');
    expect(out.findings[1]!.message).toMatch(/^130 repository-level Actions secrets/);
  });

  it('checks another branch with --branch', async () => {
    fake.repo(OWNER, REPO).refs.set('refs/heads/trunk', 'a'.repeat(40));
    const { report: out } = await report('--branch', 'trunk');
    expect(out.branch).toBe('trunk');
    expect(out.findings.map((f) => f.rule)).toEqual(['branch-unprotected', 'environment-other-branches']);
  });

  it('says so when the branch does not exist', async () => {
    const r = await doctor('--branch', 'no-such-branch');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^jml: doctor: there is no branch no-such-branch in acme\/access \(GitHub answered 404 "Branch not found"\); give --branch/,
    );
  });
});

describe('jml doctor with a token that may not read the settings', () => {
  it("refuses the workflow's own GITHUB_TOKEN and says what permission to use instead", async () => {
    process.env.GITHUB_TOKEN = TOKEN; // github-actions[bot]: the Actions GITHUB_TOKEN
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain('jml: doctor cannot read the branch protection of main of acme/access');
    expect(r.err).toContain('403 "Resource not accessible by integration"');
    expect(r.err).toContain('GitHub says the token needs administration=read');
    expect(r.err).toContain('It needs Administration: read.');
    expect(r.err).toContain(
      "The workflow's own GITHUB_TOKEN can never hold Administration, Secrets or Environments",
    );
  });

  it('names Secrets: read for an app token without it', async () => {
    fake.setTokenPermissions(DOCTOR_TOKEN, { administration: 'read', environments: 'read' });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read the repository secrets');
    expect(r.err).toContain('It needs Secrets: read.');
  });

  it('names Environments: read for an app token without it', async () => {
    fake.setTokenPermissions(DOCTOR_TOKEN, { administration: 'read', secrets: 'read' });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot read the secrets of environment production');
    expect(r.err).toContain('It needs Environments: read.');
  });

  it('says what to set when there is no token at all', async () => {
    delete process.env.GITHUB_TOKEN;
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.err).toContain('GITHUB_TOKEN (or GH_TOKEN) and GITHUB_REPOSITORY must be set');
    expect(r.err).toContain('Administration: read, Secrets: read, Environments: read');
    expect(h.fake.requests).toHaveLength(0);
  });

  it('says the token is wrong, and never prints it', async () => {
    process.env.GITHUB_TOKEN = 'ghp_notATokenTheFakeKnows000';
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/401 "Bad credentials": the token is wrong or expired/);
    expect(r.err + r.out).not.toContain('ghp_notATokenTheFakeKnows000');
  });
});

describe('jml doctor renders text, markdown and json', () => {
  beforeEach(() => {
    fake.protectBranch(OWNER, REPO, 'main', {
      ...GOOD_PROTECTION,
      checks: [{ context: 'jml/approvals', appId: 15368 }],
    });
  });

  it('text: each check, then the finding with why, what to click and the call', async () => {
    const r = await doctor();
    expect(r.code).toBe(2);
    expect(r.out).toContain('jml doctor: acme/access, branch main: 1 finding');
    expect(r.out).toContain(
      '  FAIL main is protected and requires jml/approvals from the right source (approvals-check-source)',
    );
    expect(r.out).toContain(
      '[approvals-check-source] main requires jml/approvals from the GitHub Actions app (15368) in branch protection, not from the app 4242',
    );
    expect(r.out).toMatch(/^ {2}Why: Every workflow run posts its checks as the GitHub Actions app/m);
    expect(r.out).toMatch(/^ {2}In GitHub: Settings → Branches → edit the rule for main/m);
    expect(r.out).toContain(
      '  By API: PATCH /repos/acme/access/branches/main/protection/required_status_checks {"checks":[{"context":"jml/approvals","app_id":4242}]}',
    );
    expect(r.out).not.toContain('`');
  });

  it('markdown: a section the drift issue can carry', async () => {
    const r = await doctor('--format', 'markdown');
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^### jml doctor: 1 finding in the GitHub settings the approval gate relies on\n/);
    expect(r.out).toContain('- ❌ `main` is protected and requires jml/approvals from the right source');
    expect(r.out).toContain('- ✅ environments holding credentials deploy from `main` only');
    expect(r.out).toContain(
      '#### `approvals-check-source`: `main` requires `jml/approvals` from the GitHub Actions app (15368)',
    );
    expect(r.out).toContain(
      '```\nPATCH /repos/acme/access/branches/main/protection/required_status_checks\n{"checks":[{"context":"jml/approvals","app_id":4242}]}\n```',
    );
  });

  it('json: a version, the checks and the findings as data', async () => {
    const r = await doctor('--format', 'json');
    expect(r.code).toBe(2);
    const out = JSON.parse(r.out) as DoctorReport & { version: number };
    expect(out.version).toBe(1);
    expect(out).toMatchObject({ repository: 'acme/access', branch: 'main', approvalsAppId: APP });
    expect(out.checks.map((c) => [c.id, c.status])).toEqual([
      ['protection', 'findings'],
      ['reviews', 'ok'],
      ['bypass', 'ok'],
      ['environments', 'ok'],
      ['repository-secrets', 'ok'],
      ['actions-pull-requests', 'ok'],
      ['evidence-branch', 'ok'],
    ]);
    expect(out.evidenceBranch).toBe(EVIDENCE);
    expect(out.findings[0]!.api[0]).toEqual({
      method: 'PATCH',
      path: '/repos/acme/access/branches/main/protection/required_status_checks',
      body: { checks: [{ context: 'jml/approvals', app_id: APP }] },
    });
  });

  it('markdown with no finding says every check holds', async () => {
    fake.protectBranch(OWNER, REPO, 'main', GOOD_PROTECTION);
    const r = await doctor('--format', 'markdown');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^### jml doctor: no finding in the GitHub settings/);
    expect(r.out.match(/^- ✅ /gm)).toHaveLength(7);
  });
});
