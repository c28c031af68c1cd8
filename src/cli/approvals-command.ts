/**
 * `jml approvals`: the required check. Decides whether a pull request carries the approvals its
 * effect needs (src/engine/approvals.ts, src/approvals/decide.ts) and explains each rule met or
 * missing.
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
import {
  checkPullRequestData,
  PullRequestDataError,
  type PullRequestFacts,
  parsePullRequestData,
} from '../approvals/pull-request.js';
import {
  headline,
  renderApprovalsJson,
  renderApprovalsMarkdown,
  renderApprovalsText,
} from '../approvals/render.js';
import type { Decision } from '../approvals/types.js';
import { decideFromCheckouts } from '../engine/approvals.js';
import { CheckoutError } from '../engine/checkout.js';
import type { GitHubAccess, GitHubClient } from '../github/client.js';
import { gitCommit } from '../load/git.js';
import type { GlobalOptions, Io } from './io.js';
import { parseAtOption } from './options.js';

/** Exit codes of `jml approvals`. */
export const APPROVALS_EXIT = { approved: 0, error: 1, notApproved: 3 } as const;

export type ApprovalsFormat = 'text' | 'markdown' | 'json';

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
      let now: number;
      try {
        now = parseAtOption(opts.at, io.clock ? () => io.clock!.now() : undefined)();
      } catch (e) {
        io.err(`jml approvals: ${(e as Error).message}\n`);
        return setExit(APPROVALS_EXIT.error);
      }
      let facts: PullRequestFacts;
      // The GitHub client (Octokit) is loaded only when a pull request is fetched.
      let github: Awaited<ReturnType<typeof pullRequestFromGitHub>> | undefined;
      try {
        github =
          opts.pr || opts.prOfCommit ? await pullRequestFromGitHub(opts.pr, opts.prOfCommit) : undefined;
      } catch (e) {
        if ((e as Error).name !== 'GitHubError') throw e;
        io.err(`jml approvals: ${(e as Error).message}\n`);
        return setExit(APPROVALS_EXIT.error);
      }
      if (opts.prOfCommit && github?.number === undefined) {
        io.out(
          `No open pull request has ${opts.prOfCommit.slice(0, 12)} as its head (a newer push is judged by its own run); nothing to decide.\n`,
        );
        return setExit(APPROVALS_EXIT.approved);
      }
      try {
        facts =
          github?.number !== undefined
            ? checkPullRequestData(
                await github.client.pullRequestData(github.owner, github.repo, github.number!),
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
      // The verdict is for the commit checked out and read, never for one it did not read.
      const checkedOut = gitCommit(path.resolve(root));
      if (github && checkedOut && checkedOut.toLowerCase() !== facts.headSha.toLowerCase()) {
        io.out(
          `The head checkout is ${checkedOut.slice(0, 12)} but the pull request's head is now ${facts.headSha.slice(0, 12)}: that commit is judged by its own run; nothing posted.\n`,
        );
        return setExit(APPROVALS_EXIT.approved);
      }
      let decision: Decision;
      try {
        decision = decideFromCheckouts({
          baseRoot: opts.base,
          headRoot: root,
          files: facts.files,
          author: facts.author,
          headSha: facts.headSha,
          reviews: facts.reviews,
          now,
        });
      } catch (e) {
        if (e instanceof CheckoutError) {
          io.err(`jml approvals: ${e.message}\n`);
          return setExit(APPROVALS_EXIT.error);
        }
        throw e;
      }
      io.out(renderDecision(decision, opts.format));
      if (github?.number !== undefined && opts.comment) {
        await github.client.upsertStickyComment(
          github.owner,
          github.repo,
          github.number,
          APPROVALS_MARKER,
          renderApprovalsMarkdown(decision),
        );
      }
      if (github && opts.checkRun) {
        await github.client.createCheckRun(github.owner, github.repo, {
          headSha: decision.headSha,
          conclusion: decision.approved ? 'success' : 'failure',
          title: headline(decision),
          summary: renderApprovalsMarkdown(decision),
        });
      }
      setExit(decision.approved ? APPROVALS_EXIT.approved : APPROVALS_EXIT.notApproved);
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

/** The marker of the one approvals comment jml keeps on a pull request. */
export const APPROVALS_MARKER = '<!-- jml:approvals -->';

/**
 * What `jml approvals` asks of GitHub: the pull request (or the open one whose head is a commit)
 * as the REST API returns it, then the sticky comment and the check run that report the decision.
 */
type ApprovalsGitHub = Pick<
  GitHubClient,
  'openPullRequestWithHead' | 'pullRequestData' | 'upsertStickyComment' | 'createCheckRun'
>;

/** The GitHub client and the pull request: by number, or the open one whose head is a commit. */
async function pullRequestFromGitHub(
  pr: string | undefined,
  headSha: string | undefined,
): Promise<GitHubAccess<ApprovalsGitHub> & { number: number | undefined }> {
  const { clientFromEnv, repositoryFromEnv } = await import('../github/event.js');
  const client = clientFromEnv();
  const { owner, repo } = repositoryFromEnv();
  if (headSha !== undefined)
    return { client, owner, repo, number: await client.openPullRequestWithHead(owner, repo, headSha) };
  const number = Number(pr);
  if (!Number.isInteger(number) || number < 1) throw new Error(`--pr ${pr}: expected a pull request number`);
  return { client, owner, repo, number };
}
