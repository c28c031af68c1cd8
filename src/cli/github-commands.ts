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
import { captureMergeEvidence, type MergeEvidenceResult } from '../engine/merge-evidence.js';
import { recordTicketStatus, type TicketStatusResult } from '../engine/ticket-status.js';
import { registerDayOne } from './day-one-command.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseAtOption } from './options.js';
import { baseBranch, githubAccess, triggerFromEnv } from './run-support.js';

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

  gh.command('merge-evidence')
    .description(
      "Amend the apply record with the approval evidence of the commit applied, read now rather than when the evidence pack is built: the pull request that merged it (author, merger, times), every review and whether it counted, each changed person's manager of record on the base branch, and the approvals verdict recomputed from git. Exit 0 written (or no record), 1 error.",
    )
    .option('--commit <sha>', "the commit applied (default: the record's commit)")
    .option(
      '--record <file>',
      'the apply record (default: the newest in the records directory of policy/jml.yaml)',
    )
    .action(async (opts: { commit?: string; record?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const ctx = contextOf(io);
      const r = await captureMergeEvidence(
        {
          root,
          ...(opts.record !== undefined ? { record: opts.record } : {}),
          ...(opts.commit !== undefined ? { commit: opts.commit } : {}),
          now: ctx.clock.wall?.() ?? ctx.clock.now(),
          env: ctx.env,
        },
        githubAccess,
      );
      setExit(renderMergeEvidence(r, io));
    });

  gh.command('ticket-status')
    .description(
      'Read the state of every manual-work issue the apply records link and, when any changed since the last observation recorded, write ONE record of them all (opened, closed when and by whom), kept as evidence. Exit 0 (recorded or unchanged), 1 error.',
    )
    .option(
      '--evidence <dir...>',
      "more records to read, at any depth: a copy of the evidence branch's records/ (earlier runs' links and observations)",
    )
    .action(async (opts: { evidence?: string[] }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const ctx = contextOf(io);
      const trigger = triggerFromEnv(cmd);
      const r = await recordTicketStatus(
        {
          root,
          ...(opts.evidence ? { evidence: opts.evidence } : {}),
          now: ctx.clock.now(),
          trigger: { ...trigger, command: trigger.command.replace(/^jml /, 'jml github ') },
        },
        githubAccess,
      );
      setExit(renderTicketStatus(r, io));
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

/** What merge-evidence did, for the step's log; returns the exit code. */
function renderMergeEvidence(r: MergeEvidenceResult, io: Io): number {
  switch (r.kind) {
    case 'no-record':
      io.out('No apply record: no merge evidence to attach.\n');
      return 0;
    case 'refused':
      io.err(`jml github merge-evidence: ${r.message}\n`);
      return 1;
    case 'failed':
      io.err(
        `Merge evidence of ${r.commit.slice(0, 7)} not recorded: ${r.message}. ${r.recordName} is unchanged; run jml github merge-evidence again once GitHub answers.\n`,
      );
      return 1;
    case 'recorded': {
      const e = r.evidence;
      const pr = e.pullRequest;
      io.out(
        pr
          ? `${r.recordName}: ${e.commit.slice(0, 7)} merged by pull request #${pr.number} (${pr.url}) from @${pr.author}${pr.mergedBy ? `, merged by @${pr.mergedBy}` : ''}; ${e.reviews.length} review(s), ${e.reviews.filter((x) => x.counts).length} counting.\n`
          : `${r.recordName}: ${e.noPullRequest}\n`,
      );
      for (const m of e.managers)
        io.out(
          `  ${m.person}: manager of record ${m.manager ? `${m.manager}${m.managerLogin ? ` (@${m.managerLogin})` : ''}` : 'none on the base branch'}\n`,
        );
      if (e.verdict) {
        io.out(`  verdict: ${e.verdict.approved ? 'approved' : 'NOT approved'}\n`);
        for (const q of e.verdict.requirements)
          io.out(
            `  - ${q.status} ${q.rule} ${q.file}:${q.line}${q.satisfiedBy ? ` by @${q.satisfiedBy}` : ''}: ${q.why}\n`,
          );
      } else io.out(`  verdict: not computed (${e.verdictError})\n`);
      return 0;
    }
  }
}

/** What ticket-status saw and wrote; returns the exit code. */
function renderTicketStatus(r: TicketStatusResult, io: Io): number {
  for (const p of r.problems) io.err(`Note: ${p.file} ${p.problem}; it was skipped.\n`);
  if (r.kind === 'failed') {
    io.err(`Ticket state not recorded: ${r.message}. Nothing was written; the next run reads them again.\n`);
    return 1;
  }
  if (r.kind === 'no-tickets') {
    io.out(`No open manual-work ticket linked from the records (${r.closed} seen closed earlier).\n`);
    return 0;
  }
  for (const url of r.gone)
    io.err(`Note: ${url} cannot be read any more (deleted, moved, or not an issue).\n`);
  if (r.kind === 'unchanged') {
    io.out(`${r.read} ticket(s) read, none changed since the last observation: nothing recorded.\n`);
    return 0;
  }
  for (const c of r.changed) {
    const t = c.ticket;
    const now =
      t.state === 'closed'
        ? `closed at ${t.closedAt} by ${t.closedBy ? `@${t.closedBy}` : 'unknown'}`
        : 'open';
    io.out(`${t.url} (${t.person}, ${t.app}): ${c.before ? `${c.before.state} -> ` : 'first seen '}${now}\n`);
  }
  io.out(`Recorded ${r.tickets.length} ticket(s) in ${r.file}.\n`);
  return 0;
}
