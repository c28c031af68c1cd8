/**
 * plan (pure): desired state + actual state -> the list of changes, with reasons.
 *
 * Set arithmetic per provider (peribolos): for each person, desired grants minus held grants are
 * granted, held minus desired are revoked. Accounts follow the person's status. Only managed
 * targets (those in the catalog) are compared; unknown members of an authoritative target are
 * removed, of an additive one reported. Protected accounts are never planned, only reported.
 */
import { createHash } from 'node:crypto';
import stringify from 'safe-stable-stringify';
import { formatRef, refOf } from '../load/source.js';
import type { Entitlement, ProviderName } from '../model/schema.js';
import { DAY_MS, toIso } from '../model/time.js';
import type { ActualState } from '../providers/types.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { type DesiredState, describeBecause, explainRevoke, type PersonState } from '../resolve/resolve.js';
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

/** Hash of the actual state: what a plan was computed from, and what apply checks again. */
export function fingerprintActual(actual: readonly ActualState[]): string {
  const sorted = [...actual].sort((a, b) => (a.provider < b.provider ? -1 : 1));
  return `sha256:${createHash('sha256')
    .update(stringify(sorted) ?? '')
    .digest('hex')}`;
}

export interface BuildPlanInput {
  index: RepoIndex;
  desired: DesiredState;
  actual: readonly ActualState[];
  commit: string | null;
}

function personEvent(index: RepoIndex, p: PersonState, createsAccount: boolean): JmlEvent {
  const person = index.people.get(p.id)!.value;
  if (p.status === 'terminated') return { kind: 'leaver', date: person.employment.end! };
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
          if (!set) held.set(login, (set = new Set()));
          set.add(ent.id);
        } else unknownMembers.push({ login, ent });
      }
    }

    // --- diff, person by person --------------------------------------------------------------
    for (const p of desired.people) {
      const personFile = index.people.get(p.id)!;
      const wants = p.grants.filter((g) => g.provider === provider);
      const has = held.get(p.login) ?? new Set<string>();
      const user = users.get(p.login);
      const mine: Omit<Change, 'id' | 'event' | 'person' | 'login' | 'provider'>[] = [];
      const wantIds = new Set(wants.map((g) => g.entitlement));
      // Positions are looked up only for the few people with account changes.
      const endRef = () => (p.endMs !== undefined ? formatRef(refOf(personFile, ['employment', 'end'])) : '');
      const startRef = () => formatRef(refOf(personFile, ['employment', 'start']));
      const isManual = provider === 'manual';

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
      // Revokes.
      for (const entId of [...has].sort()) {
        if (wantIds.has(entId)) continue;
        const ent = catalog.get(entId)!;
        const why =
          p.status === 'terminated'
            ? `leaver: employment ended ${toIso(p.endMs!)} at ${endRef()}`
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
      const event = personEvent(
        index,
        p,
        mine.some((c) => c.action === 'createUser' || c.action === 'enableUser'),
      );
      for (const c of mine) changes.push({ ...c, id: '', provider, login: p.login, person: p.id, event });
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

  for (const c of changes)
    c.id = `${c.provider}/${c.login}/${c.action}${c.entitlement ? `/${c.entitlement}` : ''}`;
  const order = new Map<Action, number>(ACTIONS.map((a, i) => [a, i]));
  changes.sort(
    (a, b) =>
      (a.person ?? `~${a.login}`).localeCompare(b.person ?? `~${b.login}`) ||
      a.provider.localeCompare(b.provider) ||
      order.get(a.action)! - order.get(b.action)! ||
      (a.entitlement ?? '').localeCompare(b.entitlement ?? ''),
  );
  reported.sort((a, b) => a.provider.localeCompare(b.provider) || a.login.localeCompare(b.login));
  const summary: Partial<Record<Action, number>> = {};
  for (const c of changes) summary[c.action] = (summary[c.action] ?? 0) + 1;

  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    commit,
    at: toIso(desired.at),
    fingerprint: fingerprintActual(actual),
    providers: [...actual]
      .sort((a, b) => a.provider.localeCompare(b.provider))
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
