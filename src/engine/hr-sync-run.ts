/**
 * engine: the real run of `jml hr sync`, once the snapshot is classified and the brake has
 * counted the cuts (src/engine/hr-sync.ts). The security team hears first (the brake's issue,
 * or the override noted on it), so that GitHub failing halfway never leaves the brake
 * unreported; then each event in order: an overdue leaver is cut off every provider (the hold
 * first, then the cut: src/engine/offboard.ts), and the event's one pull request is opened or
 * updated (src/hr/propose.ts), which the hold then names.
 */
import path from 'node:path';
import type { ApplyOutcome } from '../apply/apply.js';
import type { GitHubAccess, GitHubClient } from '../github/client.js';
import {
  brakeMarker,
  type HrBrake,
  renderBrakeIssue,
  renderOverrideNote,
  type SnapshotScope,
  securityLogins,
} from '../hr/brake.js';
import { type BrakeIssueGitHub, noteOverride, raiseBrakeIssue } from '../hr/brake-issue.js';
import { type CutReport, proposeEvent } from '../hr/propose.js';
import type { HrEvent } from '../hr/types.js';
import { toIso } from '../model/time.js';
import type { OffboardEntry, Trigger } from '../records/schema.js';
import { amendRecord } from '../records/store.js';
import type { EngineContext } from './context.js';
import { cutAccessNow, recordHold } from './offboard.js';
import { connectProviders, type Prepared, type PrepareRequest } from './prepare.js';

/**
 * What a real run asks of GitHub (src/github/client.ts): who may be asked to review, the open
 * pull requests' branches, one pull request per event, and the brake's issue.
 */
export type HrSyncGitHub = Pick<
  GitHubClient,
  'permissionOf' | 'openPullRequestBranches' | 'proposeFileChanges'
> &
  BrakeIssueGitHub;

/** The brake as a run reports it. */
export interface BrakeReport {
  verdict: HrBrake;
  /** The cuts were over a limit and held back, with every leaver of the run. */
  stopped: boolean;
  /** Over a limit, and let through with --allow-mass-disable by this login. */
  allowedBy?: string;
  heldBack: HrEvent[];
  /** Security must look: the cuts were stopped, or the snapshot lacks workers (exit 4). */
  finding: boolean;
  issue?: { number: number; url: string; action: string };
  error?: string;
}

/** What happened to one event in a real run. */
export interface EventOutcome {
  event: HrEvent;
  /** An overdue leaver's cut: made now (with its result and record), or by an earlier run. */
  cut?: CutReport & { record?: string };
  pullRequest?: { number: number; url: string; action: string };
  error?: string;
}

export interface RealRun {
  github: GitHubAccess<HrSyncGitHub>;
  /** The branch the pull requests target. */
  base: string;
  /** Who and what started the run, for the records of the cuts. */
  trigger: Trigger;
  /** How the repository was prepared (without providers): the first cut connects them alike. */
  prepareRequest: PrepareRequest;
  /** The events that go on (the brake may have held the leavers back). */
  events: HrEvent[];
  scopes: SnapshotScope[];
  brake: BrakeReport;
}

export interface RealRunResult {
  /** The brake with what the security issue said (or why it could not). */
  brake: BrakeReport;
  /** Each of the run's events, in order. */
  outcomes: EventOutcome[];
  /** Some overdue cut was tried: the providers were connected and written to. */
  cutTried: boolean;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Tells the security team, then cuts and proposes each event in turn. */
export async function proposeEvents(ctx: EngineContext, p: Prepared, run: RealRun): Promise<RealRunResult> {
  const { client, owner, repo } = run.github;
  const canReview = reviewableBy(run.github);
  const brake = await tellSecurity(p, run, canReview);
  // A waiting pull request of the same move, correction or leaver is updated, never doubled.
  const openBranches = await client.openPullRequestBranches(owner, repo);
  // The providers are connected at the first cut only, once.
  let connected: Prepared | undefined;
  let cutTried = false;
  const withProviders = async () => {
    cutTried = true;
    connected ??= await connectProviders(ctx, run.prepareRequest, p);
    return connected;
  };
  const outcomes: EventOutcome[] = [];
  for (const e of run.events) {
    const outcome: EventOutcome = { event: e };
    outcomes.push(outcome);
    // Overdue leavers: access is cut before the pull request exists (once: a standing hold
    // means an earlier run, or the security team, already did). A cut that fails still gets
    // its pull request: merged, the leaver is applied like any other.
    let cut: ApplyOutcome | undefined;
    let cutFailed = false;
    if (e.overdue) {
      const held = p.standing.get(e.person);
      if (held) outcome.cut = { at: held.at };
      else {
        const made = await cutOverdue(ctx, withProviders, e, run);
        cut = made.cut;
        if (made.report) outcome.cut = made.report;
        if (made.error) {
          cutFailed = true;
          outcome.error = made.error;
        }
      }
    }
    try {
      const pr = await proposeEvent(e, {
        client,
        owner,
        repo,
        base: run.base,
        index: p.recorded,
        events: run.events,
        canReview,
        openBranches,
        ...(outcome.cut && !cutFailed ? { cut: { at: outcome.cut.at } } : {}),
        ...(cutFailed ? { cutFailed } : {}),
      });
      outcome.pullRequest = { ...pr.pullRequest, action: pr.action };
      // The hold names its pull request, as an emergency offboarding's does.
      if (cut?.record.offboard) {
        const pullRequest = pr.pullRequest;
        amendRecord(cut.recordFile, (r) => ({
          ...r,
          ...(r.offboard ? { offboard: { ...r.offboard, pullRequest } } : {}),
        }));
      }
    } catch (err) {
      const message = messageOf(err);
      outcome.error = outcome.error ? `${outcome.error}; ${message}` : message;
    }
  }
  return { brake, outcomes, cutTried };
}

/** GitHub refuses a review request to anyone who is not a collaborator: each login is asked once. */
function reviewableBy({ client, owner, repo }: GitHubAccess<HrSyncGitHub>) {
  const permissions = new Map<string, Promise<boolean>>();
  return (login: string): Promise<boolean> => {
    let known = permissions.get(login.toLowerCase());
    if (!known) {
      known = client.permissionOf(owner, repo, login).then((p) => p !== 'none');
      permissions.set(login.toLowerCase(), known);
    }
    return known;
  };
}

/**
 * The security team hears first: the brake's issue opened or updated when it found something;
 * a release by --allow-mass-disable noted on the open one. A failure is reported, not thrown.
 */
async function tellSecurity(
  p: Prepared,
  run: RealRun,
  canReview: (login: string) => Promise<boolean>,
): Promise<BrakeReport> {
  const brake = { ...run.brake };
  const { client, owner, repo } = run.github;
  const marker = brakeMarker(run.scopes);
  if (brake.finding) {
    try {
      const security = securityLogins(p.recorded, p.at);
      const assignees: string[] = [];
      for (const login of security) if (await canReview(login)) assignees.push(login);
      const { stopped, heldBack, verdict } = brake;
      const { title, body } = renderBrakeIssue(verdict, { scopes: run.scopes, stopped, heldBack, security });
      const raised = await raiseBrakeIssue(client, owner, repo, { marker, title, body, assignees });
      brake.issue = { ...raised.issue, action: raised.action };
    } catch (err) {
      brake.error = `the security issue could not be opened: ${messageOf(err)}`;
    }
  }
  if (brake.allowedBy) {
    try {
      const text = renderOverrideNote(brake.verdict, brake.allowedBy);
      const noted = await noteOverride(client, owner, repo, marker, text);
      if (noted) brake.issue = { ...noted, action: 'commented' };
    } catch (err) {
      brake.error = `the override could not be noted on the security issue: ${messageOf(err)}`;
    }
  }
  return brake;
}

/**
 * Cuts an overdue leaver off every provider now. The hold first: it stands even if the cut finds
 * nothing left to do (IT was faster) or fails halfway, so no apply gives the access back before
 * the pull request merges. `error` says what did not go through.
 */
async function cutOverdue(
  ctx: EngineContext,
  withProviders: () => Promise<Prepared>,
  e: HrEvent,
  run: RealRun,
): Promise<{ cut?: ApplyOutcome; report?: EventOutcome['cut']; error?: string }> {
  const reason = `HR ${e.record.source}:${e.record.sourceId} terminated at ${e.endInstant}`;
  const { allowedBy } = run.brake;
  const entry: OffboardEntry = {
    person: e.person,
    at: toIso(Math.floor(ctx.clock.now() / 1000) * 1000),
    reason,
    requestedBy: allowedBy ? `jml hr sync (--allow-mass-disable by ${allowedBy})` : 'jml hr sync',
    operator: 'jml-hr-sync',
  };
  try {
    const p = await withProviders();
    const trigger = { ...run.trigger, reason };
    recordHold(p, { ...entry, intent: true }, trigger, ctx.clock);
    const cut = await cutAccessNow(p, entry, trigger, ctx.clock);
    const record = path.relative(p.root, cut.recordFile);
    const report = { at: entry.at, result: cut.record.result, record };
    if (['applied', 'no-changes'].includes(cut.record.result)) return { cut, report };
    return {
      cut,
      report,
      error: `access of ${e.person} was not fully cut (${cut.record.result}): see ${record}`,
    };
  } catch (err) {
    return { error: `access of ${e.person} was not cut: ${messageOf(err)}` };
  }
}
