/**
 * A loopback Google Workspace: the Admin SDK Directory API (users, sign-out, OAuth tokens, groups
 * and members), the Data Transfer API, the Enterprise License Manager, the OAuth token endpoint
 * for domain-wide delegation, and for Workload Identity Federation the STS token exchange and the
 * IAM Credentials generateAccessToken / signJwt calls. Only what the connector uses, as Google
 * documents it: paths, query parameters (an unknown one is a 400), page-size limits (users 500,
 * members 200, license holders 1,000), nextPageToken paging, Google's error body, bearer tokens
 * checked for their scopes, and throttling as 403 userRateLimitExceeded (a per-window query
 * budget) or 429 rateLimitExceeded (on demand). Responses are typed with @googleapis/admin's
 * schemas so a misspelt field fails the type check.
 *
 * The Reports API's admin audit log (`activities.list`, userKey `all`, application `admin`): every
 * change an administrator makes, through the API or through the `console*` methods below (the
 * Admin console, out of band), is logged with Google's event names and parameters, appears after
 * a reporting lag (setReportingLag), is kept 180 days, and is listed newest first in pages of at
 * most 1,000 with a nextPageToken that holds the first page's view. Query options the fake does
 * not implement (filters, orgUnitID, another application...) are refused with a 400 naming them.
 */
import { createVerify, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { admin_datatransfer_v1, admin_directory_v1, admin_reports_v1 } from '@googleapis/admin';
import {
  BadRequest,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  type Route,
  requireBody,
  VendorFake,
} from '../fake-server.js';

type User = admin_directory_v1.Schema$User;
type Member = admin_directory_v1.Schema$Member;
type Token = admin_directory_v1.Schema$Token;
type DataTransfer = admin_datatransfer_v1.Schema$DataTransfer;

/** Enterprise License Manager's LicenseAssignment (no typed client for it on this registry). */
export interface LicenseAssignment {
  kind: 'licensing#licenseAssignment';
  productId: string;
  skuId: string;
  userId: string;
  selfLink: string;
  etags: string;
}

export interface LicenseAssignmentList {
  kind: 'licensing#licenseAssignmentList';
  items: LicenseAssignment[];
  nextPageToken?: string;
}

const SCOPE = 'https://www.googleapis.com/auth/';
/** The Reports API's audit scope, granted apart from the others (REPORTS_SCOPE in the connector). */
export const REPORTS_SCOPE = `${SCOPE}admin.reports.audit.readonly`;
export const DELEGATED_SCOPES = [
  `${SCOPE}admin.directory.user`,
  `${SCOPE}admin.directory.user.security`,
  `${SCOPE}admin.directory.group.member`,
  `${SCOPE}admin.directory.group.readonly`,
  `${SCOPE}admin.datatransfer`,
  `${SCOPE}apps.licensing`,
];
const CLOUD_PLATFORM = `${SCOPE}cloud-platform`;

/** members.list's `type`: a person, a nested group, or everyone in the customer. */
export type MemberType = 'USER' | 'GROUP' | 'CUSTOMER';

interface FakeUser {
  id: string;
  primaryEmail: string;
  /** Other addresses of the same account: users.get/update/delete resolve them to it, as Google does. */
  aliases: string[];
  givenName: string;
  familyName: string;
  suspended: boolean;
  /** Live web sessions (users.signOut ends them). */
  sessions: number;
  /** OAuth grants to third-party apps (tokens.list / tokens.delete). */
  tokens: Token[];
  changePasswordAtNextLogin: boolean;
  /** The password the connector set: kept so a test can prove it never left the connector. */
  password?: string;
  creationTime: string;
  /** The last sign-in, to the second; Google's "never" is the epoch, NEVER_LOGGED_IN. */
  lastLoginTime: string;
}

/** One admin audit log event, as the fake keeps it until listed. */
export interface AuditEvent {
  /** When it happened, and from when it is listed (the reporting lag). */
  time: number;
  visibleAt: number;
  uniqueQualifier: string;
  /** USER_SETTINGS, GROUP_SETTINGS... and the event's name (CREATE_USER, ADD_GROUP_MEMBER...). */
  type: string;
  name: string;
  parameters: Record<string, string>;
  actor: string;
}

/** How far back the Reports API lists activities. */
export const REPORTS_RETENTION_MS = 180 * 24 * 60 * 60 * 1000;

/** Query options of activities.list the fake implements (besides fields, alt, prettyPrint). */
export const REPORTS_PARAMS = ['startTime', 'endTime', 'pageToken', 'maxResults', 'eventName', 'customerId'];

/** Query options of activities.list the fake does not implement: refused, never ignored. */
export const REPORTS_UNIMPLEMENTED = [
  'actorIpAddress',
  'filters',
  'orgUnitID',
  'groupIdFilter',
  'agentInfoFilter',
  'applicationInfoFilter',
  'deviceFilter',
  'networkInfoFilter',
  'resourceDetailsFilter',
  'statusFilter',
  'includeSensitiveData',
];

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** What Google's `lastLoginTime` says for an account that has never signed in. */
export const NEVER_LOGGED_IN = '1970-01-01T00:00:00.000Z';

interface IssuedToken {
  kind: 'delegated' | 'sts' | 'service-account';
  subject: string;
  scopes: Set<string>;
  expiresAt: number;
}

export interface GoogleFakeOptions {
  /** Admins the delegation may act as (a JWT's `sub`). */
  admins?: string[];
  /** Scopes the domain-wide delegation grant allows (Admin console > API controls). */
  delegatedScopes?: string[];
  customerId?: string;
  domain?: string;
  now?: () => number;
}

/** A service account the fake trusts: its email and the public half of its key. */
export interface TrustedKey {
  clientEmail: string;
  publicKey: string;
  /** Held by "Google" for signJwt (Workload Identity); absent for a user-managed key. */
  privateKey?: string;
}

/** Google's error body: {error: {code, message, errors: [{message, domain, reason}], status}}. */
export function googleError(
  code: number,
  reason: string,
  message: string,
  status: string,
  domain = 'global',
): FakeResponse {
  return { status: code, body: { error: { code, message, errors: [{ message, domain, reason }], status } } };
}

const notFound = (what: string) => googleError(404, 'notFound', `Resource Not Found: ${what}`, 'NOT_FOUND');
const invalid = (message: string) => googleError(400, 'invalid', message, 'INVALID_ARGUMENT');
const oauthError = (status: number, error: string, description: string): FakeResponse => ({
  status,
  body: { error, error_description: description },
});

/** Google's timestamps are to the second: `2026-11-26T09:30:04.000Z`. */
function toSecond(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19)}.000Z`;
}

/** A parsed `fields` selector: each key kept, with the selector for its own fields (or all). */
type FieldMask = Map<string, FieldMask | true>;

/**
 * Parses Google's partial-response syntax: `a,b(c,d/e),f/g` (commas, sub-selections in
 * parentheses, `/` for a single nested field).
 */
export function parseFields(text: string): FieldMask {
  let i = 0;
  const invalid = () => new BadRequest(`Invalid field selection ${text}`);
  const parseItem = (): [string, FieldMask | true] => {
    const start = i;
    while (i < text.length && !',()/'.includes(text[i]!)) i++;
    const name = text.slice(start, i).trim();
    if (!name) throw invalid();
    if (text[i] === '/') {
      i++;
      return [name, new Map([parseItem()])];
    }
    if (text[i] === '(') {
      i++;
      const sub = parseList();
      if (text[i++] !== ')') throw invalid();
      return [name, sub];
    }
    return [name, true];
  };
  const parseList = (): FieldMask => {
    const mask: FieldMask = new Map();
    for (;;) {
      const [name, sub] = parseItem();
      const old = mask.get(name);
      mask.set(name, old instanceof Map && sub instanceof Map ? new Map([...old, ...sub]) : sub);
      if (text[i] !== ',') return mask;
      i++;
    }
  };
  const mask = parseList();
  if (i !== text.length) throw invalid();
  return mask;
}

function maskValue(value: unknown, mask: FieldMask | true): unknown {
  if (mask === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskValue(v, mask));
  const out: Record<string, unknown> = {};
  for (const [key, sub] of mask) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = maskValue(v, sub);
  }
  return out;
}

/** Honours `fields` on a successful answer, as Google does: only the selected fields come back. */
function applyFieldMask(req: FakeRequest, res: FakeResponse): void {
  const fields = req.url.searchParams.get('fields');
  if (!fields || res.status >= 300 || res.body === undefined) return;
  res.body = maskValue(res.body, parseFields(fields));
}

/** Rejects query parameters the method does not define (`fields` and `alt` are standard). */
function allowParams(req: FakeRequest, allowed: string[]): void {
  const fields = req.url.searchParams.get('fields');
  if (fields !== null) parseFields(fields);
  for (const key of req.url.searchParams.keys()) {
    if (!allowed.includes(key) && key !== 'fields' && key !== 'alt' && key !== 'prettyPrint') {
      throw new BadRequest(
        `Invalid JSON payload received. Unknown name "${key}": Cannot bind query parameter.`,
      );
    }
  }
}

function pageSize(req: FakeRequest, max: number, fallback: number): number {
  const raw = req.url.searchParams.get('maxResults');
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new BadRequest(`Invalid value '${raw}'. Values must be within the range: [1, ${max}]`);
  }
  return n;
}

/** One page of `items` and the opaque token for the next, as Google pages. */
function page<T>(req: FakeRequest, items: T[], size: number): { items: T[]; nextPageToken?: string } {
  const token = req.url.searchParams.get('pageToken');
  const start = token ? Number(Buffer.from(token, 'base64url').toString('utf8').replace(/^o:/, '')) : 0;
  if (!Number.isInteger(start) || start < 0) throw new BadRequest('Invalid page token');
  const end = start + size;
  return {
    items: items.slice(start, end),
    ...(end < items.length ? { nextPageToken: Buffer.from(`o:${end}`).toString('base64url') } : {}),
  };
}

function decodeJwtPart(part: string | undefined): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export class GoogleFake extends VendorFake {
  readonly server: FakeServer;
  readonly users = new Map<string, FakeUser>();
  /** group email -> member email (lower-case) -> its type (a person or a nested group). */
  readonly groups = new Map<string, Map<string, MemberType>>();
  /** "productId/skuId" -> holders' emails (lower-case). */
  readonly licenses = new Map<string, Set<string>>();
  readonly transfers: DataTransfer[] = [];
  /** The admin audit log (Reports API, application `admin`), oldest first. */
  readonly auditLog: AuditEvent[] = [];
  /** Accounts deleted within the last 20 days, for consoleUndeleteUser. */
  private readonly deleted = new Map<string, FakeUser>();
  private reportingLagMs = 0;
  private nextQualifier = 1;
  readonly trusted = new Map<string, TrustedKey>();
  /** The subject token a workload identity presents to STS (its OIDC token). */
  federatedSubjectToken = `oidc-${randomBytes(8).toString('hex')}`;
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly admins: Set<string>;
  private readonly delegatedScopes: Set<string>;
  readonly customerId: string;
  readonly domain: string;
  private readonly now: () => number;
  private nextId = 100_000_000_000_000_000_000n;
  /** Per-window query budget: past it, 403 userRateLimitExceeded until the window ends. */
  private quota?: { queries: number; windowMs: number; windowStart: number; used: number };
  private rateLimited = 0;

  constructor(opts: GoogleFakeOptions = {}) {
    super();
    this.admins = new Set((opts.admins ?? ['admin@example.com']).map((a) => a.toLowerCase()));
    this.delegatedScopes = new Set(opts.delegatedScopes ?? DELEGATED_SCOPES);
    this.customerId = opts.customerId ?? 'C01abcd23';
    this.domain = opts.domain ?? 'example.com';
    this.now = opts.now ?? Date.now;
    this.server = new FakeServer({
      name: 'google',
      routes: this.routes(),
      unknown: (req) => notFound(`${req.method} ${req.url.pathname}`),
      badRequest: (_req, message) => invalid(message),
      authenticate: (req) => this.authenticate(req),
      throttle: (req, now) => this.throttle(req, now),
      decorate: (req, res) => applyFieldMask(req, res),
      now: this.now,
    });
  }

  // --- seeding and inspection ---------------------------------------------------------------------

  /** Trusts a service account's key (the test generates the pair). */
  trustKey(key: TrustedKey): void {
    this.trusted.set(key.clientEmail, key);
  }

  /** An RSA key pair, trusted for `clientEmail`; returns the service-account key file's content. */
  createServiceAccountKey(clientEmail: string): Record<string, string> {
    const { publicKey, privateKey } = keyPairFor(clientEmail);
    this.trustKey({ clientEmail, publicKey, privateKey });
    return {
      type: 'service_account',
      project_id: 'jml-test',
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey,
      client_email: clientEmail,
      client_id: '1234567890',
      token_uri: `${this.url}/token`,
    };
  }

  addUser(
    email: string,
    opts: {
      displayName?: string;
      suspended?: boolean;
      sessions?: number;
      aliases?: string[];
      /** The last sign-in; null or absent: never. */
      lastLoginTime?: string | null;
    } = {},
  ): FakeUser {
    const login = email.toLowerCase();
    const [given, family] = splitDisplay(opts.displayName ?? login.split('@')[0]!);
    const user: FakeUser = {
      id: String(this.nextId++),
      primaryEmail: login,
      aliases: (opts.aliases ?? []).map((a) => a.toLowerCase()),
      givenName: given,
      familyName: family,
      suspended: opts.suspended ?? false,
      sessions: opts.sessions ?? 0,
      tokens: [],
      changePasswordAtNextLogin: false,
      creationTime: new Date(this.now()).toISOString(),
      lastLoginTime: opts.lastLoginTime ? toSecond(opts.lastLoginTime) : NEVER_LOGGED_IN,
    };
    this.users.set(login, user);
    return user;
  }

  /** A group with people (`members`) and nested groups (`groups`) as its direct members. */
  addGroup(email: string, members: string[] = [], groups: string[] = []): void {
    this.groups.set(
      email.toLowerCase(),
      new Map([
        ...members.map((m): [string, MemberType] => [m.toLowerCase(), 'USER']),
        ...groups.map((g): [string, MemberType] => [g.toLowerCase(), 'GROUP']),
      ]),
    );
  }

  /** The people in a group (its USER members), sorted. */
  userMembers(group: string): string[] | undefined {
    const members = this.groups.get(group.toLowerCase());
    return members && [...members].flatMap(([email, type]) => (type === 'USER' ? [email] : [])).sort();
  }

  addLicense(target: string, holders: string[] = []): void {
    this.licenses.set(target, new Set(holders.map((h) => h.toLowerCase())));
  }

  /** A person signs in on the web: one more live session. */
  signIn(email: string): void {
    const u = this.users.get(email.toLowerCase());
    if (u && !u.suspended) {
      u.sessions++;
      u.lastLoginTime = toSecond(new Date(this.now()).toISOString());
    }
  }

  /** A person grants a third-party app access: one more OAuth token. */
  grantToken(email: string, clientId: string): void {
    const u = this.users.get(email.toLowerCase());
    u?.tokens.push({
      kind: 'admin#directory#token',
      clientId,
      displayText: `App ${clientId}`,
      scopes: ['openid', 'email'],
      userKey: u.id,
      anonymous: false,
      nativeApp: false,
    });
  }

  /** Budget of API queries per window; past it, 403 userRateLimitExceeded until the window ends. */
  setQuota(queries: number, windowMs: number): void {
    this.quota = { queries, windowMs, windowStart: this.now(), used: 0 };
  }

  /** The next `n` API requests get 429 rateLimitExceeded. */
  rateLimitNext(n: number): void {
    this.rateLimited = n;
  }

  /** Every access token ever issued stops working (a revoked delegation). */
  revokeAllTokens(): void {
    this.tokens.clear();
  }

  // --- the Admin console: changes out of band, each logged as Google logs it ----------------------

  /** A fresh tenant's history: no audit events, no deleted accounts (the harness's seed). */
  forgetHistory(): void {
    this.auditLog.length = 0;
    this.deleted.clear();
  }

  /** Events appear in activities.list this long after they happen (Google: a couple of minutes). */
  setReportingLag(ms: number): void {
    this.reportingLagMs = ms;
  }

  /** Records an admin event now (`actor` made it), listed once the reporting lag has passed. */
  logAdmin(
    type: string,
    name: string,
    parameters: Record<string, string>,
    actor = 'admin@example.com',
  ): void {
    const time = this.now();
    this.auditLog.push({
      time,
      visibleAt: time + this.reportingLagMs,
      uniqueQualifier: String(-(4_000_000_000_000_000_000n + BigInt(this.nextQualifier++))),
      type,
      name,
      parameters,
      actor,
    });
  }

  consoleCreateUser(email: string, displayName?: string): FakeUser | undefined {
    if (this.addressTaken(email)) return undefined;
    const u = this.addUser(email, displayName ? { displayName } : {});
    this.logAdmin('USER_SETTINGS', 'CREATE_USER', { USER_EMAIL: u.primaryEmail });
    return u;
  }

  consoleSuspend(email: string, suspended: boolean): void {
    const u = this.userByKey(email);
    if (!u || u.suspended === suspended) return;
    u.suspended = suspended;
    if (suspended) u.sessions = 0;
    this.logAdmin('USER_SETTINGS', suspended ? 'SUSPEND_USER' : 'UNSUSPEND_USER', {
      USER_EMAIL: u.primaryEmail,
    });
  }

  /** UNVERIFIED event names: CHANGE_FIRST_NAME and CHANGE_LAST_NAME, each with USER_EMAIL. */
  consoleSetName(email: string, displayName: string): void {
    const u = this.userByKey(email);
    if (!u) return;
    const [given, family] = splitDisplay(displayName);
    if (given !== u.givenName) {
      this.logAdmin('USER_SETTINGS', 'CHANGE_FIRST_NAME', {
        USER_EMAIL: u.primaryEmail,
        OLD_VALUE: u.givenName,
        NEW_VALUE: given,
      });
    }
    if (family !== u.familyName) {
      this.logAdmin('USER_SETTINGS', 'CHANGE_LAST_NAME', {
        USER_EMAIL: u.primaryEmail,
        OLD_VALUE: u.familyName,
        NEW_VALUE: family,
      });
    }
    u.givenName = given;
    u.familyName = family;
  }

  /**
   * A new primary address: the old one stays as an alias (Google's default), and the account's
   * groups and licenses follow it. UNVERIFIED: RENAME_USER with USER_EMAIL (old), NEW_VALUE (new).
   */
  consoleRename(email: string, to: string): void {
    const u = this.users.get(email.toLowerCase());
    const next = to.toLowerCase();
    if (!u || this.addressTaken(next)) return;
    const old = u.primaryEmail;
    this.users.delete(old);
    u.primaryEmail = next;
    u.aliases.push(old);
    this.users.set(next, u);
    for (const members of this.groups.values()) {
      const type = members.get(old);
      if (type) {
        members.delete(old);
        members.set(next, type);
      }
    }
    for (const holders of this.licenses.values()) if (holders.delete(old)) holders.add(next);
    this.logAdmin('USER_SETTINGS', 'RENAME_USER', { USER_EMAIL: old, NEW_VALUE: next });
  }

  /** Deletes an account: it leaves its groups and licenses (no event for each: UNVERIFIED). */
  consoleDeleteUser(email: string): void {
    const u = this.userByKey(email);
    if (!u) return;
    this.removeUser(u);
    this.logAdmin('USER_SETTINGS', 'DELETE_USER', { USER_EMAIL: u.primaryEmail });
  }

  /** Restores a deleted account (its memberships are not restored here: UNVERIFIED either way). */
  consoleUndeleteUser(email: string): void {
    const login = email.toLowerCase();
    const u = this.deleted.get(login);
    if (!u || this.addressTaken(login)) return;
    this.deleted.delete(login);
    this.users.set(login, u);
    this.logAdmin('USER_SETTINGS', 'UNDELETE_USER', { USER_EMAIL: login });
  }

  consoleAddMember(group: string, email: string): void {
    const members = this.groups.get(group.toLowerCase());
    const u = this.userByKey(email);
    if (!members || !u || members.has(u.primaryEmail)) return;
    members.set(u.primaryEmail, 'USER');
    this.logAdmin('GROUP_SETTINGS', 'ADD_GROUP_MEMBER', {
      USER_EMAIL: u.primaryEmail,
      GROUP_EMAIL: group.toLowerCase(),
    });
  }

  consoleRemoveMember(group: string, email: string): void {
    const members = this.groups.get(group.toLowerCase());
    const login = this.userByKey(email)?.primaryEmail ?? email.toLowerCase();
    if (!members?.delete(login)) return;
    this.logAdmin('GROUP_SETTINGS', 'REMOVE_GROUP_MEMBER', {
      USER_EMAIL: login,
      GROUP_EMAIL: group.toLowerCase(),
    });
  }

  consoleCreateGroup(email: string, members: string[] = []): void {
    const key = email.toLowerCase();
    if (this.addressTaken(key)) return;
    this.groups.set(key, new Map());
    this.logAdmin('GROUP_SETTINGS', 'CREATE_GROUP', { GROUP_EMAIL: key });
    for (const m of members) this.consoleAddMember(key, m);
  }

  consoleDeleteGroup(email: string): void {
    const key = email.toLowerCase();
    if (!this.groups.delete(key)) return;
    for (const members of this.groups.values()) members.delete(key);
    this.logAdmin('GROUP_SETTINGS', 'DELETE_GROUP', { GROUP_EMAIL: key });
  }

  /** A group's new primary address (the fake keeps no group aliases). */
  consoleChangeGroupEmail(email: string, to: string): void {
    const key = email.toLowerCase();
    const next = to.toLowerCase();
    const members = this.groups.get(key);
    if (!members || this.addressTaken(next)) return;
    this.groups.delete(key);
    this.groups.set(next, members);
    this.logAdmin('GROUP_SETTINGS', 'CHANGE_GROUP_EMAIL', { GROUP_EMAIL: key, NEW_VALUE: next });
  }

  /**
   * A license assigned or removed. Nothing is logged: whether the admin log records a Licensing
   * API assignment is not verified, so the connector must not rely on it (it reads holders again).
   */
  consoleLicense(target: string, email: string, assigned: boolean): void {
    const holders = this.licenses.get(target);
    const u = this.userByKey(email);
    if (!holders || !u) return;
    if (assigned) holders.add(u.primaryEmail);
    else holders.delete(u.primaryEmail);
  }

  private removeUser(u: FakeUser): void {
    this.users.delete(u.primaryEmail);
    this.deleted.set(u.primaryEmail, u);
    for (const members of [...this.groups.values(), ...this.licenses.values()])
      members.delete(u.primaryEmail);
  }

  // --- authentication and throttling --------------------------------------------------------------

  private isApi(req: FakeRequest): boolean {
    return /^\/(admin|apps)\//.test(req.url.pathname);
  }

  /** The scope an API path needs (Google's reference, "Authorization scopes" of each method). */
  private requiredScope(req: FakeRequest): string | undefined {
    const p = req.url.pathname;
    if (/\/users\/[^/]+\/(signOut|tokens)/.test(p)) return `${SCOPE}admin.directory.user.security`;
    if (/^\/admin\/directory\/v1\/users(\/[^/]+)?$/.test(p)) return `${SCOPE}admin.directory.user`;
    if (/^\/admin\/directory\/v1\/groups\/[^/]+\/members/.test(p))
      return `${SCOPE}admin.directory.group.member`;
    if (p === '/admin/directory/v1/groups') return `${SCOPE}admin.directory.group.readonly`;
    if (p.startsWith('/admin/datatransfer/v1/transfers')) return `${SCOPE}admin.datatransfer`;
    if (p.startsWith('/apps/licensing/')) return `${SCOPE}apps.licensing`;
    if (p.startsWith('/admin/reports/v1/activity/')) return REPORTS_SCOPE;
    // Not an endpoint the fake knows: let routing answer it (and record it as unknown).
    return undefined;
  }

  private bearer(req: FakeRequest): IssuedToken | undefined {
    const header = req.headers.authorization;
    const token = typeof header === 'string' ? /^Bearer (.+)$/.exec(header)?.[1] : undefined;
    const issued = token ? this.tokens.get(token) : undefined;
    return issued && issued.expiresAt > this.now() ? issued : undefined;
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    const p = req.url.pathname;
    if (p === '/token' || p === '/v1/token') return undefined;
    const token = this.bearer(req);
    const unauthenticated = googleError(
      401,
      'authError',
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      'UNAUTHENTICATED',
    );
    if (!token) return unauthenticated;
    if (p.endsWith(':generateAccessToken')) return token.kind === 'sts' ? undefined : unauthenticated;
    if (p.endsWith(':signJwt')) return token.kind === 'service-account' ? undefined : unauthenticated;
    if (token.kind !== 'delegated') return unauthenticated;
    const scope = this.requiredScope(req);
    if (scope && !token.scopes.has(scope)) {
      return googleError(
        403,
        'insufficientPermissions',
        'Request had insufficient authentication scopes.',
        'PERMISSION_DENIED',
      );
    }
    return undefined;
  }

  private throttle(req: FakeRequest, now: number): FakeResponse | undefined {
    if (!this.isApi(req)) return undefined;
    if (this.rateLimited > 0) {
      this.rateLimited--;
      return googleError(
        429,
        'rateLimitExceeded',
        'Rate Limit Exceeded',
        'RESOURCE_EXHAUSTED',
        'usageLimits',
      );
    }
    const q = this.quota;
    if (!q) return undefined;
    if (now - q.windowStart >= q.windowMs) {
      q.windowStart = now;
      q.used = 0;
    }
    if (++q.used <= q.queries) return undefined;
    return googleError(
      403,
      'userRateLimitExceeded',
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com'.",
      'PERMISSION_DENIED',
      'usageLimits',
    );
  }

  private issue(kind: IssuedToken['kind'], subject: string, scopes: Iterable<string>): string {
    const token = `ya29.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(token, { kind, subject, scopes: new Set(scopes), expiresAt: this.now() + 3600_000 });
    return token;
  }

  /** OAuth 2.0 JWT bearer grant (RFC 7523), as Google verifies a domain-wide delegation assertion. */
  private tokenEndpoint(req: FakeRequest): FakeResponse {
    const form = new URLSearchParams(req.rawBody);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      return oauthError(
        400,
        'unsupported_grant_type',
        'Invalid grant_type: ' + (form.get('grant_type') ?? ''),
      );
    }
    const [h, p, s] = (form.get('assertion') ?? '').split('.');
    const header = decodeJwtPart(h);
    const claims = decodeJwtPart(p);
    if (!header || !claims || !s || header.alg !== 'RS256') {
      return oauthError(400, 'invalid_grant', 'Invalid JWT: could not parse the assertion');
    }
    const key = this.trusted.get(String(claims.iss));
    const valid =
      key &&
      createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key.publicKey, Buffer.from(s, 'base64url'));
    if (!valid) return oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    const nowS = Math.floor(this.now() / 1000);
    const iat = Number(claims.iat);
    const exp = Number(claims.exp);
    if (claims.aud !== `${this.url}/token` || !(exp > nowS) || exp - iat > 3600 || iat > nowS + 300) {
      return oauthError(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    const scopes = String(claims.scope ?? '')
      .split(' ')
      .filter(Boolean);
    const sub = String(claims.sub ?? '').toLowerCase();
    if (!this.admins.has(sub) || scopes.length === 0 || scopes.some((x) => !this.delegatedScopes.has(x))) {
      return oauthError(
        401,
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
      );
    }
    return {
      status: 200,
      body: { access_token: this.issue('delegated', sub, scopes), expires_in: 3599, token_type: 'Bearer' },
    };
  }

  // --- Workload Identity Federation: STS and IAM Credentials --------------------------------------

  private stsExchange(req: FakeRequest): FakeResponse {
    const form =
      req.body && typeof req.body === 'object'
        ? new URLSearchParams(req.body as Record<string, string>)
        : new URLSearchParams(req.rawBody);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return oauthError(400, 'invalid_request', 'Invalid value for "grant_type".');
    }
    if (form.get('subject_token') !== this.federatedSubjectToken) {
      return oauthError(400, 'invalid_grant', 'The incoming token has expired or is not valid.');
    }
    return {
      status: 200,
      body: {
        access_token: this.issue('sts', 'federated', [CLOUD_PLATFORM]),
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3600,
      },
    };
  }

  private generateAccessToken(email: string): FakeResponse {
    if (!this.trusted.has(email))
      return googleError(404, 'notFound', `Service account ${email} not found`, 'NOT_FOUND');
    return {
      status: 200,
      body: {
        accessToken: this.issue('service-account', email, [CLOUD_PLATFORM]),
        expireTime: new Date(this.now() + 3600_000).toISOString(),
      },
    };
  }

  private signJwt(req: FakeRequest, email: string): FakeResponse {
    const key = this.trusted.get(email);
    if (!key?.privateKey)
      return googleError(404, 'notFound', `Service account ${email} not found`, 'NOT_FOUND');
    const token = this.bearer(req);
    if (token?.subject !== email) {
      return googleError(
        403,
        'forbidden',
        "Permission 'iam.serviceAccounts.signJwt' denied",
        'PERMISSION_DENIED',
      );
    }
    const { payload } = requireBody<{ payload?: string }>(req);
    if (typeof payload !== 'string') throw new BadRequest('payload is required');
    const keyId = 'iam-held-key';
    const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: keyId })).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
    const signature = sign('RSA-SHA256', Buffer.from(input), key.privateKey).toString('base64url');
    return { status: 200, body: { keyId, signedJwt: `${input}.${signature}` } };
  }

  // --- Directory API ------------------------------------------------------------------------------

  /** A userKey as Google reads it: the primary address, an alias (its owner), or the id. */
  private userByKey(key: string): FakeUser | undefined {
    const k = key.toLowerCase();
    return this.users.get(k) ?? [...this.users.values()].find((u) => u.id === key || u.aliases.includes(k));
  }

  /** Whether an address is taken: any user's primary address or alias, or a group's email. */
  private addressTaken(email: string): boolean {
    return this.userByKey(email) !== undefined || this.groups.has(email.toLowerCase());
  }

  private toUser(u: FakeUser): User {
    return {
      kind: 'admin#directory#user',
      id: u.id,
      primaryEmail: u.primaryEmail,
      ...(u.aliases.length ? { aliases: u.aliases } : {}),
      name: { givenName: u.givenName, familyName: u.familyName, fullName: `${u.givenName} ${u.familyName}` },
      suspended: u.suspended,
      isAdmin: this.admins.has(u.primaryEmail),
      changePasswordAtNextLogin: u.changePasswordAtNextLogin,
      customerId: this.customerId,
      creationTime: u.creationTime,
      lastLoginTime: u.lastLoginTime,
    };
  }

  private checkCustomer(req: FakeRequest, param: string): void {
    const c = req.url.searchParams.get(param);
    if (!c && !req.url.searchParams.get('domain')) throw new BadRequest('Bad Request');
    if (c && c !== 'my_customer' && c !== this.customerId) {
      throw new BadRequest(`Invalid ${param}`);
    }
  }

  private listUsers(req: FakeRequest): FakeResponse {
    allowParams(req, ['customer', 'domain', 'maxResults', 'pageToken', 'orderBy', 'sortOrder', 'query']);
    this.checkCustomer(req, 'customer');
    const all = [...this.users.values()].sort((a, b) => a.primaryEmail.localeCompare(b.primaryEmail));
    const { items, nextPageToken } = page(req, all, pageSize(req, 500, 100));
    const body: admin_directory_v1.Schema$Users = {
      kind: 'admin#directory#users',
      users: items.map((u) => this.toUser(u)),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
    return { status: 200, body };
  }

  private insertUser(req: FakeRequest): FakeResponse {
    allowParams(req, []);
    const u = requireBody<User>(req);
    if (!u.primaryEmail) throw new BadRequest('Invalid Input: primary_user_email');
    if (!u.name?.givenName) throw new BadRequest('Invalid Given/Family Name: GivenName');
    if (!u.name?.familyName) throw new BadRequest('Invalid Given/Family Name: FamilyName');
    if (!u.password || u.password.length < 8) throw new BadRequest('Invalid Password');
    if (this.addressTaken(u.primaryEmail)) {
      return googleError(409, 'duplicate', 'Entity already exists.', 'ALREADY_EXISTS');
    }
    const user = this.addUser(u.primaryEmail, { displayName: `${u.name.givenName} ${u.name.familyName}` });
    this.logAdmin('USER_SETTINGS', 'CREATE_USER', { USER_EMAIL: user.primaryEmail }, this.actorOf(req));
    user.givenName = u.name.givenName;
    user.familyName = u.name.familyName;
    user.password = u.password;
    user.changePasswordAtNextLogin = u.changePasswordAtNextLogin ?? false;
    return { status: 200, body: this.toUser(user) };
  }

  private getUser(req: FakeRequest, key: string): FakeResponse {
    allowParams(req, ['projection', 'viewType', 'customFieldMask']);
    const u = this.userByKey(key);
    return u ? { status: 200, body: this.toUser(u) } : notFound('userKey');
  }

  private updateUser(req: FakeRequest, key: string): FakeResponse {
    allowParams(req, []);
    const u = this.userByKey(key);
    if (!u) return notFound('userKey');
    const patch = requireBody<User>(req);
    if (typeof patch.suspended === 'boolean' && patch.suspended !== u.suspended) {
      u.suspended = patch.suspended;
      const name = u.suspended ? 'SUSPEND_USER' : 'UNSUSPEND_USER';
      this.logAdmin('USER_SETTINGS', name, { USER_EMAIL: u.primaryEmail }, this.actorOf(req));
    }
    return { status: 200, body: this.toUser(u) };
  }

  private deleteUser(req: FakeRequest, key: string): FakeResponse {
    allowParams(req, []);
    const u = this.userByKey(key);
    if (!u) return notFound('userKey');
    this.removeUser(u);
    this.logAdmin('USER_SETTINGS', 'DELETE_USER', { USER_EMAIL: u.primaryEmail }, this.actorOf(req));
    return { status: 204 };
  }

  private signOut(req: FakeRequest, key: string): FakeResponse {
    allowParams(req, []);
    const u = this.userByKey(key);
    if (!u) return notFound('userKey');
    u.sessions = 0;
    return { status: 204 };
  }

  private listTokens(req: FakeRequest, key: string): FakeResponse {
    allowParams(req, []);
    const u = this.userByKey(key);
    if (!u) return notFound('userKey');
    const body: admin_directory_v1.Schema$Tokens = { kind: 'admin#directory#tokenList', items: u.tokens };
    return { status: 200, body };
  }

  private deleteToken(req: FakeRequest, key: string, clientId: string): FakeResponse {
    allowParams(req, []);
    const u = this.userByKey(key);
    const i = u ? u.tokens.findIndex((t) => t.clientId === clientId) : -1;
    if (!u || i < 0) return notFound(u ? 'clientId' : 'userKey');
    u.tokens.splice(i, 1);
    return { status: 204 };
  }

  private listGroups(req: FakeRequest): FakeResponse {
    allowParams(req, [
      'customer',
      'domain',
      'maxResults',
      'pageToken',
      'userKey',
      'query',
      'orderBy',
      'sortOrder',
    ]);
    this.checkCustomer(req, 'customer');
    const all = [...this.groups.keys()].sort();
    const { items, nextPageToken } = page(req, all, pageSize(req, 200, 200));
    const body: admin_directory_v1.Schema$Groups = {
      kind: 'admin#directory#groups',
      groups: items.map((email) => ({ kind: 'admin#directory#group', email, name: email.split('@')[0] })),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
    return { status: 200, body };
  }

  private toMember(email: string, type: MemberType): Member {
    const u = type === 'USER' ? this.users.get(email) : undefined;
    return {
      kind: 'admin#directory#member',
      email,
      role: 'MEMBER',
      type,
      status: u ? (u.suspended ? 'SUSPENDED' : 'ACTIVE') : 'ACTIVE',
      ...(u ? { id: u.id } : {}),
    };
  }

  private listMembers(req: FakeRequest, groupKey: string): FakeResponse {
    allowParams(req, ['maxResults', 'pageToken', 'roles', 'includeDerivedMembership']);
    const members = this.groups.get(groupKey.toLowerCase());
    if (!members) return notFound('groupKey');
    const sorted = [...members].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const { items, nextPageToken } = page(req, sorted, pageSize(req, 200, 200));
    const body: admin_directory_v1.Schema$Members = {
      kind: 'admin#directory#members',
      members: items.map(([email, type]) => this.toMember(email, type)),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
    return { status: 200, body };
  }

  private insertMember(req: FakeRequest, groupKey: string): FakeResponse {
    allowParams(req, []);
    const members = this.groups.get(groupKey.toLowerCase());
    if (!members) return notFound('groupKey');
    const m = requireBody<Member>(req);
    if (!m.email) throw new BadRequest('Missing required field: memberKey');
    // An alias adds its owner, as Google does.
    const email = this.userByKey(m.email)?.primaryEmail;
    if (!email) return notFound('memberKey');
    if (members.has(email)) return googleError(409, 'duplicate', 'Member already exists.', 'ALREADY_EXISTS');
    members.set(email, 'USER');
    this.logAdmin(
      'GROUP_SETTINGS',
      'ADD_GROUP_MEMBER',
      { USER_EMAIL: email, GROUP_EMAIL: groupKey.toLowerCase() },
      this.actorOf(req),
    );
    return { status: 200, body: this.toMember(email, 'USER') };
  }

  private deleteMember(req: FakeRequest, groupKey: string, memberKey: string): FakeResponse {
    allowParams(req, []);
    const members = this.groups.get(groupKey.toLowerCase());
    if (!members) return notFound('groupKey');
    const email = this.userByKey(memberKey)?.primaryEmail ?? memberKey.toLowerCase();
    if (!members.delete(email)) return notFound('memberKey');
    this.logAdmin(
      'GROUP_SETTINGS',
      'REMOVE_GROUP_MEMBER',
      { USER_EMAIL: email, GROUP_EMAIL: groupKey.toLowerCase() },
      this.actorOf(req),
    );
    return { status: 204 };
  }

  /** The admin a request acts as (its delegated token's subject). */
  private actorOf(req: FakeRequest): string {
    return this.bearer(req)?.subject ?? 'admin@example.com';
  }

  // --- Reports API: the admin audit log -----------------------------------------------------------

  private instant(req: FakeRequest, name: string): number | undefined {
    const raw = req.url.searchParams.get(name);
    if (raw === null) return undefined;
    const t = Date.parse(raw);
    if (!RFC3339.test(raw) || Number.isNaN(t)) throw new BadRequest(`Invalid value for ${name}: ${raw}`);
    return t;
  }

  private listActivities(req: FakeRequest, userKey: string, application: string): FakeResponse {
    const q = req.url.searchParams;
    for (const key of REPORTS_UNIMPLEMENTED) {
      if (q.has(key)) throw new BadRequest(`${key} is not implemented by the Google fake`);
    }
    allowParams(req, REPORTS_PARAMS);
    if (userKey !== 'all')
      throw new BadRequest(`userKey ${userKey} is not implemented by the Google fake (only all)`);
    if (application !== 'admin') {
      throw new BadRequest(
        `applicationName ${application} is not implemented by the Google fake (only admin)`,
      );
    }
    const customerId = q.get('customerId');
    if (customerId && customerId !== this.customerId) throw new BadRequest('Invalid customerId');
    const size = pageSize(req, 1000, 1000);
    // The first page fixes the view (the end and what was visible); later pages keep it.
    const token = q.get('pageToken');
    let view: { end: number; asOf: number; offset: number };
    if (token) {
      try {
        view = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof view;
      } catch {
        throw new BadRequest('Invalid page token');
      }
      if (![view.end, view.asOf, view.offset].every(Number.isInteger))
        throw new BadRequest('Invalid page token');
    } else {
      const now = this.now();
      const end = this.instant(req, 'endTime') ?? now;
      view = { end, asOf: now, offset: 0 };
    }
    const oldest = view.asOf - REPORTS_RETENTION_MS;
    const start = this.instant(req, 'startTime');
    if (start !== undefined && start > view.asOf) {
      throw new BadRequest('Start time must be before the current time');
    }
    if (start !== undefined && start > view.end) throw new BadRequest('Start time must be before end time');
    // Older than the log keeps: Google answers the last 180 days, without an error.
    const from = Math.max(start ?? oldest, oldest);
    const eventName = q.get('eventName');
    const listed = this.auditLog
      .filter((e) => e.visibleAt <= view.asOf && e.time >= from && e.time <= view.end)
      .filter((e) => !eventName || e.name === eventName)
      .sort((a, b) => b.time - a.time);
    const items = listed.slice(view.offset, view.offset + size);
    const next = view.offset + size < listed.length ? { ...view, offset: view.offset + size } : undefined;
    const body: admin_reports_v1.Schema$Activities = {
      kind: 'admin#reports#activities',
      items: items.map((e) => this.toActivity(e)),
      ...(next ? { nextPageToken: Buffer.from(JSON.stringify(next)).toString('base64url') } : {}),
    };
    return { status: 200, body };
  }

  private toActivity(e: AuditEvent): admin_reports_v1.Schema$Activity {
    const actor = this.users.get(e.actor);
    return {
      kind: 'admin#reports#activity',
      id: {
        time: new Date(e.time).toISOString(),
        uniqueQualifier: e.uniqueQualifier,
        applicationName: 'admin',
        customerId: this.customerId,
      },
      actor: { callerType: 'USER', email: e.actor, ...(actor ? { profileId: actor.id } : {}) },
      ipAddress: '203.0.113.7',
      events: [
        {
          type: e.type,
          name: e.name,
          parameters: Object.entries(e.parameters).map(([name, value]) => ({ name, value })),
        },
      ],
    };
  }

  // --- Data Transfer API --------------------------------------------------------------------------

  private listTransfers(req: FakeRequest): FakeResponse {
    allowParams(req, ['customerId', 'maxResults', 'newOwnerUserId', 'oldOwnerUserId', 'pageToken', 'status']);
    const q = req.url.searchParams;
    const matching = this.transfers.filter(
      (t) =>
        (!q.get('oldOwnerUserId') || t.oldOwnerUserId === q.get('oldOwnerUserId')) &&
        (!q.get('newOwnerUserId') || t.newOwnerUserId === q.get('newOwnerUserId')),
    );
    const { items, nextPageToken } = page(req, matching, pageSize(req, 500, 100));
    const body: admin_datatransfer_v1.Schema$DataTransfersListResponse = {
      kind: 'admin#datatransfer#dataTransfersList',
      dataTransfers: items,
      ...(nextPageToken ? { nextPageToken } : {}),
    };
    return { status: 200, body };
  }

  private insertTransfer(req: FakeRequest): FakeResponse {
    allowParams(req, []);
    const t = requireBody<DataTransfer>(req);
    const ids = new Set([...this.users.values()].map((u) => u.id));
    if (!t.oldOwnerUserId || !ids.has(t.oldOwnerUserId)) throw new BadRequest('Invalid oldOwnerUserId');
    if (!t.newOwnerUserId || !ids.has(t.newOwnerUserId)) throw new BadRequest('Invalid newOwnerUserId');
    if (!t.applicationDataTransfers?.length) throw new BadRequest('applicationDataTransfers is required');
    const transfer: DataTransfer = {
      kind: 'admin#datatransfer#DataTransfer',
      id: `AKrEtI${randomBytes(8).toString('hex')}`,
      oldOwnerUserId: t.oldOwnerUserId,
      newOwnerUserId: t.newOwnerUserId,
      applicationDataTransfers: t.applicationDataTransfers.map((a) => ({
        ...a,
        applicationTransferStatus: 'pending',
      })),
      overallTransferStatusCode: 'inProgress',
      requestTime: new Date(this.now()).toISOString(),
    };
    this.transfers.push(transfer);
    return { status: 200, body: transfer };
  }

  // --- Enterprise License Manager -----------------------------------------------------------------

  private assignment(product: string, sku: string, userId: string): LicenseAssignment {
    return {
      kind: 'licensing#licenseAssignment',
      productId: product,
      skuId: sku,
      userId,
      selfLink: `${this.url}/apps/licensing/v1/product/${product}/sku/${sku}/user/${encodeURIComponent(userId)}`,
      etags: `"${randomBytes(6).toString('hex')}"`,
    };
  }

  private listLicenses(req: FakeRequest, product: string, sku: string): FakeResponse {
    allowParams(req, ['customerId', 'maxResults', 'pageToken']);
    // Only the customer's id (C0xxxxxxx): neither the Directory's my_customer nor a domain.
    const customerId = req.url.searchParams.get('customerId');
    if (!customerId) throw new BadRequest('Required parameter: customerId');
    if (customerId !== this.customerId) throw new BadRequest('Invalid customerId');
    const holders = this.licenses.get(`${product}/${sku}`);
    if (!holders) return notFound('productId/skuId');
    const { items, nextPageToken } = page(req, [...holders].sort(), pageSize(req, 1000, 100));
    const body: LicenseAssignmentList = {
      kind: 'licensing#licenseAssignmentList',
      items: items.map((h) => this.assignment(product, sku, h)),
      ...(nextPageToken ? { nextPageToken } : {}),
    };
    return { status: 200, body };
  }

  private insertLicense(req: FakeRequest, product: string, sku: string): FakeResponse {
    allowParams(req, []);
    const holders = this.licenses.get(`${product}/${sku}`);
    if (!holders) return notFound('productId/skuId');
    const { userId } = requireBody<{ userId?: string }>(req);
    const email = userId?.toLowerCase();
    if (!email || !this.users.has(email)) return notFound('userId');
    if (holders.has(email)) {
      return googleError(
        409,
        'duplicate',
        'User already has a license for the specified product and SKU',
        'ALREADY_EXISTS',
      );
    }
    holders.add(email);
    return { status: 200, body: this.assignment(product, sku, email) };
  }

  private deleteLicense(req: FakeRequest, product: string, sku: string, userId: string): FakeResponse {
    allowParams(req, []);
    const holders = this.licenses.get(`${product}/${sku}`);
    if (!holders) return notFound('productId/skuId');
    if (!holders.delete(userId.toLowerCase())) return notFound('userId');
    return { status: 204 };
  }

  private routes(): Route[] {
    const dir = '/admin/directory/v1';
    const lic = '/apps/licensing/v1/product/([^/]+)/sku/([^/]+)';
    const sa = '/v1/projects/-/serviceAccounts/([^/:]+)';
    const r = (
      method: string,
      path: string,
      handler: (req: FakeRequest, p: string[]) => FakeResponse,
      write = method !== 'GET',
    ): Route => ({ method, path: new RegExp(`^${path}$`), handler, write });
    return [
      r('POST', '/token', (req) => this.tokenEndpoint(req)),
      r('POST', '/v1/token', (req) => this.stsExchange(req)),
      r('POST', `${sa}:generateAccessToken`, (_req, [email]) => this.generateAccessToken(email!)),
      r('POST', `${sa}:signJwt`, (req, [email]) => this.signJwt(req, email!)),
      r('GET', `${dir}/users`, (req) => this.listUsers(req)),
      r('POST', `${dir}/users`, (req) => this.insertUser(req)),
      r('GET', `${dir}/users/([^/]+)`, (req, [k]) => this.getUser(req, k!)),
      r('PUT', `${dir}/users/([^/]+)`, (req, [k]) => this.updateUser(req, k!)),
      r('DELETE', `${dir}/users/([^/]+)`, (req, [k]) => this.deleteUser(req, k!)),
      r('POST', `${dir}/users/([^/]+)/signOut`, (req, [k]) => this.signOut(req, k!)),
      r('GET', `${dir}/users/([^/]+)/tokens`, (req, [k]) => this.listTokens(req, k!)),
      r('DELETE', `${dir}/users/([^/]+)/tokens/([^/]+)`, (req, [k, c]) => this.deleteToken(req, k!, c!)),
      r('GET', `${dir}/groups`, (req) => this.listGroups(req)),
      r('GET', `${dir}/groups/([^/]+)/members`, (req, [g]) => this.listMembers(req, g!)),
      r('POST', `${dir}/groups/([^/]+)/members`, (req, [g]) => this.insertMember(req, g!)),
      r('DELETE', `${dir}/groups/([^/]+)/members/([^/]+)`, (req, [g, m]) => this.deleteMember(req, g!, m!)),
      r('GET', '/admin/reports/v1/activity/users/([^/]+)/applications/([^/]+)', (req, [u, a]) =>
        this.listActivities(req, decodeURIComponent(u!), decodeURIComponent(a!)),
      ),
      r('GET', '/admin/datatransfer/v1/transfers', (req) => this.listTransfers(req)),
      r('POST', '/admin/datatransfer/v1/transfers', (req) => this.insertTransfer(req)),
      r('GET', `${lic}/users`, (req, [p, s]) => this.listLicenses(req, p!, s!)),
      r('POST', `${lic}/user`, (req, [p, s]) => this.insertLicense(req, p!, s!)),
      r('DELETE', `${lic}/user/([^/]+)`, (req, [p, s, u]) => this.deleteLicense(req, p!, s!, u!)),
    ];
  }
}

/** Key pairs by account: 2048-bit generation costs ~100 ms, and every test starts a fake. */
const keyPairs = new Map<string, { publicKey: string; privateKey: string }>();

function keyPairFor(clientEmail: string): { publicKey: string; privateKey: string } {
  let pair = keyPairs.get(clientEmail);
  if (!pair) {
    pair = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    keyPairs.set(clientEmail, pair);
  }
  return pair;
}

function splitDisplay(name: string): [string, string] {
  const i = name.lastIndexOf(' ');
  return i < 0 ? [name, name] : [name.slice(0, i), name.slice(i + 1)];
}
