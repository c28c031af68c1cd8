/**
 * The apply record: what one run did to the providers, written whatever happened (src/apply) and
 * kept as evidence. This zod schema is the one source of its shape: every type below is inferred
 * from it, and every record read back (holds, review remediation, the evidence pack, the GitHub
 * steps) is validated with it instead of being cast.
 *
 * Objects are not strict: a field added by a later version of jml is ignored on read, so older
 * engines still read newer records. There are no defaults and no transforms: a value that parses
 * is the record as written, field for field (src/records/store.ts relies on it to amend a record
 * without reordering its JSON).
 */
import { z } from 'zod';
import { ACTIONS, type JmlEvent } from '../plan/plan-types.js';
import { LEAVER_STEPS, type StepOutcome as ProviderStepOutcome } from '../providers/types.js';

export const RECORD_SCHEMA = 'jml-apply-record/v1';

/** Who and what started a run. Never includes secrets. */
export const trigger = z.object({
  actor: z.string(),
  command: z.string(),
  ci: z.boolean(),
  runUrl: z.string().optional(),
  /** Why the run was started by hand (`jml offboard --reason`). */
  reason: z.string().optional(),
});
export type Trigger = z.infer<typeof trigger>;

/** An emergency offboarding (`jml offboard`): who ran it, why, and the pull request that records it. */
export const offboardEntry = z.object({
  person: z.string(),
  /** The instant access was cut: the termination the pull request writes into people/. */
  at: z.string(),
  reason: z.string(),
  /** GitHub login (or local operator) who ran it; checked against policy teams.security. */
  requestedBy: z.string(),
  /** Person id of the operator in people/. */
  operator: z.string(),
  /** Set when the run lifts an earlier hold (`jml offboard --cancel`). */
  cancelled: z.literal(true).optional(),
  /** Set on the hold recorded before the cut (`jml offboard --hold-only`): it stands by itself. */
  intent: z.literal(true).optional(),
  /**
   * The person's `employment.start` when the hold was made: a later start in people/ is a new
   * employment (a rehire), which the old hold must not keep cut off.
   */
  employmentStart: z.string().optional(),
  pullRequest: z.object({ number: z.number(), url: z.string() }).optional(),
});
/** An emergency offboarding (`jml offboard`): who ran it, why, and the pull request that records it. */
export type OffboardEntry = z.infer<typeof offboardEntry>;

/** A safety guard that refused the plan (src/apply/guards.ts). */
export const guardViolation = z.object({
  guard: z.enum(['protected-account', 'mass-removal', 'mass-disable', 'account-deletion']),
  message: z.string(),
  /** The flag that overrides it, if any. */
  flag: z.string().optional(),
});
export type GuardViolation = z.infer<typeof guardViolation>;

/** The plan's event a change belongs to (plan-types `JmlEvent`), as the record keeps it. */
export const jmlEvent = z.object({
  kind: z.enum(['joiner', 'mover', 'leaver', 'pre-start', 'update', 'unknown-account']),
  /** Date (YYYY-MM-DD) or instant of the event, when it has one. */
  date: z.string().optional(),
  /** A high-risk leaver: the tighter SLA applies. */
  highRisk: z.literal(true).optional(),
});

/**
 * One step of a leaver's checklist a provider took with a change (providers/types `StepOutcome`).
 * `manual`: handed to a person; `skipped`: nothing to do.
 */
export const stepOutcome = z.object({
  step: z.enum(LEAVER_STEPS),
  status: z.enum(['applied', 'unchanged', 'failed', 'skipped', 'manual']),
  /** ISO instant the provider confirmed this step (or the engine gave up on it). */
  at: z.string(),
  detail: z.string().optional(),
});

export const changeStatus = z.enum(['applied', 'unchanged', 'failed', 'skipped']);
export type ChangeStatus = z.infer<typeof changeStatus>;

/** One change of the plan as it went: when, with what status, and the leaver steps it took. */
export const changeResult = z.object({
  id: z.string(),
  action: z.enum(ACTIONS),
  provider: z.string(),
  person: z.string().nullable(),
  login: z.string(),
  entitlement: z.string().optional(),
  /** For openTicket: whether the ticket asks to grant or to remove access. */
  operation: z.enum(['grant', 'revoke']).optional(),
  event: jmlEvent,
  /**
   * When the change was handed to its provider. A provider working on several at once (bounded
   * concurrency, Graph `$batch`) may queue it for a moment; `finishedAt` is when the provider
   * reported it done, which is the time that counts for a leaver's SLA.
   */
  startedAt: z.string(),
  finishedAt: z.string(),
  status: changeStatus,
  detail: z.string().optional(),
  error: z.string().optional(),
  /** A leaver's checklist steps the provider took with this change, each with its outcome. */
  steps: z.array(stepOutcome).optional(),
});
/** One change of the plan as it went: when, with what status, and the leaver steps it took. */
export type ChangeResult = z.infer<typeof changeResult>;

/** One provider's confirmations for a leaver (src/apply/leaver-timing.ts). */
export const providerConfirmation = z.object({
  provider: z.string(),
  /**
   * When the provider confirmed sign-in was off (applied, or found already off): the
   * `disable-sign-in` step's time when the provider reports steps, else the change's end.
   */
  disabledAt: z.string().optional(),
  /** When it confirmed sessions and tokens were revoked. */
  sessionsRevokedAt: z.string().optional(),
  /** When its last group, app or license removal for the person finished. */
  accessRemovedAt: z.string().optional(),
  /** Changes of the person on this provider that failed or were skipped: change ids. */
  failed: z.array(z.string()),
});
/** One provider's confirmations for a leaver (src/apply/leaver-timing.ts). */
export type ProviderConfirmation = z.infer<typeof providerConfirmation>;

/**
 * A leaver a run acted on: when their access was due to end, when each provider confirmed the
 * disable and the session revocation, the lag, and whether the SLA held (src/apply/leaver-timing.ts).
 * Every instant here is on the run's clock: the wall clock, or on a replay (`simulated` on the
 * record) the simulated clock, so that a replay's lag is the engine's own and never negative.
 */
export const leaverTiming = z.object({
  person: z.string(),
  highRisk: z.boolean(),
  /** The `employment.end` instant (UTC ISO). */
  scheduledAt: z.string(),
  /** When the termination reached the repository, recorded only when after `scheduledAt`. */
  knownAt: z.string().optional(),
  backdated: z.boolean(),
  slaMinutes: z.number(),
  /** The SLA deadline: the later of `scheduledAt` and `knownAt`, plus `slaMinutes`. */
  deadline: z.string(),
  providers: z.array(providerConfirmation),
  /** The last provider confirmation of disable and revocation; null until every one succeeded. */
  confirmedAt: z.string().nullable(),
  /** Seconds from `scheduledAt` to `confirmedAt`; never negative: 0 when confirmed early. */
  lagSeconds: z.number().nullable(),
  /**
   * Present when access was confirmed cut before `scheduledAt` (an emergency offboarding, a plan
   * for a later instant applied now): by how many seconds. `lagSeconds` is then 0. Absent from
   * records written before it existed, whose negative lags were replays (see `simulatedClock`).
   */
  confirmedEarlySeconds: z.number().optional(),
  /** null: not confirmed yet and the deadline has not passed. */
  withinSla: z.boolean().nullable(),
  /** Why the SLA is breached, in a sentence, when `withinSla` is false. */
  breach: z.string().optional(),
});
/**
 * A leaver a run acted on: when their access was due to end, when each provider confirmed the
 * disable and the session revocation, the lag, and whether the SLA held.
 */
export type LeaverTiming = z.infer<typeof leaverTiming>;

/** What a review run did with a quarter's items (src/review/apply.ts). */
export const reviewRemediation = z.object({
  quarter: z.string(),
  /** `decided`: the reviewers' revokes; `no-response`: the policy at the due date. */
  reason: z.enum(['decided', 'no-response']),
  /**
   * Every item this run settled: `revoked` on its provider by this record's changes, `proposed`
   * to git by the pull request named (an exception ends, a role template changes), or `kept` at
   * the due date because nobody decided it (noResponse: keep, a finding).
   */
  items: z.array(
    z.object({
      id: z.string(),
      outcome: z.enum(['revoked', 'proposed', 'kept']),
      pullRequest: z.string().optional(),
    }),
  ),
});
/** What a review run did with a quarter's items (src/review/apply.ts). */
export type ReviewRemediation = z.infer<typeof reviewRemediation>;

/**
 * A replay: a run that plans for a time away from the wall clock by more than a minute
 * (src/apply/replay.ts `REPLAY_TOLERANCE_MS`): `jml apply --at T`, `jml review apply|due --at T`,
 * or a run on a simulated clock (the demo's `jml leavers`). The simulated clock is the wall clock
 * plus `offsetMs`, constant for the run. Which clock each field of such a record is on:
 * - wall clock (when it really ran): the record's `startedAt` and `finishedAt` (so its file name
 *   and its place among records), and what later steps of the run add from GitHub or the wall
 *   clock (`workIssues` openedAt, `approval.capturedAt`).
 * - simulated clock (compared with the plan's instants): `at` (the plan's T), every change's
 *   `startedAt`/`finishedAt`, every step's `at` (providers stamp the wall clock; the record moves
 *   them onto the simulated one), every `leavers` field (confirmations, `deadline`, `lagSeconds`,
 *   `withinSla`, `breach`), and an offboarding's `offboard.at`.
 * Leaver timings of a replay are therefore the engine's real lag, never negative; the evidence
 * pack marks such runs and never counts them as SLA evidence. Absent on a run at now.
 */
export const simulatedClock = z.object({
  /** The simulated instant the run started at: its `--at` (or its simulated clock's now). */
  startedAt: z.string(),
  /** The simulated instant it finished at: `startedAt` plus the wall-clock duration. */
  finishedAt: z.string(),
  /** Simulated minus wall clock, in ms: add it to a wall-clock time to get the simulated one. */
  offsetMs: z.number(),
});
export type SimulatedClock = z.infer<typeof simulatedClock>;

/** One review of the merged pull request as it stood at merge (src/approvals/reviews.ts). */
export const reviewAtMerge = z.object({
  login: z.string(),
  state: z.enum(['APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED']),
  /** The commit it was given on. */
  commitId: z.string(),
  submittedAt: z.string(),
  /** The person the login maps to on the base branch, if any. */
  person: z.string().nullable(),
  /** Whether it counted: the reviewer's latest, an approval of the merged head, not by the author. */
  counts: z.boolean(),
  /** Why it counts or not ("approval of an older commit", "the author's own"). */
  why: z.string(),
});
export type ReviewAtMerge = z.infer<typeof reviewAtMerge>;

/** One requirement of the approvals verdict at merge and who satisfied it (approvals/types `Requirement`). */
export const requirementAtMerge = z.object({
  rule: z.string(),
  file: z.string(),
  line: z.number(),
  change: z.string(),
  description: z.string(),
  status: z.enum(['met', 'missing', 'not-checked']),
  satisfiedBy: z.string().nullable(),
  why: z.string(),
});

/**
 * The approval evidence of the commit an apply on merge applied, captured when it happened
 * (`jml github merge-evidence`, the apply workflow's step after the apply): the pull request that
 * merged it, its author, every review standing at merge, each changed person's manager of record
 * on the base branch, and the approvals verdict recomputed from the base and the merged head with
 * the rule each approver satisfied. The evidence pack reads it first, so approvals are evidenced
 * from git plus the records alone; GitHub's API only fills in what predates it.
 */
export const mergeEvidence = z.object({
  /** The commit the run applied (the push's head). */
  commit: z.string(),
  /** Every commit the push brought onto the branch (first parent..commit), the merge's own last. */
  commits: z.array(z.string()),
  /** The branch's commit before the push (the merge's first parent): the base the verdict is judged on. */
  baseCommit: z.string().nullable(),
  /** When this evidence was read (wall clock). */
  capturedAt: z.string(),
  /** The pull request that merged `commit`; null when none did (pushed without a pull request). */
  pullRequest: z
    .object({
      number: z.number(),
      url: z.string(),
      title: z.string(),
      /** Who opened it: the requester. */
      author: z.string(),
      /** The head commit that was merged. */
      headSha: z.string(),
      createdAt: z.string().nullable(),
      mergedAt: z.string().nullable(),
      mergedBy: z.string().nullable(),
      /** For a pull request `jml hr sync` opened: the HR record (`source:sourceId`) in its marker. */
      hrRecord: z.string().optional(),
    })
    .nullable(),
  /** Why `pullRequest` is null, in a sentence. */
  noPullRequest: z.string().optional(),
  /** Every submitted review, oldest first, with whether it counted at merge. */
  reviews: z.array(reviewAtMerge),
  /** Each person the push changed, with their manager of record on the base branch. */
  managers: z.array(
    z.object({
      person: z.string(),
      /** Person id of the manager of record on the base branch; null for a new joiner's first manager or none. */
      manager: z.string().nullable(),
      managerLogin: z.string().nullable(),
    }),
  ),
  /** The approvals verdict at merge; null when it could not be computed (`verdictError` says why). */
  verdict: z
    .object({
      approved: z.boolean(),
      requirements: z.array(requirementAtMerge),
    })
    .nullable(),
  verdictError: z.string().optional(),
});
/** The approval evidence of a merge, captured when it happened (see `mergeEvidence`). */
export type MergeEvidence = z.infer<typeof mergeEvidence>;

/** A manual-work ticket as jml saw it: when it was opened and, once closed, when and by whom. */
export const ticketState = z.object({
  person: z.string(),
  app: z.string(),
  url: z.string(),
  /** grant or revoke: a leaver's removal ticket is `revoke`. */
  operation: z.enum(['grant', 'revoke']).optional(),
  state: z.enum(['open', 'closed']),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
  closedBy: z.string().nullable(),
  /** When jml read this state. */
  observedAt: z.string(),
});
export type TicketState = z.infer<typeof ticketState>;

/** A joiner's day-one confirmation as jml saw it on its issue (`jml github day-one-status`). */
export const dayOneState = z.object({
  person: z.string(),
  url: z.string(),
  /** When the joiner's access was granted (the issue's start of the SLA). */
  grantedAt: z.string(),
  dueAt: z.string(),
  confirmedAt: z.string().nullable(),
  confirmedBy: z.string().nullable(),
  reviewedAt: z.string().nullable(),
  reviewedBy: z.string().nullable(),
  /** Entitlements the manager flagged as wrong (`/wrong`). */
  flagged: z.array(z.string()),
  state: z.enum(['open', 'closed']),
  /** When jml read this state. */
  observedAt: z.string(),
});
export type DayOneState = z.infer<typeof dayOneState>;

export const applyResult = z.enum(['applied', 'partial', 'no-changes', 'refused', 'stale', 'error']);
export type ApplyResult = z.infer<typeof applyResult>;

/**
 * The apply record. Rules: written once per run, in a `finally`, whatever happened; `result`
 * says how the run ended (a `stale` or `refused` run changed nothing); `changes` are in apply order;
 * later steps of the same run may add `workIssues`, an offboarding's pull request or `review`,
 * never rewrite what the run did (src/records/store.ts `amendRecord`).
 */
export const applyRecord = z.object({
  schema: z.literal(RECORD_SCHEMA),
  startedAt: z.string(),
  finishedAt: z.string(),
  trigger,
  /** Git commit of the repository the plan was made from, null outside a git checkout. */
  commit: z.string().nullable(),
  /** The time T of the plan, null when the run stopped before it had one. */
  at: z.string().nullable(),
  planFingerprint: z.string().nullable(),
  result: applyResult,
  guards: z.array(guardViolation),
  error: z.string().optional(),
  counts: z.object({
    applied: z.number(),
    unchanged: z.number(),
    failed: z.number(),
    skipped: z.number(),
  }),
  changes: z.array(changeResult),
  /** GitHub issues for the manual work this apply left, linked by `jml github work-issues`. */
  workIssues: z
    .array(
      z.object({
        person: z.string(),
        app: z.string(),
        url: z.string(),
        /** When the issue was opened (an existing one: when it was first opened). */
        openedAt: z.string().optional(),
      }),
    )
    .optional(),
  /** Each leaver this run acted on: scheduled instant, confirmations per provider, lag, SLA. */
  leavers: z.array(leaverTiming).optional(),
  /** Present on an emergency offboarding's record. */
  offboard: offboardEntry.optional(),
  /**
   * Present on a record of `jml review apply` or `jml review due`: the access review items of
   * `quarter` this run acted on (revoked here, or by the pull requests listed), and those kept at
   * the due date because nobody decided them (a finding).
   */
  review: reviewRemediation.optional(),
  /** Present on a replay (`--at` away from the wall clock): the run's times on the simulated clock. */
  simulated: simulatedClock.optional(),
  /** Present on an apply on merge: the approval evidence of the commit applied, captured at merge. */
  approval: mergeEvidence.optional(),
  /**
   * Present on a record of `jml github ticket-status`: the manual-work tickets whose state jml
   * read, so that ticket state survives without the GitHub API.
   */
  tickets: z.array(ticketState).optional(),
  /**
   * Present on a record of `jml github day-one-status`: each joiner's day-one confirmation as read,
   * so that it survives without the GitHub API.
   */
  dayOne: z.array(dayOneState).optional(),
});
/** The apply record of one run (see `applyRecord`). */
export type ApplyRecord = z.infer<typeof applyRecord>;

// The record keeps the plan's events and the providers' steps as they are: the same shapes.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameEvent: Same<z.infer<typeof jmlEvent>, JmlEvent> = true;
const sameSteps: Same<z.infer<typeof stepOutcome>, ProviderStepOutcome> = true;
void sameEvent;
void sameSteps;
