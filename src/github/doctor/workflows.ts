/**
 * Which deployment environments the repository's own workflows hand credentials to: a job that
 * names an environment and reads a secret (`secrets.NAME`, `secrets: inherit`) or may mint an
 * OIDC token (`id-token: write`, at the job or the workflow level). Such an environment holds a
 * credential whether or not GitHub lists secrets for it (an identity provider trusts its OIDC
 * subject, `repo:OWNER/REPO:environment:NAME`), so `jml doctor` checks that it deploys from the
 * protected branch only. Pure: it reads the workflow texts it is given.
 */
import { parse } from 'yaml';

/** One job that uses a credential inside an environment. */
export interface CredentialUse {
  /** The workflow file, as given (for example `.github/workflows/apply.yml`). */
  workflow: string;
  job: string;
  environment: string;
  /** Secret names the job (or the workflow's `env`) reads; GITHUB_TOKEN is not one. */
  secrets: string[];
  /** `secrets: inherit`: a reusable workflow called with every secret. */
  inheritsSecrets: boolean;
  /** `id-token: write`: the job may mint an OIDC token the identity providers trust. */
  idToken: boolean;
}

export interface WorkflowReading {
  uses: CredentialUse[];
  /** What could not be read (a file that does not parse, an environment chosen by an expression). */
  notes: string[];
}

type Json = Record<string, unknown>;

const SECRET_REF = /\bsecrets\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\bsecrets\s*\[\s*['"]([^'"]+)['"]\s*\]/g;

/** Secret names an expression text refers to, without the workflow's own GITHUB_TOKEN. */
function secretNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(SECRET_REF)) {
    const name = m[1] ?? m[2]!;
    if (name.toUpperCase() !== 'GITHUB_TOKEN') names.add(name);
  }
  return [...names].sort();
}

/** Whether a `permissions:` value grants id-token: write. */
function grantsIdToken(permissions: unknown): boolean {
  if (permissions === 'write-all') return true;
  return (
    typeof permissions === 'object' && permissions !== null && (permissions as Json)['id-token'] === 'write'
  );
}

/** Every job of these workflow files that uses a credential inside an environment. */
export function readWorkflowCredentials(files: { path: string; text: string }[]): WorkflowReading {
  const uses: CredentialUse[] = [];
  const notes: string[] = [];
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(file.text);
    } catch (e) {
      notes.push(`${file.path} does not parse as YAML (${(e as Error).message.split('\n')[0]}): not read.`);
      continue;
    }
    if (!doc || typeof doc !== 'object') continue;
    const workflow = doc as Json;
    const jobs = workflow.jobs;
    if (!jobs || typeof jobs !== 'object') continue;
    // A workflow-level env reaches every job.
    const workflowSecrets = secretNames(JSON.stringify(workflow.env ?? {}));
    for (const [id, value] of Object.entries(jobs as Json)) {
      if (!value || typeof value !== 'object') continue;
      const job = value as Json;
      const env = job.environment;
      const name =
        typeof env === 'string'
          ? env
          : env && typeof env === 'object' && typeof (env as Json).name === 'string'
            ? ((env as Json).name as string)
            : undefined;
      if (name === undefined) continue;
      if (name.includes('${{')) {
        notes.push(
          `${file.path} job ${id} chooses its environment by an expression (${name}): doctor cannot tell which environment it uses.`,
        );
        continue;
      }
      const secrets = [...new Set([...workflowSecrets, ...secretNames(JSON.stringify(job))])].sort();
      const inheritsSecrets = job.secrets === 'inherit';
      // A job's permissions replace the workflow's; with neither, id-token is not granted.
      const idToken = grantsIdToken(job.permissions ?? workflow.permissions);
      if (secrets.length === 0 && !inheritsSecrets && !idToken) continue;
      uses.push({ workflow: file.path, job: id, environment: name, secrets, inheritsSecrets, idToken });
    }
  }
  return { uses, notes };
}

/** How a job uses credentials, in words: `secrets.A, secrets.B, id-token: write`. */
export function describeUse(u: CredentialUse): string {
  return [
    ...u.secrets.map((s) => `secrets.${s}`),
    ...(u.inheritsSecrets ? ['secrets: inherit'] : []),
    ...(u.idToken ? ['id-token: write'] : []),
  ].join(', ');
}
