/**
 * What an HR record says, read the way jml reads it: the name people use, the role policy maps it
 * to, when a termination ends access, and the identity of the pull request each event becomes.
 */
import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Policy } from '../../model/schema.js';
import type { HrRecord } from '../snapshot.js';
import type { HrEventKind } from '../types.js';

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

/** Why the record's role cannot be told. */
export function unmappedMessage(r: HrRecord): string {
  if (r.jobFamily)
    return `job family "${r.jobFamily}"${r.jobTitle ? ` (title "${r.jobTitle}")` : ''} is not mapped to a role in policy/jml.yaml hr.jobFamilies or hr.titles`;
  return `no job family${r.jobTitle ? `, and title "${r.jobTitle}" is not in policy/jml.yaml hr.titles` : ''}: cannot tell the role`;
}

/** The comment a new people file starts with. */
export function origin(r: HrRecord): string {
  return `Created by jml hr sync from ${r.source}:${r.sourceId}.`;
}

/** The date of an instant in a zone. */
export function dateOf(iso: string, zone: string): string {
  return DateTime.fromISO(iso, { setZone: true }).setZone(zone).toISODate()!;
}

export function maxDate(a: string, b: string): string {
  return a > b ? a : b;
}
