/**
 * A provider under conformance test, and the scenario repository rewritten for it.
 *
 * The engine's scenario fixtures keep the provider state in `actual/okta.json` with Okta
 * simulated by the embedded directory. For a real connector the repository is rewritten so
 * that the provider under test plays Okta's part: its entitlements move to that provider
 * (kinds and target names translated to what that API has: Google groups are emails, Entra
 * and Google assign apps through groups), policy/jml.yaml names a real connection, and the
 * state is seeded into the vendor fake. `local` runs the fixtures unchanged: the embedded
 * directory is then the provider under test.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import type { ProviderName } from '../../src/model/providers.js';
import type { Change, Plan } from '../../src/plan/plan-types.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import type { Fault } from '../fakes/fake-server.js';
import type { ProviderHarness, ProviderState } from '../fakes/harness.js';

/** Every provider is a subject but `manual`, a ticket ledger that holds no accounts to conform. */
export type SubjectName = Exclude<ProviderName, 'manual'>;

/** A catalog target: its kind and the provider-side name. */
export interface TargetOf {
  kind: string;
  target: string;
}

/** A real connector and its fake: how to start them and how the CLI connects to the fake. */
export interface FakeConnection {
  /** Starts the fake and returns a harness. */
  start: () => Promise<ProviderHarness>;
  /**
   * The policy/jml.yaml section and the environment that connect the real connector to the
   * harness's fake: the CLI then builds the connector itself, credentials and all.
   */
  connection: (h: ProviderHarness) => { config: Record<string, unknown>; env: Record<string, string> };
}

export interface Subject {
  name: SubjectName;
  /** A second run of the same provider with its server in another dialect (a SCIM quirk). */
  variant?: string;
  /** The provider cannot report last sign-ins at all (SCIM has no standard attribute for them). */
  noSignIns?: boolean;
  /** Undefined for local: the embedded directory needs no fake. */
  fake?: FakeConnection;
  /** A write the vendor refuses for good (a 403, say): the change fails, nothing is retried. */
  refuseOneWrite?: Fault;
  /** The vendor's "slow down" and the wait it asks for, in ms (undefined when it names none). */
  throttle?: { fault: Fault; waitMs?: number };
  /**
   * A harness whose connector may not read last sign-ins (Entra without AuditLog.Read.All), and
   * the log its warnings go to; undefined when the provider always reports them.
   */
  withoutSignIns?: () => Promise<{ harness: ProviderHarness; log: string[] }>;
  /**
   * How a fixture's Okta target reads on this provider, when its API names or grants it
   * differently (Entra and Google grant apps through groups); absent, the target is unchanged.
   */
  translate?: (kind: string, target: string) => TargetOf;
}

/** How a fixture's Okta target reads on the provider under test (`Subject.translate`). */
export function translateTarget(subject: Pick<Subject, 'translate'>, kind: string, target: string): TargetOf {
  return subject.translate?.(kind, target) ?? { kind, target };
}

/** A fixture's Okta state (its `actual/okta.json` or the copy's `.jml/okta.json`), as the provider under test holds it. */
export function fixtureState(file: string, subject: Pick<Subject, 'translate'>): ProviderState {
  const data = JSON.parse(readFileSync(file, 'utf8')) as DirectoryFile;
  const users: ProviderState['users'] = {};
  for (const [login, u] of Object.entries(data.users)) {
    users[login] = { displayName: u.displayName, enabled: u.enabled, sessions: u.sessions.length };
  }
  const targets: ProviderState['targets'] = {};
  for (const [key, members] of Object.entries(data.targets)) {
    const i = key.indexOf(':');
    const t = translateTarget(subject, key.slice(0, i), key.slice(i + 1));
    targets[`${t.kind}:${t.target}`] = [...members].sort();
  }
  return { users, targets };
}

/**
 * Rewrites the copied fixture repository so that `name` plays Okta's part; returns the
 * catalog's target keys on that provider. The embedded Okta file is removed: the fake holds
 * the state now.
 */
export function rewriteRepository(
  dir: string,
  subject: Subject,
  connection: Record<string, unknown>,
): string[] {
  const { name } = subject;
  const entFile = path.join(dir, 'policy/entitlements.yaml');
  const ents = parse(readFileSync(entFile, 'utf8')) as { provider: string; kind: string; target: string }[];
  const keys: string[] = [];
  for (const e of ents) {
    if (e.provider !== 'okta') continue;
    const t = translateTarget(subject, e.kind, e.target);
    e.provider = name;
    e.kind = t.kind;
    e.target = t.target;
    keys.push(`${t.kind}:${t.target}`);
  }
  writeFileSync(entFile, stringify(ents));
  const policyFile = path.join(dir, 'policy/jml.yaml');
  const policy = parse(readFileSync(policyFile, 'utf8')) as { providers: Record<string, unknown> };
  delete policy.providers.okta;
  policy.providers[name] = connection;
  writeFileSync(policyFile, stringify(policy));
  rmSync(path.join(dir, '.jml/okta.json'), { force: true });
  return keys;
}

/** The catalog's Okta target keys of an unchanged fixture (local runs). */
export function fixtureTargetKeys(dir: string): string[] {
  const ents = parse(readFileSync(path.join(dir, 'policy/entitlements.yaml'), 'utf8')) as {
    provider: string;
    kind: string;
    target: string;
  }[];
  return ents.filter((e) => e.provider === 'okta').map((e) => `${e.kind}:${e.target}`);
}

/** Reads the embedded Okta directory of a local run as a ProviderState. */
export function localState(dir: string): ProviderState {
  const file = path.join(dir, '.jml/okta.json');
  if (!existsSync(file)) return { users: {}, targets: {} };
  return fixtureState(file, {});
}

/**
 * A plan made against the provider under test, told in the fixture's terms (Okta, its target
 * names), so that it can be compared with the fixture's expected plan. Only what the provider
 * legitimately changes is translated: its name, its targets, the simulated label, the
 * fingerprint and the commit.
 */
export function inFixtureTerms(
  plan: Plan,
  name: SubjectName,
  fixtureTargets: Map<string, { kind: string; target: string }>,
): Plan {
  // local plays Okta's part through the embedded directory already: only the sort is shared.
  const own = name === 'local' ? '\u0000' : name;
  const back = (s: string) => s.replaceAll(`on ${own}`, 'on okta');
  const provider = (p: string) => (p === own ? 'okta' : p) as Change['provider'];
  const changes = plan.changes
    .map((c) => {
      const out: Change = { ...c, provider: provider(c.provider), because: c.because.map(back) };
      out.id = c.id.startsWith(`${own}/`) ? `okta/${c.id.slice(own.length + 1)}` : c.id;
      if (c.target && c.provider === own) {
        const t = fixtureTargets.get(`${c.target.kind}:${c.target.target}`);
        if (t) out.target = { kind: t.kind as never, target: t.target };
      }
      return out;
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    ...plan,
    commit: null,
    fingerprint: '<fingerprint>',
    providers: plan.providers
      .map((p) => (p.name === own ? { ...p, name: 'okta' as const, simulated: true } : p))
      .sort((a, b) => (a.name < b.name ? -1 : 1)),
    changes,
    reported: plan.reported
      .map((r) => {
        if (r.provider !== own) return r;
        const t = r.target && fixtureTargets.get(`${r.target.kind}:${r.target.target}`);
        return {
          ...r,
          provider: 'okta' as const,
          ...(t ? { target: { kind: t.kind as never, target: t.target } } : {}),
        };
      })
      .sort((a, b) => (a.provider + a.login < b.provider + b.login ? -1 : 1)),
  };
}
