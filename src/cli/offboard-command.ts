/**
 * `jml offboard <person> --now --reason TEXT`: emergency offboarding for a high-risk departure.
 * The flags are checked here; the cut, the hold and the pull request that records the termination
 * are the engine's (src/engine/offboard.ts), rendered here. Only the security team may run it;
 * `--cancel` lifts a mistaken hold (security too).
 */
import { type Command, Option } from 'commander';
import { OFFBOARD_LABELS, type OffboardRefusal, offboard } from '../engine/offboard.js';
import { personNames } from '../engine/prepare.js';
import { renderApplyText } from '../report/render-apply.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import {
  baseBranch,
  exitCode,
  githubAccess,
  githubConfigured,
  reportBreaches,
  reportOutcome,
  triggerFromEnv,
} from './run-support.js';

export function registerOffboard(program: Command, io: Io, setExit: Exit): void {
  program
    .command('offboard')
    .description(
      'Emergency offboarding: cut the person off every provider now, then open the pull request that records the termination. Security team only.',
    )
    .argument('<person>', 'person id (people/<id>.yaml)')
    .option(
      '--now',
      'cut access now (required: a planned departure is a pull request setting employment.end)',
    )
    .requiredOption(
      '--reason <text>',
      'why, for the record and the pull request (a ticket id; no personal details)',
    )
    .option(
      '--operator <login>',
      'your GitHub login, outside GitHub Actions (in Actions, GITHUB_ACTOR is used)',
    )
    .option(
      '--cancel',
      'lift an earlier emergency offboarding hold (the person gets access back per people/)',
    )
    .option(
      '--hold-only',
      'with --now: only record the hold (the workflow keeps it on the evidence branch before the cut)',
    )
    .option('--base <branch>', 'branch the pull request targets (default: GITHUB_REF_NAME, else main)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      async (
        person: string,
        opts: {
          now?: boolean;
          reason: string;
          operator?: string;
          cancel?: boolean;
          holdOnly?: boolean;
          base?: string;
          format: string;
        },
        cmd: Command,
      ) => {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        if (opts.cancel && (opts.now || opts.holdOnly)) {
          io.err('jml offboard: --cancel lifts a hold; it cannot be given with --now or --hold-only.\n');
          return setExit(1);
        }
        if (!opts.now && !opts.cancel) {
          io.err(
            'jml offboard cuts access immediately: add --now. For a planned departure, open a pull request setting employment.end in people/.\n',
          );
          return setExit(1);
        }
        if (opts.reason.trim().length < 3) {
          io.err('jml offboard: --reason must say why (for example the ticket id SEC-1234).\n');
          return setExit(1);
        }
        const r = await offboard(contextOf(io), {
          root,
          person,
          reason: opts.reason,
          mode: opts.cancel ? 'cancel' : opts.holdOnly ? 'hold-only' : 'cut',
          ...(opts.operator !== undefined ? { claimedOperator: opts.operator } : {}),
          trigger: triggerFromEnv(cmd),
          base: baseBranch(opts.base),
          ...(githubConfigured() ? { github: githubAccess } : {}),
        });
        if (!reportOutcome(r, io)) return setExit(1);
        const done = r.offboard;
        switch (done.kind) {
          case 'refused':
            io.err(renderRefusal(done.refusal));
            return setExit(1);
          case 'hold-lifted':
            io.out(
              `Lifted the emergency offboarding hold on ${done.person} (record ${done.file}). ` +
                'The next apply gives back the access people/ grants; close the offboarding pull request if it is open.\n',
            );
            return setExit(0);
          case 'hold-recorded':
            io.out(
              `Hold on ${done.person} recorded (${done.file}): every apply from now on treats them as gone. Now cut access: the same command without --hold-only.\n`,
            );
            return setExit(0);
        }
        const { outcome, proposal } = done;
        if (opts.format === 'text') io.out(renderApplyText(outcome, personNames(r.prepared.index), io.isTty));
        if (proposal.kind === 'failed') throw proposal.error;
        if (opts.format === 'text')
          io.out(
            proposal.kind === 'pull-request'
              ? `Pull request recording the termination: ${proposal.pullRequest.url}\n`
              : `GitHub is not configured here (GITHUB_TOKEN, GITHUB_REPOSITORY), so ${proposal.file} was edited in this checkout: ` +
                  `commit it on a branch and open the pull request, labelled ${OFFBOARD_LABELS.join(', ')}.\n`,
          );
        if (opts.format === 'json')
          io.out(
            `${JSON.stringify({ record: outcome.recordFile, result: outcome.record.result, offboard: outcome.record.offboard }, null, 2)}\n`,
          );
        const breached = reportBreaches(outcome.record.leavers ?? [], io);
        setExit(exitCode(outcome.record.result, breached));
      },
    );
}

/** Why nothing was changed, as the line the operator reads. */
function renderRefusal(refusal: OffboardRefusal): string {
  switch (refusal.kind) {
    case 'no-such-person':
      return `jml offboard: no person ${refusal.person} in people/ (the argument is the file name without .yaml).\n`;
    case 'operator':
      return `jml offboard refused: ${refusal.message} Nothing was changed.\n`;
    case 'self':
      return 'jml offboard refused: nobody offboards themselves; ask another member of the security team.\n';
  }
}
