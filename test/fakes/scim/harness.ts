/**
 * The SCIM connector under test, pointed at ScimFake (SCIMMY behind the quirk layer): one
 * connection named `corp` by default, its bearer token in an environment variable. Seeds and
 * inspects the app as its administrator would. Group targets are `<connection>/<group>`; an app
 * target `<connection>` holds the app's active users.
 */
import type { ScimApp, ScimQuirks } from '../../../src/model/providers.js';
import type { ConnectorContext } from '../../../src/providers/connector.js';
import { createScimProvider } from '../../../src/providers/scim/index.js';
import type { ProviderHarness, ProviderState } from '../harness.js';
import { ScimFake } from './scim-fake.js';

export const SCIM_CONNECTION = 'corp';
export const SCIM_TOKEN_ENV = 'JML_SCIM_TEST_TOKEN';

export interface ScimHarnessOptions {
  quirks?: Partial<ScimQuirks>;
  /** Retry overrides (fake clocks, small budgets) and a log sink, as the engine would pass. */
  ctx?: Omit<ConnectorContext, 'env'>;
  requestsPerMinute?: number;
}

export interface ScimHarness extends ProviderHarness {
  readonly fake: ScimFake;
  /** policy/jml.yaml providers.scim for this fake. */
  readonly config: { connections: Record<string, ScimApp> };
  readonly env: Record<string, string>;
}

export async function createScimHarness(opts: ScimHarnessOptions = {}): Promise<ScimHarness> {
  const fake = new ScimFake({ quirks: opts.quirks ?? {} });
  await fake.start();
  const app: ScimApp = {
    baseUrl: fake.baseUrl,
    tokenEnv: SCIM_TOKEN_ENV,
    ...(opts.requestsPerMinute ? { requestsPerMinute: opts.requestsPerMinute } : {}),
    quirks: { patch: true, filter: true, memberRemoval: 'valuePath', ...opts.quirks },
  };
  const config = { connections: { [SCIM_CONNECTION]: app } };
  const env = { [SCIM_TOKEN_ENV]: fake.token };
  const provider = createScimProvider(config, { ...opts.ctx, env });
  const { store } = fake;
  return {
    name: 'scim',
    provider,
    server: fake.server,
    fake,
    config,
    env,
    async seed(state: ProviderState, extra: string[] = []) {
      store.clear();
      fake.sessions.clear();
      for (const [login, u] of Object.entries(state.users)) {
        const made = store.addUser({ userName: login, displayName: u.displayName, active: u.enabled });
        if (u.sessions > 0) fake.sessions.set(made.id, u.sessions);
      }
      for (const login of extra)
        if (!store.userByName(login)) store.addUser({ userName: login, active: true });
      for (const [key, members] of Object.entries(state.targets)) {
        const [kind, target] = splitKey(key);
        if (kind === 'app') {
          if (target !== SCIM_CONNECTION)
            throw new Error(`scim harness: ${key}: this fake is connection ${SCIM_CONNECTION}`);
          continue; // an app target is its active users: seeded with the users
        }
        if (kind !== 'group' || !target.startsWith(`${SCIM_CONNECTION}/`)) {
          throw new Error(
            `scim harness: ${key}: targets are group:${SCIM_CONNECTION}/<name> or app:${SCIM_CONNECTION}`,
          );
        }
        const ids = members.map((login) => {
          const u = store.userByName(login) ?? store.addUser({ userName: login, active: true });
          return u.id;
        });
        store.addGroup(target.slice(SCIM_CONNECTION.length + 1), ids);
      }
    },
    async state(targets: readonly string[]) {
      const users: ProviderState['users'] = {};
      for (const u of store.users.values()) {
        users[u.userName.toLowerCase()] = {
          displayName: u.displayName ?? u.userName,
          enabled: u.active,
          sessions: fake.sessions.get(u.id) ?? 0,
        };
      }
      const out: ProviderState['targets'] = {};
      for (const key of targets) {
        const [kind, target] = splitKey(key);
        if (kind === 'app') {
          out[key] = [...store.users.values()]
            .filter((u) => u.active)
            .map((u) => u.userName.toLowerCase())
            .sort();
          continue;
        }
        const g = store.groupByName(target.slice(SCIM_CONNECTION.length + 1));
        if (!g) continue;
        out[key] = g.members.map((m) => store.users.get(m.value)?.userName.toLowerCase() ?? m.value).sort();
      }
      return { users, targets: out };
    },
    async signIn(login: string) {
      fake.signIn(login);
    },
    close: () => fake.close(),
  };
}

function splitKey(key: string): [string, string] {
  const i = key.indexOf(':');
  return [key.slice(0, i), key.slice(i + 1)];
}
