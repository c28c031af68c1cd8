/**
 * One SCIM 2.0 app over HTTP (RFC 7644): bearer token, `application/scim+json`, paging by
 * `startIndex`/`count`, ETags when the app gives them, and the shared retry policy (429 with
 * `Retry-After`, 5xx, dropped connections). The token is held here only: no error message,
 * log line or outcome carries it, nor the request's headers.
 */
import {
  type Failure,
  isTransientNetworkError,
  RateGate,
  type RetryOptions,
  retryAfterMs,
  withRetry,
} from '../retry.js';

export const SCIM_JSON = 'application/scim+json';
const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** An answer the app gave that is not a success: its status and SCIM error (RFC 7644 3.12). */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly scimType: string | undefined,
    detail: string,
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}${scimType ? ` ${scimType}` : ''}: ${detail}`);
    this.name = 'ScimError';
  }
}

/** A resource as the app returns it, and the ETag it came with (undefined when none). */
export interface Versioned<T> {
  resource: T;
  etag?: string;
}

export interface ScimResource {
  id: string;
  meta?: { version?: string };
  [key: string]: unknown;
}

/** The shared retry policy's view of a SCIM answer: 429 and 5xx are worth another try. */
export function classifyScim(error: unknown): Failure {
  if (error instanceof ScimError) {
    return {
      status: error.status,
      retryAfterMs: error.retryAfterMs,
      retryable: error.status === 429 || error.status >= 500,
      message: error.message,
    };
  }
  if (isTransientNetworkError(error)) {
    const code = (error as { code?: string; cause?: { code?: string } }).cause?.code;
    return { retryable: true, message: `network error (${code ?? (error as Error).name})` };
  }
  return { retryable: false, message: (error as Error)?.message ?? String(error) };
}

export interface ScimClientOptions {
  /** The connection's name, for messages. */
  name: string;
  baseUrl: string;
  token: string;
  retry: RetryOptions;
  /** The app's documented pace: requests are spaced so as to stay under it. */
  requestsPerMinute?: number;
  log?: (line: string) => void;
}

export class ScimClient {
  readonly #token: string;
  private readonly base: string;
  private readonly gate: RateGate;
  /** The earliest moment the next request may go out under requestsPerMinute. */
  private nextSlot = 0;
  /** Requests sent (retries included), for cost reports. */
  requests = 0;

  constructor(private readonly opts: ScimClientOptions) {
    this.#token = opts.token;
    this.base = opts.baseUrl.replace(/\/+$/, '');
    this.gate = new RateGate(opts.retry);
  }

  get name(): string {
    return this.opts.name;
  }

  /** One request through the retry policy; resolves to the JSON body (undefined for 204) and the ETag. */
  async send<T>(
    method: string,
    path: string,
    body?: unknown,
    ifMatch?: string,
  ): Promise<{ body: T | undefined; etag?: string; status: number }> {
    const { retry, log, name } = this.opts;
    return withRetry(
      async () => {
        await this.pace();
        this.requests++;
        const res = await fetch(`${this.base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.#token}`,
            accept: SCIM_JSON,
            ...(body !== undefined ? { 'content-type': SCIM_JSON } : {}),
            ...(ifMatch ? { 'if-match': ifMatch } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(retry.requestTimeoutMs),
        });
        const text = await res.text();
        if (!res.ok) throw errorOf(res.status, res.headers, text, retry.now());
        const etag = res.headers.get('etag') ?? undefined;
        if (!text) return { body: undefined, etag, status: res.status };
        try {
          return { body: JSON.parse(text) as T, etag, status: res.status };
        } catch {
          throw new ScimError(
            res.status,
            undefined,
            `scim ${name}: the answer to ${method} ${pathOnly(path)} is not JSON`,
          );
        }
      },
      classifyScim,
      {
        ...retry,
        gate: this.gate,
        onRetry: (info) => {
          retry.onRetry?.(info);
          log?.(
            `scim ${name}: ${method} ${pathOnly(path)} ${info.failure.message}; retrying in ${Math.ceil(info.delayMs / 1000)} s`,
          );
        },
      },
    );
  }

  /** Spaces requests under the app's documented rate (no wait when it declares none). */
  private async pace(): Promise<void> {
    const rpm = this.opts.requestsPerMinute;
    if (!rpm) return;
    const now = this.opts.retry.now();
    const at = Math.max(now, this.nextSlot);
    this.nextSlot = at + 60_000 / rpm;
    if (at > now) await this.opts.retry.sleep(at - now);
  }

  async get<T extends ScimResource>(path: string): Promise<Versioned<T>> {
    const r = await this.send<T>('GET', path);
    if (!r.body)
      throw new ScimError(r.status, undefined, `scim ${this.name}: GET ${pathOnly(path)} returned nothing`);
    return { resource: r.body, etag: r.etag ?? r.body.meta?.version };
  }

  /**
   * Every resource of a list, page by page (`startIndex` from 1, `count` up to `pageSize`),
   * until `totalResults` are read or a page comes back empty. `first`, when given, is a first
   * page already read.
   */
  async list<T>(
    resource: '/Users' | '/Groups',
    pageSize: number,
    filter?: string,
    first?: ListPage<T>,
  ): Promise<T[]> {
    const out: T[] = [];
    let page = first ?? (await this.page<T>(resource, 1, pageSize, filter));
    for (let expected = page.startIndex; ; ) {
      // An app that answers another page than the one asked would make this loop for ever.
      if (page.startIndex !== expected) {
        throw new ScimError(
          200,
          undefined,
          `scim ${this.name}: GET ${resource} answered startIndex ${page.startIndex} when ${expected} was asked; the app does not page as RFC 7644 3.4.2.4 says`,
        );
      }
      out.push(...page.Resources);
      const next = page.startIndex + page.Resources.length;
      if (page.Resources.length === 0 || next > page.totalResults) return out;
      expected = next;
      page = await this.page<T>(resource, next, pageSize, filter);
    }
  }

  async page<T>(resource: string, startIndex: number, count: number, filter?: string): Promise<ListPage<T>> {
    const q = new URLSearchParams({ startIndex: String(startIndex), count: String(count) });
    if (filter) q.set('filter', filter);
    const r = await this.send<Partial<ListPage<T>> & { schemas?: string[] }>('GET', `${resource}?${q}`);
    const b = r.body;
    if (!b || !Array.isArray(b.schemas) || !b.schemas.includes(LIST_RESPONSE)) {
      throw new ScimError(
        r.status,
        undefined,
        `scim ${this.name}: GET ${resource} did not return a SCIM ListResponse`,
      );
    }
    return {
      Resources: b.Resources ?? [],
      totalResults: Number(b.totalResults ?? 0),
      startIndex: Number(b.startIndex ?? startIndex),
    };
  }
}

export interface ListPage<T> {
  Resources: T[];
  totalResults: number;
  startIndex: number;
}

function pathOnly(path: string): string {
  return path.split('?')[0]!;
}

function errorOf(status: number, headers: Headers, text: string, now: number): ScimError {
  let detail = '';
  let scimType: string | undefined;
  try {
    const body = JSON.parse(text) as { detail?: unknown; scimType?: unknown };
    if (typeof body.detail === 'string') detail = body.detail;
    if (typeof body.scimType === 'string') scimType = body.scimType;
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const wait = status === 429 || status === 503 ? retryAfterMs(headers.get('retry-after'), now) : undefined;
  return new ScimError(status, scimType, detail.slice(0, 300) || statusText(status), wait);
}

function statusText(status: number): string {
  return status === 401
    ? 'the bearer token was refused'
    : status === 403
      ? 'the token may not do this'
      : 'no detail given';
}
