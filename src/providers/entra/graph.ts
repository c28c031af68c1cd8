/**
 * Talking to Microsoft Graph: the SDK client with our own middleware chain (bearer token, then
 * fetch; no SDK RetryHandler, because the shared policy in retry.ts retries and the connection's
 * RateGate makes every request in flight wait when Graph says 429), one request at a time or
 * coalesced into `$batch` posts of up to 20. Both paths answer the same `GraphResult`, so the
 * code that applies a change does not know how its requests travelled.
 */
import type { TokenCredential } from '@azure/identity';
import {
  Client,
  type Context,
  GraphError,
  HTTPMessageHandler,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import pLimit from 'p-limit';
import {
  DEFAULT_RETRY,
  type Failure,
  type RateGate,
  type RetryOptions,
  retryAfterMs,
  withRetry,
} from '../retry.js';

export type GraphMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One Graph request, its url relative to the version root (`/users/{id}`), as `$batch` wants it. */
export interface GraphCall {
  method: GraphMethod;
  url: string;
  body?: unknown;
  /**
   * Whether sending it twice ends the same as sending it once. GET, PATCH and DELETE are; a POST
   * is only when the caller says so, because it recognises the second answer (members/$ref's
   * "already exist", create's conflict). A POST that is not (a new Temporary Access Pass replaces
   * the one mailed, a second mail, a second wipe) is repeated only when Graph provably did not
   * carry it out, and never travels in a `$batch`, whose post is re-sent whole.
   */
  idempotent?: boolean;
}

export function isIdempotent(call: GraphCall): boolean {
  return call.idempotent ?? call.method !== 'POST';
}

/** Graph's answer to one request: a success or an error the caller decides about (404, 400...). */
export interface GraphResult {
  status: number;
  body: unknown;
}

/** Sends one request, retrying throttling and 5xx as far as is safe; resolves with any other answer. */
export type Send = (call: GraphCall) => Promise<GraphResult>;

/** OData's error body: `{error: {code, message, innerError}}`. */
export interface ODataError {
  error?: { code?: string; message?: string };
}

/** `$batch` takes at most 20 requests (Graph's documented limit; more is a 400). */
const BATCH_LIMIT = 20;
/** Batches in flight at once: enough to overlap round trips, few enough to stay under the budget. */
const BATCHES_IN_FLIGHT = 4;

export function isOk(r: GraphResult): boolean {
  return r.status >= 200 && r.status < 300;
}

/** `404 Request_ResourceNotFound: Resource ... does not exist` (status, code and message only). */
export function describeResult(r: GraphResult): string {
  const e = (r.body as ODataError | undefined)?.error;
  return `${r.status} ${e?.code ?? 'error'}${e?.message ? `: ${e.message}` : ''}`;
}

/** Throttling and server trouble: worth the same request again after a wait. */
function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
}

/** A `$batch` step answered 429/5xx: thrown so that the shared policy waits and re-sends it. */
class StepFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/**
 * fetch's own failure, named so that it survives GraphError (the SDK keeps an error's name as
 * its code): a reset or a timeout after the request left (Graph may have carried it out), or a
 * connection that never opened (nothing was sent).
 */
const TRANSPORT = 'TransportError';
const NOT_SENT = 'ConnectionNotOpened';
/** fetch's socket codes for a connection that never opened: the request cannot have arrived. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

class TransportError extends Error {
  constructor(message: string, notSent: boolean) {
    super(message);
    this.name = notSent ? NOT_SENT : TRANSPORT;
  }
}

/**
 * A request that is not safe to repeat failed in a way that leaves its outcome unknown (a 5xx,
 * a reset, a timeout): it is not sent again, and the caller decides what that means.
 */
class OutcomeUnknown extends Error {
  override name = 'OutcomeUnknown';
}

/** Maps what the SDK or a batch step threw to the shared policy's Failure; never includes headers. */
export function classifyGraph(error: unknown, now: number): Failure {
  if (error instanceof StepFailure) return error.failure;
  if (error instanceof GraphError) {
    if (error.code === TRANSPORT || error.code === NOT_SENT)
      return { retryable: true, message: error.message };
    const status = error.statusCode;
    // No HTTP answer behind it: the request never left (signing in failed, say).
    if (status < 0) return { retryable: false, message: error.message };
    return {
      status,
      retryable: isRetryableStatus(status),
      retryAfterMs: retryAfterMs(error.headers?.get('retry-after'), now),
      message: `${status} ${error.code ?? 'error'}${error.message ? `: ${error.message}` : ''}`,
    };
  }
  return { retryable: false, message: error instanceof Error ? error.message : String(error) };
}

/** Whether Graph provably did not carry the request out: it was throttled, or never sent. */
function provablyNotProcessed(error: unknown, failure: Failure): boolean {
  return failure.status === 429 || (error instanceof GraphError && error.code === NOT_SENT);
}

/** The shared classification, narrowed for a call that is not safe to repeat. */
function classifyCall(call: GraphCall, error: unknown, now: number): Failure {
  const failure = classifyGraph(error, now);
  if (!failure.retryable || isIdempotent(call) || provablyNotProcessed(error, failure)) return failure;
  return { ...failure, retryable: false };
}

/** What went wrong, for an outcome or an error: status, Graph's code and message, never headers. */
export function describeError(error: unknown): string {
  return classifyGraph(error, Date.now()).message;
}

/** Adds the app's bearer token; turns fetch's bare "fetch failed" into a named transport error. */
class BearerTokenMiddleware implements Middleware {
  private next?: Middleware;

  constructor(
    private readonly credential: TokenCredential,
    private readonly scope: string,
    private readonly timeoutMs: number,
  ) {}

  setNext(next: Middleware): void {
    this.next = next;
  }

  async execute(context: Context): Promise<void> {
    const token = await this.credential.getToken(this.scope);
    if (!token) throw new Error('entra: the token endpoint returned no token');
    const headers = new Headers(context.options?.headers as ConstructorParameters<typeof Headers>[0]);
    headers.set('authorization', `Bearer ${token.token}`);
    // A request that outlives the timeout is abandoned, and retried when repeating it is safe.
    context.options = { ...context.options, headers, signal: AbortSignal.timeout(this.timeoutMs) };
    try {
      await this.next!.execute(context);
    } catch (e) {
      const name = (e as { name?: string }).name;
      const code = (e as { cause?: { code?: string } }).cause?.code;
      throw new TransportError(
        name === 'TimeoutError'
          ? `Graph did not answer within ${this.timeoutMs} ms`
          : `connection to Graph failed${code ? ` (${code})` : ''}`,
        name !== 'TimeoutError' && code !== undefined && NOT_SENT_CODES.has(code),
      );
    }
    if (context.response && !context.response.ok) context.response = await asODataError(context.response);
  }
}

/**
 * The SDK keeps an error's status and headers (Retry-After) only when the body is an OData
 * error; a bare 429 or a gateway's HTML 503 would lose its Retry-After. Such an answer is given
 * an OData body with the same status and headers.
 */
async function asODataError(res: Response): Promise<Response> {
  const text = await res.clone().text();
  try {
    if ((JSON.parse(text) as ODataError).error) return res;
  } catch {
    // not JSON: rewrap below
  }
  const body: ODataError = {
    error: { code: `http${res.status}`, message: res.statusText || `HTTP ${res.status}` },
  };
  const headers = new Headers(res.headers);
  headers.set('content-type', 'application/json');
  return new Response(JSON.stringify(body), { status: res.status, statusText: res.statusText, headers });
}

export interface GraphOptions {
  graphUrl: string;
  credential: TokenCredential;
  gate: RateGate;
  retry: Partial<RetryOptions>;
}

/** The connection: the SDK client plus the shared retry policy and rate gate. */
export class GraphConnection {
  readonly client: Client;
  private readonly limit = pLimit(BATCHES_IN_FLIGHT);
  private readonly root: string;

  constructor(private readonly opts: GraphOptions) {
    this.root = opts.graphUrl.replace(/\/+$/, '');
    this.client = Client.initWithMiddleware({
      baseUrl: `${this.root}/`,
      defaultVersion: 'v1.0',
      middleware: [
        new BearerTokenMiddleware(
          opts.credential,
          `${this.root}/.default`,
          opts.retry.requestTimeoutMs ?? DEFAULT_RETRY.requestTimeoutMs,
        ),
        new HTTPMessageHandler(),
      ],
    });
  }

  /** The `@odata.id` of a directory object, as `members/$ref` wants it. */
  directoryObjectRef(id: string): string {
    return `${this.root}/v1.0/directoryObjects/${id}`;
  }

  /** Runs `op` under the shared policy; for `call`, only as far as repeating it is safe. */
  private retrying<T>(op: () => Promise<T>, call?: GraphCall): Promise<T> {
    const now = this.opts.retry.now ?? Date.now;
    const classify = (e: unknown) => (call ? classifyCall(call, e, now()) : classifyGraph(e, now()));
    return withRetry(op, classify, { ...this.opts.retry, gate: this.opts.gate });
  }

  /** Calls the SDK; a 4xx other than 429 comes back as a result, not an exception. */
  private async callOnce(call: GraphCall): Promise<GraphResult> {
    const request = this.client.api(call.url);
    try {
      switch (call.method) {
        case 'GET':
          return { status: 200, body: await request.get() };
        case 'POST':
          return { status: 200, body: await request.post(call.body ?? {}) };
        case 'PATCH':
          return { status: 200, body: await request.patch(call.body) };
        case 'DELETE':
          return { status: 204, body: await request.delete() };
      }
    } catch (e) {
      if (!(e instanceof GraphError) || e.statusCode < 400 || isRetryableStatus(e.statusCode)) throw e;
      return { status: e.statusCode, body: { error: { code: e.code ?? undefined, message: e.message } } };
    }
  }

  /**
   * One request on its own, retried through the shared policy. A call that is not safe to
   * repeat and failed with its outcome unknown ends in `OutcomeUnknown`, never in a second send.
   */
  readonly send: Send = async (call) => {
    try {
      return await this.retrying(() => this.callOnce(call), call);
    } catch (e) {
      const failure = classifyGraph(e, Date.now());
      if (isIdempotent(call) || !failure.retryable) throw e;
      throw new OutcomeUnknown(
        `${failure.message}; Graph may or may not have carried it out, and it was not sent again because a second one would not be the same`,
      );
    }
  };

  /** Every page of a collection, following `@odata.nextLink` (absolute on Graph, relative on a fake). */
  async getAll<T>(url: string): Promise<T[]> {
    const items: T[] = [];
    for (let next: string | undefined = url; next; ) {
      const page = (await this.retrying(() => this.client.api(next!).get())) as {
        value?: T[];
        '@odata.nextLink'?: string;
      };
      items.push(...(page.value ?? []));
      next = page['@odata.nextLink'] ? this.relative(page['@odata.nextLink']) : undefined;
    }
    return items;
  }

  /**
   * One round of a delta query (`/users/delta`, `/groups/delta`): every page, following
   * `@odata.nextLink`, until Graph answers the `@odata.deltaLink` that starts the next round. Both
   * links come back as paths under the version root. An expired or reset token is Graph's error
   * (a GraphError, 400 or 410), for the caller to turn into a full read.
   */
  async getDeltaRound<T>(url: string): Promise<{ items: T[]; deltaLink: string; pages: number }> {
    const items: T[] = [];
    let pages = 0;
    for (let next = url; ; ) {
      const current = next;
      const page = (await this.retrying(() => this.client.api(current).get())) as {
        value?: T[];
        '@odata.nextLink'?: string;
        '@odata.deltaLink'?: string;
      };
      pages++;
      items.push(...(page.value ?? []));
      if (page['@odata.nextLink']) next = this.relative(page['@odata.nextLink']);
      else if (page['@odata.deltaLink'])
        return { items, deltaLink: this.relative(page['@odata.deltaLink']), pages };
      else
        throw new Error(
          `entra: a delta page of ${url.split('?')[0]} has neither @odata.nextLink nor @odata.deltaLink`,
        );
    }
  }

  /**
   * The SDK only parses `https://` links and would put `/v1.0` twice into a relative one, so a
   * nextLink becomes a path under the version root before it goes back to `client.api`.
   */
  private relative(link: string): string {
    const u = new URL(link, `${this.root}/`);
    return u.pathname.replace(/^\/v1\.0(?=\/)/, '') + u.search;
  }

  /**
   * A sender whose requests share `$batch` posts with the other changes applied at the same
   * time. A call that is not safe to repeat goes alone: a post is re-sent whole when its answer
   * is lost, and that must not carry a second mail or wipe with it.
   */
  batchSender(): Send {
    const batcher = new Batcher((steps) => this.limit(() => this.postBatch(steps)));
    const now = this.opts.retry.now ?? Date.now;
    return (call) => {
      if (!isIdempotent(call)) return this.send(call);
      return this.retrying(async () => {
        const r = await batcher.enqueue(call);
        if (isRetryableStatus(r.status)) {
          throw new StepFailure({
            status: r.status,
            retryable: true,
            retryAfterMs: retryAfterMs(r.headers['retry-after'], now()),
            message: describeResult(r),
          });
        }
        return { status: r.status, body: r.body };
      });
    };
  }

  /** Posts one `$batch`, the post itself retried: only idempotent calls travel in one. */
  private async postBatch(calls: readonly GraphCall[]): Promise<BatchStepResponse[]> {
    const requests = calls.map((c, i) => ({
      id: String(i + 1),
      method: c.method,
      url: c.url,
      ...(c.body !== undefined ? { body: c.body, headers: { 'content-type': 'application/json' } } : {}),
    }));
    const answer = (await this.retrying(() => this.client.api('/$batch').post({ requests }))) as {
      responses?: RawStepResponse[];
    };
    const byId = new Map((answer.responses ?? []).map((r) => [r.id, r]));
    return requests.map((r) => {
      const step = byId.get(r.id);
      if (!step) return { status: 502, headers: {}, body: { error: { code: 'missingBatchStep' } } };
      return { status: step.status, headers: lowerKeys(step.headers ?? {}), body: step.body };
    });
  }
}

interface RawStepResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

interface BatchStepResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

interface Pending {
  call: GraphCall;
  resolve: (r: BatchStepResponse) => void;
  reject: (e: unknown) => void;
}

/**
 * Collects requests and posts them 20 at a time. A batch leaves as soon as it is full, or once
 * the current turn of the event loop has run (setImmediate): the changes of one apply phase all
 * reach their first request in the same turn, so 100 grants make 5 posts, not 100.
 */
class Batcher {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly post: (calls: GraphCall[]) => Promise<BatchStepResponse[]>) {}

  enqueue(call: GraphCall): Promise<BatchStepResponse> {
    return new Promise((resolve, reject) => {
      this.queue.push({ call, resolve, reject });
      if (this.queue.length >= BATCH_LIMIT) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          while (this.queue.length > 0) this.flush();
        });
      }
    });
  }

  private flush(): void {
    const items = this.queue.splice(0, BATCH_LIMIT);
    if (items.length === 0) return;
    this.post(items.map((i) => i.call)).then(
      (answers) => {
        for (const [i, item] of items.entries()) item.resolve(answers[i]!);
      },
      (e: unknown) => {
        for (const item of items) item.reject(e);
      },
    );
  }
}
