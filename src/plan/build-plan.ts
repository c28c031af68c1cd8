/**
 * plan (pure): desired state + actual state -> the list of changes, with reasons.
 *
 * Set arithmetic per provider (peribolos): for each person, desired grants minus held grants are
 * granted, held minus desired are revoked. Accounts follow the person's status. Only managed
 * targets (those in the catalog) are compared; unknown members of an authoritative target are
 * removed, of an additive one reported. Protected accounts are never planned, only reported.
 *
 * Phases (peribolos), each a named step below: desired (the catalog's targets on a provider and
 * each person's grants there), current (who holds what there), diff (each person's changes, and
 * members nobody in people/ owns), sanity-check (a protected account is withheld and reported),
 * order (one JML event per person across providers, stable ids, code-point order).
 */
import { createHash } from 'node:crypto';
import { formatRef, refOf } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { Entitlement, ProviderName } from '../model/schema.js';
import type { ActualState, ActualUser } from '../model/state.js';
import { DAY_MS, toIso } from '../model/time.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import {
  type DesiredGrant,
  type DesiredState,
  describeBecause,
  explainRevoke,
  type PersonState,
} from '../resolve/resolve.js';
import {
  ACTIONS,
  type Action,
  type Change,
  type JmlEvent,
  PLAN_SCHEMA_VERSION,
  type Plan,
  type ProviderSummary,
  type Reported,
} from './plan-types.js';

export function targetKey(kind: string, target: string): string {
  return `${kind}:${target}`;
}

/** What a plan says it read, provider by provider (its scope and the size of each state). */
export function summariseProviders(actual: readonly ActualState[]): ProviderSummary[] {
  return [...actual]
    .sort((a, b) => byCodePoint(a.provider, b.provider))
    .map((s) => ({
      name: s.provider,
      simulated: s.simulated,
      users: s.users.length,
      memberships: s.memberships.reduce((n, m) => n + m.members.length, 0),
      outOfScopeAccounts: s.outOfScopeAccounts,
    }));
}

/**
 * Why a plan no longer fits the providers, in words: a provider read now that the plan did not
 * read (or the other way round), or a count that moved (accounts, memberships, accounts outside
 * the scope). Empty when the counts agree and only the contents moved.
 */
export function describeStateChange(
  plan: readonly ProviderSummary[],
  now: readonly ProviderSummary[],
): string[] {
  const out: string[] = [];
  const before = new Map(plan.map((p) => [p.name, p]));
  const after = new Map(now.map((p) => [p.name, p]));
  for (const [name, a] of after) {
    const b = before.get(name);
    if (!b) {
      out.push(`${name} is read now but was not in the plan`);
      continue;
    }
    const moved = (
      [
        ['accounts', b.users, a.users],
        ['memberships', b.memberships, a.memberships],
        ['accounts outside the scope', b.outOfScopeAccounts, a.outOfScopeAccounts],
      ] as const
    )
      .filter(([, x, y]) => x !== y)
      .map(([what, x, y]) => `${what} ${x} -> ${y}`);
    if (moved.length) out.push(`${name}: ${moved.join(', ')}`);
  }
  for (const name of before.keys())
    if (!after.has(name)) out.push(`${name} was in the plan but is not read now`);
  return out;
}

/**
 * Hash of the actual state: what a plan was computed from, and what apply checks again.
 * Canonical by construction (every list sorted, every record a fixed-order tuple) and streamed
 * into the hash, so a large tenant is never serialised into one string.
 */
export function fingerprintActual(actual: readonly ActualState[]): string {
  const hash = createHash('sha256');
  // Records are gathered into pieces of about 64 KiB: one hash call per record (half a million
  // at 100,000 people) cost more than the hashing. Whole records only, so the bytes are the same.
  let piece = '';
  const put = (record: string) => {
    piece += record;
    if (piece.length >= 65_536) {
      hash.update(piece);
      piece = '';
    }
  };
  for (const s of [...actual].sort((a, b) => byCodePoint(a.provider, b.provider))) {
    put(JSON.stringify(['provider', s.provider, s.simulated, s.outOfScopeAccounts]));
    for (const u of [...s.users].sort((a, b) => byCodePoint(a.login, b.login))) {
      put(
        JSON.stringify(['user', u.login, u.enabled, u.sessions, u.disabledAt ?? null, u.displayName ?? null]),
      );
    }
    const targets = [...s.memberships].sort((a, b) =>
      byCodePoint(`${a.kind}:${a.target}`, `${b.kind}:${b.target}`),
    );
    for (const m of targets)
      put(JSON.stringify(['target', m.kind, m.target, [...m.members].sort(byCodePoint)]));
  }
  hash.update(piece);
  return `sha256:${hash.digest('hex')}`;
}

export interface BuildPlanInput {
  index: RepoIndex;
  desired: DesiredState;
  actual: readonly ActualState[];
  commit: string | null;
}

function personEvent(index: RepoIndex, p: PersonState, createsAccount: boolean): JmlEvent {
  const person = index.people.get(p.id)!.value;
  if (p.status === 'terminated')
    return {
      kind: 'leaver',
      date: person.employment.end!,
      ...(p.highRisk ? { highRisk: true as const } : {}),
    };
  if (p.status === 'pending') return { kind: 'pre-start', date: person.employment.start };
  if (createsAccount) return { kind: 'joiner', date: person.employment.start };
  if (p.role && p.role.index > 0) return { kind: 'mover', date: p.role.from };
  return { kind: 'update' };
}

/**
 * What every step reads: the index, the desired state, and lookups made once per plan.
 *
 * Each login has a slot: the position in `desired.people` of the last person with that login (two
 * people with one login are the validator's error; the plan treats them as one account). What a
 * provider holds is kept by slot, so that the diff looks nothing up by login: at 100,000 people
 * the lookups by login were most of the plan's time.
 */
interface PlanContext {
  index: RepoIndex;
  desired: DesiredState;
  protectedLogins: ReadonlySet<string>;
  slotOf: ReadonlyMap<string, number>;
  /** Each person's slot, by position in `desired.people`. */
  slots: readonly number[];
}

/** A change before the plan settles its id and event. */
type Draft = Omit<Change, 'id' | 'event' | 'person' | 'login' | 'provider'>;

const EMPTY: ReadonlySet<string> = new Set<string>();

/**
 * A compact copy of a string. A login read from YAML is a slice of its file's text, and a map
 * keyed by slices compares them with each provider's member strings two to three times slower
 * than by compact copies (1.6 million look-ups at 100,000 people). The JSON round trip copies
 * every code unit exactly, lone surrogates included.
 */
const compact = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

function planContext(index: RepoIndex, desired: DesiredState): PlanContext {
  const slotOf = new Map<string, number>();
  for (let i = 0; i < desired.people.length; i++) slotOf.set(compact(desired.people[i]!.login), i);
  return {
    index,
    desired,
    protectedLogins: new Set(index.policy.safety.protectedAccounts.map((l) => l.toLowerCase())),
    slotOf,
    slots: desired.people.map((p) => slotOf.get(p.login)!),
  };
}

/** An array of `length` slots, each `undefined` (filled one by one: `new Array(n)` of a large n is a slow dictionary). */
function bySlot<T>(length: number): (T | undefined)[] {
  const out: (T | undefined)[] = [];
  for (let i = 0; i < length; i++) out.push(undefined);
  return out;
}

/** desired: the catalog's entitlements on a provider, by id and by provider-side target. */
interface DesiredOn {
  provider: ProviderName;
  catalog: Map<string, Entitlement>;
  byTarget: Map<string, Entitlement>;
}

function desiredOn(ctx: PlanContext, provider: ProviderName): DesiredOn {
  const catalog = new Map<string, Entitlement>();
  const byTarget = new Map<string, Entitlement>();
  for (const e of ctx.index.entitlements.values()) {
    if (e.value.provider !== provider) continue;
    catalog.set(e.value.id, e.value);
    byTarget.set(targetKey(e.value.kind, e.value.target), e.value);
  }
  return { provider, catalog, byTarget };
}

/** current: the provider's accounts, what each person holds of the catalog, and members nobody owns. */
interface CurrentOn {
  /** The account of each slot's login (PlanContext), the last one the provider listed. */
  users: (ActualUser | undefined)[];
  /** The entitlement ids each slot's login holds. */
  held: (Set<string> | undefined)[];
  unknownMembers: { login: string; ent: Entitlement }[];
}

function currentOn(ctx: PlanContext, state: ActualState, want: DesiredOn): CurrentOn {
  const users = bySlot<ActualUser>(ctx.desired.people.length);
  for (const u of state.users) {
    const slot = ctx.slotOf.get(u.login);
    if (slot !== undefined) users[slot] = u;
  }
  const held = bySlot<Set<string>>(ctx.desired.people.length);
  const unknownMembers: { login: string; ent: Entitlement }[] = [];
  for (const m of state.memberships) {
    const ent = want.byTarget.get(targetKey(m.kind, m.target));
    if (!ent) continue;
    for (const login of m.members) {
      const slot = ctx.slotOf.get(login);
      if (slot === undefined) {
        unknownMembers.push({ login, ent });
        continue;
      }
      const set = held[slot];
      if (set) set.add(ent.id);
      else held[slot] = new Set([ent.id]);
    }
  }
  return { users, held, unknownMembers };
}

/** Where an employment date is, shown only for the few people with changes. */
function employmentRef(ctx: PlanContext, p: PersonState, field: 'start' | 'end'): string {
  return formatRef(refOf(ctx.index.people.get(p.id)!, ['employment', field]));
}

/** diff: a person's account on a provider follows their status (create, enable, disable, end sessions, delete). */
function accountChanges(
  ctx: PlanContext,
  provider: ProviderName,
  p: PersonState,
  wants: readonly DesiredGrant[],
  user: ActualUser | undefined,
  out: Draft[],
): void {
  const { index, desired } = ctx;
  const { policy } = index;
  const endRef = () => (p.endMs !== undefined ? employmentRef(ctx, p, 'end') : '');
  const startRef = () => employmentRef(ctx, p, 'start');
  if (p.status === 'active' && wants.length > 0) {
    if (!user)
      out.push({
        action: 'createUser',
        displayName: p.name,
        because: [`joiner: employment starts ${index.clock.dateOf(p.startMs)} at ${startRef()}`],
      });
    else if (!user.enabled)
      out.push({
        action: 'enableUser',
        because: [`active from ${index.clock.dateOf(p.startMs)} at ${startRef()} with access on ${provider}`],
      });
  } else if (user?.enabled) {
    const why =
      p.status === 'terminated'
        ? `leaver: employment ended ${toIso(p.endMs!)} at ${endRef()}`
        : p.status === 'pending'
          ? `not started: employment starts ${index.clock.dateOf(p.startMs)} at ${startRef()}`
          : `no access on ${provider} remains: role ${p.role?.role ?? '(none)'} at ${p.role ? formatRef(p.role.ref) : formatRef(p.ref)} grants nothing there`;
    out.push({ action: 'disableUser', because: [why] });
  }
  if (user && p.status === 'terminated') {
    // Sessions outlive a disabled sign-in until their tokens expire: always end them.
    if (user.sessions === null ? user.enabled : user.sessions > 0) {
      out.push({
        action: 'revokeSessions',
        because: [`leaver: end sessions and tokens at ${toIso(p.endMs!)} (${endRef()})`],
      });
    }
    const deleteAfter = p.endMs! + policy.retention.accountDays * DAY_MS;
    if (policy.retention.deleteAccounts && desired.at >= deleteAfter) {
      out.push({
        action: 'deleteUser',
        because: [
          `retention of ${policy.retention.accountDays} days after ${toIso(p.endMs!)} (${endRef()}) has passed`,
        ],
      });
    }
  }
}

/** diff: desired grants the person does not hold are granted (a ticket on the manual provider). */
function grantChanges(
  want: DesiredOn,
  wants: readonly DesiredGrant[],
  has: ReadonlySet<string>,
  out: Draft[],
): void {
  const isManual = want.provider === 'manual';
  for (const g of wants) {
    if (has.has(g.entitlement)) continue;
    const ent = want.catalog.get(g.entitlement)!;
    out.push({
      action: isManual ? 'openTicket' : 'grant',
      ...(isManual ? { operation: 'grant' as const } : {}),
      entitlement: g.entitlement,
      target: { kind: ent.kind, target: ent.target },
      because: g.because.map(describeBecause),
    });
  }
}

/**
 * diff: what the person holds and should not is revoked, with why. A leaver keeps what the
 * catalog retains (the mailbox's license) while the disabled account is retained.
 */
function revokeChanges(
  ctx: PlanContext,
  want: DesiredOn,
  p: PersonState,
  wants: readonly DesiredGrant[],
  has: ReadonlySet<string>,
  out: Draft[],
): void {
  const { index, desired } = ctx;
  const { policy } = index;
  const isManual = want.provider === 'manual';
  const wantIds = new Set(wants.map((g) => g.entitlement));
  const endRef = () => (p.endMs !== undefined ? employmentRef(ctx, p, 'end') : '');
  const retainedUntil =
    p.status === 'terminated' ? p.endMs! + policy.retention.accountDays * DAY_MS : Number.NEGATIVE_INFINITY;
  for (const entId of [...has].sort()) {
    if (wantIds.has(entId)) continue;
    const ent = want.catalog.get(entId)!;
    if (ent.onLeave === 'retain' && desired.at < retainedUntil) continue;
    const why =
      p.status === 'terminated'
        ? ent.onLeave === 'retain'
          ? `retention of ${policy.retention.accountDays} days after ${toIso(p.endMs!)} (${endRef()}) has passed; ${entId} was kept until then (onLeave: retain)`
          : `leaver: employment ended ${toIso(p.endMs!)} at ${endRef()}`
        : p.status === 'pending'
          ? `not started: employment starts ${index.clock.dateOf(p.startMs)} at ${employmentRef(ctx, p, 'start')}`
          : explainRevoke(index, p, entId, desired.at);
    out.push({
      action: isManual ? 'openTicket' : 'revoke',
      ...(isManual ? { operation: 'revoke' as const } : {}),
      entitlement: entId,
      target: { kind: ent.kind, target: ent.target },
      because: [why],
    });
  }
}

/** sanity-check: a protected account is never planned; its changes are reported instead. */
function withheld(
  ctx: PlanContext,
  provider: ProviderName,
  login: string,
  drafts: readonly Draft[],
  reported: Reported[],
): boolean {
  if (!ctx.protectedLogins.has(login)) return false;
  reported.push({
    kind: 'protected-account',
    provider,
    login,
    reason: `protected account: ${drafts.length} change(s) not planned`,
  });
  return true;
}

/** diff, person by person: accounts, grants and revokes on one provider. */
function diffPeople(
  ctx: PlanContext,
  want: DesiredOn,
  have: CurrentOn,
  changes: Change[],
  reported: Reported[],
): void {
  const { provider } = want;
  const isManual = provider === 'manual';
  const people = ctx.desired.people;
  for (let pi = 0; pi < people.length; pi++) {
    const p = people[pi]!;
    const slot = ctx.slots[pi]!;
    const has = have.held[slot] ?? EMPTY;
    const user = have.users[slot];
    // Fast path: most people on most providers are exactly as they should be. Counted in place:
    // a list of each person's grants per provider is made only for the few with changes.
    let wanted = 0;
    let allHeld = true;
    for (const g of p.grants) {
      if (g.provider !== provider) continue;
      wanted++;
      if (allHeld && !has.has(g.entitlement)) allHeld = false;
    }
    if (!user && has.size === 0 && wanted === 0) continue;
    if (p.status === 'active' && (isManual || user?.enabled) && wanted > 0 && has.size === wanted && allHeld)
      continue;
    const wants = p.grants.filter((g) => g.provider === provider);
    const mine: Draft[] = [];
    if (!isManual) accountChanges(ctx, provider, p, wants, user, mine);
    grantChanges(want, wants, has, mine);
    revokeChanges(ctx, want, p, wants, has, mine);
    if (mine.length === 0) continue;
    if (withheld(ctx, provider, p.login, mine, reported)) continue;
    // The event is settled below, once every provider is seen: a joiner's ticket on a provider
    // without accounts belongs to the same joiner event as the account created elsewhere.
    for (const c of mine)
      changes.push({ ...c, id: '', provider, login: p.login, person: p.id, event: { kind: 'update' } });
  }
}

/**
 * diff: members of a managed target nobody in people/ owns are revoked from an authoritative
 * target, reported in an additive one, and left alone (reported) when protected.
 */
function diffUnknownMembers(
  ctx: PlanContext,
  want: DesiredOn,
  have: CurrentOn,
  changes: Change[],
  reported: Reported[],
): void {
  const { provider } = want;
  for (const { login, ent } of have.unknownMembers) {
    const target = { kind: ent.kind, target: ent.target };
    if (ctx.protectedLogins.has(login)) {
      reported.push({
        kind: 'protected-account',
        provider,
        login,
        target,
        reason: 'protected account in a managed target: left alone',
      });
    } else if (ent.management === 'additive') {
      reported.push({
        kind: 'additive-member',
        provider,
        login,
        target,
        reason: `not in people/; ${ent.id} is additive, so the member is left alone`,
      });
    } else {
      changes.push({
        id: '',
        action: provider === 'manual' ? 'openTicket' : 'revoke',
        ...(provider === 'manual' ? { operation: 'revoke' as const } : {}),
        provider,
        login,
        person: null,
        entitlement: ent.id,
        target,
        event: { kind: 'unknown-account' },
        because: [
          `${login} is not a person in people/ and ${ent.id} is authoritative (policy/entitlements.yaml)`,
        ],
      });
    }
  }
}

/** order: one JML event per person across providers, each change's stable id, and the manager to notify. */
function settleEvents(ctx: PlanContext, changes: Change[]): void {
  const { index } = ctx;
  const createsAccount = new Set(
    changes.filter((c) => c.action === 'createUser' || c.action === 'enableUser').map((c) => c.person),
  );
  const stateOf = new Map(ctx.desired.people.map((p) => [p.id, p]));
  const events = new Map<string, JmlEvent>();
  for (const c of changes) {
    if (c.person !== null) {
      let event = events.get(c.person);
      if (!event) {
        event = personEvent(index, stateOf.get(c.person)!, createsAccount.has(c.person));
        events.set(c.person, event);
      }
      c.event = event;
    }
    c.id = `${c.provider}/${c.login}/${c.action}${c.entitlement ? `/${c.entitlement}` : ''}`;
    if (
      c.person !== null &&
      (c.action === 'createUser' || (c.action === 'disableUser' && c.event.kind === 'leaver'))
    ) {
      const manager = index.people.get(index.people.get(c.person)!.value.manager ?? '');
      if (manager) c.manager = manager.value.email.toLowerCase();
    }
  }
}

const ACTION_ORDER = new Map<Action, number>(ACTIONS.map((a, i) => [a, i]));

/**
 * order: changes by person (accounts nobody owns last), provider, action (apply's order) and
 * entitlement; reports by provider and login. Code-point order, never localeCompare: the bytes
 * must not depend on the machine's locale (and `~` sorts accounts nobody owns after the people
 * only in code-point order).
 */
function sortOutput(changes: Change[], reported: Reported[]): void {
  changes.sort(
    (a, b) =>
      byCodePoint(a.person ?? `~${a.login}`, b.person ?? `~${b.login}`) ||
      byCodePoint(a.provider, b.provider) ||
      ACTION_ORDER.get(a.action)! - ACTION_ORDER.get(b.action)! ||
      byCodePoint(a.entitlement ?? '', b.entitlement ?? ''),
  );
  reported.sort((a, b) => byCodePoint(a.provider, b.provider) || byCodePoint(a.login, b.login));
}

/** Plans: for each provider desired, current and diff; then the events and the order. */
export function buildPlan({ index, desired, actual, commit }: BuildPlanInput): Plan {
  const ctx = planContext(index, desired);
  const changes: Change[] = [];
  const reported: Reported[] = [];
  for (const state of actual) {
    const want = desiredOn(ctx, state.provider);
    const have = currentOn(ctx, state, want);
    diffPeople(ctx, want, have, changes, reported);
    diffUnknownMembers(ctx, want, have, changes, reported);
  }
  settleEvents(ctx, changes);
  sortOutput(changes, reported);
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    commit,
    at: toIso(desired.at),
    fingerprint: fingerprintActual(actual),
    providers: summariseProviders(actual),
    changes,
    reported,
    summary: summarise(changes),
  };
}

function summarise(changes: readonly Change[]): Partial<Record<Action, number>> {
  const summary: Partial<Record<Action, number>> = {};
  for (const c of changes) summary[c.action] = (summary[c.action] ?? 0) + 1;
  return summary;
}

/**
 * The part of a plan that concerns these people only (a leaver at their instant, an emergency
 * offboarding). The fingerprint stays the whole state's: the plan was computed from all of it.
 */
export function restrictPlan(plan: Plan, people: ReadonlySet<string>): Plan {
  const changes = plan.changes.filter((c) => c.person !== null && people.has(c.person));
  return { ...plan, changes, summary: summarise(changes) };
}
