/**
 * load: a policy repository on disk -> the typed model, with every value's file and line.
 *
 * Problems are collected as diagnostics, never thrown: a broken file is left out of the model
 * (its id is remembered in `broken` so references to it do not cascade into more errors) and
 * loading carries on with the rest.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
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
import { type FolderKind, ID_FOLDERS, IGNORED_NAMES, POLICY_FILES } from './data-files.js';
import { type DataTree, hasFile, isFolder, type Overlay, scanDataTree } from './data-tree.js';
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

export type { FolderKind };

function fileDiag(file: string, rule: string, message: string, hint: string, line = 1): Diagnostic {
  return { severity: 'error', rule, file, line, column: 1, message, hint };
}

/**
 * Reads a file the data-tree scan accepted as regular (src/load/data-files.ts): one open, one
 * fstat for the size limit and the link count, one read. A file with a second hard link is
 * refused like a symbolic link: an edit through the other name would change it unseen (git never
 * checks out hard links, so only a tampered working copy has one).
 */
function readRegular(abs: string, rel: string): Uint8Array | Diagnostic {
  const fd = openSync(abs, 'r');
  try {
    const st = fstatSync(fd);
    const { size, nlink } = st;
    if (!st.isFile()) {
      return fileDiag(
        rel,
        'unexpected-file',
        'This is not a regular file, so it is not read.',
        `Replace ${rel} with an ordinary text file.`,
      );
    }
    if (nlink > 1) {
      return fileDiag(
        rel,
        'hard-link',
        `This file has ${nlink} names on disk (a hard link): an edit through another name would change it, so it is not read.`,
        `Replace ${rel} with a copy of its own (cp, then mv over it).`,
      );
    }
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
  zone?: string,
): { value?: T; diagnostics: Diagnostic[] } {
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, diagnostics: [] };
  return { diagnostics: schemaDiagnostics(src, at, schema, raw, r.error.issues, missingRules, zone) };
}

function rawId(raw: unknown): string | undefined {
  if (raw && typeof raw === 'object' && 'id' in raw && typeof (raw as { id: unknown }).id === 'string') {
    return (raw as { id: string }).id;
  }
  return undefined;
}

/** One file in people/, roles/ or exceptions/ to load. */
export interface FolderFileJob {
  /** Where the file is read from. */
  abs: string;
  dir: string;
  kind: FolderKind;
  name: string;
  isDirectory: boolean;
  /** The organisation's time zone (policy/jml.yaml), when it loaded: offset hints use it. */
  zone?: string;
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
  const bytes = readRegular(job.abs, rel);
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
  const r = check(
    parsed.src,
    [],
    schema,
    parsed.value,
    kind === 'exception' ? EXCEPTION_MISSING : undefined,
    job.zone,
  );
  if (!r.value) return { rel, kind, stem, diagnostics: r.diagnostics, broken: false };
  releaseDocument(parsed.src);
  return { rel, kind, stem, diagnostics: r.diagnostics, broken: false, value: r.value, src: parsed.src };
}

/**
 * Loads a whole repository. Never throws for problems in the user's files. With an overlay, the
 * overlay's version of its paths replaces the root's (jml approvals: the head as it would merge).
 */
export function loadRepository(root: string, overlay?: Overlay): LoadResult {
  const diagnostics: Diagnostic[] = [];
  // Links, devices, nested repositories and case twins are refused here, before any read.
  const tree = scanDataTree(root, overlay);
  diagnostics.push(...tree.diagnostics);
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

  const parseFile = (rel: string) => {
    const bytes = readRegular(tree.abs(rel), rel);
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
  /** Whether a policy file is there to read; a refused one (a link) is already reported. */
  const present = (rel: string): boolean => {
    if (hasFile(tree, rel)) return true;
    if (refusedPaths.has(rel)) repo.broken.files.add(rel);
    else if (isFolder(tree, rel)) {
      diagnostics.push(
        fileDiag(
          rel,
          'unexpected-directory',
          'This is a folder, but a file is expected here.',
          `Replace ${rel} with a file.`,
        ),
      );
      repo.broken.files.add(rel);
    } else return false;
    return true;
  };
  const refusedPaths = new Set(tree.diagnostics.map((d) => d.file));

  // --- policy/jml.yaml ------------------------------------------------------------------------
  const policyFile = POLICY_FILES.policy;
  if (!present(policyFile)) {
    diagnostics.push(
      fileDiag(
        policyFile,
        'missing-file',
        'The organisation settings file is missing.',
        'Create policy/jml.yaml (see README.md).',
      ),
    );
  } else if (hasFile(tree, policyFile)) {
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
    if (!present(file)) {
      if (required) {
        diagnostics.push(fileDiag(file, 'missing-file', `${file} is missing.`, 'Create it (see README.md).'));
        repo.broken.files.add(file);
      }
      return;
    }
    if (!hasFile(tree, file)) return;
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
  loadList(POLICY_FILES.entitlements, entitlement, repo.entitlements, repo.broken.entitlements, true);
  loadList(POLICY_FILES.apps, app, repo.apps, repo.broken.apps, false);
  loadList(POLICY_FILES.sod, sodRule, repo.sod, undefined, false);

  // --- one file per person, role and exception -----------------------------------------------
  const jobs: FolderFileJob[] = [];
  for (const { dir, kind } of ID_FOLDERS) {
    for (const entry of tree.folders.get(dir) ?? []) {
      if (IGNORED_NAMES.has(entry.name)) continue;
      const rel = `${dir}/${entry.name}`;
      jobs.push({
        abs: tree.abs(rel),
        dir,
        kind,
        name: entry.name,
        isDirectory: entry.isDirectory,
        ...(repo.policy ? { zone: repo.policy.value.timezone } : {}),
      });
    }
    // A refused file (a link, a case twin) still names an id: references to it are not reported again.
    for (const d of tree.diagnostics) {
      const m = d.file.startsWith(`${dir}/`) ? /^([^/]+)\.yaml$/.exec(d.file.slice(dir.length + 1)) : null;
      if (m) repo.broken[FOLDER_OF[kind] as 'people' | 'roles' | 'exceptions'].add(m[1]!);
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
  loadReviews(tree, repo, diagnostics);
  return { repo, diagnostics };
}

/**
 * reviews/<quarter>/campaign.yaml and reviews/<quarter>/<reviewer>.yaml: one folder per quarter,
 * nothing else in reviews/. A file that fails to load is reported and left out.
 */
function loadReviews(tree: DataTree, repo: Repository, diagnostics: Diagnostic[]): void {
  for (const q of tree.folders.get('reviews') ?? []) {
    if (IGNORED_NAMES.has(q.name)) continue;
    const rel = `reviews/${q.name}`;
    if (!q.isDirectory) {
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
    for (const f of tree.folders.get(rel) ?? []) {
      if (IGNORED_NAMES.has(f.name)) continue;
      const fileRel = `${rel}/${f.name}`;
      const ext = path.extname(f.name);
      if (f.isDirectory || ext !== '.yaml') {
        diagnostics.push(
          fileDiag(
            fileRel,
            f.isDirectory ? 'unexpected-directory' : ext === '.yml' ? 'wrong-extension' : 'unexpected-file',
            f.isDirectory
              ? `${rel}/ holds the campaign file and one file per reviewer; folders inside it are not read.`
              : ext === '.yml'
                ? 'Files here must end in .yaml, not .yml.'
                : `Only .yaml files belong in ${rel}/.`,
            f.isDirectory ? `Move the files in ${fileRel}/ out of it.` : `Rename or move ${f.name}.`,
          ),
        );
        continue;
      }
      const bytes = readRegular(tree.abs(fileRel), fileRel);
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
