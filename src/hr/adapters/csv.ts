/**
 * A generic CSV export (any HRIS that can schedule one): policy maps each hr-snapshot/v1 field to
 * the column that holds it (`columns`), and translates the export's own words into the snapshot's
 * (`values`, like status: { Terminated: terminated }). Lines are the file's own (the header is
 * line 1), so a problem points at the row HR has to fix.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { HrSource } from '../../model/schema.js';
import type { RawRecord, SnapshotProblem } from '../snapshot.js';
import type { HrAdapterContext, HrAdapterResult } from '../types.js';

type CsvSource = Extract<HrSource, { kind: 'csv' }>;

/** Fields that hold an id of the HR system, which get the source's idPrefix. */
const ID_FIELDS = new Set(['sourceId', 'managerSourceId', 'rehireOf']);

export async function fetchCsv(ctx: HrAdapterContext): Promise<HrAdapterResult> {
  const source = ctx.source as CsvSource;
  const file = path.resolve(ctx.root, source.file);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(
      `hr source ${ctx.name}: cannot read ${source.file}${code ? ` (${code})` : ''} (policy/jml.yaml hr.sources.${ctx.name}.file, relative to the repository root)`,
    );
  }

  let rows: { record: Record<string, string>; info: { lines: number } }[];
  let header: string[] = [];
  try {
    rows = parseCsv(content, {
      columns: (h: string[]) => {
        header = h.map((c) => c.trim());
        return header;
      },
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as typeof rows;
  } catch (e) {
    return {
      records: [],
      problems: [{ message: `${source.file} is not valid CSV: ${(e as Error).message}` }],
    };
  }

  // A mapped column the export lacks would leave that field empty on every worker, and an empty
  // department or manager reads as a change for everyone: refuse the whole file instead.
  const missing = Object.entries(source.columns).filter(([, column]) => !header.includes(column));
  if (missing.length > 0) {
    return {
      records: [],
      problems: missing.map(([field, column]) => ({
        line: 1,
        message: `${source.file} has no column "${column}" (hr.sources.${ctx.name}.columns.${field}); the header has: ${header.join(', ')}`,
      })),
    };
  }

  // `source` defaults to "csv" in policy: left at the default, records carry the source's name.
  const sourceName = source.source ?? ctx.name;
  const records: RawRecord[] = [];
  const problems: SnapshotProblem[] = [];
  for (const { record: row, info } of rows) {
    // info.lines is the line the record ends on: the same as its start unless a cell spans lines.
    const line = info.lines;
    const value: Record<string, unknown> = { source: sourceName };
    for (const [field, column] of Object.entries(source.columns)) {
      const cell = row[column] ?? '';
      if (cell === '') continue;
      const translated = translate(source.values[field], cell);
      value[field] = ID_FIELDS.has(field) ? `${source.idPrefix}${translated}` : translated;
    }
    if (value.sourceId === undefined) {
      problems.push({
        line,
        message: `no ${source.columns.sourceId ?? 'sourceId'} on this row: a worker needs the HR system's id`,
      });
      continue;
    }
    value.timeZone ??= ctx.orgTimeZone;
    value.asOf ??= ctx.now.toISOString();
    records.push({ line, value });
  }
  return { records, problems };
}

/** The snapshot's word for an export value: exact first, then ignoring case; else unchanged. */
function translate(table: Record<string, string> | undefined, cell: string): string {
  if (!table) return cell;
  if (table[cell] !== undefined) return table[cell];
  const lower = cell.toLowerCase();
  const hit = Object.entries(table).find(([k]) => k.toLowerCase() === lower);
  return hit ? hit[1] : cell;
}
