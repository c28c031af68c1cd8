/**
 * `jml approvals`: a required status check. Decides whether a pull request carries the approvals
 * its changes need (src/approvals/decide.ts) and explains each rule met or missing.
 *
 * Runs from local data: `-C` is a checkout of the pull request's head, `--base` a checkout of
 * its base commit, `--changes` the pull request, its files and its reviews as the GitHub REST
 * API returns them (src/approvals/pull-request.ts). Exit 0 approved, 3 not approved, 1 error.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { decide } from '../approvals/decide.js';
import {
  checkPullRequestData,
  PullRequestDataError,
  type PullRequestFacts,
  parsePullRequestData,
} from '../approvals/pull-request.js';
import { renderApprovalsJson, renderApprovalsMarkdown, renderApprovalsText } from '../approvals/render.js';
import type { Decision } from '../approvals/types.js';
import type { GlobalOptions, Io } from './main.js';
import { CheckoutError, indexCheckout } from './pipeline.js';

/** Exit codes of `jml approvals`. */
export const APPROVALS_EXIT = { approved: 0, error: 1, notApproved: 3 } as const;

export type ApprovalsFormat = 'text' | 'markdown' | 'json';

/** Decides from two checkouts and the pull request facts: what `--changes` and `--pr` both call. */
export function decideFromCheckouts(headRoot: string, baseRoot: string, facts: PullRequestFacts): Decision {
  const base = indexCheckout(
    path.resolve(baseRoot),
    undefined,
    ' on the base branch, so its teams are unknown',
  );
  const head = indexCheckout(path.resolve(headRoot), base.policy);
  return decide({
    base,
    head,
    files: facts.files,
    author: facts.author,
    headSha: facts.headSha,
    reviews: facts.reviews,
  });
}

export function renderDecision(d: Decision, format: ApprovalsFormat): string {
  if (format === 'json') return renderApprovalsJson(d);
  if (format === 'markdown') return renderApprovalsMarkdown(d);
  return renderApprovalsText(d);
}

export function registerApprovals(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('approvals')
    .description(
      'Decide whether a pull request has the approvals its changes need, explaining each rule. -C is the head checkout. Exit 0 approved, 3 not approved, 1 error.',
    )
    .requiredOption(
      '--base <dir>',
      'a checkout of the base commit (managers, owners and teams are read from it)',
    )
    .option(
      '--changes <file>',
      'the pull request as JSON: {"pull": GET pulls/{n}, "files": GET pulls/{n}/files, "reviews": GET pulls/{n}/reviews}',
    )
    .option(
      '--pr <number>',
      'fetch pull request N of GITHUB_REPOSITORY through the GitHub API (GITHUB_TOKEN, GITHUB_API_URL) instead of --changes',
    )
    .option('--comment', 'with --pr: keep one approvals comment on the pull request, updated on each run')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .action(async (opts: ApprovalsOptions, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      if (Boolean(opts.changes) === Boolean(opts.pr)) {
        io.err('jml approvals: give exactly one of --changes <file> and --pr <number>\n');
        return setExit(APPROVALS_EXIT.error);
      }
      if (opts.comment && !opts.pr) {
        io.err('jml approvals: --comment needs --pr\n');
        return setExit(APPROVALS_EXIT.error);
      }
      let facts: PullRequestFacts;
      // The GitHub client (Octokit) is loaded only when a pull request is fetched.
      const github = opts.pr ? await pullRequestFromGitHub(opts.pr) : undefined;
      try {
        facts = github
          ? checkPullRequestData(
              await github.client.pullRequestData(github.owner, github.repo, github.number),
              `GitHub ${github.owner}/${github.repo}#${github.number}`,
            )
          : parsePullRequestData(readFileSync(path.resolve(opts.changes!), 'utf8'), opts.changes!);
      } catch (e) {
        if (
          e instanceof PullRequestDataError ||
          (e as Error).name === 'GitHubError' ||
          (e as NodeJS.ErrnoException).code === 'ENOENT'
        ) {
          io.err(`jml approvals: ${(e as Error).message}\n`);
          return setExit(APPROVALS_EXIT.error);
        }
        throw e;
      }
      let decision: Decision;
      try {
        decision = decideFromCheckouts(root, opts.base, facts);
      } catch (e) {
        if (e instanceof CheckoutError) {
          io.err(`jml approvals: ${e.message}\n`);
          return setExit(APPROVALS_EXIT.error);
        }
        throw e;
      }
      io.out(renderDecision(decision, opts.format));
      if (github && opts.comment) {
        await github.client.upsertStickyComment(
          github.owner,
          github.repo,
          github.number,
          APPROVALS_MARKER,
          renderApprovalsMarkdown(decision),
        );
      }
      setExit(decision.approved ? APPROVALS_EXIT.approved : APPROVALS_EXIT.notApproved);
    });
}

interface ApprovalsOptions {
  base: string;
  changes?: string;
  pr?: string;
  comment?: boolean;
  format: ApprovalsFormat;
}

/** The marker of the one approvals comment jml keeps on a pull request. */
export const APPROVALS_MARKER = '<!-- jml:approvals -->';

async function pullRequestFromGitHub(pr: string) {
  const number = Number(pr);
  if (!Number.isInteger(number) || number < 1) throw new Error(`--pr ${pr}: expected a pull request number`);
  const { clientFromEnv, repositoryFromEnv } = await import('../github/event.js');
  return { client: clientFromEnv(), ...repositoryFromEnv(), number };
}
