/**
 * Builds the providers policy/jml.yaml declares. `local` is always there; entra, google and okta
 * are embedded (simulated) directories when declared `embedded: true`; `manual` is the ticket
 * ledger for apps outside SSO. A provider is never simulated unless the policy says so.
 */
import path from 'node:path';
import type { Policy, ProviderName } from '../model/schema.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { EmbeddedDirectory } from './embedded/embedded-directory.js';
import type { Provider, Scope } from './types.js';

export function createProviders(root: string, policy: Policy, only?: ProviderName): Provider[] {
  const out: Provider[] = [];
  const p = policy.providers;
  const at = (file: string) => path.resolve(root, file);
  out.push(
    new EmbeddedDirectory({ name: 'local', file: at(p.local.directory), simulated: false, accounts: true }),
  );
  for (const name of ['entra', 'google', 'okta'] as const) {
    const cfg = p[name];
    if (!cfg) continue;
    out.push(
      new EmbeddedDirectory({
        name,
        file: at(cfg.directory ?? `.jml/${name}.json`),
        simulated: true,
        accounts: true,
      }),
    );
  }
  if (p.manual)
    out.push(
      new EmbeddedDirectory({ name: 'manual', file: at(p.manual.ledger), simulated: true, accounts: false }),
    );
  return only ? out.filter((x) => x.name === only) : out;
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
