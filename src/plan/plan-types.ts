/**
 * The Plan: a documented value (Terraform's `plans.Plan`), serialised as JSON for review and for
 * `jml apply --plan`. Rules:
 * - `fingerprint` is the hash of the actual state the plan was computed from; apply refuses the
 *   plan when the providers no longer hash to it (someone changed them since).
 * - `changes` are sorted by person, provider, action and entitlement; with the same repository,
 *   the same `at` and the same actual state the JSON is identical byte for byte.
 * - Nothing in a plan is secret: no passwords, tokens or activation links, ever.
 */
import type { ProviderName } from '../model/schema.js';
import type { TargetRef } from '../model/state.js';

export const PLAN_SCHEMA_VERSION = 1;

/** Closed set of actions, in the order apply runs them (leavers' disables first). */
export const ACTIONS = [
  'disableUser',
  'revokeSessions',
  'revoke',
  'createUser',
  'enableUser',
  'grant',
  'openTicket',
  'deleteUser',
] as const;
export type Action = (typeof ACTIONS)[number];

/** Each action as people read it in plans and apply output (the JSON keeps the action's name). */
export const ACTION_WORDS: Record<Action, string> = {
  disableUser: 'disable account',
  revokeSessions: 'end sessions',
  revoke: 'revoke',
  createUser: 'create account',
  enableUser: 'enable account',
  grant: 'grant',
  openTicket: 'open ticket',
  deleteUser: 'delete account',
};

export type JmlEventKind = 'joiner' | 'mover' | 'leaver' | 'pre-start' | 'update' | 'unknown-account';

export interface JmlEvent {
  kind: JmlEventKind;
  /** Date (YYYY-MM-DD) or instant of the event, when it has one. */
  date?: string;
  /**
   * A high-risk leaver (`employment.highRisk`): the tighter SLA (`sla.highRiskLeaverMinutes`)
   * applies, and apply runs their changes before everyone else's in each phase.
   */
  highRisk?: true;
}

export interface Change {
  /** Stable id: provider/login/action/entitlement. */
  id: string;
  action: Action;
  provider: ProviderName;
  /** The account's login (email), lower-cased. */
  login: string;
  /** Person id, or null for an account nobody in people/ owns. */
  person: string | null;
  entitlement?: string;
  target?: TargetRef;
  /** For openTicket: whether the ticket asks to grant or to remove access. */
  operation?: 'grant' | 'revoke';
  /** Display name for createUser. */
  displayName?: string;
  /**
   * The manager's login, on a createUser and on a leaver's disableUser: who receives a joiner's
   * first credential through the provider's own channel (Entra Temporary Access Pass) and a
   * leaver's files (Google Drive and Calendar transfer). A login, never a credential.
   */
  manager?: string;
  event: JmlEvent;
  /** Why: each cause with its file and line. */
  because: string[];
}

export interface ProviderSummary {
  name: ProviderName;
  simulated: boolean;
  users: number;
  memberships: number;
  outOfScopeAccounts: number;
}

/** Something the plan saw but will not change (additive targets, protected accounts). */
export interface Reported {
  kind: 'additive-member' | 'protected-account';
  provider: ProviderName;
  login: string;
  target?: TargetRef;
  reason: string;
}

export interface Plan {
  schemaVersion: typeof PLAN_SCHEMA_VERSION;
  /** Git commit of the repository, null outside a git checkout. */
  commit: string | null;
  /** The time T the desired state was resolved at (ISO, UTC). */
  at: string;
  fingerprint: string;
  providers: ProviderSummary[];
  changes: Change[];
  reported: Reported[];
  summary: Partial<Record<Action, number>>;
}
