/**
 * `jml github`: what the workflows ask of GitHub, each a small step a workflow composes with the
 * engine's own output (a plan, a drift report, an apply record). The repository comes from
 * GITHUB_REPOSITORY, the token from GITHUB_TOKEN, the API from GITHUB_API_URL. The GitHub client
 * (Octokit) is loaded only when one of these runs. Each step is an engine use case
 * (src/engine/github-steps.ts, src/engine/day-one.ts); this file parses, calls it and says what
 * GitHub did.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  exportOidcToken,
  keepIssue,
  openWorkIssues,
  overdueWork,
  postComment,
  pruneExpiredExceptions,
} from '../engine/github-steps.js';
import { registerDayOne } from './day-one-command.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseAtOption } from './options.js';
import { baseBranch, githubAccess } from './run-support.js';

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} ${value}: expected a positive number`);
  return n;
}

export function registerGitHub(program: Command, io: Io, setExit: Exit): void {
  const gh = program
    .command('github')
    .description(
      'GitHub steps for the workflows: the sticky plan comment, the drift issue (needs GITHUB_TOKEN).',
    );
  registerDayOne(gh, io, setExit);

  gh.command('comment')
    .description(
      'Keep ONE comment of this kind on a pull request (--pr), or comment on the pull request a merge commit came from (--commit).',
    )
    .option('--pr <number>', 'the pull request')
    .option(
      '--commit <sha>',
      'a commit on the default branch: comment on the pull request it merged (apply results)',
    )
    .requiredOption(
      '--file <file>',
      'markdown to put in the comment (for example the output of jml plan --format markdown)',
    )
    .option('--kind <name>', 'which sticky comment: plan, or any other name', 'plan')
    .action(async (opts: { pr?: string; commit?: string; file: string; kind: string }) => {
      if (Boolean(opts.pr) === Boolean(opts.commit)) {
        throw new Error('jml github comment: give exactly one of --pr and --commit');
      }
      const gh = await githubAccess();
      const body = readFileSync(path.resolve(opts.file), 'utf8');
      const on = opts.commit ? { commit: opts.commit } : { pr: positive(opts.pr!, '--pr'), kind: opts.kind };
      const r = await postComment(gh, { on, body });
      if (r.on === 'commit')
        io.out(
          `comment for ${opts.commit!.slice(0, 7)} on ${gh.owner}/${gh.repo}: pull requests ${r.pullRequests.join(', ') || 'none'}\n`,
        );
      else
        io.out(
          `${opts.kind} comment on ${gh.owner}/${gh.repo}#${opts.pr}: ${r.comment.action} ${r.comment.url}${r.comment.truncated ? ' (cut to fit)' : ''}\n`,
        );
      setExit(0);
    });

  gh.command('oidc')
    .description(
      "Fetch the workflow's OIDC token for a provider login (needs id-token: write), mask it, and export it to later steps.",
    )
    .requiredOption('--audience <aud>', 'for example api://AzureADTokenExchange (Entra workload identity)')
    .requiredOption('--env <name>', 'the variable policy/jml.yaml names, for example ENTRA_FEDERATED_TOKEN')
    .option(
      '--when-connected <provider>',
      'do nothing unless policy/jml.yaml connects this provider for real',
    )
    .action(async (opts: { audience: string; env: string; whenConnected?: string }, cmd: Command) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(opts.env))
        throw new Error(`--env ${opts.env}: expected a variable name`);
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const r = await exportOidcToken(
        {
          root,
          audience: opts.audience,
          variable: opts.env,
          ...(opts.whenConnected ? { whenConnected: opts.whenConnected } : {}),
        },
        () => import('@actions/core'),
      );
      io.out(
        r.exported
          ? `${opts.env} is set for the next steps (audience ${opts.audience}).\n`
          : `${opts.whenConnected} is not connected in policy/jml.yaml: no token fetched.\n`,
      );
      setExit(0);
    });

  gh.command('issue')
    .description(
      'Keep ONE open issue with this exact title: opened, updated, or (with --close) closed with a comment.',
    )
    .requiredOption('--title <title>', 'the exact title, for example "jml: drift"')
    .option('--file <file>', 'markdown body (for example the output of jml drift --format markdown)')
    .option('--label <label...>', 'labels', ['jml'])
    .option('--close', 'the condition is gone: close the open issue, if any')
    .option(
      '--comment',
      'an event to acknowledge (a leaver SLA breach): open the issue, or add the file to it as a comment; never close it',
    )
    .action(
      async (opts: { title: string; file?: string; label: string[]; close?: boolean; comment?: boolean }) => {
        if (!opts.close && !opts.file) throw new Error('jml github issue: --file is needed unless --close');
        if (opts.close && opts.comment)
          throw new Error('jml github issue: --close and --comment contradict each other');
        const gh = await githubAccess();
        const body = opts.file ? readFileSync(path.resolve(opts.file), 'utf8') : '';
        const mode = opts.comment ? 'comment' : opts.close ? 'close' : 'sync';
        const result = await keepIssue(gh, { title: opts.title, body, labels: opts.label, mode });
        io.out(`issue "${opts.title}" on ${gh.owner}/${gh.repo}: ${JSON.stringify(result)}\n`);
        setExit(0);
      },
    );

  gh.command('work-issues')
    .description(
      "Open one issue per person and app for the manual work an apply left (tickets for apps without SSO, a leaver's offboarding steps), assigned to whoever must act, and link them from the apply record. Never closes anything.",
    )
    .option(
      '--record <file>',
      'the apply record (default: the newest in the records directory of policy/jml.yaml)',
    )
    .action(async (opts: { record?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const r = await openWorkIssues(
        { root, ...(opts.record !== undefined ? { record: opts.record } : {}) },
        githubAccess,
      );
      if (r.kind === 'no-record') io.out('No apply record: no manual work.\n');
      else if (r.kind === 'no-work') io.out(`${r.recordName}: no manual work.\n`);
      else {
        for (const i of r.issues)
          io.out(`${i.action === 'created' ? 'opened' : 'still open'}: ${i.url} ${i.title}\n`);
        if (r.failed !== undefined) throw r.failed;
      }
      setExit(0);
    });

  gh.command('prune-exceptions')
    .description(
      'Open (or update) ONE pull request that deletes the exception files whose expiry date has passed. Exit 0 also when none has.',
    )
    .option('--at <time>', 'as of this instant (ISO with offset) or date (org time zone); default now')
    .option(
      '--base <branch>',
      'the branch the pull request merges into (default: GITHUB_REF_NAME, the branch a scheduled run checks out, else main)',
    )
    .action(async (opts: { at?: string; base?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const { clock } = contextOf(io);
      const r = await pruneExpiredExceptions(
        { root, at: parseAtOption(opts.at, () => clock.now()), base: baseBranch(opts.base) },
        githubAccess,
      );
      if (r.kind === 'none') {
        io.out(`No exception has expired as of ${r.date} (${r.zone}).\n`);
        return setExit(0);
      }
      for (const x of r.expired)
        io.out(`expired: ${x.id} ${x.person} (${x.entitlements.join(', ')}) on ${x.expires} ${x.where}\n`);
      if (r.failed !== undefined) throw r.failed;
      const { deletion } = r;
      if (!deletion?.pullRequest) {
        io.out(`None of these files is on ${baseBranch(opts.base)} any more: no pull request.\n`);
        return setExit(0);
      }
      io.out(`${deletion.action} pull request: ${deletion.pullRequest.url}\n`);
      setExit(0);
    });

  gh.command('overdue-work')
    .description(
      'List the manual-work issues open longer than policy sla.manualWorkHours. Exit 0 none, 2 some (for the drift report), 1 error.',
    )
    .option('--at <time>', 'as of this instant (ISO); default now')
    .action(async (opts: { at?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const now = opts.at ? Date.parse(opts.at) : contextOf(io).clock.now();
      if (Number.isNaN(now)) throw new Error(`--at ${opts.at}: expected an ISO instant`);
      const { hours, overdue } = await overdueWork({ root, now }, githubAccess);
      if (overdue.length === 0) {
        io.out(`No manual work open longer than ${hours} h (policy/jml.yaml sla.manualWorkHours).\n`);
        return setExit(0);
      }
      io.out(
        `${overdue.length} manual-work issue(s) open longer than ${hours} h (policy/jml.yaml sla.manualWorkHours):\n`,
      );
      for (const i of overdue) {
        const age = Math.floor((now - Date.parse(i.createdAt)) / 3_600_000);
        const who = i.assignees.length ? i.assignees.map((a) => `@${a}`).join(', ') : 'nobody assigned';
        io.out(`- [manual-work-overdue] ${i.title} (#${i.number}, open ${age} h, ${who}): ${i.url}\n`);
      }
      setExit(2);
    });
}
