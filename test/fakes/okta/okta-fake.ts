/**
 * A loopback Okta org, held to Okta's own description (vendor-specs/okta-management-openapi.yaml)
 * for the endpoints the connector uses: users (list with filter/search, create, get by id or
 * login, lifecycle activate/suspend/unsuspend/deactivate, sessions), groups (search, members,
 * PUT/DELETE membership) and apps (list, app users, assign/unassign), plus the org
 * authorization server's /oauth2/v1/token for `private_key_jwt` service apps.
 *
 * Okta behaviours it keeps: `limit` + `after` paging with absolute `Link` headers (rel self and
 * next); the Error body {errorCode, errorSummary, errorLink, errorId, errorCauses}; 401 E0000011
 * for a missing or wrong credential; 403 E0000006 with `WWW-Authenticate: ... insufficient_scope`
 * when the access token lacks the operation's scope; X-Rate-Limit-Limit / -Remaining / -Reset on
 * every answer, per endpoint bucket per window (its own copy of Okta's documented table), and
 * 429 E0000047 beyond it; the user status machine (STAGED -> activate -> PROVISIONED; suspend
 * only ACTIVE; unsuspend only SUSPENDED; unlock LOCKED_OUT -> ACTIVE; deactivate ->
 * DEPROVISIONED, which unassigns every app but keeps group memberships); app assignments of
 * scope USER or GROUP, a GROUP one refused on unassign (403 E0000046); a plain user list omits
 * DEPROVISIONED users, a filter or search does not; activation with sendEmail=true answers `{}`
 * (the link goes by email), with sendEmail=false it answers the link (counted, so a test can
 * prove the connector never asks for it). Optionally, group membership reads lag behind writes
 * (Okta documents them as eventually consistent).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Application, AppUser, Group, LogEvent, User, UserStatus } from '@okta/okta-sdk-nodejs';
import { OKTA_ENABLED_STATUSES } from '../../../src/providers/okta/okta-provider.js';
import {
  BadRequest,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  type RecordedRequest,
  type Route,
  VendorFake,
} from '../fake-server.js';
import { checkClientAssertion, type ServiceApp } from './client-assertion.js';
import { compileExpression } from './expression.js';

/** A vendor type as it travels in JSON: dates are strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export interface OktaErrorBody {
  errorCode: string;
  errorSummary: string;
  errorLink: string;
  errorId: string;
  errorCauses: { errorSummary: string }[];
}

export interface FakeOktaUser {
  id: string;
  status: UserStatus;
  profile: { login: string; email: string; firstName: string; lastName: string; displayName?: string };
  created: string;
  activated: string | null;
  statusChanged: string | null;
  lastUpdated: string;
  /** One entry per sign-in: its session and its OAuth token live until revoked. */
  signIns: { session: boolean; token: boolean }[];
  /** The user object's `lastLogin`: the last sign-in, to the second; null before the first. */
  lastLogin: string | null;
}

interface PendingMembership {
  userId: string;
  added: boolean;
  visibleAt: number;
  readsLeft: number;
}

interface FakeGroup {
  id: string;
  name: string;
  type: 'OKTA_GROUP' | 'BUILT_IN' | 'APP_GROUP';
  members: Set<string>;
  pending: PendingMembership[];
  created: string;
  /** The profile's last change (a rename): Okta's `lastUpdated`. */
  lastUpdated: string;
  lastMembershipUpdated: string;
}

/** One System Log event as the fake keeps it: the wire object and its order of publication. */
interface StoredLogEvent {
  seq: number;
  at: number;
  json: Wire<LogEvent>;
}

/** What a System Log event names: a user, a group or an app instance. */
type LogTargetOf =
  | { type: 'User'; user: FakeOktaUser }
  | { type: 'UserGroup'; group: FakeGroup }
  | { type: 'AppInstance'; app: FakeApp };

/**
 * How long Okta keeps System Log events: "Log data older than 90 days is not returned"
 * (developer.okta.com System Log reference, Data Retention). Older events are not an error; they
 * are simply gone, so a reader whose checkpoint is older must read in full.
 */
export const SYSTEM_LOG_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/** The System Log's page size: 100 by default, at most 1000 ("Integer between 0 and 1000"). */
const LOG_PAGE = { default: 100, max: 1000 };
/** `since` when a request has none: "7 days prior to until". */
const LOG_DEFAULT_SPAN_MS = 7 * 24 * 60 * 60 * 1000;
/** What a System Log `filter` may name in the fake (Okta allows more; the fake refuses the rest). */
const LOG_FILTER_ATTRS = ['eventType', 'target.id', 'target.type', 'actor.id', 'outcome.result', 'severity'];
const LOG_PARAMS = new Set(['since', 'until', 'after', 'filter', 'limit', 'sortOrder']);

interface FakeApp {
  id: string;
  label: string;
  status: 'ACTIVE' | 'INACTIVE';
  users: Map<string, { scope: 'USER' | 'GROUP'; created: string }>;
  created: string;
}

/** One fixed window of a rate-limit bucket: when it opened, its limit, the requests it accepted. */
export interface RateWindow {
  bucket: string;
  start: number;
  limit: number;
  count: number;
}

export interface OktaFakeOptions {
  /**
   * Every bucket's limit per minute (default: Okta's usual limits per bucket), counted in
   * fixed windows of `windowSeconds` (default 60) scaled to match; the bench uses the real 60 s.
   */
  rateLimit?: { perMinute?: number; windowSeconds?: number };
  /** Group membership reads show a write only after `ms` and/or after `reads` member listings. */
  membershipLag?: { ms?: number; reads?: number };
  now?: () => number;
}

/**
 * Okta's management rate-limit buckets (developer.okta.com/docs/reference/rl-global-mgmt,
 * Workforce Identity column, per minute), written out here and NOT taken from the connector,
 * so that a connector filing a request under the wrong bucket meets a limit it did not expect.
 * First match wins. The token endpoint's limit is the authentication table's.
 */
const BUCKETS: { name: string; perMinute: number; matches: (method: string, path: string) => boolean }[] = [
  { name: '/oauth2/v1/token', perMinute: 600, matches: (_m, p) => p === '/oauth2/v1/token' },
  // "Create or list users: only GET or POST to /api/v1/users"
  { name: '/api/v1/users', perMinute: 600, matches: (_m, p) => p === '/api/v1/users' },
  // "Get a user by ID or sign in: only GET to /api/v1/users/{idOrLogin}"
  {
    name: 'GET /api/v1/users/{idOrLogin}',
    perMinute: 2000,
    matches: (m, p) => m === 'GET' && /^\/api\/v1\/users\/[^/]+$/.test(p),
  },
  // "Update or delete a user by ID: only POST, PUT or DELETE to /api/v1/users/{id}"
  { name: '/api/v1/users/{id}', perMinute: 600, matches: (_m, p) => /^\/api\/v1\/users\/[^/]+$/.test(p) },
  // "Get, update, or delete a group by ID: /api/v1/groups/{id} only"
  { name: '/api/v1/groups/{id}', perMinute: 1000, matches: (_m, p) => /^\/api\/v1\/groups\/[^/]+$/.test(p) },
  // "Create or list groups: /api/v1/groups except /api/v1/groups/{id}" (members included)
  { name: '/api/v1/groups*', perMinute: 500, matches: (_m, p) => /^\/api\/v1\/groups(\/|$)/.test(p) },
  // "Get, update, or delete an app by ID: explicit calls to the app instance /api/v1/apps/{id}"
  { name: '/api/v1/apps/{id}', perMinute: 500, matches: (_m, p) => /^\/api\/v1\/apps\/[^/]+$/.test(p) },
  // "Create, list, or other app actions: /api/v1/apps and /api/v1/apps/* incl. /api/v1/apps/{id}/*"
  { name: '/api/v1/apps*', perMinute: 100, matches: (_m, p) => /^\/api\/v1\/apps(\/|$)/.test(p) },
  // "Get System Log events: /api/v1/logs" (UNVERIFIED: 120 per minute is a third-party summary of
  // Okta's table, api-evangelist/okta rate-limits; Okta's own page was not in the searchable docs)
  { name: '/api/v1/logs', perMinute: 120, matches: (_m, p) => p === '/api/v1/logs' },
  // "Most other API actions: /api/v1" (user lifecycle and sessions among them)
  { name: '/api/v1', perMinute: 1200, matches: () => true },
];

type OktaBucket = (typeof BUCKETS)[number];

/** The documented bucket a request counts against (`path` may carry a query). */
export function documentedBucket(method: string, path: string): OktaBucket {
  const pathname = new URL(path, 'http://okta.invalid').pathname.replace(/\/+$/, '');
  return BUCKETS.find((b) => b.matches(method.toUpperCase(), pathname))!;
}

const ENABLED: ReadonlySet<string> = OKTA_ENABLED_STATUSES;

/** The scope an operation needs; `.manage` includes `.read`. */
type Scope = 'users' | 'groups' | 'apps' | 'logs';

const USER_FILTER_ATTRS = [
  'status',
  'lastUpdated',
  'id',
  'profile.login',
  'profile.email',
  'profile.firstName',
  'profile.lastName',
];
const USER_SEARCH_ATTRS = [
  ...USER_FILTER_ATTRS,
  'created',
  'activated',
  'statusChanged',
  'profile.displayName',
];
/** The date-time attributes `gt`, `ge`, `lt` and `le` compare (Okta's examples use them so). */
const INSTANT_ATTRS = ['created', 'lastUpdated', 'lastMembershipUpdated', 'activated', 'statusChanged'];
const GROUP_ATTRS = [
  'id',
  'type',
  'profile.name',
  'profile.description',
  'created',
  'lastUpdated',
  'lastMembershipUpdated',
];

export class OktaFake extends VendorFake {
  readonly server: FakeServer;
  private readonly now: () => number;
  readonly users = new Map<string, FakeOktaUser>();
  private readonly groups = new Map<string, FakeGroup>();
  private readonly apps = new Map<string, FakeApp>();
  /** SSWS API tokens accepted (admin rights: every scope). */
  private readonly apiTokens = new Set<string>();
  private readonly serviceApps = new Map<string, ServiceApp>();
  private readonly accessTokens = new Map<string, { scopes: Set<string>; expiresAt: number }>();
  private readonly usedJtis = new Set<string>();
  private readonly windows = new Map<string, RateWindow>();
  private readonly routeTable = this.routes();
  rateLimit: { perMinute?: number; windowSeconds: number };
  membershipLag: { ms: number; reads: number };
  /** Logins Okta emailed an activation link to. */
  readonly activationEmails: string[] = [];
  /** Activation links put in an API answer (sendEmail=false): must stay 0. */
  activationLinksReturned = 0;
  /** Every 429 the fake's own limiter sent: when, for which bucket, and the reset it named. */
  readonly throttled: { at: number; bucket: string; resetAt: number }[] = [];
  /**
   * Every rate-limit window the fake opened, in order, with the requests it accepted in it: what
   * the fake enforced, so that a throughput figure is computed against it (`sustainedThroughput`).
   */
  readonly windowsOpened: RateWindow[] = [];
  /** The System Log, oldest first; events past the retention are dropped as they age. */
  private readonly logEvents: StoredLogEvent[] = [];
  private seq = 0;

  constructor(opts: OktaFakeOptions = {}) {
    super();
    this.now = opts.now ?? Date.now;
    this.rateLimit = { windowSeconds: 60, ...opts.rateLimit };
    this.membershipLag = { ms: 0, reads: 0, ...opts.membershipLag };
    this.server = new FakeServer({
      name: 'okta',
      routes: this.routeTable,
      unknown: (req) => this.unknown(req),
      badRequest: (_req, message) => this.error(400, 'E0000001', 'Api validation failed: request', [message]),
      authenticate: (req) => this.authenticate(req),
      throttle: (req, now) => this.throttle(req, now),
      decorate: (req, res, now) => this.decorate(req, res, now),
      now: this.now,
    });
  }

  // --- credentials ---------------------------------------------------------------------------

  addApiToken(token: string): void {
    this.apiTokens.add(token);
  }

  registerServiceApp(app: ServiceApp): void {
    this.serviceApps.set(app.clientId, app);
  }

  // --- seeding and inspection (what an administrator does in the console) ----------------------

  reset(): void {
    this.users.clear();
    this.groups.clear();
    this.apps.clear();
    this.windows.clear();
    this.windowsOpened.length = 0;
    this.logEvents.length = 0;
    this.activationEmails.length = 0;
    this.activationLinksReturned = 0;
  }

  addUser(u: { login: string; displayName?: string; status?: UserStatus }): string {
    const login = u.login;
    const name = u.displayName ?? login.split('@')[0]!;
    const cut = name.lastIndexOf(' ');
    const at = this.iso();
    const user: FakeOktaUser = {
      id: this.id('00u'),
      status: u.status ?? 'ACTIVE',
      profile: {
        login,
        email: login,
        firstName: cut > 0 ? name.slice(0, cut) : name,
        lastName: cut > 0 ? name.slice(cut + 1) : name,
        displayName: name,
      },
      created: at,
      activated: u.status === 'STAGED' ? null : at,
      statusChanged: at,
      lastUpdated: at,
      signIns: [],
      lastLogin: null,
    };
    this.users.set(user.id, user);
    return user.id;
  }

  addGroup(name: string, type: FakeGroup['type'] = 'OKTA_GROUP'): string {
    const id = this.id('00g');
    const at = this.iso();
    this.groups.set(id, {
      id,
      name,
      type,
      members: new Set(),
      pending: [],
      created: at,
      lastUpdated: at,
      lastMembershipUpdated: at,
    });
    return id;
  }

  addApp(label: string, status: FakeApp['status'] = 'ACTIVE'): string {
    const id = this.id('0oa');
    this.apps.set(id, { id, label, status, users: new Map(), created: this.iso() });
    return id;
  }

  /** Seeds members by id (the bench's 50,000 memberships: no lookup by name or login). */
  addMemberIds(groupId: string, userIds: Iterable<string>): void {
    const g = this.groups.get(groupId);
    if (!g) throw new Error(`okta fake: no group ${groupId}`);
    for (const id of userIds) g.members.add(id);
  }

  /** Seeds a membership directly: visible at once, whatever the lag. */
  addMember(groupName: string, login: string): void {
    this.groupNamed(groupName).members.add(this.userByLogin(login)!.id);
  }

  assignApp(label: string, login: string, scope: 'USER' | 'GROUP' = 'USER'): void {
    this.appLabelled(label).users.set(this.userByLogin(login)!.id, { scope, created: this.iso() });
  }

  // --- out-of-band changes: an administrator in the Admin Console --------------------------------
  // Unlike the seeding helpers above, these move the timestamps Okta moves (`lastUpdated`,
  // `lastMembershipUpdated`, `statusChanged`) and write the System Log events Okta writes.

  consoleCreateUser(login: string, displayName?: string): void {
    if (this.userByLogin(login)) throw new Error(`okta fake: ${login} exists`);
    const u = this.users.get(this.addUser({ login, displayName, status: 'ACTIVE' }))!;
    this.record('user.lifecycle.create', [{ type: 'User', user: u }]);
    this.record('user.lifecycle.activate', [{ type: 'User', user: u }]);
  }

  consoleRenameUser(login: string, displayName: string): void {
    const u = this.mustUser(login);
    u.profile.displayName = displayName;
    u.lastUpdated = this.iso();
    this.record('user.account.update_profile', [{ type: 'User', user: u }]);
  }

  /** A lifecycle operation as the console offers it; refused as the API refuses it. */
  consoleLifecycle(login: string, op: 'activate' | 'suspend' | 'unsuspend' | 'unlock' | 'deactivate'): void {
    const req = { url: new URL('http://console.invalid/?sendEmail=true') } as FakeRequest;
    const res = this.lifecycle(this.mustUser(login), op, req);
    if (res.status >= 400) throw new Error(`okta fake: ${op} ${login}: ${JSON.stringify(res.body)}`);
  }

  /** Deletes an account for good (deactivating it first, as Okta requires); its memberships go. */
  consoleDeleteUser(login: string): void {
    const u = this.mustUser(login);
    if (u.status !== 'DEPROVISIONED') this.consoleLifecycle(login, 'deactivate');
    this.record('user.lifecycle.delete.initiated', [{ type: 'User', user: u }]);
    for (const g of this.groups.values()) g.members.delete(u.id);
    for (const a of this.apps.values()) a.users.delete(u.id);
    this.users.delete(u.id);
  }

  consoleSetMember(groupName: string, login: string, add: boolean): void {
    this.setMember(this.groupNamed(groupName).id, this.mustUser(login).id, add);
  }

  consoleCreateGroup(name: string): void {
    const g = this.groups.get(this.addGroup(name))!;
    this.record('group.lifecycle.create', [{ type: 'UserGroup', group: g }]);
  }

  consoleRenameGroup(name: string, to: string): void {
    const g = this.groupNamed(name);
    g.name = to;
    g.lastUpdated = this.iso();
    this.record('group.profile.update', [{ type: 'UserGroup', group: g }]);
  }

  consoleDeleteGroup(name: string): void {
    const g = this.groupNamed(name);
    this.groups.delete(g.id);
    this.record('group.lifecycle.delete', [{ type: 'UserGroup', group: g }]);
  }

  /** A direct (scope USER) app assignment given or taken away. */
  consoleAssignApp(label: string, login: string, add: boolean): void {
    const a = this.appLabelled(label);
    const u = this.mustUser(login);
    if (add)
      this.assignAppUser(
        { body: { id: u.id }, url: new URL('http://console.invalid/') } as FakeRequest,
        a.id,
      );
    else if (a.users.get(u.id)?.scope === 'USER') this.unassignAppUser(a.id, u.id);
  }

  /** The System Log events kept (within the retention), for tests. */
  systemLog(): Wire<LogEvent>[] {
    this.pruneLog();
    return this.logEvents.map((e) => e.json);
  }

  signIn(login: string): void {
    const u = this.userByLogin(login);
    if (!u || !ENABLED.has(u.status)) throw new Error(`okta fake: ${login} cannot sign in`);
    u.signIns.push({ session: true, token: true });
    u.lastLogin = `${this.iso().slice(0, 19)}.000Z`;
  }

  userByLogin(login: string): FakeOktaUser | undefined {
    const wanted = login.toLowerCase();
    for (const u of this.users.values()) if (u.profile.login.toLowerCase() === wanted) return u;
    return undefined;
  }

  /** The access tokens the token endpoint issued and that have not expired. */
  liveAccessTokens(): string[] {
    return [...this.accessTokens].filter(([, t]) => t.expiresAt > this.now()).map(([token]) => token);
  }

  /** Sign-ins with a live session or OAuth token. */
  liveSessions(login: string): number {
    return this.userByLogin(login)?.signIns.filter((s) => s.session || s.token).length ?? 0;
  }

  /** The true members of a group (logins), whatever the read lag shows. */
  groupMembers(name: string): string[] {
    return this.loginsOf(this.groupNamed(name).members);
  }

  appMembers(label: string): string[] {
    return this.loginsOf(this.appLabelled(label).users.keys());
  }

  hasGroup(name: string): boolean {
    return [...this.groups.values()].some((g) => g.name === name);
  }

  hasApp(label: string): boolean {
    return [...this.apps.values()].some((a) => a.label === label);
  }

  /**
   * Requests (of `log`, by default all) that arrived after one of the fake's 429s and before
   * the reset it named, in the same bucket: what a well-behaved client never sends.
   */
  requestsBeforeReset(log: readonly RecordedRequest[] = this.server.requests): number {
    return log.filter((r) =>
      this.throttled.some(
        (t) => r.at > t.at && r.at < t.resetAt && documentedBucket(r.method, r.path).name === t.bucket,
      ),
    ).length;
  }

  /**
   * The throughput a client sustained against the limits this fake enforced, per bucket the
   * requests of `log` fell in (a bucket they touched in one window only has none): every request
   * the fake accepted in that bucket from the start of the first window `log` touched to the
   * start of the last one, per minute, and as a share of the bucket's limit per minute. The fake
   * accepts at most `limit` requests in a window and opens the next no sooner than
   * `windowSeconds` later, so the share cannot exceed 1. An apply of N x limit + 1 requests
   * measures N full windows: the last request marks when the next one opened.
   */
  sustainedThroughput(
    log: readonly RecordedRequest[],
  ): { bucket: string; perMinute: number; limitPerMinute: number; share: number; windows: number }[] {
    const out = [];
    const touched = new Map<string, number[]>();
    for (const r of log) {
      const bucket = documentedBucket(r.method, r.path).name;
      const times = touched.get(bucket);
      if (times) times.push(r.at);
      else touched.set(bucket, [r.at]);
    }
    for (const [bucket, times] of touched) {
      const windows = this.windowsOpened.filter((w) => w.bucket === bucket);
      const windowOf = (at: number) => windows.findLastIndex((w) => w.start <= at);
      const first = Math.max(0, Math.min(...times.map(windowOf)));
      const last = Math.max(...times.map(windowOf));
      if (last <= first) continue;
      const accepted = windows.slice(first, last).reduce((n, w) => n + w.count, 0);
      const spanMs = windows[last]!.start - windows[first]!.start;
      const perMinute = (accepted / spanMs) * 60_000;
      const limitPerMinute = (windows[first]!.limit * 60) / this.rateLimit.windowSeconds;
      out.push({
        bucket,
        perMinute,
        limitPerMinute,
        share: perMinute / limitPerMinute,
        windows: last - first,
      });
    }
    return out;
  }

  private mustUser(login: string): FakeOktaUser {
    const u = this.userByLogin(login);
    if (!u) throw new Error(`okta fake: no user ${login}`);
    return u;
  }

  // --- the System Log --------------------------------------------------------------------------

  /** Writes one event, published now, naming its targets as Okta names them. */
  private record(eventType: string, targets: LogTargetOf[]): void {
    const at = this.now();
    const target = targets.map((t) => {
      if (t.type === 'User') {
        const u = t.user;
        const name = u.profile.displayName ?? `${u.profile.firstName} ${u.profile.lastName}`;
        return { id: u.id, type: 'User', alternateId: u.profile.login, displayName: name };
      }
      if (t.type === 'UserGroup')
        return {
          id: t.group.id,
          type: 'UserGroup',
          alternateId: 'unknown',
          displayName: t.group.name,
        };
      return {
        id: t.app.id,
        type: 'AppInstance',
        alternateId: t.app.label,
        displayName: t.app.label,
      };
    });
    this.seq++;
    // Okta sends null for absent parts (detailEntry, client, ...); its OpenAPI description types
    // them as non-nullable objects, so the fake leaves them out (readers must not need them).
    const json = {
      uuid: randomUUID(),
      published: new Date(at).toISOString(),
      eventType,
      version: '0',
      severity: 'INFO',
      displayMessage: eventType,
      actor: {
        id: '00ufakeadmin',
        type: 'User',
        alternateId: 'admin@okta.fake',
        displayName: 'Fake Admin',
      },
      outcome: { result: 'SUCCESS' },
      target,
      transaction: { type: 'WEB', id: randomBytes(8).toString('hex'), detail: {} },
      debugContext: { debugData: {} },
      request: { ipChain: [] },
    } as unknown as Wire<LogEvent>;
    this.logEvents.push({ seq: this.seq, at, json });
  }

  private pruneLog(): void {
    const oldest = this.now() - SYSTEM_LOG_RETENTION_MS;
    const keep = this.logEvents.findIndex((e) => e.at >= oldest);
    this.logEvents.splice(0, keep < 0 ? this.logEvents.length : keep);
  }

  /**
   * GET /api/v1/logs. A bounded request (with `until`) lists the events published in
   * [since, until) and ends when no `next` link comes; a polling request (no `until`) always
   * answers a `next` link, even after an empty page, as Okta documents for polling (the stream
   * never ends: okta-sdk-dotnet#337). Events older than the retention are not returned, whatever
   * `since` says. `q` and any parameter the fake does not implement are refused.
   */
  private listLogs(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    for (const k of q.keys())
      if (!LOG_PARAMS.has(k)) throw new BadRequest(`${k}: not supported by the fake's System Log`);
    const instant = (name: string): number => {
      const text = q.get(name)!;
      const at = Date.parse(text);
      if (Number.isNaN(at) || !/^\d{4}-\d\d-\d\dT/.test(text)) {
        throw new BadRequest(
          `${name}: The date format in your query is not recognized. Please enter dates using ISO8601 string format.`,
        );
      }
      return at;
    };
    const bounded = q.has('until');
    const until = bounded ? instant('until') : this.now();
    const since = q.has('since') ? instant('since') : until - LOG_DEFAULT_SPAN_MS;
    if (since > until) throw new BadRequest('since: must be before until');
    const limit = q.has('limit') ? Number(q.get('limit')) : LOG_PAGE.default;
    if (!Number.isInteger(limit) || limit < 0 || limit > LOG_PAGE.max)
      throw new BadRequest(`limit: must be an integer between 0 and ${LOG_PAGE.max}`);
    const order = q.get('sortOrder') ?? 'ASCENDING';
    if (order !== 'ASCENDING' && order !== 'DESCENDING')
      throw new BadRequest('sortOrder: must be ASCENDING or DESCENDING');
    const filter = q.get('filter');
    const match = filter
      ? compileExpression(filter, { caseInsensitive: false, attributes: LOG_FILTER_ATTRS })
      : () => true;
    this.pruneLog();
    let events = this.logEvents.filter((e) => e.at >= since && e.at < until && match(e.json));
    if (order === 'DESCENDING') events = events.reverse();
    const after = q.get('after');
    if (after !== null && !/^\d+$/.test(after)) throw new BadRequest('after: not a cursor this org issued');
    const cursor = after === null ? undefined : Number(after);
    const start =
      cursor === undefined
        ? 0
        : events.findIndex((e) => (order === 'ASCENDING' ? e.seq > cursor : e.seq < cursor));
    const page = start < 0 ? [] : events.slice(start, start + limit);
    const more = start >= 0 && start + page.length < events.length;
    const base = `${this.url}${req.url.pathname}`;
    const links = [`<${base}${req.url.search}>; rel="self"`];
    if (more || !bounded) {
      const next = new URLSearchParams(q);
      const last = page[page.length - 1]?.seq ?? cursor;
      if (last !== undefined) next.set('after', String(last));
      links.push(`<${base}?${next.toString()}>; rel="next"`);
    }
    return { status: 200, headers: { link: links.join(', ') }, body: page.map((e) => e.json) };
  }

  private getGroup(groupId: string): FakeResponse {
    const g = this.groups.get(groupId);
    if (!g) return this.error(404, 'E0000007', `Not found: Resource not found: ${groupId} (UserGroup)`, []);
    return { status: 200, body: this.groupJson(g) };
  }

  private loginsOf(ids: Iterable<string>): string[] {
    return [...ids].map((id) => this.users.get(id)!.profile.login.toLowerCase()).sort();
  }

  private groupNamed(name: string): FakeGroup {
    const g = [...this.groups.values()].find((x) => x.name === name);
    if (!g) throw new Error(`okta fake: no group ${name}`);
    return g;
  }

  private appLabelled(label: string): FakeApp {
    const a = [...this.apps.values()].find((x) => x.label === label);
    if (!a) throw new Error(`okta fake: no app ${label}`);
    return a;
  }

  private id(prefix: string): string {
    this.seq++;
    return `${prefix}${this.seq.toString(36).padStart(6, '0')}${randomBytes(5).toString('hex')}`;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  // --- protocol: errors, auth, throttling --------------------------------------------------------

  private error(status: number, code: string, summary: string, causes: string[]): FakeResponse {
    const body: OktaErrorBody = {
      errorCode: code,
      errorSummary: summary,
      errorLink: code,
      errorId: `oae${randomBytes(10).toString('base64url')}`,
      errorCauses: causes.map((errorSummary) => ({ errorSummary })),
    };
    return { status, body };
  }

  /** A path Okta serves with another method: 405 E0000022; any other path: 404 E0000007. */
  private unknown(req: FakeRequest): FakeResponse {
    const pathname = decodeURIComponent(req.url.pathname);
    if (this.routeTable.some((r) => r.path.test(pathname))) {
      return this.error(405, 'E0000022', 'The endpoint does not support the provided HTTP method', []);
    }
    return this.error(404, 'E0000007', `Not found: Resource not found: ${pathname} (Endpoint)`, []);
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    if (req.url.pathname === '/oauth2/v1/token') return undefined;
    const header = req.headers.authorization ?? '';
    const [scheme, credential] = header.split(' ', 2);
    if (scheme === 'SSWS' && credential && this.apiTokens.has(credential)) return undefined;
    const token = scheme === 'Bearer' && credential ? this.accessTokens.get(credential) : undefined;
    if (token && token.expiresAt > this.now()) return undefined;
    return {
      ...this.error(401, 'E0000011', 'Invalid token provided', []),
      headers: {
        'www-authenticate': 'Bearer authorization_uri="", realm="IdpServer", error="invalid_token"',
      },
    };
  }

  /** 403 unless the request's credential holds the scope (SSWS tokens hold every scope). */
  private authorize(req: FakeRequest, scope: Scope, write: boolean): FakeResponse | undefined {
    const [scheme, credential] = (req.headers.authorization ?? '').split(' ', 2);
    if (scheme === 'SSWS') return undefined;
    const granted = this.accessTokens.get(credential ?? '')?.scopes ?? new Set<string>();
    const manage = `okta.${scope}.manage`;
    if (granted.has(manage) || (!write && granted.has(`okta.${scope}.read`))) return undefined;
    return {
      ...this.error(403, 'E0000006', 'You do not have permission to perform the requested action', []),
      headers: {
        'www-authenticate': `Bearer realm="IdpServer", scope="${manage}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes."`,
      },
    };
  }

  private bucketLimit(bucket: OktaBucket): number {
    const perMinute = this.rateLimit.perMinute ?? bucket.perMinute;
    return Math.max(1, Math.round((perMinute * this.rateLimit.windowSeconds) / 60));
  }

  /** The bucket's current window (a new one starts on the first request after the last ended). */
  private window(bucket: OktaBucket, now: number): { start: number; count: number } {
    const span = this.rateLimit.windowSeconds * 1000;
    let w = this.windows.get(bucket.name);
    if (!w || now >= w.start + span) {
      w = {
        bucket: bucket.name,
        start: Math.floor(now / 1000) * 1000,
        count: 0,
        limit: this.bucketLimit(bucket),
      };
      this.windows.set(bucket.name, w);
      this.windowsOpened.push(w);
    }
    return w;
  }

  private throttle(req: FakeRequest, now: number): FakeResponse | undefined {
    const bucket = documentedBucket(req.method, req.url.pathname);
    const w = this.window(bucket, now);
    if (w.count >= this.bucketLimit(bucket)) {
      this.throttled.push({
        at: now,
        bucket: bucket.name,
        resetAt: w.start + this.rateLimit.windowSeconds * 1000,
      });
      return this.error(429, 'E0000047', 'API call exceeded rate limit due to too many requests.', []);
    }
    w.count++;
    return undefined;
  }

  private decorate(req: FakeRequest, res: FakeResponse, now: number): void {
    const bucket = documentedBucket(req.method, req.url.pathname);
    const w = this.window(bucket, now);
    const limit = this.bucketLimit(bucket);
    res.headers = {
      'x-rate-limit-limit': String(limit),
      'x-rate-limit-remaining': String(Math.max(0, limit - w.count)),
      'x-rate-limit-reset': String(Math.ceil((w.start + this.rateLimit.windowSeconds * 1000) / 1000)),
      'x-okta-request-id': randomUUID(),
      // A fault's own headers (a scripted 429's reset) win over the bookkeeping.
      ...res.headers,
    };
  }

  // --- routes ------------------------------------------------------------------------------------

  private routes(): Route[] {
    const id = '([^/]+)';
    const r = (
      method: string,
      path: string,
      scope: Scope | null,
      handler: (req: FakeRequest, p: string[]) => FakeResponse,
    ): Route => ({
      method,
      path: new RegExp(`^${path}$`),
      write: method !== 'GET',
      handler: (req, p) => (scope && this.authorize(req, scope, method !== 'GET')) || handler(req, p),
    });
    return [
      r('POST', '/oauth2/v1/token', null, (req) => this.token(req)),
      r('GET', '/api/v1/users', 'users', (req) => this.listUsers(req)),
      r('POST', '/api/v1/users', 'users', (req) => this.createUser(req)),
      r('GET', `/api/v1/users/${id}`, 'users', (_req, [u]) =>
        this.withUser(u!, (x) => ({ status: 200, body: this.userJson(x) })),
      ),
      r(
        'POST',
        `/api/v1/users/${id}/lifecycle/(activate|deactivate|suspend|unsuspend|unlock)`,
        'users',
        (req, [u, op]) => this.withUser(u!, (x) => this.lifecycle(x, op!, req)),
      ),
      r('DELETE', `/api/v1/users/${id}/sessions`, 'users', (req, [u]) =>
        this.withUser(u!, (x) => this.revokeSessions(x, req.url.searchParams.get('oauthTokens') === 'true')),
      ),
      r('GET', '/api/v1/groups', 'groups', (req) => this.listGroups(req)),
      r('GET', `/api/v1/groups/${id}`, 'groups', (_req, [g]) => this.getGroup(g!)),
      r('GET', '/api/v1/logs', 'logs', (req) => this.listLogs(req)),
      r('GET', `/api/v1/groups/${id}/users`, 'groups', (req, [g]) => this.listGroupUsers(req, g!)),
      r('PUT', `/api/v1/groups/${id}/users/${id}`, 'groups', (_req, [g, u]) => this.setMember(g!, u!, true)),
      r('DELETE', `/api/v1/groups/${id}/users/${id}`, 'groups', (_req, [g, u]) =>
        this.setMember(g!, u!, false),
      ),
      r('GET', '/api/v1/apps', 'apps', (req) => this.listApps(req)),
      r('GET', `/api/v1/apps/${id}/users`, 'apps', (req, [a]) => this.listAppUsers(req, a!)),
      r('POST', `/api/v1/apps/${id}/users`, 'apps', (req, [a]) => this.assignAppUser(req, a!)),
      r('DELETE', `/api/v1/apps/${id}/users/${id}`, 'apps', (_req, [a, u]) => this.unassignAppUser(a!, u!)),
    ];
  }

  private token(req: FakeRequest): FakeResponse {
    const form = new URLSearchParams(req.rawBody);
    const oauthError = (status: number, error: string, description: string): FakeResponse => ({
      status,
      body: { error, error_description: description },
    });
    if (form.get('grant_type') !== 'client_credentials') {
      return oauthError(
        400,
        'unsupported_grant_type',
        'The authorization grant type is not supported by the authorization server.',
      );
    }
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      return oauthError(
        401,
        'invalid_client',
        'Client authentication failed. Either the client or the client credentials are invalid.',
      );
    }
    const assertion = form.get('client_assertion') ?? '';
    const iss = this.claim(assertion, 'iss');
    const app = iss ? this.serviceApps.get(iss) : undefined;
    if (!app)
      return oauthError(401, 'invalid_client', 'The client_id is invalid or the client is not registered.');
    const refused = checkClientAssertion(
      assertion,
      app,
      `${this.url}/oauth2/v1/token`,
      Math.floor(this.now() / 1000),
      this.usedJtis,
    );
    if (refused) return oauthError(401, 'invalid_client', refused);
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (requested.length === 0 || requested.some((s) => !app.scopes.includes(s))) {
      return oauthError(
        400,
        'invalid_scope',
        'The following scopes are not granted to the client or are unknown: ' +
          requested.filter((s) => !app.scopes.includes(s)).join(' '),
      );
    }
    const accessToken = randomBytes(24).toString('base64url');
    this.accessTokens.set(accessToken, { scopes: new Set(requested), expiresAt: this.now() + 3_600_000 });
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: 3600, access_token: accessToken, scope: requested.join(' ') },
    };
  }

  private claim(jwt: string, name: string): string | undefined {
    try {
      const payload = JSON.parse(
        Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'),
      ) as Record<string, unknown>;
      return typeof payload[name] === 'string' ? (payload[name] as string) : undefined;
    } catch {
      return undefined;
    }
  }

  // --- users ---------------------------------------------------------------------------------------

  private userJson(u: FakeOktaUser): Wire<User> {
    return {
      id: u.id,
      status: u.status,
      created: u.created,
      activated: u.activated,
      statusChanged: u.statusChanged,
      lastLogin: u.lastLogin,
      lastUpdated: u.lastUpdated,
      passwordChanged: null,
      type: { id: 'oty1fake0000000000' },
      profile: { ...u.profile },
      credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${this.url}/api/v1/users/${u.id}` } },
    };
  }

  private withUser(idOrLogin: string, act: (u: FakeOktaUser) => FakeResponse): FakeResponse {
    const u = this.users.get(idOrLogin) ?? this.userByLogin(idOrLogin);
    if (!u) return this.error(404, 'E0000007', `Not found: Resource not found: ${idOrLogin} (User)`, []);
    return act(u);
  }

  private listUsers(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const filter = q.get('filter');
    const search = q.get('search');
    let users = [...this.users.values()];
    if (filter) {
      const match = compileExpression(filter, {
        caseInsensitive: false,
        attributes: USER_FILTER_ATTRS,
        instants: INSTANT_ATTRS,
      });
      users = users.filter((u) => match(u));
    } else if (search) {
      const match = compileExpression(search, {
        caseInsensitive: true,
        attributes: USER_SEARCH_ATTRS,
        instants: INSTANT_ATTRS,
      });
      users = users.filter((u) => match(u));
    } else {
      users = users.filter((u) => u.status !== 'DEPROVISIONED');
    }
    return this.page(req, users, 200, 200, (u) => this.userJson(u));
  }

  private createUser(req: FakeRequest): FakeResponse {
    const body = req.body as { profile?: Partial<FakeOktaUser['profile']> } | undefined;
    const p = body?.profile;
    const missing = ['login', 'email', 'firstName', 'lastName'].filter((k) => !p?.[k as keyof typeof p]);
    if (!p || missing.length > 0) {
      return this.error(
        400,
        'E0000001',
        `Api validation failed: ${missing.join(', ') || 'profile'}`,
        missing.map((k) => `${k}: The field cannot be left blank`),
      );
    }
    if (this.userByLogin(p.login!)) {
      return this.error(400, 'E0000001', 'Api validation failed: login', [
        'login: An object with this field already exists in the current organization',
      ]);
    }
    const activate = req.url.searchParams.get('activate') !== 'false';
    const id = this.addUser({ login: p.login!, displayName: p.displayName, status: 'STAGED' });
    const u = this.users.get(id)!;
    Object.assign(u.profile, { email: p.email, firstName: p.firstName, lastName: p.lastName });
    this.record('user.lifecycle.create', [{ type: 'User', user: u }]);
    if (activate) this.activate(u, true);
    return { status: 200, body: this.userJson(u) };
  }

  private activate(u: FakeOktaUser, sendEmail: boolean): void {
    this.setStatus(u, 'PROVISIONED');
    u.activated = u.statusChanged;
    if (sendEmail) this.activationEmails.push(u.profile.login);
  }

  /** Every status change moves `statusChanged` and `lastUpdated` and writes its System Log event. */
  private setStatus(u: FakeOktaUser, status: UserStatus): void {
    const was = u.status;
    u.status = status;
    u.statusChanged = this.iso();
    u.lastUpdated = u.statusChanged;
    const eventType =
      status === 'PROVISIONED' || (status === 'ACTIVE' && was === 'STAGED')
        ? 'user.lifecycle.activate'
        : status === 'SUSPENDED'
          ? 'user.lifecycle.suspend'
          : status === 'DEPROVISIONED'
            ? 'user.lifecycle.deactivate'
            : was === 'SUSPENDED'
              ? 'user.lifecycle.unsuspend'
              : 'user.account.unlock';
    this.record(eventType, [{ type: 'User', user: u }]);
  }

  private lifecycle(u: FakeOktaUser, op: string, req: FakeRequest): FakeResponse {
    const invalid = (what: string, cause: string) =>
      this.error(400, 'E0000001', `Api validation failed: ${what}`, [cause]);
    switch (op) {
      case 'activate': {
        if (u.status !== 'STAGED' && u.status !== 'DEPROVISIONED') {
          return this.error(403, 'E0000016', 'Activation failed because the user is already active', []);
        }
        const sendEmail = req.url.searchParams.get('sendEmail') !== 'false';
        this.activate(u, sendEmail);
        if (sendEmail) return { status: 200, body: {} };
        this.activationLinksReturned++;
        const activationToken = randomBytes(10).toString('base64url');
        return {
          status: 200,
          body: { activationToken, activationUrl: `${this.url}/welcome/${activationToken}` },
        };
      }
      case 'suspend':
        if (u.status !== 'ACTIVE') return invalid('suspendUser', 'Cannot suspend a user that is not active');
        this.setStatus(u, 'SUSPENDED');
        return { status: 200, body: {} };
      case 'unlock':
        // Okta unlocks a LOCKED_OUT user (it becomes ACTIVE), and answers 200 for an ACTIVE one.
        if (u.status !== 'LOCKED_OUT' && u.status !== 'ACTIVE') {
          return this.error(403, 'E0000001', 'Api validation failed: unlockUser', [
            'Cannot unlock a user that is not locked out',
          ]);
        }
        this.setStatus(u, 'ACTIVE');
        return { status: 200, body: {} };
      case 'unsuspend':
        if (u.status !== 'SUSPENDED')
          return invalid('unsuspendUser', 'Cannot unsuspend a user that is not suspended');
        this.setStatus(u, 'ACTIVE');
        return { status: 200, body: {} };
      default:
        if (u.status === 'DEPROVISIONED')
          return invalid('deactivateUser', 'Cannot deactivate a user that is already deactivated');
        // Destructive, as Okta documents: every app assignment goes, and so do sessions.
        this.setStatus(u, 'DEPROVISIONED');
        for (const a of this.apps.values()) a.users.delete(u.id);
        u.signIns = [];
        return { status: 200, body: {} };
    }
  }

  private revokeSessions(u: FakeOktaUser, oauthTokens: boolean): FakeResponse {
    for (const s of u.signIns) {
      s.session = false;
      if (oauthTokens) s.token = false;
    }
    u.signIns = u.signIns.filter((s) => s.session || s.token);
    return { status: 204 };
  }

  // --- groups --------------------------------------------------------------------------------------

  private groupJson(g: FakeGroup): Wire<Group> {
    return {
      id: g.id,
      created: g.created,
      lastUpdated: g.lastUpdated,
      lastMembershipUpdated: g.lastMembershipUpdated,
      objectClass: ['okta:user_group'],
      type: g.type,
      profile: { name: g.name, description: '' },
      _links: {
        logo: [],
        users: { href: `${this.url}/api/v1/groups/${g.id}/users` },
        apps: { href: `${this.url}/api/v1/groups/${g.id}/apps` },
      },
    };
  }

  private listGroups(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    const expr = q.get('search') ?? q.get('filter');
    let groups = [...this.groups.values()];
    if (expr) {
      const match = compileExpression(expr, {
        caseInsensitive: q.has('search'),
        attributes: q.has('search') ? GROUP_ATTRS : ['id', 'type', 'lastUpdated', 'lastMembershipUpdated'],
        instants: INSTANT_ATTRS,
      });
      groups = groups.filter((g) => match({ ...g, profile: { name: g.name } }));
    }
    return this.page(req, groups, 10000, 10000, (g) => this.groupJson(g));
  }

  /** The members a read sees: the truth, minus writes not visible yet. */
  private visibleMembers(g: FakeGroup, counting: boolean): string[] {
    const now = this.now();
    g.pending = g.pending.filter((p) => p.visibleAt > now || p.readsLeft > 0);
    const seen = new Set(g.members);
    for (const p of g.pending) {
      if (p.added) seen.delete(p.userId);
      else seen.add(p.userId);
      if (counting) p.readsLeft--;
    }
    return [...seen];
  }

  private listGroupUsers(req: FakeRequest, groupId: string): FakeResponse {
    const g = this.groups.get(groupId);
    if (!g) return this.error(404, 'E0000007', `Not found: Resource not found: ${groupId} (UserGroup)`, []);
    const ids = this.visibleMembers(g, !req.url.searchParams.has('after'));
    const users = ids.map((id) => this.users.get(id)!).filter(Boolean);
    return this.page(req, users, 1000, 1000, (u) => this.userJson(u));
  }

  private setMember(groupId: string, userId: string, add: boolean): FakeResponse {
    const g = this.groups.get(groupId);
    if (!g) return this.error(404, 'E0000007', `Not found: Resource not found: ${groupId} (UserGroup)`, []);
    if (!this.users.has(userId))
      return this.error(404, 'E0000007', `Not found: Resource not found: ${userId} (User)`, []);
    if (g.type !== 'OKTA_GROUP') {
      return this.error(400, 'E0000099', 'Group membership cannot be changed for this group type', []);
    }
    if (g.members.has(userId) !== add) {
      if (add) g.members.add(userId);
      else g.members.delete(userId);
      g.lastMembershipUpdated = this.iso();
      const user = this.users.get(userId)!;
      this.record(add ? 'group.user_membership.add' : 'group.user_membership.remove', [
        { type: 'User', user },
        { type: 'UserGroup', group: g },
      ]);
      g.pending = g.pending.filter((p) => p.userId !== userId);
      const { ms, reads } = this.membershipLag;
      if (ms > 0 || reads > 0)
        g.pending.push({ userId, added: add, visibleAt: this.now() + ms, readsLeft: reads });
    }
    return { status: 204 };
  }

  // --- apps ----------------------------------------------------------------------------------------

  private appJson(a: FakeApp): Wire<Application> & { name: string; settings: unknown } {
    return {
      id: a.id,
      name: 'bookmark',
      label: a.label,
      status: a.status,
      created: a.created,
      lastUpdated: a.created,
      signOnMode: 'BOOKMARK',
      accessibility: { selfService: false },
      visibility: { autoSubmitToolbar: false, hide: { iOS: false, web: false }, appLinks: { login: true } },
      features: [],
      settings: {
        app: {
          requestIntegration: false,
          url: `https://${a.label.toLowerCase().replace(/\W+/g, '')}.example.com`,
        },
      },
      _links: {
        users: { href: `${this.url}/api/v1/apps/${a.id}/users` },
        groups: { href: `${this.url}/api/v1/apps/${a.id}/groups` },
      },
    };
  }

  private listApps(req: FakeRequest): FakeResponse {
    const q = req.url.searchParams;
    let apps = [...this.apps.values()];
    const filter = q.get('filter');
    if (filter) {
      const match = compileExpression(filter, {
        caseInsensitive: false,
        attributes: ['status', 'name', 'user.id', 'group.id'],
      });
      apps = apps.filter((a) => match({ status: a.status, name: 'bookmark' }));
    }
    const text = q.get('q')?.toLowerCase();
    if (text)
      apps = apps.filter((a) => a.label.toLowerCase().startsWith(text) || 'bookmark'.startsWith(text));
    return this.page(req, apps, 20, 200, (a) => this.appJson(a));
  }

  private appUserJson(a: FakeApp, userId: string): Wire<AppUser> {
    const assignment = a.users.get(userId)!;
    const u = this.users.get(userId)!;
    return {
      id: userId,
      created: assignment.created,
      lastUpdated: assignment.created,
      scope: assignment.scope,
      status: 'ACTIVE',
      statusChanged: assignment.created,
      passwordChanged: null,
      syncState: 'DISABLED',
      credentials: { userName: u.profile.login },
      profile: {},
      _links: {
        app: { href: `${this.url}/api/v1/apps/${a.id}` },
        user: { href: `${this.url}/api/v1/users/${userId}` },
      },
    };
  }

  private listAppUsers(req: FakeRequest, appId: string): FakeResponse {
    const a = this.apps.get(appId);
    if (!a) return this.error(404, 'E0000007', `Not found: Resource not found: ${appId} (AppInstance)`, []);
    return this.page(
      req,
      [...a.users.keys()].map((id) => ({ id })),
      50,
      500,
      (x) => this.appUserJson(a, x.id),
    );
  }

  private assignAppUser(req: FakeRequest, appId: string): FakeResponse {
    const a = this.apps.get(appId);
    if (!a) return this.error(404, 'E0000007', `Not found: Resource not found: ${appId} (AppInstance)`, []);
    const body = req.body as { id?: string; scope?: string } | undefined;
    if (!body?.id) throw new BadRequest('id: The field cannot be left blank');
    const u = this.users.get(body.id);
    if (!u) return this.error(404, 'E0000007', `Not found: Resource not found: ${body.id} (User)`, []);
    // A direct assignment of a user who had the app through a group makes it direct (scope USER).
    const had = a.users.get(u.id);
    if (had?.scope !== 'USER') {
      a.users.set(u.id, { scope: 'USER', created: had?.created ?? this.iso() });
      // UNVERIFIED: the targets Okta names on this event beyond the AppInstance (User here).
      this.record('application.user_membership.add', [
        { type: 'User', user: u },
        { type: 'AppInstance', app: a },
      ]);
    }
    return { status: 200, body: this.appUserJson(a, u.id) };
  }

  private unassignAppUser(appId: string, userId: string): FakeResponse {
    const a = this.apps.get(appId);
    const assignment = a?.users.get(userId);
    if (!a || !assignment)
      return this.error(404, 'E0000007', `Not found: Resource not found: ${userId} (AppUser)`, []);
    if (assignment.scope === 'GROUP') {
      return this.error(403, 'E0000046', 'Deactivate application for user forbidden.', [
        'The application cannot be unassigned from the user while their group memberships grant them access',
      ]);
    }
    a.users.delete(userId);
    this.record('application.user_membership.remove', [
      { type: 'User', user: this.users.get(userId)! },
      { type: 'AppInstance', app: a },
    ]);
    return { status: 204 };
  }

  // --- paging --------------------------------------------------------------------------------------

  /**
   * One page of `items` after the cursor, with Okta's absolute Link header: rel="self" always,
   * rel="next" when more follow. The cursor is the last item's id (opaque to clients).
   */
  private page<T extends { id: string }>(
    req: FakeRequest,
    items: T[],
    defaultLimit: number,
    maxLimit: number,
    json: (item: T) => unknown,
  ): FakeResponse {
    const q = req.url.searchParams;
    const requested = q.has('limit') ? Number(q.get('limit')) : defaultLimit;
    if (!Number.isInteger(requested) || requested < 1)
      throw new BadRequest('limit: must be a positive integer');
    const limit = Math.min(requested, maxLimit);
    const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const after = q.get('after');
    const start = after ? sorted.findIndex((x) => x.id > after) : 0;
    const slice = start < 0 ? [] : sorted.slice(start, start + limit);
    const base = `${this.url}${req.url.pathname}`;
    const links = [`<${base}${req.url.search}>; rel="self"`];
    const last = slice[slice.length - 1];
    if (start >= 0 && start + limit < sorted.length && last) {
      const next = new URLSearchParams(q);
      next.set('after', last.id);
      next.set('limit', String(limit));
      links.push(`<${base}?${next.toString()}>; rel="next"`);
    }
    return { status: 200, headers: { link: links.join(', ') }, body: slice.map(json) };
  }
}
