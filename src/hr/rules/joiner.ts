/**
 * A worker not in people/ (by HR id): a joiner, whose people file is written from the record
 * under the id reserved for them, or, when HR says terminated, nothing to do (counted).
 */
import type { PersonInput } from '../../model/schema.js';
import { newPersonFile } from '../people-file.js';
import {
  dependsOn,
  event,
  localToday,
  managerIds,
  managerOf,
  missingNote,
  type RecordRule,
} from './context.js';
import { displayName, origin, roleFor, terminationOf } from './record.js';

/** A record of a worker not in people/ is a joiner (a new file); a terminated one is only counted. */
export const newWorker: RecordRule = {
  name: 'newWorker',
  events: ['joiner'],
  check(ctx, { r, known }) {
    if (known) return 'next';
    if (r.status === 'terminated') {
      ctx.found.ignored++;
      return 'done';
    }
    const { policy } = ctx;
    const id = ctx.newIds.get(r.sourceId)!;
    const role = roleFor(r, policy)!;
    const m = managerOf(ctx, r);
    const term = terminationOf(r, ctx.lastDayEndsAt);
    const name = displayName(r);
    const email = r.workEmail ?? `${id}@${policy.organisation.domain}`;
    const person: PersonInput = {
      id,
      name,
      email,
      hrId: r.sourceId,
      ...(m.kind === 'person' ? { manager: m.id } : {}),
      department: r.department!,
      ...(r.jobTitle ? { title: r.jobTitle } : {}),
      employment: {
        type: r.workerType,
        start: r.startDate,
        ...(term && typeof term !== 'string' ? { end: term.instant } : {}),
        highRisk: false,
      },
      roles: [{ role, from: r.startDate }],
    };
    const path = `people/${id}.yaml`;
    ctx.found.events.push(
      event(
        'joiner',
        r,
        id,
        r.startDate,
        { path, content: newPersonFile(person, origin(r)) },
        {
          changes: [
            `new person ${id}: ${name} <${email}>, ${r.workerType}`,
            `department: ${r.department}${r.jobTitle ? `, title: ${r.jobTitle}` : ''}`,
            `manager: ${m.kind === 'person' ? m.id : '(none)'}`,
            `role: ${role} from ${r.startDate}`,
            ...(term && typeof term !== 'string' ? [`employment.end: ${term.instant}`] : []),
          ],
          managers: managerIds(m.kind === 'person' ? m.id : undefined),
          backdated: r.startDate < localToday(ctx, r.timeZone),
          dependsOn: dependsOn(m),
          notes: [
            ...missingNote(r, m, undefined),
            ...(r.rehireOf ? [`HR says this is a rehire of ${r.rehireOf}, who is not in people/.`] : []),
            ...(r.workEmail ? [] : [`HR gives no work email: ${email} was chosen.`]),
          ],
        },
      ),
    );
    return 'done';
  },
};
