/**
 * engine: the approvals check as a use case. Reads two checkouts (the base branch, and the pull
 * request's head, which is only ever read as data), loads the head as it would be merged (the
 * loader's overlay: nothing is copied), validates both, reads the offboarding holds of the base,
 * and decides (src/approvals).
 *
 * Why a merged view: the base checkout is the branch as it is now, which may have moved on since
 * the pull request was branched. Comparing it with the head as is would credit the pull request
 * with undoing everything merged since (someone else's joiner would look like a removal). GitHub
 * lists a pull request's changed files against the merge base, so the head's version of each
 * changed data file laid over the base branch is what the merge will produce; when both sides
 * changed one file the head's version wins, which can only ask for more approvals, never fewer.
 */
import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decide } from '../approvals/decide.js';
import type { ChangedFile, Decision, Review } from '../approvals/types.js';
import { DATA_FOLDERS } from '../load/data-files.js';
import type { Overlay } from '../load/data-tree.js';
import { loadRepository } from '../load/load-repo.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { readHolds } from '../records/holds.js';
import { CODEOWNERS_FILE, generateCodeowners } from '../report/codeowners.js';
import { indexRepository, type RepoIndex } from '../resolve/repo-index.js';
import { validateRepository } from '../validate/validate.js';
import { CheckoutError } from './checkout.js';

export interface ApprovalsInput {
  /** A checkout of the base branch: the authority and the access before. */
  baseRoot: string;
  /** A checkout of the pull request's head, read as data only. */
  headRoot: string;
  files: readonly ChangedFile[];
  author: string;
  headSha: string;
  reviews: readonly Review[];
  now: number;
}

const inData = (rel: string) => (DATA_FOLDERS as readonly string[]).includes(rel.split('/')[0]!);

/**
 * The data paths a pull request changes, both sides of a rename: read from the head in the
 * merged view (absent there: removed), every other path from the base branch.
 */
export function changedDataPaths(files: readonly ChangedFile[]): Set<string> {
  return new Set(files.flatMap((f) => [f.path, ...(f.previousPath ? [f.previousPath] : [])]).filter(inData));
}

/**
 * The changed files that are exactly what jml generates from the merged data (CODEOWNERS, by
 * `jml codeowners`): a joiner's pull request regenerates them, and they are judged through the
 * data they come from. A hand edit differs from the generated text and stays code.
 */
function regenerated(headRoot: string, merged: RepoIndex, files: readonly ChangedFile[]): Set<string> {
  const out = new Set<string>();
  if (!files.some((f) => f.path === CODEOWNERS_FILE && f.status !== 'removed')) return out;
  const abs = path.join(headRoot, CODEOWNERS_FILE);
  try {
    const st = lstatSync(abs);
    if (!st.isFile() || st.size > 1024 * 1024) return out;
  } catch {
    return out;
  }
  const generated = generateCodeowners(merged);
  if (
    !generated.diagnostics.some((d) => d.severity === 'error') &&
    readFileSync(abs, 'utf8') === generated.text
  )
    out.add(CODEOWNERS_FILE);
  return out;
}

const problemKey = (d: Diagnostic) => `${d.rule}\u0000${d.file}\u0000${d.message}`;

function indexOf(root: string, now: number, where: string, fallback?: RepoIndex, overlay?: Overlay) {
  const loaded = loadRepository(root, overlay);
  const validated = validateRepository(loaded.repo, now);
  const checked = {
    repo: loaded.repo,
    index: validated.index,
    diagnostics: [...loaded.diagnostics, ...validated.diagnostics],
  };
  const index =
    checked.index ??
    (checked.repo.policy
      ? indexRepository(checked.repo, checked.repo.policy.value)
      : fallback
        ? indexRepository(checked.repo, fallback.policy)
        : undefined);
  if (!index) {
    const why = checked.diagnostics
      .filter((d) => d.file === 'policy/jml.yaml' && d.severity === 'error')
      .map((d) => `${d.file}:${d.line}: ${d.message}`)
      .join('; ');
    throw new CheckoutError(`${where}: policy/jml.yaml does not load${why ? ` (${why})` : ''}.`);
  }
  return { index, errors: checked.diagnostics.filter((d) => d.severity === 'error') };
}

/** Decides a pull request from two checkouts. Throws CheckoutError when the base cannot be read. */
export function decideFromCheckouts(input: ApprovalsInput): Decision {
  const baseRoot = path.resolve(input.baseRoot);
  const headRoot = path.resolve(input.headRoot);
  for (const [root, what] of [
    [baseRoot, 'the base checkout'],
    [headRoot, 'the head checkout'],
  ] as const) {
    try {
      if (!lstatSync(root).isDirectory()) throw new Error();
    } catch {
      throw new CheckoutError(`${root}: no such directory (expected ${what}).`);
    }
  }
  const base = indexOf(baseRoot, input.now, `${baseRoot} (the base branch, so its teams are unknown)`);
  const head = indexOf(baseRoot, input.now, 'the head', base.index, {
    root: headRoot,
    paths: changedDataPaths(input.files),
  });
  {
    const known = new Set(base.errors.map(problemKey));
    const headProblems = head.errors.filter((d) => !known.has(problemKey(d)));
    const held = new Set(readHolds(path.resolve(baseRoot, base.index.policy.records.dir)).holds.keys());
    const generated = regenerated(headRoot, head.index, input.files);
    return decide({
      base: base.index,
      head: head.index,
      files: input.files,
      author: input.author,
      headSha: input.headSha,
      reviews: input.reviews,
      now: input.now,
      held,
      headProblems,
      generated,
    });
  }
}
