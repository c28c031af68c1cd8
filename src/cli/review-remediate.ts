/**
 * `jml review apply` (after review pull requests merge, each revoke becomes a change:
 * src/engine/review/remediate.ts) and `jml review due` (reminders before the due date, the
 * no-response policy at it: src/engine/review/due.ts). Without --confirm each says what it
 * would do. Exit 0 done, 1 error.
 */
import type { Command } from 'commander';
import { personNames } from '../engine/prepare.js';
import { type ReviewDueResult, reviewDue } from '../engine/review/due.js';
import {
  applyReviewDecisions,
  type RemediationRun,
  type ReviewRunRequest,
} from '../engine/review/remediate.js';
import { renderApplyText } from '../report/render-apply.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseQuarter } from './options.js';
import {
  baseBranch,
  githubIfConfigured,
  prepareRequest,
  reportOutcome,
  triggerFromEnv,
} from './run-support.js';

interface RunOptions {
  quarter: string;
  at?: string;
  confirm?: boolean;
  base?: string;
}

/** Adds `apply` and `due` to the `jml review` command. */
export function registerReviewRemediation(review: Command, io: Io, setExit: Exit): void {
  const runRequest = (opts: RunOptions, cmd: Command): ReviewRunRequest => ({
    ...prepareRequest(io, cmd.optsWithGlobals<GlobalOptions>().root, opts.at),
    quarter: opts.quarter,
    confirm: Boolean(opts.confirm),
    base: baseBranch(opts.base),
    trigger: triggerFromEnv(cmd),
  });
  review
    .command('apply')
    .description(
      'After review pull requests merge: each revoke becomes a change (an orphaned grant is revoked on its provider; an exception ends and a role template changes by pull request). Without --confirm, says what it would do. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--at <instant>', 'as of this instant (default now)')
    .option('--confirm', 'really write to the providers and open the pull requests')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: RunOptions, cmd: Command) => {
      const req = runRequest(opts, cmd);
      // GitHub opens the pull requests of a confirmed run only.
      const github = opts.confirm ? await githubIfConfigured() : undefined;
      const r = await applyReviewDecisions(contextOf(io), req, github ? { github } : {});
      if (!reportOutcome(r, io)) return setExit(1);
      io.out(
        `Access review ${opts.quarter}: ${r.decided} item${r.decided === 1 ? '' : 's'} decided revoke in the merged files.\n`,
      );
      setExit(renderRun(r.run, r.prepared.index, io) ? 1 : 0);
    });
  review
    .command('due')
    .description(
      'Before the due date: one reminder comment per open review pull request. At or after it: the no-response policy on every undecided item (keep with a finding, or revoke). Without --confirm, says what it would do. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--at <instant>', 'as of this instant (default now)')
    .option('--confirm', 'really comment, write to the providers and open the pull requests')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: RunOptions, cmd: Command) => {
      const req = runRequest(opts, cmd);
      const github = await githubIfConfigured();
      const r = await reviewDue(contextOf(io), req, github ? { github } : {});
      if (!reportOutcome(r, io)) return setExit(1);
      setExit(renderDue(r, r.prepared.index, opts.quarter, io));
    });
}

/** Renders `jml review due`; returns the exit code. */
function renderDue(r: ReviewDueResult, index: RepoIndex, q: string, io: Io): number {
  if (r.phase === 'no-campaign') {
    io.err(`jml review due: no campaign reviews/${q}/campaign.yaml on this branch.\n`);
    return 1;
  }
  const { campaign } = r;
  if (r.phase === 'reminders') {
    io.out(`Access review ${q}: due ${campaign.due}, ${r.left} day${r.left === 1 ? '' : 's'} left.\n`);
    for (const { path, pending, state: s } of r.reminders) {
      if (s.kind === 'merged') io.out(`  ${path}: merged\n`);
      else if (s.kind === 'no-pull-request')
        io.out(`  ${path}: ${pending} pending, no open pull request found\n`);
      else if (s.kind === 'would-remind') io.out(`  ${path}: ${pending} pending; would remind on #${s.pr}\n`);
      else if (s.kind === 'reminded')
        io.out(`  ${path}: ${pending} pending; reminder ${s.action} on #${s.pr}\n`);
      else io.out(`  ${path}: reminder on #${s.pr} FAILED: ${s.error}\n`);
    }
    for (const m of r.missing) io.out(`  ${m}: neither merged nor in an open pull request\n`);
    if (!r.confirmed) io.out('Dry run: add --confirm to comment.\n');
    return r.failed ? 1 : 0;
  }
  for (const m of r.missing)
    io.err(
      `jml review due: ${m} is neither merged nor readable from an open pull request; its items cannot be handled.\n`,
    );
  io.out(
    `Access review ${q}: due ${campaign.due} has passed; ${r.revoke + r.keep} undecided item(s): ` +
      `${r.revoke} to revoke, ${r.keep} kept with a finding (noResponse ${campaign.noResponse}, high-risk ${campaign.highRiskNoResponse}).\n`,
  );
  const failed = renderRun(r.run, index, io);
  return r.missing.length || failed ? 1 : 0;
}

/** Renders a remediation: what it found, what it did, the record; returns whether anything failed. */
function renderRun(run: RemediationRun, index: RepoIndex, io: Io): boolean {
  for (const bad of run.unreadable) io.err(`Note: ${bad.file} ${bad.problem}; left out.\n`);
  const rem = run.remediation;
  const lines: string[] = [];
  for (const c of rem.changes)
    lines.push(`  revoke on ${c.provider}: ${c.login} ${c.entitlement} (orphaned grant)`);
  for (const e of rem.exceptions)
    lines.push(
      `  end exception ${e.id}: delete ${e.path} by pull request (${e.items.map((r) => r.item.id).join(', ')})`,
    );
  for (const t of rem.templates)
    lines.push(
      `  role template ${t.role}: remove ${t.entitlements.join(', ')} from ${t.path} by pull request for ${t.owner} (${t.items.map((r) => r.item.id).join(', ')})`,
    );
  for (const id of run.kept) lines.push(`  keep ${id}: nobody decided it (a finding)`);
  for (const s of rem.skipped) lines.push(`  skip ${s.item.id}: ${s.why}`);
  io.out(lines.length ? `${lines.join('\n')}\n` : '  Nothing to do.\n');
  if (!run.confirmed) {
    io.out('Dry run: add --confirm to apply.\n');
    return false;
  }
  if (run.withoutGitHub)
    io.out(
      '  No GitHub (GITHUB_TOKEN, GITHUB_REPOSITORY): open these pull requests by hand; not recorded.\n',
    );
  for (const { subject, result: x } of run.proposals)
    io.out(
      x.kind === 'failed'
        ? `  ${subject}: FAILED: ${x.error}\n`
        : `  ${subject}: pull request #${x.number} ${x.action}: ${x.url}\n`,
    );
  if (run.applied) io.out(renderApplyText(run.applied, personNames(index), io.isTty));
  if (run.interrupted !== undefined) throw run.interrupted;
  if (run.recorded) io.out(`Recorded ${run.recorded.items} item(s) in ${run.recorded.file}.\n`);
  return run.failed;
}
