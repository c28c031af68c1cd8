/**
 * Okta connector factory, loaded by ./descriptor.ts only when policy/jml.yaml connects a real org.
 * Credentials come only from the environment variables policy/jml.yaml names: a private key for
 * an API service app (`private-key-jwt`, scoped okta.* permissions, recommended) or an SSWS API
 * token (`ssws`, which carries an administrator's full rights: supported, not recommended).
 */
import { createPrivateKey, type JsonWebKey } from 'node:crypto';
import { Client } from '@okta/okta-sdk-nodejs';
import type { OktaConnection } from '../../model/schema.js';
import type { SavedFeed } from '../change-feed.js';
import { type ConnectorContext, requireEnv } from '../connector.js';
import { DEFAULT_RETRY, RateGate } from '../retry.js';
import type { Provider, Scope } from '../types.js';
import { secretRedactor } from './errors.js';
import { readOktaChanges } from './feed.js';
import { OktaProvider } from './okta-provider.js';
import { GovernedRequestExecutor } from './request-executor.js';

export { OKTA_ENABLED_STATUSES, OktaProvider } from './okta-provider.js';

export function createOktaProvider(config: OktaConnection, ctx: ConnectorContext): Provider {
  const retry = { ...DEFAULT_RETRY, ...ctx.retry };
  const gate = new RateGate(retry);
  const { credentials, secret } = oktaCredentials(config, ctx.env);
  // The access token in use is a secret too; the client that holds it is made just below.
  let client: Client | undefined;
  const redact = secretRedactor([secret], () => client?.oauth?.accessToken?.access_token);
  const requestExecutor = new GovernedRequestExecutor({ gate, retry, log: ctx.log, redact });
  client = new Client({
    orgUrl: config.orgUrl.replace(/\/+$/, ''),
    ...credentials,
    // Without this the SDK answers repeated GETs from its cache: a plan would read stale state.
    cacheMiddleware: null,
    requestExecutor,
  });
  shareTokenRequests(client);
  const sdk = client;
  const feed = (scope: Scope, saved: SavedFeed | undefined) => readOktaChanges(sdk, scope, saved, retry.now);
  return new OktaProvider(client, { redact, feed });
}

/** The SDK's getAccessToken as it really is: its typings omit the DPoP nonce it takes. */
type GetAccessToken = (dpopNonce?: string | null) => ReturnType<Client['oauth']['getAccessToken']>;

/**
 * The SDK asks the token endpoint for every request made before a token is cached, so a read
 * starting three listings at once would fetch three tokens. Concurrent callers share one. A
 * call with a DPoP nonce is the SDK's own retry of a refused token request: it is passed
 * through as is and never shared (the nonce belongs to that retry alone).
 */
export function shareTokenRequests(client: { oauth?: Pick<Client['oauth'], 'getAccessToken'> }): void {
  const oauth = client.oauth;
  if (!oauth) return;
  const fetchToken: GetAccessToken = oauth.getAccessToken.bind(oauth);
  let pending: ReturnType<GetAccessToken> | undefined;
  const shared: GetAccessToken = (dpopNonce) => {
    if (dpopNonce) return fetchToken(dpopNonce);
    pending ??= fetchToken().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  oauth.getAccessToken = shared;
}

type Credentials =
  | { authorizationMode: 'SSWS'; token: string }
  | {
      authorizationMode: 'PrivateKey';
      clientId: string;
      scopes: string[];
      privateKey: string;
      keyId?: string;
    };

function oktaCredentials(
  config: OktaConnection,
  env: NodeJS.ProcessEnv,
): { credentials: Credentials; secret: string } {
  if (config.auth === 'ssws') {
    const token = requireEnv(env, config.tokenEnv, 'okta', 'tokenEnv');
    return { credentials: { authorizationMode: 'SSWS', token }, secret: token };
  }
  if (!config.clientId) {
    throw new Error(
      'okta: providers.okta.clientId is required with auth private-key-jwt (the API service app)',
    );
  }
  const privateKey = requireEnv(env, config.privateKeyEnv, 'okta', 'privateKeyEnv');
  return {
    credentials: {
      authorizationMode: 'PrivateKey',
      clientId: config.clientId,
      scopes: config.scopes,
      privateKey,
      ...inspectPrivateKey(privateKey, config.privateKeyEnv),
    },
    secret: privateKey,
  };
}

/**
 * Checks the private key before the SDK sees it, and returns a JWK's `kid` (Okta needs it when
 * the app has several keys; PEM has none). Only RSA keys work: the SDK (8.1.0, njwt) signs ES256
 * with an RSA digest, which Node 20 refuses. Errors name the variable, never the key.
 */
function inspectPrivateKey(text: string, envName: string): { keyId?: string } {
  let jwk: (JsonWebKey & { kid?: unknown }) | undefined;
  let type: string | undefined;
  try {
    if (text.trimStart().startsWith('{')) jwk = JSON.parse(text) as JsonWebKey & { kid?: unknown };
    type = (jwk ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPrivateKey(text)).asymmetricKeyType;
  } catch {
    throw new Error(`okta: ${envName} does not hold a private key (PEM or JWK)`);
  }
  if (type !== 'rsa') {
    throw new Error(
      `okta: ${envName} holds a key of type ${type}; the Okta SDK signs client assertions only with RSA keys (RS256): register an RSA key for the service app`,
    );
  }
  return typeof jwk?.kid === 'string' ? { keyId: jwk.kid } : {};
}
