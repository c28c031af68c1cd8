/**
 * report: diagnostics for people (text), tools (JSON) and pull requests (GitHub annotations).
 */
import * as core from '@actions/core';
import pc from 'picocolors';
import type { Diagnostic } from '../model/diagnostic.js';

export type DiagnosticFormat = 'text' | 'json' | 'github';

export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { errors, warnings: diagnostics.length - errors };
}

/** Text grouped by file; colour only when `color` (the CLI passes whether stdout is a TTY). */
export function renderDiagnosticsText(diagnostics: readonly Diagnostic[], color: boolean): string {
  const c = pc.createColors(color);
  const lines: string[] = [];
  let file = '';
  for (const d of diagnostics) {
    if (d.file !== file) {
      file = d.file;
      lines.push('', c.bold(c.underline(file)));
    }
    const sev = d.severity === 'error' ? c.red('error') : c.yellow('warning');
    lines.push(`  ${c.dim(`${d.line}:${d.column}`)}  ${sev}  ${d.message} ${c.dim(`[${d.rule}]`)}`);
    lines.push(`        ${c.cyan('hint:')} ${d.hint}`);
  }
  const { errors, warnings } = countBySeverity(diagnostics);
  const summary = `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
  lines.push('', errors > 0 ? c.red(c.bold(`✖ ${summary}`)) : c.green(c.bold(`✔ ${summary}`)));
  return `${lines.join('\n').replace(/^\n/, '')}\n`;
}

export function renderDiagnosticsJson(diagnostics: readonly Diagnostic[]): string {
  return `${JSON.stringify({ ...countBySeverity(diagnostics), diagnostics }, null, 2)}\n`;
}

/** Writes workflow annotations so each problem appears on the pull request's line. */
export function emitGithubAnnotations(diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const props = { file: d.file, startLine: d.line, startColumn: d.column, title: `jml ${d.rule}` };
    const message = `${d.message}\nHint: ${d.hint}`;
    if (d.severity === 'error') core.error(message, props);
    else core.warning(message, props);
  }
}
