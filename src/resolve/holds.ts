/**
 * Offboarding holds: an emergency offboarding (`jml offboard`) cuts access before any pull
 * request exists, so until people/ records the termination the repository still says the person
 * is active, and the next scheduled apply would give everything back. The offboarding's apply
 * record is the hold: while it stands, the person resolves as a high-risk leaver at the instant
 * access was cut. A hold only ever ends access earlier, never later (the earlier of the file's
 * `employment.end` and the hold wins), so it is harmless once the pull request merges; it is
 * lifted early only by `jml offboard <person> --cancel`, which writes a record of its own.
 *
 * The records are found by name (`*-offboard-<person>-*.json`, see apply.writeRecord), under the
 * records directory and its subdirectories (CI restores earlier runs' offboarding records there
 * from the evidence branch).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApplyRecord, OffboardEntry } from '../apply/apply.js';
import { instantMs } from '../model/time.js';
import type { RepoIndex } from './repo-index.js';

export interface Hold {
  person: string;
  /** The instant access was cut (UTC ISO). */
  at: string;
  reason: string;
  requestedBy: string;
  pullRequest?: { number: number; url: string };
  /** The person's start when the hold was made (see OffboardEntry.employmentStart). */
  employmentStart?: string;
  /** The record file it comes from, relative to the records directory. */
  record: string;
}

const OFFBOARD_RECORD = /-offboard-.+\.json$/;

/** Each person's standing hold: their latest offboarding record, unless it is a cancellation. */
export function readHolds(recordsDir: string): Map<string, Hold> {
  const latest = new Map<string, { entry: OffboardEntry; record: string; started: string }>();
  let files: string[];
  try {
    files = readdirSync(recordsDir, { recursive: true, encoding: 'utf8' });
  } catch {
    return new Map();
  }
  for (const rel of files) {
    if (!OFFBOARD_RECORD.test(path.basename(rel))) continue;
    let record: ApplyRecord;
    try {
      record = JSON.parse(readFileSync(path.join(recordsDir, rel), 'utf8')) as ApplyRecord;
    } catch {
      continue; // Not ours to judge here: jml evidence reports unreadable records.
    }
    const entry = record.offboard;
    // A run that cut nothing (refused, stale, an error before any write) holds nothing, unless
    // it is the hold announced before the cut.
    if (!entry || (!entry.cancelled && !entry.intent && !record.changes.some((c) => c.status === 'applied')))
      continue;
    const seen = latest.get(entry.person);
    if (!seen || record.startedAt > seen.started)
      latest.set(entry.person, { entry, record: rel, started: record.startedAt });
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
  return holds;
}

/**
 * The index with each hold in force: the person ends at the hold's instant (or at their own
 * earlier end) and is high-risk. Returns the holds that changed something, for a notice.
 */
export function applyHolds(index: RepoIndex, holds: ReadonlyMap<string, Hold>): Hold[] {
  const applied: Hold[] = [];
  for (const hold of holds.values()) {
    const located = index.people.get(hold.person);
    if (!located) continue;
    const { employment } = located.value;
    // Rehired since: the hold belonged to the earlier employment.
    if (hold.employmentStart && employment.start > hold.employmentStart) continue;
    if (
      employment.end !== undefined &&
      instantMs(employment.end) <= instantMs(hold.at) &&
      employment.highRisk
    )
      continue;
    const end =
      employment.end !== undefined && instantMs(employment.end) <= instantMs(hold.at)
        ? employment.end
        : hold.at;
    index.people.set(hold.person, {
      ...located,
      value: { ...located.value, employment: { ...employment, end, highRisk: true } },
    });
    applied.push(hold);
  }
  return applied;
}
