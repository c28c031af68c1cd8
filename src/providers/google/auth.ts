/**
 * Credentials for the Admin SDK: a service account acting as an admin through domain-wide
 * delegation (DWD), from either a service-account key file or a Workload Identity Federation
 * (external account) file. Both end in the same place: a JWT assertion with `sub` = the admin
 * subject, signed as the service account, exchanged at the OAuth token endpoint for an access
 * token carrying only the scopes this connector needs.
 *
 * Why the assertion is built here rather than by google-auth-library's `JWT` client: in 10.9.1
 * that client ignores the key file's `token_uri` (the endpoint is a constant) and retries the
 * token POST itself through gaxios, which would stack waits under the shared retry policy. The
 * exchange below has no retries of its own; a failed exchange fails the API call that needed
 * the token, and that call's `withRetry` decides. The private key and the assertion stay in this
 * module: errors carry the endpoint's status and error code only.
 */
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type BaseExternalAccountClient, ExternalAccountClient, OAuth2Client } from 'google-auth-library';
import type { GoogleConnection } from '../../model/schema.js';
import { type ConnectorContext, requireEnv } from '../connector.js';
import { GoogleAuthError } from './errors.js';

/** Only what the connector calls: users, sign-out and tokens, group members, transfers, licenses. */
export const GOOGLE_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user',
  'https://www.googleapis.com/auth/admin.directory.user.security',
  'https://www.googleapis.com/auth/admin.directory.group.member',
  // groups.list, for `jml dump` only: group.member does not cover listing groups.
  'https://www.googleapis.com/auth/admin.directory.group.readonly',
  'https://www.googleapis.com/auth/admin.datatransfer',
  'https://www.googleapis.com/auth/apps.licensing',
] as const;

/**
 * The Reports API's admin audit log, for `jml drift`'s change feed only (feed.ts). Asked for in a
 * token of its own: a delegation that does not grant it refuses the whole token request, and the
 * connector's other calls must not depend on it.
 */
export const REPORTS_SCOPE = 'https://www.googleapis.com/auth/admin.reports.audit.readonly';

const DEFAULT_TOKEN_URI = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most an hour. */
const ASSERTION_LIFETIME_S = 3600;
/** Renew a token this long before it expires, so that no request goes out with a dying one. */
const RENEW_BEFORE_MS = 5 * 60_000;

interface ServiceAccountKey {
  type: 'service_account';
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri?: string;
}

interface ExternalAccountFile {
  type: 'external_account';
  service_account_impersonation_url?: string;
  /** Not part of Google's format: where the DWD assertion is exchanged (default Google's endpoint). */
  token_uri?: string;
}

interface TokenResponse {
  access_token?: string;
  expires_in?: number;
}

interface AccessToken {
  access_token: string;
  expiry_date: number;
}

interface DwdClaims {
  iss: string;
  sub: string;
  scope: string;
  aud: string;
  iat: number;
  exp: number;
}

/** Signs a claim set as the service account: the assertion the token endpoint verifies. */
type AssertionSigner = (claims: DwdClaims) => Promise<string>;

/** Who signs, as whom, for which token endpoint. */
interface Signer {
  sign: AssertionSigner;
  /** The service account's email: the assertion's issuer. */
  issuer: string;
  tokenUri: string;
}

function base64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** RS256 JWT signed with the key file's private key (RFC 7515 compact serialisation). */
export function signWithKey(key: Pick<ServiceAccountKey, 'private_key' | 'private_key_id'>): AssertionSigner {
  return async (claims) => {
    const header = { alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key.private_key);
    return `${input}.${base64url(signature)}`;
  };
}

/**
 * IAM Credentials `signJwt`: the federated identity, impersonating the service account, asks
 * Google to sign the DWD assertion with the service account's Google-held key. The caller needs
 * roles/iam.serviceAccountTokenCreator on the service account.
 */
function signWithIam(client: BaseExternalAccountClient, url: string): AssertionSigner {
  return async (claims) => {
    const res = await client.request<{ signedJwt?: string }>({
      url,
      method: 'POST',
      data: { payload: JSON.stringify(claims) },
      retry: false,
    });
    if (!res.data.signedJwt) throw new GoogleAuthError('google: IAM signJwt returned no signed JWT');
    return res.data.signedJwt;
  };
}

/** The signJwt endpoint next to the configured generateAccessToken one, and the account it names. */
function signJwtUrl(impersonationUrl: string): { url: string; email: string } {
  const parsed = new URL(impersonationUrl);
  const match = /\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(parsed.pathname);
  if (!match) {
    throw new Error(
      'google: service_account_impersonation_url in the external account file does not name a service account',
    );
  }
  return {
    url: `${parsed.origin}/v1/projects/-/serviceAccounts/${match[1]}:signJwt`,
    email: decodeURIComponent(match[1]!),
  };
}

/**
 * Gets DWD access tokens: one exchange at a time, reused until shortly before expiry. Each
 * exchange signs a fresh assertion (iat = now), as the token endpoint rejects stale ones. A
 * failed exchange is not kept: the next call (the retry) tries again.
 */
class DelegatedTokenSource {
  private current?: AccessToken;
  private inflight?: Promise<AccessToken>;

  constructor(
    private readonly transport: OAuth2Client['transporter'],
    private readonly signer: Signer,
    private readonly subject: string,
    private readonly scopes: readonly string[],
  ) {}

  async token(): Promise<AccessToken> {
    if (this.current && this.current.expiry_date - RENEW_BEFORE_MS > Date.now()) return this.current;
    this.inflight ??= this.exchange().finally(() => {
      this.inflight = undefined;
    });
    this.current = await this.inflight;
    return this.current;
  }

  private async exchange(): Promise<AccessToken> {
    const { sign, issuer, tokenUri } = this.signer;
    const iat = Math.floor(Date.now() / 1000);
    const claims = { iss: issuer, sub: this.subject, scope: this.scopes.join(' '), aud: tokenUri, iat };
    let assertion: string;
    try {
      assertion = await sign({ ...claims, exp: iat + ASSERTION_LIFETIME_S });
    } catch (e) {
      throw GoogleAuthError.from(`google: signing the delegation assertion as ${issuer} failed`, e);
    }
    let data: TokenResponse;
    try {
      const res = await this.transport.request<TokenResponse>({
        url: tokenUri,
        method: 'POST',
        data: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        responseType: 'json',
        retry: false,
      });
      data = res.data;
    } catch (e) {
      throw GoogleAuthError.from(
        `google: the token endpoint did not grant a delegated token for ${this.subject}`,
        e,
      );
    }
    if (!data.access_token) throw new GoogleAuthError('google: the token endpoint returned no access token');
    return { access_token: data.access_token, expiry_date: Date.now() + (data.expires_in ?? 3600) * 1000 };
  }
}

function readJson(file: string, variable: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(
      `google: cannot read the credentials file named by ${variable} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Never echo the content: it is a private key or a credential configuration.
    throw new Error(`google: the credentials file named by ${variable} is not JSON`);
  }
}

/**
 * Switches off gaxios's retries on an auth client's transport. ExternalAccountClient asks for
 * them on its STS and impersonation calls (RETRY_CONFIG); the shared policy retries instead.
 */
function withoutRetries<T extends { transporter: OAuth2Client['transporter'] }>(client: T): T {
  client.transporter.interceptors.request.add({
    resolved: async (opts) => ({ ...opts, retry: false, retryConfig: undefined }),
  });
  return client;
}

function keySigner(json: Record<string, unknown>, variable: string): Signer {
  const key = json as unknown as ServiceAccountKey;
  if (
    key.type !== 'service_account' ||
    typeof key.client_email !== 'string' ||
    typeof key.private_key !== 'string'
  ) {
    throw new Error(
      `google: the file named by ${variable} is not a service-account key (type service_account, client_email, private_key)`,
    );
  }
  return { sign: signWithKey(key), issuer: key.client_email, tokenUri: key.token_uri ?? DEFAULT_TOKEN_URI };
}

function externalSigner(json: Record<string, unknown>, variable: string): Signer {
  const file = json as unknown as ExternalAccountFile;
  if (file.type !== 'external_account') {
    throw new Error(`google: the file named by ${variable} is not an external account configuration`);
  }
  const impersonation = file.service_account_impersonation_url;
  if (!impersonation) {
    throw new Error(
      'google: domain-wide delegation with Workload Identity Federation needs service_account_impersonation_url ' +
        '(a federated identity cannot sign a delegation assertion itself); add the service account to the configuration',
    );
  }
  const client = ExternalAccountClient.fromJSON(
    json as unknown as Parameters<typeof ExternalAccountClient.fromJSON>[0],
  );
  if (!client) throw new Error(`google: the file named by ${variable} is not a supported external account`);
  withoutRetries(client);
  // The STS exchange has a transport of its own (a protected member in 10.x), with retries on.
  const sts = (client as unknown as { stsCredential?: { transporter: OAuth2Client['transporter'] } })
    .stsCredential;
  if (sts) withoutRetries(sts);
  const { url, email } = signJwtUrl(impersonation);
  return { sign: signWithIam(client, url), issuer: email, tokenUri: file.token_uri ?? DEFAULT_TOKEN_URI };
}

/**
 * The authenticated client every Admin SDK and licensing call goes through. Reads the file the
 * configured variable names; throws a clear error (naming the variable, never its content) when
 * it is missing or malformed. `scopes`: what its tokens ask for (the Reports feed asks for its own).
 */
export function createGoogleAuth(
  config: GoogleConnection,
  ctx: ConnectorContext,
  scopes: readonly string[] = GOOGLE_SCOPES,
): OAuth2Client {
  const variable = config.credentialsEnv;
  const json = readJson(requireEnv(ctx.env, variable, 'google', 'credentialsEnv'), variable);
  const signer =
    config.auth === 'service-account-key' ? keySigner(json, variable) : externalSigner(json, variable);
  const client = withoutRetries(new OAuth2Client());
  const source = new DelegatedTokenSource(client.transporter, signer, config.adminSubject, scopes);
  client.refreshHandler = () => source.token();
  return client;
}
