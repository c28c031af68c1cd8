/**
 * A snapshot as `jml hr sync` classifies it, from either origin: the text of a file the user
 * named (`--snapshot`), or what a source's adapter fetched (`--source`). Both give the usable
 * records, the problems found so far, and the line of each record by sourceId, so that a problem
 * classify finds later (a job family no role maps) still names its line. Pure: the text or the
 * adapter's result in, the snapshot out.
 */
import {
  checkSnapshotFile,
  type HrRecord,
  type RawRecord,
  readSnapshotFile,
  type SnapshotProblem,
  validateRecords,
} from './snapshot.js';
import type { HrAdapterResult } from './types.js';

export interface LoadedSnapshot {
  records: HrRecord[];
  problems: SnapshotProblem[];
  /** The line of each record, by sourceId (problems found later name it). */
  lines: Map<string, number>;
}

/** A snapshot file's text (JSON Lines or CSV, by `file`'s name), checked record by record. */
export function snapshotFromText(text: string, file: string): LoadedSnapshot {
  const read = readSnapshotFile(text, file);
  return { ...checkSnapshotFile(read), lines: linesOfRaw(read.raw) };
}

/** What an adapter fetched, checked record by record; its own problems first. */
export function snapshotFromAdapter(fetched: HrAdapterResult): LoadedSnapshot {
  const checked = validateRecords(fetched.records);
  return {
    records: checked.records,
    problems: [...fetched.problems, ...checked.problems],
    lines: linesOfRaw(fetched.records),
  };
}

/** sourceId -> line of raw records (a file's, or those an adapter knows a line of). */
function linesOfRaw(raw: readonly RawRecord[]): Map<string, number> {
  const lines = new Map<string, number>();
  for (const r of raw) {
    const id = (r.value as { sourceId?: unknown } | null)?.sourceId;
    if (r.line !== undefined && typeof id === 'string' && !lines.has(id)) lines.set(id, r.line);
  }
  return lines;
}
