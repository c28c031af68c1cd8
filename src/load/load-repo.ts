/**
 * load: a policy repository on disk -> the typed model, with every value's file and line.
 *
 * Problems are collected as diagnostics, never thrown: a broken file is left out of the model
 * (its id is remembered in `broken` so references to it do not cascade into more errors) and
 * loading carries on with the rest.
 */
import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Diagnostic } from '../model/diagnostic.js';
import {
  type App,
  app,
  type Entitlement,
  type Exception,
  entitlement,
  exception,
  fileKinds,
  type Person,
  type Policy,
  person,
  policy,
  quarter,
  type ReviewCampaign,
  type ReviewFile,
  type Role,
  reviewCampaign,
  reviewFile,
  role,
  type SodRule,
  sodRule,
} from '../model/schema.js';
import { fileTooLarge, MAX_FILE_BYTES, parseYaml } from './parse-yaml.js';
import { schemaDiagnostics } from './schema-diagnostics.js';
import { type Located, releaseDocument, type SourceFile } from './source.js';

export interface Repository {
  root: string;
  policy?: Located<Policy>;
  entitlements: Located<Entitlement>[];
  apps: Located<App>[];
  sod: Located<SodRule>[];
  roles: Located<Role>[];
  people: Located<Person>[];
  exceptions: Located<Exception>[];
  /** Access review campaigns: reviews/<quarter>/campaign.yaml and the reviewer files beside it. */
  reviews: { campaigns: Located<ReviewCampaign>[]; files: Located<ReviewFile>[] };
  /** Ids whose file or entry failed to load; references to them are not reported again. */
  broken: {
    people: Set<string>;
    roles: Set<string>;
    exceptions: Set<string>;
    entitlements: Set<string>;
    apps: Set<string>;
    /**
     * Files that could not be read at all (missing, not YAML, not a list). References into a
     * broken catalog are not reported: the one error about the file is the one to fix.
     */
    files: Set<string>;
  };
}

export interface LoadResult {
  repo: Repository;
  diagnostics: Diagnostic[];
}

export type FolderKind = 'person' | 'role' | 'exception';
const FOLDERS: readonly { dir: string; kind: FolderKind }[] = [
  { dir: 'people', kind: 'person' },
  { dir: 'roles', kind: 'role' },
  { dir: 'exceptions', kind: 'exception' },
];
const IGNORED_NAMES = new Set(['README.md', '.gitkeep']);

function fileDiag(file: string, rule: string, message: string, hint: string, line = 1): Diagnostic {
  return { severity: 'error', rule, file, line, column: 1, message, hint };
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Reads a file's bytes, refusing anything that resolves outside the repository (a symlinked file
 * or a symlinked folder on the way to it): a pull request must not be able to make the engine
 * read /etc/passwd or another checkout's secrets. Folders, devices and oversized files are
 * refused before a byte is read.
 */
function readInside(realRoot: string, abs: string, rel: string): Uint8Array | Diagnostic {
  let target: string;
  try {
    target = realpathSync(abs);
  } catch (e) {
    if (lstatSync(abs).isSymbolicLink()) {
      return fileDiag(
        rel,
        'broken-symlink',
        'This file is a link to a file that does not exist.',
        'Replace the link with the file itself.',
      );
    }
    throw e;
  }
  if (!isInside(realRoot, target)) {
    return fileDiag(
      rel,
      'symlink-outside-repo',
      'This file is a link (or inside a linked folder) pointing outside the repository; it is not read.',
      'Replace the link with a real file: everything that grants access must be reviewable in this repository.',
    );
  }
  const st = statSync(target);
  if (st.isDirectory()) {
    return fileDiag(
      rel,
      'unexpected-directory',
      'This is a folder (or a link to one), but a file is expected here.',
      `Replace ${rel} with a file.`,
    );
  }
  if (!st.isFile()) {
    return fileDiag(
      rel,
      'unexpected-file',
      'This is not a regular file, so it is not read.',
      `Replace ${rel} with an ordinary text file.`,
    );
  }
  if (st.size > MAX_FILE_BYTES) return fileTooLarge(rel, st.size);
  return readFileSync(target);
}

/**
 * Reads a regular file (not a link) from a folder already known to be inside the repository:
 * one open, one fstat for the size limit, one read. The common case, kept cheap.
 */
function readRegular(abs: string, rel: string): Uint8Array | Diagnostic {
  const fd = openSync(abs, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > MAX_FILE_BYTES) return fileTooLarge(rel, size);
    const buf = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Guesses what kind of file a mapping is, to catch files put in the wrong folder. */
function sniffKind(value: unknown): FolderKind | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if ('employment' in v || ('email' in v && 'roles' in v)) return 'person';
  if ('justification' in v || 'expires' in v || ('person' in v && 'approvers' in v)) return 'exception';
  if ('includes' in v || ('title' in v && 'owner' in v && 'entitlements' in v)) return 'role';
  return undefined;
}

const FOLDER_OF: Record<FolderKind, string> = { person: 'people', role: 'roles', exception: 'exceptions' };
const SCHEMA_OF = { person, role, exception } as const;
/** An exception without a justification or an expiry is a policy breach, not just a missing field. */
const EXCEPTION_MISSING = { justification: 'exception-no-justification', expires: 'exception-no-expiry' };

/** Parses a value against a schema, turning issues into diagnostics. */
function check<T>(
  src: SourceFile,
  at: (string | number)[],
  schema: z.ZodType<T>,
  raw: unknown,
  missingRules?: Readonly<Record<string, string>>,
): { value?: T; diagnostics: Diagnostic[] } {
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, diagnostics: [] };
  return { diagnostics: schemaDiagnostics(src, at, schema, raw, r.error.issues, missingRules) };
}

function rawId(raw: unknown): string | undefined {
  if (raw && typeof raw === 'object' && 'id' in raw && typeof (raw as { id: unknown }).id === 'string') {
    return (raw as { id: string }).id;
  }
  return undefined;
}

/** One file in people/, roles/ or exceptions/ to load. */
export interface FolderFileJob {
  root: string;
  realRoot: string;
  dir: string;
  kind: FolderKind;
  name: string;
  isDirectory: boolean;
  /** A regular file in a folder known to resolve inside the repository (the cheap read). */
  regular: boolean;
}

export interface FolderFileResult {
  rel: string;
  kind: FolderKind;
  /** The id the file name promises, for suppressing follow-on errors when the file is broken. */
  stem?: string;
  diagnostics: Diagnostic[];
  /** True when the file could not be read or parsed at all. */
  broken: boolean;
  value?: Person | Role | Exception;
  src?: SourceFile;
}

/** Reads, parses and checks one file of a folder. Pure apart from reading that file. */
export function loadFolderFile(job: FolderFileJob): FolderFileResult {
  const { dir, kind, name } = job;
  const rel = `${dir}/${name}`;
  const fail = (d: Diagnostic, stem?: string): FolderFileResult => ({
    rel,
    kind,
    ...(stem !== undefined ? { stem } : {}),
    diagnostics: [d],
    broken: false,
  });
  if (job.isDirectory) {
    return fail(
      fileDiag(
        rel,
        'unexpected-directory',
        `${dir}/ holds one file per ${kind}; folders inside it are not read.`,
        `Move the files in ${rel}/ directly into ${dir}/.`,
      ),
    );
  }
  const ext = path.extname(name);
  const stem = path.basename(name, ext);
  if (ext !== '.yaml') {
    return fail(
      fileDiag(
        rel,
        ext === '.yml' ? 'wrong-extension' : 'unexpected-file',
        ext === '.yml' ? 'Files here must end in .yaml, not .yml.' : `Only .yaml files belong in ${dir}/.`,
        ext === '.yml' ? `Rename it to ${dir}/${stem}.yaml.` : `Move ${name} out of ${dir}/.`,
      ),
    );
  }
  const abs = path.join(job.root, rel);
  const bytes = job.regular ? readRegular(abs, rel) : readInside(job.realRoot, abs, rel);
  if (!(bytes instanceof Uint8Array)) return { rel, kind, stem, diagnostics: [bytes], broken: true };
  const parsed = parseYaml(rel, bytes);
  if (!parsed.ok) return { rel, kind, stem, diagnostics: parsed.diagnostics, broken: true };
  const sniffed = sniffKind(parsed.value);
  if (sniffed && sniffed !== kind) {
    return fail(
      fileDiag(
        rel,
        'wrong-folder',
        `This looks like a ${sniffed} file, but it is in ${dir}/.`,
        `Move it to ${FOLDER_OF[sniffed]}/${name}.`,
      ),
      stem,
    );
  }
  const schema = SCHEMA_OF[kind] as z.ZodType<Person | Role | Exception>;
  const r = check(parsed.src, [], schema, parsed.value, kind === 'exception' ? EXCEPTION_MISSING : undefined);
  if (!r.value) return { rel, kind, stem, diagnostics: r.diagnostics, broken: false };
  releaseDocument(parsed.src);
  return { rel, kind, stem, diagnostics: r.diagnostics, broken: false, value: r.value, src: parsed.src };
}

/** Loads a whole repository. Never throws for problems in the user's files. */
export function loadRepository(root: string): LoadResult {
  const diagnostics: Diagnostic[] = [];
  const realRoot = realpathSync(root);
  const repo: Repository = {
    root,
    entitlements: [],
    apps: [],
    sod: [],
    roles: [],
    people: [],
    exceptions: [],
    reviews: { campaigns: [], files: [] },
    broken: {
      people: new Set(),
      roles: new Set(),
      exceptions: new Set(),
      entitlements: new Set(),
      apps: new Set(),
      files: new Set(),
    },
  };

  const parseFile = (rel: string, regularInVerifiedDir = false) => {
    const abs = path.join(root, rel);
    const bytes = regularInVerifiedDir ? readRegular(abs, rel) : readInside(realRoot, abs, rel);
    if (!(bytes instanceof Uint8Array)) {
      diagnostics.push(bytes);
      repo.broken.files.add(rel);
      return undefined;
    }
    const parsed = parseYaml(rel, bytes);
    if (!parsed.ok) {
      diagnostics.push(...parsed.diagnostics);
      repo.broken.files.add(rel);
      return undefined;
    }
    return parsed;
  };

  // --- policy/jml.yaml ------------------------------------------------------------------------
  const policyFile = fileKinds.policy.file;
  if (!exists(path.join(root, policyFile))) {
    diagnostics.push(
      fileDiag(
        policyFile,
        'missing-file',
        'The organisation settings file is missing.',
        'Create policy/jml.yaml (see README.md).',
      ),
    );
  } else {
    const parsed = parseFile(policyFile);
    if (parsed) {
      const r = check(parsed.src, [], policy, parsed.value);
      diagnostics.push(...r.diagnostics);
      if (r.value) repo.policy = { value: r.value, src: parsed.src, at: [] };
      releaseDocument(parsed.src);
    }
  }

  // --- catalogs: one list per file, each entry checked on its own ----------------------------
  const loadList = <T>(
    file: string,
    schema: z.ZodType<T>,
    into: Located<T>[],
    brokenIds: Set<string> | undefined,
    required: boolean,
  ) => {
    if (!exists(path.join(root, file))) {
      if (required) {
        diagnostics.push(fileDiag(file, 'missing-file', `${file} is missing.`, 'Create it (see README.md).'));
        repo.broken.files.add(file);
      }
      return;
    }
    const parsed = parseFile(file);
    if (!parsed) return;
    if (!Array.isArray(parsed.value)) {
      diagnostics.push(
        fileDiag(
          file,
          'wrong-type',
          'This file must be a list (each entry starting with "- ").',
          'See README.md for an example.',
        ),
      );
      repo.broken.files.add(file);
      return;
    }
    parsed.value.forEach((raw, i) => {
      const r = check(parsed.src, [i], schema, raw);
      diagnostics.push(...r.diagnostics);
      if (r.value) into.push({ value: r.value, src: parsed.src, at: [i] });
      else {
        const id = rawId(raw);
        if (id) brokenIds?.add(id);
      }
    });
    releaseDocument(parsed.src);
  };
  loadList(fileKinds.entitlements.file, entitlement, repo.entitlements, repo.broken.entitlements, true);
  loadList(fileKinds.apps.file, app, repo.apps, repo.broken.apps, false);
  loadList(fileKinds.sod.file, sodRule, repo.sod, undefined, false);

  // --- one file per person, role and exception -----------------------------------------------
  const jobs: FolderFileJob[] = [];
  for (const { dir, kind } of FOLDERS) {
    const absDir = path.join(root, dir);
    if (!exists(absDir)) continue;
    // A regular file directly inside a folder that itself resolves inside the repository cannot
    // lead outside it; only links (and a linked folder) need the full check.
    const dirInside = isInside(realRoot, realpathSync(absDir));
    const entries = readdirSync(absDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      if (IGNORED_NAMES.has(entry.name)) continue;
      jobs.push({
        root,
        realRoot,
        dir,
        kind,
        name: entry.name,
        isDirectory: entry.isDirectory(),
        regular: dirInside && entry.isFile(),
      });
    }
  }
  for (const r of jobs.map(loadFolderFile)) {
    diagnostics.push(...r.diagnostics);
    if (r.broken) repo.broken.files.add(r.rel);
    if (!r.value || !r.src) {
      if (r.stem !== undefined)
        repo.broken[FOLDER_OF[r.kind] as 'people' | 'roles' | 'exceptions'].add(r.stem);
      continue;
    }
    const located = { value: r.value, src: r.src, at: [] };
    if (r.kind === 'person') repo.people.push(located as Located<Person>);
    else if (r.kind === 'role') repo.roles.push(located as Located<Role>);
    else repo.exceptions.push(located as Located<Exception>);
  }
  loadReviews(root, realRoot, repo, diagnostics);
  return { repo, diagnostics };
}

/**
 * reviews/<quarter>/campaign.yaml and reviews/<quarter>/<reviewer>.yaml: one folder per quarter,
 * nothing else in reviews/. A file that fails to load is reported and left out.
 */
function loadReviews(root: string, realRoot: string, repo: Repository, diagnostics: Diagnostic[]): void {
  const absDir = path.join(root, 'reviews');
  if (!exists(absDir)) return;
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
  for (const q of readdirSync(absDir, { withFileTypes: true }).sort(byName)) {
    if (IGNORED_NAMES.has(q.name)) continue;
    const rel = `reviews/${q.name}`;
    if (!q.isDirectory()) {
      diagnostics.push(
        fileDiag(
          rel,
          'unexpected-file',
          'reviews/ holds one folder per quarter (reviews/2027-Q1/), not files.',
          `Move ${q.name} into its quarter's folder.`,
        ),
      );
      continue;
    }
    if (!quarter.safeParse(q.name).success) {
      diagnostics.push(
        fileDiag(
          rel,
          'unexpected-directory',
          `reviews/${q.name} is not a quarter: the folders in reviews/ are named YYYY-Qn, like 2027-Q1.`,
          'Rename the folder to its quarter.',
        ),
      );
      continue;
    }
    for (const f of readdirSync(path.join(absDir, q.name), { withFileTypes: true }).sort(byName)) {
      if (IGNORED_NAMES.has(f.name)) continue;
      const fileRel = `${rel}/${f.name}`;
      const ext = path.extname(f.name);
      if (f.isDirectory() || ext !== '.yaml') {
        diagnostics.push(
          fileDiag(
            fileRel,
            f.isDirectory() ? 'unexpected-directory' : ext === '.yml' ? 'wrong-extension' : 'unexpected-file',
            f.isDirectory()
              ? `${rel}/ holds the campaign file and one file per reviewer; folders inside it are not read.`
              : ext === '.yml'
                ? 'Files here must end in .yaml, not .yml.'
                : `Only .yaml files belong in ${rel}/.`,
            f.isDirectory() ? `Move the files in ${fileRel}/ out of it.` : `Rename or move ${f.name}.`,
          ),
        );
        continue;
      }
      const bytes = readInside(realRoot, path.join(root, fileRel), fileRel);
      if (!(bytes instanceof Uint8Array)) {
        diagnostics.push(bytes);
        repo.broken.files.add(fileRel);
        continue;
      }
      const parsed = parseYaml(fileRel, bytes);
      if (!parsed.ok) {
        diagnostics.push(...parsed.diagnostics);
        repo.broken.files.add(fileRel);
        continue;
      }
      if (f.name === 'campaign.yaml') {
        const r = check(parsed.src, [], reviewCampaign, parsed.value);
        diagnostics.push(...r.diagnostics);
        if (r.value) repo.reviews.campaigns.push({ value: r.value, src: parsed.src, at: [] });
      } else {
        const r = check(parsed.src, [], reviewFile, parsed.value);
        diagnostics.push(...r.diagnostics);
        if (r.value) repo.reviews.files.push({ value: r.value, src: parsed.src, at: [] });
      }
      releaseDocument(parsed.src);
    }
  }
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
