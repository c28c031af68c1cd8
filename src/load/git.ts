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
 * When `text` arrived in `file` on the branch checked out at `root`: the committer time of the
 * newest first-parent commit that added or removed it (on a merged pull request, the merge), so
 * a later unrelated edit of the file does not move it. Null outside git, when git has no such
 * commit, or in a shallow clone, whose history cannot tell: the caller then judges from the
 * instant itself, which can only make a breach more visible, never hide one.
 */
export function gitTextArrival(root: string, file: string, text: string): string | null {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  try {
    if (git(['rev-parse', '--is-shallow-repository']) !== 'false') return null;
    const out = git(['log', '-1', '--first-parent', `-S${text}`, '--format=%cI', '--', file]);
    return out === '' ? null : new Date(out).toISOString();
  } catch {
    return null;
  }
}
