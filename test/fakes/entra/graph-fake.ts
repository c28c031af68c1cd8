/**
 * A Microsoft Graph (v1.0) and Entra token endpoint fake on 127.0.0.1, built on FakeServer.
 * It implements exactly what the Entra connector calls, the way Graph documents it: OData error
 * bodies, `$select` (only the selected properties come back), `$top` up to 999, relative
 * `@odata.nextLink` paging, the two `$filter` forms the connector sends, `$batch` (20 steps,
 * per-step status/headers/body, dependsOn), the client-credentials grant and bearer tokens, and
 * throttling by resource units per window (429 + Retry-After seconds) plus a write budget.
 * Resources are typed with @microsoft/microsoft-graph-types so that a misspelt property fails
 * the type check.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type {
  AssignedLicense,
  DeviceActionResult,
  Group,
  ManagedDevice,
  ManagedDeviceOwnerType,
  Message,
  MessageRule,
  SubscribedSku,
  TemporaryAccessPassAuthenticationMethod,
  User,
} from '@microsoft/microsoft-graph-types';
import {
  BadRequest,
  type FakeRequest,
  type FakeResponse,
  FakeServer,
  type Fault,
  type Route,
  VendorFake,
} from '../fake-server.js';

/** A Graph user plus what only the fake knows (live sessions, passes issued). */
interface FakeUser extends User {
  id: string;
  userPrincipalName: string;
}

interface FakeGroup extends Group {
  id: string;
  displayName: string;
  /** Member user ids (Graph's `members` are directory objects, listed through /members). */
  memberIds: Set<string>;
}

interface FakeDevice extends ManagedDevice {
  id: string;
  userId: string;
}

export interface SentMail {
  from: string;
  message: Message;
  saveToSentItems: boolean;
}

export interface ThrottleBudget {
  /** Resource units per window for the app (Graph: 3,500 per 10 s in a small tenant). */
  units: number;
  windowMs: number;
  /** Writes per write window (Graph: 3,000 per 2.5 min). */
  writes: number;
  writeWindowMs: number;
}

export interface GraphFakeOptions {
  tenantId?: string;
  clientId?: string;
  /** The client secret the app registration holds (client-secret auth). */
  clientSecret?: string;
  /** The federated token the app trusts (workload identity: client_assertion). */
  federatedToken?: string;
  budget?: Partial<ThrottleBudget>;
  now?: () => number;
  /**
   * The application permissions granted to the app (the `roles` its tokens carry); default:
   * every permission the connector documents. Only what the fake checks matters here.
   */
  roles?: readonly string[];
  /**
   * Whether the tenant has Entra ID P1 or P2 (default true): without it Graph refuses
   * `signInActivity` whatever the app's permissions.
   */
  premium?: boolean;
}

/** The permission Graph asks for to write employeeHireDate and employeeLeaveDateTime. */
export const LIFECYCLE_PERMISSION = 'User-LifeCycleInfo.ReadWrite.All';
const LIFECYCLE_PROPERTIES = ['employeeHireDate', 'employeeLeaveDateTime'] as const;
/** Inbox rules (a leaver's mail forwarded to the manager): read and write need this one. */
export const MAILBOX_PERMISSION = 'MailboxSettings.ReadWrite';
/** Users' `signInActivity` (last sign-ins) needs this one on top of User.Read.All. */
export const AUDIT_LOG_PERMISSION = 'AuditLog.Read.All';
export const ALL_ROLES: readonly string[] = [
  MAILBOX_PERMISSION,
  AUDIT_LOG_PERMISSION,
  'User.ReadWrite.All',
  'GroupMember.ReadWrite.All',
  'Group.Read.All',
  'Directory.Read.All',
  LIFECYCLE_PERMISSION,
  'UserAuthenticationMethod.ReadWrite.All',
  'Mail.Send',
  'DeviceManagementManagedDevices.PrivilegedOperations.All',
  'DeviceManagementManagedDevices.Read.All',
];

type Params = URLSearchParams;
type Handler = (req: FakeRequest, params: string[]) => FakeResponse;
/** Synchronous handlers, so that `$batch` can run a step through the same route table. */
interface FakeRoute extends Route {
  handler: Handler;
}

const MAX_TOP = 999;
/** With `signInActivity` selected, a users page holds at most 500 (a larger `$top` is not an error). */
const SIGN_IN_MAX_TOP = 500;
/** Graph's "never" for a sign-in time (List users, example 11). */
const NEVER = '0001-01-01T00:00:00Z';
const DEFAULT_TOP = 100;
const BATCH_MAX = 20;
/** Identity resources' delta links last seven days (Microsoft 365 Developer Blog, 3 July 2020). */
export const DELTA_LINK_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;
/** UNVERIFIED: Graph chooses a delta page's size; the fake's is 100 objects. */
const DELTA_PAGE = 100;
/** UNVERIFIED: members per group entry in a delta page before the group repeats with the rest. */
const MEMBERS_PER_ENTRY = 500;
/** Sync states the fake keeps (Graph keeps a bounded number: the oldest are refused). */
const MAX_DELTA_TOKENS = 64;

/** The state an issued delta link stands for: the next round reports what differs from it. */
interface DeltaToken {
  resource: 'users' | 'groups';
  select: string[];
  issuedAt: number;
  reset?: boolean;
  users: Map<string, Record<string, unknown>>;
  groups: Map<string, { displayName: string; members: Set<string> }>;
}
const USER_TYPE = '#microsoft.graph.user';

/**
 * Stable ids per name, so that ids a connector learnt stay valid across a harness re-seed. The
 * name is taken as given: two groups may be named "Eng" and "ENG" (display names are not unique).
 */
function stableId(kind: string, name: string): string {
  const h = createHash('sha256').update(`${kind}:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function odataError(status: number, code: string, message: string): FakeResponse {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString(),
          'request-id': randomUUID(),
          'client-request-id': randomUUID(),
        },
      },
    },
  };
}

const notFound = (id: string) =>
  odataError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

/** `$select` honoured: only the listed properties (and OData annotations) come back. */
function project<T extends object>(item: T, q: Params): Partial<T> {
  const select = q.get('$select');
  if (!select) return item;
  const keep = new Set(select.split(',').map((s) => s.trim()));
  return Object.fromEntries(
    Object.entries(item).filter(([k]) => keep.has(k) || k.startsWith('@odata.')),
  ) as Partial<T>;
}

function top(q: Params): number {
  const raw = q.get('$top');
  if (raw === null) return DEFAULT_TOP;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) {
    throw new BadRequest(
      `Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_TOP} inclusive.`,
    );
  }
  return n;
}

export class GraphFake extends VendorFake {
  readonly server: FakeServer;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly federatedToken: string;
  readonly users = new Map<string, FakeUser>();
  readonly groups = new Map<string, FakeGroup>();
  readonly skus: SubscribedSku[] = [];
  readonly devices = new Map<string, FakeDevice>();
  /** Live sign-in sessions per user id (signIn adds one; revokeSignInSessions clears them). */
  readonly sessions = new Map<string, number>();
  /** Temporary Access Passes issued, per user id: the tests check where they went. */
  readonly passes = new Map<string, string>();
  readonly mail: SentMail[] = [];
  /** Inbox rules per user id (GET/POST/PATCH .../mailFolders/inbox/messageRules). */
  readonly messageRules = new Map<string, MessageRule[]>();
  /**
   * Users without an Exchange Online mailbox (no license, or a mailbox on-premises): Graph's mail
   * routes answer them 404 MailboxNotEnabledForRESTAPI.
   */
  readonly withoutMailbox = new Set<string>();
  /** Steps executed inside `$batch` posts, with their status (FakeServer logs only the post). */
  readonly steps: { method: string; url: string; status: number; at: number }[] = [];
  budget: ThrottleBudget;
  /** Issued bearer tokens and the roles each carries (fixed when issued, as in a JWT). */
  private readonly tokens = new Map<string, ReadonlySet<string>>();
  /** The app's granted application permissions; tokens issued from now on carry these. */
  roles: readonly string[];
  /** Entra ID P1/P2: without it `signInActivity` is refused (see GraphFakeOptions.premium). */
  premium: boolean;
  private readonly now: () => number;
  /** Delta rounds being paged (`$skiptoken`) and the state each issued delta link stands for. */
  private readonly deltaPages = new Map<string, { items: object[]; link: string }>();
  private readonly deltaTokens = new Map<string, DeltaToken>();
  /** Delta requests answered, by kind, for the tests and the bench. */
  readonly deltaLog: { resource: 'users' | 'groups'; kind: 'initial' | 'next' | 'delta' | 'refused' }[] = [];
  private window = { start: 0, units: 0 };
  private writeWindow = { start: 0, writes: 0 };
  private readonly routes: FakeRoute[];

  constructor(opts: GraphFakeOptions = {}) {
    super();
    this.tenantId = opts.tenantId ?? 'contoso-tenant-id';
    this.clientId = opts.clientId ?? '11111111-2222-3333-4444-555555555555';
    this.clientSecret = opts.clientSecret ?? `secret-${randomBytes(8).toString('hex')}`;
    this.federatedToken = opts.federatedToken ?? `eyJ.federated-${randomBytes(8).toString('hex')}.sig`;
    this.budget = { units: 3_500, windowMs: 10_000, writes: 3_000, writeWindowMs: 150_000, ...opts.budget };
    this.now = opts.now ?? Date.now;
    this.roles = opts.roles ?? ALL_ROLES;
    this.premium = opts.premium ?? true;
    this.routes = this.buildRoutes();
    this.server = new FakeServer({
      name: 'graph',
      routes: this.routes,
      now: this.now,
      unknown: (req) =>
        odataError(
          400,
          'BadRequest',
          `Resource not found for the segment '${req.url.pathname.split('/').pop()}'.`,
        ),
      badRequest: (_req, message) => odataError(400, 'BadRequest', message),
      authenticate: (req) => this.authenticate(req),
      throttle: (req, now) =>
        this.isApi(req) && req.url.pathname !== '/v1.0/$batch' ? this.charge(req, now) : undefined,
    });
  }

  // --- seeding and inspection ---------------------------------------------------------------------

  addUser(upn: string, props: Partial<User> = {}): FakeUser {
    const user: FakeUser = {
      displayName: upn.split('@')[0] ?? upn,
      accountEnabled: true,
      assignedLicenses: [],
      mailNickname: upn.split('@')[0] ?? upn,
      employeeLeaveDateTime: null,
      usageLocation: 'US',
      // Null until the first sign-in, as Graph reports a user who never signed in.
      signInActivity: null,
      ...props,
      id: stableId('user', upn.toLowerCase()),
      userPrincipalName: upn,
    };
    this.users.set(user.id, user);
    return user;
  }

  addGroup(displayName: string, memberUpns: readonly string[] = []): FakeGroup {
    const group: FakeGroup = { id: stableId('group', displayName), displayName, memberIds: new Set() };
    for (const upn of memberUpns) group.memberIds.add(this.userByKey(upn)!.id);
    this.groups.set(group.id, group);
    return group;
  }

  addSku(skuPartNumber: string, enabledUnits = 1_000): SubscribedSku {
    const sku: SubscribedSku = {
      id: `${this.tenantId}_${stableId('sku', skuPartNumber)}`,
      skuId: stableId('sku', skuPartNumber),
      skuPartNumber,
      consumedUnits: 0,
      capabilityStatus: 'Enabled',
      appliesTo: 'User',
      prepaidUnits: { enabled: enabledUnits, suspended: 0, warning: 0 },
    };
    this.skus.push(sku);
    return sku;
  }

  addDevice(upn: string, ownerType: ManagedDeviceOwnerType, name = 'device'): FakeDevice {
    const user = this.userByKey(upn)!;
    const device: FakeDevice = {
      id: randomUUID(),
      userId: user.id,
      deviceName: name,
      managedDeviceOwnerType: ownerType,
      userPrincipalName: user.userPrincipalName,
      deviceActionResults: [],
    };
    this.devices.set(device.id, device);
    return device;
  }

  reset(): void {
    this.users.clear();
    this.groups.clear();
    this.skus.length = 0;
    this.devices.clear();
    this.sessions.clear();
    this.passes.clear();
    this.mail.length = 0;
    this.messageRules.clear();
    this.withoutMailbox.clear();
  }

  /** A user by id or by userPrincipalName (case-insensitive), as Graph resolves `/users/{key}`. */
  userByKey(key: string): FakeUser | undefined {
    const byId = this.users.get(key);
    if (byId) return byId;
    const lower = key.toLowerCase();
    return [...this.users.values()].find((u) => u.userPrincipalName.toLowerCase() === lower);
  }

  /** Graph compares display names case-insensitively. */
  groupByName(name: string): FakeGroup | undefined {
    const lower = name.toLowerCase();
    return [...this.groups.values()].find((g) => g.displayName.toLowerCase() === lower);
  }

  memberUpns(group: FakeGroup): string[] {
    return [...group.memberIds].map((id) => this.users.get(id)!.userPrincipalName.toLowerCase()).sort();
  }

  licenseHolders(skuPartNumber: string): string[] | undefined {
    const sku = this.skus.find((s) => s.skuPartNumber === skuPartNumber);
    if (!sku) return undefined;
    return [...this.users.values()]
      .filter((u) => u.assignedLicenses?.some((l) => l.skuId === sku.skuId))
      .map((u) => u.userPrincipalName.toLowerCase())
      .sort();
  }

  /** Seeds a user's last (interactive, successful) sign-in; null: never signed in. */
  setLastSignIn(upn: string, at: string | null): void {
    const user = this.userByKey(upn)!;
    if (at === null) {
      user.signInActivity = null;
      return;
    }
    const when = `${new Date(at).toISOString().slice(0, 19)}Z`;
    user.signInActivity = {
      lastSignInDateTime: when,
      lastSignInRequestId: randomUUID(),
      lastNonInteractiveSignInDateTime: NEVER,
      lastNonInteractiveSignInRequestId: '',
      lastSuccessfulSignInDateTime: when,
      lastSuccessfulSignInRequestId: randomUUID(),
    };
  }

  /**
   * An interactive, successful sign-in: one more session, and `signInActivity` records it as
   * Graph does, to the second; the non-interactive time stays Graph's "never" until one happens.
   */
  signIn(upn: string): boolean {
    const user = this.userByKey(upn);
    if (!user?.accountEnabled) return false;
    this.sessions.set(user.id, (this.sessions.get(user.id) ?? 0) + 1);
    const at = `${new Date(this.now()).toISOString().slice(0, 19)}Z`;
    const requestId = randomUUID();
    user.signInActivity = {
      lastNonInteractiveSignInDateTime: NEVER,
      lastNonInteractiveSignInRequestId: '',
      ...user.signInActivity,
      lastSignInDateTime: at,
      lastSignInRequestId: requestId,
      lastSuccessfulSignInDateTime: at,
      lastSuccessfulSignInRequestId: requestId,
    };
    return true;
  }

  /** Forgets every issued bearer token (a tenant admin revoked the app's consent, say). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  // --- authentication --------------------------------------------------------------------------------

  /** The roles of the request's token (authenticate has already checked that it is one we issued). */
  private rolesOf(req: FakeRequest): ReadonlySet<string> {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return (token && this.tokens.get(token)) || new Set();
  }

  /** Graph's 403 for a write the app's permissions do not cover. */
  private denied(): FakeResponse {
    return odataError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  }

  /** Hire and leave dates need User-LifeCycleInfo.ReadWrite.All on top of User.ReadWrite.All. */
  private lifecycleDenied(req: FakeRequest, body: User | undefined): boolean {
    return (
      LIFECYCLE_PROPERTIES.some((p) => body?.[p] !== undefined) &&
      !this.rolesOf(req).has(LIFECYCLE_PERMISSION)
    );
  }

  private isApi(req: FakeRequest): boolean {
    return req.url.pathname.startsWith('/v1.0/');
  }

  private authenticate(req: FakeRequest): FakeResponse | undefined {
    if (!this.isApi(req)) return undefined;
    const header = req.headers.authorization;
    if (!header) return odataError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token || !this.tokens.has(token)) {
      return odataError(
        401,
        'InvalidAuthenticationToken',
        'Access token validation failure. Invalid audience.',
      );
    }
    return undefined;
  }

  /** POST /{tenant}/oauth2/v2.0/token: the client-credentials grant, secret or federated assertion. */
  private token(req: FakeRequest, [tenant]: string[]): FakeResponse {
    const form = new URLSearchParams(req.rawBody);
    const fail = (status: number, error: string, description: string): FakeResponse => ({
      status,
      body: { error, error_description: description, error_codes: [Number(description.slice(5, 11))] },
    });
    if (tenant !== this.tenantId) {
      return fail(
        400,
        'invalid_request',
        `AADSTS900023: Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
      );
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    }
    if (form.get('client_id') !== this.clientId) {
      return fail(
        400,
        'unauthorized_client',
        `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found in the directory.`,
      );
    }
    if (!form.get('scope')?.endsWith('/.default')) {
      return fail(
        400,
        'invalid_scope',
        'AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.',
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    if (assertion !== null) {
      if (
        form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
        assertion !== this.federatedToken
      ) {
        return fail(
          401,
          'invalid_client',
          'AADSTS700213: No matching federated identity record found for presented assertion subject.',
        );
      }
    } else if (secret !== this.clientSecret) {
      return fail(
        401,
        'invalid_client',
        `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${this.clientId}'.`,
      );
    }
    const accessToken = `fake-graph-token-${randomBytes(12).toString('hex')}`;
    this.tokens.set(accessToken, new Set(this.roles));
    return {
      status: 200,
      body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken },
    };
  }

  // --- throttling -------------------------------------------------------------------------------------

  /** Identity resource units: a users GET costs 2, a members GET 3, `$select` takes 1 off; writes 1. */
  private units(method: string, path: string, q: Params): number {
    if (method !== 'GET') return 1;
    const base = /\/members$/.test(path) ? 3 : /^\/v1\.0\/(users|groups)/.test(path) ? 2 : 1;
    return Math.max(1, base - (q.has('$select') ? 1 : 0));
  }

  /** Charges one request to the budgets; a 429 with Retry-After (seconds) when it is spent. */
  private charge(req: FakeRequest, now: number): FakeResponse | undefined {
    if (now - this.window.start >= this.budget.windowMs) this.window = { start: now, units: 0 };
    if (now - this.writeWindow.start >= this.budget.writeWindowMs)
      this.writeWindow = { start: now, writes: 0 };
    const cost = this.units(req.method, req.url.pathname, req.url.searchParams);
    const write = req.method !== 'GET';
    const over =
      this.window.units + cost > this.budget.units
        ? this.window.start + this.budget.windowMs
        : write && this.writeWindow.writes + 1 > this.budget.writes
          ? this.writeWindow.start + this.budget.writeWindowMs
          : undefined;
    if (over !== undefined) {
      const seconds = Math.max(1, Math.ceil((over - now) / 1000));
      const res = odataError(429, 'TooManyRequests', 'Too many requests.');
      res.headers = { 'retry-after': String(seconds) };
      return res;
    }
    this.window.units += cost;
    if (write) this.writeWindow.writes++;
    return undefined;
  }

  // --- routes -----------------------------------------------------------------------------------------

  private buildRoutes(): FakeRoute[] {
    const r = (method: string, path: RegExp, handler: Handler, write = false): FakeRoute => ({
      method,
      path,
      handler,
      write,
    });
    const seg = '([^/]+)';
    return [
      r('POST', new RegExp(`^/${seg}/oauth2/v2\\.0/token$`), (q, p) => this.token(q, p)),
      r('POST', /^\/v1\.0\/\$batch$/, (q) => this.batch(q), true),
      // Before /users/{key}: `delta` is a function, not a user (also by its qualified name).
      r('GET', /^\/v1\.0\/users\/(?:microsoft\.graph\.)?delta$/, (q) => this.delta(q, 'users')),
      r('GET', /^\/v1\.0\/groups\/(?:microsoft\.graph\.)?delta$/, (q) => this.delta(q, 'groups')),
      r('GET', /^\/v1\.0\/users$/, (q) => this.listUsers(q)),
      r('POST', /^\/v1\.0\/users$/, (q) => this.createUser(q), true),
      r('GET', new RegExp(`^/v1\\.0/users/${seg}$`), (q, [k]) => this.getUser(q, k!)),
      r('PATCH', new RegExp(`^/v1\\.0/users/${seg}$`), (q, [k]) => this.patchUser(q, k!), true),
      r('DELETE', new RegExp(`^/v1\\.0/users/${seg}$`), (_q, [k]) => this.deleteUser(k!), true),
      r(
        'POST',
        new RegExp(`^/v1\\.0/users/${seg}/revokeSignInSessions$`),
        (_q, [k]) => this.revoke(k!),
        true,
      ),
      r(
        'POST',
        new RegExp(`^/v1\\.0/users/${seg}/assignLicense$`),
        (q, [k]) => this.assignLicense(q, k!),
        true,
      ),
      r(
        'POST',
        new RegExp(`^/v1\\.0/users/${seg}/authentication/temporaryAccessPassMethods$`),
        (q, [k]) => this.createPass(q, k!),
        true,
      ),
      r('POST', new RegExp(`^/v1\\.0/users/${seg}/sendMail$`), (q, [k]) => this.sendMail(q, k!), true),
      r('GET', new RegExp(`^/v1\\.0/users/${seg}/mailFolders/inbox/messageRules$`), (q, [k]) =>
        this.listRules(q, k!),
      ),
      r(
        'POST',
        new RegExp(`^/v1\\.0/users/${seg}/mailFolders/inbox/messageRules$`),
        (q, [k]) => this.createRule(q, k!),
        true,
      ),
      r(
        'PATCH',
        // Rule ids are base64 (`+`, `/`, `=`): clients send them percent-encoded, and the path is
        // matched decoded, so the id is everything after messageRules/.
        new RegExp(`^/v1\\.0/users/${seg}/mailFolders/inbox/messageRules/(.+)$`),
        (q, [k, id]) => this.updateRule(q, k!, id!),
        true,
      ),
      r('GET', new RegExp(`^/v1\\.0/users/${seg}/managedDevices$`), (q, [k]) => this.listDevices(q, k!)),
      r(
        'POST',
        new RegExp(`^/v1\\.0/deviceManagement/managedDevices/${seg}/(retire|wipe)$`),
        (q, [id, action]) => this.deviceAction(q, id!, action!),
        true,
      ),
      r('GET', /^\/v1\.0\/groups$/, (q) => this.listGroups(q)),
      r('GET', new RegExp(`^/v1\\.0/groups/${seg}/members$`), (q, [g]) => this.listMembers(q, g!)),
      r(
        'POST',
        new RegExp(`^/v1\\.0/groups/${seg}/members/\\$ref$`),
        (q, [g]) => this.addMember(q, g!),
        true,
      ),
      r(
        'DELETE',
        new RegExp(`^/v1\\.0/groups/${seg}/members/${seg}/\\$ref$`),
        (_q, [g, u]) => this.removeMember(g!, u!),
        true,
      ),
      r('GET', /^\/v1\.0\/subscribedSkus$/, (q) => this.listSkus(q)),
    ];
  }

  /** One page of a collection with a relative nextLink carrying `$skiptoken` (an offset here). */
  private page<T extends object>(req: FakeRequest, items: T[], maxSize = MAX_TOP): FakeResponse {
    const q = req.url.searchParams;
    const size = Math.min(top(q), maxSize);
    const skip = Number(q.get('$skiptoken') ?? '0');
    const value = items.slice(skip, skip + size).map((i) => project(i, q));
    const body: Record<string, unknown> = {
      '@odata.context': `${this.url}/v1.0/$metadata#collection`,
      value,
    };
    if (skip + size < items.length) {
      // Graph keeps the query as sent ($select, $top...) and adds its own $skiptoken.
      const kept = req.url.search
        .slice(1)
        .split('&')
        .filter((p) => p && !/^(\$|%24)skiptoken=/i.test(p));
      body['@odata.nextLink'] = `${req.url.pathname}?${[...kept, `$skiptoken=${skip + size}`].join('&')}`;
    }
    return { status: 200, body };
  }

  private rejectFilter(q: Params): void {
    if (q.has('$filter')) throw new BadRequest(`Unsupported query: $filter=${q.get('$filter')}`);
  }

  /** A user as Graph returns it by default: `signInActivity` only ever comes when selected. */
  private publicUser(u: FakeUser): User {
    const { signInActivity: _selectedOnly, ...rest } = u;
    return { '@odata.type': USER_TYPE, ...rest } as User;
  }

  /**
   * `signInActivity` comes back only when `$select` names it, and only for a token with
   * AuditLog.Read.All in a P1/P2 tenant; otherwise the whole request is refused with the 403s
   * Graph gives (the error codes and messages are Graph's own).
   */
  private signInActivityRefused(req: FakeRequest): FakeResponse | undefined {
    if (!this.selectsSignIns(req)) return undefined;
    if (!this.rolesOf(req).has(AUDIT_LOG_PERMISSION)) {
      return odataError(
        403,
        'Authentication_MSGraphPermissionMissing',
        `Calling principal does not have required MSGraph permissions ${AUDIT_LOG_PERMISSION}`,
      );
    }
    if (!this.premium) {
      return odataError(
        403,
        'Authentication_RequestFromNonPremiumTenantOrB2CTenant',
        "Neither tenant is B2C or tenant doesn't have premium license",
      );
    }
    return undefined;
  }

  private selectsSignIns(req: FakeRequest): boolean {
    const select = req.url.searchParams.get('$select');
    return select?.split(',').some((p) => p.trim() === 'signInActivity') ?? false;
  }

  /** A user as a collection or a GET returns it: `signInActivity` only when selected. */
  private listedUser(req: FakeRequest, u: FakeUser): User {
    const user = this.publicUser(u);
    return this.selectsSignIns(req) ? { ...user, signInActivity: u.signInActivity ?? null } : user;
  }

  private listUsers(req: FakeRequest): FakeResponse {
    this.rejectFilter(req.url.searchParams);
    const refused = this.signInActivityRefused(req);
    if (refused) return refused;
    return this.page(
      req,
      [...this.users.values()].map((u) => this.listedUser(req, u)),
      this.selectsSignIns(req) ? SIGN_IN_MAX_TOP : MAX_TOP,
    );
  }

  private getUser(req: FakeRequest, key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    const refused = this.signInActivityRefused(req);
    if (refused) return refused;
    return { status: 200, body: project(this.listedUser(req, u), req.url.searchParams) };
  }

  private createUser(req: FakeRequest): FakeResponse {
    const body = req.body as User | undefined;
    for (const field of ['accountEnabled', 'displayName', 'mailNickname', 'userPrincipalName'] as const) {
      if (body?.[field] === undefined)
        throw new BadRequest(`Property '${field}' is required when creating the object.`);
    }
    if (!body!.passwordProfile?.password)
      throw new BadRequest("Property 'passwordProfile' is required when creating the object.");
    if (this.lifecycleDenied(req, body)) return this.denied();
    if (this.userByKey(body!.userPrincipalName!)) {
      const res = odataError(
        400,
        'Request_BadRequest',
        'Another object with the same value for property userPrincipalName already exists.',
      );
      (res.body as { error: Record<string, unknown> }).error.details = [
        { code: 'ObjectConflict', target: 'userPrincipalName' },
      ];
      return res;
    }
    // The password is checked for presence and dropped: Graph never returns it, the fake never keeps it.
    const { passwordProfile: _dropped, ...rest } = body!;
    const user = this.addUser(body!.userPrincipalName!, {
      ...rest,
      assignedLicenses: [],
      usageLocation: rest.usageLocation ?? null,
    });
    return { status: 201, body: this.publicUser(user) };
  }

  private patchUser(req: FakeRequest, key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    const body = req.body as User;
    const allowed = new Set(['accountEnabled', 'displayName', 'employeeLeaveDateTime', 'employeeHireDate']);
    const bad = Object.keys(body ?? {}).find((k) => !allowed.has(k));
    if (bad) throw new BadRequest(`Invalid property '${bad}'.`);
    if (this.lifecycleDenied(req, body)) return this.denied();
    Object.assign(u, body);
    return { status: 204 };
  }

  private deleteUser(key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    this.users.delete(u.id);
    for (const g of this.groups.values()) g.memberIds.delete(u.id);
    this.sessions.delete(u.id);
    return { status: 204 };
  }

  private revoke(key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    this.sessions.set(u.id, 0);
    return { status: 200, body: { '@odata.context': `${this.url}/v1.0/$metadata#Edm.Boolean`, value: true } };
  }

  private assignLicense(req: FakeRequest, key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    const body = req.body as { addLicenses?: AssignedLicense[]; removeLicenses?: string[] };
    if (!Array.isArray(body?.addLicenses) || !Array.isArray(body.removeLicenses)) {
      throw new BadRequest("Property 'addLicenses' and 'removeLicenses' are required.");
    }
    const held = new Set((u.assignedLicenses ?? []).map((l) => l.skuId));
    if (body.addLicenses.length > 0 && !u.usageLocation) {
      return odataError(
        400,
        'Request_BadRequest',
        'License assignment cannot be done for user with invalid usage location.',
      );
    }
    for (const add of body.addLicenses) {
      const sku = this.skus.find((s) => s.skuId === add.skuId);
      if (!sku)
        return odataError(
          400,
          'Request_BadRequest',
          `License ${add.skuId} does not correspond to a valid company License.`,
        );
      if (!held.has(sku.skuId) && (sku.consumedUnits ?? 0) >= (sku.prepaidUnits?.enabled ?? 0)) {
        return odataError(
          400,
          'Request_BadRequest',
          `Subscription ${sku.skuPartNumber} does not have any available licenses.`,
        );
      }
    }
    for (const id of body.removeLicenses) {
      if (!held.has(id))
        return odataError(400, 'Request_BadRequest', 'User does not have a corresponding license.');
    }
    for (const add of body.addLicenses) {
      if (held.has(add.skuId)) continue;
      const sku = this.skus.find((s) => s.skuId === add.skuId)!;
      sku.consumedUnits = (sku.consumedUnits ?? 0) + 1;
      u.assignedLicenses = [
        ...(u.assignedLicenses ?? []),
        { skuId: add.skuId!, disabledPlans: add.disabledPlans ?? [] },
      ];
    }
    for (const id of body.removeLicenses) {
      const sku = this.skus.find((s) => s.skuId === id);
      if (sku) sku.consumedUnits = (sku.consumedUnits ?? 1) - 1;
      u.assignedLicenses = (u.assignedLicenses ?? []).filter((l) => l.skuId !== id);
    }
    return { status: 200, body: this.publicUser(u) };
  }

  private createPass(req: FakeRequest, key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    const body = req.body as TemporaryAccessPassAuthenticationMethod;
    const lifetime = body?.lifetimeInMinutes ?? 60;
    if (lifetime < 10 || lifetime > 43_200)
      throw new BadRequest('lifetimeInMinutes must be between 10 and 43200.');
    // One pass per user: a new one replaces the old.
    const pass = randomBytes(6).toString('base64url');
    this.passes.set(u.id, pass);
    const method: TemporaryAccessPassAuthenticationMethod = {
      id: randomUUID(),
      temporaryAccessPass: pass,
      createdDateTime: new Date(this.now()).toISOString(),
      startDateTime: new Date(this.now()).toISOString(),
      lifetimeInMinutes: lifetime,
      isUsableOnce: body?.isUsableOnce ?? false,
      isUsable: true,
      methodUsabilityReason: 'EnabledByPolicy',
    };
    return { status: 201, body: method };
  }

  private sendMail(req: FakeRequest, key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return odataError(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`);
    const body = req.body as { message?: Message; saveToSentItems?: boolean };
    if (!body?.message?.toRecipients?.length) throw new BadRequest('At least one recipient is required.');
    this.mail.push({
      from: u.userPrincipalName,
      message: body.message,
      saveToSentItems: body.saveToSentItems ?? true,
    });
    return { status: 202 };
  }

  /**
   * The mailbox behind `/users/{key}/mailFolders/...`, or Exchange's answer: 403 ErrorAccessDenied
   * for a token without the permission (read: MailboxSettings.Read or ReadWrite), 404 for an
   * unknown user or one without an Exchange Online mailbox.
   */
  private mailbox(req: FakeRequest, key: string, write: boolean): FakeUser | FakeResponse {
    const roles = this.rolesOf(req);
    if (!roles.has(MAILBOX_PERMISSION) && (write || !roles.has('MailboxSettings.Read'))) {
      return odataError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    }
    const u = this.userByKey(key);
    if (!u) return odataError(404, 'ErrorInvalidUser', `The requested user '${key}' is invalid.`);
    if (this.withoutMailbox.has(u.id)) {
      return odataError(
        404,
        'MailboxNotEnabledForRESTAPI',
        'REST API is not yet supported for this mailbox.',
      );
    }
    return u;
  }

  private listRules(req: FakeRequest, key: string): FakeResponse {
    const u = this.mailbox(req, key, false);
    if ('status' in u) return u;
    return {
      status: 200,
      body: {
        '@odata.context': `${this.url}/v1.0/$metadata#users('${u.id}')/mailFolders('inbox')/messageRules`,
        value: (this.messageRules.get(u.id) ?? []).map((r) => project(r, req.url.searchParams)),
      },
    };
  }

  /** Graph requires displayName, sequence and actions; Outlook adds hasError and isReadOnly. */
  private createRule(req: FakeRequest, key: string): FakeResponse {
    const u = this.mailbox(req, key, true);
    if ('status' in u) return u;
    const body = req.body as MessageRule | undefined;
    for (const field of ['displayName', 'sequence', 'actions'] as const) {
      if (body?.[field] === undefined || body[field] === null)
        throw new BadRequest(`Property '${field}' is required when creating the object.`);
    }
    this.checkForwardTo(body!);
    const rule: MessageRule = {
      isEnabled: true,
      ...body,
      id: randomBytes(8).toString('base64'),
      hasError: false,
      isReadOnly: false,
    };
    this.messageRules.set(u.id, [...(this.messageRules.get(u.id) ?? []), rule]);
    return { status: 201, body: rule };
  }

  private updateRule(req: FakeRequest, key: string, id: string): FakeResponse {
    const u = this.mailbox(req, key, true);
    if ('status' in u) return u;
    const rule = (this.messageRules.get(u.id) ?? []).find((r) => r.id === id);
    if (!rule)
      return odataError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');
    const body = (req.body ?? {}) as MessageRule;
    this.checkForwardTo(body);
    const { id: _id, hasError: _e, isReadOnly: _r, ...writable } = body;
    Object.assign(rule, writable);
    return { status: 200, body: rule };
  }

  private checkForwardTo(rule: MessageRule): void {
    for (const r of rule.actions?.forwardTo ?? []) {
      if (!r.emailAddress?.address) throw new BadRequest('A recipient in forwardTo has no address.');
    }
  }

  private listDevices(req: FakeRequest, key: string): FakeResponse {
    const u = this.userByKey(key);
    if (!u) return notFound(key);
    this.rejectFilter(req.url.searchParams);
    const mine = [...this.devices.values()].filter((d) => d.userId === u.id).map(({ userId: _u, ...d }) => d);
    return this.page(req, mine);
  }

  private deviceAction(req: FakeRequest, id: string, action: string): FakeResponse {
    const d = this.devices.get(id);
    if (!d) return odataError(404, 'ResourceNotFound', `Resource not found for the segment '${id}'.`);
    if (action === 'wipe' && req.body !== undefined && typeof req.body !== 'object')
      throw new BadRequest('Invalid wipe body.');
    const result: DeviceActionResult = {
      actionName: action,
      actionState: 'pending',
      startDateTime: new Date(this.now()).toISOString(),
      lastUpdatedDateTime: new Date(this.now()).toISOString(),
    };
    d.deviceActionResults = [...(d.deviceActionResults ?? []), result];
    return { status: 204 };
  }

  /**
   * `$filter` forms the connector sends: `displayName eq '...'` and `displayName in ('...', ...)`,
   * compared case-insensitively as Graph does for directory objects.
   */
  private groupFilter(filter: string): (g: FakeGroup) => boolean {
    const literal = "'((?:[^']|'')*)'";
    const name = (m: string) => m.replace(/''/g, "'").toLowerCase();
    const eq = new RegExp(`^displayName eq ${literal}$`).exec(filter);
    if (eq) return (g) => g.displayName.toLowerCase() === name(eq[1]!);
    const inList = /^displayName in \((.*)\)$/.exec(filter);
    if (inList) {
      const names = [...inList[1]!.matchAll(new RegExp(literal, 'g'))].map((m) => name(m[1]!));
      if (names.length > 15) throw new BadRequest('Too many values in the in operator; the limit is 15.');
      return (g) => names.includes(g.displayName.toLowerCase());
    }
    throw new BadRequest(`Unsupported query: $filter=${filter}`);
  }

  private listGroups(req: FakeRequest): FakeResponse {
    const filter = req.url.searchParams.get('$filter');
    const match = filter ? this.groupFilter(filter) : () => true;
    const groups = [...this.groups.values()]
      .filter(match)
      .map(({ memberIds: _m, ...g }) => ({ '@odata.type': '#microsoft.graph.group', ...g }) as Group);
    return this.page(req, groups);
  }

  private listMembers(req: FakeRequest, groupId: string): FakeResponse {
    const g = this.groups.get(groupId);
    if (!g) return notFound(groupId);
    this.rejectFilter(req.url.searchParams);
    return this.page(
      req,
      [...g.memberIds].map((id) => this.publicUser(this.users.get(id)!)),
    );
  }

  private addMember(req: FakeRequest, groupId: string): FakeResponse {
    const g = this.groups.get(groupId);
    if (!g) return notFound(groupId);
    const ref = (req.body as { '@odata.id'?: string })?.['@odata.id'];
    const id = ref && /\/v1\.0\/directoryObjects\/([^/]+)$/.exec(ref)?.[1];
    if (!id) throw new BadRequest("Invalid object identifier '@odata.id'.");
    if (!this.users.has(id)) return notFound(id);
    if (g.memberIds.has(id)) {
      return odataError(
        400,
        'Request_BadRequest',
        "One or more added object references already exist for the following modified properties: 'members'.",
      );
    }
    g.memberIds.add(id);
    return { status: 204 };
  }

  private removeMember(groupId: string, userId: string): FakeResponse {
    const g = this.groups.get(groupId);
    if (!g) return notFound(groupId);
    if (!g.memberIds.has(userId)) return notFound(userId);
    g.memberIds.delete(userId);
    return { status: 204 };
  }

  private listSkus(req: FakeRequest): FakeResponse {
    this.rejectFilter(req.url.searchParams);
    return this.page(req, [...this.skus]);
  }

  // --- delta queries -----------------------------------------------------------------------------------

  /**
   * Every delta link issued so far stops working, as after a reset of the tenant's sync state:
   * the next request with one is answered 410 Gone (delta query overview: "the application must
   * restart with a full synchronization"). UNVERIFIED: the error code in that 410's body.
   */
  resetDeltaState(): void {
    for (const t of this.deltaTokens.values()) t.reset = true;
  }

  /**
   * GET /users/delta and /groups/delta (learn.microsoft.com/graph/delta-query-users, -groups):
   * a round without a token lists everything, a round from a `$deltatoken` only what changed
   * since that link was issued; pages follow `@odata.nextLink` (`$skiptoken`), the last page
   * carries the `@odata.deltaLink` for the next round. Only the query parameters the connector
   * sends are understood (`$select` on the first request; a token alone afterwards, since Graph
   * encodes the first request's parameters into its links); anything else is refused loudly.
   * Links older than seven days are refused with `syncStateNotFound` (Microsoft 365 Developer
   * Blog, 3 July 2020: identity resources' delta links last seven days).
   */
  private delta(req: FakeRequest, resource: 'users' | 'groups'): FakeResponse {
    const q = req.url.searchParams;
    const names = [...q.keys()];
    const skip = q.get('$skiptoken');
    const token = q.get('$deltatoken');
    if (skip !== null || token !== null) {
      if (names.length !== 1)
        throw new BadRequest(
          `Unsupported query with a state token: ${names.filter((n) => !n.endsWith('token')).join(', ')}`,
        );
    } else {
      const bad = names.find((n) => n !== '$select');
      if (bad)
        throw new BadRequest(
          `Unsupported query option for delta: ${bad} (the fake understands $select only)`,
        );
    }
    if (skip !== null) {
      const page = this.deltaPages.get(skip);
      if (!page) throw new BadRequest(`Invalid $skiptoken '${skip}'.`);
      this.deltaLog.push({ resource, kind: 'next' });
      return this.deltaPage(resource, skip, page);
    }
    let select: string[];
    let items: object[];
    if (token !== null) {
      const issued = this.deltaTokens.get(token);
      if (issued?.reset) {
        this.deltaLog.push({ resource, kind: 'refused' });
        return odataError(
          410,
          'resyncRequired',
          'The sync state was reset; the application must synchronize again.',
        );
      }
      if (!issued || issued.resource !== resource || this.now() - issued.issuedAt > DELTA_LINK_LIFETIME_MS) {
        this.deltaLog.push({ resource, kind: 'refused' });
        return odataError(
          400,
          'syncStateNotFound',
          'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
        );
      }
      select = issued.select;
      items = resource === 'users' ? this.userChanges(issued) : this.groupChanges(issued);
      this.deltaLog.push({ resource, kind: 'delta' });
    } else {
      select = (q.get('$select') ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      if (select.includes('signInActivity'))
        // UNVERIFIED: that Graph refuses signInActivity in a delta query (it is not listed as tracked).
        throw new BadRequest('signInActivity is not supported with delta.');
      items = resource === 'users' ? this.allUsersForDelta(select) : this.allGroupsForDelta(select);
      this.deltaLog.push({ resource, kind: 'initial' });
    }
    const next = randomBytes(8).toString('hex');
    const link = this.issueDeltaToken(resource, select);
    this.deltaPages.set(next, { items, link });
    return this.deltaPage(resource, next, this.deltaPages.get(next)!);
  }

  private deltaPage(
    resource: 'users' | 'groups',
    key: string,
    page: { items: object[]; link: string },
  ): FakeResponse {
    const value = page.items.splice(0, DELTA_PAGE);
    const base = `${this.url}/v1.0/${resource}/delta`;
    const body: Record<string, unknown> = {
      '@odata.context': `${this.url}/v1.0/$metadata#${resource}`,
      value,
    };
    if (page.items.length > 0) body['@odata.nextLink'] = `${base}?$skiptoken=${key}`;
    else {
      this.deltaPages.delete(key);
      body['@odata.deltaLink'] = `${base}?$deltatoken=${page.link}`;
    }
    return { status: 200, body };
  }

  /** A token standing for the state now: what the next round is compared with. */
  private issueDeltaToken(resource: 'users' | 'groups', select: string[]): string {
    const token = randomBytes(12).toString('base64url');
    // A copy: the fake's users are mutated in place (assignedLicenses pushed to, say).
    const users = new Map(
      [...this.users.values()].map((u) => [u.id, structuredClone(this.deltaUser(u, select))]),
    );
    const groups = new Map(
      [...this.groups.values()].map((g) => [
        g.id,
        { displayName: g.displayName, members: new Set(g.memberIds) },
      ]),
    );
    this.deltaTokens.set(token, { resource, select, issuedAt: this.now(), users, groups });
    // Graph keeps a bounded number of sync states; the oldest go first (then: syncStateNotFound).
    if (this.deltaTokens.size > MAX_DELTA_TOKENS)
      this.deltaTokens.delete(this.deltaTokens.keys().next().value!);
    return token;
  }

  /** A user as a delta round returns it: the selected properties (id always). */
  private deltaUser(u: FakeUser, select: readonly string[]): Record<string, unknown> {
    const all = this.publicUser(u) as Record<string, unknown>;
    if (select.length === 0) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => k === 'id' || select.includes(k)));
  }

  private allUsersForDelta(select: readonly string[]): object[] {
    return [...this.users.values()].map((u) => this.deltaUser(u, select));
  }

  /** Only the changed properties of a changed user (Graph: "at least the updated properties"). */
  private userChanges(since: DeltaToken): object[] {
    const out: object[] = [];
    for (const u of this.users.values()) {
      const now = this.deltaUser(u, since.select);
      const was = since.users.get(u.id);
      if (!was) out.push(now);
      else {
        const changed = Object.entries(now).filter(
          ([k, v]) => k !== 'id' && JSON.stringify(v) !== JSON.stringify(was[k]),
        );
        if (changed.length > 0) out.push({ id: u.id, ...Object.fromEntries(changed) });
      }
    }
    for (const id of since.users.keys()) {
      if (!this.users.has(id)) out.push({ id, '@removed': { reason: 'deleted' } });
    }
    return out;
  }

  private member(id: string): Record<string, unknown> {
    return { '@odata.type': USER_TYPE, id };
  }

  /** Every group; a group with many members comes back several times, its members split. */
  private allGroupsForDelta(select: readonly string[]): object[] {
    const withMembers = select.includes('members');
    const out: object[] = [];
    for (const g of this.groups.values()) {
      const head = { '@odata.type': '#microsoft.graph.group', id: g.id, displayName: g.displayName };
      if (!withMembers) {
        out.push(head);
        continue;
      }
      const ids = [...g.memberIds];
      out.push({ ...head, 'members@delta': ids.slice(0, MEMBERS_PER_ENTRY).map((id) => this.member(id)) });
      for (let i = MEMBERS_PER_ENTRY; i < ids.length; i += MEMBERS_PER_ENTRY) {
        out.push({
          id: g.id,
          'members@delta': ids.slice(i, i + MEMBERS_PER_ENTRY).map((id) => this.member(id)),
        });
      }
    }
    return out;
  }

  /**
   * Changed groups since the token: new ones whole, renamed ones with their name, membership as
   * `members@delta` additions and removals, deleted ones `@removed`. A member removed because
   * the user was deleted is not reported (UNVERIFIED, reported on Microsoft Q&A): the connector
   * learns it from the users round.
   */
  private groupChanges(since: DeltaToken): object[] {
    const withMembers = since.select.includes('members');
    const out: object[] = [];
    for (const g of this.groups.values()) {
      const was = since.groups.get(g.id);
      if (!was) {
        out.push(...this.allGroupsForDelta(since.select).filter((x) => (x as { id: string }).id === g.id));
        continue;
      }
      const entry: Record<string, unknown> = {};
      if (g.displayName !== was.displayName) entry.displayName = g.displayName;
      if (withMembers) {
        const added = [...g.memberIds].filter((id) => !was.members.has(id)).map((id) => this.member(id));
        const removed = [...was.members]
          .filter((id) => !g.memberIds.has(id) && this.users.has(id))
          .map((id) => ({ ...this.member(id), '@removed': { reason: 'deleted' } }));
        if (added.length + removed.length > 0) entry['members@delta'] = [...added, ...removed];
      }
      if (Object.keys(entry).length > 0)
        out.push({ '@odata.type': '#microsoft.graph.group', id: g.id, ...entry });
    }
    for (const id of since.groups.keys()) {
      if (!this.groups.has(id)) out.push({ id, '@removed': { reason: 'deleted' } });
    }
    return out;
  }

  // --- $batch -----------------------------------------------------------------------------------------

  /** POST /$batch: up to 20 steps, each answered on its own (status, headers, body), dependsOn honoured. */
  private batch(req: FakeRequest): FakeResponse {
    const requests = (req.body as { requests?: BatchStep[] })?.requests;
    if (!Array.isArray(requests) || requests.length === 0)
      throw new BadRequest('Invalid batch payload format.');
    if (requests.length > BATCH_MAX) {
      throw new BadRequest(`The number of batch requests in the batch exceeds the limit of ${BATCH_MAX}.`);
    }
    const done = new Map<string, number>();
    const responses = requests.map((step) => {
      const failedDep = (step.dependsOn ?? []).some((d) => (done.get(d) ?? 424) >= 400);
      const res = failedDep
        ? odataError(424, 'FailedDependency', 'Dependency failed.')
        : this.runStep(step, req);
      done.set(step.id, res.status);
      this.steps.push({ method: step.method, url: step.url, status: res.status, at: this.now() });
      return {
        id: step.id,
        status: res.status,
        headers: res.headers ?? {},
        ...(res.body !== undefined ? { body: res.body } : {}),
      };
    });
    return { status: 200, body: { responses } };
  }

  private runStep(step: BatchStep, outer: FakeRequest): FakeResponse {
    // Step urls are relative to the version root: `/users/{id}`, never `/v1.0/users/{id}`.
    if (typeof step.url !== 'string' || !step.url.startsWith('/') || /^\/(v1\.0|beta)\//.test(step.url)) {
      this.server.unknownRequests.push(`$batch ${step.method} ${step.url}`);
      return odataError(400, 'BadRequest', 'Invalid request URL.');
    }
    if (
      step.body !== undefined &&
      !Object.keys(step.headers ?? {}).some((h) => h.toLowerCase() === 'content-type')
    ) {
      return odataError(
        400,
        'BadRequest',
        `Write request id : ${step.id} does not contain Content-Type header or body.`,
      );
    }
    const url = new URL(`/v1.0${step.url}`, 'http://127.0.0.1');
    const req: FakeRequest = {
      method: step.method,
      url,
      headers: outer.headers,
      body: step.body,
      rawBody: JSON.stringify(step.body ?? ''),
    };
    const fault = this.takeStepFault(req);
    if (fault) {
      const status = fault.status;
      const body =
        fault.body ??
        odataError(status, status === 429 ? 'TooManyRequests' : 'Injected', 'Injected fault.').body;
      return { status, headers: fault.headers ?? {}, body };
    }
    const throttled = this.charge(req, this.now());
    if (throttled) return throttled;
    const pathname = decodeURIComponent(url.pathname);
    const route = this.routes.find((r) => r.method === req.method && r.path.test(pathname));
    if (!route) {
      this.server.unknownRequests.push(`$batch ${step.method} ${step.url}`);
      return odataError(
        400,
        'BadRequest',
        `Resource not found for the segment '${pathname.split('/').pop()}'.`,
      );
    }
    try {
      return route.handler(req, pathname.match(route.path)!.slice(1));
    } catch (e) {
      if (e instanceof BadRequest) return odataError(400, 'BadRequest', e.message);
      throw e;
    }
  }

  /**
   * FakeServer's faults reach `$batch` steps too (matched against `/v1.0` + the step's url), so
   * that a test injects "this write answers 429/403" the same way whether it travels alone or
   * in a batch. Only `status` faults apply: a step has no connection of its own to reset.
   */
  private takeStepFault(req: FakeRequest): Extract<Fault, { kind: 'status' }> | undefined {
    const target = req.url.pathname + req.url.search;
    const f = this.server.faults.find(
      (x) =>
        x.kind === 'status' &&
        x.times > 0 &&
        (!x.method || x.method === req.method) &&
        (!x.path || x.path.test(target)),
    );
    if (f?.kind !== 'status') return undefined;
    f.times--;
    return f;
  }
}

interface BatchStep {
  id: string;
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  dependsOn?: string[];
}
