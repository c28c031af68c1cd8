/**
 * approvals (pure): what a pull request does to access, whatever files it took to do it.
 *
 * For every person on either side, the access they would hold from now over the coming year is
 * computed on the base and on the head as a timeline: the account (may they sign in?) and each
 * entitlement, with the time windows in which they hold it. Resolve depends on time only through
 * the dates in a person's file and exceptions, so the state between two consecutive such dates
 * is constant: each side is resolved once per date (the union of both sides' dates), and the
 * difference is read segment by segment. People whose inputs are the same on both sides (their
 * file, their exceptions, what their roles expand to, the zone) are skipped without resolving.
 */
import type { Located } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { Person } from '../model/schema.js';
import { type Clock, DAY_MS } from '../model/time.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { changePoints, resolvePerson } from '../resolve/resolve.js';

/** How far ahead a pull request's effect is read: a year, so a dated change next spring counts. */
export const HORIZON_MS = 366 * DAY_MS;

/** The account itself (sign-in), as opposed to an entitlement. */
export const ACCOUNT = '(account)';

/** A half-open time window [from, to) in epoch ms; `to` is the horizon when it lasts beyond. */
export interface Window {
  from: number;
  to: number;
}

export interface AccessChange {
  person: string;
  /** An entitlement id, or ACCOUNT for the ability to sign in at all. */
  what: string;
  change: 'gained' | 'lost';
  windows: Window[];
}

interface Moment {
  active: boolean;
  grants: ReadonlySet<string>;
}

const NOTHING: Moment = { active: false, grants: new Set() };

/** Everything resolvePerson reads about a person, as one string. */
function inputsOf(index: RepoIndex, p: Located<Person>): string {
  const roles = [...new Set(p.value.roles.map((r) => r.role))].map((id) => [
    id,
    [...index.expandRole(id).keys()].filter((e) => index.entitlements.has(e)),
  ]);
  const exceptions = (index.exceptionsByPerson.get(p.value.id) ?? []).map((e) => e.value);
  return JSON.stringify([index.clock.zone, p.value, exceptions, roles]);
}

function momentOf(index: RepoIndex, p: Located<Person> | undefined, at: number): Moment {
  if (!p) return NOTHING;
  const s = resolvePerson(index, p, at);
  return { active: s.status === 'active', grants: new Set(s.grants.map((g) => g.entitlement)) };
}

/** Adds [from, to) to a window list, joining it to the last window when they touch. */
function extend(list: Window[], from: number, to: number): void {
  const last = list[list.length - 1];
  if (last && last.to === from) last.to = to;
  else list.push({ from, to });
}

/** How one person's access differs between the base and the head, from `now` to the horizon. */
export function personAccessChanges(
  base: RepoIndex,
  head: RepoIndex,
  id: string,
  now: number,
  horizon = HORIZON_MS,
): AccessChange[] {
  const b = base.people.get(id);
  const h = head.people.get(id);
  if (b && h && inputsOf(base, b) === inputsOf(head, h)) return [];
  const end = now + horizon;
  const points = [...new Set([now, ...(b ? changePoints(base, b) : []), ...(h ? changePoints(head, h) : [])])]
    .filter((t) => t >= now && t < end)
    .sort((x, y) => x - y);
  const found = new Map<string, Window[]>();
  const note = (what: string, change: 'gained' | 'lost', from: number, to: number) => {
    const key = `${change}\u0000${what}`;
    const list = found.get(key) ?? [];
    extend(list, from, to);
    found.set(key, list);
  };
  points.forEach((from, i) => {
    const to = points[i + 1] ?? end;
    const before = momentOf(base, b, from);
    const after = momentOf(head, h, from);
    if (after.active && !before.active) note(ACCOUNT, 'gained', from, to);
    if (before.active && !after.active) note(ACCOUNT, 'lost', from, to);
    for (const g of after.grants) if (!before.grants.has(g)) note(g, 'gained', from, to);
    for (const g of before.grants) if (!after.grants.has(g)) note(g, 'lost', from, to);
  });
  return [...found]
    .map(([key, windows]) => {
      const [change, what] = key.split('\u0000') as ['gained' | 'lost', string];
      return { person: id, what, change, windows };
    })
    .sort((x, y) => byCodePoint(x.what, y.what) || byCodePoint(x.change, y.change));
}

/** Every person's access change, by person id (code-point order). */
export function accessChanges(base: RepoIndex, head: RepoIndex, now: number): AccessChange[] {
  const ids = [...new Set([...base.people.keys(), ...head.people.keys()])].sort();
  return ids.flatMap((id) => personAccessChanges(base, head, id, now));
}

/**
 * "from now onwards", "from 2027-02-01 until 2027-03-15", "from now until
 * 2026-12-18T22:00:00.000Z": dates in the organisation's zone where a window starts or ends at
 * midnight there, the exact instant otherwise (a leaver's end).
 */
export function describeWindow(w: Window, now: number, clock: Clock, horizon = HORIZON_MS): string {
  const at = (ms: number) => {
    const date = clock.dateOf(ms);
    return clock.dayStart(date) === ms ? date : new Date(ms).toISOString();
  };
  const from = w.from <= now ? 'from now' : `from ${at(w.from)}`;
  const to = w.to >= now + horizon ? 'onwards' : `until ${at(w.to)}`;
  return `${from} ${to}`;
}
