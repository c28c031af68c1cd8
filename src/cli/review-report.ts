/**
 * `jml review report --quarter Q [--out DIR] [--at T] [--records DIR]`: a quarter's access
 * review, item by item (src/engine/review/report.ts, built by src/review/report.ts). Reads the
 * campaign and reviewer files at HEAD, their git history, the apply records, GitHub (the review
 * pull requests and their standing approvals, when GITHUB_TOKEN and GITHUB_REPOSITORY are set)
 * and the providers live, so each revoke is shown gone (or a finding). Writes
 * DIR/access-review-<q>.md and .csv (default DIR: the current directory's review-report/).
 * Exit 0 no finding, 2 findings, 1 error.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { reportReview } from '../engine/review/report.js';
import { reviewSummaryText } from '../review/report.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseQuarter } from './options.js';
import { githubIfConfigured, prepareRequest, reportOutcome } from './run-support.js';

interface ReportOptions {
  quarter: string;
  out: string;
  at?: string;
  records?: string;
}

/** Adds `report` to the `jml review` command. */
export function registerReviewReport(reviewCommand: Command, io: Io, setExit: Exit): void {
  reviewCommand
    .command('report')
    .description(
      'Report a quarter: population versus decided, every item with its decision, reviewer, approval, merge commit, remediation and a live check that each revoke took effect. Markdown and CSV. Exit 0 no finding, 2 findings, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--out <dir>', 'the directory to write the report to', 'review-report')
    .option('--at <instant>', 'the instant the report is for (default now)')
    .option('--records <dir>', 'apply records, read recursively (default: policy records.dir)')
    .action(async (opts: ReportOptions, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const req = prepareRequest(io, root, opts.at);
      const github = await githubIfConfigured();
      const r = await reportReview(
        contextOf(io),
        {
          ...req,
          quarter: opts.quarter,
          outDir: opts.out,
          ...(opts.records ? { records: opts.records } : {}),
        },
        github ? { github } : {},
      );
      if (!reportOutcome(r, io)) return setExit(1);
      for (const bad of r.unreadable) io.err(`Note: ${bad.file} ${bad.problem}; left out of the report.\n`);
      if (r.status === 'no-campaign') {
        io.err(`jml review report: reviews/${opts.quarter}/campaign.yaml is not in this checkout.\n`);
        return setExit(1);
      }
      for (const gap of r.githubGaps) io.err(`Note: ${gap} Approval columns are empty.\n`);
      for (const f of r.report.artifact.findings) io.out(`FINDING ${f.text}\n`);
      io.out(`${reviewSummaryText(r.report)}\nWrote ${r.markdown} and ${path.basename(r.csv)}.\n`);
      setExit(r.report.artifact.findings.length ? 2 : 0);
    });
}
