/**
 * approvals: the pull request as the GitHub REST API returns it, and the decision's input made
 * from it. The JSON file `jml approvals --changes` reads is exactly
 *
 *   { "pull":    <GET /repos/{o}/{r}/pulls/{n}>,
 *     "files":   <GET /repos/{o}/{r}/pulls/{n}/files, all pages concatenated>,
 *     "reviews": <GET /repos/{o}/{r}/pulls/{n}/reviews, all pages concatenated> }
 *
 * of which only the fields below are read (everything else the API sends is ignored), so the
 * `--pr N` path fetches the three responses and hands them over unchanged.
 */
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { locate, type SourceFile } from '../load/source.js';
import type { ChangedFile, Review } from './types.js';

const login = z.object({ login: z.string().min(1) });

/** `pulls/{n}`: who opened it and which commit is its head. */
export const githubPull = z
  .object({
    number: z.number().int().positive(),
    user: login,
    head: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/i, 'must be a 40-hex commit sha') }),
    base: z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/i, 'must be a 40-hex commit sha') }).optional(),
  })
  .meta({ description: 'GET /repos/{owner}/{repo}/pulls/{pull_number}' });

/** One entry of `pulls/{n}/files`. */
export const githubPullFile = z.object({
  filename: z.string().min(1),
  status: z.enum(['added', 'removed', 'modified', 'renamed', 'copied', 'changed', 'unchanged']),
  previous_filename: z.string().min(1).optional(),
});

/** One entry of `pulls/{n}/reviews`. `user` is null for a deleted account; `commit_id` may be null. */
export const githubReview = z.object({
  user: login.nullable(),
  // The REST API writes states in capitals; webhook payloads (pull_request_review) in lower case.
  state: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING'])),
  commit_id: z.string().nullable(),
  submitted_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

export const pullRequestData = z.object({
  pull: githubPull,
  files: z.array(githubPullFile),
  reviews: z.array(githubReview),
});

export type GithubPull = z.input<typeof githubPull>;
export type GithubPullFile = z.input<typeof githubPullFile>;
export type GithubReview = z.input<typeof githubReview>;
/** What `--changes` holds and what `--pr N` fetches: the three REST responses, unchanged. */
export type PullRequestData = z.input<typeof pullRequestData>;

export interface PullRequestFacts {
  number: number;
  author: string;
  headSha: string;
  baseSha: string | undefined;
  files: ChangedFile[];
  reviews: Review[];
}

/**
 * GitHub's changed files (`pulls/{n}/files`) as the decision reads them: an unchanged file is
 * left out, a copy is an added file and a `changed` one (mode only) a modified one; only a rename
 * keeps the path it had. The GitHub client lists files through this too.
 */
export function changedFilesOf(files: readonly GithubPullFile[]): ChangedFile[] {
  const out: ChangedFile[] = [];
  for (const f of files) {
    if (f.status === 'unchanged') continue;
    const status = f.status === 'copied' ? 'added' : f.status === 'changed' ? 'modified' : f.status;
    out.push({
      path: f.filename,
      status,
      ...(status === 'renamed' && f.previous_filename ? { previousPath: f.previous_filename } : {}),
    });
  }
  return out;
}

/** Turns the REST responses into the decision's input. */
export function factsOf(data: z.output<typeof pullRequestData>): PullRequestFacts {
  const files = changedFilesOf(data.files);
  const reviews: Review[] = [];
  for (const r of data.reviews) {
    // A pending review is a draft only its author sees; a deleted account approves for nobody.
    if (r.state === 'PENDING' || !r.user || !r.submitted_at) continue;
    reviews.push({
      login: r.user.login,
      state: r.state,
      commitId: r.commit_id ?? '',
      submittedAt: r.submitted_at,
    });
  }
  return {
    number: data.pull.number,
    author: data.pull.user.login,
    headSha: data.pull.head.sha,
    baseSha: data.pull.base?.sha,
    files,
    reviews,
  };
}

/** A problem in the --changes file (or the API's answers), naming the file, line and field. */
export class PullRequestDataError extends Error {}

/**
 * Parses the --changes JSON text. Throws PullRequestDataError naming the file, line and field
 * for anything that is not the documented shape.
 */
export function parsePullRequestData(text: string, file: string): PullRequestFacts {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    // V8 names a position for some errors only; the YAML parser (JSON is YAML) finds most others.
    const line = pos
      ? text.slice(0, Number(pos[1])).split('\n').length
      : (parseDocument(text, { version: '1.2', prettyErrors: true }).errors[0]?.linePos?.[0].line ?? 1);
    throw new PullRequestDataError(`${file}:${line}: not valid JSON: ${msg}`);
  }
  return checkPullRequestData(raw, file, text);
}

/**
 * Checks the three REST responses (from a file, or straight from the API for `--pr`) and turns
 * them into facts. With the JSON `text`, each problem names its line; without, its field.
 */
export function checkPullRequestData(raw: unknown, source: string, text?: string): PullRequestFacts {
  const r = pullRequestData.safeParse(raw);
  if (r.success) return factsOf(r.data);
  let lineOf = (_at: (string | number)[]) => '';
  if (text !== undefined) {
    const src: SourceFile = { path: source, text };
    const lineCounter = new LineCounter();
    src.doc = parseDocument(text, { lineCounter, version: '1.2' });
    src.lineCounter = lineCounter;
    lineOf = (at) => `:${locate(src, at).line}`;
  }
  const problems = r.error.issues.slice(0, 10).map((issue) => {
    const at = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const field = at
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
      .join('')
      .replace(/^\./, '');
    return `${source}${lineOf(at)}: ${field || '(top level)'}: ${issue.message}`;
  });
  const more = r.error.issues.length > 10 ? `\n(and ${r.error.issues.length - 10} more)` : '';
  throw new PullRequestDataError(
    `${problems.join('\n')}${more}\nExpected {"pull": GET pulls/{n}, "files": GET pulls/{n}/files, "reviews": GET pulls/{n}/reviews}.`,
  );
}

/**
 * Of the pull requests GitHub lists for a commit, the one that merged it: the merged one whose
 * merge commit it is (SHAs compared without case), else a merged one that carried it. Never an
 * open or closed-unmerged pull request: its approvals did not put the commit on the branch.
 */
export function mergingPullRequest<P extends { mergedAt: string | null; mergeCommitSha: string | null }>(
  listed: readonly P[],
  commit: string,
): P | undefined {
  const sha = commit.toLowerCase();
  const merged = listed.filter((p) => p.mergedAt !== null);
  return merged.find((p) => p.mergeCommitSha?.toLowerCase() === sha) ?? merged[0];
}
