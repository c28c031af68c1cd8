/**
 * The embedded directory: a JSON file that behaves like an identity provider (users with an
 * enabled flag, sessions, groups, app assignments, licenses). It is the `local` provider, the
 * stand-in for any provider declared `embedded: true` (labelled simulated), and, without
 * accounts, the ledger of tickets for the `manual` provider.
 *
 * Durability: every applied change is written with write-then-rename and fsync
 * (write-file-atomic), so a crash leaves either the old or the new file, never a torn one. Two
 * runs are serialised by a lock directory next to the file (proper-lockfile), held for a whole
 * apply, with stale-lock recovery if a holder died.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import type { ProviderName } from '../../model/schema.js';
import type { Change } from '../../plan/plan-types.js';
import type { ActualState, ChangeOutcome, EntitlementKind, Provider, Scope } from '../types.js';

export const DIRECTORY_SCHEMA = 'jml-embedded-directory/v1';

interface StoredUser {
  displayName: string;
  enabled: boolean;
  sessions: { id: string; startedAt: string }[];
  createdAt: string;
  disabledAt?: string;
}

interface Ticket {
  id: string;
  operation: 'grant' | 'revoke';
  login: string;
  target: string;
  openedAt: string;
}

export interface DirectoryFile {
  schema: typeof DIRECTORY_SCHEMA;
  provider: ProviderName;
  users: Record<string, StoredUser>;
  /** `kind:target` -> member logins. */
  targets: Record<string, string[]>;
  tickets: Ticket[];
}

export interface EmbeddedOptions {
  name: ProviderName;
  file: string;
  simulated: boolean;
  /** False for the manual provider: access is recorded per login, there are no accounts. */
  accounts: boolean;
  now?: () => Date;
}

function emptyDirectory(provider: ProviderName): DirectoryFile {
  return { schema: DIRECTORY_SCHEMA, provider, users: {}, targets: {}, tickets: [] };
}

export class EmbeddedDirectory implements Provider {
  readonly name: ProviderName;
  readonly simulated: boolean;
  readonly file: string;
  private readonly accounts: boolean;
  private readonly now: () => Date;

  constructor(opts: EmbeddedOptions) {
    this.name = opts.name;
    this.simulated = opts.simulated;
    this.file = opts.file;
    this.accounts = opts.accounts;
    this.now = opts.now ?? (() => new Date());
  }

  /** Reads the file; a missing file is an empty directory. A corrupt one is an error, never "empty". */
  load(): DirectoryFile {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyDirectory(this.name);
      throw e;
    }
    const data = JSON.parse(text) as DirectoryFile;
    if (data.schema !== DIRECTORY_SCHEMA || data.provider !== this.name) {
      throw new Error(
        `${this.file} is not an embedded directory for ${this.name} (schema ${String(data.schema)})`,
      );
    }
    return data;
  }

  private save(data: DirectoryFile): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileAtomic.sync(this.file, `${JSON.stringify(data, null, 1)}\n`, { fsync: true });
  }

  async lock(): Promise<() => Promise<void>> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const release = await lockfile.lock(this.file, {
      realpath: false,
      stale: 30_000,
      update: 5_000,
      retries: { retries: 40, minTimeout: 50, maxTimeout: 1_000 },
    });
    return release;
  }

  async read(scope: Scope): Promise<ActualState> {
    const data = this.load();
    const targets = scope.targets.map((t) => ({
      kind: t.kind,
      target: t.target,
      members: [...(data.targets[`${t.kind}:${t.target}`] ?? [])].sort(),
    }));
    const inScope = new Set(scope.logins);
    for (const t of targets) for (const m of t.members) inScope.add(m);
    const logins = Object.keys(data.users);
    const users = logins
      .filter((l) => inScope.has(l))
      .sort()
      .map((login) => {
        const u = data.users[login]!;
        return {
          login,
          displayName: u.displayName,
          enabled: u.enabled,
          sessions: u.sessions.length,
          ...(u.disabledAt ? { disabledAt: u.disabledAt } : {}),
        };
      });
    return {
      provider: this.name,
      simulated: this.simulated,
      users,
      memberships: targets.filter((t) => t.members.length > 0 || `${t.kind}:${t.target}` in data.targets),
      outOfScopeAccounts: logins.length - users.length,
    };
  }

  async readAll(): Promise<ActualState> {
    const data = this.load();
    const targets = Object.keys(data.targets).map((key) => {
      const i = key.indexOf(':');
      return { kind: key.slice(0, i) as EntitlementKind, target: key.slice(i + 1) };
    });
    return this.read({ logins: new Set(Object.keys(data.users)), targets });
  }

  async apply(change: Change): Promise<ChangeOutcome> {
    const data = this.load();
    const outcome = this.mutate(data, change);
    if (outcome.status === 'applied') this.save(data);
    return outcome;
  }

  /** Simulates a person signing in (the demo uses it to show sessions being revoked). */
  signIn(login: string): boolean {
    const data = this.load();
    const u = data.users[login.toLowerCase()];
    if (!u?.enabled) return false;
    u.sessions.push({ id: `s${u.sessions.length + 1}`, startedAt: this.now().toISOString() });
    this.save(data);
    return true;
  }

  private mutate(data: DirectoryFile, c: Change): ChangeOutcome {
    const at = this.now().toISOString();
    const user = data.users[c.login];
    const needUser = (): ChangeOutcome | undefined =>
      this.accounts && !user
        ? { status: 'failed', error: `no account ${c.login} on ${this.name}` }
        : undefined;
    switch (c.action) {
      case 'createUser':
        if (!this.accounts) return { status: 'failed', error: `${this.name} has no accounts` };
        if (user) return { status: 'unchanged', detail: 'account exists' };
        // No password is set or shown: the first credential goes through the provider's own channel.
        data.users[c.login] = {
          displayName: c.displayName ?? c.login,
          enabled: true,
          sessions: [],
          createdAt: at,
        };
        return { status: 'applied' };
      case 'enableUser':
        if (needUser()) return needUser()!;
        if (user!.enabled) return { status: 'unchanged' };
        user!.enabled = true;
        delete user!.disabledAt;
        return { status: 'applied' };
      case 'disableUser':
        if (needUser()) return needUser()!;
        if (!user!.enabled) return { status: 'unchanged' };
        user!.enabled = false;
        user!.disabledAt = at;
        return { status: 'applied' };
      case 'revokeSessions':
        if (needUser()) return needUser()!;
        if (user!.sessions.length === 0) return { status: 'unchanged' };
        user!.sessions = [];
        return { status: 'applied' };
      case 'deleteUser':
        if (!user) return { status: 'unchanged', detail: 'already deleted' };
        delete data.users[c.login];
        for (const members of Object.values(data.targets)) {
          const i = members.indexOf(c.login);
          if (i >= 0) members.splice(i, 1);
        }
        return { status: 'applied' };
      case 'grant':
      case 'revoke':
      case 'openTicket': {
        if (!c.target) return { status: 'failed', error: `${c.action} without a target` };
        const grant = c.action === 'grant' || (c.action === 'openTicket' && c.operation === 'grant');
        if (grant && needUser()) return needUser()!;
        const key = `${c.target.kind}:${c.target.target}`;
        const members = (data.targets[key] ??= []);
        const i = members.indexOf(c.login);
        if (grant === i >= 0) return { status: 'unchanged' };
        if (grant) {
          members.push(c.login);
          members.sort();
        } else members.splice(i, 1);
        if (c.action === 'openTicket') {
          const id = `${this.name.toUpperCase()}-${String(data.tickets.length + 1).padStart(5, '0')}`;
          data.tickets.push({
            id,
            operation: c.operation!,
            login: c.login,
            target: c.target.target,
            openedAt: at,
          });
          return { status: 'applied', detail: `ticket ${id}` };
        }
        return { status: 'applied' };
      }
      default: {
        const never: never = c.action;
        return { status: 'failed', error: `unknown action ${String(never)}` };
      }
    }
  }
}
