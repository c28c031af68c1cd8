/**
 * The embedded directory's lock on a busy machine (issue 16): a run starved of CPU while it holds
 * the lock, so that its refresh misses the stale time and another run may take the lock over,
 * never dies of it and never writes after it lost the lock. It stops writing to that directory,
 * says why in its apply record, exits 1 like any partial apply, and the next run finishes the
 * work. The starving is real: a child process blocks its own event loop until the lock's own
 * state says it is stale or taken over (test/providers/lock-child.ts); nothing here measures time.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import {
  cleanTempDirs,
  copyFixture,
  directoryPath,
  jml,
  planJson,
  readRecords,
  tempDir,
} from '../engine/helpers.js';
import { SHORT_LOCK, spawnStarved } from './lock-child.js';

const AT = '2027-02-02T14:00:00Z';

afterAll(cleanTempDirs);

/** The local directory's changes of a record, as "action person status". */
function localChanges(record: ApplyRecord): string[] {
  return record.changes
    .filter((c) => c.provider === 'local')
    .map((c) => `${c.action} ${c.person} ${c.status}`);
}

/**
 * Every local change after the first was refused for `reason`, or skipped because the account it
 * needed was one of them (a grant after its createUser).
 */
function expectRefusedAfterFirst(record: ApplyRecord, reason: RegExp): void {
  const [first, ...rest] = record.changes.filter((c) => c.provider === 'local');
  expect(first!.status).toBe('applied');
  expect(rest.filter((c) => c.status === 'failed').length).toBeGreaterThan(2);
  for (const c of rest) {
    if (c.status === 'skipped') {
      expect(c.detail).toBe('the account could not be created or enabled');
      continue;
    }
    expect(c.status, `${c.action} ${c.person}`).toBe('failed');
    expect(c.error).toMatch(reason);
    expect(c.error).toMatch(/The next run applies this change/);
  }
}

/** The next run applies what the starved one could not: afterwards there is nothing left to do. */
async function expectNextRunFinishes(dir: string): Promise<void> {
  const before = readRecords(dir).length;
  await jml(dir, 'apply', '--confirm', '--at', AT);
  const next = readRecords(dir)
    .slice(before)
    .map((r) => r.record as unknown as ApplyRecord);
  expect(next.map((r) => r.result)).toEqual(['applied']);
  expect(localChanges(next[0]!).every((c) => c.endsWith(' applied'))).toBe(true);
  expect((await planJson(dir, '--at', AT)).changes).toEqual([]);
}

/** Waits on the lock's own refresh: until the lock directory's mtime moves. */
async function nextRefresh(lockDir: string): Promise<void> {
  const before = statSync(lockDir).mtime.getTime();
  while (statSync(lockDir).mtime.getTime() === before) await new Promise((r) => setImmediate(r));
}

describe('the embedded directory lock on a busy machine', () => {
  it('a run starved of CPU past its lock’s stale time writes nothing more to the directory, records why, exits 1 without an exception, and the next run finishes', async () => {
    const dir = copyFixture('org');
    const run = spawnStarved(dir, AT, 'directory', 'starve');
    const code = await run.exit;
    expect(run.stderr()).toBe('');
    expect(code, run.stdout()).toBe(1);
    const record = run.record()!;
    expect(record.result).toBe('partial');
    // The first write went through; every later one was refused, with the reason.
    expectRefusedAfterFirst(
      record,
      /not written to .*directory\.json: its lock .* went [\d.]+ s without a refresh/,
    );
    // Other directories, on their own locks, were written as usual.
    expect(record.changes.filter((c) => c.provider === 'okta').every((c) => c.status === 'applied')).toBe(
      true,
    );
    expect(existsSync(`${directoryPath(dir, 'local')}.lock`)).toBe(false);
    await expectNextRunFinishes(dir);
  });

  it('another process takes over the lock of a run starved of CPU: the starved run’s next write is refused and the new holder’s lock is left alone', async () => {
    const dir = copyFixture('org');
    const file = directoryPath(dir, 'local');
    const run = spawnStarved(dir, AT, 'directory', 'taken-over');
    await run.blocking;
    // This process is the other run: it waits for the lock and takes it over once it is stale.
    const release = await new EmbeddedDirectory({
      name: 'local',
      file,
      simulated: false,
      accounts: true,
      lock: { ...SHORT_LOCK, waitMs: 600_000 },
    }).lock();
    const code = await run.exit;
    expect(run.stderr()).toBe('');
    expect(code, run.stdout()).toBe(1);
    const record = run.record()!;
    expect(record.result).toBe('partial');
    expectRefusedAfterFirst(record, /not written to .*directory\.json: .*(took over|taken over)/);
    // Nothing the starved run wrote after the takeover reached the file.
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data.users['jo.joiner@example.com']).toBeUndefined();
    // It let go of nothing of ours: the lock and its owner record are still this process's.
    expect(existsSync(`${file}.lock`)).toBe(true);
    expect(JSON.parse(readFileSync(`${file}.lock.owner`, 'utf8')).pid).toBe(process.pid);
    await release();
    expect(existsSync(`${file}.lock`)).toBe(false);
    await expectNextRunFinishes(dir);
  });

  it('two applies in one process: the second waits for the first’s turn even when the first’s lock went stale, and never takes it over', async () => {
    const file = path.join(tempDir(), 'directory.json');
    const lockDir = `${file}.lock`;
    const directory = (lock = SHORT_LOCK) =>
      new EmbeddedDirectory({ name: 'local', file, simulated: false, accounts: true, lock });
    const a = directory();
    const releaseA = await a.lock();
    const taken = statSync(lockDir);
    let secondHolds = false;
    const second = directory()
      .lock()
      .then((release) => {
        secondHolds = true;
        return release;
      });
    // Starved: nothing of this process runs until the lock's own mtime says it is stale.
    while (Date.now() - statSync(lockDir).mtime.getTime() <= SHORT_LOCK.staleMs) {
      // busy
    }
    const create = (login: string) => ({
      id: `local/${login}/createUser`,
      action: 'createUser' as const,
      provider: 'local' as const,
      login,
      person: login,
      event: { kind: 'joiner' as const },
      because: ['test'],
    });
    const late = await a.apply(create('ada@example.com'));
    expect(late).toMatchObject({ status: 'failed', error: expect.stringMatching(/without a refresh/) });
    await nextRefresh(lockDir);
    // Still the first holder's directory, refreshed by it; the second has not touched it.
    expect(statSync(lockDir)).toMatchObject({ ino: taken.ino, birthtimeMs: taken.birthtimeMs });
    expect(secondHolds).toBe(false);
    await releaseA();
    const releaseB = await second;
    const b = directory();
    expect(await b.apply(create('ada@example.com'))).toMatchObject({ status: 'applied' });
    await releaseB();
    expect(existsSync(lockDir)).toBe(false);
  });
});
