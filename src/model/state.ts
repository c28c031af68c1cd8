/**
 * The actual-state vocabulary: what an identity provider really holds in the managed scope, as
 * read in bulk before planning. Providers produce these values and plan, drift, reviews and the
 * evidence pack consume them, so they live in the model, below both: plan/ and providers/ point
 * down here, never at each other.
 */
import type { EntitlementKind, ProviderName } from './providers.js';

/** A provider-side object that grants access: a group, an app assignment, a license, a manual app. */
export interface TargetRef {
  kind: EntitlementKind;
  target: string;
}

export interface ActualUser {
  /** Login (email), lower-cased. */
  login: string;
  displayName?: string;
  enabled: boolean;
  /** Live sessions, or null when the provider cannot list them (the revoke is then always planned). */
  sessions: number | null;
  /** ISO instant the account was disabled, when the provider records it. */
  disabledAt?: string;
  /**
   * The last sign-in the provider reports, as an ISO instant (for access reviews: who has not
   * used an account lately). `null`: the provider says the account has never signed in; absent:
   * the provider cannot tell (Entra without AuditLog.Read.All or without a P1/P2 tenant, an
   * embedded directory file written before it was recorded). Only reported, never planned on:
   * it is not part of the plan fingerprint, and plan and apply never read it, so a sign-in
   * between plan and apply does not make a plan stale.
   */
  lastSignIn?: string | null;
}

export interface ActualMembership extends TargetRef {
  /** Logins holding it, lower-cased and sorted. */
  members: string[];
}

/** What a provider really holds in the managed scope, read in bulk before planning. */
export interface ActualState {
  provider: ProviderName;
  /** True for an embedded directory standing in for a real provider (labelled in every output). */
  simulated: boolean;
  /** Accounts in scope: people in the repository plus unknown members of managed targets. */
  users: ActualUser[];
  /** Managed targets only (those in the catalog); a target missing here does not exist yet. */
  memberships: ActualMembership[];
  /** Accounts the provider holds outside the managed scope: counted, never read further or changed. */
  outOfScopeAccounts: number;
}
