/**
 * What every classification rule is given: the snapshot's records in order, the people by HR id,
 * the ids reserved for joiners (so a manager who is new in the same snapshot can be referred
 * to), builders for an event and its notes, and where the rules put what they find. A rule is a
 * small pure function of this context and one record; src/hr/rules/index.ts lists them in order.
 */
import { DateTime } from 'luxon';
import type { Located } from '../../load/source.js';
import { byCodePoint } from '../../model/order.js';
import type { Person, Policy } from '../../model/schema.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import { personIdFor } from '../people-file.js';
import type { HrRecord, SnapshotProblem } from '../snapshot.js';
import type { HrEvent, HrEventKind } from '../types.js';
import { displayName, idempotencyKey, roleFor, type Termination, unmappedMessage } from './record.js';

export type ManagerRef =
  | { kind: 'none' }
  | { kind: 'missing'; sourceId: string }
  | { kind: 'person'; id: string; isNew: boolean };

export interface ClassifyContext {
  index: RepoIndex;
  policy: Policy;
  /** The instant of the sync (epoch ms): what is overdue or backdated is judged against it. */
  now: number;
  /** When a last day of work ends (policy hr.lastDayEndsAt, 24:00 by default). */
  lastDayEndsAt: string;
  /** Today in the organisation's time zone. */
  orgToday: string;
  /** The records in (source, sourceId) order: the order of the events and their ids. */
  records: readonly HrRecord[];
  /** Where each record is in the snapshot, by sourceId. */
  lines?: ReadonlyMap<string, number>;
  /** People in people/ by their HR id (the only key HR sync matches on). */
  byHrId: ReadonlyMap<string, Located<Person>>;
  /** Records of rehires of an earlier HR id, with the old file. */
  rehireOf: ReadonlyMap<string, Located<Person>>;
  /** Ids reserved for joiners, by sourceId. */
  newIds: ReadonlyMap<string, string>;
  /** Records that can be used for nothing (their problem is reported). */
  unusable: ReadonlySet<string>;
  found: { events: HrEvent[]; problems: SnapshotProblem[]; ignored: number };
}

/** A worker already in people/ (by HR id, or an earlier HR id for a rehire) and what HR says now. */
export interface KnownWorker {
  located: Located<Person>;
  p: Person;
  /** The people file's text and path. */
  text: string;
  path: string;
  term: Termination | undefined | string;
  /** The file's employment.end, in epoch ms. */
  endMs: number | undefined;
}

export interface RecordView {
  r: HrRecord;
  /** Undefined for a worker not in people/. */
  known?: KnownWorker;
}

/** One rule: the events it may propose, and the check. `done` ends the record's turn. */
export interface RecordRule {
  name: string;
  events: readonly HrEventKind[];
  check(ctx: ClassifyContext, v: RecordView): 'done' | 'next';
}

/** The record's line in the snapshot (when known) and its sourceId, for a problem. */
export function where(ctx: Pick<ClassifyContext, 'lines'>, r: HrRecord): { line?: number; sourceId: string } {
  const line = ctx.lines?.get(r.sourceId);
  return { ...(line !== undefined ? { line } : {}), sourceId: r.sourceId };
}

/** Today in a zone. */
export function localToday(ctx: ClassifyContext, zone: string): string {
  return DateTime.fromMillis(ctx.now, { zone }).toISODate()!;
}

/** People by HR id; an HR id on two files is unusable (jml validate reports it). */
function peopleByHrId(index: RepoIndex) {
  const byHrId = new Map<string, Located<Person>>();
  const twice = new Set<string>();
  const emails = new Map<string, string>();
  for (const p of index.people.values()) {
    emails.set(p.value.email.toLowerCase(), p.value.id);
    const id = p.value.hrId;
    if (!id) continue;
    if (byHrId.has(id)) twice.add(id);
    else byHrId.set(id, p);
  }
  return { byHrId, twice, emails };
}

/** Why a joiner's record cannot become a file, or undefined. */
function joinerProblem(r: HrRecord, policy: Policy, emails: ReadonlyMap<string, string>): string | undefined {
  if (!roleFor(r, policy)) return `${unmappedMessage(r)}; no pull request for this joiner`;
  if (!r.department) return 'no department: a people file needs one; fix the record in HR';
  const owner = r.workEmail ? emails.get(r.workEmail.toLowerCase()) : undefined;
  if (owner)
    return `workEmail ${r.workEmail} is already ${owner}'s (people/${owner}.yaml has no hrId ${r.sourceId}): jml never matches by email; add hrId: ${r.sourceId} to that file if it is the same person`;
  return undefined;
}

/**
 * The context of a sync: people indexed by HR id, then ids reserved for every joiner before any
 * event refers to one as a manager.
 */
export function classifyContext(input: {
  index: RepoIndex;
  records: readonly HrRecord[];
  policy: Policy;
  now: number;
  lines?: ReadonlyMap<string, number>;
}): ClassifyContext {
  const { index, policy, now, lines } = input;
  const records = [...input.records].sort(
    (a, b) => byCodePoint(a.source, b.source) || byCodePoint(a.sourceId, b.sourceId),
  );
  const { byHrId, twice, emails } = peopleByHrId(index);
  const problems: SnapshotProblem[] = [];
  const at = (r: HrRecord) => where({ lines }, r);
  const newIds = new Map<string, string>();
  const rehireOf = new Map<string, Located<Person>>();
  const unusable = new Set<string>();
  const chosen = new Set<string>();
  const suffixes = new Map<string, number>();
  for (const r of records) {
    if (twice.has(r.sourceId)) {
      problems.push({
        ...at(r),
        message: `hrId ${r.sourceId} is on more than one file in people/: fix people/ first (jml validate reports it)`,
      });
      unusable.add(r.sourceId);
      continue;
    }
    if (byHrId.has(r.sourceId)) continue;
    const old = r.rehireOf ? byHrId.get(r.rehireOf) : undefined;
    if (old) {
      rehireOf.set(r.sourceId, old);
      continue;
    }
    if (r.status === 'terminated') continue;
    const reason = joinerProblem(r, policy, emails);
    if (reason) {
      problems.push({ ...at(r), message: reason });
      unusable.add(r.sourceId);
      continue;
    }
    const id = personIdFor(displayName(r), r.sourceId, (x) => index.people.has(x) || chosen.has(x), suffixes);
    chosen.add(id);
    newIds.set(r.sourceId, id);
  }
  return {
    index,
    policy,
    now,
    lastDayEndsAt: policy.hr?.lastDayEndsAt ?? '24:00',
    orgToday: DateTime.fromMillis(now, { zone: policy.timezone }).toISODate()!,
    records,
    ...(lines ? { lines } : {}),
    byHrId,
    rehireOf,
    newIds,
    unusable,
    found: { events: [], problems, ignored: 0 },
  };
}

/** The manager HR names: a person in people/, a joiner of this snapshot, missing, or none. */
export function managerOf(ctx: ClassifyContext, r: HrRecord): ManagerRef {
  const m = r.managerSourceId;
  if (!m) return { kind: 'none' };
  const existing = ctx.byHrId.get(m) ?? ctx.rehireOf.get(m);
  if (existing) return { kind: 'person', id: existing.value.id, isNew: false };
  const fresh = ctx.newIds.get(m);
  if (fresh) return { kind: 'person', id: fresh, isNew: true };
  return { kind: 'missing', sourceId: m };
}

/** The note for a manager HR names that cannot be used, saying what the file keeps. */
export function missingNote(r: HrRecord, m: ManagerRef, kept: string | undefined): string[] {
  return m.kind === 'missing'
    ? [
        `HR names manager ${m.sourceId}, who is neither in people/ nor a joiner of this snapshot: ${
          kept ? `the file keeps ${kept}` : 'the file names no manager'
        }; set it by hand or fix the record in HR.`,
      ]
    : m.kind === 'none' && kept
      ? [`HR names no manager for ${r.sourceId}: the file keeps ${kept}.`]
      : [];
}

/** An event with the defaults every kind shares. */
export function event(
  kind: HrEventKind,
  r: HrRecord,
  person: string,
  effective: string,
  file: HrEvent['file'],
  rest: Partial<HrEvent> & Pick<HrEvent, 'changes' | 'managers'>,
): HrEvent {
  return {
    event: kind,
    person,
    effective,
    record: { source: r.source, sourceId: r.sourceId, asOf: r.asOf },
    file,
    overdue: false,
    backdated: false,
    highRisk: false,
    dependsOn: [],
    notes: [],
    idempotencyKey: idempotencyKey(r.source, r.sourceId, kind, effective),
    ...rest,
  };
}

/** A new manager's own joiner comes first: an event depends on it. */
export function dependsOn(m: ManagerRef): string[] {
  return m.kind === 'person' && m.isNew ? [m.id] : [];
}

/** The managers to ask, once each. */
export function managerIds(...ms: (string | undefined)[]): string[] {
  return [...new Set(ms.filter((m): m is string => Boolean(m)))];
}

/** The leaver SLA in ms: minutes for a high-risk leaver, the hour otherwise. */
export function sla(ctx: ClassifyContext, highRisk: boolean): number {
  return (highRisk ? ctx.policy.sla.highRiskLeaverMinutes : ctx.policy.sla.leaverMinutes) * 60_000;
}
