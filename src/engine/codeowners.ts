/**
 * engine: `jml codeowners`, .github/CODEOWNERS generated from the data (src/report/codeowners.ts)
 * and compared with the committed file, or written over it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import {
  CODEOWNERS_FILE,
  type CodeownersDiff,
  diffCodeowners,
  generateCodeowners,
} from '../report/codeowners.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../validate/validate.js';
import type { EngineContext } from './context.js';

export interface CodeownersRequest {
  root: string;
  /**
   * `write`: write the file when it differs; `check`: compare it with the committed one;
   * `print`: only generate it (the committed file is not read).
   */
  mode: 'write' | 'check' | 'print';
}

export type CodeownersOutcome =
  /** The repository has errors (not those only time caused, which do not change who owns what). */
  | { kind: 'invalid'; diagnostics: Diagnostic[] }
  /** Generating it found errors (`diagnostics` also holds the warnings): nothing was written. */
  | { kind: 'not-generated'; diagnostics: Diagnostic[] }
  | {
      kind: 'generated';
      /** The generator's warnings. */
      diagnostics: Diagnostic[];
      text: string;
      /** How many rules the file has. */
      rules: number;
      /** The committed file against the generated one (not read when printing). */
      committed: 'current' | 'missing' | 'stale' | 'not-read';
      /** With `check` and a stale file: what differs. */
      diff?: CodeownersDiff;
      /** With `write`: the file was written (it was missing or stale). */
      written: boolean;
    };

/** Generates .github/CODEOWNERS, and checks or writes the committed one. */
export function generateCodeownersFile(ctx: EngineContext, req: CodeownersRequest): CodeownersOutcome {
  const root = path.resolve(req.root);
  const checked = checkRepository(root, ctx.clock.now());
  // Errors that appear only because time passed do not change who owns what.
  const blocking = checked.diagnostics.filter(
    (d) => d.severity === 'error' && !TIME_DEPENDENT_RULES.has(d.rule),
  );
  if (blocking.length > 0 || !checked.index) return { kind: 'invalid', diagnostics: blocking };
  const result = generateCodeowners(checked.index);
  if (result.diagnostics.some((d) => d.severity === 'error'))
    return { kind: 'not-generated', diagnostics: result.diagnostics };
  const generated = {
    kind: 'generated' as const,
    diagnostics: result.diagnostics,
    text: result.text,
    rules: result.rules.length,
  };
  if (req.mode === 'print') return { ...generated, committed: 'not-read', written: false };
  const file = path.join(root, CODEOWNERS_FILE);
  const committed = readCommitted(file);
  const state = committed === undefined ? 'missing' : committed === result.text ? 'current' : 'stale';
  if (req.mode === 'check')
    return {
      ...generated,
      committed: state,
      ...(committed !== undefined && state === 'stale'
        ? { diff: diffCodeowners(committed, result.text) }
        : {}),
      written: false,
    };
  if (state !== 'current') writeAtomic(file, result.text);
  return { ...generated, committed: state, written: state !== 'current' };
}

/** The committed file, with Windows line endings read as Unix ones; undefined when missing. */
function readCommitted(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Written beside the target and renamed over it: a crash leaves the old file or the new one. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}
