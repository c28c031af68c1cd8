/**
 * The provider interface: small and alike for every identity provider (STYLE habit 7).
 * A provider reads the managed scope in bulk and applies one change idempotently. It never sees
 * a dry-run flag: a dry run stops after the plan. What it reads (ActualState) is model
 * vocabulary (src/model/state.ts); what it reports back from a change is defined here.
 */

import type { ProviderName } from '../model/providers.js';
import type { ActualState, TargetRef } from '../model/state.js';
import type { Change } from '../plan/plan-types.js';

/** What to read: the repository's people and the catalog's targets on this provider. */
export interface Scope {
  logins: ReadonlySet<string>;
  targets: readonly TargetRef[];
  /**
   * Who each login is, for a provider that creates accounts later than the plan's createUser
   * (SCIM: in each app with its first grant) or keys them on the HR id (SCIM `externalId`).
   */
  people?: ReadonlyMap<string, { name: string; hrId?: string }>;
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
