/**
 * A SCIM app as jml meets it: the library server (./library-server.ts, SCIMMY) behind a thin
 * layer on the shared FakeServer, which gives the conformance suite its request log, injected
 * faults (429 with Retry-After, 5xx, resets) and its "unknown request" check. The layer adds
 * only what SCIMMY leaves to the app, and the dialect of each declared quirk:
 * - ETags: a weak ETag (a digest of the resource) on every GET of one resource; a PUT, PATCH or
 *   DELETE with If-Match that no longer matches gets 412 (RFC 7644 3.14);
 * - sessions: the app's own sign-ins, which it ends when an account is deactivated, as apps do
 *   (SCIM has no sessions resource);
 * - quirk `patch: false`: PATCH answers 501, as an app without PATCH support;
 * - quirk `filter: false`: any filter= answers 400 invalidFilter;
 * - quirk `memberRemoval: valueArray`: a PATCH path with a value filter (members[value eq ...])
 *   answers 400 invalidPath, as apps that take only {path: members, value: [...]};
 * - quirk `maxPageSize`: a larger count= answers 400 (tooMany is what such apps say), so a
 *   connector that ignores the declared size fails loudly instead of being silently clamped.
 */
import { createHash } from 'node:crypto';
import type { ScimQuirks } from '../../../src/model/providers.js';
import { type FakeRequest, type FakeResponse, FakeServer, VendorFake } from '../fake-server.js';
import { ScimLibraryServer, type ScimStore } from './library-server.js';

const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export function scimErrorBody(status: number, detail: string, scimType?: string) {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

export interface ScimFakeOptions {
  token?: string;
  quirks?: Partial<ScimQuirks>;
}

const RESOURCE = /^\/scim\/v2\/(Users|Groups)(?:\/([^/]+))?$/;

export class ScimFake extends VendorFake {
  readonly server: FakeServer;
  readonly library: ScimLibraryServer;
  readonly token: string;
  readonly quirks: Partial<ScimQuirks>;
  /** userId -> live sign-ins in the app. */
  readonly sessions = new Map<string, number>();
  /** Writes that carried If-Match. */
  conditionalWrites = 0;
  /** Every request body, in order, for tests that check what the connector sent. */
  readonly bodies: { method: string; path: string; body: unknown }[] = [];

  constructor(opts: ScimFakeOptions = {}) {
    super();
    this.token = opts.token ?? 'scim-test-token-0123456789';
    this.quirks = opts.quirks ?? {};
    this.library = new ScimLibraryServer(this.token);
    const route = (method: string) => ({
      method,
      path: RESOURCE,
      write: method !== 'GET',
      handler: (req: FakeRequest) => this.forward(req),
    });
    this.server = new FakeServer({
      name: 'scim',
      routes: [
        route('GET'),
        route('POST'),
        route('PUT'),
        route('PATCH'),
        route('DELETE'),
        { method: 'GET', path: /^\/scim\/v2\/ServiceProviderConfig$/, handler: (req) => this.forward(req) },
      ],
      unknown: () => ({ status: 404, body: scimErrorBody(404, 'Endpoint Not Found') }),
      badRequest: (_req, message) => ({ status: 400, body: scimErrorBody(400, message, 'invalidSyntax') }),
    });
  }

  get store(): ScimStore {
    return this.library.store;
  }

  /** The base URL a connection names. */
  get baseUrl(): string {
    return `${this.server.url}/scim/v2`;
  }

  override async start(): Promise<string> {
    await this.library.start();
    return super.start();
  }

  override async close(): Promise<void> {
    await super.close();
    await this.library.close();
  }

  signIn(login: string): void {
    const u = this.store.userByName(login);
    if (!u) throw new Error(`scim fake: no user ${login}`);
    this.sessions.set(u.id, (this.sessions.get(u.id) ?? 0) + 1);
  }

  /** Writes one at a time: the If-Match check and the write it guards are one step, as in a real app. */
  private writes: Promise<unknown> = Promise.resolve();

  private forward(req: FakeRequest): Promise<FakeResponse> {
    if (req.method === 'GET') return this.forwardNow(req);
    const next = this.writes.then(() => this.forwardNow(req));
    this.writes = next.catch(() => undefined);
    return next;
  }

  private async forwardNow(req: FakeRequest): Promise<FakeResponse> {
    this.bodies.push({ method: req.method, path: req.url.pathname + req.url.search, body: req.body });
    const refused = this.dialect(req);
    if (refused) return refused;
    const path = req.url.pathname + req.url.search;
    const single = RESOURCE.exec(req.url.pathname);
    const ifMatch = req.headers['if-match'];
    if (typeof ifMatch === 'string') this.conditionalWrites++;
    if (single?.[2] && typeof ifMatch === 'string' && req.method !== 'GET') {
      const current = await this.library_(`/${single[1]}/${single[2]}`, 'GET', req);
      if (current.status === 200 && etagOf(current.text) !== ifMatch) {
        return { status: 412, body: scimErrorBody(412, 'The resource changed since it was read (If-Match)') };
      }
    }
    const res = await this.library_(path.replace(/^\/scim\/v2/, ''), req.method, req);
    if (req.method !== 'GET' && res.status < 300) this.endSessionsOfInactive();
    const headers: Record<string, string> = { 'content-type': res.contentType ?? 'application/scim+json' };
    if (res.location) headers.location = res.location;
    if (single?.[2] && req.method === 'GET' && res.status === 200) headers.etag = etagOf(res.text);
    return res.status === 204 ? { status: 204, headers } : { status: res.status, headers, raw: res.text };
  }

  private async library_(
    path: string,
    method: string,
    req: FakeRequest,
  ): Promise<{ status: number; text: string; contentType?: string; location?: string }> {
    const auth = req.headers.authorization;
    const res = await fetch(`${this.library.url}${path}`, {
      method,
      headers: {
        ...(typeof auth === 'string' ? { authorization: auth } : {}),
        ...(req.rawBody && method !== 'GET' ? { 'content-type': 'application/scim+json' } : {}),
      },
      body: method === 'GET' || !req.rawBody ? undefined : req.rawBody,
    });
    return {
      status: res.status,
      text: await res.text(),
      contentType: res.headers.get('content-type') ?? undefined,
      location: res.headers.get('location') ?? undefined,
    };
  }

  /** What the declared quirks make the app refuse. */
  private dialect(req: FakeRequest): FakeResponse | undefined {
    const q = this.quirks;
    if (q.patch === false && req.method === 'PATCH') {
      return { status: 501, body: scimErrorBody(501, 'PATCH is not supported by this service provider') };
    }
    if (q.filter === false && req.url.searchParams.has('filter')) {
      return { status: 400, body: scimErrorBody(400, 'Filtering is not supported', 'invalidFilter') };
    }
    const count = Number(req.url.searchParams.get('count') ?? '0');
    if (q.maxPageSize !== undefined && count > q.maxPageSize) {
      return {
        status: 400,
        body: scimErrorBody(400, `count may be at most ${q.maxPageSize}`, 'tooMany'),
      };
    }
    if (q.memberRemoval === 'valueArray' && req.method === 'PATCH') {
      const ops = (req.body as { Operations?: { path?: string }[] } | undefined)?.Operations ?? [];
      if (ops.some((o) => typeof o.path === 'string' && o.path.includes('['))) {
        return {
          status: 400,
          body: scimErrorBody(400, 'Value filters in PATCH paths are not supported', 'invalidPath'),
        };
      }
    }
    return undefined;
  }

  private endSessionsOfInactive(): void {
    for (const [id] of this.sessions) {
      const u = this.store.users.get(id);
      if (!u?.active) this.sessions.delete(id);
    }
  }
}

/** A weak ETag of a resource: its content without `meta` (which SCIMMY rewrites on every read). */
export function etagOf(text: string): string {
  let content: unknown = text;
  try {
    const { meta: _meta, ...rest } = JSON.parse(text) as Record<string, unknown>;
    content = rest;
  } catch {
    // Not JSON: hash as is.
  }
  return `W/"${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16)}"`;
}
