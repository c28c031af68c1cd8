/**
 * The conformance harness for Okta: the real connector and the real SDK against an OktaFake.
 * State goes in and comes out in the embedded directory's shape. Mapping: an enabled user is
 * ACTIVE, a disabled one SUSPENDED; `group:X` is an OKTA_GROUP named X, `app:X` an ACTIVE
 * bookmark app labelled X. A DEPROVISIONED user (jml's deleteUser is Okta's deactivate) is
 * reported as gone, as the connector reads it. With `membershipLag`, group reads lag behind
 * writes as Okta's do: a second plan right after an apply may still see the old members, so
 * the suite waits `membershipLag.ms` (or reads `membershipLag.reads` times) before it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { type OktaConnection, oktaConnection } from '../../../src/model/schema.js';
import { createOktaProvider, OKTA_ENABLED_STATUSES } from '../../../src/providers/okta/index.js';
import type { RetryOptions } from '../../../src/providers/retry.js';
import type { Fault } from '../fake-server.js';
import type { ProviderHarness, ProviderState } from '../harness.js';
import { OktaFake, type OktaFakeOptions } from './okta-fake.js';

export interface OktaHarnessOptions extends OktaFakeOptions {
  /** 'private-key-jwt' (default): a service app with a registered RSA key; 'ssws': an API token. */
  auth?: 'private-key-jwt' | 'ssws';
  /** Scopes granted to (and requested by) the service app. */
  scopes?: string[];
  retry?: Partial<RetryOptions>;
  log?: (line: string) => void;
}

export interface OktaHarness extends ProviderHarness {
  readonly fake: OktaFake;
  /** The policy/jml.yaml section and environment that connect a connector to the fake. */
  readonly config: OktaConnection;
  readonly env: Record<string, string>;
  /** The credential the connector was given (for tests proving it never leaks). */
  readonly secret: string;
}

const errorBody = (errorCode: string, errorSummary: string) => ({
  errorCode,
  errorSummary,
  errorLink: errorCode,
  errorId: 'oaeFakeFault0000000000',
  errorCauses: [],
});

/** A write Okta refuses for good: the service app lacks the right to change group members. */
export const OKTA_REFUSED_WRITE: Fault = {
  kind: 'status',
  method: 'PUT',
  path: /^\/api\/v1\/groups\/[^/]+\/users\/[^/?]+/,
  status: 403,
  body: errorBody('E0000006', 'You do not have permission to perform the requested action'),
  times: 1,
};

/**
 * Okta's 429, on an apply write: the suspend of a leaver (the conformance suite's throttle test
 * runs the high-risk-leaver scenario: suspend, clear sessions, group removals), so the wait is
 * honoured by the writes and not only by the token request. Its X-Rate-Limit-Reset (epoch
 * seconds) is fixed when the fault is made, so it is given as 0 (already past): the connector
 * then waits Okta's one-second rounding, `waitMs`.
 */
export const OKTA_THROTTLE: { fault: Fault; waitMs: number } = {
  fault: {
    kind: 'status',
    method: 'POST',
    path: /^\/api\/v1\/users\/[^/]+\/lifecycle\/suspend/,
    status: 429,
    headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '0' },
    body: errorBody('E0000047', 'API call exceeded rate limit due to too many requests.'),
    times: 3,
  },
  waitMs: 1000,
};

const CLIENT_ID = '0oa1jmlserviceapp';

/** A seeded user may say when they last signed in (null or absent: never). */
type SeededUser = ProviderState['users'][string] & { lastSignIn?: string | null };

export async function createOktaHarness(opts: OktaHarnessOptions = {}): Promise<OktaHarness> {
  const fake = new OktaFake(opts);
  await fake.start();
  const scopes = opts.scopes ?? ['okta.users.manage', 'okta.groups.manage', 'okta.apps.manage'];
  let env: Record<string, string>;
  let secret: string;
  if (opts.auth === 'ssws') {
    secret = `00${'x'.repeat(8)}${Math.random().toString(36).slice(2)}`;
    fake.addApiToken(secret);
    env = { OKTA_API_TOKEN: secret };
  } else {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    secret = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    fake.registerServiceApp({ clientId: CLIENT_ID, publicKey, scopes });
    env = { OKTA_PRIVATE_KEY: secret };
  }
  const config = oktaConnection.parse({
    orgUrl: fake.url,
    auth: opts.auth ?? 'private-key-jwt',
    clientId: CLIENT_ID,
    scopes,
  });
  const provider = createOktaProvider(config, { env, retry: opts.retry, log: opts.log });
  return {
    name: 'okta',
    provider,
    server: fake.server,
    fake,
    config,
    env,
    secret,
    async seed(state: ProviderState, extra: string[] = []) {
      fake.reset();
      for (const [login, u] of Object.entries(state.users) as [string, SeededUser][]) {
        fake.addUser({ login, displayName: u.displayName, status: u.enabled ? 'ACTIVE' : 'SUSPENDED' });
        const user = fake.userByLogin(login)!;
        for (let i = 0; i < u.sessions; i++) user.signIns.push({ session: true, token: true });
        if (u.lastSignIn) user.lastLogin = `${new Date(u.lastSignIn).toISOString().slice(0, 19)}.000Z`;
      }
      for (const login of extra) fake.addUser({ login });
      for (const [key, members] of Object.entries(state.targets)) {
        const { kind, target } = splitKey(key);
        if (kind === 'group') fake.addGroup(target);
        else fake.addApp(target);
        for (const m of members) {
          // In Okta every member is an account: a member the state names without one gets one.
          if (!fake.userByLogin(m)) fake.addUser({ login: m });
          if (kind === 'group') fake.addMember(target, m);
          else fake.assignApp(target, m);
        }
      }
    },
    async state(targets: readonly string[]): Promise<ProviderState> {
      const users: ProviderState['users'] = {};
      for (const u of fake.users.values()) {
        if (u.status === 'DEPROVISIONED') continue;
        const login = u.profile.login.toLowerCase();
        users[login] = {
          displayName: u.profile.displayName ?? `${u.profile.firstName} ${u.profile.lastName}`,
          enabled: OKTA_ENABLED_STATUSES.has(u.status),
          sessions: fake.liveSessions(login),
        };
      }
      const out: ProviderState['targets'] = {};
      for (const key of targets) {
        const { kind, target } = splitKey(key);
        const exists = kind === 'group' ? fake.hasGroup(target) : fake.hasApp(target);
        if (!exists) continue;
        const members = kind === 'group' ? fake.groupMembers(target) : fake.appMembers(target);
        out[key] = members.filter((m) => m in users);
      }
      return { users, targets: out };
    },
    async signIn(login: string) {
      fake.signIn(login);
    },
    close: () => fake.close(),
  };
}

function splitKey(key: string): { kind: 'group' | 'app'; target: string } {
  const i = key.indexOf(':');
  const kind = key.slice(0, i);
  if (kind !== 'group' && kind !== 'app')
    throw new Error(`okta harness: ${kind} is not an Okta kind (${key})`);
  return { kind, target: key.slice(i + 1) };
}
