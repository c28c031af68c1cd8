/**
 * Builds the providers policy/jml.yaml declares. `local` is always there; entra, google and okta
 * are either embedded (simulated, labelled so everywhere) or real connections; `manual` is the
 * ticket ledger for apps outside SSO. A provider is simulated only when the policy says so: a
 * real connection without its credentials is an error naming the missing variable, never a
 * quiet fallback to simulation.
 */
import path from 'node:path';
import type {
  EntraConnection,
  GoogleConnection,
  OktaConnection,
  Policy,
  ProviderName,
} from '../model/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { EmbeddedDirectory } from './embedded/embedded-directory.js';
import type { RetryOptions } from './retry.js';
import type { Provider, Scope } from './types.js';

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

export interface ConnectorFactories {
  entra?: (config: EntraConnection, ctx: ConnectorContext) => Provider;
  okta?: (config: OktaConnection, ctx: ConnectorContext) => Provider;
  google?: (config: GoogleConnection, ctx: ConnectorContext) => Provider;
}

/**
 * The connectors in use, filled by `loadConnectors` from src/providers/<name>/index.ts; a test
 * may put its own here first.
 */
export const connectors: ConnectorFactories = {};

/** Each vendor SDK is loaded only when policy/jml.yaml connects that provider for real. */
const CONNECTOR_MODULES = {
  entra: async () => (await import('./entra/index.js')).createEntraProvider,
  google: async () => (await import('./google/index.js')).createGoogleProvider,
  okta: async () => (await import('./okta/index.js')).createOktaProvider,
} satisfies { [K in keyof ConnectorFactories]-?: () => Promise<NonNullable<ConnectorFactories[K]>> };

/** Loads the connectors that policy/jml.yaml's real connections need (and `only` allows). */
export async function loadConnectors(policy: Policy, only?: ProviderName): Promise<void> {
  for (const name of ['entra', 'google', 'okta'] as const) {
    const cfg = policy.providers[name];
    if (!cfg || 'embedded' in cfg || (only && only !== name) || connectors[name]) continue;
    (connectors as Record<string, unknown>)[name] = await CONNECTOR_MODULES[name]();
  }
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

export function createProviders(
  root: string,
  policy: Policy,
  only?: ProviderName,
  ctx: ConnectorContext = { env: process.env },
  factories: ConnectorFactories = connectors,
): Provider[] {
  const out: Provider[] = [];
  const p = policy.providers;
  const at = (file: string) => path.resolve(root, file);
  const wanted = (name: ProviderName) => !only || only === name;
  if (wanted('local')) {
    out.push(
      new EmbeddedDirectory({ name: 'local', file: at(p.local.directory), simulated: false, accounts: true }),
    );
  }
  for (const name of ['entra', 'google', 'okta'] as const) {
    const cfg = p[name];
    if (!cfg || !wanted(name)) continue;
    if ('embedded' in cfg) {
      out.push(
        new EmbeddedDirectory({
          name,
          file: at(cfg.directory ?? `.jml/${name}.json`),
          simulated: true,
          accounts: true,
        }),
      );
      continue;
    }
    for (const [field, value] of Object.entries(cfg)) {
      if (field.endsWith('Url') && typeof value === 'string') requireHttps(name, field, value);
    }
    const factory = factories[name] as ((c: typeof cfg, x: ConnectorContext) => Provider) | undefined;
    if (!factory) throw new Error(`${name}: the connector is not loaded (call loadConnectors first)`);
    out.push(factory(cfg, { ...ctx, policy: ctx.policy ?? policy }));
  }
  if (p.manual && wanted('manual')) {
    out.push(
      new EmbeddedDirectory({ name: 'manual', file: at(p.manual.ledger), simulated: true, accounts: false }),
    );
  }
  return out;
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

/** The managed scope on one provider: every person's login and the catalog's targets there. */
export function scopeFor(index: RepoIndex, provider: ProviderName): Scope {
  const logins = new Set<string>();
  for (const p of index.people.values()) logins.add(p.value.email.toLowerCase());
  const seen = new Set<string>();
  const targets = [];
  for (const e of index.entitlements.values()) {
    const key = `${e.value.kind}:${e.value.target}`;
    if (e.value.provider !== provider || seen.has(key)) continue;
    seen.add(key);
    targets.push({ kind: e.value.kind, target: e.value.target });
  }
  return { logins, targets };
}
