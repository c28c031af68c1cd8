/**
 * What a Google API failure means, read from the status and Google's error body
 * (`{error: {code, message, errors: [{reason}], status}}`), never from the SDK's message: a
 * gaxios error carries the request's configuration, Authorization header included, so nothing
 * from it but the status and the vendor's own words reaches a log line or an outcome.
 */
import { type Failure, isGoogleRetryable, isTransientNetworkError, RetryError } from '../retry.js';

/** The parts of a Google error this connector acts on. */
export interface GoogleErrorInfo {
  status?: number;
  /** `errors[].reason`: notFound, duplicate, userRateLimitExceeded, invalid_grant... */
  reasons: string[];
  message: string;
}

interface GoogleErrorBody {
  error?:
    | string
    | {
        code?: number;
        message?: string;
        status?: string;
        errors?: { reason?: string; message?: string }[];
      };
  error_description?: string;
}

/**
 * Thrown while getting a token: a message we wrote, the status and reason for the retry policy,
 * and for a dropped connection its `code`, so that it stays retryable. Never the original error
 * as `cause`: gaxios keeps the request in it (the assertion, the STS subject token).
 */
export class GoogleAuthError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly reason?: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'GoogleAuthError';
  }

  /** Wraps a failed step of the token exchange, keeping what the retry policy needs. */
  static from(step: string, error: unknown): GoogleAuthError {
    const info = googleErrorInfo(error);
    return new GoogleAuthError(`${step} (${info.message})`, info.status, info.reasons[0], networkCode(error));
  }
}

/**
 * A failed API call, rebuilt from its status, reasons and Google's message only. The SDK's
 * GaxiosError keeps the request's configuration and body (a users.insert carries the first
 * password); this is what the connector throws and records instead.
 */
export class GoogleApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly reasons: string[],
  ) {
    super(message);
    this.name = 'GoogleApiError';
  }

  /** Our own errors (messages we wrote, no request inside) pass as they are. */
  static from(error: unknown): Error {
    if (error instanceof GoogleApiError || error instanceof GoogleAuthError || error instanceof RetryError) {
      return error;
    }
    const info = googleErrorInfo(error);
    return new GoogleApiError(info.message, info.status, info.reasons);
  }
}

function responseOf(error: unknown): { status?: number; data?: unknown } | undefined {
  const response = (error as { response?: { status?: number; data?: unknown } } | null)?.response;
  return response && typeof response === 'object' ? response : undefined;
}

/** A dropped connection, as gaxios (code on the error) or fetch (code on its cause) reports it. */
function isNetworkDrop(error: unknown): boolean {
  return isTransientNetworkError(error) || isTransientNetworkError((error as { cause?: unknown })?.cause);
}

/** The code of a dropped connection (ETIMEDOUT for an abandoned request); undefined otherwise. */
function networkCode(error: unknown): string | undefined {
  if (!isNetworkDrop(error)) return undefined;
  const code =
    (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code ?? undefined;
  return typeof code === 'string' && isTransientNetworkError({ code }) ? code : 'ETIMEDOUT';
}

/** Status, reasons and Google's message from any error this connector can meet. */
export function googleErrorInfo(error: unknown): GoogleErrorInfo {
  if (error instanceof RetryError) {
    return { status: error.failure.status, reasons: [], message: error.message };
  }
  if (error instanceof GoogleAuthError) {
    return { status: error.status, reasons: error.reason ? [error.reason] : [], message: error.message };
  }
  if (error instanceof GoogleApiError) {
    return { status: error.status, reasons: error.reasons, message: error.message };
  }
  const response = responseOf(error);
  if (response) {
    const body = (response.data ?? {}) as GoogleErrorBody;
    if (typeof body.error === 'string') {
      // The OAuth token endpoint's shape: {error, error_description}.
      return {
        status: response.status,
        reasons: [body.error],
        message: `${response.status} ${body.error}${body.error_description ? `: ${body.error_description}` : ''}`,
      };
    }
    const reasons = (body.error?.errors ?? []).map((e) => e.reason ?? '').filter(Boolean);
    const what = body.error?.message ?? body.error?.status ?? 'no error body';
    return {
      status: response.status,
      reasons,
      message: `${response.status}${reasons.length ? ` ${reasons.join(',')}` : ''}: ${what}`,
    };
  }
  const code = networkCode(error);
  if (code) return { reasons: [], message: `connection failed (${code})` };
  // Our own errors (bad credentials file...) carry messages we wrote; anything else is a bug.
  return { reasons: [], message: error instanceof Error ? error.message : String(error) };
}

/** The shared retry policy's view of a Google error: quota, 429, 5xx and dropped connections retry. */
export function classifyGoogleError(error: unknown): Failure {
  const info = googleErrorInfo(error);
  const retryable = isNetworkDrop(error) || isGoogleRetryable(info.status, info.reasons);
  return { status: info.status, retryable, message: info.message };
}
