/**
 * What every connector does the same way: the managed-scope rule, the "target missing" message,
 * the throwaway first password, how a failed change is named and how many apply at once. One
 * place, so that the connectors cannot drift apart.
 */
import { randomBytes } from 'node:crypto';
import pLimit from 'p-limit';
import { byCodePoint } from '../model/order.js';
import type { ProviderName } from '../model/schema.js';
import type { ActualMembership, ActualState, ActualUser } from '../model/state.js';
import type { Change } from '../plan/plan-types.js';
import type { ChangeOutcome } from './types.js';

/**
 * The managed scope of a bulk read: the repository's people plus anyone holding a managed target
 * (an unknown account the plan will report or remove); every other account is only counted.
 * With `everyone` (jml dump) every account is returned. Users are sorted by login.
 */
export function managedState(
  provider: Exclude<ProviderName, 'local' | 'manual'>,
  accounts: Iterable<ActualUser>,
  memberships: ActualMembership[],
  logins: ReadonlySet<string>,
  everyone = false,
): ActualState {
  const wanted = new Set(logins);
  for (const m of memberships) for (const login of m.members) wanted.add(login);
  const all = [...accounts];
  const users = all
    .filter((u) => everyone || wanted.has(u.login))
    .sort((a, b) => byCodePoint(a.login, b.login));
  return { provider, simulated: false, users, memberships, outOfScopeAccounts: all.length - users.length };
}

/** The error for a catalog target the provider does not have. */
export function targetNotFound(provider: ProviderName, kind: string, target: string): string {
  return `${kind} ${target} not found on ${provider}; create it there or fix policy/entitlements.yaml`;
}

/** A change as a failed outcome's error names it: `grant ada@example.com on group Engineering`. */
export function describeChange(change: Change): string {
  const on = change.target ? ` on ${change.target.kind} ${change.target.target}` : '';
  return `${change.action} ${change.login}${on}`;
}

/** Independent changes applied with `apply`, at most `inFlight` of them at a time. */
export function applyAtMost(
  inFlight: number,
  changes: readonly Change[],
  apply: (change: Change) => Promise<ChangeOutcome>,
): Promise<ChangeOutcome>[] {
  const limit = pLimit(inFlight);
  return changes.map((c) => limit(() => apply(c)));
}

/**
 * A first password nobody will ever know: 32 random characters plus one of each class the
 * providers' complexity rules ask for. It is sent once, in the create request, and never kept,
 * logged or returned; the person's first sign-in goes through the provider's own channel.
 */
export function throwawayPassword(): string {
  return `${randomBytes(24).toString('base64url')}aA1!`;
}

/**
 * Providers write "never" as a sentinel instant: Graph `0001-01-01T00:00:00Z` (or an empty
 * string), Google `1970-01-01T00:00:00.000Z`. Nothing at or before the epoch is a real sign-in.
 */
const NO_SIGN_IN_BEFORE = Date.UTC(1970, 0, 1, 0, 0, 1);

/**
 * The latest of the sign-in instants a provider reports, as an ISO instant; `null` when none of
 * them is a real instant (the provider's way of saying "never").
 */
export function latestSignIn(values: readonly (string | Date | null | undefined)[]): string | null {
  let latest: number | undefined;
  for (const v of values) {
    if (v === null || v === undefined || v === '') continue;
    const t = (v instanceof Date ? v : new Date(v)).getTime();
    if (Number.isNaN(t) || t < NO_SIGN_IN_BEFORE) continue;
    if (latest === undefined || t > latest) latest = t;
  }
  return latest === undefined ? null : new Date(latest).toISOString();
}
