/**
 * `jml github`: what the workflows ask of GitHub, each a small step a workflow composes with the
 * engine's own output (a plan, a drift report, an apply record). The repository comes from
 * GITHUB_REPOSITORY, the token from GITHUB_TOKEN, the API from GITHUB_API_URL. The GitHub client
 * (Octokit) is loaded only when one of these runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Io } from './main.js';

type Exit = (code: number) => void;

async function github() {
  const { clientFromEnv, repositoryFromEnv } = await import('../github/event.js');
  return { client: clientFromEnv(), ...repositoryFromEnv() };
}

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

  gh.command('comment')
    .description(
      'Keep ONE comment of this kind on a pull request: created once, then updated (never a new one per run).',
    )
    .requiredOption('--pr <number>', 'the pull request')
    .requiredOption(
      '--file <file>',
      'markdown to put in the comment (for example the output of jml plan --format markdown)',
    )
    .option('--kind <name>', 'which sticky comment: plan, or any other name', 'plan')
    .action(async (opts: { pr: string; file: string; kind: string }) => {
      const { client, owner, repo } = await github();
      const marker = `<!-- jml:${opts.kind.replace(/[^a-z0-9-]/gi, '')} -->`;
      const body = readFileSync(path.resolve(opts.file), 'utf8');
      const result = await client.upsertStickyComment(owner, repo, positive(opts.pr, '--pr'), marker, body);
      io.out(`${opts.kind} comment on ${owner}/${repo}#${opts.pr}: ${result}\n`);
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
    .action(async (opts: { title: string; file?: string; label: string[]; close?: boolean }) => {
      if (!opts.close && !opts.file) throw new Error('jml github issue: --file is needed unless --close');
      const { client, owner, repo } = await github();
      const body = opts.file ? readFileSync(path.resolve(opts.file), 'utf8') : '';
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
    });
}
