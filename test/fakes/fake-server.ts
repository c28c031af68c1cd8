/**
 * The loopback HTTP server under every vendor fake (Graph, Okta, Google). It owns what the
 * three have in common: listening on 127.0.0.1 only, routing by method and path, JSON bodies,
 * a log of every request with the time it arrived and the status it got, and faults on demand
 * (a burst of 429s, a 5xx, a connection reset, a reset *after* the write was applied, a slow
 * answer). What a vendor says and how it says it (paths, bodies, error shapes, throttling
 * headers) lives in that vendor's fake, never here. A request no route understands gets the
 * vendor's own error body from `unknown`, so a connector calling the wrong thing fails loudly.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
  rawBody: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `raw` is set; omitted for 204. */
  body?: unknown;
  raw?: string;
}

export interface Route {
  method: string;
  /** Matched against the decoded pathname; groups are passed to the handler. */
  path: RegExp;
  handler: (req: FakeRequest, params: string[]) => FakeResponse | Promise<FakeResponse>;
  /** Whether this route changes state (used by the `reset-after-write` fault). */
  write?: boolean;
}

export type FaultKind =
  /** Answer with this status (and headers/body) instead of handling the request. */
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** Destroy the connection before handling the request: nothing was applied. */
  | { kind: 'reset' }
  /** Handle the request (the write is applied), then destroy the connection without answering. */
  | { kind: 'reset-after-write' }
  /** Answer after a delay. */
  | { kind: 'delay'; ms: number }
  /** Handle the request (the write is applied), then hold the answer back for `ms`: a client timeout. */
  | { kind: 'hang-after-write'; ms: number };

export type Fault = FaultKind & {
  method?: string;
  /** Matched against pathname + search. */
  path?: RegExp;
  /** How many matching requests it applies to (then it is used up). */
  times: number;
};

export interface RecordedRequest {
  method: string;
  /** pathname + search, as received. */
  path: string;
  /** Epoch ms when the request arrived. */
  at: number;
  status: number;
  /** Set when the connection was dropped instead of answered. */
  dropped?: 'before' | 'after-write';
  /** The request's Authorization header was present (its value is never recorded). */
  authorized: boolean;
}

export interface FakeServerOptions {
  name: string;
  routes: Route[];
  /** The vendor's answer to a request no route matches (a 404 or 400 with its error body). */
  unknown: (req: FakeRequest) => FakeResponse;
  /** The vendor's 400 for a malformed request (a handler threw `BadRequest`). */
  badRequest: (req: FakeRequest, message: string) => FakeResponse;
  /** Checks credentials; returns the vendor's 401 when they are wrong, undefined when fine. */
  authenticate?: (req: FakeRequest) => FakeResponse | undefined;
  /** The vendor's throttling: a response to send instead (429, 403 quota), or undefined. */
  throttle?: (req: FakeRequest, now: number) => FakeResponse | undefined;
  /** Headers added to every answer (Okta's X-Rate-Limit-*, request ids). */
  decorate?: (req: FakeRequest, res: FakeResponse, now: number) => void;
  now?: () => number;
}

export class FakeServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  /** Requests no route understood: a test can assert there were none. */
  readonly unknownRequests: string[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly now: () => number;
  url = '';

  constructor(private readonly opts: FakeServerOptions) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      void this.handle(req, res);
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // Node closes idle kept-alive sockets after 5 s. A test's CLI runs in the same process as
    // the fake: a long synchronous step (reading a large embedded directory) lets the client's
    // and the server's idle timers fire together, and a request can meet a socket being closed
    // (ECONNRESET). Vendors keep idle connections far longer than that; so does the fake.
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Adds a fault; returns it so a test can check `times` reached 0. */
  inject(fault: Fault): Fault {
    this.faults.push(fault);
    return fault;
  }

  private takeFault(req: FakeRequest): Fault | undefined {
    const target = req.url.pathname + req.url.search;
    const f = this.faults.find(
      (x) => x.times > 0 && (!x.method || x.method === req.method) && (!x.path || x.path.test(target)),
    );
    if (f) f.times--;
    return f;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = this.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      at,
      status: 0,
      authorized: typeof req.headers.authorization === 'string',
    };
    this.requests.push(entry);
    let body: unknown;
    const fr: FakeRequest = { method: entry.method, url, headers: req.headers, body: undefined, rawBody };
    try {
      if (rawBody.length > 0 && /json/.test(req.headers['content-type'] ?? 'application/json')) {
        body = JSON.parse(rawBody);
      }
    } catch {
      return this.send(res, entry, fr, this.opts.unknown({ ...fr, body: undefined }));
    }
    fr.body = body;

    const fault = this.takeFault(fr);
    if (fault?.kind === 'reset') {
      entry.dropped = 'before';
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.ms));

    const denied = this.opts.authenticate?.(fr);
    if (denied) return this.send(res, entry, fr, denied);
    const throttled = this.opts.throttle?.(fr, at);
    if (throttled) return this.send(res, entry, fr, throttled);
    if (fault?.kind === 'status') {
      return this.send(res, entry, fr, { status: fault.status, headers: fault.headers, body: fault.body });
    }

    const pathname = decodeURIComponent(url.pathname);
    const route = this.opts.routes.find((r) => r.method === fr.method && r.path.test(pathname));
    let answer: FakeResponse;
    if (!route) {
      this.unknownRequests.push(`${fr.method} ${entry.path}`);
      answer = this.opts.unknown(fr);
    } else {
      try {
        answer = await route.handler(fr, pathname.match(route.path)!.slice(1));
      } catch (e) {
        // A bug in the fake must not look like a vendor answer: 599 is no vendor's status.
        answer =
          e instanceof BadRequest
            ? this.opts.badRequest(fr, e.message)
            : { status: 599, body: { fakeError: (e as Error).stack ?? String(e) } };
      }
    }
    if (fault?.kind === 'hang-after-write') {
      entry.dropped = 'after-write';
      await new Promise((r) => setTimeout(r, fault.ms));
    }
    if (fault?.kind === 'reset-after-write') {
      entry.dropped = 'after-write';
      entry.status = answer.status;
      req.socket.destroy();
      return;
    }
    this.send(res, entry, fr, answer);
  }

  private send(res: ServerResponse, entry: RecordedRequest, req: FakeRequest, answer: FakeResponse): void {
    this.opts.decorate?.(req, answer, this.now());
    entry.status = answer.status;
    const headers: Record<string, string> = { ...answer.headers };
    let payload = '';
    if (answer.raw !== undefined) payload = answer.raw;
    else if (answer.body !== undefined && answer.status !== 204) {
      payload = JSON.stringify(answer.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    headers.date ??= new Date(this.now()).toUTCString();
    res.writeHead(answer.status, headers);
    res.end(payload);
  }
}

/** Reads a JSON body's field or fails the request as the vendor would (tests see a 400). */
/** The user and password of a request's `Authorization: Basic` header, when it has one. */
export function basicCredentials(req: FakeRequest): { user: string; password: string } | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i > 0 ? { user: decoded.slice(0, i), password: decoded.slice(i + 1) } : undefined;
}

export function requireBody<T>(req: FakeRequest): T {
  if (req.body === undefined || req.body === null || typeof req.body !== 'object') {
    throw new BadRequest('a JSON body is required');
  }
  return req.body as T;
}

/** Thrown by a handler for a malformed request; the vendor fake turns it into its 400 body. */
export class BadRequest extends Error {}

/** What every vendor fake shares: its loopback server, started and closed with it. */
export abstract class VendorFake {
  abstract readonly server: FakeServer;

  get url(): string {
    return this.server.url;
  }

  start(): Promise<string> {
    return this.server.start();
  }

  close(): Promise<void> {
    return this.server.close();
  }
}
