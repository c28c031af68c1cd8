/**
 * engine: a review's revokes made to happen (src/review/apply.ts says what each needs), for
 * `jml review apply` (the reviewers' decisions, once their files merge) and `jml review due` (the
 * no-response policy at the due date, src/engine/review/due.ts).
 *
 * An orphaned grant is revoked on its provider now, by a plan of exactly those revokes applied
 * under the safety guards; an exception ends and a role template changes by pull request. What
 * was settled goes into the apply record of the run (`review`, through the record store), so a
 * second run skips it. Without confirmation nothing is written: the outcome says what would be.
 */
import path from 'node:path';
import { type ApplyOutcome, runApply } from '../../apply/apply.js';
import { recordClock, recordTimes } from '../../apply/replay.js';
import type { GitHubAccess, GitHubClient } from '../../github/client.js';
import type { ActualState } from '../../model/state.js';
import { toIso } from '../../model/time.js';
import type { Plan } from '../../plan/plan-types.js';
import { RECORD_SCHEMA, type ReviewRemediation, type Trigger } from '../../records/schema.js';
import { amendRecord, readRecords, writeRecord } from '../../records/store.js';
import {
  decidedRevocations,
  exceptionsBody,
  planRemediation,
  type Remediation,
  type Revocation,
  reviewRecords,
  revokeChangeId,
  settledItems,
  templateBody,
  withoutEntitlements,
} from '../../review/apply.js';
import { REVIEW_LABELS, reviewBranch } from '../../review/bodies.js';
import type { EngineContext } from '../context.js';
import {
  type EngineOutcome,
  type Prepared,
  type PrepareRequest,
  planFrom,
  readActual,
  recordsDir,
  withPrepared,
} from '../prepare.js';

/** What a review's remediation asks of GitHub: the pull requests that end exceptions and change templates. */
export type ReviewRemediationGitHub = Pick<
  GitHubClient,
  'proposeDeletion' | 'proposeFileChanges' | 'fileAt' | 'permissionOf'
>;

export interface ReviewRunRequest extends PrepareRequest {
  /** The quarter, YYYY-Qn. */
  quarter: string;
  /** Really write: to the providers, the pull requests, the record. Without it, a dry run. */
  confirm: boolean;
  /** The branch pull requests target. */
  base: string;
  /** Who and what started the run, for the apply record. */
  trigger: Trigger;
}

export interface ReviewRunPorts<G = ReviewRemediationGitHub> {
  /** Without GitHub, exceptions and templates are left to be changed by hand (and not recorded). */
  github?: GitHubAccess<G>;
}

/** A pull request the remediation opened (or kept), or why it failed. */
export interface RemediationProposal {
  /** `exceptions`, or `role <id>`. */
  subject: string;
  result:
    | { kind: 'proposed'; number: number; action: string; url: string }
    | { kind: 'failed'; error: string };
}

/** What a remediation found to do and, confirmed, did. */
export interface RemediationRun {
  /** Files of the records directory that are not readable records (relative to the root): left out. */
  unreadable: { file: string; problem: string }[];
  /** What the revocations need, less what an earlier record of the quarter settled. */
  remediation: Remediation;
  /** Undecided items the no-response policy keeps (findings), not settled before. */
  kept: string[];
  /** False for a dry run: nothing below happened. */
  confirmed: boolean;
  /** Exceptions or templates to change, and no GitHub to open their pull requests. */
  withoutGitHub: boolean;
  proposals: RemediationProposal[];
  /** The orphaned grants' revokes, applied (when there were any). */
  applied?: ApplyOutcome;
  /** The record that holds what this run settled (relative to the root), and how many items. */
  recorded?: { file: string; items: number };
  /** A pull request or a change failed: the command exits 1. */
  failed: boolean;
  /** The failure that stopped the run after its pull requests (reported after them, then thrown on). */
  interrupted?: unknown;
}

export type ApplyReviewOutcome = EngineOutcome<{ decided: number; run: RemediationRun }>;

/** `jml review apply`: each item decided `revoke` in the quarter's merged files becomes a change. */
export function applyReviewDecisions(
  ctx: EngineContext,
  req: ReviewRunRequest,
  ports: ReviewRunPorts,
): Promise<ApplyReviewOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const revocations = decidedRevocations(p.index, req.quarter);
    const run = await remediate(ctx, p, req, ports, 'decided', revocations, []);
    return { decided: revocations.length, run };
  });
}

/**
 * Makes the revocations happen (orphaned grants on the providers, exceptions and role templates
 * by pull request), records what was settled, and skips what an earlier record settled.
 */
export async function remediate(
  ctx: EngineContext,
  p: Prepared,
  req: ReviewRunRequest,
  ports: ReviewRunPorts,
  reason: ReviewRemediation['reason'],
  revocations: Revocation[],
  keep: string[],
): Promise<RemediationRun> {
  const q = req.quarter;
  // --- what is left to do: the records of the quarter say what is settled ---------------------
  const recordDir = recordsDir(p.root, p.index);
  const read = readRecords(recordDir);
  const unreadable = read.problems.map((bad) => ({
    file: path.relative(p.root, path.join(recordDir, bad.file)),
    problem: bad.problem,
  }));
  const settled = settledItems(reviewRecords(read.records, q));
  const rem = planRemediation(p.index, q, revocations, await readActual(p), settled);
  const kept = keep.filter((id) => !settled.has(id));
  const gh = ports.github;
  const run: RemediationRun = {
    unreadable,
    remediation: rem,
    kept,
    confirmed: req.confirm,
    withoutGitHub: (rem.exceptions.length > 0 || rem.templates.length > 0) && !gh,
    proposals: [],
    failed: false,
  };
  if (!req.confirm) return run;
  const settledNow: ReviewRemediation['items'] = kept.map((id) => ({ id, outcome: 'kept' }));

  // --- git: exceptions end, role templates change, by pull request ------------------------------
  if (gh) {
    const labels = REVIEW_LABELS(q);
    if (rem.exceptions.length) {
      try {
        const r = await gh.client.proposeDeletion(gh.owner, gh.repo, {
          branch: reviewBranch(q, 'exceptions'),
          base: req.base,
          paths: rem.exceptions.map((e) => e.path),
          title: `Access review ${q}: end ${rem.exceptions.map((e) => e.id).join(', ')}`,
          body: exceptionsBody(q, rem.exceptions),
          labels,
        });
        if (r.pullRequest) {
          for (const e of rem.exceptions)
            for (const x of e.items)
              settledNow.push({ id: x.item.id, outcome: 'proposed', pullRequest: r.pullRequest.url });
          const { number, url } = r.pullRequest;
          run.proposals.push({
            subject: 'exceptions',
            result: { kind: 'proposed', number, action: r.action, url },
          });
        }
      } catch (e) {
        run.failed = true;
        run.proposals.push({
          subject: 'exceptions',
          result: { kind: 'failed', error: (e as Error).message },
        });
      }
    }
    for (const t of rem.templates) {
      const owner = p.index.people.get(t.owner)?.value.github;
      const branch = reviewBranch(q, `role-${t.role}`);
      const subject = `role ${t.role}`;
      try {
        // A pull request already open for this template keeps what it removes: more is removed on top.
        const onBranch = await gh.client.fileAt(gh.owner, gh.repo, t.path, branch);
        const content = onBranch === undefined ? t.text : withoutEntitlements(onBranch, t.entitlements);
        const reviewers =
          owner && (await gh.client.permissionOf(gh.owner, gh.repo, owner)) !== 'none' ? [owner] : [];
        const r = await gh.client.proposeFileChanges(gh.owner, gh.repo, {
          branch,
          base: req.base,
          title: `Access review ${q}: should ${t.role} grant ${t.entitlements.join(', ')}?`,
          body: templateBody(q, t, t.owner),
          message: `Access review ${q}: remove ${t.entitlements.join(', ')} from role ${t.role}`,
          labels,
          reviewers,
          files: [{ path: t.path, content }],
        });
        for (const x of t.items)
          settledNow.push({ id: x.item.id, outcome: 'proposed', pullRequest: r.pullRequest.url });
        const { number, url } = r.pullRequest;
        run.proposals.push({ subject, result: { kind: 'proposed', number, action: r.action, url } });
      } catch (e) {
        run.failed = true;
        run.proposals.push({ subject, result: { kind: 'failed', error: (e as Error).message } });
      }
    }
  }

  // An infrastructure failure below (a provider that cannot be read, a record that cannot be
  // written) stops the run: what it did before is still reported, then the error.
  try {
    // --- providers: orphaned grants revoked now, with the guards ----------------------------------
    if (rem.changes.length) {
      const outcome = await runApply({
        providers: p.providers,
        policy: p.index.policy,
        flags: { allowMassRemoval: false, allowMassDisable: false, allowDelete: false },
        readActual: () => readActual(p),
        plan: (actual) => revokePlan(p, actual, planRemediation(p.index, q, revocations, actual, settled)),
        recordDir,
        trigger: req.trigger,
        clock: recordClock(ctx.clock, p.at),
      });
      run.applied = outcome;
      const done = new Set(
        outcome.record.changes
          .filter((c) => c.status === 'applied' || c.status === 'unchanged')
          .map((c) => c.id),
      );
      for (const r of rem.revoked)
        if (done.has(revokeChangeId(r.item))) settledNow.push({ id: r.item.id, outcome: 'revoked' });
      if (!['applied', 'no-changes'].includes(outcome.record.result)) run.failed = true;
    }

    // --- the record: what this run settled of the review ------------------------------------------
    if (settledNow.length) {
      const review: ReviewRemediation = { quarter: q, reason, items: settledNow };
      let file: string;
      if (run.applied) {
        // The record runApply wrote, with what it settled of the review.
        file = run.applied.recordFile;
        amendRecord(file, (r) => ({ ...r, review }));
      } else {
        const rc = recordClock(ctx.clock, p.at);
        const wall = rc.wall();
        const { simulated, ...times } = recordTimes(rc, wall, wall);
        file = writeRecord(recordDir, {
          schema: RECORD_SCHEMA,
          ...times,
          trigger: req.trigger,
          commit: p.commit,
          at: toIso(p.at),
          planFingerprint: null,
          result: 'no-changes',
          guards: [],
          counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
          changes: [],
          review,
          ...(simulated ? { simulated } : {}),
        });
      }
      run.recorded = { file: path.relative(p.root, file), items: settledNow.length };
    }
  } catch (error) {
    run.interrupted = error;
    run.failed = true;
  }
  return run;
}

/**
 * The plan of a remediation: the plan at `p.at` from the state just read (its fingerprint, time
 * and commit, so apply refuses it when stale), with exactly the remediation's revokes as changes.
 */
function revokePlan(p: Prepared, actual: ActualState[], rem: Remediation): Plan {
  const changes = rem.changes;
  return { ...planFrom(p, actual), changes, reported: [], summary: { revoke: changes.length } };
}
