/**
 * Builds the providers policy/jml.yaml declares, from one list: `PROVIDERS`, every provider
 * folder's descriptor by name. `local` is always there; entra, google and okta are either
 * embedded (simulated, labelled so everywhere) or real connections; `manual` is the ticket ledger
 * for apps outside SSO. A provider is simulated only when the policy says so: a real connection
 * without its credentials is an error naming the missing variable, never a quiet fallback to
 * simulation.
 */
import path from 'node:path';
import { PROVIDER_NAMES, type ProviderName } from '../model/providers.js';
import type { Policy } from '../model/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import type { ConnectorContext } from './connector.js';
import type { BuildContext, ConnectorFactories, ProviderDescriptor } from './descriptor.js';
import { entra } from './entra/descriptor.js';
import { google } from './google/descriptor.js';
import { local } from './local/descriptor.js';
import { manual } from './manual/descriptor.js';
import { okta } from './okta/descriptor.js';
import { scim } from './scim/descriptor.js';
import type { Provider, Scope } from './types.js';

/**
 * Every provider, one line each. The model declares them (src/model/providers.ts, which the
 * policy schema and validate read); this list implements each declaration. Typed by the model's
 * names, so a provider declared there without a descriptor here does not compile. Providers are
 * built in the model's order, whatever the order here.
 */
export const PROVIDERS: { readonly [N in ProviderName]: ProviderDescriptor<N> } = {
  local,
  entra,
  google,
  okta,
  scim,
  manual,
};

/**
 * The connectors in use, filled by `loadConnectors` from each descriptor's `loadConnector`; a
 * test may put its own here first.
 */
export const connectors: ConnectorFactories = {};

/** Loads the connectors that policy/jml.yaml's real connections need (and `only` allows). */
export async function loadConnectors(policy: Policy, only?: ProviderName): Promise<void> {
  const loaded = connectors as Record<string, unknown>;
  for (const name of PROVIDER_NAMES) {
    const load = PROVIDERS[name].loadConnector;
    const cfg = policy.providers[name];
    if (!load || !cfg || 'embedded' in cfg || (only && only !== name) || loaded[name]) continue;
    loaded[name] = await load();
  }
}

export function createProviders(
  root: string,
  policy: Policy,
  only?: ProviderName,
  ctx: ConnectorContext = { env: process.env },
  factories: ConnectorFactories = connectors,
): Provider[] {
  const build: BuildContext = {
    file: (name) => path.resolve(root, name),
    connector: { ...ctx, policy: ctx.policy ?? policy },
    factories,
  };
  const out: Provider[] = [];
  for (const name of PROVIDER_NAMES) {
    if (only && only !== name) continue;
    const provider = createProvider(name, policy, build);
    if (provider) out.push(provider);
  }
  return out;
}

/** One provider from its section of policy/jml.yaml; undefined when the policy has none. */
function createProvider<N extends ProviderName>(
  name: N,
  policy: Policy,
  ctx: BuildContext,
): Provider | undefined {
  const section = policy.providers[name];
  return section ? PROVIDERS[name].create(section, ctx) : undefined;
}

/** The managed scope on one provider: every person's login and the catalog's targets there. */
export function scopeFor(index: RepoIndex, provider: ProviderName): Scope {
  const logins = new Set<string>();
  const people = new Map<string, { name: string; hrId?: string }>();
  for (const p of index.people.values()) {
    const login = p.value.email.toLowerCase();
    logins.add(login);
    people.set(login, { name: p.value.name, ...(p.value.hrId ? { hrId: p.value.hrId } : {}) });
  }
  const seen = new Set<string>();
  const targets = [];
  for (const e of index.entitlements.values()) {
    const key = `${e.value.kind}:${e.value.target}`;
    if (e.value.provider !== provider || seen.has(key)) continue;
    seen.add(key);
    targets.push({ kind: e.value.kind, target: e.value.target });
  }
  return { logins, targets, people };
}
