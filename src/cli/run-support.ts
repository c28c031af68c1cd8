/**
 * What the commands share: the engine's prepare with its notices and refusals rendered (the
 * texts the commands always printed), who started the run (for the apply record), and how a
 * leaver SLA breach is reported (loudly, with its own exit code).
 */
import * as core from '@actions/core';
import type { Command } from 'commander';
import type { EngineOutcome, PrepareNotice, PrepareRequest, Refused } from '../engine/prepare.js';
import type { GitHubAccess } from '../github/client.js';
import type { ProviderName } from '../model/schema.js';
import type { LeaverTiming, Trigger } from '../records/schema.js';
import { renderDiagnosticsText } from '../report/diagnostics.js';
import { contextOf, type Io } from './io.js';
import { parseAtOption } from './options.js';

/** What prepare noticed on the way, as the line the user reads on stderr. */
export function renderPrepareNotice(n: PrepareNotice): string {
  switch (n.kind) {
    case 'time-dependent':
      return `Note: ${n.diagnostics.map((d) => `${d.file}:${d.line} ${d.rule}`).join('; ')} (fix by pull request; planning goes on).\n`;
    case 'unreadable-hold':
      return `Note: ${n.file} ${n.problem}; the person it names stays held (fail closed) until it is repaired or a later record of theirs decides.\n`;
    case 'hold-in-force': {
      const h = n.hold;
      return (
        `Note: ${h.person} was offboarded at ${h.at} by ${h.requestedBy} (${h.pullRequest?.url ?? h.record}); ` +
        `access stays cut until people/${h.person}.yaml records the termination or jml offboard --cancel lifts it.\n`
      );
    }
    case 'warnings':
      // jml validate prints them; the plan comment carries them to the reviewer.
      return '';
  }
}

/** Writes prepare's notices to stderr, in the order they happened. */
export function reportNotices(notices: readonly PrepareNotice[], io: Io): void {
  for (const n of notices) {
    const text = renderPrepareNotice(n);
    if (text) io.err(text);
  }
}

/**
 * Tells the user why a use case was refused (after its notices) on stderr; the command then exits
 * 1. An infrastructure failure is thrown on, for main to report as `jml: <message>`.
 */
export function reportRefusal(refused: Refused, io: Io): void {
  reportNotices(refused.notices, io);
  const r = refused.refusal;
  switch (r.kind) {
    case 'invalid':
      io.err(renderDiagnosticsText(r.diagnostics, io.isTty));
      io.err('Nothing was planned or applied: fix the errors above first.\n');
      return;
    case 'base-unreadable':
      io.err(`--base: ${r.message}\nNothing was planned.\n`);
      return;
    case 'provider-not-configured':
      io.err(`jml: provider ${r.provider} is not configured in ${r.where}\n`);
      return;
    case 'failed':
      throw r.error;
  }
}

/**
 * Renders a use case's outcome on stderr: its refusal (false: the command exits 1), or the
 * notices of one that went ahead (true, and `r` is its result).
 */
export function reportOutcome<T extends EngineOutcome>(r: T, io: Io): r is Extract<T, { ok: true }> {
  if (!r.ok) {
    reportRefusal(r, io);
    return false;
  }
  reportNotices(r.notices, io);
  return true;
}

/** The engine's request from the flags every preparing command shares (`--at` parsed here). */
export function prepareRequest(
  io: Io,
  root: string,
  atOpt: string | undefined,
  only?: ProviderName,
  connectionsFrom?: string,
): PrepareRequest {
  const { clock } = contextOf(io);
  const at = parseAtOption(atOpt, () => clock.now());
  return {
    root,
    at,
    ...(only ? { only } : {}),
    ...(connectionsFrom !== undefined ? { connectionsFrom } : {}),
  };
}

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
