/**
 * Shared by the engine tests: copy a fixture repository to a temp dir, seed the embedded
 * directories, run the CLI in-process with a captured Io, read and edit directory files.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { RunClock } from '../../src/apply/leaver-schedule.js';
import { type Io, main } from '../../src/cli/main.js';
import type { Plan } from '../../src/plan/plan-types.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/engine');
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** The directory files the fixtures' policy/jml.yaml declares, by provider. */
export const DIRECTORY_FILES = {
  local: '.jml/directory.json',
  okta: '.jml/okta.json',
  manual: '.jml/manual.json',
} as const;
export type FixtureProvider = keyof typeof DIRECTORY_FILES;

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `jml -C dir ...args` in-process; never touches process.stdout. */
export async function jml(dir: string, ...args: string[]): Promise<RunResult> {
  return jmlWithClock(undefined, dir, ...args);
}

/**
 * A test's clock that ignores the wall: it reads `start`, then one millisecond later at each
 * reading (so what happens in turn still gets times in turn, the records' file names among
 * them), and skips to the instant the run waits for. Unlike skippingClock it does not advance
 * with the work's real duration, so a run's times do not depend on how busy the machine is.
 */
export function tickingClock(start: number): RunClock {
  let t = start;
  return {
    now: () => t++,
    async sleepUntil(ms) {
      if (ms > t) t = ms;
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/**
 * `jml` on a clock of the test's (src/apply/leaver-schedule.ts `skippingClock`): "now" is the
 * clock's, and waits for an instant are skipped, while the work itself takes its real time.
 */
export async function jmlWithClock(
  clock: RunClock | undefined,
  dir: string,
  ...args: string[]
): Promise<RunResult> {
  let out = '';
  let err = '';
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTty: false,
    ...(clock ? { clock } : {}),
  };
  const code = await main(['node', 'jml', '-C', dir, ...args], io);
  return { code, out, err };
}

const tempDirs: string[] = [];

/** A fresh temp dir, removed by `cleanTempDirs`. */
export function tempDir(prefix = 'jml-engine-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function cleanTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Copies a fixture repository (a directory under test/fixtures/engine) to a temp dir. Its
 * `actual/*.json` files become the embedded directories in `.jml/`; `scenario.yaml` and
 * `expected-plan.json` are not copied.
 */
export function copyFixture(fixture: string): string {
  const src = path.isAbsolute(fixture) ? fixture : path.join(FIXTURES, fixture);
  const dir = tempDir();
  for (const entry of readdirSync(src)) {
    if (['actual', 'scenario.yaml', 'expected-plan.json'].includes(entry)) continue;
    cpSync(path.join(src, entry), path.join(dir, entry), { recursive: true });
  }
  const actual = path.join(src, 'actual');
  if (existsSync(actual)) cpSync(actual, path.join(dir, '.jml'), { recursive: true });
  return dir;
}

/** The example organisation at the repository root (its data and its .github/) in a temp dir. */
export function copyExample(prefix = 'jml-example-'): string {
  const dir = tempDir(prefix);
  for (const sub of ['people', 'roles', 'exceptions', 'policy', '.github']) {
    cpSync(path.join(REPO_ROOT, sub), path.join(dir, sub), { recursive: true });
  }
  return dir;
}

export function directoryPath(dir: string, provider: FixtureProvider): string {
  return path.join(dir, DIRECTORY_FILES[provider]);
}

export function readDirectory(dir: string, provider: FixtureProvider): DirectoryFile {
  return JSON.parse(readFileSync(directoryPath(dir, provider), 'utf8')) as DirectoryFile;
}

/** Edits a directory file by hand, as an administrator in the provider's console would. */
export function editDirectory(
  dir: string,
  provider: FixtureProvider,
  edit: (d: DirectoryFile) => void,
): void {
  const data = readDirectory(dir, provider);
  edit(data);
  writeFileSync(directoryPath(dir, provider), `${JSON.stringify(data, null, 1)}\n`);
}

/** Every directory file's bytes, to prove that nothing was written. */
export function snapshotDirectories(dir: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const [p, rel] of Object.entries(DIRECTORY_FILES)) {
    const file = path.join(dir, rel);
    out[p] = existsSync(file) ? readFileSync(file, 'utf8') : null;
  }
  return out;
}

/** Apply records in the fixture's records dir (policy records.dir default), oldest first. */
export function readRecords(dir: string): { file: string; record: Record<string, unknown> }[] {
  const recordDir = path.join(dir, '.jml/records');
  if (!existsSync(recordDir)) return [];
  return readdirSync(recordDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: f,
      record: JSON.parse(readFileSync(path.join(recordDir, f), 'utf8')) as Record<string, unknown>,
    }));
}

/** `jml plan --format json` parsed. */
export async function planJson(dir: string, ...args: string[]): Promise<Plan> {
  const r = await jml(dir, 'plan', '--format', 'json', ...args);
  if (r.code !== 0) throw new Error(`jml plan exited ${r.code}: ${r.err}`);
  return JSON.parse(r.out) as Plan;
}

/** Rewrites a repository file in the temp copy. */
export function writeRepoFile(dir: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}

export function readRepoFile(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

/** A repository's policy files by path (people, roles, exceptions, policy): to seed a GitHub fake's branch. */
export function repoFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const p = `${rel}/${name}`;
      if (statSync(path.join(dir, p)).isDirectory()) walk(p);
      else files[p] = readFileSync(path.join(dir, p), 'utf8');
    }
  };
  for (const sub of ['people', 'roles', 'exceptions', 'policy'])
    if (existsSync(path.join(dir, sub))) walk(sub);
  return files;
}
