import { InvalidArgumentError } from 'commander';
import { createClock, parseAt } from '../model/time.js';

/**
 * `--at`: an instant with an offset, or a calendar date meaning its start in the organisation's
 * time zone. Returns a function of that zone, for checkRepository; throws a usage error early
 * when the text is neither.
 */
export function parseAtOption(
  value: string | undefined,
  now: () => number = Date.now,
): (zone?: string) => number {
  if (value === undefined) {
    const t = now();
    return () => t;
  }
  if (parseAt(value, createClock('UTC')) === undefined) {
    throw new InvalidArgumentError(
      `--at ${value}: use an instant with an offset like 2027-02-01T09:00:00-05:00, or a date like 2027-02-01`,
    );
  }
  return (zone) => parseAt(value, createClock(zone ?? 'UTC'))!;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration option such as `20m`, `90s`, `24h` or `90d`, in milliseconds. Throws a usage error
 * naming the option when the text is not a whole number with one of those units.
 */
export function parseDuration(option: string, value: string): number {
  const m = /^(\d+)([smhd])$/.exec(value.trim());
  if (!m) {
    throw new InvalidArgumentError(
      `${option} ${value}: use a whole number and a unit, s, m, h or d (for example 20m or 90d)`,
    );
  }
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/**
 * `--quarter`: a quarter written YYYY-Qn. Refused as a usage error, before anything runs, when it
 * is written any other way.
 */
export function parseQuarter(value: string): string {
  if (!/^[0-9]{4}-Q[1-4]$/.test(value)) {
    throw new InvalidArgumentError(`--quarter must be written YYYY-Qn, like 2027-Q1 (got ${value})`);
  }
  return value;
}
