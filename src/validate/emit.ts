/**
 * How validation rules report: every rule calls one `Emit`, which turns a model value's path
 * into the file, line and column of the YAML it came from and appends a Diagnostic.
 */
import { type Located, locate, type YamlPath } from '../load/source.js';
import type { Diagnostic, Severity } from '../model/diagnostic.js';

/**
 * Reports one problem at `path` inside `at` (a file or a catalog entry). With `key: true` the
 * position is the key of the last path segment, for a problem with a key rather than its value.
 */
export type Emit = (
  severity: Severity,
  rule: string,
  at: Located<unknown>,
  path: YamlPath,
  message: string,
  hint: string,
  key?: boolean,
) => void;

/** An `Emit` that appends to `out`. */
export function emitter(out: Diagnostic[]): Emit {
  return (severity, rule, at, path, message, hint, key = false) => {
    const { line, column } = locate(at.src, [...at.at, ...path], { key });
    out.push({ severity, rule, file: at.src.path, line, column, message, hint });
  };
}
