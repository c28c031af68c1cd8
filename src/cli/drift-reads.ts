/**
 * cli: how `jml drift` says how it read each provider (incrementally through its change feed, or
 * in full and why) and how fresh that state is, so the drift issue tells a reader what the
 * finding (or the absence of one) rests on.
 */
import type { ProviderRead } from '../engine/drift-state.js';

const WHY: Record<NonNullable<ProviderRead['reason']>, string> = {
  'no-checkpoint': 'no saved state yet',
  'unreadable-checkpoint': 'the saved state could not be read',
  'feed-restart': 'the change feed asked to start over',
  daily: 'the daily full read',
  'scope-changed': 'the catalog or the connection changed',
  asked: 'asked for',
  'no-feed': 'this provider has no change feed',
  'feed-refused': 'the provider refused its change feed to these credentials; grant it as docs/drift.md says',
};

/** "3 h 20 min" between two instants, at most two units. */
function age(fromIso: string, toIso: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** One line per provider, e.g. `entra: incremental, 3 change(s) since the last run; last full read 2 h ago`. */
export function renderDriftReads(reads: readonly ProviderRead[], bullet: string): string {
  const lines = reads.map((r) => {
    const how =
      r.mode === 'incremental'
        ? `incremental, ${r.changes ?? 0} change(s) since the last run; state as of ${r.readAt}, last full read ${age(r.lastFullReadAt, r.readAt)} ago (${r.lastFullReadAt}), next full read due by ${r.fullReadDue}`
        : `full read (${WHY[r.reason ?? 'asked']}) at ${r.readAt}`;
    const problem = r.saveProblem ? `; warning: ${r.saveProblem}, so the next run reads in full` : '';
    return `${bullet}${r.provider}: ${how}${problem}\n`;
  });
  return `How each provider was read:\n${lines.join('')}`;
}
