/**
 * A run starved of CPU while it holds a lock: the child process of test/providers/embedded-lock.test.ts
 * and test/engine/lock-lost.test.ts. Arguments: `<repo> <at> <scope> <how>`.
 *
 * It applies the repository's plan at `<at>` through the real runApply, the way `jml apply` does,
 * with one lock on short times (stale after 2 s, refreshed every second): the local directory's
 * (`scope` = `directory`) or the leaver lee.leaver's person lock (`scope` = `person`). Right after
 * that scope's first write it blocks its own event loop, synchronously, so the lock's refresh
 * timer cannot run, until the lock itself says enough:
 *   - `starve`: until the lock directory's own mtime is older than the stale time;
 *   - `taken-over`: until another process has taken the lock over (the directory is not ours).
 * It says `blocking` on stdout when it starts. Then the run goes on, prints its apply record as
 * JSON and exits with the code `jml apply` gives that record. Nothing here catches an exception:
 * one that escaped would end the process with a stack trace on stderr and no record. The tests
 * start it with `spawnStarved`.
 */
import { spawn } from 'node:child_process';
import { type Stats, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runApply } from '../../src/apply/apply.js';
import { lockPerson, type PersonLock } from '../../src/apply/leaver-schedule.js';
import { exitCode } from '../../src/cli/run-support.js';
import { planFrom, prepare, readActual, recordsDir } from '../../src/engine/prepare.js';
import type { Change } from '../../src/plan/plan-types.js';
import { EmbeddedDirectory } from '../../src/providers/embedded/embedded-directory.js';
import type { ChangeOutcome, Provider } from '../../src/providers/types.js';
import type { ApplyRecord } from '../../src/records/schema.js';

/** The short lock times of the starved scope. */
export const SHORT_LOCK = { staleMs: 2_000, updateMs: 1_000 };
/** The leaver whose person lock is the `person` scope. */
export const LEAVER = 'lee.leaver';

/** Where lockPerson keeps a person's lock, under a repository's locks directory. */
export function personLockDir(locks: string, person: string): string {
  return `${path.join(locks, `${person}.lock`)}.lock`;
}

const same = (a: Stats, b: Stats) =>
  a.ino === b.ino && a.birthtimeMs === b.birthtimeMs && a.mtime.getTime() === b.mtime.getTime();

function statOrUndefined(dir: string): Stats | undefined {
  try {
    return statSync(dir);
  } catch {
    return undefined;
  }
}

/** Blocks the event loop until the lock at `lockDir` says so (see the file's comment). */
function block(lockDir: string, how: 'starve' | 'taken-over'): void {
  writeSync(1, 'blocking\n');
  const mine = statSync(lockDir);
  if (how === 'starve') {
    while (Date.now() - statSync(lockDir).mtime.getTime() <= SHORT_LOCK.staleMs) {
      // busy: no timer of this process runs
    }
    return;
  }
  for (;;) {
    const now = statOrUndefined(lockDir);
    if (now && !same(now, mine)) return;
  }
}

/** `f`, called once at most. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/** A provider that calls `starve` right after each change `when` picks (`starve` blocks once). */
class Starving implements Provider {
  readonly name;
  readonly simulated;
  constructor(
    private readonly inner: Provider,
    private readonly when: (c: Change) => boolean,
    private readonly starve: () => void,
  ) {
    this.name = inner.name;
    this.simulated = inner.simulated;
  }
  read(scope: Parameters<Provider['read']>[0]) {
    return this.inner.read(scope);
  }
  lock() {
    return this.inner.lock!();
  }
  async apply(c: Change): Promise<ChangeOutcome> {
    const outcome = await this.inner.apply(c);
    if (this.when(c)) this.starve();
    return outcome;
  }
}

async function main(): Promise<void> {
  const [root, at, scope, how] = process.argv.slice(2) as [
    string,
    string,
    'directory' | 'person',
    'starve' | 'taken-over',
  ];
  const ready = await prepare(
    { clock: { now: () => Date.parse(at), sleepUntil: async () => {} }, env: {} },
    {
      root,
      at: Date.parse(at),
    },
  );
  if (!ready.ok) throw new Error(`${root} does not prepare`);
  const p = ready.prepared;
  const records = recordsDir(p.root, p.index);
  let person: PersonLock | undefined;
  let providers: Provider[];
  if (scope === 'directory') {
    const local = p.providers.find((x) => x.name === 'local') as EmbeddedDirectory;
    const short = new EmbeddedDirectory({
      name: 'local',
      file: local.file,
      simulated: false,
      accounts: true,
      lock: SHORT_LOCK,
    });
    const starve = once(() => block(`${path.resolve(local.file)}.lock`, how));
    providers = p.providers.map((x) => (x.name === 'local' ? new Starving(short, () => true, starve) : x));
  } else {
    const locks = path.join(records, '..', 'locks');
    person = await lockPerson(locks, LEAVER, 60_000, SHORT_LOCK);
    const starve = once(() => block(personLockDir(locks, LEAVER), how));
    providers = p.providers.map((x) => new Starving(x, (c) => c.person === LEAVER, starve));
  }
  const q = { ...p, providers };
  try {
    const outcome = await runApply({
      providers,
      policy: p.index.policy,
      flags: { allowMassRemoval: false, allowMassDisable: false, allowDelete: false },
      readActual: () => readActual(q),
      plan: (actual) => planFrom(q, actual),
      recordDir: records,
      trigger: { actor: 'test', command: 'lock-child', ci: false },
      lockLost: (c) => (c.person === LEAVER ? person?.lost() : undefined),
    });
    writeSync(1, `${JSON.stringify(outcome.record)}\n`);
    process.exitCode = exitCode(outcome.record.result, false);
  } finally {
    await person?.release();
  }
}

/** The child as the tests see it: its signal that it blocks, its exit, its output and its record. */
export interface StarvedRun {
  /** Resolves when the child has written its scope once and starts blocking. */
  blocking: Promise<void>;
  exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** The apply record the child printed, when it printed one. */
  record(): ApplyRecord | undefined;
}

export function spawnStarved(
  root: string,
  at: string,
  scope: 'directory' | 'person',
  how: 'starve' | 'taken-over',
): StarvedRun {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), root, at, scope, how],
    { cwd: path.resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    err += d;
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const blocking = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', () => {
      if (out.includes('blocking\n')) resolve();
    });
    void exit.then((code) => reject(new Error(`the child exited (${code}) before blocking: ${err}`)));
  });
  blocking.catch(() => undefined);
  return {
    blocking,
    exit,
    stdout: () => out,
    stderr: () => err,
    record: () => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      return line ? (JSON.parse(line) as ApplyRecord) : undefined;
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
