/**
 * engine: `jml doctor`, the GitHub settings the approval gate relies on and the repository's files
 * cannot enforce (branch protection or rulesets and where the `jml/approvals` check must come
 * from, who may bypass them, environments and secrets, whether Actions may open pull requests,
 * and that only the approvals app may push to the evidence branch the offboarding holds are read
 * from). Reads policy/jml.yaml (github.approvalsAppId) and .github/workflows of the checkout,
 * then GitHub through its port; the rules themselves are pure (src/github/doctor/rules.ts).
 * A token that may not read the settings is an error that says which permission it lacks.
 * Octokit and the rules are loaded only when doctor runs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { GitHubClient } from '../github/client.js';
import type {
  DoctorReport,
  EnvironmentAnswer,
  EvidenceBranchAnswer,
  GateSettings,
} from '../github/doctor/rules.js';
import { indexCheckout } from './checkout.js';
import type { EngineContext } from './context.js';
import type { OpenGitHub } from './github-steps.js';

/** What to run doctor with: said whenever the token is missing or refused. */
export const DOCTOR_TOKEN_ADVICE =
  "jml doctor needs a token that may read the repository's settings: a GitHub App installation token with the repository permissions Administration: read, Secrets: read, Environments: read and Metadata: read (mint it in the workflow, for example with actions/create-github-app-token), or a fine-grained personal access token of a repository administrator with the same. The workflow's own GITHUB_TOKEN can never hold Administration, Secrets or Environments.";

/** What doctor reads on GitHub: the repository settings the approval gate relies on. */
export type GateReads = Pick<
  GitHubClient,
  | 'branchProtection'
  | 'branchRules'
  | 'repositoryRuleset'
  | 'environmentsOf'
  | 'deploymentBranchPolicies'
  | 'environmentSecretNames'
  | 'repositorySecretNames'
  | 'workflowPermissions'
>;

/** The permission each read needs, as GitHub names it. */
const NEEDS = {
  protection: 'Administration: read',
  workflowPermissions: 'Administration: read',
  repositorySecrets: 'Secrets: read',
  environmentSecrets: 'Environments: read',
  read: 'read access to the repository (Metadata: read)',
} as const;

/** The workflow files of the checkout, relative paths and texts. */
function readWorkflowFiles(root: string): { path: string; text: string }[] {
  const dir = path.join(root, '.github', 'workflows');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ path: `.github/workflows/${f}`, text: readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * A GitHub refusal in words a person can act on: what could not be read, what GitHub said, and
 * the permission the token needs. Other failures pass through unchanged.
 */
async function refusal(
  e: unknown,
  what: string,
  needs: string,
  where: { repository: string; branch: string },
): Promise<unknown> {
  const { repository, branch } = where;
  const { GitHubError } = await import('../github/client.js');
  if (!(e instanceof GitHubError)) return e;
  const said = `GitHub answered ${e.status} "${e.githubMessage}"`;
  const wanted = e.details.find((d) => d.startsWith('the token needs '));
  if (e.status === 404 && /branch not found/i.test(e.githubMessage))
    return new Error(
      `doctor: there is no branch ${branch} in ${repository} (${said}); give --branch the branch pull requests merge into.`,
    );
  if (e.status === 401)
    return new Error(
      `doctor cannot read ${what} of ${repository}: ${said}: the token is wrong or expired. ${DOCTOR_TOKEN_ADVICE}`,
    );
  // A token that may not see branch protection gets 404 "Not Found" from GitHub, not 403.
  const refused =
    (e.status === 403 && !/rate limit/i.test(e.githubMessage)) ||
    (e.status === 404 && needs === NEEDS.protection && !/branch not protected/i.test(e.githubMessage));
  if (!refused) return e;
  return new Error(
    `doctor cannot read ${what} of ${repository}: ${said}${wanted ? ` (GitHub says ${wanted})` : ''}. It needs ${needs}. ${DOCTOR_TOKEN_ADVICE}`,
  );
}

/** The branch the workflows keep the apply records on (scripts/ci/keep-evidence.sh's default). */
export const EVIDENCE_BRANCH = 'jml-evidence';

/**
 * The evidence branch's classic protection and rules. Unlike the branch pull requests merge
 * into, it may not exist yet (the first apply creates it): that is something to judge, not an
 * error.
 */
async function readEvidenceBranch(
  client: Pick<GateReads, 'branchProtection' | 'branchRules'>,
  owner: string,
  repo: string,
  branch: string,
  read: <T>(what: string, needs: string, fn: () => Promise<T>) => Promise<T>,
): Promise<EvidenceBranchAnswer> {
  const { GitHubError } = await import('../github/client.js');
  const { exists, protection } = await read(
    `the branch protection of ${branch}`,
    NEEDS.protection,
    async () => {
      try {
        return { exists: true, protection: await client.branchProtection(owner, repo, branch) };
      } catch (e) {
        if (e instanceof GitHubError && e.status === 404 && /branch not found/i.test(e.githubMessage))
          return { exists: false, protection: null };
        throw e;
      }
    },
  );
  const rules = await read(`the rules of ${branch}`, NEEDS.read, () =>
    client.branchRules(owner, repo, branch),
  );
  return { branch, exists, protection, rules };
}

/** Reads from GitHub everything the rules judge (the I/O of doctor). */
export async function readGateSettings(
  client: GateReads,
  owner: string,
  repo: string,
  branch: string,
  evidenceBranch: string,
  workflowEnvironments: string[],
): Promise<GateSettings> {
  const repository = `${owner}/${repo}`;
  const read = async <T>(what: string, needs: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      throw await refusal(e, what, needs, { repository, branch });
    }
  };
  const protection = await read(`the branch protection of ${branch}`, NEEDS.protection, () =>
    client.branchProtection(owner, repo, branch),
  );
  const rules = await read(`the rules of ${branch}`, NEEDS.read, () =>
    client.branchRules(owner, repo, branch),
  );
  const evidence = await readEvidenceBranch(client, owner, repo, evidenceBranch, read);
  const ids = [
    ...new Set(
      [...rules, ...evidence.rules].flatMap((r) => (r.ruleset_id === undefined ? [] : [r.ruleset_id])),
    ),
  ];
  const rulesets = [];
  for (const id of ids)
    rulesets.push(await read(`ruleset ${id}`, NEEDS.read, () => client.repositoryRuleset(owner, repo, id)));

  const environments: EnvironmentAnswer[] = [];
  for (const e of await read('the environments', NEEDS.read, () => client.environmentsOf(owner, repo))) {
    const policy = e.deployment_branch_policy ?? null;
    const branchPolicies = policy?.custom_branch_policies
      ? await read(`the deployment branches of environment ${e.name}`, NEEDS.read, () =>
          client.deploymentBranchPolicies(owner, repo, e.name),
        )
      : [];
    const secrets = await read(`the secrets of environment ${e.name}`, NEEDS.environmentSecrets, () =>
      client.environmentSecretNames(owner, repo, e.name),
    );
    environments.push({
      name: e.name,
      exists: true,
      deploymentBranchPolicy: policy,
      branchPolicies,
      secrets,
    });
  }
  for (const name of new Set(workflowEnvironments))
    if (!environments.some((e) => e.name.toLowerCase() === name.toLowerCase()))
      environments.push({
        name,
        exists: false,
        deploymentBranchPolicy: null,
        branchPolicies: [],
        secrets: [],
      });

  const repositorySecrets = await read('the repository secrets', NEEDS.repositorySecrets, () =>
    client.repositorySecretNames(owner, repo),
  );
  const workflowPermissions = await read('the workflow permissions', NEEDS.workflowPermissions, () =>
    client.workflowPermissions(owner, repo),
  );
  return {
    owner,
    repo,
    branch,
    protection,
    rules,
    rulesets,
    environments,
    repositorySecrets,
    workflowPermissions,
    evidence,
  };
}

export interface DoctorRequest {
  root: string;
  /** The branch pull requests merge into. */
  branch: string;
  /** The branch the workflows keep the apply records on (default: $JML_EVIDENCE_BRANCH, else jml-evidence). */
  evidenceBranch?: string;
}

/**
 * Judges the repository's GitHub settings against what its workflows and policy need. `github`
 * is absent when no token and repository are configured: an error that says what token to give.
 */
export async function checkGate(
  ctx: EngineContext,
  req: DoctorRequest,
  github: OpenGitHub<GateReads> | undefined,
): Promise<DoctorReport> {
  const dir = path.resolve(req.root);
  // Phase: what the repository says (policy, workflows), before any call.
  const policy = indexCheckout(dir).policy;
  const [rules, { readWorkflowCredentials }] = await Promise.all([
    import('../github/doctor/rules.js'),
    import('../github/doctor/workflows.js'),
  ]);
  const workflows = readWorkflowCredentials(readWorkflowFiles(dir));
  if (!github)
    throw new Error(
      `doctor: GITHUB_TOKEN (or GH_TOKEN) and GITHUB_REPOSITORY must be set. ${DOCTOR_TOKEN_ADVICE}`,
    );
  // Phase: what GitHub says.
  const { client, owner, repo } = await github();
  const settings = await readGateSettings(
    client,
    owner,
    repo,
    req.branch,
    req.evidenceBranch || ctx.env.JML_EVIDENCE_BRANCH || EVIDENCE_BRANCH,
    workflows.uses.map((u) => u.environment),
  );
  // Phase: judge.
  return rules.checkGate(settings, {
    ...(policy.github.approvalsAppId === undefined ? {} : { approvalsAppId: policy.github.approvalsAppId }),
    credentialUses: workflows.uses,
    notes: workflows.notes,
  });
}
