/**
 * The workflows' trust boundary as a rule over a workflow file (DESIGN.md "The trust model"):
 * no job that holds something worth taking runs code the pull request controls.
 *
 * A job is privileged when it holds a secret, an environment, `id-token: write` or any write
 * permission. Then:
 * (a) its workflow must not be triggered by pull_request or pull_request_review(_comment): those
 *     runs use the pull request's own copy of the workflow, so the pull request decides what runs;
 * (b) when its workflow is triggered by pull_request_target or workflow_run (the default branch's
 *     copy, with the pull request's head available to check out), every checkout of anything but
 *     the run's own commit is the pull request's and must go into its own `path:`, and nothing may
 *     run from there: no npm, npx, node, bash or sh of a file under it, no `working-directory`
 *     in it, no `cd` into it, no local action from it. The only mention allowed is the data
 *     argument of the base engine, `node base/bin/jml.js -C <path>`. `npx` is never used (it
 *     resolves from the working directory), every jml is `node base/bin/jml.js`, and npm runs
 *     in a trusted checkout only;
 * (c) in such jobs setup-node keeps no cache and actions/cache is not used (a cache is keyed on
 *     files and restored into later privileged runs).
 * (b) and (c) hold for every job of a pull_request_target or workflow_run workflow, privileged or
 *     not: GitHub scopes such a run's cache to the default branch, so code of the pull request
 *     running in any of its jobs could write a cache that the default branch's privileged runs
 *     restore (setup-node's npm cache, schedule.yml's change-feed state restored by prefix).
 * And everywhere: no job grants itself `checks: write` or `statuses: write`: the verdicts are
 * posted by the approvals GitHub App, and any other source of a check with their name is a fake.
 *
 * The rule reads the YAML; it catches the honest mistake and the obvious attack, not a shell
 * script written to hide a path in a variable. Review of .github/ (CODEOWNERS: security) does
 * the rest.
 *
 * A second rule (evidenceWriteViolations) keeps the evidence branch's writer single: the branch
 * the offboarding holds are read from accepts pushes from the approvals GitHub App only, so every
 * step that writes it (scripts/ci/keep-evidence.sh, or any `git push`) pushes with an
 * installation token of that app minted earlier in the same job, with `permission-contents:
 * write` and nothing else, never with the workflow's own github.token.
 */
import { parse } from 'yaml';

/** The events whose runs use the pull request's own workflow definition. */
export const UNTRUSTED_EVENTS = ['pull_request', 'pull_request_review', 'pull_request_review_comment'];
/** The events that run the default branch's definition while a pull request's head is at hand. */
export const TRUSTED_PR_EVENTS = ['pull_request_target', 'workflow_run'];
/** The one way a trusted job runs the engine: the base checkout's, from the workspace root. */
export const BASE_ENGINE = 'node base/bin/jml.js';

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'working-directory'?: string;
}

interface Job {
  environment?: unknown;
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  defaults?: { run?: { 'working-directory'?: string } };
  steps?: Step[];
  uses?: string;
  secrets?: unknown;
}

interface Workflow {
  on: unknown;
  permissions?: Record<string, string> | string;
  env?: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** The events a workflow is triggered by, whatever form `on:` takes. */
export function eventsOf(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  if (on && typeof on === 'object') return Object.keys(on);
  return [];
}

function permissionsOf(job: Job, wf: Workflow): Record<string, string> | string {
  return job.permissions ?? wf.permissions ?? 'default';
}

/** Why a job is privileged (empty when it is not). */
export function privilegesOf(job: Job, wf: Workflow): string[] {
  const why: string[] = [];
  const secrets = new Set(
    [...JSON.stringify({ job, env: wf.env ?? {} }).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map(
      (m) => m[1]!,
    ),
  );
  if (job.secrets === 'inherit') secrets.add('(inherited)');
  if (secrets.size > 0) why.push(`secrets ${[...secrets].sort().join(', ')}`);
  if (job.environment !== undefined) why.push(`environment ${JSON.stringify(job.environment)}`);
  const perms = permissionsOf(job, wf);
  if (typeof perms === 'string') {
    // `write-all`, or no permissions at all (the repository default, possibly write).
    if (perms !== 'read-all') why.push(`permissions ${perms}`);
  } else {
    for (const [scope, level] of Object.entries(perms))
      if (level === 'write') why.push(scope === 'id-token' ? 'id-token: write' : `${scope}: write`);
  }
  return why;
}

const CHECKOUT = /^actions\/checkout@/;
/** actions/cache and its restore-only and save-only halves: each reads or writes the same cache. */
const CACHE = /^actions\/cache(\/(restore|save))?@/;

/** A checkout of the run's own commit (the default branch's, for the trusted events). */
function isOwnCommit(step: Step): boolean {
  const ref = step.with?.ref;
  const repository = step.with?.repository;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
  return repository === undefined && (ref === undefined || ref === '${{ github.sha }}');
}

function normalisePath(p: unknown): string {
  return String(p ?? '')
    .replace(/^\.\//, '')
    .replace(/\/+$/, '');
}

/** Splits a shell script into simple commands (roughly: lines, ;, &&, ||, |, $( and backticks). */
function commandsOf(script: string): string[][] {
  return script
    .replace(/\\\n/g, ' ')
    .split(/\n|;|&&|\|\||\||\$\(|`|\(|\)|\bthen\b|\bdo\b|\belse\b/)
    .map((c) => c.trim())
    .filter(Boolean)
    .map((c) =>
      c
        .split(/\s+/)
        .map((w) => w.replace(/^["']+|["']+$/g, ''))
        .filter(Boolean),
    );
}

/** Whether a word names `dir` or something under it (`head`, `./head/x`, `--prefix=head`). */
function mentions(word: string, dir: string): boolean {
  const value = word.replace(/^--?[\w-]+=/, '').replace(/^\.\//, '');
  return value === dir || value.startsWith(`${dir}/`);
}

/** Every violation of the trust boundary in one workflow file, as sentences naming the job. */
export function trustViolations(text: string, file: string): string[] {
  const wf = parse(text) as Workflow;
  const events = eventsOf(wf.on);
  const out: string[] = [];
  for (const [name, job] of Object.entries(wf.jobs ?? {})) {
    const where = `${file} job ${name}`;
    const perms = permissionsOf(job, wf);
    if (typeof perms === 'object')
      for (const scope of ['checks', 'statuses'])
        if (perms[scope] === 'write')
          out.push(
            `${where}: grants ${scope}: write (only the approvals app posts verdicts; any other source of one is a fake)`,
          );
    const privileges = privilegesOf(job, wf);
    const untrusted = events.filter((e) => UNTRUSTED_EVENTS.includes(e));
    if (privileges.length > 0 && untrusted.length > 0) {
      out.push(
        `${where}: holds ${privileges.join('; ')} in a workflow triggered by ${untrusted.join(', ')}, which runs the pull request's own definition`,
      );
      continue;
    }
    // Privileged or not: the run's cache is the default branch's (b and c above).
    if (events.some((e) => TRUSTED_PR_EVENTS.includes(e))) out.push(...trustedJobViolations(job, where));
  }
  return out;
}

function trustedJobViolations(job: Job, where: string): string[] {
  const out: string[] = [];
  if (job.uses) {
    out.push(`${where}: calls a reusable workflow (${job.uses}); the rule cannot see inside it`);
    return out;
  }
  const steps = job.steps ?? [];
  const trusted = new Set<string>();
  const untrusted = new Set<string>();
  for (const step of steps) {
    if (!step.uses || !CHECKOUT.test(step.uses)) continue;
    const dir = normalisePath(step.with?.path);
    if (isOwnCommit(step)) {
      trusted.add(dir);
      continue;
    }
    if (!dir) {
      out.push(
        `${where}: checks out the pull request's ${String(step.with?.ref ?? step.with?.repository)} without a path of its own (it would be the workspace every step runs in)`,
      );
      continue;
    }
    untrusted.add(dir);
  }
  for (const dir of untrusted)
    if (trusted.has(dir)) out.push(`${where}: the pull request's checkout shares ${dir}/ with the base`);
  const inUntrusted = (wd: unknown) => {
    const d = normalisePath(wd);
    return [...untrusted].some((u) => d === u || d.startsWith(`${u}/`));
  };
  if (inUntrusted(job.defaults?.run?.['working-directory']))
    out.push(`${where}: runs every step in the pull request's checkout (defaults.run.working-directory)`);
  for (const step of steps) {
    const label = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? '?';
    if (step.uses?.startsWith('./')) {
      const local = normalisePath(step.uses);
      const ok = trusted.has('') ? !inUntrusted(local) : trusted.has(local.split('/')[0] ?? '');
      if (!ok) out.push(`${where}: uses a local action ${step.uses} that is not the base checkout's`);
    }
    if (CACHE.test(step.uses ?? ''))
      out.push(`${where}: restores a cache (${label}); a privileged pull request job keeps none`);
    if (
      step.uses?.startsWith('actions/setup-node@') &&
      (step.with?.cache || step.with?.['cache-dependency-path'])
    )
      out.push(`${where}: setup-node keeps a cache (${label}); a privileged pull request job keeps none`);
    if (!step.run) continue;
    const wd = step['working-directory'] ?? job.defaults?.run?.['working-directory'];
    if (inUntrusted(wd))
      out.push(`${where}: runs "${label}" with working-directory ${wd}, the pull request's checkout`);
    for (const words of commandsOf(step.run)) {
      const command = words.join(' ');
      const isBaseEngine = words[0] === 'node' && words[1] === 'base/bin/jml.js';
      if (words.includes('npx'))
        out.push(`${where}: runs npx ("${command}"); npx resolves from the working directory`);
      if (!isBaseEngine && words.some((w) => /(^|\/)jml(\.js)?$/.test(w)))
        out.push(`${where}: runs jml other than as ${BASE_ENGINE} ("${command}")`);
      if (['npm', 'yarn', 'pnpm'].includes(words[0] ?? '') && !trusted.has(normalisePath(wd)))
        out.push(
          `${where}: runs ${words[0]} outside the base checkout ("${command}" in ${wd ?? 'the workspace root'})`,
        );
      for (const dir of untrusted) {
        const misuse = words.some((w, i) => {
          if (!mentions(w, dir)) return false;
          // `head` alone in command position is the head(1) utility, not the folder.
          if (i === 0 && !w.includes('/')) return false;
          return !(isBaseEngine && (words[i - 1] === '-C' || words[i - 1] === '--root'));
        });
        if (misuse)
          out.push(`${where}: "${command}" uses the pull request's checkout ${dir}/ as more than data`);
      }
    }
  }
  return out;
}

/** What writes the evidence branch: the script that keeps the records. */
export const EVIDENCE_WRITER = /(^|\/)keep-evidence\.sh$/;
/** The approvals app, as every workflow mints its token. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
export const APP_ID_INPUT = '${{ vars.JML_APPROVALS_APP_ID }}';
// biome-ignore lint/suspicious/noTemplateCurlyInString: a workflow expression, not a JS template
export const APP_KEY_INPUT = '${{ secrets.JML_APPROVALS_APP_PRIVATE_KEY }}';
const MINT = /^actions\/create-github-app-token@/;

/** Whether a step's script writes the evidence branch (the keeping script, or any git push). */
export function writesEvidence(step: Step): boolean {
  if (!step.run) return false;
  return commandsOf(step.run).some(
    (words) =>
      words.some((w) => EVIDENCE_WRITER.test(w)) || (words.includes('git') && words.includes('push')),
  );
}

/**
 * Every step that writes the evidence branch pushes with the approvals app's installation token,
 * minted earlier in the same job (contents: write only) and running whenever the step does.
 */
export function evidenceWriteViolations(text: string, file: string): string[] {
  const wf = parse(text) as Workflow;
  const out: string[] = [];
  for (const [name, job] of Object.entries(wf.jobs ?? {})) {
    const steps = job.steps ?? [];
    steps.forEach((step, i) => {
      if (!writesEvidence(step)) return;
      const where = `${file} job ${name}: "${step.name ?? step.run!.split('\n')[0]}"`;
      const token = String(step.env?.GITHUB_TOKEN ?? job.env?.GITHUB_TOKEN ?? wf.env?.GITHUB_TOKEN ?? '');
      const id = /^\$\{\{\s*steps\.([\w-]+)\.outputs\.token\s*\}\}$/.exec(token)?.[1];
      const mint = id === undefined ? undefined : steps.slice(0, i).find((s) => s.id === id);
      if (!mint?.uses || !MINT.test(mint.uses)) {
        out.push(
          `${where} writes the evidence branch with ${token ? `GITHUB_TOKEN ${token}` : 'no GITHUB_TOKEN'}, not the approvals app's token minted earlier in the job`,
        );
        return;
      }
      const w = mint.with ?? {};
      if (w['app-id'] !== APP_ID_INPUT || w['private-key'] !== APP_KEY_INPUT)
        out.push(
          `${where} writes with a token of another app than the approvals app (${String(w['app-id'])})`,
        );
      const permissions = Object.fromEntries(Object.entries(w).filter(([k]) => k.startsWith('permission-')));
      if (JSON.stringify(permissions) !== JSON.stringify({ 'permission-contents': 'write' }))
        out.push(
          `${where} writes with a token asking for ${JSON.stringify(permissions)}, not contents: write alone`,
        );
      if (w.owner !== undefined || w.repositories !== undefined)
        out.push(`${where} writes with a token scoped beyond this repository (owner/repositories)`);
      if (/always\(\)/.test(step.if ?? '') && !/always\(\)/.test(mint.if ?? ''))
        out.push(
          `${where} runs always(), but the token it needs is minted only when the steps before succeed`,
        );
    });
  }
  return out;
}
