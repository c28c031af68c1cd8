/**
 * approvals: the decision for people. Markdown for the pull-request comment and the check run
 * summary (a table of requirements, met or missing, and what became of each review); text for
 * a terminal; JSON for tools.
 */
import type { Decision, EffectSummary, Requirement, RequirementStatus } from './types.js';

/** GitHub refuses comments and check summaries over 65,535 characters; keep well under. */
export const APPROVALS_MARKDOWN_BUDGET = 60_000;

const MARK: Record<RequirementStatus, string> = { met: 'met', missing: 'MISSING', 'not-checked': 'n/a' };
const ICON: Record<RequirementStatus, string> = { met: '✅', missing: '❌', 'not-checked': 'ℹ️' };

export function headline(d: Decision): string {
  const missing = d.requirements.filter((r) => r.status === 'missing').length;
  const checked = d.requirements.filter((r) => r.status !== 'not-checked').length;
  if (d.approved) {
    return checked === 0
      ? 'Approved: nothing in this pull request changes access, code or policy, so no approval rule of jml applies.'
      : `Approved: all ${checked} approval requirement${checked === 1 ? ' is' : 's are'} met.`;
  }
  return `Not approved: ${missing} of ${checked} approval requirement${checked === 1 ? '' : 's'} missing.`;
}

/**
 * Escapes text for a markdown table cell. Logins become code (`@grace-l`) so that a comment
 * posted on every push does not notify everyone it names.
 */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ')
    .replace(/([<>*_`[\]])/g, '\\$1')
    .replace(/@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/g, '`@$1`');
}

/** How many effect lines a comment shows before it says how many more there are. */
const EFFECTS_SHOWN = 200;

/** "alice.nguyen: + aws-prod-admin from now onwards" lines, grouped by person. */
function effectLines(effects: readonly EffectSummary[], limit = EFFECTS_SHOWN): string[] {
  const lines = effects
    .slice(0, limit)
    .map((e) => `${e.person}: ${e.change === 'gained' ? '+' : '-'} ${e.what} ${e.when}`);
  if (effects.length > limit) lines.push(`... and ${effects.length - limit} more`);
  return lines;
}

function sortForDisplay(rs: readonly Requirement[]): Requirement[] {
  const order: Record<RequirementStatus, number> = { missing: 0, met: 1, 'not-checked': 2 };
  return [...rs].sort((a, b) => order[a.status] - order[b.status]);
}

export function renderApprovalsMarkdown(d: Decision): string {
  const lines = [
    `### Approvals for ${d.headSha.slice(0, 7)}: ${d.approved ? 'approved' : 'not approved'}`,
    '',
    headline(d),
    '',
  ];
  if (d.effects.length) {
    const people = new Set(d.effects.map((e) => e.person)).size;
    lines.push(
      `<details${d.effects.length <= 20 ? ' open' : ''}><summary>What this changes: ${d.effects.length} change${d.effects.length === 1 ? '' : 's'} of access for ${people} ${people === 1 ? 'person' : 'people'} over the coming year</summary>`,
      '',
      '```diff',
      ...effectLines(d.effects).map((l) => l.replace(/^([^:]+): ([+-]) /, '$2 $1: ')),
      '```',
      '',
      '</details>',
      '',
    );
  }
  const rows = sortForDisplay(d.requirements);
  if (rows.length) {
    lines.push('| | Requirement | Where | Change | Met by | Why |', '|---|---|---|---|---|---|');
    let used = lines.join('\n').length;
    let shown = 0;
    for (const r of rows) {
      const row = `| ${ICON[r.status]} | ${cell(r.description)} \`${r.rule}\` | ${cell(`${r.file}:${r.line}`)} | ${cell(r.change)} | ${r.satisfiedBy ? cell(`@${r.satisfiedBy}`) : ''} | ${cell(r.why)} |`;
      if (used + row.length > APPROVALS_MARKDOWN_BUDGET) break;
      lines.push(row);
      used += row.length + 1;
      shown++;
    }
    if (shown < rows.length) {
      lines.push(
        '',
        `${rows.length - shown} more requirements are not shown; run \`jml approvals\` for all of them.`,
      );
    }
  }
  if (d.notes.length) lines.push('', ...d.notes.map((n) => `- ${cell(n)}`));
  if (d.reviewers.length) {
    lines.push('', '<details><summary>Reviews</summary>', '');
    for (const r of d.reviewers) lines.push(`- ${r.counts ? 'counts' : 'does not count'}: ${cell(r.why)}`);
    lines.push('', '</details>');
  }
  lines.push(
    '',
    `Judged by what the change does to access, not by which files it touches. Managers, owners and teams are read from the base branch; the author's approval, stale approvals (before the latest push), anyone approving their own access and anyone who has left or is on an offboarding hold never count. Pull request by ${cell(`@${d.author}`)}.`,
  );
  return `${lines.join('\n')}\n`;
}

export function renderApprovalsText(d: Decision): string {
  const lines = [headline(d), ''];
  if (d.effects.length)
    lines.push(
      'What this changes (over the coming year):',
      ...effectLines(d.effects).map((l) => `  ${l}`),
      '',
    );
  for (const r of sortForDisplay(d.requirements)) {
    lines.push(`[${MARK[r.status]}] ${r.file}:${r.line}  ${r.description} [${r.rule}]`);
    lines.push(`        change: ${r.change}`);
    lines.push(`        ${r.satisfiedBy ? `met by @${r.satisfiedBy}: ` : ''}${r.why}`);
  }
  if (d.notes.length) lines.push('', ...d.notes);
  if (d.reviewers.length) {
    lines.push('', 'Reviews:');
    for (const r of d.reviewers) lines.push(`  ${r.counts ? 'counts        ' : 'does not count'}  ${r.why}`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderApprovalsJson(d: Decision): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
