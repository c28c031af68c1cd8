/**
 * The heart of `jml hr sync`, pure: an HR snapshot against people/ -> the joiner, mover, leaver,
 * rehire, cancelled-termination and correction events it asks for, each with the people file as
 * it would be after the change (one pull request each), plus the records that could not be used.
 *
 * Matching is by the HR system's immutable id only (`hrId` in people/ === `sourceId`), never by
 * email or name: a rename is a correction, not a new person, and a rehire finds the old file.
 *
 * Phases: index people by hrId; reserve ids for joiners (so a manager who is new in the same
 * snapshot can be referred to) (src/hr/rules/context.ts); then each record, in sourceId order,
 * meets the rules of src/hr/rules/index.ts (joiner, rehire, leaver, cancelled termination,
 * mover or correction) and becomes zero or more events; last, the events are ordered.
 * Order and ids depend only on the inputs, so the same snapshot gives the same events, byte for
 * byte (the idempotency the pull requests rely on).
 */
import { byCodePoint } from '../model/order.js';
import type { Policy } from '../model/schema.js';
import { instantMs } from '../model/time.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { classifyContext, type KnownWorker } from './rules/context.js';
import { RECORD_RULES } from './rules/index.js';
import { terminationOf } from './rules/record.js';
import type { HrRecord, SnapshotProblem } from './snapshot.js';
import type { HrEvent } from './types.js';

export { displayName, idempotencyKey, roleFor, type Termination, terminationOf } from './rules/record.js';

export interface ClassifyInput {
  index: RepoIndex;
  records: readonly HrRecord[];
  policy: Policy;
  /** The instant of the sync (epoch ms): what is overdue or backdated is judged against it. */
  now: number;
  /** Where each record is in the snapshot, by sourceId, so that problems can name the line. */
  lines?: ReadonlyMap<string, number>;
}

export interface Classification {
  events: HrEvent[];
  problems: SnapshotProblem[];
  /** People in people/, not gone, whom no record of the snapshot names: never touched. */
  untouched: string[];
  /** Terminated records of workers never in people/: nothing to do, counted. */
  ignored: number;
}

/** Classifies a snapshot: each usable record meets the rules in order until one settles it. */
export function classify(input: ClassifyInput): Classification {
  const ctx = classifyContext(input);
  const seen = new Set<string>();
  for (const r of ctx.records) {
    seen.add(r.sourceId);
    if (ctx.unusable.has(r.sourceId)) continue;
    const located = ctx.byHrId.get(r.sourceId) ?? ctx.rehireOf.get(r.sourceId);
    const known: KnownWorker | undefined = located && {
      located,
      p: located.value,
      text: located.src.text,
      path: located.src.path,
      term: terminationOf(r, ctx.lastDayEndsAt),
      endMs: located.value.employment.end ? instantMs(located.value.employment.end) : undefined,
    };
    const view = known ? { r, known } : { r };
    for (const rule of RECORD_RULES) if (rule.check(ctx, view) === 'done') break;
  }
  // People the snapshot does not mention: never touched.
  const untouched = [...input.index.people.values()]
    .filter((p) => !(p.value.hrId && seen.has(p.value.hrId)))
    .filter((p) => !p.value.employment.end || instantMs(p.value.employment.end) > input.now)
    .map((p) => p.value.id)
    .sort();
  const { events, problems, ignored } = ctx.found;
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || byCodePoint(a.sourceId ?? '', b.sourceId ?? ''));
  return { events: orderEvents(events), problems, untouched, ignored };
}

/**
 * Managers' own events first (a report's pull request names them): by the depth of the chain of
 * new managers each depends on, then by person, kind and date.
 */
function orderEvents(events: HrEvent[]): HrEvent[] {
  const byPerson = new Map<string, HrEvent>();
  for (const e of events) if (e.event === 'joiner') byPerson.set(e.person, e);
  const depth = new Map<string, number>();
  const depthOf = (e: HrEvent, visiting: Set<string>): number => {
    const known = depth.get(e.person);
    if (known !== undefined) return known;
    let d = 0;
    visiting.add(e.person);
    for (const dep of e.dependsOn) {
      const m = byPerson.get(dep);
      if (m && !visiting.has(dep)) d = Math.max(d, 1 + depthOf(m, visiting));
    }
    visiting.delete(e.person);
    depth.set(e.person, d);
    return d;
  };
  const keyed = events.map((e) => ({ e, d: e.dependsOn.length ? depthOf(e, new Set()) : 0 }));
  keyed.sort(
    (a, b) =>
      a.d - b.d ||
      byCodePoint(a.e.person, b.e.person) ||
      byCodePoint(a.e.event, b.e.event) ||
      byCodePoint(a.e.effective, b.e.effective),
  );
  return keyed.map((k) => k.e);
}
