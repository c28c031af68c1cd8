/**
 * Artifact 3, the JML events: every joiner, mover and leaver run in the period, from the apply
 * records. One row per run, person and event, with everything an auditor samples it for:
 *
 * - **The request and its approval**: the commit that last changed people/<id>.yaml as of the
 *   run, and its approval evidence (approval-evidence.ts): from the record that captured it at
 *   merge, else from GitHub at pack time (`approvalSource` says which), else "approval not
 *   evidenced". Requester, approvers that counted, every review at merge, the manager of record,
 *   the verdict, merged at and by. Self-approval, stale-only approval, wrong-person approval, a
 *   change with no pull request and a verdict not approved are findings.
 * - **The policy version in force** at the run (policy/JML-POLICY.md's commit current then).
 * - **Honest time**: a replay (`jml apply --at`, `simulated` in its record) is marked and never
 *   counts as SLA evidence, nor does a record whose wall clock confirmed a leaver before the end
 *   instant; no lag shown is negative. A termination that reached the repository after its end
 *   instant is its own verdict, "request after the end instant", with the request's delay and the
 *   engine's lag apart; it is never "within SLA".
 * - **Events as they were**: the first import of an existing organisation is `onboarding`, not
 *   joiners; access an exception alone granted, removed when it ended, is `exception-ended`, not
 *   another `mover`.
 *
 * A leaver applied by several runs is judged on the earliest run that confirmed every disable
 * (`decisive`); a breach there is a finding. Each row carries the person's HR id and, when the
 * pull request came from `jml hr sync`, the HR record it came from.
 */
import { parse } from 'yaml';
import { byCodePoint } from '../../model/order.js';
import type { Exception } from '../../model/schema.js';
import type { ChangeResult, LeaverTiming } from '../../records/schema.js';
import type { RecordFile } from '../../records/store.js';
import {
  APPROVAL_COLUMNS,
  type ApprovalEvidence,
  type ApprovalNeed,
  type ApprovalProblemKind,
  approvalCells,
  approvalOf,
} from './approval-evidence.js';
import { EVENT_SERIES, type EventCount, type EventSeries, type LeaverMark } from './charts.js';
import {
  columns,
  count,
  duration,
  githubNotes,
  isJmlEvent,
  type JmlKind,
  leaverPageName,
  type PackEventKind,
  personChangeKey,
  runMs,
  utc,
} from './common.js';
import type { CommitInfo } from './git-history.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

/** Records whose run started within [since, at], oldest first. */
export function recordsInPeriod(input: EvidenceInput): RecordFile[] {
  return input.records.filter((r) => runMs(r) >= input.since && runMs(r) <= input.at);
}

/** The instant a run's plan stood for: its `--at` (a replay's simulated instant), else its start. */
export function planMs(r: RecordFile): number {
  const t = r.record.simulated?.startedAt ?? r.record.at ?? r.record.startedAt;
  return Date.parse(t);
}

/** `real`, or `simulated replay at T` for a run made with `--at` away from the wall clock. */
export function clockText(r: RecordFile): string {
  return r.record.simulated ? `simulated replay at ${utc(r.record.simulated.startedAt)}` : 'real';
}

/**
 * Why a leaver timing is no SLA evidence, or undefined when it is: a replay's clock is simulated,
 * and a wall clock that confirmed the disable before the end instant was not the clock the
 * instant was scheduled on (a replay recorded without its simulated clock).
 */
export function notSlaEvidence(r: RecordFile, t: LeaverTiming): string | undefined {
  if (r.record.simulated) return `simulated replay at ${utc(r.record.simulated.startedAt)}`;
  // Confirmed before the instant it was due at: the run's clock was not the one the instant is on.
  const early = t.confirmedAt !== null ? (Date.parse(t.scheduledAt) - Date.parse(t.confirmedAt)) / 1000 : 0;
  if (early > 0 || (t.lagSeconds !== null && t.lagSeconds < 0))
    return `the record's clock confirmed the disable ${duration(Math.max(early, -(t.lagSeconds ?? 0)))} before the end instant (a replay recorded without its simulated clock)`;
  return undefined;
}

export interface DecisiveTiming {
  file: string;
  timing: LeaverTiming;
}

/** One departure: a person and the end instant it was due at (a rehire leaves again later). */
export const departureKey = (person: string, scheduledAt: string) => `${person}\u0000${scheduledAt}`;

/**
 * Per departure (person and end instant), the timing that counts: the earliest confirmed one
 * across the period's records that are SLA evidence; with none confirmed, the latest entry (a
 * failed disable past its deadline is a breach). Keyed by departure, so that an earlier,
 * cancelled offboarding confirmed in seconds never stands in for the real termination's lag.
 * Replays and records whose clock ran before the end instant are left out (`slaLeftOut`).
 */
export function decisiveLeavers(input: EvidenceInput): Map<string, DecisiveTiming> {
  const out = new Map<string, DecisiveTiming>();
  for (const r of recordsInPeriod(input)) {
    for (const t of r.record.leavers ?? []) {
      if (notSlaEvidence(r, t)) continue;
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

/** The leaver timings of the period left out of the SLA evidence, with why. */
function slaLeftOut(input: EvidenceInput): { file: string; person: string; why: string }[] {
  const out: { file: string; person: string; why: string }[] = [];
  for (const r of recordsInPeriod(input))
    for (const t of r.record.leavers ?? []) {
      const why = notSlaEvidence(r, t);
      if (why) out.push({ file: r.file, person: t.person, why });
    }
  return out;
}

export type SlaClass = 'within' | 'breach' | 'late' | 'pending' | 'not-evidence';

export interface SlaVerdict {
  cls: SlaClass;
  text: string;
  /** knownAt − scheduledAt, when the request came after the end instant. */
  requestDelaySeconds: number | null;
  /** confirmedAt − knownAt (late request) or − scheduledAt: the engine's own lag. */
  engineLagSeconds: number | null;
  /** The lag shown: never negative. */
  lagSeconds: number | null;
}

/**
 * A leaver timing's verdict. A request after the end instant is its own verdict whatever the
 * engine did after it (the engine's lag, from when the termination reached the repository, is
 * kept apart, and a breach of it is said too).
 */
export function slaVerdict(t: LeaverTiming, notEvidence?: string): SlaVerdict {
  const lagSeconds = t.lagSeconds !== null && t.lagSeconds >= 0 ? t.lagSeconds : null;
  if (notEvidence)
    return {
      cls: 'not-evidence',
      text: `not SLA evidence: ${notEvidence}`,
      requestDelaySeconds: null,
      engineLagSeconds: null,
      lagSeconds,
    };
  const scheduled = Date.parse(t.scheduledAt);
  const known = t.knownAt ? Date.parse(t.knownAt) : undefined;
  const confirmed = t.confirmedAt ? Date.parse(t.confirmedAt) : undefined;
  if (known !== undefined && known > scheduled) {
    const delay = (known - scheduled) / 1000;
    const engine = confirmed === undefined ? null : Math.max(0, (confirmed - known) / 1000);
    const after =
      t.withinSla === false
        ? `, then SLA breach: ${engine === null ? 'not confirmed' : `confirmed ${duration(engine)} after it reached the repository`}, past the ${t.slaMinutes}-minute SLA`
        : engine === null
          ? ', not confirmed yet'
          : `; the engine confirmed the removal ${duration(engine)} after it reached the repository`;
    return {
      cls: 'late',
      text: `request after the end instant: the termination reached the repository ${duration(delay)} after the end instant${after}`,
      requestDelaySeconds: delay,
      engineLagSeconds: engine,
      lagSeconds,
    };
  }
  const engine = lagSeconds;
  if (t.withinSla === true)
    return {
      cls: 'within',
      text: 'within SLA',
      requestDelaySeconds: null,
      engineLagSeconds: engine,
      lagSeconds,
    };
  if (t.withinSla === false)
    return {
      cls: 'breach',
      text: 'SLA breach',
      requestDelaySeconds: null,
      engineLagSeconds: engine,
      lagSeconds,
    };
  return {
    cls: 'pending',
    text: `pending: not confirmed yet, deadline ${utc(t.deadline)}`,
    requestDelaySeconds: null,
    engineLagSeconds: null,
    lagSeconds,
  };
}

/** The policy version in force at an instant: the newest commit of the policy by then. */
export function policyVersionAt(
  input: EvidenceInput,
  ms: number,
): { version: number; commit: CommitInfo } | undefined {
  const h = input.policyHistory;
  const i = h.findIndex((c) => Date.parse(c.committedAt) <= ms);
  return i < 0 ? undefined : { version: h.length - i, commit: h[i]! };
}

export function policyVersionText(input: EvidenceInput, ms: number): string {
  const v = policyVersionAt(input, ms);
  return v
    ? `v${v.version} (${v.commit.sha.slice(0, 7)}, in force from ${v.commit.committedAt})`
    : 'no version in git by then';
}

/** An exception as it stood, with when it ended: its expiry, or its file's removal. */
interface EndedException {
  id: string;
  person: string;
  entitlements: string[];
  expires: string;
  endMs: number;
  how: string;
}

const exceptionsCache = new WeakMap<EvidenceInput, EndedException[]>();

/** Every exception known (in the repository, or removed in git), with when it ended. */
function exceptionsOf(input: EvidenceInput): EndedException[] {
  const cached = exceptionsCache.get(input);
  if (cached) return cached;
  const { clock } = input.index;
  const out: EndedException[] = [];
  const add = (x: Exception, removedAt?: string) => {
    if (!x?.id || !x.person || !Array.isArray(x.entitlements) || typeof x.expires !== 'string') return;
    let expiresMs: number;
    try {
      expiresMs = clock.dayStart(x.expires);
    } catch {
      return;
    }
    const removedMs = removedAt ? Date.parse(removedAt) : Number.POSITIVE_INFINITY;
    out.push({
      id: x.id,
      person: x.person,
      entitlements: x.entitlements,
      expires: x.expires,
      endMs: Math.min(expiresMs, removedMs),
      how: removedMs < expiresMs ? `removed at ${removedAt}` : `expired on ${x.expires}`,
    });
  };
  for (const e of input.index.repo.exceptions) add(e.value);
  for (const c of input.exceptionHistory)
    for (const f of c.files) {
      if (f.status !== 'D') continue;
      const text = input.exceptionTexts.get(`${c.sha}:${f.path}`);
      if (!text) continue;
      try {
        add(parse(text) as Exception, c.committedAt);
      } catch {
        // A file that does not parse is the exceptions artifact's to report.
      }
    }
  exceptionsCache.set(input, out);
  return out;
}

const isRemoval = (c: ChangeResult) =>
  c.action === 'revoke' || (c.action === 'openTicket' && c.operation === 'revoke');

/**
 * The exception whose end removed this access, when every change is the removal of an
 * entitlement an exception of the person granted and that exception had ended by the run.
 */
function endedException(input: EvidenceInput, person: string, changes: ChangeResult[], at: number) {
  if (!changes.length || !changes.every((c) => isRemoval(c) && c.entitlement)) return undefined;
  const ended = exceptionsOf(input).filter((x) => x.person === person && x.endMs <= at);
  const found: EndedException[] = [];
  for (const c of changes) {
    const x = ended
      .filter((e) => e.entitlements.includes(c.entitlement!))
      .sort((a, b) => b.endMs - a.endMs)[0];
    if (!x) return undefined;
    if (!found.includes(x)) found.push(x);
  }
  return found;
}

/** One event of the pack: a run, a person, what the pack calls it, and its changes. */
export interface PackEvent {
  record: RecordFile;
  person: string;
  kind: PackEventKind;
  /** The plan's own kind. */
  planKind: string;
  changes: ChangeResult[];
  /** For `exception-ended`: the exceptions, and how each ended. */
  exceptions?: { id: string; how: string }[];
}

/**
 * The first import of the organisation: the oldest record of all that changed anything (runs
 * refused or with nothing to do before it do not count), when it holds joiner changes.
 */
function onboardingRecord(input: EvidenceInput): RecordFile | undefined {
  const first = [...input.records]
    .sort((a, b) => runMs(a) - runMs(b))
    .find((r) => r.record.changes.length > 0);
  return first?.record.changes.some((c) => c.event.kind === 'joiner') ? first : undefined;
}

/** The period's events: each record's changes grouped by person and event, as the pack names them. */
function packEvents(input: EvidenceInput): PackEvent[] {
  const onboarding = onboardingRecord(input);
  const out: PackEvent[] = [];
  for (const r of recordsInPeriod(input)) {
    const groups = new Map<string, ChangeResult[]>();
    for (const c of r.record.changes) {
      if (!c.person || (!isJmlEvent(c.event.kind) && c.event.kind !== 'update')) continue;
      const key = `${c.person}|${c.event.kind}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const runDate = input.index.clock.dateOf(planMs(r));
    for (const [key, changes] of groups) {
      const [person, planKind] = key.split('|') as [string, JmlKind | 'update'];
      let kind: PackEventKind | undefined = planKind === 'update' ? undefined : planKind;
      let exceptions: PackEvent['exceptions'];
      if (planKind === 'mover' || planKind === 'update') {
        const ended = endedException(input, person, changes, planMs(r));
        if (ended) {
          kind = 'exception-ended';
          exceptions = ended.map((x) => ({ id: x.id, how: x.how }));
        }
      }
      if (
        planKind === 'joiner' &&
        r === onboarding &&
        changes[0]!.event.date !== undefined &&
        changes[0]!.event.date.slice(0, 10) < runDate
      )
        kind = 'onboarding';
      if (!kind) continue;
      out.push({ record: r, person, kind, planKind, changes, ...(exceptions ? { exceptions } : {}) });
    }
  }
  return out;
}

/** The approval a pack event needs, for the verdict checked at pack time. */
function needOf(kind: PackEventKind): ApprovalNeed {
  return kind === 'onboarding' ? 'joiner' : kind === 'exception-ended' ? 'any' : kind;
}

/** The approval evidence of a pack event's request (the person file's last change as of the run). */
function eventApproval(input: EvidenceInput, e: PackEvent): ApprovalEvidence {
  const change = input.personHistory.get(personChangeKey(e.person, e.record))?.[0];
  return approvalOf(input, {
    sha: change?.sha,
    person: e.person,
    need: needOf(e.kind),
    subject: `${e.person}'s ${e.kind} (people/${e.person}.yaml at ${change?.sha.slice(0, 7) ?? 'no commit'})`,
  });
}

/**
 * Per month of the period, each event (person, kind, event date) once, in its first run's month;
 * a replay's events in a series of their own.
 */
export function eventsPerMonth(input: EvidenceInput): EventCount[] {
  const months: EventCount[] = [];
  const start = new Date(input.since);
  for (let y = start.getUTCFullYear(), m = start.getUTCMonth(); ; m++) {
    const d = new Date(Date.UTC(y, m, 1));
    if (d.getTime() > input.at) break;
    const month = { month: d.toISOString().slice(0, 7) } as EventCount;
    for (const s of EVENT_SERIES) month[s] = 0;
    months.push(month);
  }
  const seen = new Set<string>();
  for (const e of packEvents(input)) {
    const first = e.changes[0]!;
    // One instant written two ways (with an offset, or in UTC) is one event.
    const date = utc(first.event.date ?? '');
    const series: EventSeries = e.record.record.simulated ? 'simulated' : e.kind;
    const key = `${e.person}|${series}|${e.kind}|${date}${e.kind === 'exception-ended' ? `|${e.exceptions?.map((x) => x.id).join()}` : ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const month = months.find((m) => m.month === e.record.record.startedAt.slice(0, 7));
    if (month) month[series]++;
  }
  return months;
}

/** The lag chart's marks: one per departure that counts for the SLA, oldest end instant first. */
export function leaverMarks(input: EvidenceInput): LeaverMark[] {
  return [...decisiveLeavers(input).values()]
    .map(({ timing: t }) => {
      const v = slaVerdict(t);
      return {
        person: t.person,
        scheduledAt: t.scheduledAt,
        lagMinutes: v.lagSeconds === null ? null : Math.round((v.lagSeconds / 60) * 10) / 10,
        slaMinutes: t.slaMinutes,
        withinSla: v.cls === 'late' ? null : t.withinSla,
        verdict: v.cls === 'not-evidence' ? 'pending' : v.cls,
        ...(v.cls === 'late'
          ? {
              requestDelayMinutes: Math.round((v.requestDelaySeconds! / 60) * 10) / 10,
              engineLagMinutes:
                v.engineLagSeconds === null ? null : Math.round((v.engineLagSeconds / 60) * 10) / 10,
            }
          : {}),
      } satisfies LeaverMark;
    })
    .sort((a, b) => byCodePoint(a.scheduledAt, b.scheduledAt) || byCodePoint(a.person, b.person));
}

/** A problem of the first import's approval, in words. */
const PROBLEM_WORDS: Record<ApprovalProblemKind, string> = {
  'no-pull-request': 'no pull request: the import reached the branch without one',
  'self-approval': 'self-approval: the only approval of its pull request is by its author',
  'stale-only': 'stale-only approval: its pull request was approved only on an older commit',
  'wrong-person': 'wrong-person approval: not approved by the manager of record',
  'no-approval': 'no approval: its pull request merged without an approving review',
  'not-approved': 'not approved at merge',
  'not-evidenced': 'approval not evidenced: no apply record carries it and GitHub was not read',
};

const minutes = (s: number | null) => (s === null ? null : Math.round((s / 60) * 10) / 10);

export function buildJmlEvents(input: EvidenceInput): Artifact {
  const decisive = decisiveLeavers(input);
  const names = (id: string) => input.index.people.get(id)?.value.name ?? null;
  const rows: Row[] = [];
  const findings: Finding[] = [];
  const found = (text: string) => {
    if (!findings.some((f) => f.text === text)) findings.push({ artifact: 'jml-events', text });
  };
  const onboardingProblems = new Map<string | null, { kind: ApprovalProblemKind; person: string }[]>();
  let onboardingRows = 0;
  for (const e of packEvents(input)) {
    const { record: r, person, kind, changes } = e;
    const first = changes[0]!;
    const change = input.personHistory.get(personChangeKey(person, r))?.[0];
    const status = (s: string) => changes.filter((c) => c.status === s).length;
    const timing = kind === 'leaver' ? r.record.leavers?.find((t) => t.person === person) : undefined;
    const notEvidence = timing ? notSlaEvidence(r, timing) : undefined;
    const sla = timing ? slaVerdict(timing, notEvidence) : undefined;
    const off = r.record.offboard?.person === person ? r.record.offboard : undefined;
    const approval = kind === 'exception-ended' ? undefined : eventApproval(input, e);
    const cells = approval ? approvalCells(approval) : undefined;
    if (approval?.problem) {
      if (kind === 'onboarding') {
        const list = onboardingProblems.get(approval.commit) ?? [];
        list.push({ kind: approval.problem.kind, person });
        onboardingProblems.set(approval.commit, list);
      } else found(approval.problem.text);
    }
    if (kind === 'onboarding') onboardingRows++;
    rows.push({
      person,
      name: names(person),
      hrId: input.index.people.get(person)?.value.hrId ?? null,
      event: kind,
      eventDate: first.event.date === undefined ? null : utc(first.event.date),
      clock: clockText(r),
      appliedAt: utc(r.record.startedAt),
      finishedAt: utc(r.record.finishedAt),
      runResult: r.record.result,
      record: r.file,
      runCommit: r.record.commit,
      personFileCommit: change?.sha ?? null,
      policyVersion: policyVersionText(input, runMs(r)),
      ...(cells ?? {
        ...Object.fromEntries(APPROVAL_COLUMNS.map(([key]) => [key, null])),
        approvalEvidence: `not needed: access ${e.exceptions?.map((x) => `${x.id} alone granted, ${x.how}`).join('; ')}`,
        verdict: `not needed: the access ended with ${e.exceptions?.map((x) => x.id).join(', ')}, approved when it was granted`,
      }),
      hrRecord: approval?.pullRequest?.hrRecord ?? null,
      applied: status('applied'),
      unchanged: status('unchanged'),
      failed: status('failed'),
      skipped: status('skipped'),
      changes: changes
        .map((c) => `${c.provider} ${c.action}${c.entitlement ? ` ${c.entitlement}` : ''}: ${c.status}`)
        .join('; '),
      slaMinutes: timing?.slaMinutes ?? null,
      scheduledAt: timing ? utc(timing.scheduledAt) : null,
      knownAt: timing?.knownAt ? utc(timing.knownAt) : null,
      deadline: timing ? utc(timing.deadline) : null,
      // A leaver: the last provider's confirmation of the disable; any other event: when the last
      // of its changes was confirmed, once all of them went through.
      confirmedAt: timing
        ? timing.confirmedAt
          ? utc(timing.confirmedAt)
          : null
        : changes.every((c) => c.status === 'applied' || c.status === 'unchanged')
          ? utc(
              changes
                .map((c) => c.finishedAt)
                .sort(byCodePoint)
                .at(-1)!,
            )
          : null,
      lagSeconds: sla?.lagSeconds ?? null,
      lagMinutes: minutes(sla?.lagSeconds ?? null),
      requestDelayMinutes: minutes(sla?.requestDelaySeconds ?? null),
      engineLagMinutes: minutes(sla?.engineLagSeconds ?? null),
      // A request after the end instant is never "within SLA": its own verdict says what happened.
      withinSla: timing && sla?.cls !== 'late' && sla?.cls !== 'not-evidence' ? timing.withinSla : null,
      slaVerdict: sla?.text ?? null,
      decisive: timing ? decisive.get(departureKey(person, timing.scheduledAt))?.file === r.file : null,
      breach: timing?.breach ?? null,
      offboard: off
        ? `emergency offboarding by ${off.requestedBy}: ${off.reason}${off.cancelled ? ' (cancelled)' : ''}`
        : null,
      // Not a column: the leaver's page (leaver-pages.ts) the row links to.
      ...(timing ? { page: leaverPageName(person, timing.scheduledAt) } : {}),
    });
  }

  // The SLA, per departure that counts: engine breaches and late requests, each apart.
  const tally = { within: 0, breach: 0, late: 0, pending: 0 };
  for (const [, d] of [...decisive].sort(([a], [b]) => byCodePoint(a, b))) {
    const v = slaVerdict(d.timing);
    if (v.cls === 'not-evidence') continue;
    tally[v.cls]++;
    if (v.cls === 'late')
      found(
        `Request after the end instant: ${d.timing.person}'s termination (end ${utc(d.timing.scheduledAt)}) reached the repository at ${utc(d.timing.knownAt!)}, ${duration(v.requestDelaySeconds!)} late; ${v.engineLagSeconds === null ? 'removal not confirmed' : `the engine confirmed the removal ${duration(v.engineLagSeconds)} after that`} (${d.file}).`,
      );
    if (d.timing.withinSla === false)
      found(
        `SLA breach: ${d.timing.breach ?? `${d.timing.person}'s access was not removed within ${d.timing.slaMinutes} minutes`} (${d.file}).`,
      );
  }
  // The first import is one request, however many people it brought in: one finding, not fifty.
  for (const [commit, problems] of onboardingProblems) {
    const people = problems.map((p) => p.person);
    const named =
      people.length > 5
        ? `${people.slice(0, 5).join(', ')} and ${people.length - 5} more`
        : people.join(', ');
    found(
      `Onboarding: the first import (${commit === null ? 'no commit found' : `commit ${commit.slice(0, 7)}`}) brought in ${people.length === 1 ? '1 person' : `${people.length} people`} (${named}): ${PROBLEM_WORDS[problems[0]!.kind]}.`,
    );
  }

  const notes = githubNotes(input, 'Approval columns read from GitHub');
  if (rows.length === 0) notes.push('No apply record in the period holds a joiner, mover or leaver change.');
  const sources = (s: string) => rows.filter((r) => r.approvalSource === s).length;
  if (rows.length)
    notes.push(
      `Approval evidence: ${sources('record')} from apply records (captured at merge), ${sources('github')} from GitHub at pack time, ${sources('none')} not evidenced.`,
    );
  if (decisive.size)
    notes.push(
      `Leavers judged on the SLA: ${tally.within} within SLA, ${tally.breach} SLA breach, ${tally.late} request after the end instant (counted apart from the engine's lag), ${tally.pending} pending.`,
    );
  const leftOut = slaLeftOut(input);
  if (leftOut.length)
    notes.push(
      `${count(leftOut.length, 'leaver timing')} left out of the SLA evidence: ${leftOut.map((l) => `${l.person} in ${l.file} (${l.why})`).join('; ')}.`,
    );
  if (onboardingRows)
    notes.push(
      `${count(onboardingRows, 'onboarding row')}: people who had started before jml's first run (the first import of the organisation), not joiners.`,
    );
  return {
    id: 'jml-events',
    title: 'Joiner, mover and leaver events',
    proves:
      'Each access change in the period was approved by pull request before it was applied (who asked, who approved, the manager of record, the verdict), what was applied when, and that leavers lost access within the SLA.',
    columns: columns([
      ['person', 'Person'],
      ['name', 'Name'],
      ['hrId', 'HR id'],
      ['event', 'Event'],
      ['eventDate', 'Event date'],
      ['clock', 'Clock'],
      ['appliedAt', 'Applied at'],
      ['finishedAt', 'Run finished'],
      ['runResult', 'Run result'],
      ['record', 'Apply record'],
      ['runCommit', 'Run commit'],
      ['personFileCommit', 'Person file commit'],
      ['policyVersion', 'Policy version in force'],
      ...APPROVAL_COLUMNS,
      ['hrRecord', 'HR record of the pull request'],
      ['applied', 'Applied'],
      ['unchanged', 'Unchanged'],
      ['failed', 'Failed'],
      ['skipped', 'Skipped'],
      ['changes', 'Changes'],
      ['slaMinutes', 'SLA (min)'],
      ['scheduledAt', 'Access ends'],
      ['knownAt', 'Request reached the repository'],
      ['deadline', 'SLA deadline'],
      ['confirmedAt', 'Confirmed at'],
      ['lagSeconds', 'Lag (s)'],
      ['lagMinutes', 'Lag (min)'],
      ['requestDelayMinutes', 'Request delay (min)'],
      ['engineLagMinutes', 'Engine lag (min)'],
      ['withinSla', 'Within SLA'],
      ['slaVerdict', 'SLA verdict'],
      ['decisive', 'Counts for SLA'],
      ['breach', 'Breach'],
      ['offboard', 'Emergency offboarding'],
    ]),
    summary: [
      'person',
      'event',
      'eventDate',
      'requester',
      'approvers',
      'verdict',
      'appliedAt',
      'confirmedAt',
      'slaVerdict',
    ],
    rows,
    notes,
    findings,
  };
}
