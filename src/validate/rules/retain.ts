/**
 * Exceptions across moves. A move (a roles entry after the first that changes the role) ends
 * every exception in force on its date, except those marked `retainOnMove: true` that the move
 * lists in its `retain` (the manager of record re-approves each in the pull request that adds
 * it). An exception that starts on the move date belongs to the new role and is not ended by it.
 *
 * Each id in a `retain` must name an existing exception of the same person, marked
 * retainOnMove, on a move (errors); one not in force on the move date, or already ended by an
 * earlier move, has no effect (warning). An exception that a move ends before it expires is a
 * warning on the move's line, so the pull request shows what the move takes away. Every
 * problem is a Diagnostic at the line of the `retain` id or the move's roles entry.
 */
import type { Repository } from '../../load/load-repo.js';
import type { Located } from '../../load/source.js';
import type { Exception, Person } from '../../model/schema.js';
import { instantMs } from '../../model/time.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import type { Emit } from '../emit.js';
import type { ValidationRule } from './context.js';

/** Whether roles entry `i` is a move: after the first, and to a different role. */
function isMove(roles: Person['roles'], i: number): boolean {
  return i > 0 && roles[i]!.role !== roles[i - 1]!.role;
}

/** Checks every `retain` and warns about every exception a move ends. `at` is the check time. */
function validateRetain(repo: Repository, index: RepoIndex, at: number, emit: Emit): void {
  const exceptions = new Map<string, Located<Exception>>();
  for (const e of repo.exceptions) if (!exceptions.has(e.value.id)) exceptions.set(e.value.id, e);
  for (const p of repo.people) {
    checkRetainIds(p, exceptions, repo.broken.exceptions, emit);
    checkMoves(p, index, at, emit);
  }
}

/** References: each id exists, is this person's, is retainOnMove, and sits on a move. */
function checkRetainIds(
  p: Located<Person>,
  exceptions: ReadonlyMap<string, Located<Exception>>,
  broken: ReadonlySet<string>,
  emit: Emit,
): void {
  const { roles } = p.value;
  roles.forEach((r, i) => {
    if (!r.retain?.length) return;
    if (!isMove(roles, i))
      emit(
        'error',
        'retain-not-a-move',
        p,
        ['roles', i, 'retain'],
        i === 0
          ? `The first roles entry is where employment starts, not a move, so it has no exception to retain.`
          : `This entry keeps the role ${r.role} of the entry before it, so it is not a move and ends no exception; retain has nothing to keep.`,
        'Remove retain here, and list the exceptions on the entry of the move (the one that changes the role).',
        true,
      );
    r.retain.forEach((id, j) => {
      const x = exceptions.get(id);
      const path = ['roles', i, 'retain', j];
      if (!x) {
        // A file that failed to load is reported on its own; its id is not unknown.
        if (!broken.has(id))
          emit(
            'error',
            'unknown-exception',
            p,
            path,
            `The exception "${id}" is not a file in exceptions/.`,
            `Use the id of one of ${p.value.id}'s exceptions (exceptions/<id>.yaml), or remove it from retain.`,
          );
        return;
      }
      if (x.value.person !== p.value.id)
        emit(
          'error',
          'retain-other-person',
          p,
          path,
          `${id} is an exception of ${x.value.person}, not of ${p.value.id}; a move can only keep the person's own exceptions.`,
          `Remove ${id} from retain. If ${p.value.id} needs the same access, it takes a new exception for them, approved again.`,
        );
      else if (!x.value.retainOnMove)
        emit(
          'error',
          'retain-not-allowed',
          p,
          path,
          `${id} is not marked retainOnMove, so it ends with any move and cannot be retained (${x.src.path}).`,
          `If its approvers agree it may outlive a change of role, set retainOnMove: true in ${x.src.path}; otherwise remove it from retain and let it end.`,
        );
    });
  });
}

/** Each exception through each move: kept, ended (warning), or listed in vain (warning). */
function checkMoves(p: Located<Person>, index: RepoIndex, at: number, emit: Emit): void {
  const { roles, employment } = p.value;
  const endMs = employment.end ? instantMs(employment.end) : undefined;
  for (const x of index.exceptionsByPerson.get(p.value.id) ?? []) {
    const { id, from, expires, retainOnMove } = x.value;
    let endedBy: number | undefined; // the roles entry whose move ended it
    roles.forEach((r, i) => {
      if (!isMove(roles, i)) return;
      const moveMs = index.clock.dayStart(r.from);
      if (endMs !== undefined && endMs <= moveMs) return; // gone before the move
      const listed = r.retain?.indexOf(id) ?? -1;
      const noEffect = (why: string) => {
        // Only a listing that passed the reference checks gets a second word.
        if (listed >= 0 && retainOnMove)
          emit(
            'warning',
            'retain-no-effect',
            p,
            ['roles', i, 'retain', listed],
            `${id} ${why}, so retaining it on the move to ${r.role} on ${r.from} has no effect.`,
            `Remove ${id} from retain.`,
          );
      };
      if (!(from <= r.from && r.from < expires)) {
        noEffect(from > r.from ? `starts on ${from}, after this move` : `expires on ${expires}`);
        return;
      }
      if (endedBy !== undefined) {
        const earlier = roles[endedBy]!;
        noEffect(`already ended with the move to ${earlier.role} on ${earlier.from}`);
        return;
      }
      // Approved to start on the move date: it belongs to the new role.
      if (from === r.from) return;
      if (listed >= 0 && retainOnMove) return;
      endedBy = i;
      // A listing without retainOnMove is an error already; it says what to do.
      if (listed >= 0) return;
      const past = moveMs <= at;
      emit(
        'warning',
        'exception-ends-on-move',
        p,
        ['roles', i],
        `Exception ${id} (${x.value.entitlements.join(', ')}) ${past ? 'ended' : 'ends'} on ${r.from} with the move to ${r.role}, before it expires on ${expires}: a move ends every exception it does not retain.`,
        retainOnMove
          ? `If ${p.value.name} still needs it in the new role, add it to this entry's retain (retain: [${id}]) for the manager to re-approve; otherwise let it end (and delete ${x.src.path} after the move).`
          : `If ${p.value.name} still needs it in the new role, set retainOnMove: true in ${x.src.path} and add it to this entry's retain (retain: [${id}]) for the manager to re-approve; otherwise let it end (and delete ${x.src.path} after the move).`,
      );
    });
  }
}

/** A move's retain names exceptions it may keep; what a move ends is shown (a warning) on its line. */
export const retainedExceptions: ValidationRule = {
  name: 'retainedExceptions',
  rules: [
    'unknown-exception',
    'retain-other-person',
    'retain-not-allowed',
    'retain-not-a-move',
    'retain-no-effect',
    'exception-ends-on-move',
  ],
  check({ repo, index, at, emit }) {
    validateRetain(repo, index, at, emit);
  },
};
