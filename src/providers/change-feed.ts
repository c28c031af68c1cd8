/**
 * Reading what changed instead of everything (issue 18): a connector whose vendor offers a change
 * feed (Graph delta queries, Okta's searchable `lastUpdated` / `lastMembershipUpdated` and System
 * Log, Google's Reports API) can read only the changes since a checkpoint and fold them into the
 * state it saved last time. `jml drift` uses it; plan and apply never do: every write is planned
 * from a fresh bulk `read` (src/engine/drift-state.ts says why and how).
 *
 * What a connector saves is its own business (ids, delta links, instants): the engine keeps it as
 * opaque JSON beside the instant of the last full read, and gives it back unchanged. The connector
 * checks it (zod) before trusting it, and starts over with a full read whenever it cannot: no
 * saved state, a state it does not understand, or a feed that says "start over".
 */
import type { ActualState } from '../model/state.js';
import type { Provider, Scope } from './types.js';

/** JSON a connector saves between runs: its snapshot of the scope and its feed's checkpoint. */
export type SavedFeed = unknown;

/** Why a read was a full one instead of the changes since the checkpoint. */
export type FullReadReason =
  /** Nothing saved yet (the first run, an evicted cache), or the saved state belongs elsewhere. */
  | 'no-checkpoint'
  /** The saved state could not be understood (another version, a corrupt file): read afresh. */
  | 'unreadable-checkpoint'
  /** The vendor says the checkpoint is no longer valid (Graph: syncStateNotFound, 410 Gone). */
  | 'feed-restart'
  /** The last full read is older than the safety net allows (a day). */
  | 'daily'
  /** The catalog's targets or the connection changed since the state was saved. */
  | 'scope-changed'
  /** Asked for (`jml drift --full`). */
  | 'asked'
  /** The provider has no change feed: every read is a full one. */
  | 'no-feed'
  /**
   * The provider has one, but refused it to these credentials (a scope or privilege not granted):
   * every read is a full one until it is granted (docs/drift.md says which).
   */
  | 'feed-refused';

/** One read through the feed: the state now, what to save for next time, and how it was read. */
export type FeedRead =
  | { mode: 'incremental'; actual: ActualState; saved: SavedFeed; changes: number }
  | { mode: 'full'; actual: ActualState; saved: SavedFeed; reason: FullReadReason };

/** A provider that can read the changes since a checkpoint. */
export interface ChangeFeed {
  /**
   * The managed scope's state now. With `saved` (what the last call returned), only the changes
   * since then are read and folded into it; without it, or when the vendor says the checkpoint
   * is no longer valid, everything is read afresh (`mode: 'full'`), as `read` would, and a new
   * checkpoint is taken. The `actual` returned equals what `read(scope)` would return now, but
   * for what `read` reports and plans never use (last sign-ins).
   */
  readChanges(scope: Scope, saved: SavedFeed | undefined): Promise<FeedRead>;
}

/** Whether a provider offers a change feed. */
export function hasChangeFeed(p: Provider): p is Provider & ChangeFeed {
  return typeof (p as Partial<ChangeFeed>).readChanges === 'function';
}
