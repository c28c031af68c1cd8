/**
 * plan (pure): desired state + actual state -> the list of changes, with reasons.
 *
 * Set arithmetic per provider (peribolos): for each person, desired grants minus held grants are
 * granted, held minus desired are revoked. Accounts follow the person's status. Only managed
 * targets (those in the catalog) are compared; unknown members of an authoritative target are
 * removed, of an additive one reported. Protected accounts are never planned, only reported.
 */
import { createHash } from 'node:crypto';
import { formatRef, refOf } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import type { Entitlement, ProviderName } from '../model/schema.js';
import type { ActualState } from '../model/state.js';
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
  type Reported,
} from './plan-types.js';

export function targetKey(kind: string, target: string): string {
  return `${kind}:${target}`;
}

/**
 * Hash of the actual state: what a plan was computed from, and what apply checks again.
 * Canonical by construction (every list sorted, every record a fixed-order tuple) and streamed
 * into the hash, so a large tenant is never serialised into one string.
 */
export function fingerprintActual(actual: readonly ActualState[]): string {
  const hash = createHash('sha256');
  for (const s of [...actual].sort((a, b) => byCodePoint(a.provider, b.provider))) {
    hash.update(JSON.stringify(['provider', s.provider, s.simulated, s.outOfScopeAccounts]));
    for (const u of [...s.users].sort((a, b) => byCodePoint(a.login, b.login))) {
      hash.update(
        JSON.stringify(['user', u.login, u.enabled, u.sessions, u.disabledAt ?? null, u.displayName ?? null]),
      );
    }
    const targets = [...s.memberships].sort((a, b) =>
      byCodePoint(`${a.kind}:${a.target}`, `${b.kind}:${b.target}`),
    );
    for (const m of targets)
      hash.update(JSON.stringify(['target', m.kind, m.target, [...m.members].sort(byCodePoint)]));
  }
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

export function buildPlan({ index, desired, actual, commit }: BuildPlanInput): Plan {
  const { policy } = index;
  const protectedLogins = new Set(policy.safety.protectedAccounts.map((l) => l.toLowerCase()));
  const peopleByLogin = new Map(desired.people.map((p) => [p.login, p]));
  const changes: Change[] = [];
  const reported: Reported[] = [];
  // Each person's desired grants split by provider, once rather than once per provider.
  const grantsOn = desired.people.map((p) => {
    const by = new Map<string, DesiredGrant[]>();
    for (const g of p.grants) {
      const list = by.get(g.provider);
      if (list) list.push(g);
      else by.set(g.provider, [g]);
    }
    return by;
  });
  const NONE: DesiredGrant[] = [];
  const EMPTY = new Set<string>();
  const refText = (p: PersonState, field: 'start' | 'end') =>
    formatRef(refOf(index.people.get(p.id)!, ['employment', field]));

  for (const state of actual) {
    const provider = state.provider;
    // --- desired: the catalog's targets on this provider and who should hold each ------------
    const catalog = new Map<string, Entitlement>();
    const byTarget = new Map<string, Entitlement>();
    for (const e of index.entitlements.values()) {
      if (e.value.provider !== provider) continue;
      catalog.set(e.value.id, e.value);
      byTarget.set(targetKey(e.value.kind, e.value.target), e.value);
    }
    // --- actual: who holds what ------------------------------------------------------------
    const users = new Map(state.users.map((u) => [u.login, u]));
    const held = new Map<string, Set<string>>(); // login -> entitlement ids
    const unknownMembers: { login: string; ent: Entitlement }[] = [];
    for (const m of state.memberships) {
      const ent = byTarget.get(targetKey(m.kind, m.target));
      if (!ent) continue;
      for (const login of m.members) {
        if (peopleByLogin.has(login)) {
          let set = held.get(login);
          if (!set) {
            set = new Set();
            held.set(login, set);
          }
          set.add(ent.id);
        } else unknownMembers.push({ login, ent });
      }
    }

    // --- diff, person by person --------------------------------------------------------------
    const isManual = provider === 'manual';
    for (let pi = 0; pi < desired.people.length; pi++) {
      const p = desired.people[pi]!;
      const wants = grantsOn[pi]!.get(provider) ?? NONE;
      const has = held.get(p.login) ?? EMPTY;
      const user = users.get(p.login);
      // Fast path: most people on most providers are exactly as they should be.
      if (!user && has.size === 0 && wants.length === 0) continue;
      if (
        p.status === 'active' &&
        (isManual || user?.enabled) &&
        wants.length > 0 &&
        has.size === wants.length &&
        wants.every((g) => has.has(g.entitlement))
      ) {
        continue;
      }
      const mine: Omit<Change, 'id' | 'event' | 'person' | 'login' | 'provider'>[] = [];
      const wantIds = new Set(wants.map((g) => g.entitlement));
      // Positions are looked up only for the few people with changes.
      const endRef = () => (p.endMs !== undefined ? refText(p, 'end') : '');
      const startRef = () => refText(p, 'start');

      // Accounts.
      if (!isManual) {
        if (p.status === 'active' && wants.length > 0) {
          if (!user)
            mine.push({
              action: 'createUser',
              displayName: p.name,
              because: [`joiner: employment starts ${index.clock.dateOf(p.startMs)} at ${startRef()}`],
            });
          else if (!user.enabled)
            mine.push({
              action: 'enableUser',
              because: [
                `active from ${index.clock.dateOf(p.startMs)} at ${startRef()} with access on ${provider}`,
              ],
            });
        } else if (user?.enabled) {
          const why =
            p.status === 'terminated'
              ? `leaver: employment ended ${toIso(p.endMs!)} at ${endRef()}`
              : p.status === 'pending'
                ? `not started: employment starts ${index.clock.dateOf(p.startMs)} at ${startRef()}`
                : `no access on ${provider} remains: role ${p.role?.role ?? '(none)'} at ${p.role ? formatRef(p.role.ref) : formatRef(p.ref)} grants nothing there`;
          mine.push({ action: 'disableUser', because: [why] });
        }
        if (user && p.status === 'terminated') {
          // Sessions outlive a disabled sign-in until their tokens expire: always end them.
          if (user.sessions === null ? user.enabled : user.sessions > 0) {
            mine.push({
              action: 'revokeSessions',
              because: [`leaver: end sessions and tokens at ${toIso(p.endMs!)} (${endRef()})`],
            });
          }
          const deleteAfter = p.endMs! + policy.retention.accountDays * DAY_MS;
          if (policy.retention.deleteAccounts && desired.at >= deleteAfter) {
            mine.push({
              action: 'deleteUser',
              because: [
                `retention of ${policy.retention.accountDays} days after ${toIso(p.endMs!)} (${endRef()}) has passed`,
              ],
            });
          }
        }
      }
      // Grants.
      for (const g of wants) {
        if (has.has(g.entitlement)) continue;
        const ent = catalog.get(g.entitlement)!;
        mine.push({
          action: isManual ? 'openTicket' : 'grant',
          ...(isManual ? { operation: 'grant' as const } : {}),
          entitlement: g.entitlement,
          target: { kind: ent.kind, target: ent.target },
          because: g.because.map(describeBecause),
        });
      }
      // Revokes. A leaver keeps what the catalog retains (the mailbox's license) while the
      // disabled account is retained.
      const retainedUntil =
        p.status === 'terminated'
          ? p.endMs! + policy.retention.accountDays * DAY_MS
          : Number.NEGATIVE_INFINITY;
      for (const entId of [...has].sort()) {
        if (wantIds.has(entId)) continue;
        const ent = catalog.get(entId)!;
        if (ent.onLeave === 'retain' && desired.at < retainedUntil) continue;
        const why =
          p.status === 'terminated'
            ? ent.onLeave === 'retain'
              ? `retention of ${policy.retention.accountDays} days after ${toIso(p.endMs!)} (${endRef()}) has passed; ${entId} was kept until then (onLeave: retain)`
              : `leaver: employment ended ${toIso(p.endMs!)} at ${endRef()}`
            : p.status === 'pending'
              ? `not started: employment starts ${index.clock.dateOf(p.startMs)} at ${startRef()}`
              : explainRevoke(index, p, entId, desired.at);
        mine.push({
          action: isManual ? 'openTicket' : 'revoke',
          ...(isManual ? { operation: 'revoke' as const } : {}),
          entitlement: entId,
          target: { kind: ent.kind, target: ent.target },
          because: [why],
        });
      }
      if (mine.length === 0) continue;
      if (protectedLogins.has(p.login)) {
        reported.push({
          kind: 'protected-account',
          provider,
          login: p.login,
          reason: `protected account: ${mine.length} change(s) not planned`,
        });
        continue;
      }
      // The event is settled below, once every provider is seen: a joiner's ticket on a provider
      // without accounts belongs to the same joiner event as the account created elsewhere.
      for (const c of mine)
        changes.push({ ...c, id: '', provider, login: p.login, person: p.id, event: { kind: 'update' } });
    }

    // --- members nobody in people/ owns -------------------------------------------------------
    for (const { login, ent } of unknownMembers) {
      const target = { kind: ent.kind, target: ent.target };
      if (protectedLogins.has(login)) {
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

  // --- one JML event per person, across providers ------------------------------------------------
  const createsAccount = new Set(
    changes.filter((c) => c.action === 'createUser' || c.action === 'enableUser').map((c) => c.person),
  );
  const stateOf = new Map(desired.people.map((p) => [p.id, p]));
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
  const order = new Map<Action, number>(ACTIONS.map((a, i) => [a, i]));
  // Code-point order, never localeCompare: the bytes must not depend on the machine's locale
  // (and `~` sorts accounts nobody owns after the people only in code-point order).
  changes.sort(
    (a, b) =>
      byCodePoint(a.person ?? `~${a.login}`, b.person ?? `~${b.login}`) ||
      byCodePoint(a.provider, b.provider) ||
      order.get(a.action)! - order.get(b.action)! ||
      byCodePoint(a.entitlement ?? '', b.entitlement ?? ''),
  );
  reported.sort((a, b) => byCodePoint(a.provider, b.provider) || byCodePoint(a.login, b.login));
  const summary = summarise(changes);

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    commit,
    at: toIso(desired.at),
    fingerprint: fingerprintActual(actual),
    providers: [...actual]
      .sort((a, b) => byCodePoint(a.provider, b.provider))
      .map((s) => ({
        name: s.provider as ProviderName,
        simulated: s.simulated,
        users: s.users.length,
        memberships: s.memberships.reduce((n, m) => n + m.members.length, 0),
        outOfScopeAccounts: s.outOfScopeAccounts,
      })),
    changes,
    reported,
    summary,
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
