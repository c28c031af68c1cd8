/**
 * The Okta connector: reads the managed scope in bulk and applies changes idempotently, with the
 * embedded directory's semantics (src/providers/embedded/embedded-directory.ts).
 *
 * Mapping to Okta:
 * - enabled = status ACTIVE, PROVISIONED, RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT; STAGED and
 *   SUSPENDED accounts exist but are disabled. DEPROVISIONED (what jml's deleteUser does: Okta's
 *   deactivate) counts as deleted: such accounts are left out of users and memberships, so a
 *   plan after the retention period converges instead of planning the delete again.
 * - group targets are OKTA_GROUP groups by profile.name; app targets are ACTIVE apps by label.
 * - disableUser suspends (reversible). Okta suspends only ACTIVE accounts: a LOCKED_OUT one is
 *   unlocked first; a PROVISIONED, RECOVERY or PASSWORD_EXPIRED leaver is deactivated instead
 *   (access must end now); any other disable of such an account fails, naming the manual step.
 * - deleteUser deactivates (destructive; Okta unassigns all apps), never deletes. A joiner's
 *   first credential is Okta's activation email to the user.
 * - app membership is a direct (scope USER) assignment; access through a group assigned to the
 *   app is the group's, and is governed through that group.
 * Nothing re-reads after a write: Okta's group membership reads are eventually consistent.
 */
import type { Client, Group, User, UserStatus } from '@okta/okta-sdk-nodejs';
import pLimit from 'p-limit';
import type { ActualMembership, ActualState, ActualUser, TargetRef } from '../../model/state.js';
import type { Change } from '../../plan/plan-types.js';
import type { FeedRead, SavedFeed } from '../change-feed.js';
import { applyAtMost, describeChange, latestSignIn, managedState, targetNotFound } from '../common.js';
import { stepOutcome, withLeaverSteps } from '../steps.js';
import type { ChangeOutcome, Provider, Scope } from '../types.js';
import { describeOktaError, isGroupGrantedAppAccess, oktaErrorCode } from './errors.js';
import { OKTA_MAX_IN_FLIGHT } from './rate-limits.js';

const USER_PAGE = 200;
const GROUP_PAGE = 200;
const MEMBER_PAGE = 1000;
const APP_PAGE = 200;
const APP_USER_PAGE = 500;
/** Names per group search: keeps the query well under Okta's "overly complex" limit. */
export const NAMES_PER_SEARCH = 20;

/** The statuses jml reads as an enabled account: Okta lets (or will let) these sign in. */
export const OKTA_ENABLED_STATUSES: ReadonlySet<UserStatus> = new Set<UserStatus>([
  'ACTIVE',
  'PROVISIONED',
  'RECOVERY',
  'PASSWORD_EXPIRED',
  'LOCKED_OUT',
]);

const SUSPENDED = 'account suspended: no sign-in; app assignments kept for a returner until deactivation';

/** Enabled statuses Okta cannot suspend, with what they mean for the person. */
const NOT_SUSPENDABLE: Partial<Record<string, string>> = {
  PROVISIONED: 'activation pending',
  RECOVERY: 'password reset pending',
  PASSWORD_EXPIRED: 'password expired',
};

const ALL_STATUSES: UserStatus[] = [
  'STAGED',
  'PROVISIONED',
  'ACTIVE',
  'RECOVERY',
  'PASSWORD_EXPIRED',
  'LOCKED_OUT',
  'SUSPENDED',
  'DEPROVISIONED',
];
/** A plain list omits DEPROVISIONED users; a filter on every status returns them all. */
export const ALL_USERS_FILTER = ALL_STATUSES.map((s) => `status eq "${s}"`).join(' or ');

export interface KnownUser {
  id: string;
  login: string;
  status: string;
}

type OktaKind = 'group' | 'app';

export interface OktaProviderOptions {
  /** Removes credentials (the configured secret, the access token in use) from a text. */
  redact: (text: string) => string;
  /**
   * The change feed (./feed.ts, given by ./index.ts so that the two files import each other in
   * one direction only); without it every drift read is a full one.
   */
  feed?: (scope: Scope, saved: SavedFeed | undefined) => Promise<FeedRead>;
}

/** What a lifecycle operation ends in: it either got there or throws. */
type Done = Exclude<ChangeOutcome, { status: 'failed' }>;

/** Ids by name (groups) or label (apps): more than one id is an ambiguous target. */
type IdsByName = Map<string, string[]>;

export class OktaProvider implements Provider {
  readonly name = 'okta' as const;
  readonly simulated = false;
  /** The SDK client holds the credential: private, so no inspect or JSON of the provider shows it. */
  readonly #client: Client;
  readonly #redact: (text: string) => string;
  readonly #feed: OktaProviderOptions['feed'];
  /** What the last read and this process's writes saw: ids, statuses, members. */
  private readonly users = new Map<string, Promise<KnownUser | undefined>>();
  private readonly targetIds = new Map<string, Promise<string | undefined>>();
  private readonly members = new Map<string, Set<string>>();
  /**
   * Managed groups (ids) each DEPROVISIONED account is still a member of, as the last read saw
   * them; undefined before the first read.
   */
  private deprovisionedIn: Map<string, string[]> | undefined;

  constructor(client: Client, opts: OktaProviderOptions) {
    this.#client = client;
    this.#redact = opts.redact;
    this.#feed = opts.feed;
  }

  // --- read ----------------------------------------------------------------------------------

  async read(scope: Scope): Promise<ActualState> {
    try {
      return await this.readScope(scope);
    } catch (e) {
      throw new Error(`okta: reading the managed scope failed: ${this.describe(e)}`);
    }
  }

  /**
   * `jml drift`'s read: the changes since the saved checkpoint folded into the saved state
   * (./feed.ts), or a full read when there is none. Never used to plan a write.
   */
  async readChanges(scope: Scope, saved: SavedFeed | undefined): Promise<FeedRead> {
    if (!this.#feed) return { mode: 'full', actual: await this.read(scope), saved: null, reason: 'no-feed' };
    try {
      return await this.#feed(scope, saved);
    } catch (e) {
      throw new Error(`okta: reading the managed scope failed: ${this.describe(e)}`);
    }
  }

  async readAll(): Promise<ActualState> {
    try {
      const [groups, apps] = await Promise.all([
        this.#client.groupApi
          .listGroups({ filter: 'type eq "OKTA_GROUP"', limit: GROUP_PAGE })
          .then((list) => this.collect(list)),
        this.listActiveApps(),
      ]);
      const groupIds: IdsByName = new Map();
      for (const g of groups) if (g.id && g.profile?.name) addId(groupIds, g.profile.name, g.id);
      const targets: TargetRef[] = [
        ...[...groupIds.keys()].map((target) => ({ kind: 'group' as const, target })),
        ...[...apps.keys()].map((target) => ({ kind: 'app' as const, target })),
      ];
      return await this.readScope({ logins: new Set(), targets }, { groups: groupIds, apps });
    } catch (e) {
      throw new Error(`okta: reading everything failed: ${this.describe(e)}`);
    }
  }

  /**
   * Reads users and the scope's targets. `everything` (readAll) already holds every group and
   * app id, and puts every account in scope.
   */
  private async readScope(
    scope: Scope,
    everything?: { groups: IdsByName; apps: IdsByName },
  ): Promise<ActualState> {
    for (const t of scope.targets) assertOktaKind(t);
    const names = scope.targets.filter((t) => t.kind === 'group').map((t) => t.target);
    const anyApp = scope.targets.some((t) => t.kind === 'app');
    // Phase 1: every account, the managed groups and the active apps, side by side.
    const [all, groups, apps] = await Promise.all([
      this.listAllUsers(),
      everything?.groups ?? this.findGroups(names),
      everything?.apps ?? (anyApp ? this.listActiveApps() : new Map<string, string[]>()),
    ]);
    const byId = new Map(all.map((u) => [u.id, u]));
    // Phase 2: members of each managed target that exists (and is not ambiguous).
    const limit = pLimit(OKTA_MAX_IN_FLIGHT);
    const found = scope.targets.flatMap((t) => {
      const kind: OktaKind = t.kind === 'group' ? 'group' : 'app';
      const id = uniqueId(kind, t.target, (kind === 'group' ? groups : apps).get(t.target));
      return id ? [{ ...t, id }] : [];
    });
    const deprovisionedIn = new Map<string, string[]>();
    const memberships = await Promise.all(
      found.map((t) =>
        limit(async (): Promise<ActualMembership> => {
          let logins: string[];
          if (t.kind === 'group') {
            const { live, deprovisioned } = await this.groupMembers(t.id);
            logins = live;
            for (const login of deprovisioned) addId(deprovisionedIn, login, t.id);
          } else logins = await this.appMembers(t.id, byId);
          const key = targetKey(t);
          this.targetIds.set(key, Promise.resolve(t.id));
          this.members.set(key, new Set(logins));
          return { kind: t.kind, target: t.target, members: [...new Set(logins)].sort() };
        }),
      ),
    );
    this.deprovisionedIn = deprovisionedIn;
    // Phase 3: who is in scope; everyone else is only counted.
    const live = all.filter((u) => u.status !== 'DEPROVISIONED').map((u) => u.actual);
    return managedState('okta', live, memberships, scope.logins, everything !== undefined);
  }

  private async listAllUsers(): Promise<(KnownUser & { actual: ActualUser })[]> {
    const list = await this.#client.userApi.listUsers({ filter: ALL_USERS_FILTER, limit: USER_PAGE });
    const out: (KnownUser & { actual: ActualUser })[] = [];
    for await (const u of list) {
      const known = u ? knownUser(u) : undefined;
      if (!u || !known) continue;
      this.users.set(known.login, Promise.resolve(known));
      out.push({ ...known, actual: actualUser(u, known) });
    }
    return out;
  }

  /** Managed groups by name, in as few searches as the names allow. */
  private async findGroups(names: readonly string[]): Promise<IdsByName> {
    const found: IdsByName = new Map();
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += NAMES_PER_SEARCH)
      chunks.push(names.slice(i, i + NAMES_PER_SEARCH));
    await Promise.all(
      chunks.map(async (chunk) => {
        for (const g of await this.searchGroups(chunk)) {
          const name = g.profile?.name;
          if (name && g.id && chunk.includes(name)) addId(found, name, g.id);
        }
      }),
    );
    return found;
  }

  private async searchGroups(names: readonly string[]): Promise<Group[]> {
    const search = groupsNamed(names);
    return this.collect(await this.#client.groupApi.listGroups({ search, limit: GROUP_PAGE }));
  }

  /** Active apps by label (Okta allows one label on several apps: such a label is ambiguous). */
  private async listActiveApps(): Promise<IdsByName> {
    const apps = await this.collect(
      await this.#client.applicationApi.listApplications({ filter: 'status eq "ACTIVE"', limit: APP_PAGE }),
    );
    const byLabel: IdsByName = new Map();
    for (const a of apps) if (a.id) addId(byLabel, a.label, a.id);
    return byLabel;
  }

  /** A group's members: live accounts, and DEPROVISIONED ones (Okta keeps their memberships). */
  private async groupMembers(groupId: string): Promise<{ live: string[]; deprovisioned: string[] }> {
    const list = await this.#client.groupApi.listGroupUsers({ groupId, limit: MEMBER_PAGE });
    const live: string[] = [];
    const deprovisioned: string[] = [];
    for await (const u of list) {
      const known = u ? knownUser(u) : undefined;
      if (known) (known.status === 'DEPROVISIONED' ? deprovisioned : live).push(known.login);
    }
    return { live, deprovisioned };
  }

  /**
   * An app's direct members. Assignments of scope GROUP come from a group assigned to the app:
   * that access is the group's (Okta refuses to unassign it from the user, E0000046), so it is
   * governed through the group and not counted here.
   */
  private async appMembers(appId: string, byId: ReadonlyMap<string, KnownUser>): Promise<string[]> {
    const list = await this.#client.applicationApi.listApplicationUsers({ appId, limit: APP_USER_PAGE });
    const logins: string[] = [];
    for await (const assignment of list) {
      if (assignment?.scope !== 'USER') continue;
      const user = assignment.id ? byId.get(assignment.id) : undefined;
      if (user && user.status !== 'DEPROVISIONED') logins.push(user.login);
    }
    return logins;
  }

  private async collect<T>(list: AsyncIterable<T | null>): Promise<T[]> {
    const out: T[] = [];
    for await (const item of list) if (item) out.push(item);
    return out;
  }

  // --- apply ---------------------------------------------------------------------------------

  async apply(change: Change): Promise<ChangeOutcome> {
    let out: ChangeOutcome;
    try {
      out = await this.applyOne(change);
      if (out.status === 'failed') out = { ...out, error: this.#redact(out.error) };
    } catch (e) {
      out = { status: 'failed', error: `okta: ${describeChange(change)}: ${this.describe(e)}` };
    }
    // One call ends sessions and OAuth tokens (oauthTokens=true): a failed one failed both.
    return withLeaverSteps(change, out, ['revoke-sessions', 'revoke-tokens']);
  }

  /** Independent changes, at most OKTA_MAX_IN_FLIGHT at a time (the executor caps requests too). */
  applyMany(changes: readonly Change[]): Promise<ChangeOutcome>[] {
    return applyAtMost(OKTA_MAX_IN_FLIGHT, changes, (c) => this.apply(c));
  }

  private async applyOne(c: Change): Promise<ChangeOutcome> {
    switch (c.action) {
      case 'createUser':
        return this.createUser(c);
      case 'enableUser':
        return this.enableUser(c.login);
      case 'disableUser':
        return this.withUser(c.login, async (u) => {
          const out = await this.disableUser(c, u);
          // A plain suspension says nothing of itself; the leaver's step says what it means.
          return out.status === 'applied' && !out.detail
            ? { ...out, steps: [stepOutcome('disable-sign-in', 'applied', SUSPENDED)] }
            : out;
        });
      case 'revokeSessions':
        return this.withUser(c.login, (u) => this.revokeSessions(c, u));
      case 'deleteUser':
        return this.deleteUser(c.login);
      case 'grant':
      case 'revoke':
        return this.changeMembership(c);
      case 'openTicket':
        return { status: 'failed', error: 'okta: openTicket belongs to the manual provider' };
      default: {
        const never: never = c.action;
        return { status: 'failed', error: `okta: unknown action ${String(never)}` };
      }
    }
  }

  /**
   * Creates the account STAGED, then activates it with sendEmail=true: Okta mails the
   * activation link to the person, and the answer holds no link. A login that already exists
   * (a retry after a dropped answer, or a rehire) is finished rather than failed.
   */
  private async createUser(c: Change): Promise<ChangeOutcome> {
    const displayName = c.displayName ?? c.login;
    const cut = displayName.lastIndexOf(' ');
    const firstName = cut > 0 ? displayName.slice(0, cut) : displayName;
    const lastName = cut > 0 ? displayName.slice(cut + 1) : displayName;
    let user: KnownUser;
    try {
      const created = await this.#client.userApi.createUser({
        body: { profile: { firstName, lastName, displayName, email: c.login, login: c.login } },
        activate: false,
      });
      user = { id: created.id!, login: c.login, status: 'STAGED' };
    } catch (e) {
      if (!isLoginTaken(e)) throw e;
      const existing = await this.fetchUser(c.login);
      if (!existing) throw e;
      if (existing.status !== 'STAGED' && existing.status !== 'DEPROVISIONED') {
        return { status: 'unchanged', detail: `account exists (${existing.status})` };
      }
      user = existing;
    }
    const reactivated = user.status === 'DEPROVISIONED';
    const out = await this.activate(user);
    return {
      status: 'applied',
      detail: reactivated ? out.detail : 'Okta emailed the activation link to the user',
    };
  }

  private async enableUser(login: string): Promise<ChangeOutcome> {
    const user = await this.fetchUser(login);
    if (!user) throw new Error(`no account ${login} on okta`);
    if (isEnabled(user.status)) return { status: 'unchanged', detail: `already ${user.status}` };
    if (user.status === 'SUSPENDED') {
      const userApi = this.#client.userApi;
      return this.lifecycle(user, () => userApi.unsuspendUser({ userId: user.id }), 'ACTIVE', isEnabled);
    }
    return this.activate(user);
  }

  /**
   * Activates a STAGED or DEPROVISIONED account: Okta emails the activation link and the account
   * is PROVISIONED until used. Through `lifecycle`, so that a retry answered "already active"
   * (the first answer was lost) ends as done.
   *
   * Okta keeps a deactivated account's group memberships, so reactivating one would hand a
   * rehire every group they held when they left. Of the two ways out (show DEPROVISIONED members
   * to the plan so it revokes them, or leave the managed groups before the reactivation), this
   * is the second: a deactivated account stays "deleted" for the plan, the read already lists
   * those members (no extra call), nothing is ever reactivated with old access even for a
   * moment, and the plan's grants, applied after creates, give back exactly what the rehire
   * should hold. Groups outside the managed scope are left alone, as everything outside it is.
   */
  private async activate(user: KnownUser): Promise<Done> {
    const left = user.status === 'DEPROVISIONED' ? await this.leaveManagedGroups(user) : undefined;
    const userApi = this.#client.userApi;
    const activate = () => userApi.activateUser({ userId: user.id, sendEmail: true });
    const out = await this.lifecycle(user, activate, 'PROVISIONED', isEnabled);
    if (left === undefined) return out;
    const detail = `reactivated a deactivated account after removing it from the ${left} managed group(s) it still held; Okta emailed the activation link`;
    return { ...out, detail };
  }

  /** Removes a DEPROVISIONED account from the managed groups the last read saw it in. */
  private async leaveManagedGroups(user: KnownUser): Promise<number> {
    if (!this.deprovisionedIn) {
      throw new Error(
        `${user.login} is a deactivated account whose old group memberships must be removed before it is reactivated; read the managed scope first (jml apply does)`,
      );
    }
    const groupIds = this.deprovisionedIn.get(user.login) ?? [];
    for (const groupId of groupIds) {
      await this.#client.groupApi.unassignUserFromGroup({ groupId, userId: user.id });
    }
    this.deprovisionedIn.delete(user.login);
    return groupIds.length;
  }

  /**
   * Clears every Okta session and, with oauthTokens=true, every OAuth access and refresh token
   * Okta issued to the user's apps: a leaver's two checklist steps in one call. Okta answers 204
   * either way, so both are `applied`.
   */
  private async revokeSessions(c: Change, user: KnownUser): Promise<ChangeOutcome> {
    await this.#client.userApi.revokeUserSessions({ userId: user.id, oauthTokens: true });
    const out: ChangeOutcome = { status: 'applied', detail: 'sessions and OAuth tokens revoked' };
    if (c.event.kind !== 'leaver') return out;
    const at = new Date();
    return {
      ...out,
      steps: [
        stepOutcome('revoke-sessions', 'applied', 'every Okta session cleared', at),
        stepOutcome(
          'revoke-tokens',
          'applied',
          'OAuth tokens Okta issued to the user revoked (oauthTokens=true)',
          at,
        ),
      ],
    };
  }

  /**
   * Okta suspends only ACTIVE accounts. LOCKED_OUT: unlock (it becomes ACTIVE), then suspend.
   * PROVISIONED, RECOVERY, PASSWORD_EXPIRED: a leaver's access must end now, so the account is
   * deactivated instead; any other disable of such an account (nobody signs in with it yet, or
   * no access is left) is not worth a destructive step, and fails naming the manual one.
   */
  private async disableUser(c: Change, user: KnownUser): Promise<ChangeOutcome> {
    const userApi = this.#client.userApi;
    const suspend = (u: KnownUser) =>
      this.lifecycle(
        u,
        () => userApi.suspendUser({ userId: u.id }),
        'SUSPENDED',
        (s) => !isEnabled(s),
      );
    if (user.status === 'LOCKED_OUT') {
      const unlock = () => userApi.unlockUser({ userId: user.id });
      await this.lifecycle(user, unlock, 'ACTIVE', (s) => s !== 'LOCKED_OUT');
      const out = await suspend({ ...user, status: 'ACTIVE' });
      return out.status === 'applied'
        ? { status: 'applied', detail: 'unlocked, then suspended (Okta suspends only ACTIVE accounts)' }
        : out;
    }
    const meaning = NOT_SUSPENDABLE[user.status];
    if (!meaning) return suspend(user);
    if (c.event.kind !== 'leaver') {
      return {
        status: 'failed',
        error: `okta: disableUser ${c.login}: Okta suspends only ACTIVE accounts and this one is ${user.status} (${meaning}); it was left enabled. Deactivate it by hand in the Okta Admin Console (Directory > People > ${c.login} > More Actions > Deactivate), or apply again once it is ACTIVE`,
      };
    }
    const deactivate = () => userApi.deactivateUser({ userId: user.id });
    const out = await this.lifecycle(user, deactivate, 'DEPROVISIONED', (s) => s === 'DEPROVISIONED');
    return {
      ...out,
      detail: `Okta suspends only ACTIVE accounts; this ${user.status} account was deactivated so the leaver cannot sign in`,
    };
  }

  private async deleteUser(login: string): Promise<ChangeOutcome> {
    const user = await this.fetchUser(login);
    if (!user || user.status === 'DEPROVISIONED')
      return { status: 'unchanged', detail: 'already deactivated' };
    return this.lifecycle(
      user,
      () => this.#client.userApi.deactivateUser({ userId: user.id }),
      'DEPROVISIONED',
      (s) => s === 'DEPROVISIONED',
    );
  }

  /**
   * Runs a lifecycle operation. Okta refuses one on a user already in the target state
   * ("Cannot suspend a user that is not active"); that answer, or any other 4xx, is checked
   * against a fresh read, and a user already where the change wants them is `unchanged`.
   */
  private async lifecycle(
    user: KnownUser,
    op: () => Promise<unknown>,
    after: string,
    done: (status: string) => boolean,
  ): Promise<Done> {
    try {
      await op();
    } catch (e) {
      const { status } = oktaErrorCode(e);
      if (status === undefined || status < 400 || status >= 500) throw e;
      const now = await this.fetchUser(user.login);
      if (now && done(now.status)) return { status: 'unchanged', detail: `already ${now.status}` };
      const state = now ? ` (the account is ${now.status})` : '';
      throw new Error(`${describeOktaError(e)}${state}`);
    }
    this.users.set(user.login, Promise.resolve({ ...user, status: after }));
    return { status: 'applied' };
  }

  private async changeMembership(c: Change): Promise<ChangeOutcome> {
    const grant = c.action === 'grant';
    const t = c.target;
    if (!t) return { status: 'failed', error: `okta: ${c.action} ${c.login} without a target` };
    if (t.kind !== 'group' && t.kind !== 'app') {
      return { status: 'failed', error: `okta: ${c.action} ${c.login}: ${notOktaKind(t)}` };
    }
    const targetId = await this.targetId(t.kind, t.target);
    if (!targetId) {
      if (!grant) return { status: 'unchanged', detail: `${t.kind} ${t.target} does not exist on okta` };
      return {
        status: 'failed',
        error: `okta: grant ${c.login}: ${targetNotFound('okta', t.kind, t.target)}`,
      };
    }
    const user = await this.knownUser(c.login);
    if (!user) {
      if (!grant) return { status: 'unchanged', detail: 'no account' };
      return {
        status: 'failed',
        error: `okta: grant ${c.login} on ${t.kind} ${t.target}: no account ${c.login} on okta`,
      };
    }
    const key = targetKey(t);
    const wasMember = this.members.get(key)?.has(c.login);
    const removed = await this.writeMembership(t.kind, targetId, user.id, grant);
    const members = this.members.get(key) ?? new Set<string>();
    this.members.set(key, members);
    if (grant) members.add(c.login);
    else members.delete(c.login);
    // Okta's membership writes are idempotent (204 either way): "unchanged" is what the last read saw.
    return wasMember === grant || removed === false ? { status: 'unchanged' } : { status: 'applied' };
  }

  /** One membership write; returns false when a removal found nothing to remove. */
  private async writeMembership(
    kind: OktaKind,
    id: string,
    userId: string,
    grant: boolean,
  ): Promise<boolean> {
    const { groupApi, applicationApi } = this.#client;
    if (kind === 'group') {
      if (grant) await groupApi.assignUserToGroup({ groupId: id, userId });
      else await groupApi.unassignUserFromGroup({ groupId: id, userId });
      return true;
    }
    if (grant) {
      await applicationApi.assignUserToApplication({ appId: id, appUser: { id: userId, scope: 'USER' } });
      return true;
    }
    try {
      await applicationApi.unassignUserFromApplication({ appId: id, userId });
      return true;
    } catch (e) {
      if (oktaErrorCode(e).status === 404) return false;
      if (isGroupGrantedAppAccess(e)) {
        throw new Error(
          'the access comes from a group assigned to the app (Okta E0000046: a group-scoped assignment cannot be removed from the user); remove the user from that group, or manage the group instead of the app',
        );
      }
      throw e;
    }
  }

  // --- lookups (cached from the last read, fetched when missing) -----------------------------

  private withUser(login: string, act: (u: KnownUser) => Promise<ChangeOutcome>): Promise<ChangeOutcome> {
    return this.knownUser(login).then((u) => {
      if (!u) throw new Error(`no account ${login} on okta`);
      return act(u);
    });
  }

  private knownUser(login: string): Promise<KnownUser | undefined> {
    return this.users.get(login) ?? this.fetchUser(login);
  }

  /** A fresh read of one user by login (Okta accepts the login in place of the id). */
  private fetchUser(login: string): Promise<KnownUser | undefined> {
    const pending = this.#client.userApi.getUser({ userId: login }).then(
      (u) => knownUser(u),
      (e: unknown) => {
        if (oktaErrorCode(e).status === 404) return undefined;
        throw e;
      },
    );
    this.users.set(login, pending);
    pending.catch(() => this.users.delete(login));
    return pending;
  }

  private targetId(kind: OktaKind, target: string): Promise<string | undefined> {
    const key = targetKey({ kind, target });
    const cached = this.targetIds.get(key);
    if (cached) return cached;
    const pending =
      kind === 'group'
        ? this.searchGroups([target]).then((gs) =>
            uniqueId(kind, target, idsOf(gs.filter((g) => g.profile?.name === target))),
          )
        : this.findApp(target);
    this.targetIds.set(key, pending);
    // A miss or a failure is not remembered: the group may be created, the error may pass.
    pending.then(
      (id) => id === undefined && this.targetIds.delete(key),
      () => this.targetIds.delete(key),
    );
    return pending;
  }

  /** An app by label: `q` matches name and label prefixes; the exact, active label is kept. */
  private async findApp(label: string): Promise<string | undefined> {
    const apps = await this.collect(
      await this.#client.applicationApi.listApplications({ q: label, limit: APP_PAGE }),
    );
    return uniqueId('app', label, idsOf(apps.filter((a) => a.label === label && a.status === 'ACTIVE')));
  }

  private describe(e: unknown): string {
    return this.#redact(describeOktaError(e));
  }
}

function isEnabled(status: string): boolean {
  return (OKTA_ENABLED_STATUSES as ReadonlySet<string>).has(status);
}

function addId(map: IdsByName, name: string, id: string): void {
  const ids = map.get(name);
  if (ids) ids.push(id);
  else map.set(name, [id]);
}

function idsOf(items: readonly { id?: string }[]): string[] {
  return items.flatMap((x) => (x.id ? [x.id] : []));
}

/**
 * The one id of a target; undefined when missing. Okta lets several active apps share a label
 * (and groups a name): picking one would read or write the wrong one, so that is an error.
 */
export function uniqueId(
  kind: OktaKind,
  target: string,
  ids: readonly string[] | undefined,
): string | undefined {
  if (ids && ids.length > 1) {
    const what = kind === 'app' ? 'app label' : 'group name';
    throw new Error(`ambiguous ${what} ${target} (${ids.length} ${kind}s); rename all but one in Okta`);
  }
  return ids?.[0];
}

function targetKey(t: { kind: string; target: string }): string {
  return `${t.kind}:${t.target}`;
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/** The groups search for OKTA_GROUP groups by name (at most NAMES_PER_SEARCH names). */
export function groupsNamed(names: readonly string[]): string {
  const byName = names.map((n) => `profile.name eq "${quote(n)}"`).join(' or ');
  return `type eq "OKTA_GROUP" and (${byName})`;
}

function notOktaKind(t: TargetRef): string {
  return `${t.kind} ${t.target}: '${t.kind}' is not an Okta kind (Okta has groups and apps; licenses live in Entra or Google)`;
}

export function assertOktaKind(t: TargetRef): void {
  if (t.kind !== 'group' && t.kind !== 'app') throw new Error(notOktaKind(t));
}

export function knownUser(u: User): KnownUser | undefined {
  const login = u.profile?.login?.toLowerCase();
  if (!u.id || !login) return undefined;
  return { id: u.id, login, status: u.status ?? 'ACTIVE' };
}

export function actualUser(u: User, known: KnownUser): ActualUser {
  const p = u.profile;
  const name = p?.displayName ?? [p?.firstName, p?.lastName].filter(Boolean).join(' ');
  const enabled = isEnabled(known.status);
  // A STAGED account was never enabled; only a suspension is a moment the account was disabled.
  const disabledAt =
    known.status === 'SUSPENDED' && u.statusChanged ? new Date(u.statusChanged).toISOString() : undefined;
  return {
    login: known.login,
    ...(name ? { displayName: name } : {}),
    enabled,
    sessions: null,
    ...(disabledAt ? { disabledAt } : {}),
    // In every users list answer; null when the person has never signed in.
    lastSignIn: latestSignIn([u.lastLogin]),
  };
}

function isLoginTaken(e: unknown): boolean {
  const { status, code, causes } = oktaErrorCode(e);
  return status === 400 && code === 'E0000001' && causes.some((c) => /login: .*already exists/i.test(c));
}
