/**
 * What the commands that write to providers share: who started the run (for the apply record),
 * and how a leaver SLA breach is reported (loudly, with its own exit code).
 */
import path from 'node:path';
import * as core from '@actions/core';
import type { Command } from 'commander';
import type { GitHubAccess } from '../github/client.js';
import type { ApplyRecord, LeaverTiming, Trigger } from '../records/schema.js';
import { newestRecordFile, readRecordFile } from '../records/store.js';
import type { Io } from './main.js';
import { indexCheckout } from './pipeline.js';

/** Exit code of a run whose changes all went through but a leaver's SLA did not hold. */
export const EXIT_SLA_BREACH = 3;

/**
 * Prints every SLA breach in the records loudly (an error annotation in GitHub Actions) and
 * returns whether there was one.
 */
export function reportBreaches(timings: readonly LeaverTiming[], io: Io): boolean {
  const breaches = timings.filter((t) => t.withinSla === false);
  for (const t of breaches) {
    io.err(`SLA BREACH: ${t.breach}.\n`);
    if (process.env.GITHUB_ACTIONS)
      core.error(`Leaver SLA breached: ${t.breach}`, { title: 'jml: leaver SLA' });
  }
  return breaches.length > 0;
}

/** Who and what started this run, for the apply record. Never includes secrets. */
export function triggerFromEnv(cmd: Command): Trigger {
  const env = process.env;
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const flags = cmd.options
    .filter((o) => cmd.getOptionValue(o.attributeName()) !== undefined && o.long !== '--format')
    .map((o) => o.long);
  return {
    actor: env.GITHUB_ACTOR ?? env.USER ?? 'unknown',
    command: ['jml', cmd.name(), ...flags].join(' '),
    ci: Boolean(env.CI),
    ...(runUrl ? { runUrl } : {}),
  };
}

/**
 * Commands that write to providers run only with --confirm; without it they say so, with what to
 * run to look first, and write nothing. Returns true when the command must stop.
 */
export function withoutConfirm(
  confirm: boolean | undefined,
  io: Io,
  command: string,
  lookFirst: string,
): boolean {
  if (confirm) return false;
  io.err(`jml ${command} writes to identity providers: add --confirm. ${lookFirst}\n`);
  return true;
}

/**
 * The exit code of a run that wrote to providers: a breached leaver SLA (3) is the loudest and
 * wins, then any change that did not go through (1).
 */
export function exitCode(result: string, breached: boolean): number {
  if (breached) return EXIT_SLA_BREACH;
  return ['applied', 'no-changes'].includes(result) ? 0 : 1;
}

/**
 * The apply record a GitHub step works from: `--record F`, else the newest in the records
 * directory of policy/jml.yaml; with the checkout's index. Undefined when there is none; throws
 * when the file is not a valid apply record.
 */
export function recordFromOption(
  root: string,
  recordOpt: string | undefined,
): { index: ReturnType<typeof indexCheckout>; file: string; record: ApplyRecord } | undefined {
  const index = indexCheckout(path.resolve(root));
  const file = recordOpt
    ? path.resolve(recordOpt)
    : newestRecordFile(path.resolve(root, index.policy.records.dir));
  if (!file) return undefined;
  const read = readRecordFile(file);
  if ('problem' in read) throw new Error(`${file} ${read.problem}`);
  return { index, file, record: read.record };
}

/** Whether GitHub is configured here: a token (GITHUB_TOKEN or GH_TOKEN) and GITHUB_REPOSITORY. */
export function githubConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean((env.GITHUB_TOKEN || env.GH_TOKEN) && env.GITHUB_REPOSITORY);
}

/**
 * The client and repository from the environment (src/github/event.ts), Octokit loaded only now:
 * commands that never talk to GitHub never pay for it. Throws a clear error when not configured.
 */
export async function githubAccess(): Promise<GitHubAccess> {
  const { clientFromEnv, repositoryFromEnv } = await import('../github/event.js');
  return { client: clientFromEnv(), ...repositoryFromEnv() };
}

/** As githubAccess, or undefined when GitHub is not configured here. */
export async function githubIfConfigured(): Promise<GitHubAccess | undefined> {
  return githubConfigured() ? githubAccess() : undefined;
}

/** The branch pull requests target: the option, else the workflow's branch, else main. */
export function baseBranch(option: string | undefined): string {
  return option ?? (process.env.GITHUB_REF_NAME || 'main');
}
