/**
 * `jml github`: what the workflows ask of GitHub, each a small step a workflow composes with the
 * engine's own output (a plan, a drift report, an apply record). The repository comes from
 * GITHUB_REPOSITORY, the token from GITHUB_TOKEN, the API from GITHUB_API_URL. The GitHub client
 * (Octokit) is loaded only when one of these runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { indexCheckout } from '../engine/checkout.js';
import type { ApplyRecord } from '../records/schema.js';
import { amendRecord } from '../records/store.js';
import { expiredExceptions, expiredExceptionsMarkdown } from '../report/expired-exceptions.js';
import { workItems } from '../report/work-items.js';
import { registerDayOne } from './day-one-command.js';
import type { GlobalOptions, Io } from './io.js';
import { parseAtOption } from './options.js';
import { baseBranch, githubAccess, recordFromOption } from './run-support.js';

type Exit = (code: number) => void;

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
      const { client, owner, repo } = await githubAccess();
      const body = readFileSync(path.resolve(opts.file), 'utf8');
      if (opts.commit) {
        const prs = await client.commentOnPullRequestsOf(owner, repo, opts.commit, body);
        io.out(
          `comment for ${opts.commit.slice(0, 7)} on ${owner}/${repo}: pull requests ${prs.join(', ') || 'none'}\n`,
        );
        return setExit(0);
      }
      const marker = `<!-- jml:${opts.kind.replace(/[^a-z0-9-]/gi, '')} -->`;
      const result = await client.upsertStickyComment(owner, repo, positive(opts.pr!, '--pr'), marker, body);
      io.out(`${opts.kind} comment on ${owner}/${repo}#${opts.pr}: ${result}\n`);
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
      if (opts.whenConnected) {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        const policy = parse(readFileSync(path.join(root, 'policy/jml.yaml'), 'utf8')) as {
          providers?: Record<string, { embedded?: boolean } | undefined>;
        };
        const cfg = policy.providers?.[opts.whenConnected];
        if (!cfg || cfg.embedded) {
          io.out(`${opts.whenConnected} is not connected in policy/jml.yaml: no token fetched.\n`);
          return setExit(0);
        }
      }
      const core = await import('@actions/core');
      const token = await core.getIDToken(opts.audience);
      core.setSecret(token);
      core.exportVariable(opts.env, token);
      io.out(`${opts.env} is set for the next steps (audience ${opts.audience}).\n`);
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
        const { client, owner, repo } = await githubAccess();
        const body = opts.file ? readFileSync(path.resolve(opts.file), 'utf8') : '';
        if (opts.comment) {
          const result = await client.appendToIssue(owner, repo, {
            title: opts.title,
            body,
            labels: opts.label,
          });
          io.out(`issue "${opts.title}" on ${owner}/${repo}: ${JSON.stringify(result)}\n`);
          return setExit(0);
        }
        const result = await client.syncIssue(
          owner,
          repo,
          {
            title: opts.title,
            body,
            labels: opts.label,
            closeComment: 'Resolved: the last run found nothing.',
          },
          !opts.close,
        );
        io.out(`issue "${opts.title}" on ${owner}/${repo}: ${JSON.stringify(result)}\n`);
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
      const found = recordFromOption(root, opts.record);
      if (!found) {
        io.out('No apply record: no manual work.\n');
        return setExit(0);
      }
      const { index, file, record } = found;
      const items = workItems(record, index, path.basename(file));
      if (items.length === 0) {
        io.out(`${path.basename(file)}: no manual work.\n`);
        return setExit(0);
      }
      const { client, owner, repo: name } = await githubAccess();
      const links: NonNullable<ApplyRecord['workIssues']> = [];
      for (const item of items) {
        const r = await client.openWorkIssue(owner, name, item);
        links.push({ person: item.person, app: item.app, url: r.issue.url });
        io.out(`${r.action === 'created' ? 'opened' : 'still open'}: ${r.issue.url} ${item.title}\n`);
      }
      // The record links its manual work, before it is kept as evidence.
      amendRecord(file, (r) => ({ ...r, workIssues: links }));
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
      const atOf = parseAtOption(opts.at);
      const index = indexCheckout(path.resolve(root));
      const at = atOf(index.policy.timezone);
      const expired = expiredExceptions(index, at);
      if (expired.length === 0) {
        io.out(`No exception has expired as of ${index.clock.dateOf(at)} (${index.policy.timezone}).\n`);
        return setExit(0);
      }
      for (const x of expired)
        io.out(`expired: ${x.id} ${x.person} (${x.entitlements.join(', ')}) on ${x.expires} ${x.where}\n`);
      const base = baseBranch(opts.base);
      const { client, owner, repo: name } = await githubAccess();
      const result = await client.proposeDeletion(owner, name, {
        branch: PRUNE_BRANCH,
        base,
        paths: expired.map((x) => x.path),
        title: 'Remove expired exceptions',
        body: expiredExceptionsMarkdown(expired, index.policy.timezone),
        labels: ['jml', 'expired-exceptions'],
      });
      if (!result.pullRequest) {
        io.out(`None of these files is on ${base} any more: no pull request.\n`);
        return setExit(0);
      }
      io.out(`${result.action} pull request: ${result.pullRequest.url}\n`);
      setExit(0);
    });

  gh.command('overdue-work')
    .description(
      'List the manual-work issues open longer than policy sla.manualWorkHours. Exit 0 none, 2 some (for the drift report), 1 error.',
    )
    .option('--at <time>', 'as of this instant (ISO); default now')
    .action(async (opts: { at?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const hours = indexCheckout(path.resolve(root)).policy.sla.manualWorkHours;
      const now = opts.at ? Date.parse(opts.at) : Date.now();
      if (Number.isNaN(now)) throw new Error(`--at ${opts.at}: expected an ISO instant`);
      const { client, owner, repo: name } = await githubAccess();
      const overdue = (await client.openWorkIssues(owner, name)).filter(
        (i) => now - Date.parse(i.createdAt) > hours * 3_600_000,
      );
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

/** The branch the expired-exceptions pull request is proposed from: one, reused by every run. */
export const PRUNE_BRANCH = 'jml/expired-exceptions';
