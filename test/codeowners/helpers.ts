/**
 * Shared by the CODEOWNERS tests: copies of the example and fixture organisations in temp
 * dirs, small YAML edits, the command run in-process, and GitHub's matching rule.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type CodeownersResult, generateCodeowners } from '../../src/report/codeowners.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../../src/validate/validate.js';
import {
  cleanTempDirs,
  copyFixture as copyEngineFixture,
  copyExample as copyExampleOrg,
  FIXTURES,
  jml,
  type RunResult,
} from '../engine/helpers.js';

export { REPO_ROOT } from '../engine/helpers.js';
export const FIXTURE_ORG = path.join(FIXTURES, 'org');
export const cleanTemps = cleanTempDirs;

/** The example organisation at the repository root (its data and its committed CODEOWNERS). */
export const copyExample = (): string => copyExampleOrg('jml-codeowners-');

/** The engine fixture organisation (test/fixtures/engine/org), whose people have no GitHub logins. */
export const copyFixture = (): string => copyEngineFixture('org');

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

/** Runs `jml -C dir codeowners ...args` in-process, through the CLI as users run it. */
export function runCodeowners(dir: string, ...args: string[]): Promise<RunResult> {
  return jml(dir, 'codeowners', ...args);
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
