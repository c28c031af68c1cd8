/**
 * DIR/index.html: one self-contained page an auditor opens from disk. Inline CSS (allowed by its
 * hash in a strict Content-Security-Policy meta: no script, no network, no inline style
 * attributes), inline SVG charts, an index linking each artifact's section, and every table.
 */
import { createHash } from 'node:crypto';
import { escapeXml as esc } from './charts.js';
import { count } from './common.js';
import { cellText } from './render.js';
import type { Artifact } from './types.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1a202c;background:#fff}
header,main{max-width:1200px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 6px;border-bottom:1px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568;margin:0 0 12px}
nav ol{columns:2;padding-left:20px}
.findings{border-left:4px solid #c53030;background:#fff5f5;padding:8px 12px}
.pass{border-left:4px solid #2f855a;background:#f0fff4;padding:8px 12px}
.note{color:#4a5568;font-style:italic;margin:4px 0}
.table-wrap{overflow-x:auto;max-height:560px;overflow-y:auto;border:1px solid #e2e8f0}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #edf2f7;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f7fafc;position:sticky;top:0}
tr.finding td{background:#fff5f5}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}
.axis{stroke:#4a5568}.grid{stroke:#edf2f7}.tick{font-size:11px;fill:#4a5568}.empty{fill:#718096}
.sla{stroke:#c53030;stroke-dasharray:6 4;stroke-width:1.5}.sla-label{font-size:11px;fill:#c53030}
.mark.within{fill:#2f855a}.mark.breach{fill:#c53030}.mark.unconfirmed{fill:#fff;stroke:#c53030;stroke-width:2}
.joiner{fill:#2b6cb0}.mover{fill:#d69e2e}.leaver{fill:#805ad5}
`.trim();

export interface PageMeta {
  organisation: string;
  commit: string | null;
  since: string;
  at: string;
  generatedAt: string;
  findings: number;
}

export function contentSecurityPolicy(css = CSS): string {
  const hash = createHash('sha256').update(css).digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'`;
}

function table(a: Artifact): string {
  const head = a.columns.map((c) => `<th scope="col">${esc(c.header)}</th>`).join('');
  const body = a.rows
    .map((r) => {
      const finding =
        Object.values(r).some((v) => v === 'FINDING' || v === 'expired, file still present') ||
        (r.decisive === true && r.withinSla === false);
      return `<tr${finding ? ' class="finding"' : ''}>${a.columns.map((c) => `<td>${esc(cellText(r[c.key] ?? null))}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<div class="table-wrap"><table id="${a.id}-table"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function section(a: Artifact): string {
  const findings = a.findings.length
    ? `<div class="findings"><strong>${count(a.findings.length, 'finding')}</strong><ul>${a.findings.map((f) => `<li>${esc(f.text)}</li>`).join('')}</ul></div>`
    : '<div class="pass">No finding.</div>';
  return `<section id="${a.id}">
<h2>${esc(a.title)}</h2>
<p>${esc(a.proves)}</p>
<p class="meta">Files: <a href="${a.id}.md">${a.id}.md</a>, <a href="${a.id}.csv">${a.id}.csv</a>; ${count(a.rows.length, 'row')}.</p>
${findings}
${a.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
${table(a)}
</section>`;
}

export function renderIndexHtml(
  meta: PageMeta,
  artifacts: Artifact[],
  charts: { lag: string; events: string },
): string {
  const nav = [
    '<li><a href="#charts">Charts: leaver lag, events per month</a></li>',
    ...artifacts.map(
      (a) =>
        `<li><a href="#${a.id}">${esc(a.title)}</a> (${count(a.rows.length, 'row')}${a.findings.length ? `, ${count(a.findings.length, 'finding')}` : ''})</li>`,
    ),
  ].join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy()}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Access management evidence: ${esc(meta.organisation)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Access management evidence: ${esc(meta.organisation)}</h1>
<p class="meta">Period ${esc(meta.since)} to ${esc(meta.at)}; repository commit ${esc(meta.commit ?? 'unknown (not a git checkout)')}; generated ${esc(meta.generatedAt)}. manifest.json lists every file of this pack with its SHA-256.</p>
<p class="${meta.findings ? 'findings' : 'pass'}">${meta.findings ? `${count(meta.findings, 'finding')}: see the marked sections.` : 'No finding.'}</p>
<nav><ol>${nav}</ol></nav>
</header>
<main>
<section id="charts">
<h2>Charts</h2>
${charts.lag}
<p class="note">One mark per leaver (the run that counts for the SLA); the dashed lines are the SLAs. Hollow: never confirmed.</p>
${charts.events}
</section>
${artifacts.map(section).join('\n')}
</main>
</body>
</html>
`;
}
