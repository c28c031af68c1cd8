/**
 * The SCIM 2.0 connector: any number of apps (one connection each, policy/jml.yaml
 * `providers.scim.connections`) read and written as one provider.
 *
 * Mapping:
 * - A catalog target names its connection: kind group `<connection>/<group displayName>`, kind
 *   app `<connection>` alone, which is an active account in that app (its members are the app's
 *   active users).
 * - A person's account on `scim` is their accounts in every app, read together: it exists when
 *   one app has it, and is enabled while one app has it active. Sessions cannot be listed (SCIM
 *   has no sessions resource): reads say `sessions: null`.
 * - createUser and enableUser act at once when there is one connection; with several, each app's
 *   account is created or re-activated by the first grant there (the plan applies createUser
 *   before grants), so nobody gets an account in an app they hold nothing in.
 * - disableUser sets `active: false` in every app (the leaver's disable); revokeSessions confirms
 *   it (apps end a deactivated account's sessions: there is no other SCIM way); revoke of an app
 *   target deactivates that one account; deleteUser (planned only after retention) DELETEs.
 * - Group membership by PATCH add/remove of `members`, or a PUT of the whole group when the app
 *   has no PATCH; each write is preceded by a read, so an already-applied change is `unchanged`,
 *   and carries the read's ETag as If-Match when the app gives ETags (a 412 reads again).
 */
import type { ScimApp } from '../../model/providers.js';
import type { ActualMembership, ActualState, ActualUser, TargetRef } from '../../model/state.js';
import type { Change } from '../../plan/plan-types.js';
import { applyAtMost, describeChange, managedState, targetNotFound } from '../common.js';
import { withLeaverSteps } from '../steps.js';
import type { ChangeOutcome, Provider, Scope } from '../types.js';
import { PATCH_OP, type ScimClient, ScimError, type ScimResource } from './client.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
/** Page size when the app declares no maximum: RFC 7644 leaves it to the app; 100 is widely accepted. */
export const DEFAULT_PAGE_SIZE = 100;
/** Group names per filter: keeps a request line well under common URL limits. */
const NAMES_PER_FILTER = 20;
/** Attempts at a read-then-write that the app refuses with 412 (someone wrote in between). */
const PRECONDITION_ATTEMPTS = 3;
const IN_FLIGHT = 4;

export interface ScimConnectionHandle {
  client: ScimClient;
  settings: ScimApp;
}

interface ScimUser extends ScimResource {
  userName?: string;
  active?: boolean;
  displayName?: string;
  name?: { formatted?: string; givenName?: string; familyName?: string };
}

interface ScimGroup extends ScimResource {
  displayName?: string;
  members?: { value?: string; display?: string; type?: string }[];
}

interface KnownUser {
  id: string;
  active: boolean;
}

/** What the last read saw in one app. */
interface Seen {
  users: Map<string, KnownUser>;
  groups: Map<string, string>;
}

type Parsed = { connection: string; kind: 'app' } | { connection: string; kind: 'group'; group: string };

type Done = Exclude<ChangeOutcome, { status: 'failed' }>;

export class ScimProvider implements Provider {
  readonly name = 'scim' as const;
  readonly simulated = false;
  private readonly seen = new Map<string, Seen>();
  /** The last write queued on each resource (connection and path). */
  private readonly writing = new Map<string, Promise<void>>();
  private people: ReadonlyMap<string, { name: string; hrId?: string }> = new Map();

  constructor(private readonly connections: ReadonlyMap<string, ScimConnectionHandle>) {}

  // --- read ----------------------------------------------------------------------------------

  read(scope: Scope): Promise<ActualState> {
    if (scope.people) this.people = scope.people;
    return this.readScope(scope.targets, scope.logins, false);
  }

  async readAll(): Promise<ActualState> {
    const targets: TargetRef[] = [];
    for (const [name, c] of this.connections) {
      const groups = await this.wrapRead(name, 'listing groups', () =>
        c.client.list<ScimGroup>('/Groups', pageSize(c)),
      );
      targets.push({ kind: 'app', target: name });
      for (const g of groups)
        if (g.displayName) targets.push({ kind: 'group', target: `${name}/${g.displayName}` });
    }
    return this.readScope(targets, new Set(), true);
  }

  private async readScope(
    targets: readonly TargetRef[],
    logins: ReadonlySet<string>,
    everyone: boolean,
  ): Promise<ActualState> {
    const parsed = targets.map((t) => ({ t, p: this.parse(t) }));
    const accounts = new Map<string, ActualUser>();
    const memberships: ActualMembership[] = [];
    await Promise.all(
      [...this.connections].map(async ([name, c]) => {
        const mine = parsed.filter((x) => x.p.connection === name);
        const users = await this.wrapRead(name, 'listing users', () =>
          c.client.list<ScimUser>('/Users', pageSize(c)),
        );
        const names = mine.flatMap((x) => (x.p.kind === 'group' ? [x.p.group] : []));
        const groups = await this.wrapRead(name, 'reading groups', () => this.findGroups(c, names));
        const seen: Seen = { users: new Map(), groups: new Map() };
        const loginById = new Map<string, string>();
        for (const u of users) {
          const login = u.userName?.toLowerCase();
          if (!login || !u.id) continue;
          const active = u.active !== false;
          seen.users.set(login, { id: u.id, active });
          loginById.set(u.id, login);
          const prior = accounts.get(login);
          accounts.set(login, {
            login,
            displayName: prior?.displayName ?? displayNameOf(u),
            enabled: (prior?.enabled ?? false) || active,
            sessions: null,
          });
        }
        for (const { t, p } of mine) {
          let members: string[];
          if (p.kind === 'app') {
            members = [...seen.users].filter(([, u]) => u.active).map(([login]) => login);
          } else {
            const found = groups.get(p.group);
            if (!found) continue;
            if (found.length > 1) {
              throw new Error(
                `scim ${name}: ${found.length} groups are named ${p.group}; rename all but one in the app (jml cannot tell them apart)`,
              );
            }
            const g = found[0]!;
            seen.groups.set(p.group, g.id);
            members = (g.members ?? []).flatMap((m) => {
              const login = m.value ? loginById.get(m.value) : undefined;
              return login && m.type !== 'Group' ? [login] : [];
            });
          }
          memberships.push({ kind: t.kind, target: t.target, members: [...new Set(members)].sort() });
        }
        this.seen.set(name, seen);
      }),
    );
    memberships.sort((a, b) => (`${a.kind}:${a.target}` < `${b.kind}:${b.target}` ? -1 : 1));
    return managedState('scim', accounts.values(), memberships, logins, everyone);
  }

  /**
   * The groups named, with their members. One listing of every group when that is as cheap as
   * filtering (the first page tells how many there are) or the app has no filter; otherwise
   * `displayName eq` filters, a few names each.
   */
  private async findGroups(
    c: ScimConnectionHandle,
    names: readonly string[],
  ): Promise<Map<string, ScimGroup[]>> {
    const found = new Map<string, ScimGroup[]>();
    if (names.length === 0) return found;
    const size = pageSize(c);
    const wanted = new Set(names);
    const keep = (g: ScimGroup) => {
      if (!g.displayName || !wanted.has(g.displayName) || !g.id) return;
      const list = found.get(g.displayName) ?? [];
      if (!list.some((x) => x.id === g.id)) list.push(g);
      found.set(g.displayName, list);
    };
    const first = await c.client.page<ScimGroup>('/Groups', 1, size);
    const remainingPages = Math.ceil(Math.max(0, first.totalResults - first.Resources.length) / size);
    const filterRequests = Math.ceil(names.length / NAMES_PER_FILTER);
    if (!c.settings.quirks.filter || remainingPages <= filterRequests) {
      for (const g of await c.client.list<ScimGroup>('/Groups', size, undefined, first)) keep(g);
      return found;
    }
    for (let i = 0; i < names.length; i += NAMES_PER_FILTER) {
      const chunk = names.slice(i, i + NAMES_PER_FILTER);
      const filter = chunk.map((n) => `displayName eq ${quote(n)}`).join(' or ');
      for (const g of await c.client.list<ScimGroup>('/Groups', size, filter)) keep(g);
    }
    return found;
  }

  private async wrapRead<T>(name: string, what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw new Error(`scim ${name}: ${what} failed: ${(e as Error).message}`);
    }
  }

  /** A catalog target as a connection and a group, or refused naming what to fix. */
  private parse(t: TargetRef): Parsed {
    const slash = t.target.indexOf('/');
    const connection = t.kind === 'app' ? t.target : t.target.slice(0, Math.max(slash, 0));
    const known = [...this.connections.keys()].join(', ');
    if (t.kind !== 'app' && t.kind !== 'group') {
      throw new Error(`scim: kind ${t.kind} is not a SCIM target (${t.target}); use group or app`);
    }
    if (t.kind === 'group' && slash <= 0) {
      throw new Error(
        `scim: group target "${t.target}" must name its connection: <connection>/<group displayName>, like ${[...this.connections.keys()][0]}/${t.target} (policy/entitlements.yaml)`,
      );
    }
    if (!this.connections.has(connection)) {
      throw new Error(
        `scim: target "${t.target}" names connection "${connection}", which policy/jml.yaml providers.scim.connections does not declare (declared: ${known}); fix policy/entitlements.yaml or add the connection`,
      );
    }
    return t.kind === 'app'
      ? { connection, kind: 'app' }
      : { connection, kind: 'group', group: t.target.slice(slash + 1) };
  }

  // --- apply ---------------------------------------------------------------------------------

  async apply(change: Change): Promise<ChangeOutcome> {
    let out: ChangeOutcome;
    try {
      out = await this.applyOne(change);
    } catch (e) {
      out = { status: 'failed', error: `scim: ${describeChange(change)}: ${(e as Error).message}` };
    }
    return withLeaverSteps(change, out);
  }

  applyMany(changes: readonly Change[]): Promise<ChangeOutcome>[] {
    return applyAtMost(IN_FLIGHT, changes, (c) => this.apply(c));
  }

  private async applyOne(c: Change): Promise<ChangeOutcome> {
    switch (c.action) {
      case 'createUser':
        return this.createUser(c);
      case 'enableUser':
        return this.enableUser(c.login);
      case 'disableUser':
        return this.disableEverywhere(c.login);
      case 'revokeSessions':
        return this.revokeSessions(c.login);
      case 'deleteUser':
        return this.deleteUser(c.login);
      case 'grant':
      case 'revoke':
        return this.changeAccess(c);
      case 'openTicket':
        return { status: 'failed', error: 'scim: openTicket belongs to the manual provider' };
      default: {
        const never: never = c.action;
        return { status: 'failed', error: `scim: unknown action ${String(never)}` };
      }
    }
  }

  private handle(name: string): ScimConnectionHandle {
    const c = this.connections.get(name);
    if (!c) throw new Error(`scim: no connection ${name}`);
    return c;
  }

  private seenIn(name: string): Seen {
    let s = this.seen.get(name);
    if (!s) {
      s = { users: new Map(), groups: new Map() };
      this.seen.set(name, s);
    }
    return s;
  }

  private async createUser(c: Change): Promise<ChangeOutcome> {
    if (this.connections.size === 1) {
      const [name] = this.connections.keys();
      return this.ensureAccount(name!, c.login, c.displayName);
    }
    return {
      status: 'applied',
      detail: `with ${this.connections.size} SCIM apps connected, the account is created in each app by its first grant there`,
    };
  }

  /**
   * Re-activates the account: with one connection, there; with several, in the apps where the
   * person still holds a managed group (the grants that follow re-activate the others).
   */
  private async enableUser(login: string): Promise<ChangeOutcome> {
    const names =
      this.connections.size === 1
        ? [...this.connections.keys()]
        : [...this.connections.keys()].filter((n) => this.seenIn(n).users.has(login));
    let changed = false;
    for (const name of names) {
      const u = await this.findUser(name, login);
      if (!u || u.active) continue;
      await this.setActive(name, u, true);
      changed = true;
    }
    return changed
      ? { status: 'applied', detail: `active: true in ${names.join(', ')}` }
      : { status: 'unchanged' };
  }

  /** The account in one app, created (externalId = the person's hrId) or re-activated when needed. */
  private async ensureAccount(name: string, login: string, displayName?: string): Promise<Done> {
    const existing = await this.findUser(name, login);
    if (existing) {
      if (existing.active) return { status: 'unchanged', detail: `account exists in ${name}` };
      await this.setActive(name, existing, true);
      return { status: 'applied', detail: `account re-activated in ${name}` };
    }
    const person = this.people.get(login);
    const full = displayName ?? person?.name ?? login;
    const cut = full.lastIndexOf(' ');
    const body = {
      schemas: [USER_SCHEMA],
      userName: login,
      ...(person?.hrId ? { externalId: person.hrId } : {}),
      name: {
        formatted: full,
        givenName: cut > 0 ? full.slice(0, cut) : full,
        familyName: cut > 0 ? full.slice(cut + 1) : full,
      },
      displayName: full,
      emails: [{ value: login, type: 'work', primary: true }],
      active: true,
    };
    const client = this.handle(name).client;
    try {
      const r = await client.send<ScimUser>('POST', '/Users', body);
      if (!r.body?.id) throw new Error(`the app created ${login} but returned no id`);
      this.seenIn(name).users.set(login, { id: r.body.id, active: r.body.active !== false });
      return { status: 'applied', detail: `account created in ${name}` };
    } catch (e) {
      // 409 uniqueness: made by a retry whose answer was lost, or by someone else meanwhile.
      if (!(e instanceof ScimError && e.status === 409)) throw e;
      this.seenIn(name).users.delete(login);
      const found = await this.findUser(name, login, true);
      if (!found) throw e;
      if (found.active) return { status: 'unchanged', detail: `account exists in ${name}` };
      await this.setActive(name, found, true);
      return { status: 'applied', detail: `account re-activated in ${name}` };
    }
  }

  /** Sets `active: false` in every app holding the account active (the leaver's disable). */
  private async disableEverywhere(login: string): Promise<ChangeOutcome> {
    const changed: string[] = [];
    for (const name of this.connections.keys()) {
      const u = await this.findUser(name, login);
      if (!u?.active) continue;
      await this.setActive(name, u, false);
      changed.push(name);
    }
    return changed.length > 0
      ? { status: 'applied', detail: `active: false in ${changed.join(', ')}` }
      : { status: 'unchanged', detail: 'no active account in any SCIM app' };
  }

  /**
   * SCIM has no sessions resource: apps end a deactivated account's sessions themselves. So the
   * step is confirmed by reading that no app holds the account active, and fails otherwise.
   */
  private async revokeSessions(login: string): Promise<ChangeOutcome> {
    const still: string[] = [];
    for (const name of this.connections.keys()) {
      const u = await this.findUser(name, login, true);
      if (u?.active) still.push(name);
    }
    if (still.length > 0) {
      return {
        status: 'failed',
        error: `scim: ${login} is still active in ${still.join(', ')}: SCIM cannot end sessions of an active account; disable it first`,
      };
    }
    return {
      status: 'applied',
      detail:
        'inactive in every SCIM app: SCIM has no sessions endpoint, and the apps end the sessions of a deactivated account',
    };
  }

  private async deleteUser(login: string): Promise<ChangeOutcome> {
    const deleted: string[] = [];
    for (const name of this.connections.keys()) {
      const u = await this.findUser(name, login);
      if (!u) continue;
      try {
        await this.handle(name).client.send('DELETE', `/Users/${encodeURIComponent(u.id)}`);
      } catch (e) {
        if (!(e instanceof ScimError && e.status === 404)) throw e;
      }
      this.seenIn(name).users.delete(login);
      deleted.push(name);
    }
    return deleted.length > 0
      ? { status: 'applied', detail: `deleted in ${deleted.join(', ')}` }
      : { status: 'unchanged', detail: 'no account in any SCIM app' };
  }

  private async changeAccess(c: Change): Promise<ChangeOutcome> {
    if (!c.target) return { status: 'failed', error: `scim: ${c.action} without a target` };
    const p = this.parse(c.target);
    const grant = c.action === 'grant';
    if (p.kind === 'app') {
      if (grant) return this.ensureAccount(p.connection, c.login, c.displayName);
      const u = await this.findUser(p.connection, c.login);
      if (!u?.active) return { status: 'unchanged' };
      await this.setActive(p.connection, u, false);
      return { status: 'applied', detail: `active: false in ${p.connection}` };
    }
    const groupId = await this.groupId(p.connection, p.group);
    if (grant) {
      const account = await this.ensureAccount(p.connection, c.login, c.displayName);
      const u = (await this.findUser(p.connection, c.login))!;
      const member = await this.setMember(p.connection, groupId, u.id, true);
      return member.status === 'unchanged' && account.status === 'unchanged' ? member : { status: 'applied' };
    }
    const u = await this.findUser(p.connection, c.login);
    if (!u) return { status: 'unchanged', detail: `no account in ${p.connection}` };
    return this.setMember(p.connection, groupId, u.id, false);
  }

  // --- the app's resources ----------------------------------------------------------------

  /** The account `login` in one app: from the last read, else asked (`fresh`: always asked). */
  private async findUser(name: string, login: string, fresh = false): Promise<KnownUser | undefined> {
    const seen = this.seenIn(name);
    const known = seen.users.get(login);
    if (known && !fresh) return known;
    const c = this.handle(name);
    let users: ScimUser[];
    if (c.settings.quirks.filter) {
      users = await c.client.list<ScimUser>('/Users', pageSize(c), `userName eq ${quote(login)}`);
    } else {
      users = await c.client.list<ScimUser>('/Users', pageSize(c));
      for (const u of users) {
        const l = u.userName?.toLowerCase();
        if (l && u.id) seen.users.set(l, { id: u.id, active: u.active !== false });
      }
    }
    const u = users.find((x) => x.userName?.toLowerCase() === login);
    if (!u?.id) {
      seen.users.delete(login);
      return undefined;
    }
    const out = { id: u.id, active: u.active !== false };
    seen.users.set(login, out);
    return out;
  }

  private async groupId(name: string, group: string): Promise<string> {
    const seen = this.seenIn(name);
    const known = seen.groups.get(group);
    if (known) return known;
    const found = (await this.findGroups(this.handle(name), [group])).get(group) ?? [];
    if (found.length !== 1) {
      if (found.length > 1)
        throw new Error(`${found.length} groups are named ${group} in ${name}; rename all but one`);
      throw new Error(targetNotFound('scim', 'group', `${name}/${group}`));
    }
    seen.groups.set(group, found[0]!.id);
    return found[0]!.id;
  }

  private async setActive(name: string, u: KnownUser, active: boolean): Promise<void> {
    const c = this.handle(name);
    const path = `/Users/${encodeURIComponent(u.id)}`;
    await this.readThenWrite<ScimUser>(c, path, (current) => {
      if ((current.active !== false) === active) return undefined;
      if (c.settings.quirks.patch) {
        return {
          method: 'PATCH',
          body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'active', value: active }] },
        };
      }
      return { method: 'PUT', body: { ...withoutMeta(current), active } };
    });
    u.active = active;
  }

  /** Adds or removes one member; `unchanged` when the group already is as asked. */
  private async setMember(name: string, groupId: string, userId: string, add: boolean): Promise<Done> {
    const c = this.handle(name);
    const { quirks } = c.settings;
    const wrote = await this.readThenWrite<ScimGroup>(c, `/Groups/${encodeURIComponent(groupId)}`, (g) => {
      const members = g.members ?? [];
      const has = members.some((m) => m.value === userId);
      if (has === add) return undefined;
      if (!quirks.patch) {
        const next = add ? [...members, { value: userId }] : members.filter((m) => m.value !== userId);
        return { method: 'PUT', body: { ...withoutMeta(g), members: next.map((m) => ({ value: m.value })) } };
      }
      const op = add
        ? { op: 'add', path: 'members', value: [{ value: userId }] }
        : quirks.memberRemoval === 'valueArray'
          ? { op: 'remove', path: 'members', value: [{ value: userId }] }
          : { op: 'remove', path: `members[value eq ${quote(userId)}]` };
      return { method: 'PATCH', body: { schemas: [PATCH_OP], Operations: [op] } };
    });
    return wrote ? { status: 'applied' } : { status: 'unchanged' };
  }

  /**
   * Reads the resource, lets `decide` say what to write (nothing: it already is so), and writes
   * it with If-Match when the read gave an ETag; a 412 (changed in between) starts over.
   * Returns whether anything was written.
   */
  private readThenWrite<T extends ScimResource>(
    c: ScimConnectionHandle,
    path: string,
    decide: (current: T) => { method: 'PATCH' | 'PUT'; body: unknown } | undefined,
  ): Promise<boolean> {
    // Changes to one resource (eight revokes from one group) go one after another: sent side by
    // side they would only refuse each other's ETags.
    const key = `${c.client.name} ${path}`;
    const run = (this.writing.get(key) ?? Promise.resolve()).then(() =>
      this.readThenWriteNow(c, path, decide),
    );
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.writing.set(key, settled);
    void settled.then(() => {
      if (this.writing.get(key) === settled) this.writing.delete(key);
    });
    return run;
  }

  private async readThenWriteNow<T extends ScimResource>(
    c: ScimConnectionHandle,
    path: string,
    decide: (current: T) => { method: 'PATCH' | 'PUT'; body: unknown } | undefined,
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const { resource, etag } = await c.client.get<T>(path);
      const write = decide(resource);
      if (!write) return false;
      try {
        await c.client.send(write.method, path, write.body, etag);
        return true;
      } catch (e) {
        if (e instanceof ScimError && e.status === 412 && attempt < PRECONDITION_ATTEMPTS) continue;
        throw e;
      }
    }
  }
}

function pageSize(c: ScimConnectionHandle): number {
  return c.settings.quirks.maxPageSize ?? DEFAULT_PAGE_SIZE;
}

/** A SCIM filter string literal (RFC 7644 3.4.2.2: JSON string syntax). */
export function quote(value: string): string {
  return JSON.stringify(value);
}

function displayNameOf(u: ScimUser): string | undefined {
  return u.displayName ?? u.name?.formatted ?? undefined;
}

function withoutMeta<T extends ScimResource>(r: T): Omit<T, 'meta'> {
  const { meta: _meta, ...rest } = r;
  return rest;
}
