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
