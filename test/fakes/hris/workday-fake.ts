/**
 * A loopback Workday tenant serving one custom report as a web service (RaaS):
 * `GET /ccx/service/customreport2/{tenant}/{owner}/{report}?format=json` with basic auth as the
 * integration system user answers `{ "Report_Entry": [ ... ] }`, every row at once (RaaS does not
 * page); without `format=json` it answers XML, as Workday does. Rows are seeded in the report's
 * own shape: column alias -> text. A wrong user or password is a 401, an unknown report a 404.
 * Workday's own gateway throttles with 429 or 503 and Retry-After, injected with `throttle`.
 */
import {
  basicCredentials,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  VendorFake,
} from '../fake-server.js';

export type WorkdayRow = Record<string, string>;

export class WorkdayFake extends VendorFake {
  readonly server: FakeServer;
  private rows: WorkdayRow[] = [];

  constructor(
    readonly tenant: string,
    readonly owner: string,
    readonly report: string,
    private readonly credentials: { user: string; password: string },
  ) {
    super();
    this.server = new FakeServer({
      name: 'workday',
      routes: [
        {
          method: 'GET',
          path: new RegExp(`^/ccx/service/customreport2/${tenant}/${owner}/${report}$`),
          handler: (r) => this.serve(r),
        },
      ],
      unknown: (req) => ({
        status: 404,
        body: { error: `Report not found: ${req.url.pathname}` },
      }),
      badRequest: (_req, message) => ({ status: 400, body: { error: message } }),
      authenticate: (req) => this.authenticate(req),
    });
  }

  /** The report's URL on this fake (what policy's reportUrl would hold). */
  get reportUrl(): string {
    return `${this.url}/ccx/service/customreport2/${this.tenant}/${this.owner}/${this.report}?format=json`;
  }

  seed(rows: WorkdayRow[]): void {
    this.rows = rows.map((r) => ({ ...r }));
  }

  throttle(times: number, retryAfterSeconds: number, status: 429 | 503 = 429): void {
    this.server.inject({
      kind: 'status',
      status,
      headers: { 'retry-after': String(retryAfterSeconds) },
      body: { error: 'Too many requests' },
      times,
    });
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    const given = basicCredentials(req);
    if (given?.user === this.credentials.user && given.password === this.credentials.password)
      return undefined;
    return { status: 401, body: { error: 'invalid username or password' } };
  }

  private serve(req: FakeRequest): FakeResponse {
    if (req.url.searchParams.get('format') !== 'json') {
      return {
        status: 200,
        headers: { 'content-type': 'application/xml' },
        raw: '<wd:Report_Data xmlns:wd="urn:com.workday.report/fake"/>',
      };
    }
    return { status: 200, body: { Report_Entry: this.rows } };
  }
}
