/**
 * The repository's own history, as the evidence pack reads it: which commits changed a path (with
 * deletions, so a removed exception is still found), and a file's text at a commit. Reads git
 * through its command line; outside a checkout every answer is empty.
 */
import { execFileSync } from 'node:child_process';

export interface FileChange {
  /** A added, M modified, D deleted (renames are split into D + A by --no-renames). */
  status: 'A' | 'M' | 'D';
  path: string;
}

export interface CommitInfo {
  sha: string;
  author: string;
  authorEmail: string;
  /** Author date, UTC ISO. */
  authoredAt: string;
  /** Committer date, UTC ISO: on a merged pull request, when it landed. */
  committedAt: string;
  subject: string;
  files: FileChange[];
}

const RS = '\u001e';
const US = '\u001f';

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 256 * 1024 * 1024,
    }).toString();
  } catch {
    return undefined;
  }
}

/**
 * Commits reachable from `rev` (default HEAD) that changed any of `paths`, newest first, each
 * with the files it changed under those paths.
 */
export function commitsTouching(root: string, paths: string[], rev = 'HEAD'): CommitInfo[] {
  const out = git(root, [
    'log',
    '--no-renames',
    '--name-status',
    `--format=${RS}%H${US}%an${US}%ae${US}%aI${US}%cI${US}%s`,
    rev,
    '--',
    ...paths,
  ]);
  if (!out) return [];
  const commits: CommitInfo[] = [];
  for (const chunk of out.split(RS)) {
    if (!chunk.trim()) continue;
    const [head, ...rest] = chunk.split('\n');
    const [sha, author, authorEmail, authoredAt, committedAt, subject] = head!.split(US);
    const files: FileChange[] = [];
    for (const line of rest) {
      const m = /^([AMD])\t(.+)$/.exec(line);
      if (m) files.push({ status: m[1] as FileChange['status'], path: m[2]! });
    }
    commits.push({
      sha: sha!,
      author: author!,
      authorEmail: authorEmail!,
      authoredAt: new Date(authoredAt!).toISOString(),
      committedAt: new Date(committedAt!).toISOString(),
      subject: subject ?? '',
      files,
    });
  }
  return commits;
}

/** A file's text at a commit; undefined when it does not exist there. */
export function fileAtCommit(root: string, sha: string, path: string): string | undefined {
  return git(root, ['show', `${sha}:${path}`]);
}
