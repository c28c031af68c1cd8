/**
 * engine: `jml review report`, a quarter's access review item by item (src/review/report.ts
 * builds it). Reads the campaign and reviewer files at HEAD, their git history, the apply
 * records, GitHub (the review pull requests and their standing approvals, through the port) and
 * the providers live, so each revoke is shown gone (or a finding). Writes
 * <outDir>/access-review-<q>.md and .csv, the directory the user named.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GitHubAccess } from '../../github/client.js';
import type { ReviewPullRequestReads } from '../../report/evidence/github-reads.js';
import type { ReviewReport } from '../../review/report.js';
import type { EngineContext } from '../context.js';
import { type EngineOutcome, type PrepareRequest, readActual, recordsDir, withPrepared } from '../prepare.js';

export interface ReviewReportRequest extends PrepareRequest {
  /** The quarter, YYYY-Qn. */
  quarter: string;
  /** The directory the report is written to (created when missing). */
  outDir: string;
  /** Apply records, read recursively; default: policy/jml.yaml records.dir. */
  records?: string;
}

export interface ReviewReportPorts {
  /** Without GitHub the approval columns are empty, and a note says why. */
  github?: GitHubAccess<ReviewPullRequestReads>;
}

export type ReviewReportResult =
  /** reviews/<q>/campaign.yaml is not in the checkout: nothing was written. */
  | { status: 'no-campaign'; unreadable: { file: string; problem: string }[] }
  | {
      status: 'written';
      /** Files of the records directory that are not readable records: left out of the report. */
      unreadable: { file: string; problem: string }[];
      report: ReviewReport;
      /** What could not be read from GitHub (the approval columns are empty for it). */
      githubGaps: string[];
      /** The Markdown and CSV files written (absolute). */
      markdown: string;
      csv: string;
    };

export type ReviewReportOutcome = EngineOutcome<ReviewReportResult>;

/** Reports a quarter and writes the report's Markdown and CSV into `outDir`. */
export function reportReview(
  ctx: EngineContext,
  req: ReviewReportRequest,
  ports: ReviewReportPorts,
): Promise<ReviewReportOutcome> {
  return withPrepared<ReviewReportResult>(ctx, req, async (p) => {
    // Loaded only now: the commands that never report never pay for them.
    const { readRecords } = await import('../../records/store.js');
    const { gatherReview } = await import('../../report/evidence/review-gather.js');
    const { buildReviewReport } = await import('../../review/report.js');
    const { renderCsv, renderMarkdown } = await import('../../report/evidence/render.js');
    const recordDir = req.records ? path.resolve(req.records) : recordsDir(p.root, p.index);
    const read = readRecords(recordDir);
    const unreadable = read.problems.map((bad) => ({
      file: path.join(recordDir, bad.file),
      problem: bad.problem,
    }));
    const input = await gatherReview({
      root: p.root,
      index: p.index,
      quarter: req.quarter,
      records: read.records,
      actual: await readActual(p),
      at: p.at,
      ...(ports.github
        ? { github: ports.github }
        : { missingGitHub: 'GITHUB_TOKEN or GITHUB_REPOSITORY is not set, so GitHub was not read.' }),
    });
    if (!input) return { status: 'no-campaign', unreadable };
    const report = buildReviewReport(input);
    const out = path.resolve(req.outDir);
    mkdirSync(out, { recursive: true });
    const base = `access-review-${req.quarter}`;
    const markdown = path.join(out, `${base}.md`);
    const csv = path.join(out, `${base}.csv`);
    writeFileSync(markdown, renderMarkdown(report.artifact));
    writeFileSync(csv, renderCsv(report.artifact));
    return { status: 'written', unreadable, report, githubGaps: input.githubGaps, markdown, csv };
  });
}
