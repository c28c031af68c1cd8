/**
 * engine: the state `jml drift` keeps between scheduled runs, so that a quiet organisation's
 * drift check costs what changed, not the whole scope (issue 18).
 *
 * Each provider with a change feed (src/providers/change-feed.ts) saves, in one file per provider
 * under the state directory (default `.jml/drift/`, git-ignored; the scheduled workflow keeps it
 * in the Actions cache, docs/drift.md says why), its snapshot of the scope and its feed's
 * checkpoint, beside the instant of its last full read. The next run reads only the changes since
 * the checkpoint, unless:
 * - there is no saved state, or it cannot be read, or it was saved for another connection or
 *   another catalog (the targets): a full read;
 * - the last full read is older than a day: a full read, the safety net against a feed that
 *   missed something (the vendors' feeds are not transactional, and a restored account can come
 *   back without an event);
 * - the feed itself says start over (an expired Graph delta link): the connector reads in full;
 * - `jml drift --full` asks for one.
 *
 * Only drift reads through here. **Writes are never planned from this state**: plan, apply,
 * leavers and offboard read the providers afresh (prepare.ts `readActual`), so a wrong or forged
 * state can hide drift until the next full read, never cause a write.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { byCodePoint } from '../model/order.js';
import type { ProviderName } from '../model/providers.js';
import type { ActualState } from '../model/state.js';
import { type FullReadReason, hasChangeFeed, type SavedFeed } from '../providers/change-feed.js';
import { scopeFor } from '../providers/registry.js';
import type { Prepared } from './prepare.js';

/** The safety net: a full read at least this often, whatever the feed says. */
export const FULL_READ_EVERY_MS = 24 * 60 * 60 * 1000;

/** One provider's saved state, as the file holds it. */
const driftStateFile = z.strictObject({
  schema: z.literal('jml-drift-state/v1'),
  provider: z.string(),
  /** Digest of the provider's connection (policy/jml.yaml section) and the catalog's targets on it. */
  scope: z.string(),
  /** The last full read: the next one is due a day later. */
  fullReadAt: z.iso.datetime(),
  /** The last read of any kind. */
  readAt: z.iso.datetime(),
  /** The connector's own snapshot and checkpoint, checked by the connector. */
  feed: z.unknown(),
});
type DriftStateFile = z.infer<typeof driftStateFile>;

/** How one provider was read for this drift check, and how fresh its state is. */
export interface ProviderRead {
  provider: ProviderName;
  mode: 'full' | 'incremental';
  /** Why a full read (absent for an incremental one). */
  reason?: FullReadReason;
  /** Changes the feed reported since the checkpoint (incremental reads). */
  changes?: number;
  /** When the state was read: now, for both modes (the feed is read now, not replayed). */
  readAt: string;
  /** The last full read; with a feed, the next one is due by `fullReadDue`. */
  lastFullReadAt: string;
  fullReadDue?: string;
  /** A state that could not be saved: the next run reads in full (the run itself is fine). */
  saveProblem?: string;
}

export interface DriftStateOptions {
  /** Where the state files are kept. */
  dir: string;
  /** Read everything even with a valid checkpoint (`jml drift --full`), and save a new one. */
  full?: boolean;
  now: number;
}

/** The actual state of every prepared provider for drift: through its feed when it has one. */
export async function readForDrift(
  p: Prepared,
  opts: DriftStateOptions,
): Promise<{ actual: ActualState[]; reads: ProviderRead[] }> {
  const results = await Promise.all(p.providers.map((provider) => readOne(p, provider, opts)));
  return { actual: results.map((r) => r.actual), reads: results.map((r) => r.read) };
}

async function readOne(
  p: Prepared,
  provider: Prepared['providers'][number],
  opts: DriftStateOptions,
): Promise<{ actual: ActualState; read: ProviderRead }> {
  const now = new Date(opts.now).toISOString();
  const scope = scopeFor(p.index, provider.name);
  if (!hasChangeFeed(provider)) {
    const actual = await provider.read(scope);
    return {
      actual,
      read: { provider: provider.name, mode: 'full', reason: 'no-feed', readAt: now, lastFullReadAt: now },
    };
  }
  const file = stateFile(opts.dir, provider.name);
  const key = scopeKey(p, provider.name, scope.targets);
  const loaded = loadState(file);
  let reason: FullReadReason | undefined;
  if (opts.full) reason = 'asked';
  else if (loaded === 'missing') reason = 'no-checkpoint';
  else if (loaded === 'unreadable' || loaded.provider !== provider.name) reason = 'unreadable-checkpoint';
  else if (loaded.scope !== key) reason = 'scope-changed';
  else if (opts.now - Date.parse(loaded.fullReadAt) >= FULL_READ_EVERY_MS) reason = 'daily';
  const saved: SavedFeed | undefined =
    reason === undefined && typeof loaded === 'object' ? loaded.feed : undefined;

  const r = await provider.readChanges(scope, saved);
  const full = r.mode === 'full';
  const lastFullReadAt = full || typeof loaded !== 'object' ? now : loaded.fullReadAt;
  const read: ProviderRead = {
    provider: provider.name,
    mode: r.mode,
    ...(full ? { reason: reason ?? r.reason } : { changes: r.changes }),
    readAt: now,
    lastFullReadAt,
    fullReadDue: new Date(Date.parse(lastFullReadAt) + FULL_READ_EVERY_MS).toISOString(),
  };
  const problem = saveState(file, {
    schema: 'jml-drift-state/v1',
    provider: provider.name,
    scope: key,
    fullReadAt: lastFullReadAt,
    readAt: now,
    feed: r.saved,
  });
  return { actual: r.actual, read: problem ? { ...read, saveProblem: problem } : read };
}

function stateFile(dir: string, provider: ProviderName): string {
  return path.join(dir, `${provider}.json`);
}

/**
 * What a saved state is valid for: the provider's connection as policy/jml.yaml declares it (a
 * state of another tenant must never stand for this one) and the catalog's targets on it.
 */
function scopeKey(
  p: Prepared,
  name: ProviderName,
  targets: readonly { kind: string; target: string }[],
): string {
  const connection = (p.index.policy.providers as Record<string, unknown>)[name] ?? null;
  const keys = targets.map((t) => `${t.kind}:${t.target}`).sort(byCodePoint);
  return createHash('sha256')
    .update(JSON.stringify({ connection, targets: keys }))
    .digest('hex');
}

function loadState(file: string): DriftStateFile | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const parsed = driftStateFile.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/** Written whole or not at all (write-file-atomic, as every other state file of jml). */
function saveState(file: string, state: DriftStateFile): string | undefined {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic.sync(file, JSON.stringify(state));
    return undefined;
  } catch (e) {
    return `could not save ${file}: ${e instanceof Error ? e.message : String(e)}`;
  }
}
