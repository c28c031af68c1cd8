/**
 * `jml review start --quarter 2027-Q1 [--at T] [--due DATE] [--dry-run] [--base B]`: a quarter's
 * access review campaign from the providers' real state (src/engine/review/start.ts).
 *
 * Without GitHub (GITHUB_TOKEN, GITHUB_REPOSITORY) the files are written into the checkout (and
 * .github/CODEOWNERS regenerated when it exists). With GitHub, nothing is written locally: the
 * campaign file and the regenerated CODEOWNERS go in ONE pull request for the security team, and
 * each reviewer file in ONE pull request of its own, its reviewer asked to review. `--dry-run`
 * prints what would be written and changes nothing. Exit 0 done (or nothing to do), 1 error.
 */
import type { Command } from 'commander';
import { type Proposal, type StartRefusal, startReview } from '../engine/review/start.js';
import type { Campaign } from '../review/start.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseQuarter } from './options.js';
import { baseBranch, githubIfConfigured, prepareRequest, reportOutcome } from './run-support.js';

interface StartOptions {
  quarter: string;
  at?: string;
  due?: string;
  dryRun?: boolean;
  base?: string;
}

/** Adds `start` to the `jml review` command. */
export function registerReviewStart(review: Command, io: Io, setExit: Exit): void {
  review
    .command('start')
    .description(
      'Read every provider and write reviews/<quarter>/: the campaign and one file per reviewer; with GitHub, one pull request per file. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--at <instant>', 'the instant the state is read as of (default now)')
    .option('--due <date>', 'the due date, YYYY-MM-DD (default: reviews.dueDays from --at)')
    .option('--dry-run', 'print what would be written; change nothing')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: StartOptions, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.due !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.due)) {
        io.err(`jml review start: --due must be a date YYYY-MM-DD (got ${opts.due}).\n`);
        return setExit(1);
      }
      const req = prepareRequest(io, root, opts.at);
      const github = opts.dryRun ? undefined : await githubIfConfigured();
      const r = await startReview(
        contextOf(io),
        {
          ...req,
          quarter: opts.quarter,
          ...(opts.due ? { due: opts.due } : {}),
          ...(opts.dryRun ? { dryRun: true } : {}),
          base: baseBranch(opts.base),
        },
        github ? { github } : {},
      );
      if (!reportOutcome(r, io)) return setExit(1);
      switch (r.status) {
        case 'refused':
          io.err(renderRefusal(r.refusal));
          return setExit(1);
        case 'dry-run':
          io.out(`${renderSummary(r.campaign)}Dry run: nothing was written.\n`);
          return setExit(0);
        case 'proposed':
          io.out(`${renderSummary(r.campaign)}${r.proposals.map(renderProposal).join('\n')}\n`);
          return setExit(r.proposals.some((x) => x.result.kind === 'failed') ? 1 : 0);
        case 'written':
          io.out(
            `${renderSummary(r.campaign)}${r.written.length ? `Wrote ${r.written.join(', ')}.` : 'Nothing to write: the campaign is already there.'}\n`,
          );
          return setExit(0);
      }
    });
}

function renderRefusal(r: StartRefusal): string {
  switch (r.kind) {
    case 'campaign-errors':
      return r.errors.map((e) => `jml review start: ${e}\n`).join('');
    case 'due-not-after-start':
      return `jml review start: the due date ${r.due} is not after the start.\n`;
    case 'campaign-exists':
      return (
        `jml review start: ${r.path} already exists with other terms (another start time or state); ` +
        'a campaign is started once. Nothing was changed.\n'
      );
  }
}

function renderProposal(p: Proposal): string {
  const r = p.result;
  if (r.kind === 'kept')
    return `  ${p.branch}: ${r.file} already there with other text (decisions?); left as is`;
  if (r.kind === 'failed') return `  ${p.branch}: FAILED: ${r.error}`;
  return `  ${p.branch}: pull request #${r.number} ${r.action}: ${r.url}`;
}

function renderSummary(c: Campaign): string {
  const lines = [
    `Access review ${c.campaign.quarter}: ${c.campaign.items} items for ${c.files.length} reviewers, due ${c.campaign.due} ` +
      `(state read at ${c.campaign.startedAt}, ${c.campaign.exportFingerprint.plan}).`,
  ];
  for (const f of c.files) {
    const orphaned = f.file.items.filter((i) => i.source.kind === 'orphaned').length;
    const inactive = f.file.items.filter((i) => i.inactive).length;
    lines.push(
      `  ${f.path}: ${f.file.items.length} items for ${f.reviewer}` +
        `${orphaned ? `, ${orphaned} orphaned` : ''}${inactive ? `, ${inactive} inactive` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
