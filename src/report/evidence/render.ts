/**
 * An artifact as Markdown (title, what it proves, notes, findings, the table) and as CSV (the
 * table only, one header row; csv-stringify quotes per RFC 4180, so commas, quotes and newlines
 * in a justification survive a spreadsheet).
 */
import { stringify } from 'csv-stringify/sync';
import { count } from './common.js';
import type { Artifact, Cell } from './types.js';

export function cellText(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

export function renderCsv(a: Artifact): string {
  return stringify(
    a.rows.map((r) => a.columns.map((c) => cellText(r[c.key] ?? null))),
    { header: true, columns: a.columns.map((c) => c.header), record_delimiter: 'unix' },
  );
}

function mdCell(v: Cell): string {
  return cellText(v).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

export function renderMarkdown(a: Artifact): string {
  const lines = [`# ${a.title}`, '', a.proves, ''];
  if (a.findings.length) {
    lines.push(
      `**Findings (${a.findings.length}):**`,
      '',
      ...a.findings.map((f) => `- FINDING: ${f.text}`),
      '',
    );
  } else lines.push('**Findings:** none.', '');
  if (a.notes.length) lines.push(...a.notes.map((n) => `> ${n}`), '');
  lines.push(`${count(a.rows.length, 'row')}.`, '');
  if (a.rows.length) {
    lines.push(`| ${a.columns.map((c) => c.header).join(' | ')} |`);
    lines.push(`| ${a.columns.map(() => '---').join(' | ')} |`);
    for (const r of a.rows) lines.push(`| ${a.columns.map((c) => mdCell(r[c.key] ?? null)).join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}
