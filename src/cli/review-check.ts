/**
 * `jml review check`: the required check on a review pull request (src/engine/review/check.ts,
 * the rules in src/review/check.ts). The pull request is read through the GitHub API (`--pr N`,
 * or `--pr-of-commit SHA` for the open one whose head is that commit: the re-run after a review,
 * through workflow_run), `-C` a checkout of its base; or from two checkouts (`--base`, `--head`,
 * `--changes`). `--comment` keeps one verdict comment on the pull request; `--check-run` posts
 * the verdict as the check run `jml/review` on the judged commit with the token in GITHUB_TOKEN
 * (in the trusted workflow: the approvals GitHub App's, the only source branch protection
 * accepts). Exit 0 passed, 3 refused, 1 error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import {
  PullRequestDataError,
  type PullRequestFacts,
  parsePullRequestData,
} from '../approvals/pull-request.js';
import { checkReviewPullRequest, type Posted, type ReviewCheckRequest } from '../engine/review/check.js';
import { NOT_A_REVIEW, renderReviewCheck } from '../review/check.js';
import type { Exit, GlobalOptions, Io } from './io.js';
import { parseQuarter } from './options.js';
import { githubAccess } from './run-support.js';

/** Exit codes of `jml review check`. */
export const REVIEW_CHECK_EXIT = { passed: 0, error: 1, refused: 3 } as const;

interface CheckOptions {
  quarter?: string;
  pr?: string;
  prOfCommit?: string;
  comment?: boolean;
  checkRun?: boolean;
  base?: string;
  head?: string;
  changes?: string;
  format: 'text' | 'markdown' | 'json';
}

/** Adds `check` to the `jml review` command. */
export function registerReviewCheck(review: Command, io: Io, setExit: Exit): void {
  review
    .command('check')
    .description(
      'The required check on a review pull request: only decisions and justifications changed, every item decided, revoke and dont-know justified, no self-review, the reviewer approving the head commit. Exit 0 passed, 3 refused, 1 error.',
    )
    .option(
      '--quarter <quarter>',
      'the quarter (default: the one of the reviewer file the pull request changes)',
      parseQuarter,
    )
    .option(
      '--pr <number>',
      'read pull request N of GITHUB_REPOSITORY through the GitHub API (-C: a checkout of its base, for people)',
    )
    .option(
      '--pr-of-commit <sha>',
      'like --pr, for the open pull request whose head is this commit (the re-run after a review, through workflow_run)',
    )
    .option('--comment', 'with --pr or --pr-of-commit: keep one verdict comment on the pull request')
    .option(
      '--check-run',
      'with --pr or --pr-of-commit: post the verdict as the jml/review check run on the judged commit (GITHUB_TOKEN: the approvals GitHub App)',
    )
    .option('--base <dir>', 'without --pr: a checkout of the base')
    .option('--head <dir>', "without --pr: a checkout of the pull request's head")
    .option(
      '--changes <file>',
      'without --pr: the pull request and its reviews as JSON, as jml approvals --changes reads it',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .action(async (opts: CheckOptions, cmd: Command) => {
      const fail = (m: string) => {
        io.err(`jml review check: ${m}\n`);
        setExit(REVIEW_CHECK_EXIT.error);
      };
      /** The verdict's exit code, unless posting it failed (exit 1, after the verdict). */
      const finish = (posted: Posted, code: number) =>
        posted.error === undefined ? setExit(code) : fail(posted.error);
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const fromGitHub = opts.pr !== undefined || opts.prOfCommit !== undefined;
      const local = opts.base !== undefined || opts.head !== undefined;
      if (opts.pr !== undefined && opts.prOfCommit !== undefined)
        return fail('give one of --pr <number> and --pr-of-commit <sha>.');
      if (fromGitHub === local)
        return fail('give either --pr <number> (or --pr-of-commit <sha>), or --base <dir> and --head <dir>.');
      if (local && !(opts.base && opts.head)) return fail('--base and --head go together.');
      if (opts.comment && !fromGitHub) return fail('--comment needs --pr or --pr-of-commit.');
      if (opts.checkRun && !fromGitHub) return fail('--check-run needs --pr or --pr-of-commit.');
      if (opts.changes && !local) return fail('--changes goes with --base and --head.');

      let pullRequest: ReviewCheckRequest['pullRequest'];
      if (opts.prOfCommit !== undefined) {
        if (!/^[0-9a-f]{40}$/i.test(opts.prOfCommit))
          return fail(`--pr-of-commit ${opts.prOfCommit}: expected a 40-hex commit sha.`);
        pullRequest = { from: 'github', headSha: opts.prOfCommit, root };
      } else if (opts.pr !== undefined) {
        const number = Number(opts.pr);
        if (!Number.isInteger(number) || number < 1)
          return fail(`--pr ${opts.pr}: expected a pull request number.`);
        pullRequest = { from: 'github', number, root };
      } else {
        let given: PullRequestFacts | undefined;
        try {
          given = opts.changes
            ? parsePullRequestData(readFileSync(path.resolve(opts.changes), 'utf8'), opts.changes)
            : undefined;
        } catch (e) {
          if (e instanceof PullRequestDataError) return fail(e.message);
          throw e;
        }
        pullRequest = { from: 'checkouts', base: opts.base!, head: opts.head!, ...(given ? { given } : {}) };
      }
      // The GitHub client (Octokit) is loaded only when a pull request is read from GitHub.
      const github = fromGitHub ? await githubAccess() : undefined;
      const r = await checkReviewPullRequest(
        {
          pullRequest,
          ...(opts.quarter ? { quarter: opts.quarter } : {}),
          comment: Boolean(opts.comment),
          checkRun: Boolean(opts.checkRun),
        },
        github ? { github } : {},
      );
      switch (r.kind) {
        case 'error':
          return fail(r.message);
        case 'no-pull-request':
          io.out(
            `No open pull request has ${r.headSha.slice(0, 12)} as its head (a newer push is judged by its own run); nothing to check.\n`,
          );
          return setExit(REVIEW_CHECK_EXIT.passed);
        case 'not-a-review':
          io.out(`${NOT_A_REVIEW}\n`);
          return finish(r.posted, REVIEW_CHECK_EXIT.passed);
        case 'judged':
          if (opts.format === 'json') io.out(`${JSON.stringify(r.check, null, 2)}\n`);
          else io.out(renderReviewCheck(r.check, opts.format === 'markdown'));
          return finish(r.posted, r.check.passed ? REVIEW_CHECK_EXIT.passed : REVIEW_CHECK_EXIT.refused);
      }
    });
}
