/**
 * A plan file carries its scope: `jml plan --provider local --out p.json` then
 * `jml apply --plan p.json --confirm` applies to local only (it used to read every provider and
 * refuse the plan as stale), a contradicting --provider is refused, and a plan that really went
 * stale says what moved.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApplyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, copyExample, jml } from './helpers.js';

afterAll(cleanTempDirs);

const AT = '2026-11-25T09:00:00-05:00';

describe('a plan file carries its scope', () => {
  it('jml plan --provider local --out p.json, then apply --plan p.json applies to local only', async () => {
    const dir = copyExample();
    const file = path.join(dir, 'p.json');
    expect((await jml(dir, 'plan', '--provider', 'local', '--at', AT, '--out', file)).code).toBe(0);
    const r = await jml(dir, 'apply', '--plan', file, '--confirm');
    expect(r.code, r.err + r.out).toBe(0);
    const recordFile = /Apply record: (.+)$/m.exec(r.out)?.[1];
    const record = JSON.parse(readFileSync(recordFile!, 'utf8')) as ApplyRecord;
    expect(record.result).toBe('applied');
    expect(new Set(record.changes.map((c) => c.provider))).toEqual(new Set(['local']));
  });

  it('a --provider that contradicts the plan is refused before anything is read', async () => {
    const dir = copyExample();
    const file = path.join(dir, 'p.json');
    await jml(dir, 'plan', '--provider', 'local', '--at', AT, '--out', file);
    const r = await jml(dir, 'apply', '--plan', file, '--confirm', '--provider', 'okta');
    expect(r.code).toBe(1);
    expect(r.err).toContain('the plan was made for --provider local; --provider okta contradicts it.');
  });

  it('a stale plan says what moved on which provider', async () => {
    const dir = copyExample();
    const file = path.join(dir, 'p.json');
    await jml(dir, 'plan', '--provider', 'local', '--at', AT, '--out', file);
    // Another run applies first: the plan was made on an empty directory.
    expect((await jml(dir, 'apply', '--confirm', '--provider', 'local', '--at', AT)).code).toBe(0);
    const r = await jml(dir, 'apply', '--plan', file, '--confirm');
    expect(r.code).toBe(1);
    expect(`${r.out}${r.err}`).toMatch(
      /The providers changed since this plan was made \(local: accounts 0 -> \d+, memberships 0 -> \d+\)/,
    );
  });
});
