/**
 * `jml leavers`: each leaver due before the next scheduled run is applied at their exact instant.
 *
 * For each instant in the window: read the providers `--lead` before it and plan the leavers'
 * removals as of the instant; wait; at the instant take each person's lock and apply that plan
 * without reading again (removals only, so nothing stale can be written), then apply once more
 * from a fresh read to catch anything granted meanwhile. The apply records carry each leaver's
 * timing (due, confirmed per provider, lag, SLA). Several runs may overlap: the person lock makes
 * the later one wait and then re-plan from a fresh read, which finds nothing left to do.
 */
import path from 'node:path';
import { type Command, Option } from 'commander';
import pc from 'picocolors';
import { type ApplyOutcome, isRemoval, runApply } from '../apply/apply.js';
import type { GuardFlags } from '../apply/guards.js';
import {
  type DueGroup,
  dueLeavers,
  lockPerson,
  type PersonLock,
  REAL_CLOCK,
  type RunClock,
} from '../apply/leaver-schedule.js';
import {
  knownAtOf,
  type Prepared,
  personNames,
  planFrom,
  readActual,
  recordsDir,
} from '../engine/prepare.js';
import { toIso } from '../model/time.js';
import { restrictPlan } from '../plan/build-plan.js';
import { formatLag, renderLeaverTiming } from '../report/render-apply.js';
import type { GlobalOptions, Io } from './io.js';
import { parseDuration } from './options.js';
import {
  EXIT_SLA_BREACH,
  exitCode,
  prepareOrReport as prepare,
  reportBreaches,
  triggerFromEnv,
  withoutConfirm,
} from './run-support.js';

type Exit = (code: number) => void;

interface GroupResult {
  group: DueGroup;
  outcomes: ApplyOutcome[];
  /** Why nothing was applied for the group, when nothing was. */
  note?: string;
  /** The group could not be applied at all. */
  error?: string;
}

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
        const clock = io.clock ?? REAL_CLOCK;
        const start = clock.now();
        const p = await prepare(root, toIso(start), io);
        if (!p) return setExit(1);
        const groups = dueLeavers(p.index, start, windowMs, lookbackMs);
        const names = personNames(p.index);
        const c = pc.createColors(io.isTty);
        if (opts.format === 'text') {
          if (groups.length === 0) io.out(`No leaver is due before ${toIso(start + windowMs)}.\n`);
          for (const g of groups)
            io.out(
              `${toIso(g.at)}: ${g.people.map((x) => names.get(x) ?? x).join(', ')}` +
                `${g.at > start ? ` (in ${formatLag((g.at - start) / 1000)})` : ' (due already)'}\n`,
            );
        }
        const flags: GuardFlags = {
          allowMassDisable: Boolean(opts.allowMassDisable),
          allowMassRemoval: Boolean(opts.allowMassRemoval),
          allowDelete: false,
        };
        const trigger = triggerFromEnv(cmd);
        // Each instant on its own: one that fails (a lock never freed) does not lose the others.
        const results = await Promise.all(
          groups.map((g) =>
            applyAtInstant(p, g, { clock, leadMs, flags, trigger }).catch(
              (e: unknown): GroupResult => ({
                group: g,
                outcomes: [],
                error: `not applied: ${e instanceof Error ? e.message : String(e)}`,
              }),
            ),
          ),
        );

        const outcomes = results.flatMap((r) => r.outcomes);
        const timings = outcomes.flatMap((o) => o.record.leavers ?? []);
        const failed =
          results.some((r) => r.error) ||
          outcomes.some((o) => !['applied', 'no-changes'].includes(o.record.result));
        if (opts.format === 'json') {
          io.out(
            `${JSON.stringify(
              {
                start: toIso(start),
                windowEnd: toIso(start + windowMs),
                groups: results.map((r) => ({
                  at: toIso(r.group.at),
                  people: r.group.people,
                  ...(r.note ? { note: r.note } : {}),
                  ...(r.error ? { error: r.error } : {}),
                  records: r.outcomes.map((o) => ({ file: o.recordFile, result: o.record.result })),
                })),
                leavers: timings,
              },
              null,
              2,
            )}\n`,
          );
        } else {
          for (const r of results) {
            if (r.note) io.out(`${toIso(r.group.at)}: ${r.note}\n`);
            if (r.error) io.out(c.red(`${toIso(r.group.at)}: ${r.group.people.join(', ')} ${r.error}\n`));
            for (const o of r.outcomes) {
              const bad = o.record.changes.filter((ch) => ch.status === 'failed' || ch.status === 'skipped');
              for (const ch of bad)
                io.out(
                  c.red(`  ✖ ${ch.provider}: ${ch.action} for ${ch.person} — ${ch.error ?? ch.detail}\n`),
                );
              if (o.record.error) io.out(c.red(`  ✖ ${o.record.error}\n`));
              for (const g of o.record.guards) io.out(c.red(`  ✖ refused: ${g.message}\n`));
              io.out(`  record: ${path.relative(p.root, o.recordFile)} (${o.record.result})\n`);
            }
          }
          for (const t of timings) io.out(`${renderLeaverTiming(t, names, c)}\n`);
        }
        const breached = reportBreaches(timings, io);
        setExit(exitCode(failed ? 'partial' : 'applied', breached));
      },
    );
}

interface InstantOptions {
  clock: RunClock;
  leadMs: number;
  flags: GuardFlags;
  trigger: ReturnType<typeof triggerFromEnv>;
}

/** One instant: plan ahead, wait, apply on the second, then check again from a fresh read. */
async function applyAtInstant(p: Prepared, group: DueGroup, o: InstantOptions): Promise<GroupResult> {
  const people = new Set(group.people);
  const now = () => new Date(o.clock.now());
  await o.clock.sleepUntil(group.at - o.leadMs);
  const ahead = restrictPlan(planFrom(p, await readActual(p), group.at), people);
  if (ahead.changes.length === 0)
    return { group, outcomes: [], note: 'nothing left to remove: already done' };

  await o.clock.sleepUntil(group.at);
  // One at a time in a fixed order: two runs waking at the same instant never hold one person
  // each while waiting for the other's.
  const locks: PersonLock[] = [];
  try {
    for (const person of group.people)
      locks.push(await lockPerson(path.join(recordsDir(p.root, p.index), '..', 'locks'), person));
  } catch (e) {
    for (const l of locks) await l.release().catch(() => undefined);
    throw e;
  }
  try {
    const base = {
      providers: p.providers,
      policy: p.index.policy,
      flags: o.flags,
      readActual: () => readActual(p),
      recordDir: recordsDir(p.root, p.index),
      trigger: o.trigger,
      knownAt: knownAtOf(p, ahead),
      now,
    };
    const fresh = (actual: Parameters<typeof planFrom>[1]) =>
      restrictPlan(planFrom(p, actual, o.clock.now()), people);
    // Another run held one of these people: its work may be done, so plan again from a read.
    const trusted = !locks.some((l) => l.waited) && ahead.changes.every(isRemoval);
    const first = await runApply({ ...base, plan: trusted ? ahead : fresh, trustRemovals: trusted });
    if (!trusted || first.record.result !== 'applied') return { group, outcomes: [first] };
    const after = await runApply({ ...base, plan: fresh });
    return { group, outcomes: after.record.result === 'no-changes' ? [first] : [first, after] };
  } finally {
    for (const l of locks) await l.release().catch(() => undefined);
  }
}
