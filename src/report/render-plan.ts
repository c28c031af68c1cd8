/**
 * report: a Plan for people. Changes are grouped by person and JML event ("Alice Nguyen, mover
 * on 2027-02-01: gains 3, loses 2 across okta and entra"), every line shows its reason, and
 * counts are summarised. Markdown fits a PR comment: collapsible sections, and a long plan is
 * cut with a note saying how much is not shown, never silently.
 */
import pc from 'picocolors';
import type { Action, Change, JmlEvent, Plan } from '../plan/plan-types.js';

/** GitHub refuses comments over 65,536 characters; leave room for the header and footer. */
export const MARKDOWN_BUDGET = 60_000;

export interface PersonGroup {
  key: string;
  title: string;
  changes: Change[];
}

const SIGN: Record<Action, string> = {
  createUser: '+',
  enableUser: '+',
  grant: '+',
  disableUser: '-',
  revokeSessions: '-',
  revoke: '-',
  deleteUser: '-',
  openTicket: '!',
};

function eventPhrase(e: JmlEvent): string {
  switch (e.kind) {
    case 'joiner':
      return `joiner on ${e.date}`;
    case 'mover':
      return `mover on ${e.date}`;
    case 'leaver':
      return `leaver at ${e.date}`;
    case 'pre-start':
      return `starts on ${e.date}`;
    case 'unknown-account':
      return 'not in people/';
    default:
      return 'access update';
  }
}

function isGain(c: Change): boolean {
  return c.action === 'grant' || (c.action === 'openTicket' && c.operation === 'grant');
}
function isLoss(c: Change): boolean {
  return c.action === 'revoke' || (c.action === 'openTicket' && c.operation === 'revoke');
}

/** Groups changes by person (unknown accounts by login), in plan order. */
export function groupByPerson(plan: Plan, names: ReadonlyMap<string, string>): PersonGroup[] {
  const groups = new Map<string, PersonGroup>();
  for (const c of plan.changes) {
    const key = c.person ?? `?${c.login}`;
    let g = groups.get(key);
    if (!g) {
      const who = c.person ? `${names.get(c.person) ?? c.person} (${c.person})` : c.login;
      g = { key, title: who, changes: [] };
      groups.set(key, g);
    }
    g.changes.push(c);
  }
  for (const g of groups.values()) {
    const gains = g.changes.filter(isGain).length;
    const losses = g.changes.filter(isLoss).length;
    const providers = [...new Set(g.changes.map((c) => c.provider))];
    const across =
      providers.length > 1 ? `${providers.slice(0, -1).join(', ')} and ${providers.at(-1)}` : providers[0];
    const account = g.changes.find(
      (c) => c.action !== 'grant' && c.action !== 'revoke' && c.action !== 'openTicket',
    );
    const parts = [`gains ${gains}`, `loses ${losses}`];
    if (account)
      parts.push(
        `account: ${[...new Set(g.changes.filter((c) => SIGN[c.action] !== '!' && !isGain(c) && !isLoss(c)).map((c) => c.action))].join(', ')}`,
      );
    g.title = `${g.title}, ${eventPhrase(g.changes[0]!.event)}: ${parts.join(', ')} across ${across}`;
  }
  return [...groups.values()];
}

function changeLine(c: Change, simulated: ReadonlySet<string>): string {
  const what =
    c.action === 'openTicket'
      ? `ticket to ${c.operation} ${c.entitlement}`
      : c.entitlement
        ? `${c.action} ${c.entitlement}`
        : c.action;
  const sim = simulated.has(c.provider) ? ' (simulated)' : '';
  return `${SIGN[c.action]} ${c.provider}${sim}: ${what} (${c.target ? `${c.target.kind} ${c.target.target}` : c.login}) because ${c.because.join('; ')}`;
}

export function summaryLine(plan: Plan): string {
  const n = plan.changes.length;
  if (n === 0) return 'No changes: the providers match the repository.';
  const parts = Object.entries(plan.summary).map(([a, k]) => `${k} ${a}`);
  return `${n} change${n === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

function simulatedSet(plan: Plan): Set<string> {
  return new Set(plan.providers.filter((p) => p.simulated).map((p) => p.name));
}

function providerLine(plan: Plan): string {
  return plan.providers
    .map(
      (p) =>
        `${p.name}${p.simulated ? ' (simulated)' : ''}: ${p.users} accounts, ${p.memberships} memberships${p.outOfScopeAccounts ? `, ${p.outOfScopeAccounts} accounts outside the managed scope (not changed)` : ''}`,
    )
    .join('\n  ');
}

export function renderPlanText(
  plan: Plan,
  names: ReadonlyMap<string, string>,
  color: boolean,
  opts: { summaryOnly?: boolean } = {},
): string {
  const c = pc.createColors(color);
  const sim = simulatedSet(plan);
  const lines = [
    c.bold(`Plan at ${plan.at}${plan.commit ? ` (commit ${plan.commit.slice(0, 12)})` : ''}`),
    `  ${providerLine(plan)}`,
    '',
  ];
  for (const g of groupByPerson(plan, names)) {
    lines.push(c.bold(g.title));
    if (opts.summaryOnly) continue;
    for (const ch of g.changes) {
      const line = `  ${changeLine(ch, sim)}`;
      lines.push(
        SIGN[ch.action] === '+' ? c.green(line) : SIGN[ch.action] === '-' ? c.red(line) : c.yellow(line),
      );
    }
    lines.push('');
  }
  if (opts.summaryOnly && plan.changes.length) lines.push('');
  if (plan.reported.length) {
    lines.push(c.bold('Seen, not changed'));
    for (const r of plan.reported)
      lines.push(
        `  ${r.provider}: ${r.login}${r.target ? ` in ${r.target.kind} "${r.target.target}"` : ''}: ${r.reason}`,
      );
    lines.push('');
  }
  lines.push(c.bold(summaryLine(plan)), `Fingerprint of the state read: ${plan.fingerprint}`);
  return `${lines.join('\n')}\n`;
}

function escapeMd(s: string): string {
  return s.replace(/[<>&]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[ch]!);
}

export function renderPlanMarkdown(
  plan: Plan,
  names: ReadonlyMap<string, string>,
  budget = MARKDOWN_BUDGET,
): string {
  const sim = simulatedSet(plan);
  const head = [
    `### JML plan at ${plan.at}${plan.commit ? ` · commit \`${plan.commit.slice(0, 12)}\`` : ''}`,
    '',
    `**${summaryLine(plan)}**`,
    '',
    '| provider | accounts | memberships | outside scope |',
    '|---|---|---|---|',
    ...plan.providers.map(
      (p) =>
        `| ${p.name}${p.simulated ? ' _(simulated)_' : ''} | ${p.users} | ${p.memberships} | ${p.outOfScopeAccounts} |`,
    ),
    '',
  ].join('\n');
  const sections: string[] = [];
  let used = head.length;
  const groups = groupByPerson(plan, names);
  let shown = 0;
  for (const g of groups) {
    const body = g.changes
      .map((ch) => `- \`${SIGN[ch.action]}\` ${escapeMd(changeLine(ch, sim).slice(2))}`)
      .join('\n');
    const section = `<details><summary>${escapeMd(g.title)}</summary>\n\n${body}\n\n</details>\n`;
    if (used + section.length > budget) break;
    sections.push(section);
    used += section.length;
    shown++;
  }
  const notes: string[] = [];
  if (shown < groups.length) {
    const hidden = groups.slice(shown);
    const hiddenChanges = hidden.reduce((n, g) => n + g.changes.length, 0);
    notes.push(
      `> **Truncated:** ${hidden.length} more people (${hiddenChanges} changes) are not shown to fit a comment. Run \`jml plan --format text\` or open the plan artifact for all of it.`,
    );
  }
  if (plan.reported.length) {
    notes.push(
      `<details><summary>Seen, not changed (${plan.reported.length})</summary>\n\n${plan.reported
        .slice(0, 50)
        .map((r) => `- ${r.provider}: ${escapeMd(r.login)}: ${escapeMd(r.reason)}`)
        .join(
          '\n',
        )}${plan.reported.length > 50 ? `\n- … and ${plan.reported.length - 50} more` : ''}\n\n</details>`,
    );
  }
  notes.push(`<sub>fingerprint ${plan.fingerprint}</sub>`);
  return `${head}\n${sections.join('\n')}\n${notes.join('\n\n')}\n`;
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
