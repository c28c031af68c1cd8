/**
 * The HR brake's one security issue, kept on GitHub: found again by its hidden marker (one per
 * source) on an OPEN issue labelled `hr-brake`, so a re-run updates it instead of opening another,
 * and a closed one stays closed (a new condition opens a new issue). The label is part of the
 * match because only collaborators can label an issue: nobody outside can plant a look-alike for
 * the sync to write into (and later close, as its author could).
 *
 * Labels and assignees are only ever added: what a person put there (an `investigating` label,
 * another assignee) stays. The title and body are the sync's and are replaced.
 */
import { fitBody, type GitHubClient, type IssueRef } from '../github/client.js';
import { BRAKE_LABELS } from './brake.js';

export interface BrakeIssueSpec {
  marker: string;
  title: string;
  body: string;
  labels?: string[];
  /** Logins GitHub lets be assigned (collaborators): at most 10 are. */
  assignees?: string[];
}

export interface BrakeIssueResult {
  action: 'created' | 'updated' | 'unchanged';
  issue: IssueRef;
}

/**
 * What the brake issue needs of GitHub: Octokit itself (the issue is matched by its label and
 * marker, and failures keep the brake's own wording).
 */
export type BrakeIssueGitHub = Pick<GitHubClient, 'octokit'>;

/** GitHub allows 256 characters in a title. */
const TITLE_LIMIT = 256;

interface ListedIssue {
  number: number;
  html_url: string;
  title: string;
  body?: string | null;
  pull_request?: unknown;
  labels: (string | { name?: string })[];
  assignees?: { login: string }[] | null;
}

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const status = (e as { status?: number }).status;
    throw new Error(
      `GitHub ${operation} failed: ${status ? `${status} ` : ''}${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/** The open brake issue carrying `marker`, the oldest when there are several. */
export async function findBrakeIssue(
  client: BrakeIssueGitHub,
  owner: string,
  repo: string,
  marker: string,
): Promise<ListedIssue | undefined> {
  const open = (await call(`list the open ${BRAKE_LABELS[1]} issues of ${owner}/${repo}`, () =>
    client.octokit.paginate(client.octokit.rest.issues.listForRepo, {
      owner,
      repo,
      state: 'open',
      labels: BRAKE_LABELS[1],
      per_page: 100,
    }),
  )) as ListedIssue[];
  return open
    .filter((i) => !i.pull_request && (i.body ?? '').startsWith(marker))
    .sort((a, b) => a.number - b.number)[0];
}

/** Opens the issue, or brings the open one up to date; changes nothing when it already says this. */
export async function raiseBrakeIssue(
  client: BrakeIssueGitHub,
  owner: string,
  repo: string,
  spec: BrakeIssueSpec,
): Promise<BrakeIssueResult> {
  const where = `${owner}/${repo}`;
  const title = spec.title.length > TITLE_LIMIT ? `${spec.title.slice(0, TITLE_LIMIT - 1)}…` : spec.title;
  const body = fitBody(spec.marker, spec.body);
  const labels = [...new Set([...BRAKE_LABELS, ...(spec.labels ?? [])])];
  const assignees = (spec.assignees ?? []).slice(0, 10);
  const current = await findBrakeIssue(client, owner, repo, spec.marker);
  if (!current) {
    const res = await call(`create the HR brake issue in ${where}`, () =>
      client.octokit.rest.issues.create({ owner, repo, title, body, labels, assignees }),
    );
    return { action: 'created', issue: { number: res.data.number, url: res.data.html_url } };
  }
  const has = current.labels.map((l) => (typeof l === 'string' ? l : (l.name ?? '')));
  const assigned = (current.assignees ?? []).map((a) => a.login);
  const missingLabels = labels.filter((l) => !has.some((x) => x.toLowerCase() === l.toLowerCase()));
  const missingAssignees = assignees.filter(
    (a) => !assigned.some((x) => x.toLowerCase() === a.toLowerCase()),
  );
  const ref = { number: current.number, url: current.html_url };
  if (current.title === title && current.body === body && !missingLabels.length && !missingAssignees.length)
    return { action: 'unchanged', issue: ref };
  await call(`update the HR brake issue #${current.number} in ${where}`, () =>
    client.octokit.rest.issues.update({
      owner,
      repo,
      issue_number: current.number,
      title,
      body,
      ...(missingLabels.length ? { labels: [...has, ...missingLabels] } : {}),
      ...(missingAssignees.length ? { assignees: [...assigned, ...missingAssignees].slice(0, 10) } : {}),
    }),
  );
  return { action: 'updated', issue: ref };
}

/**
 * Notes on the open brake issue, if there is one, that a security member let the cuts through
 * (`--allow-mass-disable`): the decision is recorded where the security team was asked.
 */
export async function noteOverride(
  client: BrakeIssueGitHub,
  owner: string,
  repo: string,
  marker: string,
  text: string,
): Promise<IssueRef | undefined> {
  const current = await findBrakeIssue(client, owner, repo, marker);
  if (!current) return undefined;
  await call(`comment on ${owner}/${repo}#${current.number}`, () =>
    client.octokit.rest.issues.createComment({ owner, repo, issue_number: current.number, body: text }),
  );
  return { number: current.number, url: current.html_url };
}
