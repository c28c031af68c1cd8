/**
 * hr-snapshot/v1: the neutral record every HR adapter produces, one per worker, keyed on the HR
 * system's immutable id. The model is zod (like the repository's files), published as a JSON
 * Schema (schemas/hr-snapshot.schema.json, `jml schemas --write`), and every record is checked
 * against that JSON Schema with ajv, so a relay or another tool can validate exactly as jml does.
 *
 * A bad record is reported with its line (JSON Lines, CSV) and skipped, never half-applied; two
 * records for one worker are both skipped, since nobody can tell which is right.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { calendarDate, instant } from '../model/schema.js';
import { isValidTimeZone } from '../model/time.js';

export const HR_SNAPSHOT_SCHEMA = 'hr-snapshot/v1';

const id = z.string().min(1).max(64);
const text = (max: number) => z.string().min(1).max(max);

export const hrRecord = z.strictObject({
  source: text(64).meta({
    description: 'The HR system: bamboohr, workday, hibob, or the name of a CSV source.',
  }),
  sourceId: id.meta({
    description: "The worker's immutable id in that system: the only key jml matches on.",
  }),
  workerType: z.enum(['employee', 'contractor', 'intern']),
  status: z.enum(['pre_hire', 'active', 'leave', 'terminated']),
  preferredName: text(200).nullable().optional(),
  legalName: text(200),
  workEmail: z.email().max(254).nullable().optional(),
  managerSourceId: id
    .nullable()
    .optional()
    .meta({ description: "The manager's sourceId in the same system." }),
  jobTitle: text(200).nullable().optional(),
  jobFamily: text(200)
    .nullable()
    .optional()
    .meta({ description: 'Mapped to a role by policy hr.jobFamilies.' }),
  department: text(100).nullable().optional(),
  timeZone: text(64).meta({ description: "The worker's IANA time zone, like Europe/Berlin." }),
  startDate: calendarDate.meta({ description: "First day of work, a local date in the worker's time zone." }),
  lastDayOfWork: calendarDate
    .nullable()
    .optional()
    .meta({ description: "Last day of work, a local date in the worker's time zone." }),
  endInstant: instant
    .nullable()
    .optional()
    .meta({ description: 'When access ends, when HR gives an exact instant (RFC 3339 with offset).' }),
  rehireOf: id
    .nullable()
    .optional()
    .meta({ description: 'The sourceId of an earlier employment of the same person.' }),
  asOf: instant.meta({ description: 'When the HR system said this (RFC 3339 with offset).' }),
});
export type HrRecord = z.infer<typeof hrRecord>;

/** The JSON Schema of one record (draft 2020-12). */
export function hrSnapshotJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(hrRecord, { io: 'input', unrepresentable: 'throw' }),
    $id: 'https://jml.local/schemas/hr-snapshot.schema.json',
    title: `One worker of an HR snapshot (${HR_SNAPSHOT_SCHEMA}), one per line of a JSON Lines file`,
  };
}

/** A record that could not be used: where it is, whose it is when known, and why. */
export interface SnapshotProblem {
  /** 1-based line in the snapshot (the header is line 1 of a CSV); absent for API sources. */
  line?: number;
  sourceId?: string;
  message: string;
}

export interface Snapshot {
  records: HrRecord[];
  problems: SnapshotProblem[];
}

/** A raw record as an adapter or a file gave it, with where it came from. */
export interface RawRecord {
  line?: number;
  value: unknown;
}

// ajv-formats is CommonJS with a default export.
const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
let validator: ReturnType<Ajv2020['compile']> | undefined;
function validate(value: unknown) {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    validator = ajv.compile(hrSnapshotJsonSchema());
  }
  return { ok: validator(value) as boolean, errors: validator.errors ?? [] };
}

function sourceIdOf(value: unknown): string | undefined {
  const v = (value as { sourceId?: unknown } | null)?.sourceId;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Checks raw records against the JSON Schema and the rules a schema cannot say (a real IANA
 * zone, one record per worker, an end not before the start). Returns the good records and a
 * problem for each other one.
 */
export function validateRecords(raw: readonly RawRecord[]): Snapshot {
  const problems: SnapshotProblem[] = [];
  const good: { line?: number; record: HrRecord }[] = [];
  for (const { line, value } of raw) {
    const where = {
      ...(line !== undefined ? { line } : {}),
      ...(sourceIdOf(value) ? { sourceId: sourceIdOf(value) } : {}),
    };
    const { ok, errors } = validate(value);
    if (!ok) {
      const what = errors
        .map((e) => {
          const field =
            e.instancePath.replace(/^\//, '') ||
            (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ||
            (e.params as { missingProperty?: string }).missingProperty ||
            'record';
          return `${field}: ${e.message}`;
        })
        .join('; ');
      problems.push({ ...where, message: `not an ${HR_SNAPSHOT_SCHEMA} record (${what})` });
      continue;
    }
    const record = hrRecord.parse(value);
    if (!isValidTimeZone(record.timeZone)) {
      problems.push({
        ...where,
        message: `timeZone ${record.timeZone} is not an IANA time zone (like Europe/Berlin)`,
      });
      continue;
    }
    if (record.lastDayOfWork && record.lastDayOfWork < record.startDate) {
      problems.push({
        ...where,
        message: `lastDayOfWork ${record.lastDayOfWork} is before startDate ${record.startDate}`,
      });
      continue;
    }
    good.push({ ...(line !== undefined ? { line } : {}), record });
  }
  // One record per worker: a second one makes both untrustworthy.
  const count = new Map<string, number>();
  for (const g of good) {
    const key = `${g.record.source}\u0000${g.record.sourceId}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  const records: HrRecord[] = [];
  for (const g of good) {
    if ((count.get(`${g.record.source}\u0000${g.record.sourceId}`) ?? 0) > 1) {
      problems.push({
        ...(g.line !== undefined ? { line: g.line } : {}),
        sourceId: g.record.sourceId,
        message: `${g.record.source} worker ${g.record.sourceId} appears more than once in the snapshot: all its records are skipped`,
      });
    } else records.push(g.record);
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { records, problems };
}

/**
 * Reads a snapshot file's text: JSON Lines (`.jsonl`, `.ndjson`, `.json` with one object per
 * line) or CSV (`.csv`, a header row of field names, empty cells absent).
 */
export function parseSnapshot(textOfFile: string, fileName: string): Snapshot {
  return checkSnapshotFile(readSnapshotFile(textOfFile, fileName));
}

/** A snapshot file read as parseSnapshot reads it: each record raw, with its line; what could not be read. */
export interface SnapshotFile {
  raw: RawRecord[];
  problems: SnapshotProblem[];
}

/** The records of a snapshot file's text, each with its line (not yet checked: checkSnapshotFile). */
export function readSnapshotFile(textOfFile: string, fileName: string): SnapshotFile {
  const raw: RawRecord[] = [];
  const problems: SnapshotProblem[] = [];
  if (/\.csv$/i.test(fileName)) {
    let rows: { record: Record<string, string>; info: { lines: number } }[];
    try {
      // `info` gives each record's own line: a quoted cell may span several.
      rows = parseCsv(textOfFile, {
        columns: true,
        skip_empty_lines: true,
        bom: true,
        trim: true,
        info: true,
      });
    } catch (e) {
      return { raw: [], problems: [{ message: `${fileName} is not valid CSV: ${(e as Error).message}` }] };
    }
    // A record starts on the line after the previous one ended (the header is line 1).
    let ended = 1;
    for (const { record, info } of rows) {
      const value = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== ''));
      raw.push({ line: ended + 1, value });
      ended = info.lines;
    }
  } else {
    textOfFile.split(/\r?\n/).forEach((lineText, i) => {
      if (lineText.trim() === '') return;
      try {
        raw.push({ line: i + 1, value: JSON.parse(lineText) });
      } catch (e) {
        problems.push({ line: i + 1, message: `not JSON: ${(e as Error).message}` });
      }
    });
  }
  return { raw, problems };
}

/** Checks a file's records (validateRecords): the good ones, and every problem by line. */
export function checkSnapshotFile({ raw, problems }: SnapshotFile): Snapshot {
  const checked = validateRecords(raw);
  return {
    records: checked.records,
    problems: [...problems, ...checked.problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  };
}
