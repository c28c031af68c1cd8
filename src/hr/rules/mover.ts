/**
 * A worker who stays: a new manager, department or role is a mover, effective on HR's date as of
 * its record (a pre-hire's move takes effect at the start); a changed name, email, title, worker
 * type or a start HR moved before it came is a correction. One event per record: a mover when
 * anything moved, with the corrections in it.
 */
import { editPersonFile, type PersonEdit, roleEntryNode } from '../people-file.js';
import type { HrEventKind } from '../types.js';
import { dependsOn, event, managerIds, managerOf, missingNote, type RecordRule, where } from './context.js';
import { dateOf, displayName, maxDate, roleFor, unmappedMessage } from './record.js';

/** What moved (manager, department, role) and what HR corrected become one mover or correction. */
export const moverOrCorrection: RecordRule = {
  name: 'moverOrCorrection',
  events: ['mover', 'correction'],
  check(ctx, { r, known }) {
    if (!known) return 'next';
    const { p, text, path } = known;
    const { policy } = ctx;
    // The move's date: HR's, as of its record (a pre-hire's move takes effect at the start).
    const effective = maxDate(dateOf(r.asOf, policy.timezone), r.startDate);
    const moves: PersonEdit[] = [];
    const moved: string[] = [];
    const notes: string[] = [];
    const m = managerOf(ctx, r);
    if (m.kind === 'person' && m.id !== p.manager) {
      moves.push({ set: ['manager'], value: m.id });
      moved.push(`manager: ${p.manager ?? '(none)'} -> ${m.id}`);
    }
    notes.push(...missingNote(r, m, p.manager));
    if (r.department && r.department !== p.department) {
      moves.push({ set: ['department'], value: r.department });
      moved.push(`department: ${p.department} -> ${r.department}`);
    }
    const role = roleFor(r, policy);
    const planned = p.roles[p.roles.length - 1]!;
    // Someone who has not started yet has no history to keep: their roles follow HR's start.
    const notStarted = p.employment.start > ctx.orgToday;
    const roleFrom = notStarted ? r.startDate : effective;
    if (!role) {
      ctx.found.problems.push({
        ...where(ctx, r),
        message: `${unmappedMessage(r)}; role changes of ${p.id} are not synced until it is`,
      });
    } else if (role !== planned.role) {
      // A pending role from the effective date on is replaced: HR says otherwise now.
      const kept = notStarted ? [] : p.roles.filter((x) => x.from < effective);
      const dropped = p.roles.slice(kept.length);
      const current = kept[kept.length - 1]?.role;
      // The first entry is replaced rather than removed, so the list keeps its block style.
      for (let i = p.roles.length - 1; i >= Math.max(kept.length, 1); i--)
        moves.push({ remove: ['roles', i] });
      if (current === role) {
        moved.push(
          `role: stays ${role}; the planned ${dropped.map((d) => `${d.role} from ${d.from}`).join(', ')} is withdrawn`,
        );
      } else {
        moves.push({ set: ['roles', kept.length], value: roleEntryNode(role, roleFrom) });
        moved.push(`role: ${current ?? '(none)'} -> ${role} from ${roleFrom}`);
        if (dropped.length)
          notes.push(
            `Replaces the planned ${dropped.map((d) => `${d.role} from ${d.from}`).join(', ')}: HR's job family now maps to ${role}.`,
          );
      }
    }
    const fixes: PersonEdit[] = [];
    const fixed: string[] = [];
    const fix = (
      at: string[],
      label: string,
      before: string | undefined,
      after: string | null | undefined,
    ) => {
      if (after === undefined || after === null || after === before) return;
      fixes.push({ set: at, value: after });
      fixed.push(`${label}: ${before ?? '(none)'} -> ${after}`);
    };
    fix(['name'], 'name', p.name, displayName(r));
    fix(['email'], 'email', p.email, r.workEmail);
    fix(['title'], 'title', p.title, r.jobTitle);
    fix(['employment', 'type'], 'employment.type', p.employment.type, r.workerType);
    if (r.workEmail && r.workEmail !== p.email)
      notes.push(
        'The email is the login on every identity provider: rename the accounts there before merging, or the next apply creates new ones.',
      );
    if (p.employment.type === 'contractor' && r.workerType === 'employee')
      notes.push(`${p.id} converts from contractor to employee under the same HR id.`);
    // A start HR moved before it came: the start, and the first role with it (unless the role
    // itself was just replaced, from HR's start).
    const roleReplaced = moves.some((x) => 'set' in x && x.set[0] === 'roles');
    if (r.startDate !== p.employment.start && notStarted) {
      fixes.push(
        { set: ['employment', 'start'], value: r.startDate },
        ...(roleReplaced ? [] : [{ set: ['roles', 0, 'from'], value: r.startDate }]),
      );
      fixed.push(`employment.start: ${p.employment.start} -> ${r.startDate}`);
    }
    if (moved.length || fixed.length) {
      const kind: HrEventKind = moved.length ? 'mover' : 'correction';
      ctx.found.events.push(
        event(
          kind,
          r,
          p.id,
          effective,
          { path, content: editPersonFile(text, [...moves, ...fixes]), previous: text },
          {
            changes: [...moved, ...fixed],
            managers: managerIds(p.manager, m.kind === 'person' ? m.id : undefined),
            highRisk: p.employment.highRisk,
            dependsOn: dependsOn(m),
            notes,
          },
        ),
      );
    }
    return 'done';
  },
};
