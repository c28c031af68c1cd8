/**
 * The provider interface: small and alike for every identity provider (STYLE habit 7).
 * A provider reads the managed scope in bulk and applies one change idempotently. It never sees
 * a dry-run flag: a dry run stops after the plan.
 */

import type { ProviderName } from '../model/schema.js';
import type { Change } from '../plan/plan-types.js';

export type EntitlementKind = 'group' | 'app' | 'license' | 'manual';

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

/** What to read: the repository's people and the catalog's targets on this provider. */
export interface Scope {
  logins: ReadonlySet<string>;
  targets: readonly TargetRef[];
}

/**
 * The leaver checklist (policy/JML-POLICY.md), one name per step a provider can take or hand over.
 * A disable on one provider may carry several (Entra: sign-in off, leave date, sessions, devices,
 * mail forwarding); each is recorded with its own outcome so the apply record shows the whole list.
 */
export const LEAVER_STEPS = [
  'disable-sign-in',
  'revoke-sessions',
  'revoke-tokens',
  'remove-access',
  'mailbox-retention',
  'mailbox-forwarding',
  'transfer-drive',
  'transfer-calendar',
  'wipe-devices',
  'manual-ticket',
  'delete-account',
  'leave-date',
] as const;
export type LeaverStep = (typeof LEAVER_STEPS)[number];

/**
 * One step's outcome. `manual`: no API can do it here, so it is handed to a person (the work
 * issue names who); `skipped`: nothing to do (no devices enrolled, no manager to transfer to).
 */
export interface StepOutcome {
  step: LeaverStep;
  status: 'applied' | 'unchanged' | 'failed' | 'skipped' | 'manual';
  /** ISO instant the provider confirmed this step (or the engine gave up on it). */
  at: string;
  detail?: string;
}

export type ChangeOutcome =
  | { status: 'applied'; detail?: string; steps?: StepOutcome[] }
  | { status: 'unchanged'; detail?: string; steps?: StepOutcome[] }
  | { status: 'failed'; error: string; steps?: StepOutcome[] };

export interface Provider {
  readonly name: ProviderName;
  readonly simulated: boolean;
  read(scope: Scope): Promise<ActualState>;
  /** Everything the provider holds, for `jml dump` (onboarding); not used by plan or apply. */
  readAll?(): Promise<ActualState>;
  /** Applies one change. Idempotent: applying an already-applied change reports `unchanged`. */
  apply(change: Change): Promise<ChangeOutcome>;
  /**
   * Applies independent changes (one apply phase on this provider) as the provider does best:
   * bounded concurrency, or `$batch` on Graph. One promise per change, in order, each settling
   * when that change is done, so the apply record keeps per-change times. Without it, apply
   * calls `apply` one change at a time.
   */
  applyMany?(changes: readonly Change[]): Promise<ChangeOutcome>[];
  /** Serialises writers across processes for the duration of an apply. */
  lock?(): Promise<() => Promise<void>>;
}
