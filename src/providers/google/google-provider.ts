/**
 * The Google Workspace connector: the Admin SDK Directory API for users, sign-outs, OAuth tokens
 * and group members, the Data Transfer API for a leaver's Drive and Calendar, and the Enterprise
 * License Manager for licenses. Every HTTP call goes through the shared retry policy with one
 * rate gate for the connection; the SDK's own retries are off. Reads are bulk (users in pages of
 * 500, members in pages of 200, license holders in pages of 1,000); writes are idempotent, so a
 * retry after a dropped answer ends in the right state.
 */
import {
  admin,
  type admin_datatransfer_v1,
  type admin_directory_v1,
  type admin_reports_v1,
} from '@googleapis/admin';
import type { OAuth2Client } from 'google-auth-library';
import pLimit from 'p-limit';
import type { GoogleConnection, Policy } from '../../model/schema.js';
import type { ActualMembership, ActualState, ActualUser, TargetRef } from '../../model/state.js';
import type { Change } from '../../plan/plan-types.js';
import type { ChangeFeed, FeedRead, SavedFeed } from '../change-feed.js';
import {
  applyAtMost,
  describeChange,
  latestSignIn,
  managedState,
  targetNotFound,
  throwawayPassword,
} from '../common.js';
import type { ConnectorContext } from '../connector.js';
import { DEFAULT_CLOCK, DEFAULT_RETRY, RateGate, type RetryOptions, withRetry } from '../retry.js';
import { retentionStep, stepOutcome, withLeaverSteps } from '../steps.js';
import type { ChangeOutcome, Provider, Scope, StepOutcome } from '../types.js';
import { createGoogleAuth, REPORTS_SCOPE } from './auth.js';
import { classifyGoogleError, GoogleApiError, type GoogleErrorInfo, googleErrorInfo } from './errors.js';
import { type GoogleFeedSource, readGoogleChanges } from './feed.js';

/** Vendor maxima: users.list 500, members.list 200, licensing listForProductAndSku 1,000. */
const USER_PAGE = 500;
const MEMBER_PAGE = 200;
const LICENSE_PAGE = 1000;
/** Google's quotas are per user per project; ten in flight stays well inside them. */
const CONCURRENCY = 10;
/** Data Transfer application ids (applications.list): Drive and Docs, Calendar. */
const DRIVE_APP_ID = '55656082996';
const CALENDAR_APP_ID = '435070579839';

const APP_UNSUPPORTED =
  'google: kind "app" is not supported: the Directory API has no app assignments; ' +
  'grant Google Workspace and SAML apps through a group (kind "group", target = the group email)';

/** An API answer (404, 409) that means the change is already in place. */
class AlreadyDone extends Error {}

/** A license target "productId/skuId". */
function parseLicense(target: string): { product: string; sku: string } | undefined {
  const i = target.indexOf('/');
  if (i <= 0 || i === target.length - 1 || target.indexOf('/', i + 1) >= 0) return undefined;
  return { product: target.slice(0, i), sku: target.slice(i + 1) };
}

/** Google requires a given and a family name: split at the last space. */
export function splitName(displayName: string): { givenName: string; familyName: string } {
  const name = displayName.trim();
  const i = name.lastIndexOf(' ');
  // A single-word name fills both: the Directory API rejects an empty familyName.
  if (i < 0) return { givenName: name, familyName: name };
  return { givenName: name.slice(0, i).trim(), familyName: name.slice(i + 1) };
}

/** A user read by its primary address: the id every write uses. */
type OwnAccount = admin_directory_v1.Schema$User & { id: string };

/** A Data Transfer for a leaver: made now, or found from an earlier attempt. */
interface Transfer {
  id: string;
  created: boolean;
  /** Google's state per application id (pending, inProgress, completed, failed). */
  states: Map<string, string>;
}

/** The two applications a leaver's transfer carries, as checklist steps. */
const TRANSFERRED = [
  { step: 'transfer-drive', app: DRIVE_APP_ID, what: 'Drive' },
  { step: 'transfer-calendar', app: CALENDAR_APP_ID, what: 'Calendar' },
] as const;

const TRANSFER_FIELDS =
  'id,overallTransferStatusCode,applicationDataTransfers(applicationId,applicationTransferStatus)';

function transferStates(t: admin_datatransfer_v1.Schema$DataTransfer): Map<string, string> {
  return new Map(
    (t.applicationDataTransfers ?? []).map((a) => [
      String(a.applicationId),
      a.applicationTransferStatus ?? 'unknown',
    ]),
  );
}

interface LicenseAssignment {
  userId?: string;
  productId?: string;
  skuId?: string;
}

interface LicenseAssignmentList {
  items?: LicenseAssignment[];
  nextPageToken?: string;
}

export class GoogleProvider implements Provider, ChangeFeed {
  readonly name = 'google' as const;
  readonly simulated = false;
  private readonly directory: admin_directory_v1.Admin;
  private readonly transfers: admin_datatransfer_v1.Admin;
  private readonly gate: RateGate;
  private readonly retry: Partial<RetryOptions>;
  private readonly licensingUrl: string;
  private readonly timeoutMs: number;
  /** policy/jml.yaml retention, for the leaver's mailbox-retention step. */
  private readonly retention: Policy['retention'] | undefined;
  /** The Reports API with a token of its own (REPORTS_SCOPE), made on the first drift read. */
  private reports?: admin_reports_v1.Admin;

  constructor(
    private readonly config: GoogleConnection,
    private readonly ctx: ConnectorContext,
    private readonly auth: OAuth2Client = createGoogleAuth(config, ctx),
  ) {
    // @googleapis/admin declares `auth` with its own nested copy of google-auth-library (10.5.0);
    // the client is the project's 10.9.1, which the SDK only calls `request` on.
    const sdkAuth = auth as unknown as admin_directory_v1.Options['auth'];
    // A request that outlives the timeout is abandoned and retried (writes are idempotent).
    this.timeoutMs = ctx.retry?.requestTimeoutMs ?? DEFAULT_RETRY.requestTimeoutMs;
    this.retention = ctx.policy?.retention;
    const options = {
      rootUrl: config.rootUrl,
      auth: sdkAuth,
      retry: false,
      timeout: this.timeoutMs,
    } as const;
    this.directory = admin({ version: 'directory_v1', ...options });
    this.transfers = admin({ version: 'datatransfer_v1', ...options });
    this.licensingUrl = config.licensingUrl.endsWith('/') ? config.licensingUrl : `${config.licensingUrl}/`;
    this.gate = new RateGate({
      now: ctx.retry?.now ?? DEFAULT_CLOCK.now,
      sleep: ctx.retry?.sleep ?? DEFAULT_CLOCK.sleep,
    });
    const onRetry = ctx.retry?.onRetry;
    this.retry = {
      ...ctx.retry,
      onRetry: (info) => {
        ctx.log?.(
          `google: attempt ${info.attempt} failed (${info.failure.message}); retrying in ${info.delayMs} ms`,
        );
        onRetry?.(info);
      },
    };
  }

  /**
   * One HTTP call under the shared retry policy and the connection's gate. The SDK's error never
   * leaves it: a GaxiosError keeps the request (a users.insert body holds the first password),
   * so only its status, reasons and Google's message go on.
   */
  private async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(op, classifyGoogleError, { gate: this.gate, ...this.retry });
    } catch (e) {
      throw GoogleApiError.from(e);
    }
  }

  /** Like `call`, but the statuses that mean "already so" become AlreadyDone. */
  private async callIdempotent<T>(op: () => Promise<T>, done: (e: GoogleErrorInfo) => boolean): Promise<T> {
    try {
      return await this.call(op);
    } catch (e) {
      if (done(googleErrorInfo(e))) throw new AlreadyDone();
      throw e;
    }
  }

  // --- read ----------------------------------------------------------------------------------------

  async read(scope: Scope): Promise<ActualState> {
    // Sanity-check the catalog before any call: an unsupported kind is a configuration error.
    for (const t of scope.targets) checkKind(t);
    try {
      // The licensing API wants the customer's id, which every listed account carries: license
      // reads wait for the first page of users instead of spending a call (or a scope) on it.
      let listed: (customerId: string | undefined) => void = () => {};
      const customerId = new Promise<string | undefined>((resolve) => {
        listed = resolve;
      });
      const users = this.listUsers(listed);
      // A failed listing fails the read; the license reads waiting on it must not hang.
      users.catch(() => listed(undefined));
      const [accounts, memberships] = await Promise.all([users, this.readTargets(scope.targets, customerId)]);
      return managedState('google', accounts.values(), memberships, scope.logins);
    } catch (e) {
      throw readError(e);
    }
  }

  /** Every user and every group, for `jml dump`. Licenses need a product list, so they are left out. */
  async readAll(): Promise<ActualState> {
    try {
      const [accounts, groups] = await Promise.all([this.listUsers(), this.listGroups()]);
      const memberships = await this.readTargets(groups.map((target) => ({ kind: 'group', target })));
      return managedState('google', accounts.values(), memberships, new Set(), true);
    } catch (e) {
      throw readError(e);
    }
  }

  /**
   * `jml drift`'s read: the admin audit log's events since the saved checkpoint, folded into the
   * saved state (feed.ts); a full read when there is none or the Reports API is not open to
   * this connection. Never used to plan a write.
   */
  async readChanges(scope: Scope, saved: SavedFeed | undefined): Promise<FeedRead> {
    for (const t of scope.targets) checkKind(t);
    try {
      return await readGoogleChanges(this.feedSource(), scope, saved);
    } catch (e) {
      throw readError(e);
    }
  }

  /** The calls the change feed makes, each through `call` (the retry policy and the gate). */
  private feedSource(): GoogleFeedSource {
    return {
      adminSubject: this.config.adminSubject,
      ...(this.ctx.log ? { log: this.ctx.log } : {}),
      listAllUsers: async () => {
        let customerId: string | undefined;
        const users = await this.listUsers((id) => {
          customerId ??= id;
        });
        return { users, customerId };
      },
      getUser: async (key) => {
        try {
          const res = await this.call(() =>
            this.directory.users.get({ userKey: key, fields: 'primaryEmail,name/fullName,suspended' }),
          );
          const u = res.data;
          if (!u.primaryEmail) return undefined;
          return {
            primaryEmail: u.primaryEmail,
            ...(u.name?.fullName ? { name: u.name.fullName } : {}),
            enabled: !u.suspended,
          };
        } catch (e) {
          if (googleErrorInfo(e).status === 404) return undefined;
          throw e;
        }
      },
      groupMembers: (groupKey) => this.groupMembers(groupKey),
      licenseHolders: (target, customerId) => this.licenseHolders(target, Promise.resolve(customerId)),
      listActivities: async (q) => {
        const res = await this.call(() =>
          this.reportsApi().activities.list({
            userKey: 'all',
            applicationName: 'admin',
            maxResults: q.maxResults,
            ...(q.startTime ? { startTime: q.startTime } : {}),
            ...(q.pageToken ? { pageToken: q.pageToken } : {}),
            fields: 'nextPageToken,items(id(time,uniqueQualifier),events(type,name,parameters(name,value)))',
          }),
        );
        return { page: res.data, serverTime: serverTime(res.headers) ?? this.gateNow() };
      },
    };
  }

  private reportsApi(): admin_reports_v1.Admin {
    if (!this.reports) {
      const auth = createGoogleAuth(this.config, this.ctx, [REPORTS_SCOPE]);
      this.reports = admin({
        version: 'reports_v1',
        rootUrl: this.config.rootUrl,
        auth: auth as unknown as admin_reports_v1.Options['auth'],
        retry: false,
        timeout: this.timeoutMs,
      });
    }
    return this.reports;
  }

  private gateNow(): number {
    return (this.ctx.retry?.now ?? DEFAULT_CLOCK.now)();
  }

  /**
   * All accounts of the customer, keyed by lower-cased primary email. `listed` gets the
   * customer's id from the first page.
   */
  private async listUsers(
    listed?: (customerId: string | undefined) => void,
  ): Promise<Map<string, ActualUser>> {
    const out = new Map<string, ActualUser>();
    let pageToken: string | undefined;
    do {
      const res = await this.call(() =>
        this.directory.users.list({
          customer: this.config.customer,
          maxResults: USER_PAGE,
          pageToken,
          fields: 'nextPageToken,users(primaryEmail,name/fullName,suspended,customerId,lastLoginTime)',
        }),
      );
      listed?.(res.data.users?.find((u) => u.customerId)?.customerId ?? undefined);
      for (const u of res.data.users ?? []) {
        if (!u.primaryEmail) continue;
        const login = u.primaryEmail.toLowerCase();
        out.set(login, {
          login,
          ...(u.name?.fullName ? { displayName: u.name.fullName } : {}),
          enabled: !u.suspended,
          sessions: null,
          // Google writes "never" as 1970-01-01T00:00:00.000Z: latestSignIn makes it null.
          lastSignIn: latestSignIn([u.lastLoginTime]),
        });
      }
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  private async listGroups(): Promise<string[]> {
    const out: string[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.call(() =>
        this.directory.groups.list({
          customer: this.config.customer,
          maxResults: MEMBER_PAGE,
          pageToken,
          fields: 'nextPageToken,groups(email)',
        }),
      );
      for (const g of res.data.groups ?? []) if (g.email) out.push(g.email.toLowerCase());
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return out.sort();
  }

  /** Managed targets that exist, each with its members; a target the provider lacks is absent. */
  private async readTargets(
    targets: readonly TargetRef[],
    customerId: Promise<string | undefined> = Promise.resolve(undefined),
  ): Promise<ActualMembership[]> {
    const limit = pLimit(CONCURRENCY);
    const read = await Promise.all(
      targets.map((t) =>
        limit(() =>
          t.kind === 'group' ? this.groupMembers(t.target) : this.licenseHolders(t.target, customerId),
        ),
      ),
    );
    return targets.flatMap((t, i) => {
      const members = read[i];
      return members ? [{ kind: t.kind, target: t.target, members: [...new Set(members)].sort() }] : [];
    });
  }

  /**
   * The group's user members, lower-cased; undefined when the group does not exist. A nested
   * group, the whole customer (CUSTOMER) or anything else is not a person: it is left out, so
   * the plan never revokes it as an unknown member (the Entra connector keeps only users too).
   */
  private async groupMembers(groupKey: string): Promise<string[] | undefined> {
    const out: string[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.callIdempotent(
          () =>
            this.directory.members.list({
              groupKey,
              maxResults: MEMBER_PAGE,
              pageToken,
              fields: 'nextPageToken,members(email,type)',
            }),
          (e) => e.status === 404,
        );
        for (const m of res.data.members ?? []) {
          if (m.type === 'USER' && m.email) out.push(m.email.toLowerCase());
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      if (e instanceof AlreadyDone) return undefined;
      throw e;
    }
    return out;
  }

  /** Holders of a "productId/skuId" license; undefined when the product or SKU does not exist. */
  private async licenseHolders(
    target: string,
    listedCustomerId: Promise<string | undefined>,
  ): Promise<string[] | undefined> {
    const sku = parseLicense(target);
    if (!sku) throw new Error(`google: license target "${target}" must be "productId/skuId"`);
    const customerId = await this.customerId(listedCustomerId);
    const out: string[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const params = new URLSearchParams({
          customerId,
          maxResults: String(LICENSE_PAGE),
        });
        if (pageToken) params.set('pageToken', pageToken);
        const res = await this.callIdempotent(
          () =>
            this.auth.request<LicenseAssignmentList>({
              url: `${this.skuUrl(sku)}/users?${params}`,
              retry: false,
              timeout: this.timeoutMs,
            }),
          (e) => e.status === 404,
        );
        for (const a of res.data.items ?? []) if (a.userId) out.push(a.userId.toLowerCase());
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      if (e instanceof AlreadyDone) return undefined;
      throw e;
    }
    return out;
  }

  /**
   * The licensing API wants the customer's id (C0xxxxxxx): not `my_customer` (a Directory alias)
   * nor a domain. A configured id is used as it is; otherwise the one the user list carried.
   */
  private async customerId(listed: Promise<string | undefined>): Promise<string> {
    if (this.config.customer !== 'my_customer') return this.config.customer;
    const id = await listed;
    if (!id) {
      throw new Error(
        'google: no customer id came with the user list; set providers.google.customer to it (C0xxxxxxx, Admin console > Account settings)',
      );
    }
    return id;
  }

  private skuUrl(sku: { product: string; sku: string }): string {
    return `${this.licensingUrl}apps/licensing/v1/product/${encodeURIComponent(sku.product)}/sku/${encodeURIComponent(sku.sku)}`;
  }

  // --- apply ---------------------------------------------------------------------------------------

  applyMany(changes: readonly Change[]): Promise<ChangeOutcome>[] {
    return applyAtMost(CONCURRENCY, changes, (c) => this.apply(c));
  }

  /** Applies one change; an API error becomes a failed outcome naming the login and the target. */
  async apply(change: Change): Promise<ChangeOutcome> {
    let out: ChangeOutcome;
    try {
      out = await this.applyOne(change);
    } catch (e) {
      out =
        e instanceof AlreadyDone
          ? { status: 'unchanged' }
          : {
              status: 'failed',
              error: `google: ${describeChange(change)} failed: ${googleErrorInfo(e).message}`,
            };
    }
    // A failed sign-out stops before the tokens: neither was done.
    return withLeaverSteps(change, out, ['revoke-sessions', 'revoke-tokens']);
  }

  private applyOne(c: Change): Promise<ChangeOutcome> {
    switch (c.action) {
      case 'createUser':
        return this.createUser(c);
      case 'enableUser':
        return this.setSuspended(c.login, false);
      case 'disableUser':
        return this.disableUser(c);
      case 'revokeSessions':
        return this.revokeSessions(c);
      case 'grant':
      case 'revoke':
        return this.changeAccess(c);
      case 'deleteUser':
        return this.deleteUser(c.login);
      case 'openTicket':
        return Promise.resolve({ status: 'failed', error: 'google: openTicket is for the manual provider' });
      default: {
        const never: never = c.action;
        return Promise.resolve({ status: 'failed', error: `google: unknown action ${String(never)}` });
      }
    }
  }

  private async createUser(c: Change): Promise<ChangeOutcome> {
    const requestBody: admin_directory_v1.Schema$User = {
      primaryEmail: c.login,
      name: splitName(c.displayName ?? c.login.slice(0, c.login.indexOf('@'))),
      password: throwawayPassword(),
      changePasswordAtNextLogin: true,
    };
    try {
      await this.call(() => this.directory.users.insert({ requestBody, fields: 'id' }));
      return { status: 'applied' };
    } catch (e) {
      if (googleErrorInfo(e).status !== 409) throw e;
    }
    // 409: the address is taken. Done only if it is this person's own primary address (an
    // earlier run, or a retry whose answer was lost); an alias or a group must not count.
    const owner = await this.findUser(c.login);
    if (owner?.primaryEmail?.toLowerCase() === c.login.toLowerCase()) return { status: 'unchanged' };
    throw new Error(`the address ${c.login} is in use by another user, alias or group`);
  }

  /** users.get, which resolves an alias to its owner; undefined when no user has the address. */
  private async findUser(login: string): Promise<admin_directory_v1.Schema$User | undefined> {
    try {
      const res = await this.call(() =>
        this.directory.users.get({ userKey: login, fields: 'id,primaryEmail,suspended' }),
      );
      return res.data;
    } catch (e) {
      if (googleErrorInfo(e).status === 404) return undefined;
      throw e;
    }
  }

  /**
   * The account whose primary address is `login`: its id and state. users.get answers an alias
   * with the owner's account, and acting on it would suspend or delete someone else.
   */
  private async getUser(login: string): Promise<OwnAccount> {
    const user = await this.findUser(login);
    if (!user) throw new Error(`no account ${login} on google`);
    return ownAccount(login, user);
  }

  /** Suspends or restores an account; `user` is its state when the caller has just read it. */
  private async setSuspended(login: string, suspended: boolean, user?: OwnAccount): Promise<ChangeOutcome> {
    const { id, suspended: now } = user ?? (await this.getUser(login));
    if (Boolean(now) === suspended) return { status: 'unchanged' };
    await this.call(() =>
      this.directory.users.update({ userKey: id, requestBody: { suspended }, fields: 'id,suspended' }),
    );
    return { status: 'applied' };
  }

  /**
   * A leaver's disable: the account is suspended first (a high-risk leaver must be cut off
   * within the SLA), then Drive and Calendar go to the manager (Data Transfer works on a
   * suspended account). A transfer that cannot be made fails the change, saying the account is
   * suspended and the files still wait for an administrator to give them a new owner. Each is
   * a checklist step, with the mailbox: kept by the suspension, forwarded only by hand.
   */
  private async disableUser(c: Change): Promise<ChangeOutcome> {
    const user = await this.getUser(c.login);
    const suspended = await this.setSuspended(c.login, true, user);
    if (c.event.kind !== 'leaver') return suspended;
    const done = suspended.status === 'applied' ? 'applied' : 'unchanged';
    const signIn = stepOutcome(
      'disable-sign-in',
      done,
      done === 'applied' ? 'account suspended: no sign-in' : 'account was already suspended',
    );
    const mailbox = [
      retentionStep(
        done,
        'the suspended account keeps the mail it holds (new mail to it is rejected until a routing rule sends it elsewhere)',
        this.retention,
      ),
      forwardingByHand(c),
    ];
    if (!c.manager) {
      const none = (step: (typeof TRANSFERRED)[number]['step']) =>
        stepOutcome(step, 'skipped', 'no manager of record to transfer to');
      return { ...suspended, steps: [signIn, none('transfer-drive'), none('transfer-calendar'), ...mailbox] };
    }
    let transfer: Transfer;
    try {
      transfer = await this.transferData(user, c.manager);
    } catch (e) {
      const reason = googleErrorInfo(e).message;
      return {
        status: 'failed',
        error:
          `google: ${c.login} IS suspended, but its Drive and Calendar still need a new owner: the transfer to ` +
          `${c.manager} failed (${reason}); an administrator must transfer them to ` +
          `${c.manager} in the Admin console (Account > Data transfer)`,
        steps: [
          signIn,
          ...TRANSFERRED.map((t) =>
            stepOutcome(
              t.step,
              'failed',
              `${t.what} not transferred to ${c.manager} (${reason}): transfer it in the Admin console (Account > Data transfer)`,
            ),
          ),
          ...mailbox,
        ],
      };
    }
    const changed = transfer.created || suspended.status === 'applied';
    return {
      status: changed ? 'applied' : 'unchanged',
      detail: `Drive and Calendar transfer ${transfer.id} to ${c.manager}${transfer.created ? '' : ' (requested earlier)'}`,
      steps: [signIn, ...TRANSFERRED.map((t) => transferStep(t, transfer, c.manager!)), ...mailbox],
    };
  }

  /**
   * Starts the Drive and Calendar transfer unless one from this owner to this manager is already
   * under way or done (a failed one is made again). The look-up and the insert are one attempt:
   * when an insert's answer is lost, the retry finds the transfer it made instead of starting a
   * second one.
   */
  private async transferData(user: { id: string }, manager: string): Promise<Transfer> {
    const recipient = await this.getUser(manager).catch((e: unknown) => {
      throw new Error(`the recipient: ${googleErrorInfo(e).message}`);
    });
    const requestBody: admin_datatransfer_v1.Schema$DataTransfer = {
      oldOwnerUserId: user.id,
      newOwnerUserId: recipient.id,
      applicationDataTransfers: [
        {
          applicationId: DRIVE_APP_ID,
          applicationTransferParams: [{ key: 'PRIVACY_LEVEL', value: ['PRIVATE', 'SHARED'] }],
        },
        {
          applicationId: CALENDAR_APP_ID,
          applicationTransferParams: [{ key: 'RELEASE_RESOURCES', value: ['TRUE'] }],
        },
      ],
    };
    return this.call(async () => {
      const found = await this.findTransfer(user.id, recipient.id);
      if (found?.id) return { id: found.id, created: false, states: transferStates(found) };
      const res = await this.transfers.transfers.insert({ requestBody, fields: TRANSFER_FIELDS });
      return { id: res.data.id ?? 'unknown', created: true, states: transferStates(res.data) };
    });
  }

  /** A transfer from `oldOwner` to `newOwner` that has not failed, with its applications' states. */
  private async findTransfer(
    oldOwner: string,
    newOwner: string,
  ): Promise<admin_datatransfer_v1.Schema$DataTransfer | undefined> {
    let pageToken: string | undefined;
    do {
      const res = await this.transfers.transfers.list({
        oldOwnerUserId: oldOwner,
        newOwnerUserId: newOwner,
        pageToken,
        fields: `nextPageToken,dataTransfers(oldOwnerUserId,newOwnerUserId,${TRANSFER_FIELDS})`,
      });
      const live = (res.data.dataTransfers ?? []).find(
        (t) =>
          t.oldOwnerUserId === oldOwner &&
          t.newOwnerUserId === newOwner &&
          t.overallTransferStatusCode !== 'failed',
      );
      if (live?.id) return live;
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return undefined;
  }

  /**
   * Ends web sessions (users.signOut) and revokes every OAuth token. The API cannot tell whether
   * there were sessions, so a sign-out is always `applied`.
   */
  private async revokeSessions(c: Change): Promise<ChangeOutcome> {
    const out = await this.signOut(c.login);
    if (c.event.kind !== 'leaver') return { status: 'applied', detail: out.detail };
    const at = new Date();
    return {
      status: 'applied',
      detail: out.detail,
      steps: [
        stepOutcome('revoke-sessions', 'applied', 'signed out of every web session (users.signOut)', at),
        stepOutcome(
          'revoke-tokens',
          out.tokens > 0 ? 'applied' : 'unchanged',
          out.tokens > 0 ? `${out.tokens} OAuth token(s) the user granted deleted` : 'no OAuth tokens held',
          at,
        ),
      ],
    };
  }

  private async signOut(login: string): Promise<{ status: 'applied'; detail: string; tokens: number }> {
    // By id: an alias would sign its owner out.
    const { id } = await this.getUser(login);
    await this.call(() => this.directory.users.signOut({ userKey: id }));
    const tokens = await this.call(() =>
      this.directory.tokens.list({ userKey: id, fields: 'items(clientId)' }),
    );
    const clients = (tokens.data.items ?? []).flatMap((t) => (t.clientId ? [t.clientId] : []));
    for (const clientId of clients) {
      // A token gone since the list (a retry after a dropped answer) is just as revoked.
      await this.callIdempotent(
        () => this.directory.tokens.delete({ userKey: id, clientId }),
        (e) => e.status === 404,
      ).catch((e: unknown) => {
        if (!(e instanceof AlreadyDone)) throw e;
      });
    }
    return {
      status: 'applied',
      detail: `signed out; ${clients.length} OAuth token(s) revoked`,
      tokens: clients.length,
    };
  }

  private changeAccess(c: Change): Promise<ChangeOutcome> {
    const target = c.target;
    if (!target) return Promise.resolve({ status: 'failed', error: `google: ${c.action} without a target` });
    if (target.kind === 'group') return this.changeGroup(c.action === 'grant', c.login, target.target);
    if (target.kind === 'license') return this.changeLicense(c.action === 'grant', c.login, target.target);
    return Promise.resolve({ status: 'failed', error: `${APP_UNSUPPORTED} (${c.login}, ${target.target})` });
  }

  private async changeGroup(grant: boolean, login: string, groupKey: string): Promise<ChangeOutcome> {
    if (!grant) {
      await this.callIdempotent(
        () => this.directory.members.delete({ groupKey, memberKey: login }),
        (e) => e.status === 404,
      );
      return { status: 'applied' };
    }
    try {
      await this.callIdempotent(
        () =>
          this.directory.members.insert({
            groupKey,
            requestBody: { email: login, role: 'MEMBER' },
            fields: 'id',
          }),
        (e) => e.status === 409,
      );
    } catch (e) {
      if (googleErrorInfo(e).status === 404 && /groupKey/i.test(googleErrorInfo(e).message)) {
        throw new Error(targetNotFound('google', 'group', groupKey));
      }
      throw e;
    }
    return { status: 'applied' };
  }

  private async changeLicense(grant: boolean, login: string, target: string): Promise<ChangeOutcome> {
    const sku = parseLicense(target);
    if (!sku) throw new Error(`license target "${target}" must be "productId/skuId"`);
    if (!grant) {
      await this.callIdempotent(
        () =>
          this.auth.request({
            url: `${this.skuUrl(sku)}/user/${encodeURIComponent(login)}`,
            method: 'DELETE',
            retry: false,
            timeout: this.timeoutMs,
          }),
        (e) => e.status === 404,
      );
      return { status: 'applied' };
    }
    try {
      await this.callIdempotent(
        () =>
          this.auth.request({
            url: `${this.skuUrl(sku)}/user`,
            method: 'POST',
            data: { userId: login },
            retry: false,
            timeout: this.timeoutMs,
          }),
        (e) => e.status === 409,
      );
    } catch (e) {
      if (googleErrorInfo(e).status === 404) throw new Error(targetNotFound('google', 'license', target));
      throw e;
    }
    return { status: 'applied' };
  }

  /** Deletes by id: users.delete of an alias would delete its owner. */
  private async deleteUser(login: string): Promise<ChangeOutcome> {
    const user = await this.findUser(login);
    if (!user) return { status: 'unchanged' };
    const { id } = ownAccount(login, user);
    await this.callIdempotent(
      () => this.directory.users.delete({ userKey: id }),
      (e) => e.status === 404,
    );
    return { status: 'applied' };
  }
}

/** The account `login` is the primary address of; an alias is refused (see getUser). */
function ownAccount(login: string, user: admin_directory_v1.Schema$User): OwnAccount {
  const primary = user.primaryEmail?.toLowerCase();
  if (!user.id || primary !== login.toLowerCase()) {
    throw new Error(`${login} is an alias of ${primary}; fix people/`);
  }
  return { ...user, id: user.id };
}

/** A read's failure, as a new error: the SDK's own keeps the request it failed on. */
function readError(e: unknown): Error {
  const message = googleErrorInfo(e).message;
  return new Error(message.startsWith('google:') ? message : `google: reading failed: ${message}`);
}

function checkKind(t: TargetRef): void {
  if (t.kind === 'group' || t.kind === 'license') return;
  if (t.kind === 'app') throw new Error(`${APP_UNSUPPORTED} (target ${t.target})`);
  throw new Error(`google: kind "${t.kind}" is not a Google target (${t.target})`);
}

/**
 * One application of a leaver's transfer as a step: `applied` when this run requested it,
 * `unchanged` when an earlier run did, `failed` when Google says so or the transfer lacks it.
 */
function transferStep(t: (typeof TRANSFERRED)[number], transfer: Transfer, manager: string): StepOutcome {
  const state = transfer.states.get(t.app);
  const fix = 'transfer it in the Admin console (Account > Data transfer)';
  if (!state) {
    return stepOutcome(
      t.step,
      'failed',
      `transfer ${transfer.id} to ${manager} does not include ${t.what}: ${fix}`,
    );
  }
  if (state === 'failed') {
    return stepOutcome(
      t.step,
      'failed',
      `Google reports the ${t.what} transfer ${transfer.id} to ${manager} failed: ${fix}`,
    );
  }
  const when = transfer.created ? 'requested' : 'requested earlier';
  return stepOutcome(
    t.step,
    transfer.created ? 'applied' : 'unchanged',
    `${t.what} transfer ${transfer.id} to ${manager} ${when}; Google reports it ${state}`,
  );
}

/**
 * Forwarding a suspended account's mail has no sound API: Google rejects mail sent to a
 * suspended account, so a Gmail forwarding setting on it never runs (and the Gmail API sets one
 * only as the user, with the recipient confirming); the Admin SDK has no Gmail routing API.
 * An administrator does it with a routing rule, which the step spells out.
 */
function forwardingByHand(c: Change): StepOutcome {
  const to =
    c.manager ?? 'the person policy/jml.yaml retention.mailboxForwardTo names (no manager of record)';
  return stepOutcome(
    'mailbox-forwarding',
    'manual',
    `Google rejects mail sent to a suspended account and offers no API to reroute it: in the Admin console ` +
      `(Apps > Google Workspace > Gmail > Default routing) add a rule for the single recipient ${c.login} that ` +
      `changes the envelope recipient to ${to}, on recognised and unrecognised addresses`,
  );
}

/** Google's time from an answer's `Date` header (to the second); undefined without one. */
function serverTime(headers: unknown): number | undefined {
  const h = headers as { get?: (name: string) => string | null } | Record<string, string> | undefined;
  const value =
    typeof h?.get === 'function' ? h.get('date') : (h as Record<string, string> | undefined)?.date;
  const t = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
}
