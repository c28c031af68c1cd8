/**
 * Time: calendar dates are read in the organisation's time zone; instants carry their offset.
 * Everything downstream compares epoch milliseconds, so the zone rules live only here (luxon,
 * which uses the platform's IANA database through Intl).
 */
import { DateTime, IANAZone } from 'luxon';

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** A clock that turns dates into instants for one time zone, caching each date it has seen. */
export interface Clock {
  zone: string;
  /** Epoch ms of the start of `date` (YYYY-MM-DD) in the zone. */
  dayStart(date: string): number;
  /** The calendar date of `ms` in the zone. */
  dateOf(ms: number): string;
}

export function createClock(zone: string): Clock {
  const cache = new Map<string, number>();
  return {
    zone,
    dayStart(date) {
      let ms = cache.get(date);
      if (ms === undefined) {
        const dt = DateTime.fromISO(date, { zone });
        if (!dt.isValid) throw new Error(`invalid date ${date} in ${zone}: ${dt.invalidReason}`);
        ms = dt.startOf('day').toMillis();
        cache.set(date, ms);
      }
      return ms;
    },
    dateOf(ms) {
      return DateTime.fromMillis(ms, { zone }).toISODate() ?? '';
    },
  };
}

/** Epoch ms of an RFC 3339 instant that the model already checked carries an offset. */
export function instantMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`invalid instant ${iso}`);
  return ms;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Parses the `--at` option: an instant with offset, or a calendar date meaning its start in the
 * organisation zone. Returns undefined when it is neither.
 */
export function parseAt(value: string, clock: Clock): number | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const dt = DateTime.fromISO(value, { zone: clock.zone });
    return dt.isValid ? dt.toMillis() : undefined;
  }
  if (!/([Zz]|[+-]\d\d:\d\d)$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export const DAY_MS = 86_400_000;

/**
 * The UTC offset (`-04:00`, `+01:00`, `Z` for zero) a local date-time like `2027-03-31T17:00` has in
 * `zone`, daylight saving included; undefined when the text or the zone is not valid. For a time
 * that does not exist (skipped by a spring-forward) luxon moves it forward, and the offset is the
 * one after the change.
 */
export function offsetAt(local: string, zone: string): string | undefined {
  if (!isValidTimeZone(zone)) return undefined;
  const dt = DateTime.fromISO(local, { zone });
  if (!dt.isValid) return undefined;
  return dt.offset === 0 ? 'Z' : dt.toFormat('ZZ');
}
