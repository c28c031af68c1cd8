/**
 * `npm run bench` (fourth part): `jml hr sync --dry-run` on a 10,000-worker snapshot against the
 * example organisation: its 52 people as BambooHR holds them (with a move and a leaver among
 * them) plus 9,948 new hires, each with a manager, a job family and a time zone of its own.
 * Prints the time to read, validate and classify the snapshot and the events found. Then the
 * HR brake's case: the same 52 people all terminated yesterday, a dry run that counts the cuts
 * and stops (exit 4). Never asserted.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli/main.ts';
import type { HrRecord } from '../src/hr/snapshot.ts';
import { parseSnapshot } from '../src/hr/snapshot.ts';

const WORKERS = 10_000;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const baselineFile = path.join(root, 'test/fixtures/hr/northwind-bamboohr.jsonl');
const ZONES = ['America/New_York', 'Europe/Berlin', 'Asia/Tokyo', 'America/Los_Angeles', 'Pacific/Auckland'];
const FAMILIES = ['Software Engineering', 'Sales', 'Customer Success', 'Finance', 'Data & Analytics'];

async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'jml-bench-hr-'));
  try {
    for (const sub of ['people', 'roles', 'exceptions', 'policy'])
      cpSync(path.join(root, sub), path.join(dir, sub), { recursive: true });
    const known = parseSnapshot(readFileSync(baselineFile, 'utf8'), baselineFile).records.map(
      (r): HrRecord =>
        r.sourceId === 'BHR-1024'
          ? { ...r, managerSourceId: 'BHR-1003' }
          : r.sourceId === 'BHR-1039'
            ? { ...r, lastDayOfWork: '2026-12-31' }
            : r,
    );
    const records: HrRecord[] = [...known];
    for (let i = records.length; i < WORKERS; i++) {
      records.push({
        source: 'bamboohr',
        sourceId: `BHR-${20_000 + i}`,
        workerType: i % 17 === 0 ? 'contractor' : 'employee',
        status: 'pre_hire',
        legalName: `Worker ${i} Example`,
        managerSourceId: known[i % known.length]!.sourceId,
        jobTitle: 'Staff',
        jobFamily: FAMILIES[i % FAMILIES.length]!,
        department: 'Operations',
        timeZone: ZONES[i % ZONES.length]!,
        startDate: '2027-01-04',
        asOf: '2026-12-01T09:00:00-05:00',
      });
    }
    const file = path.join(dir, 'snapshot.jsonl');
    writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    let out = '';
    const started = performance.now();
    const code = await main(
      ['node', 'jml', '-C', dir, 'hr', 'sync', '--snapshot', file, '--dry-run', '--format', 'json'],
      { out: (t) => (out += t), err: () => undefined, isTty: false },
    );
    const ms = performance.now() - started;
    const result = JSON.parse(out) as { events: { event: string }[]; problems: { message: string }[] };
    const kinds = new Map<string, number>();
    for (const e of result.events) kinds.set(e.event, (kinds.get(e.event) ?? 0) + 1);
    process.stdout.write(
      `\nHR sync: ${WORKERS} workers against the example organisation (dry run, exit ${code})\n` +
        `read, validate and classify: ${Math.round(ms)} ms; ${result.events.length} events ` +
        `(${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}), ${result.problems.length} problems\n`,
    );
    for (const p of result.problems) process.stdout.write(`  problem: ${p.message}\n`);

    // --- the brake: everyone terminated yesterday ----------------------------------------------
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const everyone = known.map(
      (r): HrRecord =>
        r.startDate <= yesterday
          ? { ...r, status: 'terminated', lastDayOfWork: yesterday, endInstant: null }
          : r,
    );
    const massFile = path.join(dir, 'everyone-terminated.jsonl');
    writeFileSync(massFile, `${everyone.map((r) => JSON.stringify(r)).join('\n')}\n`);
    let massOut = '';
    const massStarted = performance.now();
    const massCode = await main(
      ['node', 'jml', '-C', dir, 'hr', 'sync', '--snapshot', massFile, '--dry-run', '--format', 'json'],
      { out: (t) => (massOut += t), err: () => undefined, isTty: false },
    );
    const massMs = performance.now() - massStarted;
    const brake = (
      JSON.parse(massOut) as {
        brake: { cuts: unknown[]; heldBack: unknown[]; over: string[]; activeWorkforce: number };
      }
    ).brake;
    process.stdout.write(
      `HR brake: ${everyone.length} workers, everyone terminated yesterday (dry run, exit ${massCode}): ${Math.round(massMs)} ms; ` +
        `${brake.cuts.length} overdue cuts of ${brake.activeWorkforce} active people counted, over ${brake.over.join(' and ') || 'nothing'}, ` +
        `${brake.heldBack.length} leavers held back, nobody cut\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await run();
