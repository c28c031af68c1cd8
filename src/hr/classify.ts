/**
 * The heart of `jml hr sync`, pure: an HR snapshot against people/ -> the joiner, mover, leaver,
 * rehire, cancelled-termination and correction events it asks for, each with the people file as
 * it would be after the change (one pull request each), plus the records that could not be used.
 *
 * Matching is by the HR system's immutable id only (`hrId` in people/ === `sourceId`), never by
 * email or name: a rename is a correction, not a new person, and a rehire finds the old file.
 *
 * Phases: index people by hrId; reserve ids for joiners (so a manager who is new in the same
 * snapshot can be referred to); then each record, in sourceId order, becomes zero or more events.
 * Order and ids depend only on the inputs, so the same snapshot gives the same events, byte for
 * byte (the idempotency the pull requests rely on).
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Located } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { Person, PersonInput, Policy } from '../model/schema.js';
import { instantMs } from '../model/time.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { editPersonFile, newPersonFile, type PersonEdit, personIdFor, roleEntryNode } from './people-file.js';
import type { HrRecord, SnapshotProblem } from './snapshot.js';
import type { HrEvent, HrEventKind } from './types.js';

export interface ClassifyInput {
  index: RepoIndex;
  records: readonly HrRecord[];
  policy: Policy;
  /** The instant of the sync (epoch ms): what is overdue or backdated is judged against it. */
  now: number;
  /** Where each record is in the snapshot, by sourceId, so that problems can name the line. */
  lines?: ReadonlyMap<string, number>;
}

export interface Classification {
  events: HrEvent[];
  problems: SnapshotProblem[];
  /** People in people/, not gone, whom no record of the snapshot names: never touched. */
  untouched: string[];
  /** Terminated records of workers never in people/: nothing to do, counted. */
  ignored: number;
}

/** sha256 of (source, sourceId, event, effective): the pull request's marker and its branch's identity. */
export function idempotencyKey(
  source: string,
  sourceId: string,
  event: HrEventKind,
  effective: string,
): string {
  return createHash('sha256').update([source, sourceId, event, effective].join('\n')).digest('hex');
}

/** The name people use: the preferred name (a first name alone takes the legal surname), else the legal one. */
export function displayName(r: HrRecord): string {
  const preferred = r.preferredName?.trim();
  if (!preferred) return r.legalName.trim();
  if (/\s/.test(preferred)) return preferred;
  const legal = r.legalName.trim().split(/\s+/);
  return legal.length > 1 ? `${preferred} ${legal[legal.length - 1]}` : preferred;
}

/** When access ends for a terminated (or notified) worker; an error text when it cannot be told. */
export interface Termination {
  /** RFC 3339 with the worker's own offset. */
  instant: string;
  ms: number;
  /** The worker's last day (their own date). */
  lastDay: string;
}

/**
 * The end of a worker's employment: HR's `endInstant` when given (re-written with the worker's
 * offset), else the end of `lastDayOfWork` in the worker's time zone at `lastDayEndsAt` (24:00 is
 * the start of the next local day, whatever its length across a DST change). Undefined when HR
 * says nothing of an end; a string when HR says terminated without saying when.
 */
export function terminationOf(r: HrRecord, lastDayEndsAt: string): Termination | undefined | string {
  const zone = r.timeZone;
  if (r.endInstant) {
    const dt = DateTime.fromISO(r.endInstant, { setZone: true }).setZone(zone);
    const lastDay = r.lastDayOfWork ?? dt.minus({ milliseconds: 1 }).toISODate()!;
    return { instant: isoWithOffset(dt), ms: dt.toMillis(), lastDay };
  }
  if (r.lastDayOfWork) {
    const [hour, minute] = lastDayEndsAt.split(':').map(Number) as [number, number];
    const day = DateTime.fromISO(r.lastDayOfWork, { zone });
    const end = hour === 24 ? day.plus({ days: 1 }).startOf('day') : day.set({ hour, minute });
    return { instant: isoWithOffset(end), ms: end.toMillis(), lastDay: r.lastDayOfWork };
  }
  if (r.status === 'terminated')
    return 'status terminated without lastDayOfWork or endInstant: jml cannot tell when access ends';
  return undefined;
}

function isoWithOffset(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true, includeOffset: true })!;
}

/** The role policy maps the record to: the title table wins over the job family table. */
export function roleFor(r: HrRecord, policy: Policy): string | undefined {
  const hr = policy.hr;
  return (
    (r.jobTitle ? hr?.titles[r.jobTitle] : undefined) ??
    (r.jobFamily ? hr?.jobFamilies[r.jobFamily] : undefined)
  );
}

type ManagerRef =
  | { kind: 'none' }
  | { kind: 'missing'; sourceId: string }
  | { kind: 'person'; id: string; isNew: boolean };

export function classify(input: ClassifyInput): Classification {
  const { index, policy, now } = input;
  const hr = policy.hr;
  const lastDayEndsAt = hr?.lastDayEndsAt ?? '24:00';
  const records = [...input.records].sort(
    (a, b) => byCodePoint(a.source, b.source) || byCodePoint(a.sourceId, b.sourceId),
  );
  const problems: SnapshotProblem[] = [];
  const events: HrEvent[] = [];
  let ignored = 0;
  const where = (r: HrRecord) => {
    const line = input.lines?.get(r.sourceId);
    return { ...(line !== undefined ? { line } : {}), sourceId: r.sourceId };
  };
  const orgToday = DateTime.fromMillis(now, { zone: policy.timezone }).toISODate()!;
  const localToday = (zone: string) => DateTime.fromMillis(now, { zone }).toISODate()!;

  // --- people by HR id ------------------------------------------------------------------------
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

  // --- ids for joiners, before any event refers to them as a manager ---------------------------
  const newIds = new Map<string, string>();
  const chosen = new Set<string>();
  const suffixes = new Map<string, number>();
  const rehireOf = new Map<string, Located<Person>>();
  const unusable = new Set<string>();
  for (const r of records) {
    if (twice.has(r.sourceId)) {
      problems.push({
        ...where(r),
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
      problems.push({ ...where(r), message: reason });
      unusable.add(r.sourceId);
      continue;
    }
    const id = personIdFor(displayName(r), r.sourceId, (x) => index.people.has(x) || chosen.has(x), suffixes);
    chosen.add(id);
    newIds.set(r.sourceId, id);
  }

  const managerOf = (r: HrRecord): ManagerRef => {
    const m = r.managerSourceId;
    if (!m) return { kind: 'none' };
    const existing = byHrId.get(m) ?? rehireOf.get(m);
    if (existing) return { kind: 'person', id: existing.value.id, isNew: false };
    const fresh = newIds.get(m);
    if (fresh) return { kind: 'person', id: fresh, isNew: true };
    return { kind: 'missing', sourceId: m };
  };
  const missingNote = (r: HrRecord, m: ManagerRef, kept: string | undefined) =>
    m.kind === 'missing'
      ? [
          `HR names manager ${m.sourceId}, who is neither in people/ nor a joiner of this snapshot: ${
            kept ? `the file keeps ${kept}` : 'the file names no manager'
          }; set it by hand or fix the record in HR.`,
        ]
      : m.kind === 'none' && kept
        ? [`HR names no manager for ${r.sourceId}: the file keeps ${kept}.`]
        : [];

  const event = (
    kind: HrEventKind,
    r: HrRecord,
    person: string,
    effective: string,
    file: HrEvent['file'],
    rest: Partial<HrEvent> & Pick<HrEvent, 'changes' | 'managers'>,
  ): HrEvent => ({
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
  });
  const dependsOn = (m: ManagerRef) => (m.kind === 'person' && m.isNew ? [m.id] : []);
  const managerIds = (...ms: (string | undefined)[]) => [
    ...new Set(ms.filter((m): m is string => Boolean(m))),
  ];
  const sla = (highRisk: boolean) =>
    (highRisk ? policy.sla.highRiskLeaverMinutes : policy.sla.leaverMinutes) * 60_000;
  const seen = new Set<string>();

  for (const r of records) {
    seen.add(r.sourceId);
    if (unusable.has(r.sourceId)) continue;
    const located = byHrId.get(r.sourceId) ?? rehireOf.get(r.sourceId);

    // --- not in people/: a joiner, a rehire of an earlier id, or nothing ------------------------
    if (!located) {
      if (r.status === 'terminated') {
        ignored++;
        continue;
      }
      const id = newIds.get(r.sourceId)!;
      const role = roleFor(r, policy)!;
      const m = managerOf(r);
      const term = terminationOf(r, lastDayEndsAt);
      const name = displayName(r);
      const email = r.workEmail ?? `${id}@${policy.organisation.domain}`;
      const person: PersonInput = {
        id,
        name,
        email,
        hrId: r.sourceId,
        ...(m.kind === 'person' ? { manager: m.id } : {}),
        department: r.department!,
        ...(r.jobTitle ? { title: r.jobTitle } : {}),
        employment: {
          type: r.workerType,
          start: r.startDate,
          ...(term && typeof term !== 'string' ? { end: term.instant } : {}),
          highRisk: false,
        },
        roles: [{ role, from: r.startDate }],
      };
      const path = `people/${id}.yaml`;
      events.push(
        event(
          'joiner',
          r,
          id,
          r.startDate,
          { path, content: newPersonFile(person, origin(r)) },
          {
            changes: [
              `new person ${id}: ${name} <${email}>, ${r.workerType}`,
              `department: ${r.department}${r.jobTitle ? `, title: ${r.jobTitle}` : ''}`,
              `manager: ${m.kind === 'person' ? m.id : '(none)'}`,
              `role: ${role} from ${r.startDate}`,
              ...(term && typeof term !== 'string' ? [`employment.end: ${term.instant}`] : []),
            ],
            managers: managerIds(m.kind === 'person' ? m.id : undefined),
            backdated: r.startDate < localToday(r.timeZone),
            dependsOn: dependsOn(m),
            notes: [
              ...missingNote(r, m, undefined),
              ...(r.rehireOf ? [`HR says this is a rehire of ${r.rehireOf}, who is not in people/.`] : []),
              ...(r.workEmail ? [] : [`HR gives no work email: ${email} was chosen.`]),
            ],
          },
        ),
      );
      continue;
    }

    const p = located.value;
    const text = located.src.text;
    const path = located.src.path;
    const term = terminationOf(r, lastDayEndsAt);
    const endMs = p.employment.end ? instantMs(p.employment.end) : undefined;
    const isRehireOfOther = r.sourceId !== p.hrId;
    // Back after a past end, with a later start: a rehire, whether or not the new employment
    // already has its own last day (a contractor's or an intern's fixed term).
    const cameBack =
      (!term || (typeof term !== 'string' && endMs !== undefined && term.ms > endMs)) &&
      endMs !== undefined &&
      endMs <= now &&
      r.startDate > p.employment.start &&
      r.status !== 'terminated';

    // --- rehire: the old file is reused -------------------------------------------------------
    if (isRehireOfOther || cameBack) {
      if (r.status === 'terminated') {
        ignored++;
        continue;
      }
      const role = roleFor(r, policy);
      if (!role) {
        problems.push({ ...where(r), message: unmappedMessage(r) });
        continue;
      }
      const m = managerOf(r);
      const edits: PersonEdit[] = [
        { set: ['hrId'], value: r.sourceId },
        { set: ['name'], value: displayName(r) },
        ...(r.workEmail && r.workEmail !== p.email ? [{ set: ['email'], value: r.workEmail }] : []),
        ...(m.kind === 'person' ? [{ set: ['manager'], value: m.id }] : []),
        ...(r.department ? [{ set: ['department'], value: r.department }] : []),
        ...(r.jobTitle ? [{ set: ['title'], value: r.jobTitle }] : []),
        { set: ['employment', 'type'], value: r.workerType },
        { set: ['employment', 'start'], value: r.startDate },
        ...(term && typeof term !== 'string'
          ? [{ set: ['employment', 'end'], value: term.instant }]
          : [{ remove: ['employment', 'end'] }]),
        // The earlier role history stays in git; a role before the new start would be an error.
        ...p.roles.slice(1).map((_, i) => ({ remove: ['roles', p.roles.length - 1 - i] })),
        { set: ['roles', 0], value: roleEntryNode(role, r.startDate) },
      ];
      events.push(
        event(
          'rehire',
          r,
          p.id,
          r.startDate,
          { path, content: editPersonFile(text, edits), previous: text },
          {
            changes: [
              `rehire of ${p.id} (${p.hrId ?? 'no earlier hrId'} -> ${r.sourceId})`,
              `employment.start: ${p.employment.start} -> ${r.startDate}`,
              ...(p.employment.end ? [`employment.end: ${p.employment.end} -> (none)`] : []),
              `roles: ${role} from ${r.startDate} (the earlier history stays in git)`,
              ...(m.kind === 'person' && m.id !== p.manager
                ? [`manager: ${p.manager ?? '(none)'} -> ${m.id}`]
                : []),
            ],
            managers: managerIds(m.kind === 'person' ? m.id : p.manager),
            backdated: r.startDate < localToday(r.timeZone),
            highRisk: p.employment.highRisk,
            dependsOn: dependsOn(m),
            notes: [
              ...missingNote(r, m, p.manager),
              ...(endMs === undefined || endMs > now
                ? [`${p.id} has not left (no past employment.end): check with HR that this is a rehire.`]
                : []),
            ],
          },
        ),
      );
      continue;
    }

    // --- leaver: an end set or moved ----------------------------------------------------------
    // Once the file's end has passed, access has ended: HR's date for it is history, never a
    // new event (a file ended at 17:00 by hand stays so when HR keeps only the date).
    const gone = endMs !== undefined && endMs <= now;
    if (typeof term === 'string') {
      if (endMs === undefined) problems.push({ ...where(r), message: term });
      continue;
    }
    if (term && term.ms !== endMs && !gone) {
      const edits: PersonEdit[] = [{ set: ['employment', 'end'], value: term.instant }];
      const highRisk = p.employment.highRisk;
      events.push(
        event(
          'leaver',
          r,
          p.id,
          term.lastDay,
          { path, content: editPersonFile(text, edits), previous: text },
          {
            endInstant: term.instant,
            changes: [`employment.end: ${p.employment.end ?? '(none)'} -> ${term.instant}`],
            managers: managerIds(p.manager),
            overdue: term.ms <= now + sla(highRisk),
            backdated: term.ms <= now,
            highRisk,
            notes:
              term.ms <= now
                ? [`The end (${term.instant}) had already passed when HR's record reached jml.`]
                : [],
          },
        ),
      );
    }
    if (r.status === 'terminated') continue;

    // --- cancelled termination: HR no longer ends them ----------------------------------------
    if (!term && p.employment.end) {
      events.push(
        event(
          'cancelled-termination',
          r,
          p.id,
          dateOf(r.asOf, policy.timezone),
          { path, content: editPersonFile(text, [{ remove: ['employment', 'end'] }]), previous: text },
          {
            changes: [`employment.end: ${p.employment.end} -> (none)`],
            managers: managerIds(p.manager),
            highRisk: p.employment.highRisk,
            notes:
              endMs !== undefined && endMs <= now
                ? [`The end ${p.employment.end} has passed: merging this gives ${p.id} their access back.`]
                : [],
          },
        ),
      );
    }

    // --- mover (manager, role, department) and corrections --------------------------------------
    // The move's date: HR's, as of its record (a pre-hire's move takes effect at the start).
    const effective = maxDate(dateOf(r.asOf, policy.timezone), r.startDate);
    const moves: PersonEdit[] = [];
    const moved: string[] = [];
    const notes: string[] = [];
    const m = managerOf(r);
    if (m.kind === 'person' && m.id !== p.manager) {
      moves.push({ set: ['manager'], value: m.id });
      moved.push(`manager: ${p.manager ?? '(none)'} -> ${m.id}`);
    }
    notes.push(...missingNote(r, m, p.manager));
    if (r.department && r.department !== p.department) {
      moves.push({ set: ['department'], value: r.department });
      moved.push(`department: ${p.department} -> ${r.department}`);
    }
    const role = roleFor(r, policy);
    const planned = p.roles[p.roles.length - 1]!;
    // Someone who has not started yet has no history to keep: their roles follow HR's start.
    const notStarted = p.employment.start > orgToday;
    const roleFrom = notStarted ? r.startDate : effective;
    if (!role) {
      problems.push({
        ...where(r),
        message: `${unmappedMessage(r)}; role changes of ${p.id} are not synced until it is`,
      });
    } else if (role !== planned.role) {
      // A pending role from the effective date on is replaced: HR says otherwise now.
      const kept = notStarted ? [] : p.roles.filter((x) => x.from < effective);
      const dropped = p.roles.slice(kept.length);
      const current = kept[kept.length - 1]?.role;
      // The first entry is replaced rather than removed, so the list keeps its block style.
      for (let i = p.roles.length - 1; i >= Math.max(kept.length, 1); i--)
        moves.push({ remove: ['roles', i] });
      if (current === role) {
        moved.push(
          `role: stays ${role}; the planned ${dropped.map((d) => `${d.role} from ${d.from}`).join(', ')} is withdrawn`,
        );
      } else {
        moves.push({ set: ['roles', kept.length], value: roleEntryNode(role, roleFrom) });
        moved.push(`role: ${current ?? '(none)'} -> ${role} from ${roleFrom}`);
        if (dropped.length)
          notes.push(
            `Replaces the planned ${dropped.map((d) => `${d.role} from ${d.from}`).join(', ')}: HR's job family now maps to ${role}.`,
          );
      }
    }
    const fixes: PersonEdit[] = [];
    const fixed: string[] = [];
    const fix = (
      at: string[],
      label: string,
      before: string | undefined,
      after: string | null | undefined,
    ) => {
      if (after === undefined || after === null || after === before) return;
      fixes.push({ set: at, value: after });
      fixed.push(`${label}: ${before ?? '(none)'} -> ${after}`);
    };
    fix(['name'], 'name', p.name, displayName(r));
    fix(['email'], 'email', p.email, r.workEmail);
    fix(['title'], 'title', p.title, r.jobTitle);
    fix(['employment', 'type'], 'employment.type', p.employment.type, r.workerType);
    if (r.workEmail && r.workEmail !== p.email)
      notes.push(
        'The email is the login on every identity provider: rename the accounts there before merging, or the next apply creates new ones.',
      );
    if (p.employment.type === 'contractor' && r.workerType === 'employee')
      notes.push(`${p.id} converts from contractor to employee under the same HR id.`);
    // A start HR moved before it came: the start, and the first role with it (unless the role
    // itself was just replaced, from HR's start).
    const roleReplaced = moves.some((x) => 'set' in x && x.set[0] === 'roles');
    if (r.startDate !== p.employment.start && notStarted) {
      fixes.push(
        { set: ['employment', 'start'], value: r.startDate },
        ...(roleReplaced ? [] : [{ set: ['roles', 0, 'from'], value: r.startDate }]),
      );
      fixed.push(`employment.start: ${p.employment.start} -> ${r.startDate}`);
    }
    if (moved.length || fixed.length) {
      const kind: HrEventKind = moved.length ? 'mover' : 'correction';
      events.push(
        event(
          kind,
          r,
          p.id,
          effective,
          { path, content: editPersonFile(text, [...moves, ...fixes]), previous: text },
          {
            changes: [...moved, ...fixed],
            managers: managerIds(p.manager, m.kind === 'person' ? m.id : undefined),
            highRisk: p.employment.highRisk,
            dependsOn: dependsOn(m),
            notes,
          },
        ),
      );
    }
  }

  // --- people the snapshot does not mention: never touched -------------------------------------
  const untouched = [...index.people.values()]
    .filter((p) => !(p.value.hrId && seen.has(p.value.hrId)))
    .filter((p) => !p.value.employment.end || instantMs(p.value.employment.end) > now)
    .map((p) => p.value.id)
    .sort();
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || byCodePoint(a.sourceId ?? '', b.sourceId ?? ''));
  return { events: orderEvents(events), problems, untouched, ignored };
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

function unmappedMessage(r: HrRecord): string {
  if (r.jobFamily)
    return `job family "${r.jobFamily}"${r.jobTitle ? ` (title "${r.jobTitle}")` : ''} is not mapped to a role in policy/jml.yaml hr.jobFamilies or hr.titles`;
  return `no job family${r.jobTitle ? `, and title "${r.jobTitle}" is not in policy/jml.yaml hr.titles` : ''}: cannot tell the role`;
}

function origin(r: HrRecord): string {
  return `Created by jml hr sync from ${r.source}:${r.sourceId}.`;
}

function dateOf(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).toISODate()!;
}

function maxDate(a: string, b: string): string {
  return a > b ? a : b;
}

/**
 * Managers' own events first (a report's pull request names them): by the depth of the chain of
 * new managers each depends on, then by person, kind and date.
 */
function orderEvents(events: HrEvent[]): HrEvent[] {
  const byPerson = new Map<string, HrEvent>();
  for (const e of events) if (e.event === 'joiner') byPerson.set(e.person, e);
  const depth = new Map<string, number>();
  const depthOf = (e: HrEvent, visiting: Set<string>): number => {
    const known = depth.get(e.person);
    if (known !== undefined) return known;
    let d = 0;
    visiting.add(e.person);
    for (const dep of e.dependsOn) {
      const m = byPerson.get(dep);
      if (m && !visiting.has(dep)) d = Math.max(d, 1 + depthOf(m, visiting));
    }
    visiting.delete(e.person);
    depth.set(e.person, d);
    return d;
  };
  const keyed = events.map((e) => ({ e, d: e.dependsOn.length ? depthOf(e, new Set()) : 0 }));
  keyed.sort(
    (a, b) =>
      a.d - b.d ||
      byCodePoint(a.e.person, b.e.person) ||
      byCodePoint(a.e.event, b.e.event) ||
      byCodePoint(a.e.effective, b.e.effective),
  );
  return keyed.map((k) => k.e);
}
