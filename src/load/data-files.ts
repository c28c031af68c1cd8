/**
 * load: the one definition of which files of a policy repository are data, shared by the loader
 * (what it reads) and the approvals (what a pull request's changed paths can affect).
 *
 * Data lives in five folders: people/, roles/, exceptions/, policy/ and reviews/; what the loader
 * accepts in them is decided by the scan in data-tree.ts (regular files only).
 */
import { fileKinds } from '../model/schema.js';

/** The folders whose files the loader reads (and nothing else in the repository). */
export const DATA_FOLDERS = ['people', 'roles', 'exceptions', 'policy', 'reviews'] as const;

/** Folders holding one YAML file per person, role or exception, named after its id. */
export type FolderKind = 'person' | 'role' | 'exception';
export const ID_FOLDERS: readonly { dir: string; kind: FolderKind }[] = [
  { dir: 'people', kind: 'person' },
  { dir: 'roles', kind: 'role' },
  { dir: 'exceptions', kind: 'exception' },
];

/** The files of policy/ the loader reads, by what they hold (their paths are the model's). */
export const POLICY_FILES = {
  policy: fileKinds.policy.file,
  entitlements: fileKinds.entitlements.file,
  apps: fileKinds.apps.file,
  sod: fileKinds.sod.file,
} as const;

/** The written JML policy: not loaded by the engine, but policy all the same (security and HR approve it). */
export const WRITTEN_POLICY = 'policy/JML-POLICY.md';

/** Names in a data folder that the loader does not read (a folder's own README, git's placeholder). */
export const IGNORED_NAMES: ReadonlySet<string> = new Set(['README.md', '.gitkeep']);

/**
 * What a repository-relative path is to the approval rules:
 * - `data`: read by the loader, so judged by its effect on the loaded model;
 * - `policy-text`: under policy/ but not loaded (the written policy, anything else there);
 * - `not-read`: a README or .gitkeep inside a data folder, which the loader skips;
 * - `documentation`: docs/ and the Markdown files at the top of the repository;
 * - `code`: everything else (engine, workflows, scripts, package files, CODEOWNERS, tests).
 */
export type PathClass = 'data' | 'policy-text' | 'not-read' | 'documentation' | 'code';

export function classifyPath(rel: string): PathClass {
  const parts = rel.split('/');
  const top = parts[0]!;
  const name = parts[parts.length - 1]!;
  if ((DATA_FOLDERS as readonly string[]).includes(top) && parts.length > 1) {
    if (top === 'policy') {
      return (Object.values(POLICY_FILES) as string[]).includes(rel) ? 'data' : 'policy-text';
    }
    if (IGNORED_NAMES.has(name)) return 'not-read';
    return 'data';
  }
  if ((top === 'docs' && parts.length > 1) || (parts.length === 1 && /\.md$/i.test(name))) {
    return 'documentation';
  }
  return 'code';
}
