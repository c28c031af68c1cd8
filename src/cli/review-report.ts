/**
 * `jml review report --quarter Q [--out DIR] [--at T] [--records DIR]`: a quarter's access
 * review, item by item (src/review/report.ts). Reads the campaign and reviewer files at HEAD,
 * their git history, the apply records, GitHub (the review pull requests and their standing
 * approvals, when GITHUB_TOKEN and GITHUB_REPOSITORY are set) and the providers live, so each
 * revoke is shown gone (or a finding). Writes DIR/access-review-<q>.md and .csv (default
 * DIR: the current directory's review-report/). Exit 0 no finding, 2 findings, 1 error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readActual, recordsDir } from '../engine/prepare.js';
import type { GlobalOptions, Io } from './io.js';
import { parseQuarter } from './options.js';
import { githubIfConfigured, prepareOrReport as prepare } from './run-support.js';

type Exit = (code: number) => void;

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
      setExit(await report(opts, cmd, io));
    });
}

async function report(opts: ReportOptions, cmd: Command, io: Io): Promise<number> {
  const { root } = cmd.optsWithGlobals<GlobalOptions>();
  const p = await prepare(root, opts.at, io);
  if (!p) return 1;
  const { readRecords } = await import('../records/store.js');
  const { gatherReview } = await import('../report/evidence/review-gather.js');
  const { buildReviewReport, reviewSummaryText } = await import('../review/report.js');
  const { renderCsv, renderMarkdown } = await import('../report/evidence/render.js');
  const github = await githubIfConfigured();
  const missing = github
    ? undefined
    : 'GITHUB_TOKEN or GITHUB_REPOSITORY is not set, so GitHub was not read.';
  const recordDir = opts.records ? path.resolve(opts.records) : recordsDir(p.root, p.index);
  const read = readRecords(recordDir);
  for (const bad of read.problems)
    io.err(`Note: ${path.join(recordDir, bad.file)} ${bad.problem}; left out of the report.\n`);
  const input = await gatherReview({
    root: p.root,
    index: p.index,
    quarter: opts.quarter,
    records: read.records,
    actual: await readActual(p),
    at: p.at,
    ...(github ? { github } : {}),
    ...(missing ? { missingGitHub: missing } : {}),
  });
  if (!input) {
    io.err(`jml review report: reviews/${opts.quarter}/campaign.yaml is not in this checkout.\n`);
    return 1;
  }
  const r = buildReviewReport(input);
  const out = path.resolve(opts.out);
  mkdirSync(out, { recursive: true });
  const base = `access-review-${opts.quarter}`;
  writeFileSync(path.join(out, `${base}.md`), renderMarkdown(r.artifact));
  writeFileSync(path.join(out, `${base}.csv`), renderCsv(r.artifact));
  for (const gap of input.githubGaps) io.err(`Note: ${gap} Approval columns are empty.\n`);
  for (const f of r.artifact.findings) io.out(`FINDING ${f.text}\n`);
  io.out(`${reviewSummaryText(r)}\nWrote ${path.join(out, `${base}.md`)} and ${base}.csv.\n`);
  return r.artifact.findings.length ? 2 : 0;
}
