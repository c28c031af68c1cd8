/**
 * An artifact as Markdown (title, what it proves, the zone convention, findings, notes, the table)
 * and as CSV (the table only, one header row; csv-stringify quotes per RFC 4180, so commas, quotes
 * and newlines in a justification survive a spreadsheet), and a sampled item's page as Markdown.
 *
 * The two rules every rendering keeps, here and only here:
 * - **One zone convention.** Every instant in every cell is written `YYYY-MM-DDTHH:MM:SSZ` (UTC,
 *   whole seconds), whatever form its builder or a record used (`-05:00`, milliseconds); a bare date
 *   stays a date, read in the organisation's zone, and each artifact says so (`zoneStatement`).
 * - **No formula runs from a CSV** (OWASP CSV injection): a text cell that begins with `=`, `+`,
 *   `-`, `@`, a tab or a carriage return is written with a leading single quote, and quoted, so a
 *   spreadsheet shows it as text. A number stays a number (`-5` is a number cell, not a formula).
 */
import { stringify } from 'csv-stringify/sync';
import { count } from './common.js';
import type { Artifact, Cell, DetailPage, Finding, Row } from './types.js';

/**
 * An instant as a builder or a record may write it: date, `T`, hours and minutes, optional seconds
 * and fraction, and a zone (`Z` or an offset). A date-time without a zone is not an instant (its
 * zone is unknown) and is left as it is.
 */
const INSTANT =
  /(?<![\w:])(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})(?![\w+])/g;

/** Every instant in `text` rewritten as `YYYY-MM-DDTHH:MM:SSZ` (UTC, whole seconds). */
export function utcInstants(text: string): string {
  return text.replace(
    INSTANT,
    (whole, date: string, hh: string, mm: string, ss: string | undefined, zone: string) => {
      const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
      const ms = Date.parse(`${date}T${hh}:${mm}:${ss ?? '00'}${offset}`);
      // Not a real instant (a 13th month, a 25th hour): left as written.
      if (Number.isNaN(ms) || !sameFields(date, hh, mm, ss)) return whole;
      return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
    },
  );
}

/** Whether the written fields are in range (Date.parse rolls 2026-02-30 over instead of failing). */
function sameFields(date: string, hh: string, mm: string, ss: string | undefined): boolean {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return (
    m >= 1 && m <= 12 && d >= 1 && d <= days && Number(hh) <= 23 && Number(mm) <= 59 && Number(ss ?? 0) <= 59
  );
}

/** The sentence every artifact, page and manifest carries about dates and instants. */
export function zoneStatement(zone: string): string {
  return `Dates are in ${zone}; instants in UTC (YYYY-MM-DDTHH:MM:SSZ).`;
}

/** A cell as text, the same in every format: yes/no, numbers as written, instants in UTC. */
export function cellText(v: Cell): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  return utcInstants(v);
}

/** What a spreadsheet would start a formula with (OWASP: =, +, -, @, tab, carriage return). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** A cell for a CSV: as `cellText`, and a text that a spreadsheet would run is prefixed with `'`. */
export function csvCell(v: Cell): string {
  const text = cellText(v);
  return typeof v === 'string' && FORMULA_START.test(text) ? `'${text}` : text;
}

/** A finding's text as every format writes it (its instants in UTC). */
export function findingText(f: Finding): string {
  return utcInstants(f.text);
}

export function renderCsv(a: Pick<Artifact, 'columns' | 'rows'>): string {
  return stringify(
    a.rows.map((r) => a.columns.map((c) => csvCell(r[c.key] ?? null))),
    {
      header: true,
      columns: a.columns.map((c) => c.header),
      record_delimiter: 'unix',
      // A neutralised cell is always quoted, as the OWASP rule asks.
      quoted_match: /^'[=+\-@\t\r]/,
    },
  );
}

function mdCell(v: Cell): string {
  return cellText(v).replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function mdTable(columns: Artifact['columns'], rows: Row[], link?: (r: Row) => string | undefined): string[] {
  if (rows.length === 0) return [];
  const lines = [
    `| ${columns.map((c) => c.header).join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
  ];
  for (const r of rows) {
    const href = link?.(r);
    lines.push(
      `| ${columns.map((c, i) => (i === 0 && href ? `[${mdCell(r[c.key] ?? null)}](${href})` : mdCell(r[c.key] ?? null))).join(' | ')} |`,
    );
  }
  lines.push('');
  return lines;
}

function mdFindings(findings: Finding[]): string[] {
  if (findings.length === 0) return ['**Findings:** none.', ''];
  return [
    `**Findings (${findings.length}):**`,
    '',
    ...findings.map((f) => `- FINDING: ${findingText(f)}`),
    '',
  ];
}

export interface MarkdownOptions {
  /** The organisation's zone (policy/jml.yaml `timezone`): stated under the title. */
  zone?: string;
  /** A row's own page (a leaver's), linked from its first cell: a path relative to the artifact. */
  rowPage?: (r: Row) => string | undefined;
  /** Pages listed after the table ("Leaver pages"), with their paths relative to the artifact. */
  pages?: { heading: string; list: { href: string; title: string; summary: string }[] };
}

export function renderMarkdown(a: Artifact, opts: MarkdownOptions = {}): string {
  const lines = [`# ${a.title}`, '', a.proves, ''];
  if (opts.zone) lines.push(`_${zoneStatement(opts.zone)}_`, '');
  lines.push(...mdFindings(a.findings));
  if (a.notes.length) lines.push(...a.notes.map((n) => `> ${utcInstants(n)}`), '');
  lines.push(`${count(a.rows.length, 'row')}.`, '');
  lines.push(...mdTable(a.columns, a.rows, opts.rowPage));
  if (opts.pages?.list.length) {
    lines.push(`## ${opts.pages.heading}`, '');
    for (const p of opts.pages.list) lines.push(`- [${p.title}](${p.href}): ${utcInstants(p.summary)}`);
    lines.push('');
  }
  return lines.join('\n');
}

/** A sampled item's page (`leavers/<name>.md`): its summary, findings and each section's table. */
export function renderPageMarkdown(page: DetailPage, opts: { zone: string; index: string }): string {
  const lines = [`# ${page.title}`, '', utcInstants(page.summary), '', `_${zoneStatement(opts.zone)}_`, ''];
  lines.push(`Back to the [evidence pack](${opts.index}).`, '');
  lines.push(...mdFindings(page.findings));
  for (const s of page.sections) {
    lines.push(`## ${s.heading}`, '');
    if (s.notes?.length) lines.push(...s.notes.map((n) => `> ${utcInstants(n)}`), '');
    if (s.rows.length === 0) lines.push('None.', '');
    lines.push(...mdTable(s.columns, s.rows));
  }
  return lines.join('\n');
}
