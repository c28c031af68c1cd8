/**
 * engine: the approvals check as a use case. Reads two checkouts (the base branch, and the pull
 * request's head, which is only ever read as data), builds the head as it would be merged, loads
 * and validates both, reads the offboarding holds of the base, and decides (src/approvals).
 *
 * Why a merged view: the base checkout is the branch as it is now, which may have moved on since
 * the pull request was branched. Comparing it with the head as is would credit the pull request
 * with undoing everything merged since (someone else's joiner would look like a removal). GitHub
 * lists a pull request's changed files against the merge base, so the head's version of each
 * changed data file laid over the base branch is what the merge will produce; when both sides
 * changed one file the head's version wins, which can only ask for more approvals, never fewer.
 */
import {
  copyFileSync,
  cpSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decide } from '../approvals/decide.js';
import type { ChangedFile, Decision, Review } from '../approvals/types.js';
import { DATA_FOLDERS } from '../load/data-files.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { CODEOWNERS_FILE, generateCodeowners } from '../report/codeowners.js';
import { readHolds } from '../resolve/holds.js';
import { indexRepository, type RepoIndex } from '../resolve/repo-index.js';
import { checkRepository } from '../validate/validate.js';

/** A checkout that cannot be judged at all (missing, or its policy does not load). */
export class CheckoutError extends Error {}

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

/** Copies one path of the head into the merged view exactly as it is: a link stays a link. */
function overlay(headRoot: string, mergedRoot: string, rel: string): void {
  const from = path.join(headRoot, rel);
  const to = path.join(mergedRoot, rel);
  rmSync(to, { recursive: true, force: true });
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(from);
  } catch {
    return; // listed as changed but not on the head: gone
  }
  mkdirSync(path.dirname(to), { recursive: true });
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
  else if (st.isDirectory()) cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  else {
    copyFileSync(from, to);
    // A hard link on the head (only a tampered working copy has one: git cannot hold it) stays a
    // hard link here, outside the data folders, so that the loader refuses it as it would there.
    if (st.nlink > 1) linkSync(to, path.join(mergedRoot, `.hard-link-${path.basename(to)}`));
  }
}

/**
 * The data of the base branch with every changed data path of the pull request taken from the
 * head (removed ones removed): what the merge will hold. A temporary folder the caller removes.
 */
export function mergedView(baseRoot: string, headRoot: string, files: readonly ChangedFile[]): string {
  const merged = mkdtempSync(path.join(os.tmpdir(), 'jml-merged-'));
  for (const dir of DATA_FOLDERS) {
    const from = path.join(baseRoot, dir);
    try {
      lstatSync(from);
    } catch {
      continue;
    }
    cpSync(from, path.join(merged, dir), { recursive: true, verbatimSymlinks: true });
  }
  for (const f of files) {
    if (f.previousPath && inData(f.previousPath))
      rmSync(path.join(merged, f.previousPath), { recursive: true, force: true });
    if (!inData(f.path)) continue;
    if (f.status === 'removed') rmSync(path.join(merged, f.path), { recursive: true, force: true });
    else overlay(headRoot, merged, f.path);
  }
  return merged;
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

function indexOf(root: string, now: number, where: string, fallback?: RepoIndex) {
  const checked = checkRepository(root, now);
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
  const mergedRoot = mergedView(baseRoot, headRoot, input.files);
  try {
    const head = indexOf(mergedRoot, input.now, 'the head', base.index);
    const known = new Set(base.errors.map(problemKey));
    // The merged view lives in a temporary folder: its diagnostics name repository paths already.
    const headProblems = head.errors.filter((d) => !known.has(problemKey(d)));
    const held = new Set(readHolds(path.resolve(baseRoot, base.index.policy.records.dir)).keys());
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
  } finally {
    rmSync(mergedRoot, { recursive: true, force: true });
  }
}
