/**
 * approvals: the decision for people. Markdown for the pull-request comment and the check run
 * summary, text for a terminal, JSON for tools.
 *
 * The Markdown is a checklist, narrow enough for a phone: one task-list line per requirement
 * (missing first), saying what it needs, who can meet it, and what is missing and why; the
 * author's own approval, when it is what is missing, is said plainly not to count. Teams are
 * named on the lines and their rosters printed once, at the end. Only the people who could meet
 * a missing requirement are @-mentioned (once each: the comment is edited in place on every
 * run); every other login is code, so an approved pull request pings nobody.
 *
 * The requirements carry their people as text (src/approvals/rules/context.ts writes "grace.lin
 * (GitHub @grace-l)" and "the HR team (named in policy/jml.yaml on the base branch: hana.hr
 * @hana-h)"): `readPeople` reads those two forms back, and anything else stays as written.
 */
import { localiseInstants } from '../report/render-plan.js';
import type { Decision, EffectSummary, Requirement, RequirementStatus } from './types.js';

/** GitHub refuses comments and check summaries over 65,535 characters; keep well under. */
export const APPROVALS_MARKDOWN_BUDGET = 60_000;

const MARK: Record<RequirementStatus, string> = { met: 'met', missing: 'MISSING', 'not-checked': 'n/a' };

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

// --- the people named in a requirement ----------------------------------------------------

/** `grace.lin (GitHub @grace-l)`: a person and their login, as of the base branch. */
const WHO = /([A-Za-z0-9][A-Za-z0-9._-]*) \(GitHub @([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\)/g;
/** `the HR team (named in policy/jml.yaml on the base branch: hana.hr @hana-h, x without a GitHub login)` */
const TEAM = /the (\S+) team \(named in policy\/jml\.yaml on the base branch: ([^)]*)\)/g;

export interface Member {
  id: string;
  login: string | null;
}

interface Named {
  /** The text with each person as their id and each team as "the X team". */
  text: string;
  /** People named one by one (manager, owner, approver). */
  people: Member[];
  /** Teams named, by name (`HR`, `security`). */
  teams: string[];
}

function readMembers(roster: string): Member[] {
  return roster
    .split(', ')
    .filter(Boolean)
    .map((m) => {
      const at = / @(\S+)$/.exec(m);
      return at
        ? { id: m.slice(0, at.index), login: at[1]! }
        : { id: m.replace(/ without a GitHub login$/, ''), login: null };
    });
}

/** The people and teams a requirement's text names, and the text without their logins and rosters. */
export function readPeople(text: string, rosters?: Map<string, Member[]>): Named {
  const people: Member[] = [];
  const teams: string[] = [];
  const plain = text
    .replace(TEAM, (_, team: string, roster: string) => {
      if (!teams.includes(team)) teams.push(team);
      rosters?.set(team, readMembers(roster));
      return `the ${team} team`;
    })
    .replace(WHO, (_, id: string, login: string) => {
      if (!people.some((p) => p.id === id)) people.push({ id, login });
      return id;
    })
    .replace(/ as of the base branch/g, '');
  return { text: plain, people, teams };
}

// --- Markdown ------------------------------------------------------------------------------

/**
 * Text outside code: Markdown punctuation and HTML escaped, one line, and every `@login` made
 * code so that it mentions nobody (mentions are written on purpose, by `mention`).
 */
function md(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/([\\<>*_`[\]|])/g, '\\$1')
    .replace(/@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/g, '`@$1`');
}

/** Instants in the organisation's zone when it is known; as written (with their offset) when not. */
const inZone = (text: string, zone: string | undefined) => (zone ? localiseInstants(text, zone) : text);

/** How many effect lines a comment shows before it says how many more there are. */
const EFFECTS_SHOWN = 200;

/** "alice.nguyen: + aws-prod-admin from now onwards" lines, grouped by person. */
function effectLines(
  effects: readonly EffectSummary[],
  zone: string | undefined,
  limit = EFFECTS_SHOWN,
): string[] {
  const lines = effects
    .slice(0, limit)
    .map((e) => `${e.person}: ${e.change === 'gained' ? '+' : '-'} ${e.what} ${inZone(e.when, zone)}`);
  if (effects.length > limit) lines.push(`... and ${effects.length - limit} more`);
  return lines;
}

function sortForDisplay(rs: readonly Requirement[]): Requirement[] {
  const order: Record<RequirementStatus, number> = { missing: 0, met: 1, 'not-checked': 2 };
  return [...rs].sort((a, b) => order[a.status] - order[b.status]);
}

const lower = (s: string) => s.toLowerCase();

/** Options of the Markdown: the organisation's zone, for the instants in the text. */
export interface ApprovalsRenderOptions {
  zone?: string;
}

/**
 * One requirement as a checklist item: `- [ ]` missing, `- [x]` met, `- ℹ️` for information.
 * `mentioned` collects the logins mentioned (the people who could meet it).
 */
function requirementItem(
  r: Requirement,
  d: Decision,
  rosters: Map<string, Member[]>,
  teamsToMention: Set<string>,
  zone: string | undefined,
): string {
  const needs = readPeople(r.description, rosters);
  const why = readPeople(r.why);
  const author = lower(d.author);
  const box = r.status === 'met' ? '- [x]' : r.status === 'missing' ? '- [ ]' : '- ℹ️';
  const head = `${box} **${md(r.rule)}** · \`${r.file}:${r.line}\` · ${md(inZone(r.change, zone))}`;
  // A met requirement needs one line: who met it. Its need is in `jml approvals`.
  const lines = r.status === 'met' ? [head] : [head, md(needs.text)];
  if (r.status === 'met') {
    const by = r.satisfiedBy && !why.text.includes(`@${r.satisfiedBy}`) ? ` by \`@${r.satisfiedBy}\`` : '';
    lines.push(`Met${by}: ${md(why.text)}`);
  } else if (r.status === 'missing') {
    const candidates = needs.people.filter((p) => p.login && lower(p.login) !== author);
    const isAuthor = (login: string | null) => login !== null && lower(login) === author;
    const teams = needs.teams.filter((t) =>
      (rosters.get(t) ?? []).some((m) => m.login && !isAuthor(m.login)),
    );
    for (const t of teams) teamsToMention.add(t);
    const who = [
      ...candidates.map((p) => `@${p.login} (${md(p.id)})`),
      ...teams.map((t) =>
        (rosters.get(t) ?? []).some((m) => isAuthor(m.login))
          ? `anyone else on the ${md(t)} team (below)`
          : `anyone on the ${md(t)} team (below)`,
      ),
    ];
    lines.push(`Can approve: ${who.length ? who.join(', ') : 'nobody (see why)'}`);
    const authorNamed =
      needs.people.some((p) => p.login && lower(p.login) === author) ||
      needs.teams.some((t) => (rosters.get(t) ?? []).some((m) => m.login && lower(m.login) === author));
    const authorNote = authorNamed
      ? ` \`@${d.author}\` opened this pull request, and the author's own approval does not count: someone else listed here must approve.`
      : '';
    lines.push(`Missing: ${md(why.text)}.${authorNote}`);
  } else {
    lines.push(md(why.text));
  }
  // A backslash at the end of a line is a line break inside the list item.
  return lines.join('\\\n  ');
}

/** The roster of each team the requirements name, once. */
function rosterLines(rosters: Map<string, Member[]>, mention: Set<string>, author: string): string[] {
  if (rosters.size === 0) return [];
  const lines = ['', '**Teams** (policy/jml.yaml on the base branch):', ''];
  for (const [team, members] of [...rosters].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const names = members.map((m) => {
      if (!m.login) return `${md(m.id)} (no GitHub login)`;
      const login = mention.has(team) && lower(m.login) !== lower(author) ? `@${m.login}` : `\`@${m.login}\``;
      return `${login} (${md(m.id)})`;
    });
    lines.push(`- the ${md(team)} team: ${names.join(', ') || 'nobody'}`);
  }
  return lines;
}

export function renderApprovalsMarkdown(d: Decision, opts: ApprovalsRenderOptions = {}): string {
  const zone = opts.zone ?? d.zone;
  const lines = [
    `### Approvals for ${d.headSha.slice(0, 7)}: ${d.approved ? 'approved' : 'not approved'}`,
    '',
    headline(d),
    '',
  ];
  // --- after the checklist: what the pull request does, what else changed, the reviews -------
  const after: string[] = [];
  if (d.effects.length) {
    const people = new Set(d.effects.map((e) => e.person)).size;
    after.push(
      '',
      `<details><summary>What this changes: ${d.effects.length} change${d.effects.length === 1 ? '' : 's'} of access for ${people} ${people === 1 ? 'person' : 'people'} over the coming year${zone ? ` (times in ${zone})` : ''}</summary>`,
      '',
      '```diff',
      ...effectLines(d.effects, zone).map((l) => l.replace(/^([^:]+): ([+-]) /, '$2 $1: ')),
      '```',
      '',
      '</details>',
    );
  }
  if (d.notes.length) after.push('', ...d.notes.map((n) => `- ${md(n)}`));
  if (d.reviewers.length) {
    after.push('', `<details><summary>Reviews (${d.reviewers.length})</summary>`, '');
    for (const r of d.reviewers)
      after.push(`- ${r.counts ? 'counts' : 'does not count'}: ${md(readPeople(r.why).text)}`);
    after.push('', '</details>');
  }
  after.push(
    '',
    `<sub>Judged by what the change does to access, not by which files it touches. Managers, owners and teams are read from the base branch. Never counted: the author's approval, an approval before the latest push, anyone approving their own access, anyone who has left or is on an offboarding hold. Ticking a box here changes nothing; only a review does. Pull request by ${md(`@${d.author}`)}.</sub>`,
  );
  // --- the checklist: one line per requirement, missing first, within what is left -----------
  const rosters = new Map<string, Member[]>();
  const mention = new Set<string>();
  const rows = sortForDisplay(d.requirements);
  const ROSTERS = 4_000;
  let used = lines.join('\n').length + after.join('\n').length + ROSTERS;
  let shown = 0;
  for (const r of rows) {
    const item = requirementItem(r, d, rosters, mention, zone);
    if (used + item.length + 1 > APPROVALS_MARKDOWN_BUDGET) break;
    lines.push(item);
    used += item.length + 1;
    shown++;
  }
  if (shown < rows.length) {
    lines.push(
      '',
      `${rows.length - shown} more requirements are not shown; run \`jml approvals\` for all of them.`,
    );
  }
  lines.push(...rosterLines(rosters, mention, d.author), ...after);
  return `${lines.join('\n')}\n`;
}

// --- text ----------------------------------------------------------------------------------

export function renderApprovalsText(d: Decision, opts: ApprovalsRenderOptions = {}): string {
  const lines = [headline(d), ''];
  if (d.effects.length)
    lines.push(
      'What this changes (over the coming year):',
      ...effectLines(d.effects, opts.zone ?? d.zone).map((l) => `  ${l}`),
      '',
    );
  const rosters = new Map<string, Member[]>();
  for (const r of sortForDisplay(d.requirements)) {
    const needs = readPeople(r.description, rosters);
    lines.push(`[${MARK[r.status]}] ${r.file}:${r.line}  ${needs.text} [${r.rule}]`);
    lines.push(`        change: ${inZone(r.change, opts.zone ?? d.zone)}`);
    if (r.status === 'missing') {
      const who = [
        ...needs.people.filter((p) => p.login).map((p) => `@${p.login} (${p.id})`),
        ...needs.teams.map((t) => `the ${t} team`),
      ];
      if (who.length) lines.push(`        can approve: ${who.join(', ')}`);
      const authorNamed =
        needs.people.some((p) => p.login && lower(p.login) === lower(d.author)) ||
        needs.teams.some((t) =>
          (rosters.get(t) ?? []).some((m) => m.login && lower(m.login) === lower(d.author)),
        );
      if (authorNamed)
        lines.push(`        @${d.author} opened the pull request: the author's own approval does not count`);
    }
    lines.push(`        ${r.satisfiedBy ? `met by @${r.satisfiedBy}: ` : ''}${readPeople(r.why).text}`);
  }
  if (rosters.size) {
    lines.push('', 'Teams (policy/jml.yaml on the base branch):');
    for (const [team, members] of rosters)
      lines.push(
        `  ${team}: ${members.map((m) => (m.login ? `@${m.login} (${m.id})` : `${m.id} (no GitHub login)`)).join(', ')}`,
      );
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
