/**
 * Safety guards: each limit from policy/jml.yaml `safety` (and `retention`) refuses the whole
 * plan before the first write unless its own --allow-* flag is given; protected accounts are
 * refused whatever the flags. "Nothing written" is checked byte for byte.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_USAGE } from '../../src/cli/main.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import {
  cleanTempDirs,
  copyFixture,
  jml,
  planJson,
  readDirectory,
  readRecords,
  readRepoFile,
  snapshotDirectories,
  writeRepoFile,
} from './helpers.js';

const AT = '2027-02-02T14:00:00Z';
const ALL_FLAGS = ['--allow-mass-removal', '--allow-mass-disable', '--allow-delete'];

function appendPolicy(dir: string, yaml: string): void {
  writeRepoFile(dir, 'policy/jml.yaml', `${readRepoFile(dir, 'policy/jml.yaml')}${yaml}`);
}

/** Dee Dev leaves at the same instant as Lee Leaver: two people to disable. */
function secondLeaver(dir: string): void {
  const file = 'people/dee.dev.yaml';
  const text = readRepoFile(dir, file);
  expect(text).toContain('  start: 2023-04-03\n');
  writeRepoFile(
    dir,
    file,
    text.replace('  start: 2023-04-03\n', '  start: 2023-04-03\n  end: 2027-02-01T17:00:00-05:00\n'),
  );
}

function lastRecord(dir: string): ApplyRecord {
  const all = readRecords(dir);
  return all[all.length - 1]!.record as unknown as ApplyRecord;
}

/** Runs apply expecting a refusal: exit 1, a refused record naming the guard, not one byte written. */
async function expectRefused(dir: string, args: string[], guard: string, text: RegExp): Promise<void> {
  const files = snapshotDirectories(dir);
  const r = await jml(dir, 'apply', '--confirm', ...args);
  expect(r.code, r.out).toBe(1);
  expect(r.out).toContain('Refused by the safety guards; nothing was written');
  expect(r.out).toMatch(text);
  expect(snapshotDirectories(dir)).toEqual(files);
  const rec = lastRecord(dir);
  expect(rec.result).toBe('refused');
  expect(rec.changes).toEqual([]);
  expect(rec.guards.map((g) => g.guard)).toEqual([guard]);
}

afterAll(cleanTempDirs);

describe('safety guards', () => {
  it('refuse removing a larger share of one provider’s memberships than policy allows, unless --allow-mass-removal', async () => {
    const dir = copyFixture('org');
    appendPolicy(dir, 'safety:\n  removalShareFloor: 2\n  maxRemovalShare: 0.25\n');
    await expectRefused(
      dir,
      ['--at', AT],
      'mass-removal',
      /removes 5 of 19 memberships on okta \(26%\), more than the 25% policy allows.*--allow-mass-removal/,
    );
    // Local (2 of 7) and manual (1 of 1) stay under the floor of 2 removals: only okta is named.
    expect(lastRecord(dir).guards).toHaveLength(1);

    const r = await jml(dir, 'apply', '--confirm', '--at', AT, '--allow-mass-removal');
    expect(r.code, r.out).toBe(0);
    expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
  });

  it('refuse disabling more people than policy allows, unless --allow-mass-disable', async () => {
    const dir = copyFixture('org');
    secondLeaver(dir);
    appendPolicy(dir, 'safety:\n  maxDisables: 1\n');
    await expectRefused(
      dir,
      ['--at', AT],
      'mass-disable',
      /disables 2 people, more than the 1 policy allows.*--allow-mass-disable/,
    );
    const r = await jml(dir, 'apply', '--confirm', '--at', AT, '--allow-mass-disable');
    expect(r.code, r.out).toBe(0);
    for (const p of ['local', 'okta'] as const) {
      expect(readDirectory(dir, p).users['dee.dev@example.com']?.enabled).toBe(false);
      expect(readDirectory(dir, p).users['lee.leaver@example.com']?.enabled).toBe(false);
    }
  });

  it('refuse a plan that touches a protected account, whatever the flags', async () => {
    const dir = copyFixture('org');
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', AT, '--out', planFile)).code).toBe(0);
    // The plan was reviewed; then Lee's login is declared a break-glass account.
    appendPolicy(dir, 'safety:\n  protectedAccounts:\n    - Lee.Leaver@example.com\n');
    await expectRefused(
      dir,
      ['--plan', planFile, ...ALL_FLAGS],
      'protected-account',
      /changes protected account\(s\) lee\.leaver@example\.com.*No flag overrides this/,
    );
    // There is no flag to unlock it.
    const r = await jml(dir, 'apply', '--confirm', '--plan', planFile, '--allow-protected');
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toContain("unknown option '--allow-protected'");
    // A fresh plan leaves the account alone and reports it instead.
    const fresh = await planJson(dir, '--at', AT);
    expect(fresh.changes.filter((c) => c.login === 'lee.leaver@example.com')).toEqual([]);
    expect(fresh.reported.filter((x) => x.kind === 'protected-account').map((x) => x.provider)).toEqual([
      'local',
      'manual',
      'okta',
    ]);
  });

  it('refuse deleting accounts past retention unless --allow-delete, and delete nothing before then', async () => {
    const dir = copyFixture('org');
    appendPolicy(dir, 'retention:\n  deleteAccounts: true\n  accountDays: 30\n');
    expect((await jml(dir, 'apply', '--confirm', '--at', AT)).code).toBe(0);
    // Lee left at 2027-02-01T22:00Z: retention of 30 days ends at 2027-03-03T22:00Z.
    expect((await planJson(dir, '--at', '2027-03-03T21:59:59Z')).changes).toEqual([]);
    const due = '2027-03-03T22:00:00Z';
    expect((await planJson(dir, '--at', due)).changes.map((c) => c.id)).toEqual([
      'local/lee.leaver@example.com/deleteUser',
      'okta/lee.leaver@example.com/deleteUser',
    ]);
    await expectRefused(
      dir,
      ['--at', due, '--allow-mass-removal', '--allow-mass-disable'],
      'account-deletion',
      /deletes 2 account\(s\) past their retention period.*--allow-delete/,
    );
    const r = await jml(dir, 'apply', '--confirm', '--at', due, '--allow-delete');
    expect(r.code, r.out).toBe(0);
    expect(readDirectory(dir, 'local').users['lee.leaver@example.com']).toBeUndefined();
    expect(readDirectory(dir, 'okta').users['lee.leaver@example.com']).toBeUndefined();
    expect((await planJson(dir, '--at', due)).changes).toEqual([]);
  });
});
