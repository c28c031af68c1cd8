/**
 * Offboarding holds, read from the apply records. An emergency offboarding (`jml offboard`) cuts
 * access before any pull request exists, so until people/ records the termination the repository
 * still says the person is active, and the next scheduled apply would give everything back. The
 * offboarding's apply record is the hold: while it stands, the person resolves as a high-risk
 * leaver at the instant access was cut (src/resolve/holds.ts `withHolds`). It is lifted early
 * only by `jml offboard <person> --cancel`, which writes a record of its own.
 *
 * The records are found by name (`*-offboard-<person>-*.json`, see store.ts `recordFileName`),
 * in every layout the store reads (CI restores earlier runs' offboarding records into
 * `restored/` from the evidence branch).
 */
import type { Hold } from '../model/holds.js';
import { applyRecord, type OffboardEntry } from './schema.js';
import { isOffboardRecordName, type RecordProblem, readRecords } from './store.js';

/**
 * What a hold is read from. Only these fields are validated: a hold only ever ends access
 * earlier, so damage elsewhere in its record (a trigger, the counts) must not make it lapse.
 */
const holdView = applyRecord.pick({ startedAt: true, changes: true, offboard: true });

export interface HoldsRead {
  /** Each person's standing hold. */
  holds: Map<string, Hold>;
  /**
   * Offboarding records that could not be read. Each still holds the person its name names, from
   * the instant its name gives, until a later readable record of theirs decides (fail closed).
   */
  problems: RecordProblem[];
}

/** `2026-12-01T17-00-00-000Z-offboard-tomas.novak-none-applied.json` -> its person and instant. */
const OFFBOARD_FILE =
  /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z-offboard-(.+)-(?:[0-9a-f]{8}|none)-[a-z-]+\.json$/;

function heldByName(file: string): { person: string; started: string } | undefined {
  const m = OFFBOARD_FILE.exec(file.split('/').pop() ?? '');
  if (!m) return undefined;
  const [, day, h, min, sec, ms, person] = m;
  return { person: person!, started: `${day}T${h}:${min}:${sec}.${ms}Z` };
}

/**
 * Each person's standing hold: their latest offboarding record, unless it is a cancellation. An
 * offboarding record that cannot be read fails closed: it might be the hold itself (a damaged
 * file, a bad restore), and lifting a hold gives a person cut off in an emergency their access
 * back; keeping one only keeps access cut until the file is repaired or a later record decides.
 */
export function readHolds(recordsDir: string): HoldsRead {
  const read = readRecords(recordsDir, { accept: isOffboardRecordName, view: holdView });
  const latest = new Map<string, { entry: OffboardEntry; record: string; started: string }>();
  for (const { file, problem } of read.problems) {
    const named = heldByName(file);
    if (!named) continue;
    const seen = latest.get(named.person);
    if (seen && seen.started >= named.started) continue;
    latest.set(named.person, {
      entry: {
        person: named.person,
        at: named.started,
        reason: `the offboarding record ${file} cannot be read (${problem}): held until it is repaired or a later record decides`,
        requestedBy: 'unknown',
        operator: 'unknown',
      },
      record: file,
      started: named.started,
    });
  }
  for (const { file, record } of read.records) {
    const entry = record.offboard;
    // A run that cut nothing (refused, stale, an error before any write) holds nothing, unless
    // it is the hold announced before the cut.
    if (!entry || (!entry.cancelled && !entry.intent && !record.changes.some((c) => c.status === 'applied')))
      continue;
    const seen = latest.get(entry.person);
    if (!seen || record.startedAt > seen.started)
      latest.set(entry.person, { entry, record: file, started: record.startedAt });
  }
  const holds = new Map<string, Hold>();
  for (const [person, { entry, record }] of latest) {
    if (entry.cancelled) continue;
    holds.set(person, {
      person,
      at: entry.at,
      reason: entry.reason,
      requestedBy: entry.requestedBy,
      ...(entry.pullRequest ? { pullRequest: entry.pullRequest } : {}),
      ...(entry.employmentStart ? { employmentStart: entry.employmentStart } : {}),
      record,
    });
  }
  return { holds, problems: read.problems };
}
