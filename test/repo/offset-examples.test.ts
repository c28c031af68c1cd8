/**
 * Every instant with an offset that the docs, the example data and the schemas give as an example
 * has the offset the example organisation's zone really has on that date (daylight saving
 * included): a reader who copies one must end access at the time it says, not an hour late.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { offsetAt } from '../../src/model/time.js';

const ROOT = path.resolve(__dirname, '../..');
const ZONE = 'America/New_York';
const INSTANT = /(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)([+-]0[45]:00)/g;

function files(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  const people = readdirSync(path.join(ROOT, 'people')).map((f) => `people/${f}`);
  const schemas = readdirSync(path.join(ROOT, 'schemas')).map((f) => `schemas/${f}`);
  return ['README.md', ...docs, ...people, ...schemas];
}

describe('offset examples', () => {
  it('every -04:00 / -05:00 example is New York’s offset on that date', () => {
    const wrong: string[] = [];
    for (const f of files()) {
      for (const m of readFileSync(path.join(ROOT, f), 'utf8').matchAll(INSTANT)) {
        const real = offsetAt(m[1]!, ZONE);
        if (real !== m[2]) wrong.push(`${f}: ${m[0]} (New York is at ${real} then)`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('offsetAt follows daylight saving', () => {
    expect(offsetAt('2027-01-15T09:00', ZONE)).toBe('-05:00');
    expect(offsetAt('2027-07-15T09:00', ZONE)).toBe('-04:00');
    expect(offsetAt('2027-07-15T09:00', 'UTC')).toBe('Z');
    expect(offsetAt('2027-07-15T09:00', 'Not/AZone')).toBeUndefined();
  });
});
