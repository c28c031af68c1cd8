/**
 * Terminations: an end HR sets or moves is a leaver (overdue when the SLA cannot be met, backdated
 * when the end has passed); an end HR no longer has is a cancelled termination. Once the file's
 * end has passed, access has ended: HR's date for it is history, never a new event (a file ended
 * at 17:00 by hand stays so when HR keeps only the date).
 */
import { editPersonFile, type PersonEdit } from '../people-file.js';
import { event, managerIds, type RecordRule, sla, where } from './context.js';
import { dateOf } from './record.js';

/** A termination HR gives without a date cannot be applied: a problem (unless the file already ends). */
export const unreadableTermination: RecordRule = {
  name: 'unreadableTermination',
  events: [],
  check(ctx, { r, known }) {
    if (!known || typeof known.term !== 'string') return 'next';
    if (known.endMs === undefined) ctx.found.problems.push({ ...where(ctx, r), message: known.term });
    return 'done';
  },
};

/** An end set or moved (while the file's end has not passed) is a leaver; a terminated record stops here. */
export const leaver: RecordRule = {
  name: 'leaver',
  events: ['leaver'],
  check(ctx, { r, known }) {
    if (!known) return 'next';
    const { p, text, path, term, endMs } = known;
    const { now } = ctx;
    const gone = endMs !== undefined && endMs <= now;
    if (term && typeof term !== 'string' && term.ms !== endMs && !gone) {
      const edits: PersonEdit[] = [{ set: ['employment', 'end'], value: term.instant }];
      const highRisk = p.employment.highRisk;
      ctx.found.events.push(
        event(
          'leaver',
          r,
          p.id,
          term.lastDay,
          { path, content: editPersonFile(text, edits), previous: text },
          {
            endInstant: term.instant,
            changes: [`employment.end: ${p.employment.end ?? '(none)'} -> ${term.instant}`],
            managers: managerIds(p.manager),
            overdue: term.ms <= now + sla(ctx, highRisk),
            backdated: term.ms <= now,
            highRisk,
            notes:
              term.ms <= now
                ? [`The end (${term.instant}) had already passed when HR's record reached jml.`]
                : [],
          },
        ),
      );
    }
    return r.status === 'terminated' ? 'done' : 'next';
  },
};

/** HR no longer ends a worker whose file has an end: the end is removed (access back if it passed). */
export const cancelledTermination: RecordRule = {
  name: 'cancelledTermination',
  events: ['cancelled-termination'],
  check(ctx, { r, known }) {
    if (!known) return 'next';
    const { p, text, path, term, endMs } = known;
    if (term || !p.employment.end) return 'next';
    ctx.found.events.push(
      event(
        'cancelled-termination',
        r,
        p.id,
        dateOf(r.asOf, ctx.policy.timezone),
        { path, content: editPersonFile(text, [{ remove: ['employment', 'end'] }]), previous: text },
        {
          changes: [`employment.end: ${p.employment.end} -> (none)`],
          managers: managerIds(p.manager),
          highRisk: p.employment.highRisk,
          notes:
            endMs !== undefined && endMs <= ctx.now
              ? [`The end ${p.employment.end} has passed: merging this gives ${p.id} their access back.`]
              : [],
        },
      ),
    );
    return 'next';
  },
};
