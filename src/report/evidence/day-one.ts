/**
 * Artifact 8, day one: every joiner whose access the period's apply records granted (the joiner
 * changes applied: accounts created, access granted), each with the manager's confirmation and
 * IT's review of it (src/report/day-one.ts) and whether both came within sla.dayOneHours.
 *
 * The confirmation is read from the records first: the newest `dayOne` observation that
 * `jml github day-one-status` wrote for the joiner's issue; GitHub (the issues read at pack time)
 * only fills what no record holds. With neither, the row says "not evidenced". Not confirmed by
 * the manager and reviewed by IT within the SLA (or no issue at all) is a finding once the due
 * time has passed; so is a `/wrong` flag on an issue still open (IT has yet to turn it into an
 * exception request or a removal). A joiner granted by a replay (`--at`, simulated) is shown but
 * never judged: its times are not evidence of the SLA.
 */
import { byCodePoint } from '../../model/order.js';
import type { DayOneState } from '../../records/schema.js';
import {
  type DayOneStatus,
  dayOneAnswers,
  dayOneHours,
  dayOneItems,
  dayOneStatus,
  newestDayOneStates,
  type ObservedDayOne,
} from '../day-one.js';
import { columns, githubNotes, iso } from './common.js';
import { recordsInPeriod } from './jml-events.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

/** A joiner the records granted: the first grant of one employment (person and start date). */
interface Granted {
  person: string;
  start: string;
  grantedAt: string;
  record: string;
  simulated: boolean;
  /** Granted by the first import of the organisation: asked no day-one unless an issue exists. */
  onboarding: boolean;
}

/** A day-one issue's answers, from a record or from GitHub. */
interface Confirmation {
  url: string;
  grantedAt: string;
  dueAt: string;
  confirmedAt: string | null;
  confirmedBy: string | null;
  reviewedAt: string | null;
  reviewedBy: string | null;
  flags: string[];
  state: 'open' | 'closed' | null;
  /** Where it was read: the record (and when it was observed), GitHub, or both. */
  source: string;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * The joiners granted by the period's records, first grant per person and start date. The first
 * import of an existing organisation (the oldest record with a joiner change, for people whose
 * start date is before that run's date) is an onboarding, not joiners: no day-one is asked of it.
 */
function grantedJoiners(input: EvidenceInput): Granted[] {
  const out = new Map<string, Granted>();
  const first = [...input.records]
    .sort((a, b) => byCodePoint(a.record.startedAt, b.record.startedAt))
    .find((r) => r.record.changes.some((c) => c.event.kind === 'joiner'));
  for (const r of recordsInPeriod(input)) {
    const runDate = input.index.clock.dateOf(Date.parse(r.record.simulated?.startedAt ?? r.record.startedAt));
    for (const item of dayOneItems(r.record, input.index, r.file)) {
      const onboarding = r === first && item.start.slice(0, 10) < runDate;
      const key = `${item.person}\u0000${item.start}`;
      const seen = out.get(key);
      if (seen && seen.grantedAt <= item.grantedAt) continue;
      out.set(key, {
        person: item.person,
        start: item.start,
        grantedAt: item.grantedAt,
        record: r.file,
        simulated: r.record.simulated !== undefined,
        onboarding,
      });
    }
  }
  return [...out.values()].sort(
    (a, b) => byCodePoint(a.grantedAt, b.grantedAt) || byCodePoint(a.person, b.person),
  );
}

function fromRecord(o: ObservedDayOne): Confirmation {
  const s: DayOneState = o.state;
  return {
    ...dayOneAnswers(s),
    flags: s.flagged,
    state: s.state,
    source: `record ${o.file} (observed ${s.observedAt})`,
  };
}

function fromGitHub(s: DayOneStatus): Confirmation {
  return {
    ...dayOneAnswers(s),
    flags: s.flags.map((f) => `${f.entitlement}${f.why ? `: ${f.why}` : ''}`),
    state: s.state,
    source: 'GitHub',
  };
}

/** The record's answers first; GitHub fills what the record lacks (an answer seen after it). */
function merge(recorded: Confirmation | undefined, live: Confirmation | undefined): Confirmation | undefined {
  if (!recorded || !live) return recorded ?? live;
  const filled = (['confirmedAt', 'reviewedAt'] as const).filter((f) => recorded[f] === null && live[f]);
  return {
    ...recorded,
    confirmedAt: recorded.confirmedAt ?? live.confirmedAt,
    confirmedBy: recorded.confirmedAt ? recorded.confirmedBy : live.confirmedBy,
    reviewedAt: recorded.reviewedAt ?? live.reviewedAt,
    reviewedBy: recorded.reviewedAt ? recorded.reviewedBy : live.reviewedBy,
    flags: live.flags.length >= recorded.flags.length ? live.flags : recorded.flags,
    state: live.state,
    source: filled.length ? `${recorded.source}; ${filled.join(', ')} from GitHub` : recorded.source,
  };
}

/**
 * The confirmation of a grant at `grantedAt` among one person's (`found`): the issue of the same
 * grant, else the one whose grant is nearest, within a week. Each is matched once (`taken`).
 */
function matchOf<T>(
  found: readonly T[],
  grantedOf: (x: T) => string,
  grantedAt: string,
  taken: Set<T>,
): T | undefined {
  const ms = Date.parse(grantedAt);
  const gap = (x: T) => Math.abs(Date.parse(grantedOf(x)) - ms);
  let best: T | undefined;
  for (const c of found) {
    if (taken.has(c) || gap(c) > WEEK_MS) continue;
    if (!best || gap(c) < gap(best)) best = c;
  }
  if (best) taken.add(best);
  return best;
}

function groupBy<T>(list: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of list) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
}

export function buildDayOne(input: EvidenceInput): Artifact {
  const { index } = input;
  const hours = dayOneHours(index);
  const recorded = groupBy([...newestDayOneStates(input.records, input.at).values()], (o) => o.state.person);
  const live = groupBy(input.dayOne ? dayOneStatus(input.dayOne, index, input.at) : [], (s) => s.person);
  const takenRecorded = new Set<ObservedDayOne>();
  const takenLive = new Set<DayOneStatus>();

  type Subject = { person: string; grantedAt: string; record: string | null; simulated: boolean };
  const subjects: { s: Subject; c: Confirmation | undefined }[] = [];
  for (const g of grantedJoiners(input)) {
    const r = matchOf(recorded.get(g.person) ?? [], (o) => o.state.grantedAt, g.grantedAt, takenRecorded);
    const l = matchOf(live.get(g.person) ?? [], (x) => x.grantedAt, g.grantedAt, takenLive);
    if (g.onboarding && !r && !l) continue;
    subjects.push({ s: g, c: merge(r ? fromRecord(r) : undefined, l ? fromGitHub(l) : undefined) });
  }
  // Issues granted in the period that no record in it accounts for (records kept elsewhere).
  const inPeriod = (t: string) => Date.parse(t) >= input.since && Date.parse(t) <= input.at;
  for (const [person, list] of recorded)
    for (const o of list)
      if (!takenRecorded.has(o) && inPeriod(o.state.grantedAt)) {
        takenRecorded.add(o);
        const l = (live.get(person) ?? []).find((x) => x.url === o.state.url && !takenLive.has(x));
        if (l) takenLive.add(l);
        subjects.push({
          s: { person, grantedAt: o.state.grantedAt, record: null, simulated: false },
          c: merge(fromRecord(o), l ? fromGitHub(l) : undefined),
        });
      }
  for (const [person, list] of live)
    for (const l of list)
      if (!takenLive.has(l) && inPeriod(l.grantedAt))
        subjects.push({
          s: { person, grantedAt: l.grantedAt, record: null, simulated: false },
          c: fromGitHub(l),
        });
  subjects.sort((a, b) => byCodePoint(a.s.grantedAt, b.s.grantedAt) || byCodePoint(a.s.person, b.s.person));

  const rows: Row[] = [];
  const findings: Finding[] = [];
  const find = (text: string) => findings.push({ artifact: 'day-one', text });
  for (const { s, c } of subjects) {
    const p = index.people.get(s.person)?.value;
    const manager = p?.manager ?? null;
    const managerLogin = manager ? (index.people.get(manager)?.value.github ?? null) : null;
    const dueMs = c ? Date.parse(c.dueAt) : Date.parse(s.grantedAt) + hours * 3_600_000;
    const inTime = (t: string | null | undefined) => Boolean(t) && Date.parse(t!) <= dueMs;
    const both = c !== undefined && inTime(c.confirmedAt) && inTime(c.reviewedAt);
    const pastDue = input.at > dueMs;
    const issue = c ? (/\/issues\/(\d+)$/.exec(c.url)?.[1] ?? null) : null;
    const ref = issue ? `#${issue}` : (c?.url ?? '');
    let result: string;
    if (s.simulated) result = 'simulated: not SLA evidence';
    else if (both) result = 'pass';
    else if (!pastDue) result = 'open';
    else {
      result = 'FINDING';
      if (!c)
        find(
          `${s.person}'s day-one access (granted ${s.grantedAt}${s.record ? `, ${s.record}` : ''}, due ${iso(dueMs)}) has no day-one confirmation on record: no day-one-status observation in the records${input.dayOne ? ' and no day-one issue on GitHub' : ', and GitHub was not read'}.`,
        );
      else {
        const missing = [
          inTime(c.confirmedAt) ? null : 'confirmed by the manager',
          inTime(c.reviewedAt) ? null : 'reviewed by IT',
        ].filter(Boolean);
        find(
          `${s.person}'s day-one access was not ${missing.join(' or ')} within ${hours} h (due ${iso(dueMs)}, ${ref}): granted ${s.grantedAt}, confirmed ${c.confirmedAt ?? 'never'}, reviewed ${c.reviewedAt ?? 'never'} (${c.source}).`,
        );
      }
    }
    if (c?.state === 'open')
      for (const f of c.flags) {
        const [entitlement = '', ...why] = f.split(': ');
        find(
          `${s.person}: the manager flagged ${entitlement || 'their access'} as wrong${why.length ? ` (${why.join(': ')})` : ''} and ${ref} is still open.`,
        );
      }
    rows.push({
      person: s.person,
      name: p?.name ?? s.person,
      manager,
      managerLogin,
      record: s.record,
      issue: issue ? `#${issue}` : null,
      issueUrl: c?.url ?? null,
      grantedAt: s.grantedAt,
      dueAt: iso(dueMs),
      confirmedAt: c?.confirmedAt ?? null,
      confirmedBy: c?.confirmedBy ?? null,
      reviewedAt: c?.reviewedAt ?? null,
      reviewedBy: c?.reviewedBy ?? null,
      flags: c?.flags.join('; ') || null,
      source: c?.source ?? 'not evidenced',
      withinSla: s.simulated ? null : both ? true : pastDue ? false : null,
      result,
    });
  }
  const notes: string[] = [
    `Joiners are the people whose accounts or access an apply record of the period created; each is matched with the newest day-one state recorded by jml github day-one-status (an observation record), GitHub filling what no record holds. Due: ${hours} h after the grant (policy/jml.yaml sla.dayOneHours).`,
  ];
  if (input.dayOne === undefined)
    notes.push(...githubNotes(input, 'Day-one answers not in the records (GitHub)'));
  if (rows.length === 0) notes.push('No joiner was granted access in the period.');
  return {
    id: 'day-one',
    title: 'Day-one access confirmations',
    proves:
      "Each joiner's access, as the apply records granted it, was confirmed by their manager and reviewed by IT within the SLA, both times recorded from the issue's comments when jml read them.",
    columns: columns([
      ['person', 'Joiner'],
      ['name', 'Name'],
      ['manager', 'Manager'],
      ['managerLogin', 'Manager login'],
      ['record', 'Apply record'],
      ['issue', 'Issue'],
      ['issueUrl', 'Issue URL'],
      ['grantedAt', 'Granted at'],
      ['dueAt', 'Due'],
      ['confirmedAt', 'Confirmed at'],
      ['confirmedBy', 'Confirmed by'],
      ['reviewedAt', 'Reviewed at'],
      ['reviewedBy', 'Reviewed by'],
      ['flags', 'Flagged as wrong'],
      ['source', 'Read from'],
      ['withinSla', 'Within SLA'],
      ['result', 'Result'],
    ]),
    rows,
    notes,
    findings,
    summary: ['person', 'grantedAt', 'dueAt', 'confirmedAt', 'reviewedAt', 'source', 'result'],
  };
}
