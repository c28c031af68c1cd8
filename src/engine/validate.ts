/**
 * engine: `jml validate`, every file of a checkout loaded and checked (src/validate/validate.ts).
 * Problems in the user's files are diagnostics with file and line, returned, never thrown.
 */
import path from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { checkRepository } from '../validate/validate.js';

/**
 * The checkout at `root` checked as of `at` (or a function of the organisation's time zone that
 * gives it); `ok` when no diagnostic is an error.
 */
export function validateCheckout(
  root: string,
  at: number | ((zone: string | undefined) => number),
): { diagnostics: Diagnostic[]; ok: boolean } {
  const { diagnostics, ok } = checkRepository(path.resolve(root), at);
  return { diagnostics, ok };
}
