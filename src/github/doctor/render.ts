/**
 * `jml doctor`'s report as text (a terminal, a workflow log), markdown (appended by the scheduled
 * workflow to the drift issue) and JSON (a version number, then the report as data).
 */
import type { ApiCall, DoctorReport, Finding } from './rules.js';

/** The version of the JSON shape; bumped when a field changes meaning or goes away. */
export const DOCTOR_JSON_VERSION = 1;

/** `METHOD /path` and its JSON body on the next line. */
export function renderApiCall(c: ApiCall): string {
  return c.body === undefined ? `${c.method} ${c.path}` : `${c.method} ${c.path}\n${JSON.stringify(c.body)}`;
}

function count(n: number): string {
  return n === 0 ? 'no finding' : n === 1 ? '1 finding' : `${n} findings`;
}

/** Backticks are markdown: the text form drops them. */
const plain = (s: string) => s.replace(/`/g, '');

export function renderDoctorText(r: DoctorReport): string {
  const out = [`jml doctor: ${r.repository}, branch ${r.branch}: ${count(r.findings.length)}`];
  for (const c of r.checks) {
    const mark = c.status === 'ok' ? 'ok  ' : c.status === 'blocked' ? 'n/a ' : 'FAIL';
    const title = c.title.replace('the branch', r.branch).replace('the evidence branch', r.evidenceBranch);
    out.push(
      `  ${mark} ${title}${c.status === 'findings' ? ` (${c.findings.join(', ')})` : c.status === 'blocked' ? ' (protect the branch first)' : ''}`,
    );
  }
  for (const f of r.findings) {
    out.push(
      '',
      `[${f.rule}] ${plain(f.message)}`,
      `  Why: ${plain(f.why)}`,
      `  In GitHub: ${plain(f.click)}`,
      ...f.api.map((c) => `  By API: ${renderApiCall(c).replace('\n', ' ')}`),
      ...(f.apiNote ? [`  Note: ${plain(f.apiNote)}`] : []),
    );
  }
  for (const n of r.notes) out.push('', `Note: ${n}`);
  return `${out.join('\n')}\n`;
}

function findingMarkdown(f: Finding): string[] {
  return [
    `#### \`${f.rule}\`: ${f.message}`,
    '',
    `**Why it matters:** ${f.why}`,
    '',
    `**In GitHub:** ${f.click}`,
    '',
    '**By API:**',
    '',
    '```',
    ...f.api.map(renderApiCall),
    '```',
    ...(f.apiNote ? ['', f.apiNote] : []),
    '',
  ];
}

export function renderDoctorMarkdown(r: DoctorReport): string {
  const out = [
    `### jml doctor: ${count(r.findings.length)} in the GitHub settings the approval gate relies on`,
    '',
    `Repository \`${r.repository}\`, branch \`${r.branch}\`.`,
    '',
  ];
  for (const c of r.checks) {
    const mark = c.status === 'ok' ? '✅' : c.status === 'blocked' ? '⏸️' : '❌';
    const title = c.title
      .replace('the branch', `\`${r.branch}\``)
      .replace('the evidence branch', `\`${r.evidenceBranch}\``);
    out.push(`- ${mark} ${title}`);
  }
  out.push('');
  for (const f of r.findings) out.push(...findingMarkdown(f));
  for (const n of r.notes) out.push(`> Note: ${n}`, '');
  if (r.findings.length)
    out.push('Fix these in the repository settings; the next `jml doctor` run checks again.', '');
  return out.join('\n');
}

export function renderDoctorJson(r: DoctorReport): string {
  return `${JSON.stringify({ version: DOCTOR_JSON_VERSION, ...r }, null, 2)}\n`;
}

export function renderDoctor(r: DoctorReport, format: 'text' | 'markdown' | 'json'): string {
  if (format === 'json') return renderDoctorJson(r);
  if (format === 'markdown') return renderDoctorMarkdown(r);
  return renderDoctorText(r);
}
