/**
 * The embedded directory: a JSON file that behaves like an identity provider (users with an
 * enabled flag, sessions, groups, app assignments, licenses). It is the `local` provider, the
 * stand-in for any provider declared `embedded: true` (labelled simulated), and, without
 * accounts, the ledger of tickets for the `manual` provider.
 *
 * Durability: every applied change is written with write-then-rename and fsync
 * (write-file-atomic), so a crash leaves either the old or the new file, never a torn one. Two
 * runs are serialised by a lock directory next to the file (proper-lockfile through
 * ./file-lock.ts), held for a whole apply. A holder that died is recovered from in two ways: at
 * once when its owner record (`<file>.lock.owner`) names a process on this host that no longer
 * exists (a SIGKILL, an OOM kill), otherwise when the lock has not been refreshed for its stale
 * time (DIRECTORY_LOCK).
 *
 * A holder that was slow rather than dead (starved of CPU, blocked by a long step) may find its
 * lock taken over. It then writes nothing more: each write first checks the lock is still its
 * own, and a change it can no longer write fails with the reason, for the next run to apply.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { EntitlementKind, ProviderName } from '../../model/providers.js';
import type { ActualState } from '../../model/state.js';
import type { Change } from '../../plan/plan-types.js';
import { withLeaverSteps } from '../steps.js';
import type { ChangeOutcome, Provider, Scope } from '../types.js';
import { type HeldLock, holdLock, type LockTiming } from './file-lock.js';

export const DIRECTORY_SCHEMA = 'jml-embedded-directory/v1';

interface StoredUser {
  displayName: string;
  enabled: boolean;
  sessions: { id: string; startedAt: string }[];
  createdAt: string;
  disabledAt?: string;
  /**
   * The last sign-in (signIn), or null for an account created here that never signed in. Absent
   * in files written before it was recorded: the read then cannot tell, and says nothing.
   */
  lastSignIn?: string | null;
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
  /** The lock's times; tests shorten them to starve a holder quickly. */
  lock?: Partial<DirectoryLockOptions>;
}

export interface DirectoryLockOptions extends LockTiming {
  /** How long an apply waits for another process's apply to finish before giving up (ms). */
  waitMs: number;
}

/**
 * A lock not refreshed for 30 s may be taken over (the holder refreshes it every 5 s; one that
 * went 25 s without is lost, see ./file-lock.ts); an apply waits 90 s for another process's
 * apply. Applies in one process wait for each other without a limit. The times are long because
 * the plan of a large organisation is computed while the lock is held, in one synchronous step
 * that its refresh cannot interrupt; a dead holder on this host is found at once regardless.
 */
export const DIRECTORY_LOCK: DirectoryLockOptions = { staleMs: 30_000, updateMs: 5_000, waitMs: 90_000 };

/** The lock each directory file is held with by this process, by resolved path: writes check it. */
const held = new Map<string, HeldLock>();

/** Who holds a lock directory, and which one: inode numbers are reused at once, birth times are not. */
interface LockOwner {
  pid: number;
  host: string;
  token: string;
  ino: number;
  birthtimeMs: number;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the lock directory when its owner record proves the holder dead: the record is for
 * this very directory (same inode and birth time), on this host, and its process is gone. In
 * every other case (no record yet, another host, a file system without birth times) it does
 * nothing and the lock goes stale by time instead. Returns whether the lock was removed.
 */
function breakDeadLock(lockDir: string, ownerFile: string): boolean {
  const owner = readOwner(ownerFile);
  if (!owner || owner.host !== hostname() || !owner.birthtimeMs || processExists(owner.pid)) return false;
  const isOwners = () => {
    try {
      const dir = statSync(lockDir);
      return dir.ino === owner.ino && dir.birthtimeMs === owner.birthtimeMs;
    } catch {
      return false;
    }
  };
  if (!isOwners()) return false;
  try {
    // Check again right before each step: another waiter may have broken it and taken it since.
    if (readOwner(ownerFile)?.token !== owner.token) return false;
    rmSync(ownerFile, { force: true });
    if (!isOwners()) return false;
    rmdirSync(lockDir);
    return true;
  } catch {
    return false;
  }
}

/** A write refused because the lock it needed is no longer this run's. */
class LockLostError extends Error {}

function emptyDirectory(provider: ProviderName): DirectoryFile {
  return { schema: DIRECTORY_SCHEMA, provider, users: {}, targets: {}, tickets: [] };
}

export class EmbeddedDirectory implements Provider {
  readonly name: ProviderName;
  readonly simulated: boolean;
  readonly file: string;
  private readonly accounts: boolean;
  private readonly now: () => Date;
  private readonly lockOptions: DirectoryLockOptions;

  constructor(opts: EmbeddedOptions) {
    this.name = opts.name;
    this.simulated = opts.simulated;
    this.file = opts.file;
    this.accounts = opts.accounts;
    this.now = opts.now ?? (() => new Date());
    this.lockOptions = { ...DIRECTORY_LOCK, ...opts.lock };
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
    // Logins are compared case-insensitively, like every identity provider does; a hand-edited
    // file with Alice@Example.com must not look like a second person.
    data.users = Object.fromEntries(Object.entries(data.users).map(([login, u]) => [login.toLowerCase(), u]));
    for (const [key, members] of Object.entries(data.targets)) {
      data.targets[key] = [...new Set(members.map((m) => m.toLowerCase()))].sort();
    }
    return data;
  }

  /**
   * Writes the file. While this process holds its lock, the lock is checked to be still ours
   * right before the write (synchronously, so nothing of ours runs in between): a lock lost
   * since is a refused write.
   */
  private save(data: DirectoryFile): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const text = `${JSON.stringify(data, null, 1)}\n`;
    const lost = held.get(path.resolve(this.file))?.lost();
    if (lost) throw new LockLostError(this.notWritten(lost));
    writeFileAtomic.sync(this.file, text, { fsync: true });
  }

  private notWritten(why: string): string {
    return `not written to ${this.file}: ${why}. The next run applies this change`;
  }

  /**
   * Takes the lock for a whole apply, waiting for another holder (up to the lock's `waitMs` for
   * another process). After taking it, records who holds it, so that a waiter can tell a dead
   * holder from a slow one. The release leaves alone a lock that was lost meanwhile.
   */
  async lock(): Promise<() => Promise<void>> {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const key = path.resolve(this.file);
    const lockDir = `${key}.lock`;
    const ownerFile = `${lockDir}.owner`;
    const lock = await holdLock(key, {
      timing: this.lockOptions,
      waitMs: this.lockOptions.waitMs,
      onBusy: () => breakDeadLock(lockDir, ownerFile),
      busyMessage: `${this.file} is locked by another jml apply (${lockDir}); try again when it has finished`,
    });
    let owner: LockOwner;
    try {
      owner = { pid: process.pid, host: hostname(), token: randomUUID(), ...lock.identity };
      writeFileAtomic.sync(ownerFile, JSON.stringify(owner));
    } catch (e) {
      await lock.release();
      throw e;
    }
    held.set(key, lock);
    return async () => {
      if (held.get(key) === lock) held.delete(key);
      if (readOwner(ownerFile)?.token === owner.token) rmSync(ownerFile, { force: true });
      await lock.release();
    };
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
          ...(u.lastSignIn !== undefined ? { lastSignIn: u.lastSignIn } : {}),
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

  /**
   * A leaver's change records the one step it stands for (sign-in off, sessions ended, access
   * removed, ticket opened, account deleted): the directory holds no mailbox, files or devices,
   * so it claims no other step.
   */
  async apply(change: Change): Promise<ChangeOutcome> {
    // A safe point: after a long step the lock's refresh gets its turn first; a lost lock writes nothing.
    const lost = await held.get(path.resolve(this.file))?.fresh();
    if (lost) return withLeaverSteps(change, { status: 'failed', error: this.notWritten(lost) });
    const data = this.load();
    const outcome = this.mutate(data, change);
    if (outcome.status === 'applied') {
      try {
        this.save(data);
      } catch (e) {
        if (!(e instanceof LockLostError)) throw e;
        return withLeaverSteps(change, { status: 'failed', error: e.message });
      }
    }
    return withLeaverSteps(change, outcome);
  }

  /**
   * Simulates a person signing in (the demo uses it to show sessions being revoked): one more
   * session, and the account's last sign-in.
   */
  signIn(login: string): boolean {
    const data = this.load();
    const u = data.users[login.toLowerCase()];
    if (!u?.enabled) return false;
    const at = this.now().toISOString();
    u.sessions.push({ id: `s${u.sessions.length + 1}`, startedAt: at });
    u.lastSignIn = at;
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
          lastSignIn: null,
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
        const members = data.targets[key] ?? [];
        data.targets[key] = members;
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
