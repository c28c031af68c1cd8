/**
 * `jml offboard <person> --now --reason TEXT`: emergency offboarding for a high-risk departure.
 *
 * Access is cut first, on every provider, before any pull request exists: the person is treated
 * as a high-risk leaver ending now (an offboarding hold, src/resolve/holds.ts), and that part of
 * the plan is applied. Then the pull request that writes the termination into people/ is opened
 * (or, without GitHub, the file is edited in the checkout for the operator to commit), labelled
 * for review after the fact, so git stays the source of truth. Only the security team may run
 * it; the apply record names who did and why. `--cancel` lifts a mistaken hold (security too).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { DateTime } from 'luxon';
import writeFileAtomic from 'write-file-atomic';
import { REAL_CLOCK } from '../apply/leaver-schedule.js';
import { cutAccessNow, operatorOf, recordHold } from '../engine/offboard.js';
import { personNames } from '../engine/prepare.js';
import { editPolicyYaml } from '../load/write-yaml.js';
import { toIso } from '../model/time.js';
import type { ApplyRecord, OffboardEntry } from '../records/schema.js';
import { amendRecord } from '../records/store.js';
import { renderApplyText } from '../report/render-apply.js';
import type { GlobalOptions, Io } from './io.js';
import {
  baseBranch,
  exitCode,
  githubAccess,
  githubConfigured,
  prepareOrReport as prepare,
  reportBreaches,
  triggerFromEnv,
} from './run-support.js';

type Exit = (code: number) => void;

export const OFFBOARD_LABELS = ['jml', 'jml:leaver', 'emergency-offboarding', 'review-after-the-fact'];

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
        const clock = io.clock ?? REAL_CLOCK;
        const p = await prepare(root, toIso(clock.now()), io);
        if (!p) return setExit(1);
        const located = p.index.people.get(person);
        if (!located) {
          io.err(
            `jml offboard: no person ${person} in people/ (the argument is the file name without .yaml).\n`,
          );
          return setExit(1);
        }
        const operator = operatorOf(p.index, opts.operator, clock.now());
        if (typeof operator === 'string') {
          io.err(`jml offboard refused: ${operator} Nothing was changed.\n`);
          return setExit(1);
        }
        if (operator.person === person) {
          io.err(
            'jml offboard refused: nobody offboards themselves; ask another member of the security team.\n',
          );
          return setExit(1);
        }
        const requestedBy = operator.vouched ? operator.login : `${operator.login} (claimed with --operator)`;
        const trigger = { ...triggerFromEnv(cmd), actor: requestedBy, reason: opts.reason };
        if (opts.cancel || opts.holdOnly) {
          // A record without changes: the cancellation of a hold, or a hold announced before the
          // cut (the workflow pushes it to the evidence branch first, so that an apply starting
          // meanwhile on another runner already honours it).
          const entry: OffboardEntry = {
            person,
            at: toIso(Math.floor(clock.now() / 1000) * 1000),
            reason: opts.reason,
            requestedBy,
            operator: operator.person,
            ...(opts.cancel ? { cancelled: true as const } : { intent: true as const }),
          };
          const file = path.relative(p.root, recordHold(p, entry, trigger, clock));
          io.out(
            opts.cancel
              ? `Lifted the emergency offboarding hold on ${person} (record ${file}). ` +
                  'The next apply gives back the access people/ grants; close the offboarding pull request if it is open.\n'
              : `Hold on ${person} recorded (${file}): every apply from now on treats them as gone. Now cut access: the same command without --hold-only.\n`,
          );
          return setExit(0);
        }

        // --- cut access now ------------------------------------------------------------------
        // To the second: the instant people/ will record, so that the merged file and the hold agree.
        const at = Math.floor(clock.now() / 1000) * 1000;
        const entry: OffboardEntry = {
          person,
          at: toIso(at),
          reason: opts.reason,
          requestedBy,
          operator: operator.person,
        };
        const outcome = await cutAccessNow(p, entry, trigger, clock);
        const names = personNames(p.index);
        if (opts.format === 'text') io.out(renderApplyText(outcome, names, io.isTty));

        // --- then the pull request that records it ------------------------------------------
        const end = DateTime.fromMillis(at, { zone: p.index.policy.timezone }).toISO({
          suppressMilliseconds: true,
        })!;
        const file = located.src.path;
        const content = editPolicyYaml(readFileSync(path.join(p.root, file), 'utf8'), [
          [['employment', 'end'], end],
          [['employment', 'highRisk'], true],
        ]);
        let pullRequest: OffboardEntry['pullRequest'];
        if (githubConfigured()) {
          const { client, owner, repo } = await githubAccess();
          const security = p.index.policy.teams.security
            .filter((id) => id !== operator.person && id !== person)
            .map((id) => p.index.people.get(id)?.value.github)
            .filter((l): l is string => Boolean(l));
          const result = await client.proposeFileChanges(owner, repo, {
            branch: `jml/offboard/${person}`,
            base: baseBranch(opts.base),
            title: `Emergency offboarding: ${located.value.name} (${person}), for review after the fact`,
            body: offboardBody(located.value.name, person, entry, outcome.record, file),
            message: `Record the emergency offboarding of ${person} at ${end} (${opts.reason})`,
            labels: OFFBOARD_LABELS,
            reviewers: security,
            files: [{ path: file, content }],
          });
          pullRequest = result.pullRequest;
          outcome.record = amendRecord(outcome.recordFile, (r) => ({
            ...r,
            offboard: { ...entry, pullRequest },
          }));
          if (opts.format === 'text') io.out(`Pull request recording the termination: ${pullRequest.url}\n`);
        } else {
          writeFileAtomic.sync(path.join(p.root, file), content);
          if (opts.format === 'text')
            io.out(
              `GitHub is not configured here (GITHUB_TOKEN, GITHUB_REPOSITORY), so ${file} was edited in this checkout: ` +
                `commit it on a branch and open the pull request, labelled ${OFFBOARD_LABELS.join(', ')}.\n`,
            );
        }
        if (opts.format === 'json')
          io.out(
            `${JSON.stringify({ record: outcome.recordFile, result: outcome.record.result, offboard: outcome.record.offboard }, null, 2)}\n`,
          );

        const breached = reportBreaches(outcome.record.leavers ?? [], io);
        setExit(exitCode(outcome.record.result, breached));
      },
    );
}

function offboardBody(
  name: string,
  person: string,
  entry: OffboardEntry,
  record: ApplyRecord,
  file: string,
): string {
  const rows = record.changes.map(
    (c) =>
      `| ${c.provider} | ${c.action}${c.entitlement ? ` ${c.entitlement}` : ''} | ${c.status}${c.error ? `: ${c.error}` : ''} | ${c.finishedAt} |`,
  );
  return [
    `**${name} (${person}) was offboarded in an emergency** at ${entry.at} by @${entry.requestedBy.split(' ')[0]}.`,
    '',
    `Reason: ${entry.reason}`,
    '',
    `Access was cut on every provider before this pull request existed (apply result: **${record.result}**):`,
    '',
    '| provider | change | result | confirmed |',
    '|---|---|---|---|',
    ...(rows.length ? rows : ['| (none) | nothing was left to remove | | |']),
    '',
    `This pull request writes the termination into \`${file}\` (employment.end, highRisk) so git stays the source of truth.`,
    'Until it merges, an offboarding hold keeps the access cut: no scheduled apply gives it back.',
    '',
    '**Review after the fact**: HR confirms the end time, security confirms the reason. If this was a mistake, close this',
    `pull request and run \`jml offboard ${person} --cancel --reason ...\` (the offboarding workflow with cancel).`,
  ].join('\n');
}
