/**
 * Day one: the manager confirms what a joiner was given, and IT reviews it (issue 8). Pure.
 *
 * - `dayOneItems`: from an apply record, one confirmation per joiner whose accounts or access
 *   it created (the joiner's `createUser` and `grant` changes, applied): what was granted, per
 *   provider, for their manager to confirm (`/confirm`) or flag (`/wrong <entitlement> <why>`),
 *   then for IT to review (`/reviewed`). A hidden marker in the body names the joiner, their
 *   start date, the manager and when the access was granted; the SLA clock starts there.
 * - `dayOneStatus`: from those issues and their comments, when the manager answered and when
 *   IT reviewed. Only the manager of record's comments count for `/confirm` and `/wrong`, only
 *   the IT team's (policy teams.it; the security team when it is empty) for `/reviewed`. Both
 *   are due within `sla.dayOneHours` of the grant; past that, an unanswered or unreviewed
 *   joiner is overdue (the drift issue lists it). A `/wrong` flag is a finding for IT: it
 *   becomes an exception request or a removal by pull request, decided by people, never here.
 */
import { byCodePoint } from '../model/order.js';
import type { ApplyRecord, DayOneState } from '../records/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';

export const DAY_ONE_LABELS = ['jml', 'day-one'];

export interface DayOneGrant {
  provider: string;
  login: string;
  /** `account` for a created account, else the entitlement id. */
  what: string;
  /** The entitlement's title or target, for people. */
  title: string;
}

export interface DayOneItem {
  person: string;
  name: string;
  start: string;
  manager: string | null;
  managerLogin: string | null;
  /** When the record finished granting (the SLA clock's start), ISO. */
  grantedAt: string;
  grants: DayOneGrant[];
  title: string;
  body: string;
  assignees: string[];
  labels: string[];
  marker: string;
}

export interface DayOneMarker {
  person: string;
  start: string;
  manager: string | null;
  grantedAt: string;
}

export function dayOneMarker(m: DayOneMarker): string {
  return `<!-- jml:day-one person=${encodeURIComponent(m.person)} start=${m.start} manager=${encodeURIComponent(m.manager ?? '')} granted=${m.grantedAt} -->`;
}

export function parseDayOneMarker(body: string | null | undefined): DayOneMarker | undefined {
  const m = /<!-- jml:day-one person=(\S+) start=(\S+) manager=(\S*) granted=(\S+) -->/.exec(body ?? '');
  if (!m) return undefined;
  return {
    person: decodeURIComponent(m[1]!),
    start: m[2]!,
    manager: m[3] ? decodeURIComponent(m[3]) : null,
    grantedAt: m[4]!,
  };
}

const githubOf = (index: RepoIndex, id: string | null | undefined) =>
  id ? (index.people.get(id)?.value.github ?? null) : null;

/** The logins whose `/reviewed` counts: the IT team, or the security team when IT is empty. */
export function itLogins(index: RepoIndex): string[] {
  const team = index.policy.teams.it.length > 0 ? index.policy.teams.it : index.policy.teams.security;
  return team.map((id) => githubOf(index, id)).filter((l): l is string => Boolean(l));
}

export function dayOneHours(index: RepoIndex): number {
  return index.policy.sla.dayOneHours ?? index.policy.sla.manualWorkHours;
}

/** One confirmation per joiner whose access this record created, sorted by person. */
export function dayOneItems(record: ApplyRecord, index: RepoIndex, recordName: string): DayOneItem[] {
  const byPerson = new Map<string, { grants: DayOneGrant[]; start: string; finished: string }>();
  for (const c of record.changes) {
    if (c.event.kind !== 'joiner' || !c.person || c.status !== 'applied') continue;
    if (c.action !== 'createUser' && c.action !== 'grant' && c.action !== 'openTicket') continue;
    if (c.action === 'openTicket' && c.operation === 'revoke') continue;
    const ent = c.entitlement ? index.entitlements.get(c.entitlement)?.value : undefined;
    const entry = byPerson.get(c.person) ?? {
      grants: [],
      start: c.event.date ?? index.people.get(c.person)?.value.employment.start ?? '',
      finished: c.finishedAt,
    };
    entry.grants.push({
      provider: c.provider,
      login: c.login,
      what: c.action === 'createUser' ? 'account' : (c.entitlement ?? c.action),
      title:
        c.action === 'createUser'
          ? `account ${c.login}`
          : `${ent?.title ?? ent?.target ?? c.entitlement ?? ''}${c.action === 'openTicket' ? ' (by hand: ticket to the app owner)' : ''}`,
    });
    if (c.finishedAt > entry.finished) entry.finished = c.finishedAt;
    byPerson.set(c.person, entry);
  }
  const hours = dayOneHours(index);
  const it = itLogins(index);
  const out: DayOneItem[] = [];
  for (const [person, e] of [...byPerson].sort(([a], [b]) => byCodePoint(a, b))) {
    const p = index.people.get(person)?.value;
    const name = p?.name ?? person;
    const manager = p?.manager ?? null;
    const managerLogin = githubOf(index, manager);
    const grantedAt = new Date(Date.parse(e.finished)).toISOString();
    const marker = dayOneMarker({ person, start: e.start, manager, grantedAt });
    const grants = e.grants.sort(
      (a, b) => byCodePoint(a.provider, b.provider) || byCodePoint(a.what, b.what),
    );
    const providers = [...new Set(grants.map((g) => g.provider))];
    const lines: string[] = [];
    for (const prov of providers) {
      lines.push(`**${prov}**`);
      for (const g of grants.filter((x) => x.provider === prov))
        lines.push(`- ${g.what === 'account' ? g.title : `\`${g.what}\`: ${g.title} (for ${g.login})`}`);
      lines.push('');
    }
    const due = new Date(Date.parse(grantedAt) + hours * 3_600_000).toISOString();
    const body = [
      `${name} (${person}) starts on ${e.start}. This is exactly what jml apply granted them (record \`${recordName}\`, finished ${grantedAt}):`,
      '',
      ...lines,
      `${managerLogin ? `@${managerLogin}` : `The manager${manager ? ` (${manager})` : ''}`}, please confirm by ${due} (within ${hours} h, policy/jml.yaml sla.dayOneHours):`,
      '- comment `/confirm` when this is what they need;',
      '- or comment `/wrong <entitlement> <why>` for each thing that is wrong (IT turns each into an exception request or a removal by pull request).',
      '',
      `Then IT (${it.length ? it.map((l) => `@${l}`).join(', ') : 'policy/jml.yaml teams.it'}) reviews and comments \`/reviewed\`, within the same ${hours} h.`,
      '',
      'Only the manager of record counts for /confirm and /wrong, only the IT team for /reviewed; `jml github day-one-status` records both times.',
      ...(managerLogin
        ? []
        : [
            '',
            `> No GitHub login is known for the manager${manager ? ` ${manager}` : ''}: add \`github:\` to their people file so they can confirm.`,
          ]),
    ].join('\n');
    out.push({
      person,
      name,
      start: e.start,
      manager,
      managerLogin,
      grantedAt,
      grants,
      title: `Day one: confirm the access of ${name} (${person})`,
      body,
      assignees: managerLogin ? [managerLogin] : [],
      labels: [...DAY_ONE_LABELS],
      marker,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// status

export interface DayOneComment {
  login: string;
  body: string;
  createdAt: string;
}

export interface DayOneIssue {
  number: number;
  url: string;
  state: 'open' | 'closed';
  body: string | null;
  comments: DayOneComment[];
}

export interface WrongFlag {
  entitlement: string;
  why: string;
  at: string;
  by: string;
}

export interface DayOneStatus {
  person: string;
  name: string;
  manager: string | null;
  managerLogin: string | null;
  issue: number;
  url: string;
  grantedAt: string;
  /** grantedAt + sla.dayOneHours. */
  dueAt: string;
  slaHours: number;
  /** The issue's state on GitHub. */
  state: 'open' | 'closed';
  /** The manager's first answer (`/confirm` or `/wrong`), ISO; null when none. */
  confirmedAt: string | null;
  /** The login that gave it (the manager of record's). */
  confirmedBy: string | null;
  /** IT's first `/reviewed`, ISO; null when none. */
  reviewedAt: string | null;
  /** The IT login whose `/reviewed` counted. */
  reviewedBy: string | null;
  flags: WrongFlag[];
  /** Both answered by the due time: true; one late or missing past it: false; still within it: null. */
  withinSla: boolean | null;
  /** Past due and still missing the manager's answer or IT's review. */
  overdue: boolean;
  /** Comments with a command that did not count (by someone else), for the record. */
  ignored: string[];
}

const lower = (s: string) => s.toLowerCase();

export function dayOneStatus(issues: readonly DayOneIssue[], index: RepoIndex, at: number): DayOneStatus[] {
  const hours = dayOneHours(index);
  const it = new Set(itLogins(index).map(lower));
  const out: DayOneStatus[] = [];
  for (const issue of issues) {
    const m = parseDayOneMarker(issue.body);
    if (!m) continue;
    const managerLogin = githubOf(index, m.manager);
    let confirmedAt: string | null = null;
    let confirmedBy: string | null = null;
    let reviewedAt: string | null = null;
    let reviewedBy: string | null = null;
    const flags: WrongFlag[] = [];
    const ignored: string[] = [];
    // Only what was said by `at` (a re-run for a past instant reads the past).
    const comments = issue.comments
      .filter((c) => Date.parse(c.createdAt) <= at)
      .sort((a, b) => byCodePoint(a.createdAt, b.createdAt));
    for (const c of comments) {
      const text = c.body.trim();
      const cmd = /^\/(confirm|wrong|reviewed)\b\s*(.*)$/s.exec(text);
      if (!cmd) continue;
      const isManager = managerLogin !== null && lower(c.login) === lower(managerLogin);
      const when = new Date(Date.parse(c.createdAt)).toISOString();
      if (cmd[1] === 'reviewed') {
        if (it.has(lower(c.login))) {
          reviewedBy ??= c.login;
          reviewedAt ??= when;
        } else ignored.push(`/reviewed by @${c.login} at ${when}: not in the IT team`);
        continue;
      }
      if (!isManager) {
        ignored.push(`/${cmd[1]} by @${c.login} at ${when}: not the manager of record`);
        continue;
      }
      confirmedBy ??= c.login;
      confirmedAt ??= when;
      if (cmd[1] === 'wrong') {
        const [entitlement = '', ...why] = cmd[2]!.trim().split(/\s+/);
        flags.push({ entitlement, why: why.join(' '), at: when, by: c.login });
      }
    }
    const grantedMs = Date.parse(m.grantedAt);
    const dueMs = grantedMs + hours * 3_600_000;
    const inTime = (t: string | null) => t !== null && Date.parse(t) <= dueMs;
    const bothInTime = inTime(confirmedAt) && inTime(reviewedAt);
    const withinSla = bothInTime ? true : at > dueMs ? false : null;
    out.push({
      person: m.person,
      name: index.people.get(m.person)?.value.name ?? m.person,
      manager: m.manager,
      managerLogin,
      issue: issue.number,
      url: issue.url,
      grantedAt: new Date(grantedMs).toISOString(),
      dueAt: new Date(dueMs).toISOString(),
      slaHours: hours,
      state: issue.state,
      confirmedAt,
      confirmedBy,
      reviewedAt,
      reviewedBy,
      flags,
      withinSla,
      overdue: at > dueMs && (confirmedAt === null || reviewedAt === null),
      ignored,
    });
  }
  return out.sort((a, b) => byCodePoint(a.grantedAt, b.grantedAt) || byCodePoint(a.person, b.person));
}

/** The drift report's lines: every joiner unconfirmed or unreviewed past the SLA, and every flag. */
export function dayOneMarkdown(statuses: readonly DayOneStatus[], at: number): string {
  const overdue = statuses.filter((s) => s.overdue);
  const flagged = statuses.filter((s) => s.flags.length > 0);
  const lines: string[] = [];
  if (overdue.length) {
    lines.push(
      `${overdue.length} joiner(s) not confirmed or not reviewed within the day-one SLA (policy/jml.yaml sla.dayOneHours) as of ${new Date(at).toISOString()}:`,
    );
    for (const s of overdue) {
      const missing = [
        s.confirmedAt
          ? null
          : `no /confirm from ${s.managerLogin ? `@${s.managerLogin}` : `the manager ${s.manager ?? '(none)'}`}`,
        s.reviewedAt ? null : 'no /reviewed from IT',
      ].filter(Boolean);
      lines.push(
        `- [day-one-overdue] ${s.name} (${s.person}), due ${s.dueAt}: ${missing.join(', ')} (#${s.issue}): ${s.url}`,
      );
    }
  }
  if (flagged.length) {
    if (lines.length) lines.push('');
    lines.push(
      'Access a manager flagged as wrong on day one (IT: an exception request or a removal by pull request):',
    );
    for (const s of flagged)
      for (const f of s.flags)
        lines.push(
          `- [day-one-wrong] ${s.person}: ${f.entitlement || '(no entitlement named)'}${f.why ? `: ${f.why}` : ''} (@${f.by}, ${f.at}, #${s.issue}): ${s.url}`,
        );
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

// ---------------------------------------------------------------------------------------------
// observations: the day-one state kept in the records (`dayOne`), so it survives without GitHub

/** A day-one issue's times and who answered, as its live status and its recorded state both say them. */
export type DayOneAnswers = Pick<
  DayOneState,
  'url' | 'grantedAt' | 'dueAt' | 'confirmedAt' | 'confirmedBy' | 'reviewedAt' | 'reviewedBy'
>;

/** The answers of a status or a recorded state, in the record's order. */
export function dayOneAnswers(s: DayOneAnswers): DayOneAnswers {
  return {
    url: s.url,
    grantedAt: s.grantedAt,
    dueAt: s.dueAt,
    confirmedAt: s.confirmedAt,
    confirmedBy: s.confirmedBy,
    reviewedAt: s.reviewedAt,
    reviewedBy: s.reviewedBy,
  };
}

/** A day-one state as `jml github day-one-status` records it (`dayOne` of an observation record). */
export function dayOneStateOf(s: DayOneStatus, observedAt: string): DayOneState {
  return {
    person: s.person,
    ...dayOneAnswers(s),
    flagged: s.flags.map((f) => f.entitlement),
    state: s.state,
    observedAt,
  };
}

/** A recorded day-one state and the record that holds it. */
export interface ObservedDayOne {
  state: DayOneState;
  /** The record file (relative to the records directory read). */
  file: string;
}

/**
 * The newest recorded day-one state of each issue (by url) among `records`, observed at or
 * before `at` when given (a pack for a past instant does not read what was seen later).
 */
export function newestDayOneStates(
  records: readonly { file: string; record: Pick<ApplyRecord, 'dayOne'> }[],
  at?: number,
): Map<string, ObservedDayOne> {
  const out = new Map<string, ObservedDayOne>();
  for (const r of records) {
    for (const state of r.record.dayOne ?? []) {
      if (at !== undefined && Date.parse(state.observedAt) > at) continue;
      const seen = out.get(state.url);
      // Records come oldest first: a later one with the same observation time wins.
      if (!seen || Date.parse(state.observedAt) >= Date.parse(seen.state.observedAt))
        out.set(state.url, { state, file: r.file });
    }
  }
  return out;
}

/** Whether two recorded states say the same (the time they were observed aside). */
function sameDayOneState(a: DayOneState, b: DayOneState): boolean {
  const fields = [
    'person',
    'url',
    'grantedAt',
    'dueAt',
    'confirmedAt',
    'confirmedBy',
    'reviewedAt',
    'reviewedBy',
    'state',
  ] as const;
  return (
    fields.every((f) => a[f] === b[f]) &&
    a.flagged.length === b.flagged.length &&
    a.flagged.every((f, i) => f === b.flagged[i])
  );
}

/**
 * What an observation must record: the states in `current` that are new or differ from the newest
 * recorded one of the same issue. Empty: nothing changed, no record is written.
 */
export function changedDayOneStates(
  current: readonly DayOneState[],
  recorded: ReadonlyMap<string, ObservedDayOne>,
): DayOneState[] {
  return current.filter((s) => {
    const before = recorded.get(s.url)?.state;
    return !before || !sameDayOneState(before, s);
  });
}
