/**
 * The record store: the one place apply records are written, amended and read.
 *
 * - One writer (`writeRecord`): atomic, fsynced, one file per run, named
 *   `<startedAt>-[offboard-<person>-]<fingerprint>-<result>.json`. The name is part of the
 *   contract: holds (`*-offboard-<person>-*`) and the CI scripts find records by it.
 * - One amend (`amendRecord`): a later step of the same run adds what it learned (the work
 *   issues, an offboarding's pull request, the review items it settled). The record is read
 *   back, validated, changed and rewritten atomically under the same name; its JSON keeps its
 *   field order, so an amended record differs from the written one only by what was added.
 * - One reader (`readRecords`), for every layout records live in: flat in the records
 *   directory (`.jml/records/`), the evidence branch's `records/YYYY/MM/`, and `restored/`
 *   (earlier runs' records copied back from that branch by the workflows). Each file is
 *   validated with the schema; one that does not parse is returned as a problem with its file,
 *   never cast and never thrown.
 */
import { type Dirent, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { z } from 'zod';
import { byCodePoint } from '../model/order.js';
import { type ApplyRecord, applyRecord, RECORD_SCHEMA } from './schema.js';

/** A record and where it was read from (relative to the directory read, `/`-separated). */
export interface RecordFile<T = ApplyRecord> {
  file: string;
  record: T;
}

/** A file where a record was expected that is not one: unreadable, not JSON, or not the schema. */
export interface RecordProblem {
  /** Relative to the directory read (`/`-separated); the path given, for a single file. */
  file: string;
  problem: string;
}

export interface RecordsRead<T = ApplyRecord> {
  /** Oldest first: by `startedAt`, then by file. */
  records: RecordFile<T>[];
  problems: RecordProblem[];
}

const OFFBOARD_NAME = /-offboard-.+\.json$/;

/** Whether a file name is an emergency offboarding's record (a hold): decided by name alone. */
export function isOffboardRecordName(name: string): boolean {
  return OFFBOARD_NAME.test(name);
}

/** The file name a record is written under. */
export function recordFileName(record: ApplyRecord): string {
  const stamp = record.startedAt.replace(/[:.]/g, '-');
  const tag = (record.planFingerprint ?? 'none').replace(/^sha256:/, '').slice(0, 8);
  // An emergency offboarding's record is found again by its name: it holds the person's access
  // cut until people/ records the termination (src/records/holds.ts).
  const kind = record.offboard ? `offboard-${record.offboard.person}-` : '';
  return `${stamp}-${kind}${tag}-${record.result}.json`;
}

function recordText(record: ApplyRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

/** Writes the record atomically into `dir` (created if need be); returns its path. */
export function writeRecord(dir: string, record: ApplyRecord): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, recordFileName(record));
  writeFileAtomic.sync(file, recordText(record), { fsync: true });
  return file;
}

/**
 * An observation record: what a run that changes no provider saw and must keep as evidence (the
 * state of manual-work tickets, day-one confirmations), written like any record (result
 * `no-changes`, nothing applied) so that it is kept on the evidence branch and read by the pack.
 * `observed` holds the observation fields (`tickets`, `dayOne`). Returns the file written.
 */
export function writeObservationRecord(
  dir: string,
  trigger: ApplyRecord['trigger'],
  at: Date,
  observed: Pick<ApplyRecord, 'tickets' | 'dayOne'>,
): string {
  const stamp = at.toISOString();
  return writeRecord(dir, {
    schema: RECORD_SCHEMA,
    startedAt: stamp,
    finishedAt: stamp,
    trigger,
    commit: null,
    at: stamp,
    planFingerprint: null,
    result: 'no-changes',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    ...observed,
  });
}

/** A record file that cannot be amended: it is not a valid record. */
export class RecordError extends Error {}

/**
 * Reads the record in `file`, validates it, applies `change` and rewrites it atomically. Returns
 * the new record. `change` returns a new record (spread the one given: `{ ...r, review }`), and
 * may not change what the file name is made of (start, offboarded person, fingerprint, result):
 * the record keeps its name. Throws RecordError when the file is not a valid record.
 */
export function amendRecord(file: string, change: (record: ApplyRecord) => ApplyRecord): ApplyRecord {
  const read = readRecordAt(file, applyRecord);
  if ('problem' in read) throw new RecordError(`${file} ${read.problem}`);
  const after = change(read.value);
  // A change that breaks the record or its name is a bug: the file is left as it was.
  const checked = applyRecord.safeParse(after);
  if (!checked.success) throw new Error(`amending ${file} would make it invalid: ${checked.error.message}`);
  if (recordFileName(after) !== recordFileName(read.value))
    throw new Error(`amending ${file} would change what its name says; a record keeps its name`);
  // Laid out as it was read: the fields keep the order they were written in (added ones come
  // last), and a field a later jml wrote, which the schema does not know, survives.
  writeFileAtomic.sync(file, `${JSON.stringify(inOrderOf(read.json, after), null, 2)}\n`, { fsync: true });
  return after;
}

/** One record file, validated; a problem (with the path given) when it is not one. */
export function readRecordFile(file: string): RecordFile | RecordProblem {
  const read = readRecordAt(file, applyRecord);
  return 'problem' in read ? { file, problem: read.problem } : { file, record: read.value };
}

export interface ReadOptions<T> {
  /**
   * Only the files whose base name passes, decided before a file is opened (holds read only
   * `*-offboard-*`, so a directory of thousands of records costs a listing).
   */
  accept?: (name: string) => boolean;
  /**
   * Validate against a part of the record (`applyRecord.pick(...)`) instead of the whole: for a
   * reader that must not let damage to fields it does not use make it miss the record.
   */
  view?: z.ZodType<T>;
}

/**
 * Every record under `dir`, in every layout (flat, `records/YYYY/MM/`, `restored/`: any depth),
 * oldest first, each validated; files that are not records are returned as problems. A missing
 * directory holds no records.
 */
export function readRecords(dir: string): RecordsRead;
export function readRecords<T extends { startedAt: string }>(
  dir: string,
  options: ReadOptions<T>,
): RecordsRead<T>;
export function readRecords(
  dir: string,
  options: ReadOptions<{ startedAt: string }> = {},
): RecordsRead<{ startedAt: string }> {
  const schema = options.view ?? applyRecord;
  const out: RecordsRead<{ startedAt: string }> = { records: [], problems: [] };
  for (const file of listRecordFiles(dir, options.accept ?? (() => true), out.problems)) {
    const read = readRecordAt(path.join(dir, file), schema);
    if ('problem' in read) out.problems.push({ file, problem: read.problem });
    else out.records.push({ file, record: read.value });
  }
  out.records.sort(
    (a, b) => byCodePoint(a.record.startedAt, b.record.startedAt) || byCodePoint(a.file, b.file),
  );
  return out;
}

/**
 * Every record under each of `dirs` (`readRecords` on each: the records directory, then copies of
 * the evidence branch's records/ a reader is also given), oldest first across them all. A
 * problem's file is joined to the directory it was found in, so it says which copy is damaged.
 */
export function readRecordsIn(dirs: readonly string[]): RecordsRead;
export function readRecordsIn<T extends { startedAt: string }>(
  dirs: readonly string[],
  options: ReadOptions<T>,
): RecordsRead<T>;
export function readRecordsIn(
  dirs: readonly string[],
  options: ReadOptions<{ startedAt: string }> = {},
): RecordsRead<{ startedAt: string }> {
  const out: RecordsRead<{ startedAt: string }> = { records: [], problems: [] };
  for (const dir of dirs) {
    const read = readRecords(dir, options);
    out.records.push(...read.records);
    out.problems.push(...read.problems.map((p) => ({ ...p, file: path.join(dir, p.file) })));
  }
  out.records.sort(
    (a, b) => byCodePoint(a.record.startedAt, b.record.startedAt) || byCodePoint(a.file, b.file),
  );
  return out;
}

/**
 * One copy of each run's record: a records directory holds this run's records at its top, and
 * earlier runs' copies under `restored/` or `records/YYYY/MM/` (a checkout of the evidence
 * branch), so one run can be read two or three times. A record's file name is made of what the
 * run was (start, offboarded person, fingerprint, result), so copies share it; of those, the one
 * with the most fields is kept (an amendment only adds: work issues, approval evidence), the
 * first read on a tie. Oldest first, as read.
 */
export function distinctRecords<T extends object>(records: RecordFile<T>[]): RecordFile<T>[] {
  const best = new Map<string, RecordFile<T>>();
  const size = (r: RecordFile<T>) => JSON.stringify(r.record).length;
  for (const r of records) {
    const name = path.posix.basename(r.file);
    const seen = best.get(name);
    if (!seen || size(r) > size(seen)) best.set(name, r);
  }
  const keep = new Set(best.values());
  return records.filter((r) => keep.has(r));
}

/**
 * The newest record a run wrote in `dir` (by name, which starts with the start instant), or
 * undefined. Only `dir` itself: what lies below (`restored/`, `records/YYYY/MM/`) is earlier
 * runs'. The file is not read: `readRecordFile` it.
 */
export function newestRecordFile(dir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return undefined;
  }
  names.sort();
  return names.length > 0 ? path.join(dir, names.at(-1)!) : undefined;
}

/**
 * The `.json` files under `dir` at any depth, relative and `/`-separated, each directory's names
 * in code-point order. A symbolic link to a file is followed, one to a directory is not (no
 * cycles). A directory that cannot be listed (other than a missing one) is a problem.
 */
function listRecordFiles(dir: string, accept: (name: string) => boolean, problems: RecordProblem[]) {
  const out: string[] = [];
  const walk = (rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(rel ? path.join(dir, rel) : dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || rel)
        problems.push({ file: rel || '.', problem: `cannot be listed (${errorText(e)})` });
      return;
    }
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const entry of entries) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.json') && accept(entry.name) && isFile(dir, child, entry))
        out.push(child);
    }
  };
  walk('');
  return out;
}

function isFile(dir: string, rel: string, entry: Dirent): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(path.join(dir, rel)).isFile();
  } catch {
    return false;
  }
}

/** A file read as JSON and validated with `schema`; what is wrong with it, when something is. */
function readRecordAt<T>(
  file: string,
  schema: z.ZodType<T>,
): { value: T; json: unknown } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return {
      problem: e instanceof SyntaxError ? `is not JSON (${e.message})` : `cannot be read (${errorText(e)})`,
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'the file';
    return { problem: `is not an apply record (${where}: ${issue.message})` };
  }
  return { value: parsed.data, json };
}

/**
 * `value` laid out like `like`: object fields in `like`'s order, then the new ones in their own;
 * a field of `like` that `value` lacks is kept (an amendment adds or replaces, never removes:
 * what is missing is a field the schema does not know and so did not copy). Arrays element by
 * element.
 */
function inOrderOf(like: unknown, value: unknown): unknown {
  if (Array.isArray(value))
    return value.map((v, i) => inOrderOf(Array.isArray(like) ? like[i] : undefined, v));
  if (!isPlainObject(value)) return value;
  if (!isPlainObject(like)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(like)) out[k] = k in value ? inOrderOf(v, value[k]) : v;
  for (const [k, v] of Object.entries(value)) if (!(k in like)) out[k] = v;
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
