/**
 * `jml hr sync --source NAME | --snapshot FILE [--dry-run] [--format text|json] [--base BRANCH]`:
 * the HR system as the source of truth (src/engine/hr-sync.ts). Each joiner, mover, leaver,
 * rehire, cancelled termination and correction becomes ONE pull request, idempotently; an overdue
 * leaver is cut off every provider first. `--dry-run` stops after the classification: it prints
 * what it would do and changes nothing.
 *
 * The HR brake (src/hr/brake.ts): all the run's overdue cuts are counted before the first one,
 * against safety.maxDisables and safety.maxDisableShare of the active workforce. Over either, the
 * run cuts nobody, writes no hold and proposes no leaver at all, proposes the other events as
 * usual, and opens or updates one issue for the security team. `--allow-mass-disable` lets a real
 * mass departure through, and only for a current member of the security team. A snapshot lacking
 * more than hr.maxMissingShare of the active workers people/ holds for its source is reported the
 * same way.
 *
 * Exit 0: done; 2: some records were skipped as problems (the rest went through); 1: an error
 * (the repository does not validate, a cut or a pull request failed, --allow-mass-disable
 * refused); 4 (EXIT_HR_BRAKE): the brake held or the snapshot lacks workers: security must look.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import {
  type HrSyncOutcome,
  type HrSyncRefusal,
  type HrSyncReport,
  type HrSyncStatus,
  type SnapshotOrigin,
  syncHr,
} from '../engine/hr-sync.js';
import type { PrepareNotice } from '../engine/prepare.js';
import { renderDiagnosticsText } from '../report/diagnostics.js';
import { brakeSummary, renderSyncJson, renderSyncText } from './hr-render.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import {
  baseBranch,
  githubAccess,
  githubConfigured,
  reportNotices,
  reportRefusal,
  triggerFromEnv,
} from './run-support.js';

/** Exit code of a sync the HR brake stopped (or whose snapshot lacks workers): security decides. */
export const EXIT_HR_BRAKE = 4;

const EXIT: Record<HrSyncStatus, number> = { brake: EXIT_HR_BRAKE, failed: 1, problems: 2, done: 0 };

interface SyncOptions {
  source?: string;
  snapshot?: string;
  dryRun?: boolean;
  base?: string;
  format: 'text' | 'json';
  allowMassDisable?: boolean;
  operator?: string;
}

export function registerHr(program: Command, io: Io, setExit: Exit): void {
  const hr = program.command('hr').description('The HR system as the source of truth for people/.');
  hr.command('sync')
    .description(
      'Compare an HR snapshot with people/ and open one pull request per joiner, mover, leaver, rehire, cancelled termination or correction; ' +
        'an overdue leaver is cut off first, unless the run would cut more than policy safety allows. ' +
        `Exit 0 done, 2 some records skipped as problems, 1 error, ${EXIT_HR_BRAKE} stopped by the HR brake (see the security issue).`,
    )
    .option('--source <name>', 'an HR system of policy/jml.yaml hr.sources')
    .option('--snapshot <file>', 'an hr-snapshot/v1 file (JSON Lines or CSV) instead of a source')
    .option('--dry-run', 'print the events and the pull requests it would open; change nothing')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .option(
      '--allow-mass-disable',
      'cut every overdue leaver even over safety.maxDisables / maxDisableShare (a real mass departure); security team only',
    )
    .option(
      '--operator <login>',
      'with --allow-mass-disable, your GitHub login outside GitHub Actions (in Actions, GITHUB_ACTOR is used)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: SyncOptions, cmd: Command) => {
      setExit(await sync(opts, cmd, io));
    });
}

async function sync(opts: SyncOptions, cmd: Command, io: Io): Promise<number> {
  const { root } = cmd.optsWithGlobals<GlobalOptions>();
  if (Boolean(opts.source) === Boolean(opts.snapshot)) {
    io.err('jml hr sync: give either --source NAME or --snapshot FILE.\n');
    return 1;
  }
  const file = opts.snapshot;
  const snapshot: SnapshotOrigin = file
    ? { file, read: () => readFileSync(path.resolve(file), 'utf8') }
    : { source: opts.source! };
  const r = await syncHr(contextOf(io), {
    root,
    snapshot,
    dryRun: Boolean(opts.dryRun),
    allowMassDisable: Boolean(opts.allowMassDisable),
    ...(opts.operator ? { operator: opts.operator } : {}),
    base: baseBranch(opts.base),
    trigger: triggerFromEnv(cmd),
    ...(githubConfigured() ? { github: githubAccess } : {}),
  });
  if (!reportSyncOutcome(r, io)) return 1;
  const { report } = r;
  io.out(opts.format === 'json' ? renderSyncJson(report) : renderSyncText(report));
  if (!report.dryRun) reportReasons(report, io);
  return EXIT[report.status];
}

/**
 * Writes what the sync says on stderr before its report: prepare's notices, then a refusal (false:
 * exit 1). A repository with errors reads as hr sync always said it; a throw is main's to report.
 */
function reportSyncOutcome(r: HrSyncOutcome, io: Io): r is Extract<HrSyncOutcome, { report: HrSyncReport }> {
  if (!r.ok && r.refusal.kind === 'invalid') {
    io.err(renderDiagnosticsText(r.refusal.diagnostics, io.isTty));
    io.err('jml hr sync: nothing was synced: fix the errors above first.\n');
    return false;
  }
  if (!r.ok) {
    reportRefusal(r, io);
    return false;
  }
  reportNotices(noticesFor(r.notices, r.report?.cutTried ?? false), io);
  if (r.refused) {
    io.err(`${refusalText(r.refused)}\n`);
    return false;
  }
  return true;
}

/**
 * The notices a sync shows: a hold that cannot be read (it changes whom the brake counts and who
 * is cut) always; the others, as before every write to providers, when the run cut someone.
 */
function noticesFor(notices: readonly PrepareNotice[], cutTried: boolean): PrepareNotice[] {
  return cutTried ? [...notices] : notices.filter((n) => n.kind === 'unreadable-hold');
}

function refusalText(r: HrSyncRefusal): string {
  switch (r.kind) {
    case 'operator-refused':
      return `jml hr sync refused: ${r.message} Nothing was changed.`;
    case 'snapshot-unreadable':
      return `jml hr sync: ${r.message}`;
    case 'github-not-configured':
      return 'jml hr sync opens pull requests (and, when the HR brake holds, an issue): set GITHUB_TOKEN and GITHUB_REPOSITORY (or look first with --dry-run). Nothing was changed.';
  }
}

/** After a real run's report: why it failed or stopped, one line each. */
function reportReasons(report: HrSyncReport, io: Io): void {
  const { brake } = report;
  if (brake.error) io.err(`jml hr sync: ${brake.error}\n`);
  if (brake.finding)
    io.err(
      `jml hr sync: stopped by the HR brake${brake.issue ? ` (${brake.issue.url})` : ''}: ${brakeSummary(brake)}\n`,
    );
  for (const o of report.outcomes ?? [])
    if (o.error) io.err(`jml hr sync: ${o.event.event} ${o.event.person}: ${o.error}\n`);
}
