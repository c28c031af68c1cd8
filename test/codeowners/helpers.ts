/**
 * Shared by the CODEOWNERS tests: copies of the example and fixture organisations in temp
 * dirs, small YAML edits, the command run in-process, and GitHub's matching rule.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { registerCodeowners } from '../../src/cli/codeowners-command.js';
import type { Io } from '../../src/cli/main.js';
import { type CodeownersResult, generateCodeowners } from '../../src/report/codeowners.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../../src/validate/validate.js';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const FIXTURE_ORG = path.resolve(import.meta.dirname, '../fixtures/engine/org');

const temps: string[] = [];

export function cleanTemps(): void {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** The example organisation at the repository root (its data and its committed CODEOWNERS). */
export function copyExample(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'jml-codeowners-'));
  temps.push(dir);
  for (const sub of ['people', 'roles', 'exceptions', 'policy', '.github']) {
    cpSync(path.join(REPO_ROOT, sub), path.join(dir, sub), { recursive: true });
  }
  return dir;
}

/** The engine fixture organisation (test/fixtures/engine/org), whose people have no GitHub logins. */
export function copyFixture(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'jml-codeowners-fixture-'));
  temps.push(dir);
  cpSync(FIXTURE_ORG, dir, { recursive: true });
  return dir;
}

export function read(dir: string, rel: string): string {
  return readFileSync(path.join(dir, rel), 'utf8');
}

/** Replaces one exact piece of a file's text; fails loudly when it is not there once. */
export function edit(dir: string, rel: string, from: string, to: string): void {
  const text = read(dir, rel);
  if (text.split(from).length !== 2) throw new Error(`${rel}: expected exactly one "${from}"`);
  writeFileSync(path.join(dir, rel), text.replace(from, to));
}

/** Adds `github: <login>` after the email line of people/<id>.yaml. */
export function addGithub(dir: string, id: string, login: string): void {
  const rel = `people/${id}.yaml`;
  const text = read(dir, rel);
  writeFileSync(path.join(dir, rel), text.replace(/^(email: .*)$/m, `$1\ngithub: ${login}`));
}

/** The 1-based line of the first line of a file starting with `prefix`. */
export function lineOf(dir: string, rel: string, prefix: string): number {
  const i = read(dir, rel)
    .split('\n')
    .findIndex((l) => l.startsWith(prefix));
  if (i < 0) throw new Error(`${rel}: no line starting with ${prefix}`);
  return i + 1;
}

export function indexOf(dir: string): RepoIndex {
  const checked = checkRepository(dir, Date.parse('2026-11-26T12:00:00Z'));
  if (!checked.index) throw new Error(`${dir} did not load: ${JSON.stringify(checked.diagnostics)}`);
  // Errors that appear only because time passed (an exception lapsed) do not change ownership.
  const errors = checked.diagnostics.filter(
    (d) => d.severity === 'error' && !TIME_DEPENDENT_RULES.has(d.rule),
  );
  if (errors.length) throw new Error(`${dir} has errors: ${JSON.stringify(errors, null, 1)}`);
  return checked.index;
}

export function generate(dir: string): CodeownersResult {
  return generateCodeowners(indexOf(dir));
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `jml -C dir codeowners ...args` in-process, through commander as the CLI does. */
export async function runCodeowners(dir: string, ...args: string[]): Promise<RunResult> {
  let out = '';
  let err = '';
  let code = 0;
  const io: Io = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTty: false,
  };
  const program = new Command('jml')
    .addOption(new Option('-C, --root <dir>', 'the policy repository').default(process.cwd()))
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  registerCodeowners(program, io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(['node', 'jml', '-C', dir, 'codeowners', ...args]);
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode === 0 ? 0 : 1;
  }
  return { code, out, err };
}

/** Pattern lines of a CODEOWNERS text, in file order. */
export function ruleLines(text: string): { pattern: string; owners: string[] }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [pattern, ...owners] = l.split(/(?<!\\) +/);
      return { pattern: pattern!, owners };
    });
}

/**
 * GitHub's rule for the pattern forms the generator writes (`*`, `/dir/`, `/file`): the last
 * matching line decides. Written independently of the generator, to check what GitHub will do.
 */
export function ownersOf(text: string, file: string): string[] | undefined {
  let owners: string[] | undefined;
  for (const { pattern, owners: o } of ruleLines(text)) {
    const p = pattern.replace(/\\ /g, ' ');
    const match =
      p === '*' ||
      (p.endsWith('/') ? `/${file}`.startsWith(p) : p === `/${file}` || `/${file}`.startsWith(`${p}/`));
    if (match) owners = o;
  }
  return owners;
}
