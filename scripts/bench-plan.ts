/**
 * `npm run bench` (first part): `jml plan` at enterprise scale. For 10,000 and 100,000 people
 * (scripts/bench-org.ts; `BENCH_PEOPLE=N` for one size of your own) it generates the
 * organisation, then measures in fresh processes:
 * - the whole command: `node bin/jml.js plan` spawned as a user runs it (start-up, the built
 *   engine in dist/, reading the five providers' directories, planning, printing), its wall time
 *   and peak memory (max RSS), the median of three runs;
 * - the computation alone (load, validate, resolve, plan; scripts/bench-rounds.ts), cold and
 *   warm, next to a bare YAML parse of the same files, whose ratio shows what the engine adds.
 * Targets (issue 16): 10,000 people in under 2 s and 300 MB; 100,000 in under 15 s and 1.5 GB;
 * the computation at most 1.5 times the bare parse. Printed and recorded, never asserted.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { staleReason } from '../bin/build-stamp.js';
import { mb, ms, n, type PartFigures, recordPart, s } from './bench-figures.ts';
import { AT, ENTITLEMENTS, generateOrg, REPO_ROOT, ROLES } from './bench-org.ts';
import type { RoundsResult } from './bench-rounds.ts';

const SIZES = process.env.BENCH_PEOPLE ? [Number(process.env.BENCH_PEOPLE)] : [10_000, 100_000];
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TARGETS: Record<number, { ms: number; mb: number }> = {
  10000: { ms: 2_000, mb: 300 },
  100000: { ms: 15_000, mb: 1_500 },
};
const RATIO_TARGET = 1.5;
/** Preloaded into the spawned jml: prints the process's peak memory and CPU time to stderr as it exits. */
const USAGE_PRELOAD =
  'data:text/javascript,import{writeSync}from"node:fs";process.on("exit",()=>{const u=process.resourceUsage();writeSync(2,"\\nbench-usage "+u.maxRSS+" "+(u.userCPUTime+u.systemCPUTime)+"\\n")})';

interface CommandRun {
  ms: number;
  /** User and system CPU time, every thread: what the run costs a machine doing nothing else. */
  cpuMs: number;
  rssMb: number;
  exit: number | null;
  engine: string;
}

/** Makes sure bin/jml.js will run the build (rebuilding if src/ changed) and says which engine runs. */
function engineInUse(): string {
  if (staleReason(REPO_ROOT) !== undefined)
    spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.js')], { stdio: 'inherit' });
  const stale = staleReason(REPO_ROOT);
  return stale === undefined ? 'dist' : `src through tsx (dist/ is stale: ${stale})`;
}

function runPlan(root: string): CommandRun {
  const engine = engineInUse();
  const t0 = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      USAGE_PRELOAD,
      path.join(REPO_ROOT, 'bin/jml.js'),
      '-C',
      root,
      'plan',
      '--at',
      new Date(AT).toISOString(),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 2 ** 20 },
  );
  const elapsed = performance.now() - t0;
  const usage = /bench-usage (\d+) (\d+)/.exec(run.stderr ?? '');
  if (run.status !== 0 && run.status !== 2)
    throw new Error(`bench: jml plan exited ${run.status}:\n${run.stderr.slice(0, 2000)}`);
  return {
    ms: elapsed,
    cpuMs: usage ? Number(usage[2]) / 1000 : Number.NaN,
    rssMb: usage ? Number(usage[1]) / 1024 : Number.NaN,
    exit: run.status,
    engine,
  };
}

function runRounds(people: number): RoundsResult {
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/bench-rounds.ts'), String(people)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * 2 ** 20 },
  );
  if (run.status !== 0) throw new Error(`bench: the computation rounds for ${people} people failed`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as RoundsResult;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

interface SizeResult {
  people: number;
  files: number;
  exceptions: number;
  generateMs: number;
  rounds: RoundsResult;
  runs: CommandRun[];
}

const results: SizeResult[] = [];
for (const people of SIZES) {
  const t0 = performance.now();
  const org = generateOrg(people);
  const generateMs = performance.now() - t0;
  process.stdout.write(
    `\nPlan: ${n(people)} people, ${n(ROLES)} roles, ${n(ENTITLEMENTS)} entitlements, ${n(org.exceptions)} exceptions (${n(org.files)} files, generated in ${ms(generateMs)})\n`,
  );
  const rounds = runRounds(people);
  const runs: CommandRun[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(runPlan(org.root));
  org.removeReplaced();
  results.push({ people, files: org.files, exceptions: org.exceptions, generateMs, rounds, runs });
  const { cold, warm } = rounds;
  const row = (k: string, a: string, b = '', note = '') =>
    process.stdout.write(`${k.padEnd(36)}${a.padStart(10)}${b.padStart(10)}   ${note}\n`);
  row('', 'cold', 'warm');
  row('bare YAML parse (yaml)', ms(cold.parseMs), ms(warm.parseMs));
  row('bare parse (js-yaml, the quick path)', ms(cold.quickParseMs), ms(warm.quickParseMs));
  row('load (read, check, parse, schema)', ms(cold.loadMs), ms(warm.loadMs));
  row('validate', ms(cold.validateMs), ms(warm.validateMs));
  row('resolve', ms(cold.resolveMs), ms(warm.resolveMs));
  row('plan (diff)', ms(cold.planMs), ms(warm.planMs), `${n(warm.changes)} changes against 1% drift`);
  row('computation (the four above)', ms(cold.totalMs), ms(warm.totalMs));
  row(
    'computation / bare yaml parse',
    (cold.totalMs / cold.parseMs).toFixed(2),
    (warm.totalMs / warm.parseMs).toFixed(2),
    `target <= ${RATIO_TARGET}`,
  );
  row(
    'computation / bare js-yaml parse',
    (cold.totalMs / cold.quickParseMs).toFixed(2),
    (warm.totalMs / warm.quickParseMs).toFixed(2),
  );
  row('validation errors', String(warm.errors), '', warm.firstError ?? '');
  const target = TARGETS[people];
  const med = median(runs.map((r) => r.ms));
  const rss = Math.max(...runs.map((r) => r.rssMb));
  row(
    `jml plan, whole command (median of ${runs.length})`,
    s(med),
    '',
    `runs ${runs.map((r) => s(r.ms)).join(', ')}${target ? `; target < ${s(target.ms, 0)}` : ''}; engine: ${runs[0]!.engine}`,
  );
  row(
    'jml plan, CPU time (median)',
    s(median(runs.map((r) => r.cpuMs))),
    '',
    'user + system, every thread: the wall time on a machine doing nothing else, or more',
  );
  row('jml plan, peak memory (max RSS)', mb(rss), '', target ? `target < ${n(target.mb)} MB` : '');
}

const ok = (value: number, limit: number | undefined) =>
  limit === undefined ? '' : value < limit ? ' (met)' : ' (missed)';
const figures: PartFigures = {
  part: 'plan',
  title: 'jml plan at enterprise scale',
  intro:
    `The organisation is generated by scripts/bench-org.ts: N people, ${n(ROLES)} roles, ${n(ENTITLEMENTS)} entitlements ` +
    'on five providers and an exception for every tenth person, planned against providers that hold everything ' +
    'the last apply granted but 1% of the memberships (drift to repair). The whole command is `node bin/jml.js plan` ' +
    'spawned as a user runs it, start-up included (the built engine in dist/), median of ' +
    `${RUNS} runs; its CPU time (user and system, every thread) shows what a busy machine adds to the wall time. The computation is load, validate, resolve and plan in one process; the bare parse reads and ` +
    'parses the same files with `yaml` (the careful reader) and does nothing else. Targets: 10,000 people in under ' +
    `2 s and 300 MB, 100,000 in under 15 s and 1.5 GB, the computation at most ${RATIO_TARGET} times the bare parse.`,
  sections: [
    {
      heading: 'The whole command',
      table: {
        columns: [
          'people',
          'files',
          'jml plan (median)',
          'runs',
          'CPU time (median)',
          'peak memory (max RSS)',
          'changes',
          'engine',
        ],
        rows: results.map((r) => {
          const t = TARGETS[r.people];
          const med = median(r.runs.map((x) => x.ms));
          const rss = Math.max(...r.runs.map((x) => x.rssMb));
          return [
            n(r.people),
            n(r.files),
            `**${s(med)}**${t ? ` (target < ${s(t.ms, 0)})${ok(med, t.ms)}` : ''}`,
            r.runs.map((x) => s(x.ms)).join(', '),
            s(median(r.runs.map((x) => x.cpuMs))),
            `**${mb(rss)}**${t ? ` (target < ${n(t.mb)} MB)${ok(rss, t.mb)}` : ''}`,
            n(r.rounds.warm.changes),
            r.runs[0]!.engine,
          ];
        }),
      },
    },
    {
      heading: 'The computation, step by step (cold / warm)',
      text: 'Cold is the first round in a fresh process, what one `jml plan` pays; warm is the same work again once the JIT has optimised it.',
      table: {
        columns: ['step', ...results.map((r) => `${n(r.people)} people`)],
        rows: [
          ['generate the organisation (linear)', ...results.map((r) => ms(r.generateMs))],
          [
            'bare YAML parse (`yaml`)',
            ...results.map((r) => `${ms(r.rounds.cold.parseMs)} / ${ms(r.rounds.warm.parseMs)}`),
          ],
          [
            'bare parse (js-yaml, the quick path)',
            ...results.map((r) => `${ms(r.rounds.cold.quickParseMs)} / ${ms(r.rounds.warm.quickParseMs)}`),
          ],
          [
            'load (read, check, parse, schema)',
            ...results.map((r) => `${ms(r.rounds.cold.loadMs)} / ${ms(r.rounds.warm.loadMs)}`),
          ],
          [
            'validate',
            ...results.map((r) => `${ms(r.rounds.cold.validateMs)} / ${ms(r.rounds.warm.validateMs)}`),
          ],
          [
            'resolve',
            ...results.map((r) => `${ms(r.rounds.cold.resolveMs)} / ${ms(r.rounds.warm.resolveMs)}`),
          ],
          ['plan (diff)', ...results.map((r) => `${ms(r.rounds.cold.planMs)} / ${ms(r.rounds.warm.planMs)}`)],
          [
            '**computation**',
            ...results.map((r) => `**${ms(r.rounds.cold.totalMs)}** / ${ms(r.rounds.warm.totalMs)}`),
          ],
          [
            `**computation / bare parse** (target <= ${RATIO_TARGET})`,
            ...results.map((r) => {
              const cold = r.rounds.cold.totalMs / r.rounds.cold.parseMs;
              return `**${cold.toFixed(2)}**${ok(cold, RATIO_TARGET + 1e-9)} / ${(r.rounds.warm.totalMs / r.rounds.warm.parseMs).toFixed(2)}`;
            }),
          ],
          [
            'computation / js-yaml parse (for comparison)',
            ...results.map(
              (r) =>
                `${(r.rounds.cold.totalMs / r.rounds.cold.quickParseMs).toFixed(2)} / ${(r.rounds.warm.totalMs / r.rounds.warm.quickParseMs).toFixed(2)}`,
            ),
          ],
          ['peak memory of the two rounds (max RSS)', ...results.map((r) => mb(r.rounds.peakRssMb))],
          ['validation errors', ...results.map((r) => n(r.rounds.warm.errors))],
        ],
      },
    },
  ],
};
recordPart(figures);
