/**
 * engine: emergency offboarding (`jml offboard`), and the part `jml hr sync` shares with it: who
 * may run it (operatorOf), cutting a person off every provider now (cutAccessNow), and the record
 * of a hold announced or lifted (recordHold).
 *
 * Access is cut first, on every provider, before any pull request exists: the person is treated
 * as a high-risk leaver ending now (an offboarding hold, src/resolve/holds.ts), and that part of
 * the plan is applied. Then the termination is written into people/: by a pull request through
 * the GitHub port, labelled for review after the fact, or (without GitHub) as an edit of the
 * checkout for the operator to commit, so git stays the source of truth. Only the security team
 * may run it; the apply record names who did and why.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import writeFileAtomic from 'write-file-atomic';
import { type ApplyOutcome, runApply } from '../apply/apply.js';
import type { RunClock } from '../apply/leaver-schedule.js';
import { recordClock, recordTimes } from '../apply/replay.js';
import type { GitHubAccess, GitHubClient } from '../github/client.js';
import { employedAt } from '../hr/brake.js';
import { editPolicyYaml } from '../load/write-yaml.js';
import { toIso } from '../model/time.js';
import { restrictPlan } from '../plan/build-plan.js';
import { type ApplyRecord, type OffboardEntry, RECORD_SCHEMA, type Trigger } from '../records/schema.js';
import { amendRecord, writeRecord } from '../records/store.js';
import { withHolds } from '../resolve/holds.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import type { EngineContext } from './context.js';
import {
  type EngineOutcome,
  type Prepared,
  planFrom,
  readActual,
  recordsDir,
  withPrepared,
} from './prepare.js';

/** The labels of the pull request that records an emergency offboarding. */
export const OFFBOARD_LABELS = ['jml', 'jml:leaver', 'emergency-offboarding', 'review-after-the-fact'];

/**
 * Who is running this: the GitHub actor in Actions (GitHub vouches for it), else the login given
 * with --operator (recorded as claimed: whoever runs jml locally already holds the providers'
 * credentials). Must be a person in people/ on policy teams.security, employed at `now` (someone
 * who has left keeps no say, even while their GitHub login still works). `may` ends the refusal
 * ("only the security team may offboard"). Shared by every security-only switch (jml offboard,
 * jml hr sync --allow-mass-disable), so there is one rule.
 *
 * `env` is the use case's environment (EngineContext.env), never process.env: in Actions
 * (GITHUB_ACTIONS) only GITHUB_TRIGGERING_ACTOR, else GITHUB_ACTOR, counts.
 */
export function operatorOf(
  index: RepoIndex,
  claimed: string | undefined,
  now: number,
  may: string,
  env: NodeJS.ProcessEnv,
): { login: string; person: string; vouched: boolean } | string {
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
  if (!employedAt(index, person.value, now))
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
    clock: recordClock(clock),
  });
}

/**
 * Writes a record without changes that carries an offboarding entry: a hold announced before the
 * cut (`intent`), or the lifting of one (`cancelled`). Returns the record's path.
 */
export function recordHold(p: Prepared, entry: OffboardEntry, trigger: Trigger, clock: RunClock): string {
  const rc = recordClock(clock);
  const wall = rc.wall();
  const { simulated, ...times } = recordTimes(rc, wall, wall);
  const employmentStart = entry.employmentStart ?? p.index.people.get(entry.person)?.value.employment.start;
  const record: ApplyRecord = {
    schema: RECORD_SCHEMA,
    ...times,
    trigger,
    commit: p.commit,
    at: toIso(rc.now()),
    planFingerprint: null,
    result: 'no-changes',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    offboard: { ...entry, ...(employmentStart ? { employmentStart } : {}) },
    ...(simulated ? { simulated } : {}),
  };
  return writeRecord(recordsDir(p.root, p.index), record);
}

/** What offboarding asks of GitHub: the pull request that writes the termination into people/. */
export type OffboardGitHub = Pick<GitHubClient, 'proposeFileChanges'>;

export interface OffboardRequest {
  /** The policy repository: a checkout. */
  root: string;
  /** The person's id (people/<id>.yaml). */
  person: string;
  /** Why, for the record and the pull request (a ticket id). */
  reason: string;
  /**
   * `cut`: access now, then the pull request (--now). `hold-only`: only record the hold, which
   * the workflow keeps on the evidence branch before the cut. `cancel`: lift an earlier hold.
   */
  mode: 'cut' | 'hold-only' | 'cancel';
  /** The login given with --operator, outside GitHub Actions (recorded as claimed). */
  claimedOperator?: string;
  /** Who and what started the run; its actor and reason are the operator's and `reason`. */
  trigger: Trigger;
  /** The branch the pull request targets. */
  base: string;
  /**
   * The GitHub port, opened only after the cut (so that nothing about GitHub can delay or stop
   * it); absent when GitHub is not configured, and the checkout's people file is edited instead.
   */
  github?: () => Promise<GitHubAccess<OffboardGitHub>>;
}

/** Why offboarding did nothing: nothing was changed. */
export type OffboardRefusal =
  /** The argument names nobody in people/. */
  | { kind: 'no-such-person'; person: string }
  /** The operator may not offboard (operatorOf's reason). */
  | { kind: 'operator'; message: string }
  /** The operator named themselves. */
  | { kind: 'self' };

/** Where the termination was written after the cut. */
export type TerminationProposal =
  | { kind: 'pull-request'; pullRequest: NonNullable<OffboardEntry['pullRequest']> }
  /** GitHub is not configured: the people file was edited in the checkout (`file`, relative). */
  | { kind: 'edited'; file: string }
  /** The pull request failed after access was cut: the error, for the CLI to report after the cut. */
  | { kind: 'failed'; error: unknown };

export type OffboardResult =
  | { kind: 'refused'; refusal: OffboardRefusal }
  /** A hold recorded (`hold-only`) or lifted (`cancel`); `file` is the record, relative to the root. */
  | { kind: 'hold-recorded' | 'hold-lifted'; person: string; file: string }
  /** Access was cut (`outcome`, whose record carries the entry), then the termination proposed. */
  | { kind: 'cut'; outcome: ApplyOutcome; proposal: TerminationProposal };

export type OffboardOutcome = EngineOutcome<{ offboard: OffboardResult }>;

/** To the second: the instant people/ will record, so that the merged file and the hold agree. */
const toTheSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Offboards a person in an emergency: checks who asks (operatorOf, never themselves), then cuts
 * access and proposes the termination, or records or lifts a hold.
 */
export function offboard(ctx: EngineContext, req: OffboardRequest): Promise<OffboardOutcome> {
  const { clock } = ctx;
  return withPrepared(ctx, { root: req.root, at: clock.now() }, async (p) => {
    const refused = (refusal: OffboardRefusal) => ({ offboard: { kind: 'refused' as const, refusal } });
    // --- who, and whom ---------------------------------------------------------------------
    const located = p.index.people.get(req.person);
    if (!located) return refused({ kind: 'no-such-person', person: req.person });
    const operator = operatorOf(p.index, req.claimedOperator, clock.now(), 'offboard', ctx.env);
    if (typeof operator === 'string') return refused({ kind: 'operator', message: operator });
    if (operator.person === req.person) return refused({ kind: 'self' });
    const requestedBy = operator.vouched ? operator.login : `${operator.login} (claimed with --operator)`;
    const trigger = { ...req.trigger, actor: requestedBy, reason: req.reason };

    if (req.mode !== 'cut') {
      // A record without changes: the cancellation of a hold, or a hold announced before the
      // cut (the workflow pushes it to the evidence branch first, so that an apply starting
      // meanwhile on another runner already honours it).
      const entry: OffboardEntry = {
        person: req.person,
        at: toIso(toTheSecond(clock.now())),
        reason: req.reason,
        requestedBy,
        operator: operator.person,
        ...(req.mode === 'cancel' ? { cancelled: true as const } : { intent: true as const }),
      };
      const file = path.relative(p.root, recordHold(p, entry, trigger, clock));
      const kind = req.mode === 'cancel' ? ('hold-lifted' as const) : ('hold-recorded' as const);
      return { offboard: { kind, person: req.person, file } };
    }

    // --- cut access now ------------------------------------------------------------------------
    const at = toTheSecond(clock.now());
    const entry: OffboardEntry = {
      person: req.person,
      at: toIso(at),
      reason: req.reason,
      requestedBy,
      operator: operator.person,
    };
    const outcome = await cutAccessNow(p, entry, trigger, clock);

    // --- then the termination, in people/ --------------------------------------------------
    let proposal: TerminationProposal;
    try {
      proposal = await proposeTermination(p, req, { entry, operator: operator.person, outcome });
    } catch (error) {
      // Access is cut and its record written: the CLI reports the cut, then this error.
      proposal = { kind: 'failed', error };
    }
    return { offboard: { kind: 'cut' as const, outcome, proposal } };
  });
}

/**
 * Writes the termination (employment.end at the cut, to the second in the organisation's zone,
 * and highRisk) into the person's file: by pull request through the GitHub port, with the rest of
 * the security team asked to review and the pull request linked from the apply record; without
 * GitHub, in the checkout.
 */
async function proposeTermination(
  p: Prepared,
  req: OffboardRequest,
  cut: { entry: OffboardEntry; operator: string; outcome: ApplyOutcome },
): Promise<TerminationProposal> {
  const { entry, outcome } = cut;
  const located = p.index.people.get(req.person)!;
  const end = DateTime.fromMillis(Date.parse(entry.at), { zone: p.index.policy.timezone }).toISO({
    suppressMilliseconds: true,
  })!;
  const file = located.src.path;
  const content = editPolicyYaml(readFileSync(path.join(p.root, file), 'utf8'), [
    [['employment', 'end'], end],
    [['employment', 'highRisk'], true],
  ]);
  if (!req.github) {
    writeFileAtomic.sync(path.join(p.root, file), content);
    return { kind: 'edited', file };
  }
  const { client, owner, repo } = await req.github();
  const security = p.index.policy.teams.security
    .filter((id) => id !== cut.operator && id !== req.person)
    .map((id) => p.index.people.get(id)?.value.github)
    .filter((l): l is string => Boolean(l));
  const { pullRequest } = await client.proposeFileChanges(owner, repo, {
    branch: `jml/offboard/${req.person}`,
    base: req.base,
    title: `Emergency offboarding: ${located.value.name} (${req.person}), for review after the fact`,
    body: offboardBody(located.value.name, req.person, entry, outcome.record, file),
    message: `Record the emergency offboarding of ${req.person} at ${end} (${req.reason})`,
    labels: OFFBOARD_LABELS,
    reviewers: security,
    files: [{ path: file, content }],
  });
  outcome.record = amendRecord(outcome.recordFile, (r) => ({ ...r, offboard: { ...entry, pullRequest } }));
  return { kind: 'pull-request', pullRequest };
}

/** The pull request's body: who cut whose access when and why, each change made, what to review. */
function offboardBody(
  name: string,
  person: string,
  entry: OffboardEntry,
  record: ApplyRecord,
  file: string,
): string {
  const rows = record.changes.map(
    (c) =>
      `| ${c.provider} | ${c.action}${c.entitlement ? ` ${c.entitlement}` : ''} | ${c.status}${c.error ? `: ${c.error}` : ''} | ${c.finishedAt} |`,
  );
  return [
    `**${name} (${person}) was offboarded in an emergency** at ${entry.at} by @${entry.requestedBy.split(' ')[0]}.`,
    '',
    `Reason: ${entry.reason}`,
    '',
    `Access was cut on every provider before this pull request existed (apply result: **${record.result}**):`,
    '',
    '| provider | change | result | confirmed |',
    '|---|---|---|---|',
    ...(rows.length ? rows : ['| (none) | nothing was left to remove | | |']),
    '',
    `This pull request writes the termination into \`${file}\` (employment.end, highRisk) so git stays the source of truth.`,
    'Until it merges, an offboarding hold keeps the access cut: no scheduled apply gives it back.',
    '',
    '**Review after the fact**: HR confirms the end time, security confirms the reason. If this was a mistake, close this',
    `pull request and run \`jml offboard ${person} --cancel --reason ...\` (the offboarding workflow with cancel).`,
  ].join('\n');
}
