/**
 * Diagnostics: problems in a user's files are values, never exceptions (STYLE habit 5).
 * Every diagnostic points at a file and line so it can be shown on the pull request's line.
 */
import { byCodePoint } from './order.js';

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** A stable rule id (`unknown-role`, `manager-cycle`, ...), documented in README.md. */
  rule: string;
  /** Repository-relative path with forward slashes. */
  file: string;
  /** 1-based line and column; 1:1 when the problem is about the whole file. */
  line: number;
  column: number;
  /** What is wrong, in words a non-engineer understands. */
  message: string;
  /** What to do about it. */
  hint: string;
}

export interface Position {
  line: number;
  column: number;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Stable order: by file, line, column, then rule and message, in code-point order, so output is deterministic. */
export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  return diagnostics.sort(
    (a, b) =>
      byCodePoint(a.file, b.file) ||
      a.line - b.line ||
      a.column - b.column ||
      byCodePoint(a.rule, b.rule) ||
      byCodePoint(a.message, b.message),
  );
}
