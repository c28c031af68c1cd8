/**
 * A lock file that cannot kill a run (issue 16). proper-lockfile holds a lock as a directory
 * (`<file>.lock`) whose mtime the holder refreshes every `updateMs`; another process takes over a
 * lock not refreshed for `staleMs`. When the holder's refresh misses that deadline (a long
 * synchronous step, a machine so busy the process gets no CPU) and the lock is taken over,
 * proper-lockfile calls `onCompromised`, whose default throws from a timer: the run dies
 * mid-write. Here nothing throws. The loss is kept, and the holder asks `lost()` right before
 * each write: a lost lock stops the writes of its scope (an embedded directory file, one
 * leaver), the run records why, and the next run finishes the work (every apply is idempotent).
 *
 * A lock is lost when proper-lockfile says so, when its directory is gone or is another's (its
 * inode, birth time and the mtime this holder last set: inode numbers are reused at once), or
 * when it went unrefreshed for longer than `staleMs - updateMs` (seen at its next refresh, or by
 * a write that comes first): from then on another run may have taken it over, or may at any
 * moment, and a write of this run could land in the middle of that run's. A late lock stays lost
 * even when its refresh lands after all: the rest of the scope is left to the next run.
 *
 * Within one process, holders of the same lock queue for it here and never race through the
 * file system: their event loop is the same one, so when one is late the other is too, and a
 * takeover between them would only be a race between two of the process's own timers.
 */
import fs, { statSync } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';

export interface LockTiming {
  /** Another process may take the lock over when it has not been refreshed for this long (ms). */
  staleMs: number;
  /** The holder refreshes it this often (ms). */
  updateMs: number;
}

export interface HoldOptions {
  timing: LockTiming;
  /** How long to wait for another process's lock before giving up (ms). */
  waitMs: number;
  /** Another process holds the lock: return true to try again at once (a dead holder was cleared). */
  onBusy?: () => boolean;
  /** The error's message when the wait is over. */
  busyMessage: string;
}

/** A lock this process took. */
export interface HeldLock {
  /** The lock directory. */
  readonly dir: string;
  /** The lock directory's inode and birth time as taken: which directory is this holder's. */
  readonly identity: { ino: number; birthtimeMs: number };
  /** Another run held it first (in this process or another): what it did may be done already. */
  readonly waited: boolean;
  /**
   * Why the lock is no longer this run's, or undefined while it is. Looks at the lock directory
   * now: call it right before a write. Once lost, a lock stays lost for the rest of the run.
   */
  lost(): string | undefined;
  /**
   * At a safe point after a long step: waits (on the lock's own refresh, never on a fixed sleep)
   * until an overdue refresh has landed, then says what `lost()` says.
   */
  fresh(): Promise<string | undefined>;
  /** Lets the lock go. A lost lock's directory is another run's now and is left alone. Never throws a loss. */
  release(): Promise<void>;
}

/** proper-lockfile's floors: it refuses a stale time under 2 s and refreshes at most every second. */
export function effectiveTiming(t: LockTiming): LockTiming {
  const staleMs = Math.max(t.staleMs, 2_000);
  return { staleMs, updateMs: Math.max(Math.min(t.updateMs, staleMs / 2), 1_000) };
}

/** The tail of each lock's queue of holders in this process, by lock directory. */
const queues = new Map<string, Promise<void>>();

/** Waits for this process's previous holder of `key` to let go; returns how to let go in turn. */
async function takeTurn(key: string): Promise<{ waited: boolean; done: () => void }> {
  const before = queues.get(key);
  let done!: () => void;
  const mine = new Promise<void>((resolve) => {
    done = resolve;
  });
  const tail = (before ?? Promise.resolve()).then(() => mine);
  queues.set(key, tail);
  if (before) await before;
  return {
    waited: before !== undefined,
    done: () => {
      done();
      if (queues.get(key) === tail) queues.delete(key);
    },
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/**
 * Takes the lock of `file` (the directory `<file>.lock`): first this process's turn, then the
 * directory, waiting up to `waitMs` for another process. Throws only when it cannot be taken.
 */
export async function holdLock(file: string, opts: HoldOptions): Promise<HeldLock> {
  const resolved = path.resolve(file);
  const dir = `${resolved}.lock`;
  const turn = await takeTurn(dir);
  try {
    return await acquire(resolved, dir, opts, turn);
  } catch (e) {
    turn.done();
    throw e;
  }
}

async function acquire(
  file: string,
  dir: string,
  opts: HoldOptions,
  turn: { waited: boolean; done: () => void },
): Promise<HeldLock> {
  const timing = effectiveTiming(opts.timing);
  /** The longest a held lock may go without a refresh: then it is late, and lost. */
  const limit = timing.staleMs - timing.updateMs;
  const late = (gap: number) =>
    `its lock ${dir} went ${seconds(gap)} s without a refresh, past the ${seconds(limit)} s it may: ` +
    'the process was starved of CPU or blocked, and another run may take the lock over';
  let reason: string | undefined;
  let identity: { ino: number; birthtimeMs: number } | undefined;
  /** The mtimes this holder set on the directory: the last confirmed one, and one in flight. */
  let setMtime: number | undefined;
  let pendingMtime: number | undefined;
  let refreshedAt = 0;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const lose = (why: string): string => {
    reason ??= why;
    wake();
    return reason;
  };
  const isOurs = (): boolean => {
    try {
      const st = statSync(dir);
      const mtime = st.mtime.getTime();
      return (
        identity !== undefined &&
        st.ino === identity.ino &&
        st.birthtimeMs === identity.birthtimeMs &&
        (mtime === setMtime || mtime === pendingMtime)
      );
    } catch {
      return false;
    }
  };
  // proper-lockfile does its file system work through this: it learns of each refresh, and once
  // the lock is held it removes the directory (on release, or at process exit) only while the
  // directory is still this holder's, never the one another run has taken over since.
  const guarded = {
    ...fs,
    utimes(p: fs.PathLike, atime: Date, mtime: Date, cb: (err: NodeJS.ErrnoException | null) => void) {
      if (p === dir) pendingMtime = mtime.getTime();
      // The refresh comes: if it comes too late, the lock was another run's for the taking.
      if (p === dir && identity && Date.now() - refreshedAt > limit) lose(late(Date.now() - refreshedAt));
      fs.utimes(p, atime, mtime, (err) => {
        if (!err && p === dir) {
          setMtime = mtime.getTime();
          if (identity) {
            refreshedAt = Date.now();
            wake();
          }
        }
        cb(err);
      });
    },
    rmdir(p: fs.PathLike, cb: (err: NodeJS.ErrnoException | null) => void) {
      if (identity && p === dir && !isOurs()) return cb(null);
      fs.rmdir(p, cb);
    },
    rmdirSync(p: fs.PathLike) {
      if (identity && p === dir && !isOurs()) return;
      fs.rmdirSync(p);
    },
  };

  let waited = turn.waited;
  const deadline = Date.now() + opts.waitMs;
  let release: () => Promise<void>;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      release = await lockfile.lock(file, {
        realpath: false,
        stale: timing.staleMs,
        update: timing.updateMs,
        retries: 0,
        fs: guarded,
        onCompromised: (e: Error) => {
          lose(`its lock ${dir} was taken over or removed by another run (${e.message})`);
        },
      });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      waited = true;
      if (opts.onBusy?.()) continue;
      if (Date.now() + delay > deadline) throw new Error(opts.busyMessage);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const st = statSync(dir);
  identity = { ino: st.ino, birthtimeMs: st.birthtimeMs };
  // As proper-lockfile keeps it (a file system with whole seconds rounds what its probe set).
  setMtime = st.mtime.getTime();
  refreshedAt = Date.now();

  let released = false;
  const held: HeldLock = {
    dir,
    identity,
    waited,
    lost() {
      if (reason) return reason;
      let mtime: number;
      try {
        mtime = statSync(dir).mtime.getTime();
      } catch {
        return lose(`its lock ${dir} was removed by someone else`);
      }
      if (!isOurs()) return lose(`another run took over its lock ${dir}`);
      const age = Date.now() - mtime;
      return age > limit ? lose(late(age)) : undefined;
    },
    async fresh() {
      for (;;) {
        const why = held.lost();
        if (why) return why;
        if (Date.now() - refreshedAt <= 2 * timing.updateMs) return undefined;
        // The refresh is overdue: its timer gets its turn now. Woken by the refresh or a loss;
        // the bound only re-checks the age when neither comes.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, timing.updateMs);
          t.unref();
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await release();
      } catch (e) {
        // A lock proper-lockfile found compromised is released already; a lost one is not ours to remove.
        if (!reason && (e as NodeJS.ErrnoException).code !== 'ERELEASED') throw e;
      } finally {
        wake();
        turn.done();
      }
    },
  };
  return held;
}
