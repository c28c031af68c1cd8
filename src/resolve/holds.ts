/**
 * Offboarding holds in force (src/model/holds.ts): pure. The index is read-only; `withHolds`
 * returns a new one in which each held person ends at the hold's instant (or at their own earlier
 * end) and is high-risk. A hold only ever ends access earlier, never later, so it is harmless
 * once the termination is in people/. Reading the holds is the record store's (src/records/holds.ts).
 */
import type { Hold } from '../model/holds.js';
import { instantMs } from '../model/time.js';
import type { RepoIndex } from './repo-index.js';

export interface HeldIndex {
  /** A new index: the people map copied, each held person's employment changed. */
  index: RepoIndex;
  /** The holds that changed something, for a notice. */
  applied: Hold[];
}

/**
 * The index with each hold in force: the person ends at the hold's instant (or at their own
 * earlier end) and is high-risk. A hold made during an earlier employment (the person was rehired
 * since) changes nothing. `index` itself is not changed.
 */
export function withHolds(index: RepoIndex, holds: ReadonlyMap<string, Hold>): HeldIndex {
  const people = new Map(index.people);
  const applied: Hold[] = [];
  for (const hold of holds.values()) {
    const located = people.get(hold.person);
    if (!located) continue;
    const { employment } = located.value;
    // Rehired since: the hold belonged to the earlier employment.
    if (hold.employmentStart && employment.start > hold.employmentStart) continue;
    if (
      employment.end !== undefined &&
      instantMs(employment.end) <= instantMs(hold.at) &&
      employment.highRisk
    )
      continue;
    const end =
      employment.end !== undefined && instantMs(employment.end) <= instantMs(hold.at)
        ? employment.end
        : hold.at;
    people.set(hold.person, {
      ...located,
      value: { ...located.value, employment: { ...employment, end, highRisk: true } },
    });
    applied.push(hold);
  }
  return { index: { ...index, people }, applied };
}
