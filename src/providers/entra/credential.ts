/**
 * The app's token for Graph: the OAuth 2.0 client-credentials grant against
 * `${authorityUrl}/${tenantId}/oauth2/v2.0/token`, proving the app either with the federated OIDC
 * token of the workflow (`client_assertion`, workload identity federation: no secret at all) or
 * with a client secret.
 *
 * Why not `@azure/identity`'s ClientAssertionCredential / ClientSecretCredential: they run on
 * MSAL, which refuses any authority that is not https (`authority_uri_insecure` in msal-common's
 * UrlString.validateAsUri), so the credential code could never run against the loopback fake and
 * would reach production untested. This is the same grant MSAL sends, in forty lines, and it is
 * exercised by every test. It implements `TokenCredential`, so swapping MSAL back in is local.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import {
  type Failure,
  isTransientNetworkError,
  type RetryOptions,
  retryAfterMs,
  withRetry,
} from '../retry.js';

/** How the app proves who it is; `value` is a credential and never leaves this module. */
export type ClientProof =
  | { kind: 'client-assertion'; value: string }
  | { kind: 'client-secret'; value: string };

export interface ClientCredentialsOptions {
  authorityUrl: string;
  tenantId: string;
  clientId: string;
  proof: ClientProof;
  retry?: Partial<RetryOptions>;
}

/** Refresh this long before expiry, so that a token never dies in the middle of an apply. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** What the token endpoint answers on error (RFC 6749 section 5.2, plus Entra's AADSTS codes). */
interface TokenError {
  error?: string;
  error_description?: string;
}

class TokenRequestError extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'TokenRequestError';
  }
}

export class ClientCredentialsToken implements TokenCredential {
  private cached?: AccessToken;
  private pending?: Promise<AccessToken>;

  constructor(private readonly opts: ClientCredentialsOptions) {}

  async getToken(scopes: string | string[]): Promise<AccessToken> {
    if (this.cached && this.cached.expiresOnTimestamp - REFRESH_MARGIN_MS > this.now()) return this.cached;
    // One request for everyone waiting: a $batch burst must not ask for twenty tokens.
    this.pending ??= this.requestToken(Array.isArray(scopes) ? scopes.join(' ') : scopes).finally(() => {
      this.pending = undefined;
    });
    this.cached = await this.pending;
    return this.cached;
  }

  private async requestToken(scope: string): Promise<AccessToken> {
    const { authorityUrl, tenantId, clientId, proof } = this.opts;
    const form = new URLSearchParams({ client_id: clientId, scope, grant_type: 'client_credentials' });
    if (proof.kind === 'client-secret') form.set('client_secret', proof.value);
    else {
      form.set('client_assertion_type', JWT_BEARER);
      form.set('client_assertion', proof.value);
    }
    const url = `${authorityUrl.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
    const sent = this.now();
    const body = await withRetry(
      async () => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        });
        const json = (await res.json().catch(() => ({}))) as TokenError & {
          access_token?: string;
          expires_in?: number;
        };
        if (res.ok && json.access_token) return json;
        throw new TokenRequestError(this.describe(res, json));
      },
      (e) => this.classify(e),
      this.opts.retry,
    ).catch((e: unknown) => {
      throw new Error(
        `entra: signing in as app ${clientId} to tenant ${tenantId} failed: ${this.message(e)}`,
      );
    });
    return { token: body.access_token!, expiresOnTimestamp: sent + (body.expires_in ?? 3599) * 1000 };
  }

  /** The retry policy's clock, so that a test's fake time also ages the token. */
  private now(): number {
    return this.opts.retry?.now?.() ?? Date.now();
  }

  private describe(res: Response, json: TokenError): Failure {
    // Only the first line of the description: the rest is trace and correlation ids.
    const why = (json.error_description ?? '').split(/\r?\n/)[0]?.trim();
    return {
      status: res.status,
      retryable: res.status === 429 || res.status >= 500,
      retryAfterMs: retryAfterMs(res.headers.get('retry-after'), this.now()),
      message: this.scrub(`${res.status} ${json.error ?? 'error'}${why ? ` (${why})` : ''}`),
    };
  }

  private classify(e: unknown): Failure {
    if (e instanceof TokenRequestError) return e.failure;
    const cause = (e as { cause?: unknown }).cause;
    const transient = isTransientNetworkError(e) || isTransientNetworkError(cause);
    return { retryable: transient, message: this.message(e) };
  }

  private message(e: unknown): string {
    if (e instanceof TokenRequestError) return e.failure.message;
    const code = (e as { cause?: { code?: string } }).cause?.code;
    return this.scrub(`${(e as Error).message}${code ? ` (${code})` : ''}`);
  }

  /** The endpoint never echoes the credential, but a message must not be the one place that does. */
  private scrub(text: string): string {
    return text.split(this.opts.proof.value).join('[redacted]');
  }
}
