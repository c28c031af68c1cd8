import { execFileSync } from 'node:child_process';

/** The commit checked out at `root`, or null outside a git checkout. */
export function gitCommit(root: string): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/**
 * When `file` last changed on the branch checked out at `root` (the committer time of the
 * first-parent commit that touched it: on a merged pull request, the merge), or null outside git
 * or for a file git does not know.
 */
export function gitFileTime(root: string, file: string): string | null {
  try {
    const out = execFileSync('git', ['log', '-1', '--first-parent', '--format=%cI', '--', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return out === '' ? null : new Date(out).toISOString();
  } catch {
    return null;
  }
}
