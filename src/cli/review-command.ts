/**
 * `jml review`: quarterly access reviews, a file per reviewer, decided by pull request. Each
 * subcommand is a file of its own that parses its flags, calls one engine use case
 * (src/engine/review/) and renders what comes back:
 *
 * - `report` (src/cli/review-report.ts): a quarter, item by item, Markdown and CSV.
 * - `start` (src/cli/review-start.ts): the campaign from the providers' real state.
 * - `check` (src/cli/review-check.ts): the required check on a review pull request.
 * - `apply` and `due` (src/cli/review-remediate.ts): the revokes made to happen; reminders
 *   before the due date, the no-response policy at it.
 */
import type { Command } from 'commander';
import type { Exit, Io } from './io.js';
import { registerReviewCheck } from './review-check.js';
import { registerReviewRemediation } from './review-remediate.js';
import { registerReviewReport } from './review-report.js';
import { registerReviewStart } from './review-start.js';

export function registerReview(program: Command, io: Io, setExit: Exit): void {
  const review = program
    .command('review')
    .description('Quarterly access reviews: a file per reviewer, decided by pull request.');
  registerReviewReport(review, io, setExit);
  registerReviewStart(review, io, setExit);
  registerReviewCheck(review, io, setExit);
  registerReviewRemediation(review, io, setExit);
}
