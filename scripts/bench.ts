/**
 * `npm run bench`: every benchmark of the project, each part in a process of its own (so one
 * part's memory and failures stay its own), then docs/benchmarks.md written from what they
 * measured, with the date and the machine: the published figures are the output of one run,
 * never typed by hand. A part that records its figures (scripts/bench-figures.ts `recordPart`)
 * appears as tables; any other as the report it printed. A part that fails is named as failed on
 * the page, and the bench exits 1 after running the rest.
 *
 * `BENCH_ONLY=plan,providers` runs some parts only, and then leaves docs/benchmarks.md alone (a
 * page must show one whole run). Each part's own variables still apply (BENCH_PEOPLE,
 * BENCH_RUNS, BENCH_OKTA_WINDOWS, BENCH_DRIFT_SIZES).
 */
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type PartFigures, RESULTS, readPart, renderBenchmarks, thisMachine } from './bench-figures.ts';
import { REPO_ROOT } from './bench-org.ts';

interface Part {
  part: string;
  script: string;
  title: string;
}

const PARTS: Part[] = [
  { part: 'plan', script: 'bench-plan.ts', title: 'jml plan at enterprise scale' },
  { part: 'approvals', script: 'bench-approvals.ts', title: 'jml approvals by effect' },
  { part: 'providers', script: 'bench-providers.ts', title: 'The connectors against their fakes' },
  { part: 'leavers', script: 'bench-leavers.ts', title: 'Leavers on time' },
  { part: 'hr', script: 'bench-hr.ts', title: 'HR sync' },
  { part: 'drift', script: 'bench-drift.ts', title: 'Drift checks and change feeds' },
  { part: 'scim', script: 'bench-scim.ts', title: 'The SCIM connector' },
];

const only = process.env.BENCH_ONLY?.split(',').map((p) => p.trim());
const unknown = only?.filter((p) => !PARTS.some((x) => x.part === p)) ?? [];
if (unknown.length) {
  process.stderr.write(
    `bench: no part ${unknown.join(', ')}; the parts are ${PARTS.map((p) => p.part).join(', ')}\n`,
  );
  process.exit(2);
}
const chosen = only ? PARTS.filter((p) => only.includes(p.part)) : PARTS;

/** Runs one part, its report shown as it comes and kept. */
function runPart(p: Part): Promise<{ code: number | null; printed: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', p.script)], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      printed += chunk.toString('utf8');
    });
    child.on('close', (code) => resolve({ code, printed }));
  });
}

const machine = thisMachine();
const started = new Date();
const t0 = performance.now();
// The plan part spawns the built jml, so the build must be current first (npm ci made it).
const build = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build.js')], { stdio: 'inherit' });
if (build.status !== 0) process.stderr.write('bench: the build failed; jml plan will run src/ through tsx\n');

const outcomes: { part: string; figures?: PartFigures; failure?: string }[] = [];
for (const p of chosen) {
  rmSync(path.join(RESULTS, `${p.part}.json`), { force: true });
  const { code, printed } = await runPart(p);
  const recorded = readPart(p.part);
  const figures: PartFigures | undefined =
    recorded ??
    (code === 0
      ? {
          part: p.part,
          title: p.title,
          intro: `As scripts/${p.script} printed it:`,
          sections: [{ heading: 'Report', text: `\`\`\`\n${printed.trim()}\n\`\`\`` }],
        }
      : undefined);
  outcomes.push({
    part: p.part,
    ...(code === 0 && figures ? { figures } : { failure: `scripts/${p.script} exited ${code}` }),
  });
}

const failed = outcomes.filter((o) => o.failure);
if (only) {
  process.stdout.write('\nbench: some parts only (BENCH_ONLY), so docs/benchmarks.md is left as it was.\n');
} else {
  const file = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
  writeFileSync(
    file,
    renderBenchmarks({
      date: `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      machine,
      parts: outcomes,
      durationMs: performance.now() - t0,
    }),
  );
  process.stdout.write(
    `\nbench: wrote docs/benchmarks.md${failed.length ? ' (with the failed parts named)' : ''}.\n`,
  );
}
for (const f of failed) process.stderr.write(`bench: ${f.part} failed: ${f.failure}\n`);
process.exitCode = failed.length ? 1 : 0;
