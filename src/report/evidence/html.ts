/**
 * DIR/index.html and each sampled item's page (leavers/<name>.html): self-contained pages an
 * auditor opens from disk or prints for the working papers. Inline CSS (allowed by its hash in a
 * strict Content-Security-Policy meta: no script, no network, no inline style attributes), inline
 * SVG charts, every table.
 *
 * Made for working papers: the findings come first; tables wrap instead of scrolling (no scroll
 * box: a long value breaks across lines); a table with `summary` columns shows one row per event
 * with those columns, each as wide as its longest word, and folds the others into a <details> in
 * the row; a leaver's row links to the leaver's page. Printed (@media print), each artifact starts
 * a page, table headers repeat on every page, a table with summary columns prints those (its CSV
 * has every column, each leaver's page the whole story) and every link is printed with its target.
 */
import { createHash } from 'node:crypto';
import { escapeXml as esc } from './charts.js';
import { count } from './common.js';
import { cellText, findingText, utcInstants, zoneStatement } from './render.js';
import type { Artifact, Column, DetailPage, Row } from './types.js';

/**
 * Every cell may break anywhere, so that no table is wider than the page; a summary column is kept
 * as wide as its longest word (at most MIN_CH characters, MIN_CH_TOTAL for the table) on a wide
 * screen and in print, so a person's id or a date is not broken while a long token (a commit, a
 * file name) still is.
 */
const MIN_CH = 12;
/** The most characters the kept widths of one table add up to (scaled down beyond). */
const MIN_CH_TOTAL = 80;

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#fff}
header,main{max-width:1200px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 6px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568;margin:0 0 12px}
nav ol{columns:2;padding-left:20px}
.findings{border-left:4px solid #c53030;background:#fff5f5;padding:8px 12px}
.findings h2{margin-top:0;border:0}
.pass{border-left:4px solid #2f855a;background:#f0fff4;padding:8px 12px}
.note{color:#4a5568;font-style:italic;margin:4px 0}
.table-wrap{border:1px solid #e2e8f0}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #edf2f7;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
@media (min-width:1000px),print{${[...Array(MIN_CH).keys()].map((i) => `th.m${i + 1}{min-width:${i + 1}ch}`).join('')}}
th{background:#f7fafc;position:sticky;top:0}
tr.finding td{background:#fff5f5}
details summary{cursor:pointer;color:#2b6cb0}
dl.fields{display:grid;grid-template-columns:minmax(8em,max-content) 1fr;gap:2px 12px;margin:6px 0}
dl.fields dt{color:#4a5568}dl.fields dd{margin:0;min-width:0;overflow-wrap:anywhere}
.print-only{display:none}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.axis{stroke:#4a5568}.grid{stroke:#edf2f7}.tick{font-size:11px;fill:#4a5568}.empty{fill:#718096}
.sla{stroke:#c53030;stroke-dasharray:6 4;stroke-width:1.5}.sla-label{font-size:11px;fill:#c53030}
.mark.within{fill:#2f855a}.mark.breach{fill:#c53030}.mark.unconfirmed{fill:#fff;stroke:#c53030;stroke-width:2}
.joiner{fill:#2b6cb0}.mover{fill:#d69e2e}.leaver{fill:#805ad5}
@media print{
@page{margin:14mm 12mm}
body{font-size:10px}
header,main{max-width:none;padding:0}
section.artifact,section#charts,section#leavers{break-before:page}
h2{break-after:avoid}
.table-wrap{border:0}
table{font-size:9px}
thead{display:table-header-group}
th{position:static}
tr{break-inside:avoid}
th.more,td.more{display:none}
.print-only{display:block}
a{color:inherit}
a[href]:not([href^="#"])::after{content:" <" attr(href) ">";color:#4a5568;font-size:8px}
.findings,.pass,tr.finding td,.chart{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
`.trim();

export interface PageMeta {
  organisation: string;
  commit: string | null;
  since: string;
  at: string;
  generatedAt: string;
  /** The organisation's zone, in which the pack's bare dates are read. */
  zone: string;
}

/** A page of the pack as the index links it: its path (relative to the index), title, one line. */
export interface PageLink {
  href: string;
  title: string;
  summary: string;
}

export interface IndexOptions {
  /** The sampled items' pages (the leavers'), listed in a "Leavers" section. */
  leavers?: PageLink[];
  /** A row's own page (relative to the index), linked from the row's first cell. */
  rowPage?: (artifact: Artifact, r: Row) => string | undefined;
}

export function contentSecurityPolicy(css = CSS): string {
  const hash = createHash('sha256').update(css).digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
}

function head(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>`;
}

/**
 * A cell as HTML: escaped, and an instant may break between its date and its time (a <wbr>, no
 * text), so a column of instants stays narrow without breaking a word anywhere.
 */
const cell = (r: Row, key: string) =>
  esc(cellText(r[key] ?? null)).replace(/(\d{4}-\d\d-\d\d)(T\d\d:\d\d:\d\dZ)/g, '$1<wbr>$2');

function isFindingRow(r: Row): boolean {
  return (
    Object.values(r).some((v) => v === 'FINDING' || v === 'expired, file still present') ||
    (r.decisive === true && r.withinSla === false)
  );
}

/**
 * A table: every column, or (with `summary`) the summary columns and a last cell folding the
 * others into a <details>. One <tr> per row in <tbody>, so the page has the CSV's rows.
 */
function table(
  id: string,
  columns: Column[],
  rows: Row[],
  summary: string[] | undefined,
  link?: (r: Row) => string | undefined,
): string {
  const shown = summary?.length
    ? summary.map((k) => columns.find((c) => c.key === k)).filter((c): c is Column => c !== undefined)
    : columns;
  const folded = shown === columns ? [] : columns.filter((c) => !shown.includes(c));
  const minCh = (c: Column) =>
    Math.min(
      MIN_CH,
      Math.max(
        ...[c.header, ...rows.map((r) => cellText(r[c.key] ?? null).replace(/(\d)T(\d)/g, '$1 T$2'))].flatMap(
          (t) => t.split(/\s+/).map((w) => w.length),
        ),
      ),
    );
  // The last width is the Details column's ("38 more fields" kept to two lines).
  const widths = [...shown.map(minCh), 7];
  const total = widths.reduce((a, b) => a + b, 0);
  const kept = widths.map((w) =>
    Math.max(1, total > MIN_CH_TOTAL ? Math.floor((w * MIN_CH_TOTAL) / total) : w),
  );
  const headRow = [
    ...shown.map(
      (c, i) => `<th scope="col"${folded.length ? ` class="m${kept[i]}"` : ''}>${esc(c.header)}</th>`,
    ),
    ...(folded.length ? [`<th scope="col" class="more m${kept.at(-1)}">Details</th>`] : []),
  ].join('');
  const body = rows
    .map((r) => {
      const href = link?.(r);
      const cells = shown.map((c, i) =>
        i === 0 && href
          ? `<td><a href="${esc(href)}">${cell(r, c.key)}</a></td>`
          : `<td>${cell(r, c.key)}</td>`,
      );
      if (folded.length) {
        const fields = folded
          .map((c) => `<dt>${esc(c.header)}</dt><dd>${cell(r, c.key) || '&#8212;'}</dd>`)
          .join('');
        cells.push(
          `<td class="more"><details><summary>${count(folded.length, 'more field')}</summary><dl class="fields">${fields}</dl></details></td>`,
        );
      }
      return `<tr${isFindingRow(r) ? ' class="finding"' : ''}>${cells.join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table id="${esc(id)}"><thead><tr>${headRow}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function findingsBlock(findings: { text: string }[]): string {
  return findings.length
    ? `<div class="findings"><strong>${count(findings.length, 'finding')}</strong><ul>${findings.map((f) => `<li>${esc(utcInstants(f.text))}</li>`).join('')}</ul></div>`
    : '<div class="pass">No finding.</div>';
}

function section(a: Artifact, zone: string, link?: (r: Row) => string | undefined): string {
  return `<section id="${a.id}" class="artifact">
<h2>${esc(a.title)}</h2>
<p>${esc(a.proves)}</p>
<p class="meta">Files: <a href="${a.id}.md">${a.id}.md</a>, <a href="${a.id}.csv">${a.id}.csv</a>; ${count(a.rows.length, 'row')}. ${esc(zoneStatement(zone))}</p>
${findingsBlock(a.findings)}
${a.notes.map((n) => `<p class="note">${esc(utcInstants(n))}</p>`).join('\n')}
${a.summary?.length ? `<p class="note print-only">Printed: the summary columns of each row; ${a.id}.csv has every column, and each leaver's page the whole story.</p>\n` : ''}${table(`${a.id}-table`, a.columns, a.rows, a.summary, link)}
</section>`;
}

/** Every finding of the pack at the top of the page, each linking to its artifact's section. */
function topFindings(artifacts: Artifact[]): string {
  const all = artifacts.flatMap((a) => a.findings.map((f) => ({ a, f })));
  if (all.length === 0) return '<p class="pass" id="findings">No finding.</p>';
  return `<section id="findings" class="findings">
<h2>${count(all.length, 'finding')}</h2>
<ol>${all.map(({ a, f }) => `<li><a href="#${a.id}">${esc(a.title)}</a>: ${esc(findingText(f))}</li>`).join('')}</ol>
</section>`;
}

function leaversSection(leavers: PageLink[]): string {
  const items = leavers.length
    ? `<ul>${leavers.map((p) => `<li><a href="${esc(p.href)}">${esc(p.title)}</a>: ${esc(utcInstants(p.summary))}</li>`).join('')}</ul>`
    : '<p class="note">No leaver in the period.</p>';
  return `<section id="leavers">
<h2>Leavers</h2>
<p>One page per leaver in the period, to sample from: the request, its approvals, the instant, each provider's confirmation, each step of the checklist and the tickets.</p>
${items}
</section>`;
}

export function renderIndexHtml(
  meta: PageMeta,
  artifacts: Artifact[],
  charts: { lag: string; events: string },
  opts: IndexOptions = {},
): string {
  const leavers = opts.leavers ?? [];
  const nav = [
    '<li><a href="#findings">Findings</a></li>',
    '<li><a href="#charts">Charts: leaver lag, events per month</a></li>',
    `<li><a href="#leavers">Leavers</a> (${count(leavers.length, 'page')})</li>`,
    ...artifacts.map(
      (a) =>
        `<li><a href="#${a.id}">${esc(a.title)}</a> (${count(a.rows.length, 'row')}${a.findings.length ? `, ${count(a.findings.length, 'finding')}` : ''})</li>`,
    ),
  ].join('');
  return `${head(`Access management evidence: ${meta.organisation}`)}
<body>
<header>
<h1>Access management evidence: ${esc(meta.organisation)}</h1>
<p class="meta">Period ${esc(utcInstants(meta.since))} to ${esc(utcInstants(meta.at))}; repository commit ${esc(meta.commit ?? 'unknown (not a git checkout)')}; generated ${esc(utcInstants(meta.generatedAt))}. ${esc(zoneStatement(meta.zone))} manifest.json lists every file of this pack with its SHA-256; <code>jml evidence verify</code> checks them.</p>
${topFindings(artifacts)}
<nav><ol>${nav}</ol></nav>
</header>
<main>
<section id="charts">
<h2>Charts</h2>
${charts.lag}
<p class="note">One mark per leaver (the run that counts for the SLA); the dashed lines are the SLAs. Hollow: never confirmed.</p>
${charts.events}
</section>
${leaversSection(leavers)}
${artifacts.map((a) => section(a, meta.zone, opts.rowPage ? (r) => opts.rowPage!(a, r) : undefined)).join('\n')}
</main>
</body>
</html>
`;
}

/** A sampled item's page (leavers/<name>.html): summary, findings, each section's table. */
export function renderPageHtml(
  page: DetailPage,
  meta: { organisation: string; zone: string; index: string },
): string {
  const sections = page.sections
    .map(
      (s, i) => `<section id="section-${i + 1}">
<h2>${esc(s.heading)}</h2>
${(s.notes ?? []).map((n) => `<p class="note">${esc(utcInstants(n))}</p>`).join('\n')}
${s.rows.length ? table(`section-${i + 1}-table`, s.columns, s.rows, undefined) : '<p class="note">None.</p>'}
</section>`,
    )
    .join('\n');
  return `${head(`${page.title}: ${meta.organisation}`)}
<body>
<header>
<h1>${esc(page.title)}</h1>
<p>${esc(utcInstants(page.summary))}</p>
<p class="meta">${esc(meta.organisation)}: a page of the access management evidence pack (<a href="${esc(meta.index)}">index</a>). ${esc(zoneStatement(meta.zone))}</p>
${findingsBlock(page.findings)}
</header>
<main>
${sections}
</main>
</body>
</html>
`;
}
