/**
 * Usage errors are never silent: a bad option value an action finds (a mistyped --at) is reported
 * with the value and an example, once; commander's own errors (an unknown option) are reported by
 * commander, not twice. Both exit 64 (EX_USAGE), apart from a failed run's 1.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, main } from '../../src/cli/main.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'jml', '-C', 'example-does-not-matter', ...args], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTty: false,
  });
  return { code, out, err };
}

describe('usage errors', () => {
  for (const args of [
    ['plan', '--at', '2027-02-16T09:00'],
    ['plan', '--at', 'tomorrow'],
    ['validate', '--at', '2027-13-01'],
    ['drift', '--at', 'yesterday'],
    ['apply', '--confirm', '--at', 'nope'],
  ])
    it(`a mistyped --at is reported, not silent: jml ${args.join(' ')}`, async () => {
      const r = await run(...args);
      expect(r.code).toBe(EXIT_USAGE);
      expect(r.err).toContain(`--at ${args.at(-1)}`);
      expect(r.err).toMatch(/like 2027-02-01T09:00:00-05:00/);
      expect(r.out).toBe('');
    });

  it('an unknown option is reported once, by commander', async () => {
    const r = await run('plan', '--bogus');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err.match(/unknown option '--bogus'/g)).toHaveLength(1);
  });
});
