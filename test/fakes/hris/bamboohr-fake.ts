/**
 * A loopback BambooHR company, held to BambooHR's documentation (documentation.bamboohr.com) for
 * the two calls the adapter makes, under /api/gateway.php/{companyDomain}/v1/:
 *
 * - `POST reports/custom?format=JSON`: the body is read as JSON only when Content-Type is exactly
 *   `application/json` (anything else is parsed as XML: 400 "Malformed XML"); at most 400 fields;
 *   unknown fields are left out silently; Active and Inactive employees alike; the answer is
 *   `{ title, fields: [{ id, type, name }], employees: [...] }`, every value a string, an unset
 *   date `0000-00-00`. Filters: `lastChanged { includeNull, value }`.
 * - `GET employees/changed?since=...`: `since` must be one of the documented ISO 8601 forms (with
 *   an offset); JSON only when asked with `Accept: application/json` (else XML); the answer is
 *   `{ latest, employees: { id: { id, action, lastChanged } } }`.
 *
 * Errors carry their detail in the `X-BambooHR-Error-Message` header: 401 for a missing or wrong
 * API key (basic auth, the key as user and `x` as password), 404 for an unknown company or path.
 * Throttling is 503 with `Retry-After` (429 from September 2026), injected with `throttle`.
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

/** An employee as BambooHR stores it: API field name -> value. */
export type BambooRow = Record<string, string | null> & { id: string };

const DATE_FIELDS = new Set(['hireDate', 'originalHireDate', 'terminationDate', 'dateOfBirth']);

/** Field types, as BambooHR's field list gives them (the report echoes them back). */
const KNOWN_FIELDS: Record<string, { type: string; name: string }> = {
  id: { type: 'int', name: 'ID' },
  employeeNumber: { type: 'text', name: 'Employee #' },
  status: { type: 'status', name: 'Status' },
  employmentHistoryStatus: { type: 'list', name: 'Employment Status' },
  firstName: { type: 'text', name: 'First Name' },
  lastName: { type: 'text', name: 'Last Name' },
  preferredName: { type: 'text', name: 'Preferred Name' },
  workEmail: { type: 'email', name: 'Work Email' },
  jobTitle: { type: 'list', name: 'Job Title' },
  department: { type: 'list', name: 'Department' },
  division: { type: 'list', name: 'Division' },
  supervisorEId: { type: 'int', name: 'Supervisor EID' },
  hireDate: { type: 'date', name: 'Hire Date' },
  originalHireDate: { type: 'date', name: 'Original Hire Date' },
  terminationDate: { type: 'date', name: 'Termination Date' },
  lastChanged: { type: 'timestamp', name: 'Last Changed' },
};

const SINCE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:?\d{2})$/;

export class BambooHrFake extends VendorFake {
  readonly server: FakeServer;
  private readonly employees = new Map<string, BambooRow>();
  private readonly deleted: { id: string; lastChanged: string }[] = [];
  private readonly inserted = new Set<string>();
  /** The report bodies received, for tests that check what was asked. */
  readonly reportRequests: { fields: string[]; filters?: unknown; contentType: string | undefined }[] = [];

  constructor(
    readonly subdomain: string,
    private readonly apiKey: string,
  ) {
    super();
    const base = `^/api/gateway\\.php/${subdomain}/v1`;
    this.server = new FakeServer({
      name: 'bamboohr',
      routes: [
        { method: 'POST', path: new RegExp(`${base}/reports/custom/?$`), handler: (r) => this.report(r) },
        { method: 'GET', path: new RegExp(`${base}/employees/changed/?$`), handler: (r) => this.changed(r) },
      ],
      unknown: () => error(404, 'Resource not found'),
      badRequest: (_req, message) => error(400, message),
      authenticate: (req) => this.authenticate(req),
    });
  }

  /** Replaces the company's employees (BambooHR's own field names and string values). */
  seed(rows: BambooRow[]): void {
    this.employees.clear();
    for (const r of rows) this.employees.set(r.id, { ...r });
  }

  /** Adds a new employee, recorded as Inserted at `lastChanged`. */
  insert(row: BambooRow): void {
    this.employees.set(row.id, { ...row });
    this.inserted.add(row.id);
  }

  /** Changes fields of an employee, recorded as Updated at `lastChanged`. */
  update(id: string, fields: Record<string, string | null>): void {
    const row = this.employees.get(id);
    if (!row) throw new Error(`no employee ${id}`);
    Object.assign(row, fields);
  }

  /** Deletes an employee record, recorded as Deleted at `at`. */
  remove(id: string, at: string): void {
    this.employees.delete(id);
    this.deleted.push({ id, lastChanged: at });
  }

  /** The next `times` requests are throttled as BambooHR does: 503 (or 429) with Retry-After. */
  throttle(times: number, retryAfterSeconds: number, status: 503 | 429 = 503): void {
    this.server.inject({
      kind: 'status',
      status,
      headers: {
        'retry-after': String(retryAfterSeconds),
        'x-bamboohr-error-message': 'Rate limit exceeded',
      },
      times,
    });
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    // BambooHR takes the key as the user and ignores the password (documented as `x`).
    if (basicCredentials(req)?.user === this.apiKey) return undefined;
    return error(401, 'Your API key is missing or invalid');
  }

  private report(req: FakeRequest): FakeResponse {
    const format = req.url.searchParams.get('format');
    if (format?.toLowerCase() !== 'json') {
      return { status: 200, headers: { 'content-type': 'text/xml' }, raw: '<report/>' };
    }
    const contentType = req.headers['content-type'];
    if (contentType !== 'application/json') return error(400, 'Malformed XML');
    const body = requireBody<{
      fields?: unknown;
      filters?: { lastChanged?: { value?: string; includeNull?: string } };
    }>(req);
    if (!Array.isArray(body.fields) || body.fields.some((f) => typeof f !== 'string')) {
      throw new BadRequest('fields must be a list of field names');
    }
    if (body.fields.length > 400) throw new BadRequest('At most 400 fields may be requested');
    this.reportRequests.push({ fields: body.fields, filters: body.filters, contentType });
    const fields = (body.fields as string[]).filter((f) => f in KNOWN_FIELDS);
    let rows = [...this.employees.values()];
    const since = body.filters?.lastChanged?.value;
    if (since) {
      if (!SINCE.test(since)) throw new BadRequest(`Invalid lastChanged value: ${since}`);
      const at = Date.parse(since);
      rows = rows.filter((r) =>
        r.lastChanged ? Date.parse(r.lastChanged) >= at : body.filters?.lastChanged?.includeNull === 'yes',
      );
    }
    return {
      status: 200,
      body: {
        title: 'Report',
        fields: fields.map((id) => ({ id, ...KNOWN_FIELDS[id] })),
        employees: rows.map((r) =>
          Object.fromEntries(
            ['id', ...fields.filter((f) => f !== 'id')].map((f) => [
              f,
              r[f] ?? (DATE_FIELDS.has(f) ? '0000-00-00' : null),
            ]),
          ),
        ),
      },
    };
  }

  private changed(req: FakeRequest): FakeResponse {
    const since = req.url.searchParams.get('since');
    if (!since || !SINCE.test(since)) {
      return error(400, 'Invalid or missing since parameter (an ISO 8601 time with offset)');
    }
    if (!/application\/json/.test(req.headers.accept ?? '')) {
      return { status: 200, headers: { 'content-type': 'text/xml' }, raw: '<employees/>' };
    }
    const at = Date.parse(since.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    const employees: Record<string, { id: string; action: string; lastChanged: string }> = {};
    let latest = '';
    const note = (id: string, action: string, lastChanged: string) => {
      if (Date.parse(lastChanged) < at) return;
      employees[id] = { id, action, lastChanged };
      if (lastChanged > latest) latest = lastChanged;
    };
    for (const r of this.employees.values()) {
      if (r.lastChanged) note(r.id, this.inserted.has(r.id) ? 'Inserted' : 'Updated', r.lastChanged);
    }
    for (const d of this.deleted) note(d.id, 'Deleted', d.lastChanged);
    return { status: 200, body: { latest: latest || since, employees } };
  }
}

function error(status: number, message: string): FakeResponse {
  return { status, headers: { 'x-bamboohr-error-message': message }, raw: '' };
}
