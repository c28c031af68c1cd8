/**
 * engine: emergency offboarding, the part `jml offboard` and `jml hr sync` share: who may run it
 * (operatorOf), cutting a person off every provider now (cutAccessNow), and the record of a hold
 * announced or lifted (recordHold). The rest of `jml offboard` moves here next.
 */
import { type ApplyOutcome, runApply } from '../apply/apply.js';
import type { RunClock } from '../apply/leaver-schedule.js';
import { instantMs, toIso } from '../model/time.js';
import { restrictPlan } from '../plan/build-plan.js';
import { type ApplyRecord, type OffboardEntry, RECORD_SCHEMA, type Trigger } from '../records/schema.js';
import { writeRecord } from '../records/store.js';
import { withHolds } from '../resolve/holds.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { type Prepared, planFrom, readActual, recordsDir } from './prepare.js';

/**
 * Who is running this: the GitHub actor in Actions (GitHub vouches for it), else the login given
 * with --operator (recorded as claimed: whoever runs jml locally already holds the providers'
 * credentials). Must be a person in people/ on policy teams.security, employed at `now` (someone
 * who has left keeps no say, even while their GitHub login still works). `may` ends the refusal
 * ("only the security team may offboard"). Shared by every security-only switch (jml offboard,
 * jml hr sync --allow-mass-disable), so there is one rule.
 */
export function operatorOf(
  index: RepoIndex,
  claimed: string | undefined,
  now: number,
  may = 'offboard',
): { login: string; person: string; vouched: boolean } | string {
  const env = process.env;
  // On a re-run GitHub keeps the first run's actor; who clicked is the triggering actor, and that
  // is who must be on the security team.
  const actor = env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR;
  const vouched = Boolean(env.GITHUB_ACTIONS && actor);
  const login = vouched ? actor! : claimed;
  if (!login)
    return 'who is running this? Outside GitHub Actions give --operator <your GitHub login> (it is recorded).';
  const person = [...index.people.values()].find(
    (p) => p.value.github?.toLowerCase() === login.toLowerCase(),
  );
  if (!person)
    return `${login} is not the GitHub login of anyone in people/: only the security team may ${may}.`;
  if (!index.policy.teams.security.includes(person.value.id))
    return `${login} (${person.value.id}) is not on the security team (policy/jml.yaml teams.security): only the security team may ${may}.`;
  const { start, end } = person.value.employment;
  if (index.clock.dayStart(start) > now || (end !== undefined && instantMs(end) <= now))
    return `${login} (${person.value.id}) is not employed now (people/${person.value.id}.yaml employment): only a current member of the security team may ${may}.`;
  return { login, person: person.value.id, vouched };
}

/**
 * Cuts a person off every provider at `entry.at`, before people/ says so: they are held as a
 * high-risk leaver from that instant (the record written is the hold), and only their part of
 * the plan is applied. Used by `jml offboard --now` and by `jml hr sync` for a termination that
 * is already overdue.
 */
export async function cutAccessNow(
  p: Prepared,
  entry: OffboardEntry,
  trigger: Trigger,
  clock: RunClock,
): Promise<ApplyOutcome> {
  entry.employmentStart ??= p.index.people.get(entry.person)?.value.employment.start;
  const held: Prepared = {
    ...p,
    index: withHolds(p.index, new Map([[entry.person, { ...entry, record: '(this run)' }]])).index,
  };
  const at = Date.parse(entry.at);
  return runApply({
    providers: held.providers,
    policy: held.index.policy,
    flags: { allowMassDisable: false, allowMassRemoval: false, allowDelete: false },
    readActual: () => readActual(held),
    plan: (actual) => restrictPlan(planFrom(held, actual, at), new Set([entry.person])),
    recordDir: recordsDir(held.root, held.index),
    trigger,
    offboard: entry,
    now: () => new Date(clock.now()),
  });
}

/**
 * Writes a record without changes that carries an offboarding entry: a hold announced before the
 * cut (`intent`), or the lifting of one (`cancelled`). Returns the record's path.
 */
export function recordHold(p: Prepared, entry: OffboardEntry, trigger: Trigger, clock: RunClock): string {
  const now = toIso(clock.now());
  const employmentStart = entry.employmentStart ?? p.index.people.get(entry.person)?.value.employment.start;
  const record: ApplyRecord = {
    schema: RECORD_SCHEMA,
    startedAt: now,
    finishedAt: now,
    trigger,
    commit: p.commit,
    at: now,
    planFingerprint: null,
    result: 'no-changes',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    offboard: { ...entry, ...(employmentStart ? { employmentStart } : {}) },
  };
  return writeRecord(recordsDir(p.root, p.index), record);
}
