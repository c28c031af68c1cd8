/**
 * What the conformance suite needs from each provider under test: the connector itself (the
 * real one, pointed at the vendor fake; or the embedded directory for `local`), and a way to
 * set up and inspect the provider's state from the outside, as an administrator in the vendor's
 * console would. State goes in and comes out in the embedded directory's shape, so that the
 * engine's scenario fixtures (`actual/*.json`) seed every provider alike.
 */
import type { Provider } from '../../src/providers/types.js';
import type { FakeServer } from './fake-server.js';

/** Users and managed targets, keyed like the embedded directory file. */
export interface ProviderState {
  /** login (lower-case) -> account. */
  users: Record<string, { displayName: string; enabled: boolean; sessions: number }>;
  /** `kind:target` (e.g. `group:Engineering`, `app:Slack`, `license:SPE_E3`) -> member logins, sorted. */
  targets: Record<string, string[]>;
}

export interface ProviderHarness {
  readonly name: 'local' | 'entra' | 'okta' | 'google' | 'scim';
  /** The connector under test. */
  readonly provider: Provider;
  /** The loopback fake behind it (undefined for local). */
  readonly server?: FakeServer;
  /**
   * Replaces the provider's state: creates the users (with `sessions` live sign-ins) and the
   * targets with their members. Targets listed with no members exist but are empty. `extra`
   * accounts exist in the tenant outside the managed scope.
   */
  seed(state: ProviderState, extra?: string[]): Promise<void>;
  /** The provider's state as seen from the outside, for the targets named (and every user). */
  state(targets: readonly string[]): Promise<ProviderState>;
  /** A user signs in (one more live session or token). */
  signIn(login: string): Promise<void>;
  close(): Promise<void>;
}
