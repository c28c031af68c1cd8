/**
 * What went wrong, said without secrets. The SDK's errors carry the response headers and the
 * request URL, and node-fetch's carry the request; none of that is ever shown. Every message is
 * rebuilt from the status and Okta's own error code and summary, or a network error's code.
 */
import { OktaApiError } from '@okta/okta-sdk-nodejs';
import { type Failure, isTransientNetworkError, oktaResetMs, RetryError } from '../retry.js';

/** An answer the executor refuses to hand to the SDK: throttled, a 5xx, or a refused token request. */
export class OktaResponseError extends Error {
  constructor(
    readonly status: number,
    /** Okta's `errorCode` (E0000047) or the OAuth `error` (invalid_client). */
    readonly code: string | undefined,
    readonly summary: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`HTTP ${status}${code ? ` ${code}` : ''}${summary ? `: ${summary}` : ''}`);
    this.name = 'OktaResponseError';
  }
}

/** Whether an answer is worth another attempt: throttling and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
  error?: string;
  error_description?: string;
}

/** Builds the error for an answer from its status, headers and body text. */
export function responseError(
  status: number,
  headers: { get(name: string): string | null },
  text: string,
  now: number,
): OktaResponseError {
  let body: OktaErrorBody = {};
  try {
    body = JSON.parse(text) as OktaErrorBody;
  } catch {
    // Not JSON (a proxy's HTML page): the status says enough.
  }
  const retryAfterMs =
    status === 429 ? oktaResetMs(headers.get('x-rate-limit-reset'), headers.get('date'), now) : undefined;
  return new OktaResponseError(
    status,
    body.errorCode ?? body.error,
    body.errorSummary ?? body.error_description ?? '',
    retryAfterMs,
  );
}

/** The shared retry policy's view of an executor error. */
export function classifyOkta(error: unknown): Failure {
  if (error instanceof OktaResponseError) {
    return {
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      retryable: isRetryableStatus(error.status),
      message: error.message,
    };
  }
  const code = (error as { code?: string } | null)?.code;
  if (isTransientNetworkError(error)) return { retryable: true, message: `network error (${code})` };
  return { retryable: false, message: describeOktaError(error) };
}

/** One line about an error from the SDK or the executor, without URLs, headers or credentials. */
export function describeOktaError(error: unknown): string {
  if (error instanceof OktaApiError) {
    const causes = (error.errorCauses ?? []).map((c) => c.errorSummary).filter(Boolean);
    const code = error.errorCode ? ` ${error.errorCode}` : '';
    return `HTTP ${error.status}${code}: ${error.errorSummary}${causes.length ? ` (${causes.join('; ')})` : ''}`;
  }
  if (error instanceof OktaResponseError || error instanceof RetryError) return error.message;
  const e = error as { name?: string; status?: number; code?: string; message?: string } | null;
  if (e?.name === 'HttpError') return `HTTP ${e.status} (not an Okta API answer)`;
  if (e?.name === 'FetchError') return `network error (${e.code ?? 'no answer'})`;
  return e?.message ?? String(error);
}

/** Okta's error code and causes, to recognise "already done" answers. */
export function oktaErrorCode(error: unknown): { status?: number; code?: string; causes: string[] } {
  if (error instanceof OktaApiError) {
    return {
      status: Number(error.status),
      code: String(error.errorCode),
      causes: (error.errorCauses ?? []).map((c) => c.errorSummary ?? ''),
    };
  }
  if (error instanceof RetryError) return { status: error.failure.status, causes: [] };
  return { causes: [] };
}

/** Lines shorter than this are not redacted on their own: a PEM's "-----END ...-----" is no secret. */
const SECRET_LINE_MIN = 16;
/** Credentials as they travel in headers and token requests, whatever their value. */
const AUTHORIZATION = /\b(SSWS|Bearer|DPoP) \S+/g;
const CLIENT_ASSERTION = /client_assertion=[^&\s]+/g;

/**
 * Removes credentials from a text: each configured secret whole and each of its lines (a PEM
 * key quoted line by line), the access token in use, and anything shaped like an Authorization
 * header or a client assertion. Every error text and log line goes through it.
 */
export function secretRedactor(
  secrets: readonly string[],
  currentToken: () => string | undefined,
): (text: string) => string {
  const parts = new Set<string>();
  for (const s of secrets) {
    if (s) parts.add(s);
    for (const line of s.split(/\r?\n/)) if (line.trim().length > SECRET_LINE_MIN) parts.add(line.trim());
  }
  // The longest first, so that a whole secret goes before its lines.
  const known = [...parts].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    const token = currentToken();
    for (const s of token ? [token, ...known] : known) out = out.split(s).join('[redacted]');
    return out
      .replace(AUTHORIZATION, '$1 [redacted]')
      .replace(CLIENT_ASSERTION, 'client_assertion=[redacted]');
  };
}

/** Okta's refusal to unassign an app from a user whose access comes from a group (403 E0000046). */
export function isGroupGrantedAppAccess(error: unknown): boolean {
  const { status, code } = oktaErrorCode(error);
  return status === 403 && code === 'E0000046';
}
