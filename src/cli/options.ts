import { InvalidArgumentError } from 'commander';

/**
 * `--at`: an instant with an offset, or a date (read as midnight UTC here; commands that know the
 * organisation's zone re-read a bare date in it). Default: now.
 */
export function parseAtOption(value: string | undefined, now: () => number = Date.now): number {
  if (value === undefined) return now();
  if (!/^\d{4}-\d{2}-\d{2}(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d))?$/.test(value)) {
    throw new InvalidArgumentError(
      `--at ${value}: use an instant with offset like 2027-02-01T09:00:00-05:00, or a date`,
    );
  }
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`--at ${value} is not a valid time`);
  return ms;
}
