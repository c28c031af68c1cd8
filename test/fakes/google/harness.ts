/**
 * The Google connector under test, pointed at a GoogleFake: a service-account key generated for
 * the run (its token_uri is the fake's /token), domain-wide delegation to admin@example.com, and
 * the fake's Admin SDK and licensing endpoints. Seeds and inspects the fake as an administrator
 * in the Admin console would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GoogleConnection } from '../../../src/model/schema.js';
import type { ConnectorContext } from '../../../src/providers/connector.js';
import { createGoogleProvider } from '../../../src/providers/google/index.js';
import type { ProviderHarness, ProviderState } from '../harness.js';
import { GoogleFake, type GoogleFakeOptions } from './google-fake.js';

export const ADMIN_SUBJECT = 'admin@example.com';
export const CREDENTIALS_ENV = 'JML_GOOGLE_TEST_CREDENTIALS';

/** A seeded user may say when they last signed in (null or absent: never). */
type SeededUser = ProviderState['users'][string] & { lastSignIn?: string | null };

export interface GoogleHarnessOptions {
  fake?: GoogleFakeOptions;
  /** Retry overrides (fake clocks, small budgets) and a log sink, as the engine would pass. */
  ctx?: Omit<ConnectorContext, 'env'>;
  /** Changes to the connection (e.g. another admin subject). */
  config?: Partial<GoogleConnection>;
}

export interface GoogleHarness extends ProviderHarness {
  readonly fake: GoogleFake;
  readonly config: GoogleConnection;
  /** The key file written for this run (deleted on close). */
  readonly keyFile: string;
}

/** Starts a fake and returns the connector wired to it; call close() when done. */
export async function createGoogleHarness(opts: GoogleHarnessOptions = {}): Promise<GoogleHarness> {
  const fake = new GoogleFake({ admins: [ADMIN_SUBJECT], ...opts.fake });
  const url = await fake.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'jml-google-'));
  const keyFile = path.join(dir, 'key.json');
  writeFileSync(
    keyFile,
    JSON.stringify(fake.createServiceAccountKey('jml@jml-test.iam.gserviceaccount.com')),
    {
      mode: 0o600,
    },
  );
  const config: GoogleConnection = {
    customer: 'my_customer',
    adminSubject: ADMIN_SUBJECT,
    auth: 'service-account-key',
    credentialsEnv: CREDENTIALS_ENV,
    rootUrl: `${url}/`,
    licensingUrl: `${url}/`,
    dataTransferTo: 'manager',
    ...opts.config,
  };
  const provider = createGoogleProvider(config, { ...opts.ctx, env: { [CREDENTIALS_ENV]: keyFile } });

  return {
    name: 'google',
    provider,
    server: fake.server,
    fake,
    config,
    keyFile,
    async seed(state: ProviderState, extra: string[] = []) {
      fake.users.clear();
      fake.groups.clear();
      fake.licenses.clear();
      fake.transfers.length = 0;
      fake.forgetHistory();
      for (const [login, u] of Object.entries(state.users) as [string, SeededUser][]) {
        fake.addUser(login, {
          displayName: u.displayName,
          suspended: !u.enabled,
          sessions: u.sessions,
          ...(u.lastSignIn ? { lastLoginTime: u.lastSignIn } : {}),
        });
      }
      for (const login of extra) fake.addUser(login);
      for (const [key, members] of Object.entries(state.targets)) {
        const i = key.indexOf(':');
        const kind = key.slice(0, i);
        const target = key.slice(i + 1);
        if (kind === 'group') fake.addGroup(target, members);
        else if (kind === 'license') fake.addLicense(target, members);
        else throw new Error(`google harness: ${key}: Google Workspace has no ${kind} targets (use a group)`);
      }
    },
    async state(targets: readonly string[]) {
      const users: ProviderState['users'] = {};
      for (const u of fake.users.values()) {
        users[u.primaryEmail] = {
          displayName: `${u.givenName} ${u.familyName}`,
          enabled: !u.suspended,
          sessions: u.sessions + u.tokens.length,
        };
      }
      const out: ProviderState['targets'] = {};
      for (const key of targets) {
        const i = key.indexOf(':');
        const kind = key.slice(0, i);
        const target = key.slice(i + 1);
        const members = kind === 'group' ? fake.userMembers(target) : fake.licenses.get(target);
        if (members) out[key] = [...members].sort();
      }
      return { users, targets: out };
    },
    async signIn(login: string) {
      fake.signIn(login);
    },
    async close() {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
