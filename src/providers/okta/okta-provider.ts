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
 * - disableUser suspends (reversible); deleteUser deactivates (destructive; Okta unassigns all
 *   apps), never deletes. A joiner's first credential is Okta's activation email to the user.
 * Nothing re-reads after a write: Okta's group membership reads are eventually consistent.
 */
import type { Client, Group, User } from '@okta/okta-sdk-nodejs';
import pLimit from 'p-limit';
import type { Change } from '../../plan/plan-types.js';
import type {
  ActualMembership,
  ActualState,
  ActualUser,
  ChangeOutcome,
  Provider,
  Scope,
  TargetRef,
} from '../types.js';
import { describeOktaError, oktaErrorCode } from './errors.js';
import { OKTA_MAX_IN_FLIGHT } from './rate-limits.js';

const USER_PAGE = 200;
const GROUP_PAGE = 200;
const MEMBER_PAGE = 1000;
const APP_PAGE = 200;
const APP_USER_PAGE = 500;
/** Names per group search: keeps the query well under Okta's "overly complex" limit. */
const NAMES_PER_SEARCH = 20;

const ENABLED = new Set(['ACTIVE', 'PROVISIONED', 'RECOVERY', 'PASSWORD_EXPIRED', 'LOCKED_OUT']);
const ALL_STATUSES = [
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
const ALL_USERS_FILTER = ALL_STATUSES.map((s) => `status eq "${s}"`).join(' or ');

interface KnownUser {
  id: string;
  login: string;
  status: string;
}

type OktaKind = 'group' | 'app';

export interface OktaProviderOptions {
  /** Values that must never appear in a message (the credential). */
  secrets: readonly string[];
}

export class OktaProvider implements Provider {
  readonly name = 'okta' as const;
  readonly simulated = false;
  /** What the last read and this process's writes saw: ids, statuses, members. */
  private readonly users = new Map<string, Promise<KnownUser | undefined>>();
  private readonly targetIds = new Map<string, Promise<string | undefined>>();
  private readonly members = new Map<string, Set<string>>();

  constructor(
    private readonly client: Client,
    private readonly opts: OktaProviderOptions,
  ) {}

  // --- read ----------------------------------------------------------------------------------

  async read(scope: Scope): Promise<ActualState> {
    try {
      return await this.readScope(scope);
    } catch (e) {
      throw new Error(`okta: reading the managed scope failed: ${this.describe(e)}`);
    }
  }

  async readAll(): Promise<ActualState> {
    try {
      const [groups, apps] = await Promise.all([
        this.client.groupApi
          .listGroups({ filter: 'type eq "OKTA_GROUP"', limit: GROUP_PAGE })
          .then((list) => this.collect(list)),
        this.listActiveApps(),
      ]);
      const groupIds = new Map<string, string>();
      for (const g of groups) if (g.id && g.profile?.name) groupIds.set(g.profile.name, g.id);
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
    everything?: { groups: Map<string, string>; apps: Map<string, string> },
  ): Promise<ActualState> {
    for (const t of scope.targets) assertOktaKind(t);
    const names = scope.targets.filter((t) => t.kind === 'group').map((t) => t.target);
    const anyApp = scope.targets.some((t) => t.kind === 'app');
    // Phase 1: every account, the managed groups and the active apps, side by side.
    const [all, groups, apps] = await Promise.all([
      this.listAllUsers(),
      everything?.groups ?? this.findGroups(names),
      everything?.apps ?? (anyApp ? this.listActiveApps() : new Map<string, string>()),
    ]);
    const byId = new Map(all.map((u) => [u.id, u]));
    // Phase 2: members of each managed target that exists.
    const limit = pLimit(OKTA_MAX_IN_FLIGHT);
    const found = scope.targets.flatMap((t) => {
      const id = t.kind === 'group' ? groups.get(t.target) : apps.get(t.target);
      return id ? [{ ...t, id }] : [];
    });
    const memberships = await Promise.all(
      found.map((t) =>
        limit(async (): Promise<ActualMembership> => {
          const logins =
            t.kind === 'group' ? await this.groupMembers(t.id) : await this.appMembers(t.id, byId);
          const key = targetKey(t);
          this.targetIds.set(key, Promise.resolve(t.id));
          this.members.set(key, new Set(logins));
          return { kind: t.kind, target: t.target, members: [...new Set(logins)].sort() };
        }),
      ),
    );
    // Phase 3: who is in scope; everyone else is only counted.
    const inScope = new Set(scope.logins);
    for (const m of memberships) for (const login of m.members) inScope.add(login);
    const live = all.filter((u) => u.status !== 'DEPROVISIONED');
    const users = live
      .filter((u) => everything || inScope.has(u.login))
      .sort((a, b) => (a.login < b.login ? -1 : 1))
      .map((u) => u.actual);
    return {
      provider: 'okta',
      simulated: false,
      users,
      memberships,
      outOfScopeAccounts: live.length - users.length,
    };
  }

  private async listAllUsers(): Promise<(KnownUser & { actual: ActualUser })[]> {
    const list = await this.client.userApi.listUsers({ filter: ALL_USERS_FILTER, limit: USER_PAGE });
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
  private async findGroups(names: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const chunks: string[][] = [];
    for (let i = 0; i < names.length; i += NAMES_PER_SEARCH)
      chunks.push(names.slice(i, i + NAMES_PER_SEARCH));
    await Promise.all(
      chunks.map(async (chunk) => {
        for (const g of await this.searchGroups(chunk)) {
          const name = g.profile?.name;
          if (name && g.id && chunk.includes(name)) found.set(name, g.id);
        }
      }),
    );
    return found;
  }

  private async searchGroups(names: readonly string[]): Promise<Group[]> {
    const byName = names.map((n) => `profile.name eq "${quote(n)}"`).join(' or ');
    const search = `type eq "OKTA_GROUP" and (${byName})`;
    return this.collect(await this.client.groupApi.listGroups({ search, limit: GROUP_PAGE }));
  }

  /** Active apps by label (a label Okta shows twice is ambiguous: the first one listed wins). */
  private async listActiveApps(): Promise<Map<string, string>> {
    const apps = await this.collect(
      await this.client.applicationApi.listApplications({ filter: 'status eq "ACTIVE"', limit: APP_PAGE }),
    );
    const byLabel = new Map<string, string>();
    for (const a of apps) if (a.id && !byLabel.has(a.label)) byLabel.set(a.label, a.id);
    return byLabel;
  }

  private async groupMembers(groupId: string): Promise<string[]> {
    const list = await this.client.groupApi.listGroupUsers({ groupId, limit: MEMBER_PAGE });
    const logins: string[] = [];
    for await (const u of list) {
      const known = u ? knownUser(u) : undefined;
      if (known && known.status !== 'DEPROVISIONED') logins.push(known.login);
    }
    return logins;
  }

  private async appMembers(appId: string, byId: ReadonlyMap<string, KnownUser>): Promise<string[]> {
    const list = await this.client.applicationApi.listApplicationUsers({ appId, limit: APP_USER_PAGE });
    const logins: string[] = [];
    for await (const assignment of list) {
      const user = assignment?.id ? byId.get(assignment.id) : undefined;
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
    try {
      return await this.applyOne(change);
    } catch (e) {
      const on = change.target ? ` on ${change.target.kind} ${change.target.target}` : '';
      return { status: 'failed', error: `okta: ${change.action} ${change.login}${on}: ${this.describe(e)}` };
    }
  }

  /** Independent changes, at most OKTA_MAX_IN_FLIGHT at a time (the executor caps requests too). */
  applyMany(changes: readonly Change[]): Promise<ChangeOutcome>[] {
    const limit = pLimit(OKTA_MAX_IN_FLIGHT);
    return changes.map((c) => limit(() => this.apply(c)));
  }

  private async applyOne(c: Change): Promise<ChangeOutcome> {
    switch (c.action) {
      case 'createUser':
        return this.createUser(c);
      case 'enableUser':
        return this.enableUser(c.login);
      case 'disableUser':
        return this.withUser(c.login, (u) =>
          this.lifecycle(
            u,
            () => this.client.userApi.suspendUser({ userId: u.id }),
            'SUSPENDED',
            (s) => !isEnabled(s),
          ),
        );
      case 'revokeSessions':
        return this.withUser(c.login, async (u) => {
          await this.client.userApi.revokeUserSessions({ userId: u.id, oauthTokens: true });
          return { status: 'applied', detail: 'sessions and OAuth tokens revoked' };
        });
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
    let id: string;
    try {
      const created = await this.client.userApi.createUser({
        body: { profile: { firstName, lastName, displayName, email: c.login, login: c.login } },
        activate: false,
      });
      id = created.id!;
    } catch (e) {
      if (!isLoginTaken(e)) throw e;
      const existing = await this.fetchUser(c.login);
      if (!existing) throw e;
      if (existing.status !== 'STAGED' && existing.status !== 'DEPROVISIONED') {
        return { status: 'unchanged', detail: `account exists (${existing.status})` };
      }
      id = existing.id;
    }
    await this.client.userApi.activateUser({ userId: id, sendEmail: true });
    this.users.set(c.login, Promise.resolve({ id, login: c.login, status: 'PROVISIONED' }));
    return { status: 'applied', detail: 'Okta emailed the activation link to the user' };
  }

  private async enableUser(login: string): Promise<ChangeOutcome> {
    const user = await this.fetchUser(login);
    if (!user) throw new Error(`no account ${login} on okta`);
    if (ENABLED.has(user.status)) return { status: 'unchanged', detail: `already ${user.status}` };
    const userApi = this.client.userApi;
    if (user.status === 'SUSPENDED') {
      return this.lifecycle(user, () => userApi.unsuspendUser({ userId: user.id }), 'ACTIVE', isEnabled);
    }
    // STAGED or DEPROVISIONED: Okta emails the activation link; the account is PROVISIONED until used.
    const activate = () => userApi.activateUser({ userId: user.id, sendEmail: true });
    return this.lifecycle(user, activate, 'PROVISIONED', isEnabled);
  }

  private async deleteUser(login: string): Promise<ChangeOutcome> {
    const user = await this.fetchUser(login);
    if (!user || user.status === 'DEPROVISIONED')
      return { status: 'unchanged', detail: 'already deactivated' };
    return this.lifecycle(
      user,
      () => this.client.userApi.deactivateUser({ userId: user.id }),
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
  ): Promise<ChangeOutcome> {
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
        error: `okta: grant ${c.login}: ${t.kind} ${t.target} not found on okta; create it there or fix policy/entitlements.yaml`,
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
    const { groupApi, applicationApi } = this.client;
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
    const pending = this.client.userApi.getUser({ userId: login }).then(
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
        ? this.searchGroups([target]).then((gs) => gs.find((g) => g.profile?.name === target)?.id)
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
      await this.client.applicationApi.listApplications({ q: label, limit: APP_PAGE }),
    );
    return apps.find((a) => a.label === label && a.status === 'ACTIVE')?.id;
  }

  private describe(e: unknown): string {
    let text = describeOktaError(e);
    for (const s of this.opts.secrets) if (s) text = text.split(s).join('[redacted]');
    return text;
  }
}

function isEnabled(status: string): boolean {
  return ENABLED.has(status);
}

function targetKey(t: { kind: string; target: string }): string {
  return `${t.kind}:${t.target}`;
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function notOktaKind(t: TargetRef): string {
  return `${t.kind} ${t.target}: '${t.kind}' is not an Okta kind (Okta has groups and apps; licenses live in Entra or Google)`;
}

function assertOktaKind(t: TargetRef): void {
  if (t.kind !== 'group' && t.kind !== 'app') throw new Error(notOktaKind(t));
}

function knownUser(u: User): KnownUser | undefined {
  const login = u.profile?.login?.toLowerCase();
  if (!u.id || !login) return undefined;
  return { id: u.id, login, status: u.status ?? 'ACTIVE' };
}

function actualUser(u: User, known: KnownUser): ActualUser {
  const p = u.profile;
  const name = p?.displayName ?? [p?.firstName, p?.lastName].filter(Boolean).join(' ');
  const enabled = ENABLED.has(known.status);
  // A STAGED account was never enabled; only a suspension is a moment the account was disabled.
  const disabledAt =
    known.status === 'SUSPENDED' && u.statusChanged ? new Date(u.statusChanged).toISOString() : undefined;
  return {
    login: known.login,
    ...(name ? { displayName: name } : {}),
    enabled,
    sessions: null,
    ...(disabledAt ? { disabledAt } : {}),
  };
}

function isLoginTaken(e: unknown): boolean {
  const { status, code, causes } = oktaErrorCode(e);
  return status === 400 && code === 'E0000001' && causes.some((c) => /login: .*already exists/i.test(c));
}
