/**
 * load: the scan that decides what in the data folders (data-files.ts) may be read at all.
 *
 * Everything in them must be a regular file or folder of the repository's own tree: a symbolic
 * link, a device, a nested repository (a git submodule) or a name that differs from another only
 * in letter case is refused before a byte is read, because each lets one change alter a file the
 * approval rules judge as another (a link from people/alice.yaml to people/README.md makes an edit
 * of the README grant alice access), or makes what is checked out differ between machines (on a
 * case-insensitive file system only one of people/Alice.yaml and people/alice.yaml survives).
 */
import { type Dirent, lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { byCodePoint } from '../model/order.js';
import { DATA_FOLDERS } from './data-files.js';

/** One accepted entry of a data folder. */
export interface DataEntry {
  name: string;
  isDirectory: boolean;
}

export interface DataTree {
  /** Why entries were refused: links, devices, nested repositories, names colliding in case. */
  diagnostics: Diagnostic[];
  /** The accepted entries of every data folder (and their subfolders), in byte order, by folder. */
  folders: Map<string, DataEntry[]>;
  /** Where to read a repository-relative path from (the overlay's checkout for its paths). */
  abs(rel: string): string;
}

/**
 * A second checkout whose version of some paths replaces the first's: the approvals' view of a
 * pull request as it would merge (the base branch, with the head's version of every data path
 * the pull request changes). Nothing is copied: each path is read from where it belongs.
 */
export interface Overlay {
  /** The checkout the changed paths are read from (a pull request's head, read as data). */
  root: string;
  /** Repository-relative paths taken from it (with everything below them); absent there: gone. */
  paths: ReadonlySet<string>;
}

function refused(file: string, rule: string, message: string, hint: string): Diagnostic {
  return { severity: 'error', rule, file, line: 1, column: 1, message, hint };
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The diagnostic for a symbolic link at `rel`, naming where it leads. */
function linkDiagnostic(root: string, realRoot: string, rel: string): Diagnostic {
  const abs = path.join(root, rel);
  let target: string;
  try {
    target = realpathSync(abs);
  } catch {
    return refused(
      rel,
      'broken-symlink',
      `This is a link to ${readlinkSync(abs)}, which does not exist; it is not read.`,
      `Replace ${rel} with the file itself.`,
    );
  }
  if (!isInside(realRoot, target)) {
    return refused(
      rel,
      'symlink-outside-repo',
      'This is a link (or inside a linked folder) pointing outside the repository; it is not read.',
      'Replace the link with a real file: everything that grants access must be reviewable in this repository.',
    );
  }
  const to = path.relative(realRoot, target).split(path.sep).join('/') || '.';
  return refused(
    rel,
    'symlink',
    `This is a symbolic link to ${to}; data files must be regular files, so it is not read. A link lets an edit of one file change another that the approval rules judge on its own.`,
    `Replace ${rel} with a regular file holding its own content (git rm ${rel}, then add the file).`,
  );
}

/**
 * Walks the data folders without following links and keeps only regular files and folders.
 * Everything else under them is reported once, here, and never read.
 */
export function scanDataTree(root: string, overlay?: Overlay): DataTree {
  const realRoot = realpathSync(root);
  const realOverlay = overlay ? realpathSync(overlay.root) : realRoot;
  const diagnostics: Diagnostic[] = [];
  const folders = new Map<string, DataEntry[]>();
  const changed = overlay?.paths ?? new Set<string>();
  /** Folders with a changed path somewhere below them: listed from both checkouts. */
  const mixed = new Set<string>();
  for (const p of changed) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) mixed.add(parts.slice(0, i).join('/'));
  }
  /** Whether a path (or a folder above it) is taken from the overlay. */
  const fromOverlay = (rel: string) => {
    if (!overlay) return false;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) if (changed.has(parts.slice(0, i).join('/'))) return true;
    return false;
  };
  const abs = (rel: string) => path.join(fromOverlay(rel) ? overlay!.root : root, rel);
  const list = (dir: string): Dirent[] => {
    try {
      return readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      // Absent in one of the two checkouts is normal; anything else (permissions) is thrown.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  };
  /** A folder's entries: from its own checkout, or from both where changes lie below it. */
  const entriesOf = (rel: string): Dirent[] => {
    if (!overlay || fromOverlay(rel) || !mixed.has(rel)) return list(abs(rel));
    const byName = new Map<string, Dirent>();
    for (const d of list(path.join(root, rel))) {
      const child = `${rel}/${d.name}`;
      if (!changed.has(child)) byName.set(d.name, d);
    }
    for (const d of list(path.join(overlay.root, rel))) {
      const child = `${rel}/${d.name}`;
      if (changed.has(child) || (mixed.has(child) && !byName.has(d.name))) byName.set(d.name, d);
    }
    return [...byName.values()];
  };
  const linkAt = (rel: string) =>
    fromOverlay(rel) ? linkDiagnostic(overlay!.root, realOverlay, rel) : linkDiagnostic(root, realRoot, rel);
  const walk = (rel: string) => {
    // A folder that cannot be listed is an infrastructure failure (permissions), thrown.
    const dirents = entriesOf(rel);
    dirents.sort((a, b) => byCodePoint(a.name, b.name));
    const folding = new Map<string, string[]>();
    for (const d of dirents) {
      const key = d.name.normalize('NFC').toLowerCase();
      folding.set(key, [...(folding.get(key) ?? []), d.name]);
    }
    const accepted: DataEntry[] = [];
    for (const d of dirents) {
      const childRel = `${rel}/${d.name}`;
      const twins = folding.get(d.name.normalize('NFC').toLowerCase())!;
      if (twins.length > 1) {
        diagnostics.push(
          refused(
            childRel,
            'case-collision',
            `${twins.map((n) => `${rel}/${n}`).join(' and ')} differ only in letter case (or Unicode form); on a case-insensitive checkout only one of them exists, so neither is read.`,
            'Keep one of them: ids and file names are lower-case.',
          ),
        );
        continue;
      }
      if (d.name === '.git' || d.name === '.gitmodules') {
        diagnostics.push(
          refused(
            childRel,
            'nested-repository',
            'A git repository or submodule inside a data folder brings in files this repository does not review; it is not read.',
            `Remove ${childRel} and commit the files themselves.`,
          ),
        );
        continue;
      }
      if (d.isSymbolicLink()) {
        diagnostics.push(linkAt(childRel));
        continue;
      }
      if (d.isDirectory()) {
        accepted.push({ name: d.name, isDirectory: true });
        walk(childRel);
        continue;
      }
      if (!d.isFile()) {
        diagnostics.push(
          refused(
            childRel,
            'unexpected-file',
            'This is not a regular file (a device, socket or pipe), so it is not read.',
            `Replace ${childRel} with an ordinary text file.`,
          ),
        );
        continue;
      }
      accepted.push({ name: d.name, isDirectory: false });
    }
    folders.set(rel, accepted);
  };
  for (const dir of DATA_FOLDERS) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(abs(dir));
    } catch {
      // A data folder the base lacks and the overlay brings (a first review quarter).
      if (!mixed.has(dir) || !overlay) continue;
      try {
        st = lstatSync(path.join(overlay.root, dir));
      } catch {
        continue;
      }
    }
    if (st.isSymbolicLink()) diagnostics.push(linkAt(dir));
    else if (!st.isDirectory())
      diagnostics.push(
        refused(dir, 'unexpected-file', `${dir} must be a folder.`, `Replace the file ${dir} with a folder.`),
      );
    else walk(dir);
  }
  return { diagnostics, folders, abs };
}

/** Whether the scan accepted a regular file at `rel` (`policy/jml.yaml`). */
export function hasFile(tree: DataTree, rel: string): boolean {
  const slash = rel.lastIndexOf('/');
  const name = rel.slice(slash + 1);
  return tree.folders.get(rel.slice(0, slash))?.some((e) => e.name === name && !e.isDirectory) ?? false;
}

/** Whether the scan accepted a folder at `rel`. */
export function isFolder(tree: DataTree, rel: string): boolean {
  const slash = rel.lastIndexOf('/');
  const name = rel.slice(slash + 1);
  return tree.folders.get(rel.slice(0, slash))?.some((e) => e.name === name && e.isDirectory) ?? false;
}
