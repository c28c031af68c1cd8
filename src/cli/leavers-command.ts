/**
 * `jml leavers`: each leaver due before the next scheduled run is applied at their exact instant
 * (src/engine/leavers.ts); this file parses the flags and renders the schedule and the results.
 * Exit 0 done, 1 a change failed or was refused, 3 a leaver's SLA was breached.
 */
import path from 'node:path';
import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { applyLeaversOnTime, type LeaverSchedule, type LeaversOutcome } from '../engine/leavers.js';
import { personNames } from '../engine/prepare.js';
import { toIso } from '../model/time.js';
import { formatLag, renderLeaverTiming } from '../report/render-apply.js';
import { replayNote } from './engine-commands.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseDuration } from './options.js';
import {
  EXIT_SLA_BREACH,
  exitCode,
  reportBreaches,
  reportNotices,
  reportRefusal,
  triggerFromEnv,
  withoutConfirm,
} from './run-support.js';

/** A run that went ahead. */
type Ran = Extract<LeaversOutcome, { ok: true }>;

export function registerLeavers(program: Command, io: Io, setExit: Exit): void {
  program
    .command('leavers')
    .description(
      'Apply each leaver due in the coming window at the exact instant of employment.end, waiting inside the run. ' +
        `Exit 0 done, 1 a change failed or was refused, ${EXIT_SLA_BREACH} a leaver's SLA was breached.`,
    )
    .option('--confirm', 'really write to the providers')
    .option(
      '--window <duration>',
      'take leavers due up to this far ahead (the schedule interval plus a margin)',
      '20m',
    )
    .option('--lead <duration>', 'read the providers and plan this long before each instant', '2m')
    .option('--lookback <duration>', 'also take leavers whose instant passed up to this long ago', '24h')
    .option('--allow-mass-disable', 'allow disabling more people than policy safety.maxDisables')
    .option('--allow-mass-removal', 'allow removing more memberships than policy safety.maxRemovalShare')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(
      async (
        opts: {
          confirm?: boolean;
          window: string;
          lead: string;
          lookback: string;
          allowMassDisable?: boolean;
          allowMassRemoval?: boolean;
          format: string;
        },
        cmd: Command,
      ) => {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        if (withoutConfirm(opts.confirm, io, 'leavers', 'To see who is due, run jml plan --at <instant>.'))
          return setExit(1);
        const windowMs = parseDuration('--window', opts.window);
        const leadMs = parseDuration('--lead', opts.lead);
        const lookbackMs = parseDuration('--lookback', opts.lookback);
        // prepare's notices are told with the schedule, so that they come first as ever.
        let told = false;
        const r = await applyLeaversOnTime(contextOf(io), {
          root,
          windowMs,
          leadMs,
          lookbackMs,
          flags: {
            allowMassDisable: Boolean(opts.allowMassDisable),
            allowMassRemoval: Boolean(opts.allowMassRemoval),
            allowDelete: false,
          },
          trigger: triggerFromEnv(cmd),
          // Said before the first wait, which may take most of the window.
          onSchedule: (s, p, notices) => {
            reportNotices(notices, io);
            told = true;
            if (opts.format === 'text') io.out(renderSchedule(s, personNames(p.index)));
          },
        });
        if (!r.ok) {
          reportRefusal(told ? { ...r, notices: [] } : r, io);
          return setExit(1);
        }
        if (opts.format === 'json') io.out(renderLeaversJson(r));
        else io.out(renderLeaversText(r, personNames(r.prepared.index), pc.createColors(io.isTty)));
        // A replay's SLA verdicts (a simulated clock's run) are shown, never a real breach's alarm.
        const real = r.results.flatMap((x) => x.outcomes).filter((o) => !o.record.simulated);
        const timings = real.flatMap((o) => o.record.leavers ?? []);
        const breached = reportBreaches(timings, io);
        setExit(exitCode(r.failed ? 'partial' : 'applied', breached));
      },
    );
}

/** The instants due, each with its people and how far ahead it is. */
function renderSchedule(s: LeaverSchedule, names: ReadonlyMap<string, string>): string {
  if (s.groups.length === 0) return `No leaver is due before ${toIso(s.windowEnd)}.\n`;
  return s.groups
    .map(
      (g) =>
        `${toIso(g.at)}: ${g.people.map((x) => names.get(x) ?? x).join(', ')}` +
        `${g.at > s.start ? ` (in ${formatLag((g.at - s.start) / 1000)})` : ' (due already)'}\n`,
    )
    .join('');
}

/** Each instant's result, the changes that did not go through, the records, then each leaver's timing. */
function renderLeaversText(
  r: Ran,
  names: ReadonlyMap<string, string>,
  c: ReturnType<typeof pc.createColors>,
): string {
  const lines: string[] = [];
  for (const x of r.results) {
    if (x.note) lines.push(`${toIso(x.group.at)}: ${x.note}\n`);
    if (x.error) lines.push(c.red(`${toIso(x.group.at)}: ${x.group.people.join(', ')} ${x.error}\n`));
    for (const o of x.outcomes) {
      const bad = o.record.changes.filter((ch) => ch.status === 'failed' || ch.status === 'skipped');
      for (const ch of bad)
        lines.push(c.red(`  ✖ ${ch.provider}: ${ch.action} for ${ch.person} — ${ch.error ?? ch.detail}\n`));
      if (o.record.error) lines.push(c.red(`  ✖ ${o.record.error}\n`));
      for (const g of o.record.guards) lines.push(c.red(`  ✖ refused: ${g.message}\n`));
      lines.push(`  record: ${path.relative(r.prepared.root, o.recordFile)} (${o.record.result})\n`);
      lines.push(replayNote(o.record).replace(/^./, '  $&'));
    }
  }
  for (const t of r.timings) lines.push(`${renderLeaverTiming(t, names, c)}\n`);
  return lines.join('');
}

/** The run as JSON: the window, each instant's records, every leaver's timing. */
function renderLeaversJson(r: Ran): string {
  return `${JSON.stringify(
    {
      start: toIso(r.start),
      windowEnd: toIso(r.windowEnd),
      groups: r.results.map((x) => ({
        at: toIso(x.group.at),
        people: x.group.people,
        ...(x.note ? { note: x.note } : {}),
        ...(x.error ? { error: x.error } : {}),
        records: x.outcomes.map((o) => ({ file: o.recordFile, result: o.record.result })),
      })),
      leavers: r.timings,
    },
    null,
    2,
  )}\n`;
}
