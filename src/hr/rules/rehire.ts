/**
 * A rehire reuses the old people file: a record naming an earlier HR id (`rehireOf`), or a
 * worker back after a past end with a later start, whether or not the new employment already
 * has its own last day (a contractor's or an intern's fixed term). The earlier role history stays
 * in git; a role before the new start would be an error.
 */
import type { PersonEdit } from '../people-file.js';
import { editPersonFile, roleEntryNode } from '../people-file.js';
import {
  dependsOn,
  event,
  localToday,
  managerIds,
  managerOf,
  missingNote,
  type RecordRule,
  where,
} from './context.js';
import { displayName, roleFor, unmappedMessage } from './record.js';

/** A worker back (another HR id, or after a past end with a later start) is a rehire of the old file. */
export const rehire: RecordRule = {
  name: 'rehire',
  events: ['rehire'],
  check(ctx, { r, known }) {
    if (!known) return 'next';
    const { p, text, path, term, endMs } = known;
    const { now } = ctx;
    const isRehireOfOther = r.sourceId !== p.hrId;
    const cameBack =
      (!term || (typeof term !== 'string' && endMs !== undefined && term.ms > endMs)) &&
      endMs !== undefined &&
      endMs <= now &&
      r.startDate > p.employment.start &&
      r.status !== 'terminated';
    if (!isRehireOfOther && !cameBack) return 'next';
    if (r.status === 'terminated') {
      ctx.found.ignored++;
      return 'done';
    }
    const role = roleFor(r, ctx.policy);
    if (!role) {
      ctx.found.problems.push({ ...where(ctx, r), message: unmappedMessage(r) });
      return 'done';
    }
    const m = managerOf(ctx, r);
    const edits: PersonEdit[] = [
      { set: ['hrId'], value: r.sourceId },
      { set: ['name'], value: displayName(r) },
      ...(r.workEmail && r.workEmail !== p.email ? [{ set: ['email'], value: r.workEmail }] : []),
      ...(m.kind === 'person' ? [{ set: ['manager'], value: m.id }] : []),
      ...(r.department ? [{ set: ['department'], value: r.department }] : []),
      ...(r.jobTitle ? [{ set: ['title'], value: r.jobTitle }] : []),
      { set: ['employment', 'type'], value: r.workerType },
      { set: ['employment', 'start'], value: r.startDate },
      ...(term && typeof term !== 'string'
        ? [{ set: ['employment', 'end'], value: term.instant }]
        : [{ remove: ['employment', 'end'] }]),
      ...p.roles.slice(1).map((_, i) => ({ remove: ['roles', p.roles.length - 1 - i] })),
      { set: ['roles', 0], value: roleEntryNode(role, r.startDate) },
    ];
    ctx.found.events.push(
      event(
        'rehire',
        r,
        p.id,
        r.startDate,
        { path, content: editPersonFile(text, edits), previous: text },
        {
          changes: [
            `rehire of ${p.id} (${p.hrId ?? 'no earlier hrId'} -> ${r.sourceId})`,
            `employment.start: ${p.employment.start} -> ${r.startDate}`,
            ...(p.employment.end ? [`employment.end: ${p.employment.end} -> (none)`] : []),
            `roles: ${role} from ${r.startDate} (the earlier history stays in git)`,
            ...(m.kind === 'person' && m.id !== p.manager
              ? [`manager: ${p.manager ?? '(none)'} -> ${m.id}`]
              : []),
          ],
          managers: managerIds(m.kind === 'person' ? m.id : p.manager),
          backdated: r.startDate < localToday(ctx, r.timeZone),
          highRisk: p.employment.highRisk,
          dependsOn: dependsOn(m),
          notes: [
            ...missingNote(r, m, p.manager),
            ...(endMs === undefined || endMs > now
              ? [`${p.id} has not left (no past employment.end): check with HR that this is a rehire.`]
              : []),
          ],
        },
      ),
    );
    return 'done';
  },
};
