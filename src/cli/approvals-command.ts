/**
 * `jml approvals`: the required check. Decides whether a pull request carries the approvals its
 * effect needs (src/engine/approvals-check.ts, src/approvals/decide.ts) and explains each rule
 * met or missing.
 *
 * Runs from local data: `-C` is a checkout of the pull request's head (read as data, never run),
 * `--base` a checkout of the base branch, `--changes` the pull request, its files and its reviews
 * as the GitHub REST API returns them (src/approvals/pull-request.ts), or `--pr N` /
 * `--pr-of-commit SHA` to fetch them. `--check-run` posts the verdict as the `jml/approvals` check
 * run on the judged commit with the token in GITHUB_TOKEN (in the trusted workflow: the jml
 * GitHub App's, the only source branch protection accepts). Exit 0 approved, 3 not approved,
 * 1 error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { PullRequestDataError, parsePullRequestData } from '../approvals/pull-request.js';
import { renderApprovalsJson, renderApprovalsMarkdown, renderApprovalsText } from '../approvals/render.js';
import type { Decision } from '../approvals/types.js';
import { type ApprovalsPullRequest, checkApprovals } from '../engine/approvals-check.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseAtOption } from './options.js';
import { githubAccess } from './run-support.js';

/** Exit codes of `jml approvals`. */
export const APPROVALS_EXIT = { approved: 0, error: 1, notApproved: 3 } as const;

export type ApprovalsFormat = 'text' | 'markdown' | 'json';

export function renderDecision(d: Decision, format: ApprovalsFormat): string {
  if (format === 'json') return renderApprovalsJson(d);
  if (format === 'markdown') return renderApprovalsMarkdown(d);
  return renderApprovalsText(d);
}

export function registerApprovals(program: Command, io: Io, setExit: Exit): void {
  program
    .command('approvals')
    .description(
      'Decide whether a pull request has the approvals its changes need, explaining each rule. -C is the head checkout. Exit 0 approved, 3 not approved, 1 error.',
    )
    .requiredOption(
      '--base <dir>',
      'a checkout of the base branch (managers, owners, teams and offboarding holds are read from it)',
    )
    .option(
      '--changes <file>',
      'the pull request as JSON: {"pull": GET pulls/{n}, "files": GET pulls/{n}/files, "reviews": GET pulls/{n}/reviews}',
    )
    .option(
      '--pr <number>',
      'fetch pull request N of GITHUB_REPOSITORY through the GitHub API (GITHUB_TOKEN, GITHUB_API_URL) instead of --changes',
    )
    .option(
      '--pr-of-commit <sha>',
      'like --pr, for the open pull request whose head is this commit (the re-run after a review, through workflow_run)',
    )
    .option('--comment', 'with --pr: keep one approvals comment on the pull request, updated on each run')
    .option(
      '--check-run',
      'with --pr: post the verdict as the jml/approvals check run on the judged commit (GITHUB_TOKEN: the jml GitHub App)',
    )
    .option('--at <instant>', 'decide as of this instant (who has left, who is on hold); default now')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .action(async (opts: ApprovalsOptions, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const sources = [opts.changes, opts.pr, opts.prOfCommit].filter((x) => x !== undefined);
      if (sources.length !== 1) {
        io.err(
          'jml approvals: give exactly one of --changes <file>, --pr <number> and --pr-of-commit <sha>\n',
        );
        return setExit(APPROVALS_EXIT.error);
      }
      if ((opts.comment || opts.checkRun) && opts.changes) {
        io.err('jml approvals: --comment and --check-run need --pr or --pr-of-commit\n');
        return setExit(APPROVALS_EXIT.error);
      }
      if (opts.prOfCommit !== undefined && !/^[0-9a-f]{40}$/i.test(opts.prOfCommit)) {
        io.err(`jml approvals: --pr-of-commit ${opts.prOfCommit}: expected a 40-hex commit sha\n`);
        return setExit(APPROVALS_EXIT.error);
      }
      const { clock } = contextOf(io);
      let now: number;
      try {
        now = parseAtOption(opts.at, () => clock.now())();
      } catch (e) {
        io.err(`jml approvals: ${(e as Error).message}\n`);
        return setExit(APPROVALS_EXIT.error);
      }
      let pullRequest: ApprovalsPullRequest;
      if (opts.changes !== undefined) {
        try {
          const facts = parsePullRequestData(readFileSync(path.resolve(opts.changes), 'utf8'), opts.changes);
          pullRequest = { kind: 'facts', facts };
        } catch (e) {
          if (!(e instanceof PullRequestDataError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
          io.err(`jml approvals: ${(e as Error).message}\n`);
          return setExit(APPROVALS_EXIT.error);
        }
      } else {
        // The GitHub client (Octokit) is loaded only when a pull request is fetched.
        const github = await githubAccess();
        pullRequest = {
          kind: 'github',
          github,
          ...(opts.pr !== undefined ? { number: pullRequestNumber(opts.pr) } : {}),
          ...(opts.prOfCommit !== undefined ? { headSha: opts.prOfCommit } : {}),
          comment: Boolean(opts.comment),
          checkRun: Boolean(opts.checkRun),
        };
      }
      const r = await checkApprovals({ baseRoot: opts.base, headRoot: root, now, pullRequest });
      switch (r.kind) {
        case 'refused':
          io.err(`jml approvals: ${r.message}\n`);
          return setExit(APPROVALS_EXIT.error);
        case 'no-open-pull-request':
          io.out(
            `No open pull request has ${r.headSha.slice(0, 12)} as its head (a newer push is judged by its own run); nothing to decide.\n`,
          );
          return setExit(APPROVALS_EXIT.approved);
        case 'head-moved':
          io.out(
            `The head checkout is ${r.checkedOut.slice(0, 12)} but the pull request's head is now ${r.headSha.slice(0, 12)}: that commit is judged by its own run; nothing posted.\n`,
          );
          return setExit(APPROVALS_EXIT.approved);
      }
      io.out(renderDecision(r.decision, opts.format));
      if (r.failed !== undefined) throw r.failed;
      setExit(r.decision.approved ? APPROVALS_EXIT.approved : APPROVALS_EXIT.notApproved);
    });
}

interface ApprovalsOptions {
  base: string;
  changes?: string;
  pr?: string;
  prOfCommit?: string;
  comment?: boolean;
  checkRun?: boolean;
  at?: string;
  format: ApprovalsFormat;
}

/** `--pr`: a pull request number. */
function pullRequestNumber(pr: string): number {
  const number = Number(pr);
  if (!Number.isInteger(number) || number < 1) throw new Error(`--pr ${pr}: expected a pull request number`);
  return number;
}
