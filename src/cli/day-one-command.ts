/**
 * `jml github day-one` and `day-one-status`: the joiners' day-one issues (src/engine/day-one.ts),
 * opened after an apply and read back against policy sla.dayOneHours.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { openDayOneIssues, readDayOneStatus } from '../engine/day-one.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseAtOption } from './options.js';
import { githubAccess, triggerFromEnv } from './run-support.js';

/** Adds `day-one` and `day-one-status` to the `jml github` command. */
export function registerDayOne(gh: Command, io: Io, setExit: Exit): void {
  gh.command('day-one')
    .description(
      'Open ONE issue per joiner whose accounts an apply created, for their manager to confirm (/confirm) or flag (/wrong <entitlement> <why>) and IT to review (/reviewed). Never closes anything.',
    )
    .option(
      '--record <file>',
      'the apply record (default: the newest in the records directory of policy/jml.yaml)',
    )
    .action(async (opts: { record?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const r = await openDayOneIssues(
        { root, ...(opts.record !== undefined ? { record: opts.record } : {}) },
        githubAccess,
      );
      if (r.kind === 'no-record') {
        io.out('No apply record: no joiner to confirm.\n');
        return setExit(0);
      }
      if (r.kind === 'no-joiner') {
        io.out(`${r.recordName}: no joiner's access was created.\n`);
        return setExit(0);
      }
      for (const i of r.issues) {
        if (i.action === 'existing') {
          io.out(`already there: ${i.url} ${i.title}\n`);
          continue;
        }
        io.out(`opened: ${i.url} ${i.title}\n`);
        if (i.unassigned)
          io.err(`Note: ${i.person}'s manager has no github login in people/: the issue is unassigned.\n`);
      }
      if (r.failed !== undefined) throw r.failed;
      setExit(0);
    });

  gh.command('day-one-status')
    .description(
      "Record when each joiner's manager confirmed and IT reviewed their day-one access (an observation record in the records directory, kept as evidence, when something changed); list those past policy sla.dayOneHours and every /wrong flag. Exit 0 none, 2 some (for the drift report), 1 error.",
    )
    .option(
      '--at <time>',
      'as of this instant (ISO with offset) or date; default now. A past instant records nothing',
    )
    .option('--out <file>', "write every joiner's status (confirmed at, reviewed at, within SLA) as JSON")
    .option(
      '--evidence <dir...>',
      "more records to read the last observation from, at any depth: a copy of the evidence branch's records/",
    )
    .action(async (opts: { at?: string; out?: string; evidence?: string[] }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const ctx = contextOf(io);
      const r = await readDayOneStatus(
        ctx,
        {
          root,
          trigger: triggerFromEnv(cmd),
          ...(opts.at !== undefined ? { at: parseAtOption(opts.at, () => ctx.clock.now()) } : {}),
          ...(opts.out !== undefined ? { out: opts.out } : {}),
          ...(opts.evidence ? { evidence: opts.evidence } : {}),
        },
        githubAccess,
      );
      const o = r.observation;
      if (o.kind === 'recorded')
        io.err(
          `Recorded ${o.states} day-one state(s) (${o.changed} new or changed) in ${path.relative(path.resolve(root), o.file)}.\n`,
        );
      else if (o.kind === 'not-recorded') io.err(`Nothing recorded: ${o.why}.\n`);
      if (!r.text) {
        io.out(
          `No joiner unconfirmed or unreviewed past ${r.slaHours} h (policy/jml.yaml sla.dayOneHours), no access flagged as wrong (${r.statuses.length} day-one issue(s) read).\n`,
        );
        return setExit(0);
      }
      io.out(r.text);
      setExit(2);
    });
}
