/**
 * What a connector (the code that reaches a real tenant through its vendor's SDK) receives from
 * the registry, and the checks every connector makes on what it is given: credentials only from
 * the environment, endpoints only over https. Connectors import this file, never the registry,
 * so that the registry can load them lazily without an import circle.
 */
import type { Policy, ProviderName } from '../model/schema.js';
import type { RetryOptions } from './retry.js';

/** What every connector factory receives besides its own section of policy/jml.yaml. */
export interface ConnectorContext {
  env: NodeJS.ProcessEnv;
  /** The organisation's retention and other policy numbers a connector needs. */
  policy?: Policy;
  /** Overrides of the shared retry policy (tests: fake clocks, small budgets). */
  retry?: Partial<RetryOptions>;
  /** One line per notable event (retries, throttling). Never given a credential. */
  log?: (line: string) => void;
}

/** Reads a credential from the environment, or says exactly which variable to set. */
export function requireEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  provider: ProviderName,
  field: string,
): string {
  const value = env[name];
  if (!value) {
    throw new Error(
      `${provider}: the environment variable ${name} is not set (policy/jml.yaml providers.${provider}.${field}). ` +
        'Set it from your secret store, or declare the provider embedded: true to simulate it.',
    );
  }
  return value;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Every endpoint a connector sends credentials to must be https: a typo like http://acme.okta.com
 * would send the token in clear before any redirect. Plain http is accepted only on loopback
 * (the test fakes).
 */
export function requireHttps(provider: ProviderName, field: string, value: string): void {
  const url = new URL(value);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return;
  throw new Error(
    `${provider}: ${field} ${value} must use https: credentials would cross the network in clear ` +
      `(policy/jml.yaml providers.${provider}.${field}; plain http is accepted only for a loopback test server)`,
  );
}
