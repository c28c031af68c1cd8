/** The example organisation applied to the embedded providers, then changed by hand. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ReviewItem } from '../../src/model/schema.js';
import { copyExample, editDirectory, jml, readDirectory } from '../engine/helpers.js';
import type { ProviderState } from '../fakes/harness.js';
import { createOktaHarness, type OktaHarness } from '../fakes/okta/index.js';

export const T0 = '2026-12-01';
export const AT = '2027-01-04T09:00:00-05:00';
export const Q = '2027-Q1';
export const STRANGER = 'mallory.unknown@example.com';

/** A pending review item `person/provider/entitlement` granted by the engineer role, `extra` over it. */
export function reviewItem(id: string, person: string, extra: Partial<ReviewItem> = {}): ReviewItem {
  const [, provider, entitlement] = id.split('/');
  return {
    id,
    person,
    account: `${person}@example.com`,
    provider: provider as ReviewItem['provider'],
    entitlement: entitlement!,
    target: entitlement!,
    risk: 'low',
    source: { kind: 'role', id: 'engineer', at: `people/${person}.yaml:15` },
    accountEnabled: true,
    lastSignIn: null,
    inactive: null,
    exceptionExpiresSoon: false,
    decision: 'pending',
    justification: '',
    ...extra,
  };
}

/** The example applied at T0, then changed by hand on the providers. */
export async function driftedExample(): Promise<string> {
  const dir = copyExample();
  const applied = await jml(
    dir,
    'apply',
    '--confirm',
    '--at',
    T0,
    '--allow-mass-removal',
    '--allow-mass-disable',
  );
  expect(applied.code, applied.err).toBe(0);
  // An orphaned grant: alice.nguyen added by hand to a managed local group she does not hold.
  const local = readDirectory(dir, 'local');
  const orphanTarget = Object.keys(local.targets)
    .sort()
    .find((k) => !local.targets[k]!.includes('alice.nguyen@example.com'))!;
  editDirectory(dir, 'local', (d) => {
    d.targets[orphanTarget]!.push('alice.nguyen@example.com', STRANGER);
    // An inactive user: ben.carter last signed in long ago; grace.lin yesterday.
    d.users['ben.carter@example.com']!.lastSignIn = '2026-06-01T12:00:00.000Z';
    d.users['grace.lin@example.com']!.lastSignIn = '2027-01-03T12:00:00.000Z';
  });
  return dir;
}

/** The example's Okta moved onto the Okta fake, its real connector configured in policy/jml.yaml. */
export interface OktaOnFake {
  harness: OktaHarness;
  /** The catalog's Okta target keys (`group:...`, `app:...`). */
  keys: string[];
  /** The managed Okta group alice.nguyen was added to by hand: an orphaned grant on Okta. */
  orphanTarget: string;
  /** Who holds what on the fake now, for the catalog's targets. */
  targets(): Promise<ProviderState['targets']>;
  /** Closes the fake and puts back the environment as it was. */
  close(): Promise<void>;
}

/**
 * Replaces the embedded Okta of an applied example (driftedExample) with the real Okta
 * connector on its loopback fake: alice.nguyen is first added by hand to a managed Okta group
 * she does not hold (an orphaned grant), then the embedded directory's users (with their last
 * sign-ins) and targets seed the fake, policy/jml.yaml's providers.okta becomes the harness's
 * connection, the embedded file goes, and the connector's credentials are set in process.env.
 */
export async function oktaOnFake(dir: string): Promise<OktaOnFake> {
  const before = readDirectory(dir, 'okta');
  const orphanTarget = Object.keys(before.targets)
    .filter((k) => k.startsWith('group:'))
    .sort()
    .find((k) => !before.targets[k]!.includes('alice.nguyen@example.com'))!;
  expect(orphanTarget).toBeDefined();
  editDirectory(dir, 'okta', (d) => {
    d.targets[orphanTarget]!.push('alice.nguyen@example.com');
  });
  const data = readDirectory(dir, 'okta');
  const users: Record<string, ProviderState['users'][string] & { lastSignIn?: string | null }> = {};
  for (const [login, u] of Object.entries(data.users))
    users[login] = {
      displayName: u.displayName,
      enabled: u.enabled,
      sessions: u.sessions.length,
      ...(u.lastSignIn !== undefined ? { lastSignIn: u.lastSignIn } : {}),
    };
  const targets: ProviderState['targets'] = {};
  for (const [key, members] of Object.entries(data.targets)) targets[key] = [...members].sort();
  const ents = parse(readFileSync(path.join(dir, 'policy/entitlements.yaml'), 'utf8')) as {
    provider: string;
    kind: string;
    target: string;
  }[];
  const keys = ents.filter((e) => e.provider === 'okta').map((e) => `${e.kind}:${e.target}`);
  // Every managed target exists on Okta, empty when nobody holds it yet.
  for (const k of keys) targets[k] ??= [];

  const harness = await createOktaHarness();
  await harness.seed({ users, targets });
  const policyFile = path.join(dir, 'policy/jml.yaml');
  const policy = parse(readFileSync(policyFile, 'utf8')) as { providers: Record<string, unknown> };
  policy.providers.okta = { ...harness.config };
  writeFileSync(policyFile, stringify(policy));
  rmSync(path.join(dir, '.jml/okta.json'), { force: true });
  const saved = new Map(Object.keys(harness.env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, harness.env);
  return {
    harness,
    keys,
    orphanTarget,
    targets: async () => (await harness.state(keys)).targets,
    close: async () => {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await harness.close();
    },
  };
}
