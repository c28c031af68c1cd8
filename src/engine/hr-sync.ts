/**
 * engine: `jml hr sync`, the HR system as the source of truth for people/. The snapshot (a file
 * the user named, or a source's adapter) is compared with people/ and each joiner, mover, leaver,
 * rehire, cancelled termination and correction becomes ONE pull request, idempotently; a leaver
 * whose end has passed or falls inside the SLA window is cut off every provider first.
 *
 * Phases: prepare (validated, holds read; providers connected only for a cut); who may release
 * the brake (refused before anything is read or written); the snapshot; classify
 * (src/hr/classify.ts); the brake, every cut of the run counted before the first
 * (src/hr/brake.ts). A dry run stops there. A real run tells the security team, cuts and
 * proposes (src/engine/hr-sync-run.ts). Nothing here prints: the outcome is a value the CLI
 * renders (src/cli/hr-render.ts).
 */
import type { GitHubAccess } from '../github/client.js';
import { checkHrBrake, type HrBrake, namedIds, scopesOf } from '../hr/brake.js';
import { type Classification, classify } from '../hr/classify.js';
import type { SnapshotProblem } from '../hr/snapshot.js';
import { type LoadedSnapshot, snapshotFromAdapter, snapshotFromText } from '../hr/snapshot-input.js';
import type { HrEvent } from '../hr/types.js';
import { byCodePoint } from '../model/order.js';
import type { Trigger } from '../records/schema.js';
import type { EngineContext } from './context.js';
import {
  type BrakeReport,
  type EventOutcome,
  type HrSyncGitHub,
  proposeEvents,
  type RealRunResult,
} from './hr-sync-run.js';
import { operatorOf } from './offboard.js';
import { type EngineOutcome, type Prepared, type PrepareRequest, withPrepared } from './prepare.js';

export type { BrakeReport, EventOutcome, HrSyncGitHub } from './hr-sync-run.js';

/** Where the snapshot comes from. */
export type SnapshotOrigin =
  /** A file the user named (`--snapshot`), hr-snapshot/v1 as JSON Lines or CSV; `read` gives its text. */
  | { file: string; read: () => string }
  /** An HR system of policy/jml.yaml `hr.sources` (`--source`), read by its adapter with ctx.env. */
  | { source: string };

export interface HrSyncRequest {
  /** The policy repository: a checkout. */
  root: string;
  snapshot: SnapshotOrigin;
  /** Stop after the classification and the brake: change nothing. */
  dryRun: boolean;
  /** Let the cuts through over the safety limits (a real mass departure); security team only. */
  allowMassDisable: boolean;
  /** With allowMassDisable outside GitHub Actions: the login the operator claims. */
  operator?: string;
  /** The branch the pull requests target. */
  base: string;
  /** Who and what started the run, for the records of the cuts. */
  trigger: Trigger;
  /** GitHub, where the pull requests and the security issue go; undefined when not configured. */
  github?: () => Promise<GitHubAccess<HrSyncGitHub>>;
}

/** Why a sync stopped before changing anything (exit 1). */
export type HrSyncRefusal =
  /** `--allow-mass-disable` by someone who is not a current member of the security team. */
  | { kind: 'operator-refused'; message: string }
  /** The snapshot file cannot be read, the source is unknown, or its adapter failed. */
  | { kind: 'snapshot-unreadable'; message: string }
  /** A real run with pull requests to open (or an issue) and no GitHub configured. */
  | { kind: 'github-not-configured' };

/** How a sync ended, the loudest first: the brake (security must look), a failure, skipped records, done. */
export type HrSyncStatus = 'brake' | 'failed' | 'problems' | 'done';

export interface HrSyncReport {
  /** Stopped after the classification and the brake: nothing was changed. */
  dryRun: boolean;
  /** The snapshot's usable records. */
  records: number;
  /** What classify found (its `untouched` and `ignored` are reported as they are). */
  classification: Classification;
  /** The events that go on: every one, or all but the leavers when the brake stopped the run. */
  events: HrEvent[];
  /** The records skipped (the snapshot's and classify's), by line. */
  problems: SnapshotProblem[];
  brake: BrakeReport;
  /** A real run: what happened to each of `events`, in order. */
  outcomes?: EventOutcome[];
  /** Some overdue cut was tried: the providers were connected and written to. */
  cutTried: boolean;
  status: HrSyncStatus;
}

export type HrSyncOutcome = EngineOutcome<
  { refused: HrSyncRefusal; report?: undefined } | { report: HrSyncReport; refused?: undefined }
>;

/** Compares the HR snapshot with people/ and proposes (or, dry, lists) one pull request per event. */
export function syncHr(ctx: EngineContext, req: HrSyncRequest): Promise<HrSyncOutcome> {
  const prepareRequest: PrepareRequest = { root: req.root, at: ctx.clock.now(), connect: false };
  return withPrepared(
    ctx,
    prepareRequest,
    async (p): Promise<{ refused: HrSyncRefusal } | { report: HrSyncReport }> => {
      const now = p.at;
      // --- who may release the brake: refused before anything is read or written ---------------
      let allowedBy: string | undefined;
      if (req.allowMassDisable) {
        // The same rule as jml offboard, on the people as the holds leave them (a security member
        // offboarded in an emergency is not employed, whatever their file still says).
        const operator = operatorOf(p.index, req.operator, now, 'use --allow-mass-disable', ctx.env);
        if (typeof operator === 'string') return { refused: { kind: 'operator-refused', message: operator } };
        allowedBy = operator.vouched ? operator.login : `${operator.login} (claimed with --operator)`;
      }

      // --- the snapshot --------------------------------------------------------------------------
      let snapshot: LoadedSnapshot;
      try {
        snapshot = await loadSnapshot(ctx, p, req.snapshot);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return { refused: { kind: 'snapshot-unreadable', message } };
      }

      // --- classify, against people/ as it records them ----------------------------------------
      const index = p.recorded;
      const { records, lines } = snapshot;
      const classification = classify({ index, records, policy: index.policy, now, lines });
      const problems = [...snapshot.problems, ...classification.problems].sort(
        (a, b) => (a.line ?? 0) - (b.line ?? 0) || byCodePoint(a.sourceId ?? '', b.sourceId ?? ''),
      );

      // --- the brake: every cut of this run counted before the first ----------------------------
      const source = 'source' in req.snapshot ? req.snapshot.source : undefined;
      const scopes = scopesOf(index.policy, source, records);
      const verdict = checkHrBrake({
        index,
        now,
        events: classification.events,
        held: p.standing,
        named: namedIds(records, problems),
        scopes,
      });
      const { brake, events } = braked(verdict, classification.events, allowedBy);
      const found: Found = { records: records.length, classification, events, problems };
      if (req.dryRun) return { report: reportOf(found, brake) };

      // --- a real run: GitHub is where the pull requests and the security issue go -------------
      if (!events.length && !brake.finding) return { report: reportOf(found, brake, noRun(brake)) };
      if (!req.github) return { refused: { kind: 'github-not-configured' } };
      const github = await req.github();
      const run = { github, base: req.base, trigger: req.trigger, prepareRequest, events, scopes, brake };
      return { report: reportOf(found, brake, await proposeEvents(ctx, p, run)) };
    },
  );
}

/** What the classification found, as the report gives it. */
type Found = Pick<HrSyncReport, 'records' | 'classification' | 'events' | 'problems'>;

/**
 * The brake applied to the run's events. Over a limit, the snapshot's terminations are suspect:
 * no leaver of it goes further (an overdue one would be cut, a later one would queue a pull
 * request of the same suspect data), unless security let them through. The other events are
 * pull requests that need their own approvals, so they still go.
 */
function braked(
  verdict: HrBrake,
  all: HrEvent[],
  allowedBy: string | undefined,
): { brake: BrakeReport; events: HrEvent[] } {
  const over = verdict.over.length > 0;
  const stopped = over && !allowedBy;
  const heldBack = stopped ? all.filter((e) => e.event === 'leaver') : [];
  const events = stopped ? all.filter((e) => e.event !== 'leaver') : all;
  const finding = stopped || verdict.missing.length > 0;
  return {
    brake: { verdict, stopped, ...(over && allowedBy ? { allowedBy } : {}), heldBack, finding },
    events,
  };
}

/** A real run with nothing to open or tell. */
const noRun = (brake: BrakeReport): RealRunResult => ({ brake, outcomes: [], cutTried: false });

/** The report: of a dry run (no `run`), or of a real one. */
function reportOf(found: Found, brake: BrakeReport, run?: RealRunResult): HrSyncReport {
  const failed = Boolean(run && (run.outcomes.some((o) => o.error) || run.brake.error));
  const final = run?.brake ?? brake;
  return {
    dryRun: !run,
    ...found,
    brake: final,
    ...(run ? { outcomes: run.outcomes } : {}),
    cutTried: run?.cutTried ?? false,
    status: statusOf(final, failed, found.problems),
  };
}

function statusOf(brake: BrakeReport, failed: boolean, problems: readonly SnapshotProblem[]): HrSyncStatus {
  if (brake.finding) return 'brake';
  if (failed) return 'failed';
  return problems.length ? 'problems' : 'done';
}

/** The snapshot from its origin: a file's text, or the source's adapter (loaded only then). */
async function loadSnapshot(
  ctx: EngineContext,
  p: Prepared,
  origin: SnapshotOrigin,
): Promise<LoadedSnapshot> {
  if ('file' in origin) {
    let text: string;
    try {
      text = origin.read();
    } catch (e) {
      throw new Error(`cannot read the snapshot ${origin.file}: ${(e as Error).message}`);
    }
    return snapshotFromText(text, origin.file);
  }
  const name = origin.source;
  const { policy } = p.index;
  const source = policy.hr?.sources[name];
  if (!source) {
    const known = Object.keys(policy.hr?.sources ?? {});
    throw new Error(
      `no HR source "${name}" in policy/jml.yaml hr.sources${known.length ? ` (there are: ${known.join(', ')})` : ''}`,
    );
  }
  // The adapters load only when a source is read (each may pull in a vendor client).
  const { fetchSnapshot } = await import('../hr/adapters/index.js');
  const fetched = await fetchSnapshot({
    name,
    source,
    env: ctx.env,
    root: p.root,
    orgTimeZone: policy.timezone,
    now: new Date(p.at),
  });
  return snapshotFromAdapter(fetched);
}
