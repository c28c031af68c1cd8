/**
 * Crash safety of apply against the embedded directories: `jml apply` as a real child process,
 * killed with SIGKILL while it writes, again and again; then one run to completion. The files
 * must never be torn, never hold a member or a user twice, and the next plan must be empty.
 * Two applies started at once must be serialised by the lock and converge.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import {
  cleanTempDirs,
  DIRECTORY_FILES,
  directoryPath,
  FIXTURES,
  jml,
  planJson,
  REPO_ROOT,
  readRecords,
  tempDir,
} from './helpers.js';

/** Before the crash runs: ten people work here. */
const T0 = '2027-01-15T14:00:00Z';
/** The crash runs: three of them have left, three moved, twenty joined. */
const T1 = '2027-02-02T14:00:00Z';
const KILLS = 15;
const BIN = path.join(REPO_ROOT, 'bin/jml.js');

/** mulberry32: a small seeded generator, so that a failing sequence of kills can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function personYaml(n: number): string {
  const id = `p${String(n).padStart(2, '0')}.person`;
  const existing = n <= 10;
  const start = existing ? '2025-01-06' : '2027-02-01';
  const end = n <= 3 ? '  end: 2027-02-01T17:00:00-05:00\n' : '';
  const first = n % 3 === 0 && n > 6 ? 'finance-analyst' : n % 4 === 0 ? 'sales' : 'engineer';
  const moves = n >= 4 && n <= 6 ? '  - role: finance-analyst\n    from: 2027-02-01\n' : '';
  return `id: ${id}\nname: Person ${n}\nemail: ${id}@example.com\nmanager: hana.hr\ndepartment: Engineering\nemployment:\n  start: ${start}\n${end}roles:\n  - role: ${first}\n    from: ${start}\n${moves}`;
}

/** The org fixture's policy and roles with 30 more people, applied as of T0. */
async function buildRepo(): Promise<string> {
  const dir = tempDir('jml-crash-');
  const org = path.join(FIXTURES, 'org');
  for (const sub of ['policy', 'roles'])
    cpSync(path.join(org, sub), path.join(dir, sub), { recursive: true });
  mkdirSync(path.join(dir, 'people'));
  for (const id of ['hana.hr', 'sam.sec'])
    cpSync(path.join(org, `people/${id}.yaml`), path.join(dir, `people/${id}.yaml`));
  for (let n = 1; n <= 30; n++)
    writeFileSync(path.join(dir, `people/p${String(n).padStart(2, '0')}.person.yaml`), personYaml(n));
  // Three leavers and three movers remove more than a quarter of Okta's memberships at once.
  writeFileSync(
    path.join(dir, 'policy/jml.yaml'),
    `${readFileSync(path.join(dir, 'policy/jml.yaml'), 'utf8')}safety:\n  maxRemovalShare: 0.6\n`,
  );
  const r = await jml(dir, 'apply', '--confirm', '--at', T0);
  expect(r.code, r.out + r.err).toBe(0);
  // The leavers are signed in when they leave.
  const okta = new EmbeddedDirectory({
    name: 'okta',
    file: directoryPath(dir, 'okta'),
    simulated: true,
    accounts: true,
  });
  for (const n of [1, 2, 3]) expect(okta.signIn(`p0${n}.person@example.com`)).toBe(true);
  return dir;
}

/** Every directory file parses, with no key twice (JSON.parse would hide that), no member twice. */
function checkDirectories(dir: string): void {
  for (const [provider, rel] of Object.entries(DIRECTORY_FILES)) {
    const file = path.join(dir, rel);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const data = JSON.parse(text) as DirectoryFile; // never torn
    const doc = parseDocument(text, { uniqueKeys: true });
    expect(
      doc.errors.map((e) => e.message),
      `${provider}: a key appears twice`,
    ).toEqual([]);
    const logins = Object.keys(data.users).map((l) => l.toLowerCase());
    expect(new Set(logins).size, `${provider}: a user appears twice`).toBe(logins.length);
    for (const [target, members] of Object.entries(data.targets))
      expect(new Set(members).size, `${provider} ${target}: a member appears twice`).toBe(members.length);
    const tickets = data.tickets.map((t) => t.id);
    expect(new Set(tickets).size, `${provider}: a ticket id appears twice`).toBe(tickets.length);
  }
  // Records are evidence: any record that exists is whole.
  for (const r of readRecords(dir)) expect(r.record.schema).toBe('jml-apply-record/v1');
}

function mtimes(dir: string): string {
  return Object.values(DIRECTORY_FILES)
    .map((rel) => {
      const f = path.join(dir, rel);
      return existsSync(f) ? String(statSync(f).mtimeMs) : '-';
    })
    .join(',');
}

function spawnApply(
  dir: string,
  ...extra: string[]
): { child: ChildProcess; exit: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [BIN, '-C', dir, 'apply', '--confirm', ...extra], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let output = '';
  child.stdout!.on('data', (d) => {
    output += d;
  });
  child.stderr!.on('data', (d) => {
    output += d;
  });
  const exit = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
  });
  return { child, exit, output: () => output };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts an apply and kills it: either a random 20-400 ms after the spawn (mostly while the
 * process is still starting), or a random 0-60 ms after its first write, which lands mid-apply.
 */
async function applyAndKill(dir: string, rnd: () => number, i: number): Promise<'killed' | 'finished'> {
  const before = mtimes(dir);
  const { child, exit } = spawnApply(dir, '--at', T1);
  let done = false;
  exit.then(() => {
    done = true;
  });
  if (i % 4 === 0) {
    await sleep(20 + rnd() * 380);
  } else {
    while (!done && mtimes(dir) === before) await sleep(1);
    await sleep(rnd() * 60);
  }
  if (done) return 'finished';
  child.kill('SIGKILL');
  await exit;
  return 'killed';
}

afterAll(cleanTempDirs);

/**
 * A child process that takes the lock of `file`, says so, and holds it until its stdin closes
 * (`let go`), then releases it and exits; or until it is killed.
 */
function lockHolder(file: string): { child: ChildProcess; locked: Promise<void>; letGo: () => void } {
  const script = `
    import { EmbeddedDirectory } from './src/providers/embedded/embedded-directory.ts';
    const d = new EmbeddedDirectory({ name: 'local', file: ${JSON.stringify(file)}, simulated: false, accounts: true });
    const release = await d.lock();
    console.log('locked');
    process.stdin.resume();
    process.stdin.on('end', async () => { await release(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the lock holder exited with ${code} before locking`)));
  });
  return { child, locked, letGo: () => child.stdin!.end() };
}

/** The embedded directory at `file`, waiting `waitMs` at most for another process's lock. */
const directoryAt = (file: string, waitMs: number) =>
  new EmbeddedDirectory({ name: 'local', file, simulated: false, accounts: true, lock: { waitMs } });

describe('the embedded directory lock', () => {
  it('is taken over at once when its holder was killed', async () => {
    const file = path.join(tempDir(), 'directory.json');
    const holder = lockHolder(file);
    await holder.locked;
    holder.child.kill('SIGKILL');
    await new Promise((r) => holder.child.on('exit', r));
    expect(existsSync(`${file}.lock`)).toBe(true);
    // Without waiting at all: the dead holder's lock is broken, not waited out until it is stale.
    const release = await directoryAt(file, 0).lock();
    await release();
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(existsSync(`${file}.lock.owner`)).toBe(false);
  });

  it('is waited for while its holder is alive', async () => {
    const file = path.join(tempDir(), 'directory.json');
    const holder = lockHolder(file);
    await holder.locked;
    // A live holder's lock is not broken: without waiting, it is refused.
    await expect(directoryAt(file, 0).lock()).rejects.toThrow(/is locked by another jml apply/);
    let taken = false;
    const waiting = directoryAt(file, 600_000)
      .lock()
      .then((release) => {
        taken = true;
        return release;
      });
    const exited = new Promise((r) => holder.child.on('exit', r));
    expect(taken).toBe(false);
    holder.letGo();
    const release = await waiting;
    await exited;
    await release();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('crash safety', () => {
  it(`survives ${KILLS} SIGKILLs during apply and converges afterwards`, async () => {
    const dir = await buildRepo();
    const total = (await planJson(dir, '--at', T1)).changes.length;
    expect(total).toBeGreaterThan(150);
    const rnd = random(20270202);
    const remaining: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const how = await applyAndKill(dir, rnd, i);
      checkDirectories(dir);
      const left = (await planJson(dir, '--at', T1)).changes.length;
      remaining.push(left);
      if (how === 'finished') break;
    }
    // Some kills landed mid-apply: progress was made but not finished.
    expect(
      remaining.some((n) => n > 0 && n < total),
      `remaining after each kill: ${remaining}`,
    ).toBe(true);
    // Nothing is ever undone by a crash: what is left only shrinks.
    for (let i = 1; i < remaining.length; i++) expect(remaining[i]).toBeLessThanOrEqual(remaining[i - 1]!);

    const last = spawnApply(dir, '--at', T1);
    expect(await last.exit, last.output()).toBe(0);
    checkDirectories(dir);
    expect((await planJson(dir, '--at', T1)).changes).toEqual([]);
    expect((await jml(dir, 'drift', '--at', T1)).code).toBe(0);
    const okta = JSON.parse(readFileSync(directoryPath(dir, 'okta'), 'utf8')) as DirectoryFile;
    expect(okta.users['p01.person@example.com']).toMatchObject({ enabled: false, sessions: [] });
    expect(Object.keys(okta.users)).toHaveLength(2 + 30);
  });

  it('two applies started at once are serialised by the lock and converge', async () => {
    const dir = await buildRepo();
    const [a, b] = [spawnApply(dir, '--at', T1), spawnApply(dir, '--at', T1)];
    expect([await a.exit, await b.exit], a.output() + b.output()).toEqual([0, 0]);
    checkDirectories(dir);
    const results = readRecords(dir)
      .map((r) => r.record as unknown as ApplyRecord)
      .filter((r) => r.at === '2027-02-02T14:00:00.000Z')
      .map((r) => r.result)
      .sort();
    expect(results).toEqual(['applied', 'no-changes']);
    expect((await planJson(dir, '--at', T1)).changes).toEqual([]);
  });

  it('two applies of the same reviewed plan: one applies it, the other finds it stale', async () => {
    const dir = await buildRepo();
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', T1, '--out', planFile)).code).toBe(0);
    const [a, b] = [spawnApply(dir, '--plan', planFile), spawnApply(dir, '--plan', planFile)];
    expect([await a.exit, await b.exit].sort()).toEqual([0, 1]);
    checkDirectories(dir);
    const results = readRecords(dir)
      .map((r) => r.record as unknown as ApplyRecord)
      .filter((r) => r.at === '2027-02-02T14:00:00.000Z')
      .map((r) => r.result)
      .sort();
    expect(results).toEqual(['applied', 'stale']);
    expect((await planJson(dir, '--at', T1)).changes).toEqual([]);
    expect(readdirSync(path.join(dir, '.jml')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });
});
