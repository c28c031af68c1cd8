/**
 * report: a Plan for people. Changes are grouped by person and JML event ("Alice Nguyen, mover
 * on 2027-02-01: gains 3, loses 2 across okta and entra"), every line shows its reason, and
 * counts are summarised.
 *
 * The Markdown is the pull request's plan comment, written for a manager who must judge it in
 * ten seconds (docs/pull-requests.md shows one):
 * - a title that counts changes and people, then the validation warnings and the run's notes;
 * - "one cause, several people": a change that many people share through one template line
 *   (a role template or the catalog changed) is one line naming the line and the people;
 * - per person, ONE ```diff block (GitHub colours `+` and `-`), the reason beside each line,
 *   people gaining access first; after `FOLD_AFTER` people the rest is folded, and people whose
 *   every change is a shared cause above are folded too (each is named on the cause's line);
 * - a footer: what merge does and when, in the organisation's zone, and which check decides.
 * Every time is in the organisation's zone, to the minute. A long plan is cut with a note saying
 * how much is not shown, never silently.
 */
import { DateTime } from 'luxon';
import pc from 'picocolors';
import { accessChanges } from '../approvals/effect.js';
import type { Diagnostic } from '../model/diagnostic.js';
import { byCodePoint } from '../model/order.js';
import { DAY_MS } from '../model/time.js';
import {
  ACTION_WORDS,
  type Action,
  type Change,
  type JmlEvent,
  type JmlEventKind,
  type Plan,
} from '../plan/plan-types.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { changePoints, resolvePerson } from '../resolve/resolve.js';

/** GitHub refuses comments over 65,536 characters; leave room for the header and footer. */
export const MARKDOWN_BUDGET = 60_000;

/**
 * How many people the plan comment shows in full; the rest are folded (one `<details>`). Ten
 * diff blocks fill about two screens: past that a reviewer scrolls rather than reads, and a plan
 * that large is usually one cause (shown on its own line above the people).
 */
export const FOLD_AFTER = 10;

/** A change shared by at least this many people through one template line is summarised. */
export const SHARED_CAUSE_PEOPLE = 2;

/**
 * A move older than this when the plan is made is not what the plan is about: the person's
 * changes come from something else (a template or catalog edit), not from their move years ago.
 */
const RECENT_MOVE_MS = 31 * DAY_MS;

/** The check run that decides whether a pull request may merge (pull-request-trusted.yml). */
export const APPROVALS_CHECK = 'jml/approvals';

export interface PersonGroup {
  key: string;
  title: string;
  changes: Change[];
}

/** One dated change the merge schedules: a person's access at an instant after the plan's. */
export interface ScheduledChange {
  person: string;
  name: string;
  /** Epoch ms. */
  at: number;
  /** `starts` when the person can sign in from then on, `ends` when they no longer can. */
  account?: 'starts' | 'ends';
  gains: string[];
  loses: string[];
}

/** What the plan comment says beside the plan; every field is optional. */
export interface PlanCommentContext {
  /** The organisation's zone (policy/jml.yaml `timezone`): every time is shown in it. UTC if absent. */
  zone?: string;
  /** Validation warnings for the same repository (`jml validate`'s warnings): they never block. */
  warnings?: readonly Diagnostic[];
  /** What the run wants the reviewer to read (the base-connections note, holds in force). */
  notes?: readonly string[];
  /**
   * The dated changes the pull request schedules (`scheduledByMerge`); undefined when the base
   * is unknown, and then the footer says only what applies at once.
   */
  scheduled?: readonly ScheduledChange[];
  /** The check that decides the merge; `jml/approvals` by default. */
  check?: string;
  /** Characters the comment may use (GitHub's limit is 65,536). */
  budget?: number;
}

// --- times ---------------------------------------------------------------------------------

/** "2027-02-15 00:00": an instant in the zone, to the minute. */
export function localTime(ms: number, zone = 'UTC'): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd HH:mm');
}

const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g;

/** Every RFC 3339 instant in a text, rewritten in the zone to the minute. */
export function localiseInstants(text: string, zone = 'UTC'): string {
  return text.replace(ISO_INSTANT, (iso) => {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? iso : localTime(ms, zone);
  });
}

// --- events --------------------------------------------------------------------------------

/**
 * The event a person's changes belong to, as the reviewer should read it. The plan calls anyone
 * past their first role a mover with the date of their last move; when that move is older than
 * a month and none of the changes says "mover:", the changes come from something else (a
 * template or catalog edit), and the person is an access update.
 */
function effectiveEvent(changes: readonly Change[], planAt: number): JmlEvent {
  const e = changes[0]!.event;
  if (e.kind !== 'mover' || !e.date) return e;
  const moved = Date.parse(e.date);
  const recent = !Number.isNaN(moved) && moved > planAt - RECENT_MOVE_MS;
  if (recent || changes.some((c) => c.because.some((b) => b.startsWith('mover:')))) return e;
  return { kind: 'update', date: e.date };
}

function eventPhrase(e: JmlEvent, zone?: string): string {
  // In the zone when one is given (the comment); as the plan wrote it otherwise (the terminal).
  const date = e.date && zone ? localiseInstants(e.date, zone) : (e.date ?? '');
  switch (e.kind) {
    case 'joiner':
      return `joiner on ${date}`;
    case 'mover':
      return `mover on ${date}`;
    case 'leaver':
      return `${e.highRisk ? 'high-risk ' : ''}leaver at ${date}`;
    case 'pre-start':
      return `starts on ${date}`;
    case 'unknown-account':
      return 'not in people/';
    default:
      return date ? `access update (last move ${date})` : 'access update';
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
  const planAt = Date.parse(plan.at);
  for (const g of groups.values()) {
    const gains = g.changes.filter(isGain).length;
    const losses = g.changes.filter(isLoss).length;
    const providers = [...new Set(g.changes.map((c) => c.provider))];
    const across =
      providers.length > 1 ? `${providers.slice(0, -1).join(', ')} and ${providers.at(-1)}` : providers[0];
    const accountActions = [
      ...new Set(g.changes.filter((c) => !isGain(c) && !isLoss(c)).map((c) => ACTION_WORDS[c.action])),
    ];
    const parts = [`gains ${gains}`, `loses ${losses}`];
    if (accountActions.length) parts.push(`account: ${accountActions.join(', ')}`);
    g.title = `${g.title}, ${eventPhrase(effectiveEvent(g.changes, planAt))}: ${parts.join(', ')} across ${across}`;
  }
  return [...groups.values()];
}

// --- text ----------------------------------------------------------------------------------

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

function changeLine(c: Change, simulated: ReadonlySet<string>): string {
  const what =
    c.action === 'openTicket'
      ? `ticket to ${c.operation} ${c.entitlement}`
      : c.entitlement
        ? `${ACTION_WORDS[c.action]} ${c.entitlement}`
        : ACTION_WORDS[c.action];
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

// --- the plan comment: reasons and causes --------------------------------------------------

/** `role X (included by A < B) at people/p.yaml:7, listed at roles/X.yaml:9` (resolve's describeBecause). */
const ROLE_BECAUSE = /^role (\S+)(?: \(included by (.+)\))? at (\S+:\d+)(?:, listed at (\S+:\d+))?$/;
/** `exception EXC-7 at exceptions/EXC-7.yaml:4` */
const EXCEPTION_BECAUSE = /^exception (\S+) at (\S+:\d+)$/;
/** `role X (people/p.yaml:7) does not grant it and no exception in force does` (resolve's explainRevoke). */
const ROLE_DROPPED = /^role (\S+) \((\S+:\d+)\) does not grant it and no exception in force does$/;
/** `mover: role X from D (people/p.yaml:7) does not grant it; role Y did` (resolve's explainRevoke). */
const MOVED_OFF = /^mover: role (\S+) from (\S+) \((\S+:\d+)\) does not grant it; role (\S+) did$/;

/**
 * A reason as short as a diff line allows, since the person's heading and the files carry the
 * rest: "role backend-engineer via include engineer", "exception EXC-0006", "moved from
 * customer-success" (beside a mover's loss); any other reason as the plan gives it, without the
 * person's own file and line, its instants in the zone.
 */
export function shortReason(because: string, zone?: string): string {
  const role = ROLE_BECAUSE.exec(because);
  if (role) {
    const [, granting, includedBy] = role;
    // "included by mid < top": the role in force is the last; the chain reads down from it.
    const chain = includedBy ? includedBy.split(' < ') : [];
    const top = chain.at(-1);
    const via = top ? ` via include ${[...chain.slice(0, -1).reverse(), granting].join(' > ')}` : '';
    return `role ${top ?? granting}${via}`;
  }
  const exc = EXCEPTION_BECAUSE.exec(because);
  if (exc) return `exception ${exc[1]}`;
  const moved = MOVED_OFF.exec(because);
  if (moved) return `moved from ${moved[4]}`;
  const dropped = ROLE_DROPPED.exec(because);
  if (dropped) return `role ${dropped[1]} does not grant it, nor does an exception`;
  return localiseInstants(because, zone)
    .replace(/ at people\/\S+\.yaml:\d+/g, '')
    .replace(/ \((?:people|exceptions)\/\S+\.yaml:\d+\)/g, '');
}

/**
 * The template lines a change of someone whose role did not change comes from: where the
 * granting templates list the entitlement, or the template that no longer grants it. Undefined
 * when the change has another cause (an exception, the person's own file).
 */
function sharedCauseOf(c: Change): string[] | undefined {
  if (!c.entitlement) return undefined;
  const causes = new Set<string>();
  for (const b of c.because) {
    const role = ROLE_BECAUSE.exec(b);
    const dropped = ROLE_DROPPED.exec(b);
    if (isGain(c) && role?.[4]) causes.add(role[4]);
    else if (isLoss(c) && dropped) causes.add(`roles/${dropped[1]}.yaml`);
    else return undefined;
  }
  return causes.size ? [...causes].sort(byCodePoint) : undefined;
}

interface SharedCause {
  sign: '+' | '-';
  /** Template lines (`roles/x.yaml:9`), or template files for a loss. */
  causes: string[];
  /** `provider:entitlement` */
  entitlements: string[];
  people: string[];
  changeIds: Set<string>;
}

/**
 * Changes that at least `SHARED_CAUSE_PEOPLE` people (whose own event is an access update) share
 * through the same template lines, merged when the same people gain or lose several entitlements
 * through the same file.
 */
function sharedCauses(groups: readonly ShownGroup[]): SharedCause[] {
  const byKey = new Map<string, SharedCause>();
  for (const g of groups) {
    if (g.event.kind !== 'update') continue;
    for (const c of g.changes) {
      const causes = sharedCauseOf(c);
      if (!causes) continue;
      const sign = isGain(c) ? '+' : '-';
      const ent = `${c.provider}:${c.entitlement}`;
      const key = `${sign}\u0000${causes.join(',')}\u0000${ent}`;
      let s = byKey.get(key);
      if (!s) {
        s = { sign, causes, entitlements: [ent], people: [], changeIds: new Set() };
        byKey.set(key, s);
      }
      if (!s.people.includes(g.key)) s.people.push(g.key);
      s.changeIds.add(c.id);
    }
  }
  const merged = new Map<string, SharedCause>();
  for (const s of byKey.values()) {
    if (s.people.length < SHARED_CAUSE_PEOPLE) continue;
    const files = [...new Set(s.causes.map((c) => c.replace(/:\d+$/, '')))].join(',');
    const key = `${s.sign}\u0000${files}\u0000${[...s.people].sort(byCodePoint).join(',')}`;
    const m = merged.get(key);
    if (!m) merged.set(key, { ...s, causes: [...s.causes], entitlements: [...s.entitlements] });
    else {
      for (const c of s.causes) if (!m.causes.includes(c)) m.causes.push(c);
      m.entitlements.push(...s.entitlements);
      for (const id of s.changeIds) m.changeIds.add(id);
    }
  }
  return [...merged.values()].sort((a, b) => b.people.length - a.people.length);
}

// --- the plan comment: people --------------------------------------------------------------

interface ShownGroup {
  key: string;
  name: string;
  id: string | null;
  event: JmlEvent;
  changes: Change[];
}

/** Who a manager judges first: people gaining access (movers, joiners, updates), then leavers. */
const EVENT_RANK: Record<JmlEventKind, number> = {
  mover: 0,
  joiner: 1,
  update: 2,
  leaver: 3,
  'pre-start': 4,
  'unknown-account': 5,
};

function shownGroups(plan: Plan, names: ReadonlyMap<string, string>): ShownGroup[] {
  const planAt = Date.parse(plan.at);
  const groups = new Map<string, ShownGroup>();
  for (const c of plan.changes) {
    const key = c.person ?? `?${c.login}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        name: c.person ? (names.get(c.person) ?? c.person) : c.login,
        id: c.person,
        event: c.event,
        changes: [],
      };
      groups.set(key, g);
    }
    g.changes.push(c);
  }
  const list = [...groups.values()];
  for (const g of list) g.event = effectiveEvent(g.changes, planAt);
  const rank = (g: ShownGroup) => EVENT_RANK[g.event.kind] - (g.event.highRisk ? 0.5 : 0);
  // A stable sort: the plan's order (person id) within one kind of event.
  return list.sort((a, b) => rank(a) - rank(b));
}

/** What a diff line says: the sign, the kind of thing and which. */
function lineParts(c: Change): [sign: string, kind: string, what: string] {
  switch (c.action) {
    case 'createUser':
      return ['+', 'account', `create ${c.login}`];
    case 'enableUser':
      return ['+', 'account', `enable ${c.login}`];
    case 'disableUser':
      return ['-', 'account', `disable ${c.login}`];
    case 'revokeSessions':
      return ['-', 'sessions', `end all of ${c.login}`];
    case 'deleteUser':
      return ['-', 'account', `delete ${c.login}`];
    case 'openTicket':
      return [c.operation === 'revoke' ? '-' : '+', 'ticket', c.entitlement ?? ''];
    default:
      return [isGain(c) ? '+' : '-', c.target?.kind ?? 'access', c.entitlement ?? ''];
  }
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** A ```diff block: one line per change, columns aligned, the reason as a `#` comment. */
function diffBlock(changes: readonly Change[], zone?: string): string {
  // What the person gets first, then what they lose; the plan's order within each.
  const ordered = [
    ...changes.filter((c) => lineParts(c)[0] === '+'),
    ...changes.filter((c) => lineParts(c)[0] !== '+'),
  ];
  const rows = ordered.map((c) => {
    const [sign, kind, what] = lineParts(c);
    return [
      sign,
      c.provider,
      kind,
      oneLine(what),
      oneLine(c.because.map((b) => shortReason(b, zone)).join('; ')),
    ];
  });
  const width = (i: number) => Math.max(...rows.map((r) => r[i]!.length));
  const [wp, wk, ww] = [width(1), width(2), width(3)];
  const lines = rows.map(
    ([sign, provider, kind, what, why]) =>
      `${sign} ${provider!.padEnd(wp)}  ${kind!.padEnd(wk)}  ${what!.padEnd(ww)}  # ${why}`,
  );
  return fenced('diff', lines);
}

/** A fenced code block whose fence no line of it can close. */
function fenced(lang: string, lines: readonly string[]): string {
  const longest = Math.max(
    2,
    ...lines.map((l) => Math.max(0, ...(l.match(/`+/g) ?? []).map((m) => m.length))),
  );
  const fence = '`'.repeat(longest + 1);
  return `${fence}${lang}\n${lines.join('\n')}\n${fence}`;
}

/**
 * Text outside code: HTML and Markdown punctuation escaped, and `@` followed by a zero-width
 * space so that a name never mentions (notifies) anyone.
 */
export function escapeMd(s: string): string {
  return oneLine(s)
    .replace(/[\\`*_[\]<>&|#]/g, (ch) =>
      ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '&' ? '&amp;' : `\\${ch}`,
    )
    .replace(/@/g, '@\u200b');
}

function personHeading(g: ShownGroup, zone?: string): string {
  const gains = g.changes.filter((c) => lineParts(c)[0] === '+').length;
  const losses = g.changes.length - gains;
  const counts = [gains ? `+${gains}` : '', losses ? `−${losses}` : ''].filter(Boolean).join(' ');
  const who = g.id ? `**${escapeMd(g.name)}** (${escapeMd(g.id)})` : `**${escapeMd(g.name)}**`;
  return `${who} · ${escapeMd(eventPhrase(g.event, zone))} · ${counts}`;
}

function personSection(g: ShownGroup, zone?: string): string {
  return `${personHeading(g, zone)}\n\n${diffBlock(g.changes, zone)}\n`;
}

function list(items: readonly string[], max = 12): string {
  const shown = items.slice(0, max);
  const more = items.length - shown.length;
  const all = more > 0 ? [...shown, `${more} more`] : shown;
  return all.length > 1 ? `${all.slice(0, -1).join(', ')} and ${all.at(-1)}` : (all[0] ?? '');
}

function causeLine(s: SharedCause, nameOf: (key: string) => string): string {
  const n = s.entitlements.length;
  const files = s.causes.map((c) => `\`${c}\``).join(', ');
  const verb = s.sign === '+' ? 'gain' : 'lose';
  const what = s.entitlements.map((e) => `\`${e}\``).join(', ');
  const people = s.people.map(nameOf);
  return `- ${files}: ${s.sign === '+' ? '+' : '−'}${n} entitlement${n === 1 ? '' : 's'} → **${people.length} people ${verb}** ${what}: ${escapeMd(list(people))}`;
}

// --- the plan comment: footer --------------------------------------------------------------

/** "Marta Diaz's access starts 2027-02-15 00:00 America/New_York", as Markdown (names escaped). */
function scheduledPhrase(s: ScheduledChange, zone: string): string {
  const when = `${localTime(s.at, zone)} ${zone}`;
  const name = escapeMd(s.name);
  if (s.account === 'starts') return `${name}'s access starts ${when}`;
  if (s.account === 'ends') return `${name}'s access ends ${when}`;
  const parts = [
    s.gains.length ? `gains ${escapeMd(list(s.gains, 4))}` : '',
    s.loses.length ? `loses ${escapeMd(list(s.loses, 4))}` : '',
  ].filter(Boolean);
  return `${name} ${parts.join(' and ')} at ${when}`;
}

function mergeLines(plan: Plan, ctx: PlanCommentContext, zone: string): string[] {
  const n = plan.changes.length;
  const now =
    n === 0
      ? 'nothing changes at once'
      : `the apply workflow makes ${n === 1 ? 'this change' : `these ${n} changes`} at once`;
  const check = ctx.check ?? APPROVALS_CHECK;
  const lines: string[] = [];
  const scheduled = ctx.scheduled;
  if (scheduled === undefined) {
    lines.push(
      `**On merge:** ${now}; anything dated later waits for the scheduled apply, when it comes due.`,
    );
  } else if (scheduled.length === 0) {
    lines.push(`**On merge:** ${now}; nothing in this pull request is dated later.`);
  } else if (scheduled.length <= 3) {
    const rest = n === 0 ? '' : '; the rest applies at once';
    lines.push(`**On merge:** ${scheduled.map((s) => scheduledPhrase(s, zone)).join('; ')}${rest}.`);
  } else {
    lines.push(
      `**On merge:** ${now}; the scheduled apply makes the rest when each comes due:`,
      '',
      ...scheduled.slice(0, 20).map((s) => `- ${scheduledPhrase(s, zone)}`),
      ...(scheduled.length > 20 ? [`- … and ${scheduled.length - 20} more`] : []),
    );
  }
  lines.push(
    '',
    `**Decided by** the check \`${check}\`: the merge waits until it passes (its comment says who must approve).`,
  );
  return lines;
}

// --- the plan comment ----------------------------------------------------------------------

/**
 * The pull request's plan comment (see the file's comment). `ctx` carries what the plan itself
 * does not know: the organisation's zone, the validation warnings, the run's notes and the dated
 * changes the merge schedules (`planCommentContext` builds it from the repository).
 */
export function renderPlanMarkdown(
  plan: Plan,
  names: ReadonlyMap<string, string>,
  ctx: PlanCommentContext = {},
): string {
  const zone = ctx.zone ?? 'UTC';
  const budget = ctx.budget ?? MARKDOWN_BUDGET;
  const groups = shownGroups(plan, names);
  const nameOf = (key: string) => groups.find((g) => g.key === key)?.name ?? key;
  const sim = plan.providers.filter((p) => p.simulated).map((p) => p.name);
  // --- head: what, when, warnings and notes -------------------------------------------------
  const n = plan.changes.length;
  const people = groups.length;
  const head = [
    n === 0
      ? '### Access plan: no changes'
      : `### Access plan: ${n} change${n === 1 ? '' : 's'} for ${people} ${people === 1 ? 'person' : 'people'}`,
    '',
    `Planned at ${localTime(Date.parse(plan.at), zone)} (${zone}, the zone of every time below)${plan.commit ? ` on \`${plan.commit.slice(0, 12)}\`` : ''}.${sim.length ? ` Simulated providers (no real tenant): ${sim.join(', ')}.` : ''}`,
    '',
  ];
  if (n === 0) head.push('The providers match the repository.', '');
  for (const note of ctx.notes ?? []) head.push(`> **Note:** ${escapeMd(note)}`, '');
  const warnings = ctx.warnings ?? [];
  if (warnings.length) {
    head.push(
      `**⚠️ ${warnings.length} validation warning${warnings.length === 1 ? '' : 's'}** (they do not block the merge):`,
      '',
      ...warnings.map(
        (w) => `- \`${w.file}:${w.line}\` ${escapeMd(w.message)} ${escapeMd(w.hint)} (\`${w.rule}\`)`,
      ),
      '',
    );
  }
  // --- causes shared by several people, then the people ------------------------------------
  const causes = sharedCauses(groups);
  const covered = new Set(causes.flatMap((s) => [...s.changeIds]));
  if (causes.length) {
    head.push('**One cause, several people** (a template or catalog line they share):', '');
    head.push(...causes.map((s) => causeLine(s, nameOf)), '');
  }
  const own = groups.filter((g) => g.changes.some((c) => !covered.has(c.id)));
  const byCause = groups.filter((g) => !own.includes(g));
  const open = own.slice(0, FOLD_AFTER);
  const folded = own.slice(FOLD_AFTER);

  const sections: string[] = [];
  let used = head.join('\n').length + 2_000; // the footer
  let shown = 0;
  const add = (text: string): boolean => {
    if (used + text.length > budget) return false;
    sections.push(text);
    used += text.length + 1;
    return true;
  };
  let cut = false;
  for (const g of open) {
    if (!add(personSection(g, zone))) {
      cut = true;
      break;
    }
    shown++;
  }
  const foldedBlock = (title: string, gs: ShownGroup[]) => {
    if (cut || gs.length === 0) return;
    if (!add(`<details><summary>${title}</summary>\n`)) {
      cut = true;
      return;
    }
    for (const g of gs) {
      if (!add(personSection(g, zone))) {
        cut = true;
        break;
      }
      shown++;
    }
    sections.push('</details>\n');
  };
  foldedBlock(
    `${folded.length} more ${folded.length === 1 ? 'person' : 'people'} (folded: the comment shows the first ${FOLD_AFTER} in full)`,
    folded,
  );
  foldedBlock(
    `The ${byCause.length} ${byCause.length === 1 ? 'person' : 'people'} changed only by the cause${causes.length === 1 ? '' : 's'} above, line by line`,
    byCause,
  );

  // --- footer: truncation, what was seen, what merge does, what decides ---------------------
  const notes: string[] = [];
  if (shown < groups.length) {
    const hiddenGroups = [...open, ...folded, ...byCause].slice(shown);
    const hiddenChanges = hiddenGroups.reduce((k, g) => k + g.changes.length, 0);
    notes.push(
      `> **Truncated:** ${hiddenGroups.length} more people (${hiddenChanges} changes) are not shown to fit a comment. Run \`jml plan --format text\` or open the plan artifact for all of it.`,
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
  notes.push(['---', '', ...mergeLines(plan, ctx, zone)].join('\n'));
  const read = plan.providers
    .map(
      (p) =>
        `${p.name} ${p.users} accounts, ${p.memberships} memberships${p.outOfScopeAccounts ? ` (${p.outOfScopeAccounts} outside the managed scope)` : ''}`,
    )
    .join(' · ');
  notes.push(`<sub>Read: ${read} · fingerprint ${plan.fingerprint}</sub>`);
  return `${head.join('\n')}\n${sections.join('\n')}\n${notes.join('\n\n')}\n`;
}

// --- what the comment needs from the repository ------------------------------------------

/** One atomic dated change: the account starts or ends, or one entitlement is gained or lost. */
interface DatedItem {
  at: number;
  kind: 'starts' | 'ends' | 'gains' | 'loses';
  what: string;
}

/** A person's dated changes in one repository after `at`, by a key that compares across repositories. */
function timeline(index: RepoIndex, id: string, at: number, to: number): Map<string, DatedItem> {
  const out = new Map<string, DatedItem>();
  const p = index.people.get(id);
  if (!p) return out;
  const put = (item: DatedItem) => out.set(`${item.at}|${item.kind}|${item.what}`, item);
  let before = resolvePerson(index, p, at);
  const points = [...new Set(changePoints(index, p))].filter((t) => t > at && t < to).sort((a, b) => a - b);
  for (const t of points) {
    const after = resolvePerson(index, p, t);
    const wasActive = before.status === 'active';
    const isActive = after.status === 'active';
    if (isActive && !wasActive) put({ at: t, kind: 'starts', what: '' });
    else if (wasActive && !isActive) put({ at: t, kind: 'ends', what: '' });
    else {
      const had = new Set(before.grants.map((g) => g.entitlement));
      const has = new Set(after.grants.map((g) => g.entitlement));
      for (const e of has) if (!had.has(e)) put({ at: t, kind: 'gains', what: e });
      for (const e of had) if (!has.has(e)) put({ at: t, kind: 'loses', what: e });
    }
    before = after;
  }
  return out;
}

/**
 * The dated changes a pull request schedules, over the coming year: for each person whose access
 * the pull request changes (approvals' effect), the head's changes of their access after `at`
 * that the base does not already make at the same instant, one entry per person and instant.
 * Soonest first.
 */
export function scheduledByMerge(base: RepoIndex, head: RepoIndex, at: number): ScheduledChange[] {
  const to = at + 366 * DAY_MS;
  const people = [...new Set(accessChanges(base, head, at).map((c) => c.person))];
  const out = new Map<string, ScheduledChange>();
  for (const id of people) {
    const before = timeline(base, id, at, to);
    for (const [key, item] of timeline(head, id, at, to)) {
      if (before.has(key)) continue;
      const k = `${id}|${item.at}`;
      let s = out.get(k);
      if (!s) {
        s = { person: id, name: head.people.get(id)!.value.name, at: item.at, gains: [], loses: [] };
        out.set(k, s);
      }
      if (item.kind === 'starts' || item.kind === 'ends') s.account = item.kind;
      else s[item.kind].push(item.what);
    }
  }
  for (const s of out.values()) {
    s.gains.sort(byCodePoint);
    s.loses.sort(byCodePoint);
  }
  return [...out.values()].sort((a, b) => a.at - b.at || byCodePoint(a.person, b.person));
}

/**
 * Everything the plan comment needs besides the plan, from the repository planned (`head`):
 * its zone, and with the base branch's repository (`jml plan --base`) the dated changes the
 * merge schedules.
 */
export function planCommentContext(
  head: RepoIndex,
  at: number,
  opts: { base?: RepoIndex; warnings?: readonly Diagnostic[]; notes?: readonly string[] } = {},
): PlanCommentContext {
  return {
    zone: head.policy.timezone,
    ...(opts.base ? { scheduled: scheduledByMerge(opts.base, head, at) } : {}),
    ...(opts.warnings?.length ? { warnings: opts.warnings } : {}),
    ...(opts.notes?.length ? { notes: opts.notes } : {}),
  };
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}
