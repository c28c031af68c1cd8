/**
 * The Entra connector under the conformance suite: a started GraphFake and the real connector
 * (real SDK, real credential code) pointed at it, with workload-identity auth by default.
 */
import { type EntraConnection, entraConnection } from '../../../src/model/schema.js';
import type { ConnectorContext } from '../../../src/providers/connector.js';
import { createEntraProvider } from '../../../src/providers/entra/index.js';
import type { Provider } from '../../../src/providers/types.js';
import type { ProviderHarness, ProviderState } from '../harness.js';
import { GraphFake, type GraphFakeOptions } from './graph-fake.js';

export interface EntraHarnessOptions {
  fake?: GraphFakeOptions;
  /** Overrides of the connection (temporaryAccessPass, devicesOnLeave, auth...). */
  config?: Partial<EntraConnection>;
  /** Retry overrides and a log sink for the connector. */
  context?: Partial<ConnectorContext>;
}

export interface EntraHarness extends ProviderHarness {
  readonly fake: GraphFake;
  readonly server: GraphFake['server'];
  readonly config: EntraConnection;
}

export async function createEntraHarness(opts: EntraHarnessOptions = {}): Promise<EntraHarness> {
  const fake = new GraphFake(opts.fake);
  const url = await fake.start();
  const config = entraConnection.parse({
    tenantId: fake.tenantId,
    clientId: fake.clientId,
    graphUrl: url,
    authorityUrl: url,
    // A tenant set up as README says: new accounts get a country, so licenses can be assigned.
    usageLocation: 'US',
    ...opts.config,
  });
  const env = { ENTRA_FEDERATED_TOKEN: fake.federatedToken, ENTRA_CLIENT_SECRET: fake.clientSecret };
  const provider: Provider = createEntraProvider(config, { env, ...opts.context });
  return {
    name: 'entra',
    provider,
    fake,
    server: fake.server,
    config,
    seed: async (state, extra = []) => seed(fake, state, extra),
    state: async (targets) => stateOf(fake, targets),
    signIn: async (login) => {
      fake.signIn(login);
    },
    close: () => fake.close(),
  };
}

/** A seeded user may say when they last signed in (null: never); absent, they never did. */
type SeededUser = ProviderState['users'][string] & { lastSignIn?: string | null };

function seed(fake: GraphFake, state: ProviderState, extra: readonly string[]): void {
  fake.reset();
  for (const [login, u] of Object.entries(state.users) as [string, SeededUser][]) {
    const user = fake.addUser(login, { displayName: u.displayName, accountEnabled: u.enabled });
    fake.sessions.set(user.id, u.sessions);
    if (u.lastSignIn !== undefined) fake.setLastSignIn(login, u.lastSignIn);
  }
  for (const login of extra) fake.addUser(login);
  for (const [key, members] of Object.entries(state.targets)) {
    const [kind, target] = splitKey(key);
    if (kind === 'group') fake.addGroup(target, members);
    else if (kind === 'license') {
      const sku = fake.addSku(target);
      for (const m of members) {
        fake.userByKey(m)!.assignedLicenses!.push({ skuId: sku.skuId!, disabledPlans: [] });
        sku.consumedUnits = (sku.consumedUnits ?? 0) + 1;
      }
    }
    // app: Entra manages app access through groups; the connector refuses app targets.
  }
}

/**
 * Every user, the targets named, and every other group and license the tenant holds (an
 * administrator's console shows unmanaged groups too, and they must come through untouched).
 */
function stateOf(fake: GraphFake, targets: readonly string[]): ProviderState {
  const users: ProviderState['users'] = {};
  for (const u of fake.users.values()) {
    users[u.userPrincipalName.toLowerCase()] = {
      displayName: u.displayName ?? '',
      enabled: u.accountEnabled === true,
      sessions: fake.sessions.get(u.id) ?? 0,
    };
  }
  const keys = new Set([
    ...targets,
    ...[...fake.groups.values()].map((g) => `group:${g.displayName}`),
    ...fake.skus.map((s) => `license:${s.skuPartNumber}`),
  ]);
  const out: ProviderState['targets'] = {};
  for (const key of keys) {
    const members = membersOf(fake, key);
    if (members) out[key] = members;
  }
  return { users, targets: out };
}

function membersOf(fake: GraphFake, key: string): string[] | undefined {
  const [kind, target] = splitKey(key);
  if (kind === 'license') return fake.licenseHolders(target);
  const group = kind === 'group' ? fake.groupByName(target) : undefined;
  return group ? fake.memberUpns(group) : undefined;
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return [key.slice(0, i), key.slice(i + 1)];
}
