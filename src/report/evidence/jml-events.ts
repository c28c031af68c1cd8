/**
 * Artifact 3, the JML events: every joiner, mover and leaver run in the period, from the apply
 * records. One row per run, person and event: the pull request that last changed
 * people/<id>.yaml before the run's commit (its approvers and merge time), when the run applied
 * it, and the result of each change. For a leaver, the SLA: the lag from the end instant to the
 * last provider's confirmation, and whether it held. A leaver applied by several runs is judged
 * on the earliest run that confirmed every disable (`decisive`); a breach there is a finding.
 * Emergency offboarding runs are flagged. Each row carries the person's HR id (people/ `hrId`)
 * and, when the pull request was opened by `jml hr sync`, the HR record it came from (the
 * `source:sourceId` of its hidden marker): the link from an access change back to HR.
 */
import { byCodePoint } from '../../model/order.js';
import type { LeaverTiming } from '../../records/schema.js';
import type { RecordFile } from '../../records/store.js';
import {
  columns,
  githubNotes,
  isJmlEvent,
  type JmlKind,
  PULL_REQUEST_COLUMNS,
  personChangeKey,
  pullRequestCells,
  runMs,
} from './common.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

/** Records whose run started within [since, at], oldest first. */
export function recordsInPeriod(input: EvidenceInput): RecordFile[] {
  return input.records.filter((r) => runMs(r) >= input.since && runMs(r) <= input.at);
}

export interface DecisiveTiming {
  file: string;
  timing: LeaverTiming;
}

/** One departure: a person and the end instant it was due at (a rehire leaves again later). */
export const departureKey = (person: string, scheduledAt: string) => `${person}\u0000${scheduledAt}`;

/**
 * Per departure (person and end instant), the timing that counts: the earliest confirmed one
 * across the period's records; with none confirmed, the latest entry (a failed disable past its
 * deadline is a breach). Keyed by departure, so that an earlier, cancelled offboarding confirmed
 * in seconds never stands in for the real termination's lag.
 */
export function decisiveLeavers(input: EvidenceInput): Map<string, DecisiveTiming> {
  const out = new Map<string, DecisiveTiming>();
  for (const r of recordsInPeriod(input)) {
    for (const t of r.record.leavers ?? []) {
      const key = departureKey(t.person, t.scheduledAt);
      const seen = out.get(key);
      const better =
        !seen ||
        (t.confirmedAt !== null &&
          (seen.timing.confirmedAt === null || t.confirmedAt < seen.timing.confirmedAt)) ||
        (t.confirmedAt === null && seen.timing.confirmedAt === null);
      if (better) out.set(key, { file: r.file, timing: t });
    }
  }
  return out;
}

/** One JML event (person, kind, event date) counted once, in the month of its first run. */
export interface EventCount {
  month: string;
  joiner: number;
  mover: number;
  leaver: number;
}

export function eventsPerMonth(input: EvidenceInput): EventCount[] {
  const months: EventCount[] = [];
  const start = new Date(input.since);
  for (let y = start.getUTCFullYear(), m = start.getUTCMonth(); ; m++) {
    const d = new Date(Date.UTC(y, m, 1));
    if (d.getTime() > input.at) break;
    months.push({ month: d.toISOString().slice(0, 7), joiner: 0, mover: 0, leaver: 0 });
  }
  const seen = new Set<string>();
  for (const r of recordsInPeriod(input)) {
    for (const c of r.record.changes) {
      if (!c.person || !isJmlEvent(c.event.kind)) continue;
      // One instant written two ways (with an offset, or in UTC) is one event.
      const date = /t/i.test(c.event.date ?? '')
        ? new Date(c.event.date!).toISOString()
        : (c.event.date ?? '');
      const key = `${c.person}|${c.event.kind}|${date}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const month = months.find((m) => m.month === r.record.startedAt.slice(0, 7));
      if (month) month[c.event.kind]++;
    }
  }
  return months;
}

export function buildJmlEvents(input: EvidenceInput): Artifact {
  const decisive = decisiveLeavers(input);
  const names = (id: string) => input.index.people.get(id)?.value.name ?? null;
  const rows: Row[] = [];
  for (const r of recordsInPeriod(input)) {
    const groups = new Map<string, typeof r.record.changes>();
    for (const c of r.record.changes) {
      if (!c.person || !isJmlEvent(c.event.kind)) continue;
      const key = `${c.person}|${c.event.kind}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    for (const [key, changes] of groups) {
      const [person, kind] = key.split('|') as [string, JmlKind];
      const first = changes[0]!;
      const change = input.personHistory.get(personChangeKey(person, r))?.[0];
      const count = (s: string) => changes.filter((c) => c.status === s).length;
      const timing = kind === 'leaver' ? r.record.leavers?.find((t) => t.person === person) : undefined;
      const off = r.record.offboard?.person === person ? r.record.offboard : undefined;
      const pr = change?.sha ? input.pullRequests.get(change.sha) : undefined;
      rows.push({
        person,
        name: names(person),
        hrId: input.index.people.get(person)?.value.hrId ?? null,
        event: kind,
        eventDate: first.event.date ?? null,
        appliedAt: r.record.startedAt,
        finishedAt: r.record.finishedAt,
        runResult: r.record.result,
        record: r.file,
        runCommit: r.record.commit,
        personFileCommit: change?.sha ?? null,
        ...pullRequestCells(input, change?.sha),
        hrRecord: pr?.hrRecord ?? null,
        applied: count('applied'),
        unchanged: count('unchanged'),
        failed: count('failed'),
        skipped: count('skipped'),
        changes: changes
          .map((c) => `${c.provider} ${c.action}${c.entitlement ? ` ${c.entitlement}` : ''}: ${c.status}`)
          .join('; '),
        slaMinutes: timing?.slaMinutes ?? null,
        scheduledAt: timing?.scheduledAt ?? null,
        confirmedAt: timing?.confirmedAt ?? null,
        lagSeconds: timing?.lagSeconds ?? null,
        lagMinutes: timing?.lagSeconds == null ? null : Math.round((timing.lagSeconds / 60) * 10) / 10,
        withinSla: timing ? timing.withinSla : null,
        decisive: timing ? decisive.get(departureKey(person, timing.scheduledAt))?.file === r.file : null,
        breach: timing?.breach ?? null,
        offboard: off
          ? `emergency offboarding by ${off.requestedBy}: ${off.reason}${off.cancelled ? ' (cancelled)' : ''}`
          : null,
      });
    }
  }
  const findings: Finding[] = [];
  for (const [person, d] of [...decisive].sort(([a], [b]) => byCodePoint(a, b))) {
    if (d.timing.withinSla === false)
      findings.push({
        artifact: 'jml-events',
        text: `SLA breach: ${d.timing.breach ?? `${person}'s access was not removed within ${d.timing.slaMinutes} minutes`} (${d.file}).`,
      });
  }
  const notes = githubNotes(input, 'Pull request and approval columns');
  if (rows.length === 0) notes.push('No apply record in the period holds a joiner, mover or leaver change.');
  return {
    id: 'jml-events',
    title: 'Joiner, mover and leaver events',
    proves:
      'Each access change in the period was approved by pull request before it was applied, what was applied when, and that leavers lost access within the SLA.',
    columns: columns([
      ['person', 'Person'],
      ['name', 'Name'],
      ['hrId', 'HR id'],
      ['event', 'Event'],
      ['eventDate', 'Event date'],
      ['appliedAt', 'Applied at'],
      ['finishedAt', 'Run finished'],
      ['runResult', 'Run result'],
      ['record', 'Apply record'],
      ['runCommit', 'Run commit'],
      ['personFileCommit', 'Person file commit'],
      ...PULL_REQUEST_COLUMNS,
      ['hrRecord', 'HR record of the pull request'],
      ['applied', 'Applied'],
      ['unchanged', 'Unchanged'],
      ['failed', 'Failed'],
      ['skipped', 'Skipped'],
      ['changes', 'Changes'],
      ['slaMinutes', 'SLA (min)'],
      ['scheduledAt', 'Access ends'],
      ['confirmedAt', 'Confirmed removed'],
      ['lagSeconds', 'Lag (s)'],
      ['lagMinutes', 'Lag (min)'],
      ['withinSla', 'Within SLA'],
      ['decisive', 'Counts for SLA'],
      ['breach', 'Breach'],
      ['offboard', 'Emergency offboarding'],
    ]),
    rows,
    notes,
    findings,
  };
}
