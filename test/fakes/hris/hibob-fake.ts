/**
 * A loopback Bob (HiBob) company for the People API's search, as apidocs.hibob.com describes it:
 * `POST /v1/people/search` with basic auth as a service user, a body of `fields` (field ids such
 * as root.id or work.title), `showInactive` (default false: active employees only) and
 * `humanReadable` ("" machine values, APPEND adds a `humanReadable` node, REPLACE swaps them in).
 * Every match comes back in one `employees` array (no paging); root fields sit at the top of each
 * employee, other categories nest; unknown field ids are left out silently. List fields (work.title,
 * work.department, payroll.employment.type) hold list item ids, named through `lists`: the machine
 * value is the item id, and the `humanReadable` node (only for fields with a value) the name.
 *
 * Errors are `{ key, error }`: 401 for a wrong service user or token. Bob allows 50 searches a
 * minute per service user: the 51st within a minute gets 429 with Retry-After (and the
 * X-RateLimit-* headers), and `throttle` injects one on demand.
 */
import {
  BadRequest,
  basicCredentials,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  requireBody,
  VendorFake,
} from '../fake-server.js';

/** An employee in Bob's own nested shape (machine values). */
export interface BobRecord {
  id: string;
  email?: string;
  displayName?: string;
  firstName?: string;
  surname?: string;
  work?: {
    title?: string;
    department?: string;
    reportsTo?: { id: string; email?: string; displayName?: string } | null;
    startDate?: string;
  };
  internal?: { status?: 'Active' | 'Inactive'; lifecycleStatus?: string; terminationDate?: string | null };
  employee?: { lastDayOfWork?: string | null };
  /** type: an item id of the employmentType list. */
  payroll?: { employment?: { type?: string } };
}

const LIST_FIELDS: Record<string, keyof BobLists> = {
  'work.title': 'title',
  'work.department': 'department',
  'payroll.employment.type': 'employmentType',
};

export interface BobLists {
  title: Record<string, string>;
  department: Record<string, string>;
  /** payroll.employment.type: item id -> name (Permanent, Contractor, Intern...). */
  employmentType: Record<string, string>;
}

export class HiBobFake extends VendorFake {
  readonly server: FakeServer;
  private employees: BobRecord[] = [];
  private lists: BobLists = { title: {}, department: {}, employmentType: {} };
  readonly searches: { fields: string[]; showInactive: boolean; humanReadable: string }[] = [];
  private readonly window: number[] = [];
  perMinute = 50;

  constructor(private readonly serviceUser: { id: string; token: string }) {
    super();
    this.server = new FakeServer({
      name: 'hibob',
      routes: [{ method: 'POST', path: /^\/v1\/people\/search$/, handler: (r) => this.search(r) }],
      unknown: (req) => ({
        status: 404,
        body: { key: 'NOT_FOUND', error: `No route for ${req.method} ${req.url.pathname}` },
      }),
      badRequest: (_req, message) => ({ status: 400, body: { key: 'BAD_REQUEST', error: message } }),
      authenticate: (req) => this.authenticate(req),
      throttle: (_req, now) => this.limit(now),
    });
  }

  seed(employees: BobRecord[], lists: BobLists): void {
    this.employees = structuredClone(employees);
    this.lists = structuredClone(lists);
  }

  throttle(times: number, retryAfterSeconds: number): void {
    this.server.inject({
      kind: 'status',
      status: 429,
      headers: { 'retry-after': String(retryAfterSeconds) },
      body: { key: 'TOO_MANY_REQUESTS', error: 'Too many requests' },
      times,
    });
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    const given = basicCredentials(req);
    if (given?.user === this.serviceUser.id && given.password === this.serviceUser.token) return undefined;
    return { status: 401, body: { key: 'UNAUTHORIZED', error: 'Invalid service user credentials' } };
  }

  private limit(now: number): FakeResponse | undefined {
    while (this.window.length > 0 && this.window[0]! <= now - 60_000) this.window.shift();
    if (this.window.length >= this.perMinute) {
      const reset = Math.ceil((this.window[0]! + 60_000) / 1000);
      return {
        status: 429,
        headers: {
          'retry-after': String(Math.max(1, reset - Math.floor(now / 1000))),
          'x-ratelimit-limit': String(this.perMinute),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(reset),
        },
        body: { key: 'TOO_MANY_REQUESTS', error: 'Too many requests' },
      };
    }
    this.window.push(now);
    return undefined;
  }

  private search(req: FakeRequest): FakeResponse {
    const body = requireBody<{
      fields?: unknown;
      showInactive?: unknown;
      humanReadable?: unknown;
      filters?: unknown;
    }>(req);
    if (!Array.isArray(body.fields) || body.fields.some((f) => typeof f !== 'string')) {
      throw new BadRequest('fields must be a list of field ids');
    }
    const humanReadable = typeof body.humanReadable === 'string' ? body.humanReadable : '';
    if (!['', 'APPEND', 'REPLACE'].includes(humanReadable))
      throw new BadRequest('humanReadable must be APPEND or REPLACE');
    const showInactive = body.showInactive === true;
    const fields = body.fields as string[];
    this.searches.push({ fields, showInactive, humanReadable });
    const people = this.employees.filter((e) => showInactive || e.internal?.status !== 'Inactive');
    return { status: 200, body: { employees: people.map((e) => this.project(e, fields, humanReadable)) } };
  }

  /** The requested fields of one employee, shaped as Bob answers them. */
  private project(e: BobRecord, fields: string[], humanReadable: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const human: Record<string, unknown> = {};
    for (const field of fields) {
      const parts = field.split('.');
      const value = get(
        e as unknown as Record<string, unknown>,
        parts[0] === 'root' ? parts.slice(1) : parts,
      );
      if (value === undefined) continue; // unknown or unset: silently left out
      const path = parts[0] === 'root' ? parts.slice(1) : parts;
      const list = LIST_FIELDS[field];
      const named = list && typeof value === 'string' ? (this.lists[list][value] ?? value) : value;
      set(out, path, humanReadable === 'REPLACE' ? named : value);
      if (humanReadable === 'APPEND' && value !== null) set(human, path, named);
    }
    if (humanReadable === 'APPEND') out.humanReadable = human;
    return out;
  }
}

function get(obj: Record<string, unknown>, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function set(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    cur[p] ??= {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}
