/**
 * `npm run bench` (approvals): how long `jml approvals` takes to judge a pull request by its
 * effect on the organisation the plan part generates (scripts/bench-org.ts: bench-out/org-N,
 * 10,000 people by default): a one-person mover, and a role template edit that changes the access of everyone
 * holding the role. Each run loads and validates the base and the merged head, builds the merged
 * view, and compares every person's access over the coming year. Figures are printed, never
 * asserted.
 */
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import type { ChangedFile } from '../src/approvals/types.ts';
import { decideFromCheckouts } from '../src/engine/approvals.ts';

const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 10_000);
const base = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bench-out', `org-${PEOPLE}`);
const NOW = Date.parse('2026-11-25T17:00:00Z');

if (!existsSync(base)) {
  process.stderr.write(
    `bench-approvals: ${base} is missing: run scripts/bench-plan.ts first (npm run bench does).\n`,
  );
  process.exit(1);
}

function headWith(edit: (dir: string) => ChangedFile[]): { dir: string; files: ChangedFile[] } {
  const dir = path.join(os.tmpdir(), `jml-bench-head-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(base, dir, { recursive: true });
  return { dir, files: edit(dir) };
}

function editYaml(dir: string, rel: string, fn: (v: Record<string, unknown>) => void): void {
  const file = path.join(dir, rel);
  const v = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  fn(v);
  writeFileSync(file, stringify(v));
}

function judge(label: string, edit: (dir: string) => ChangedFile[]): void {
  const { dir, files } = headWith(edit);
  const t0 = performance.now();
  const d = decideFromCheckouts({
    baseRoot: base,
    headRoot: dir,
    files,
    author: 'someone',
    headSha: 'a'.repeat(40),
    reviews: [],
    now: NOW,
  });
  const ms = performance.now() - t0;
  const people = new Set(d.effects.map((e) => e.person)).size;
  process.stdout.write(
    `${label.padEnd(44)}${`${ms.toFixed(0)} ms`.padStart(9)}   ${d.requirements.length} requirements, ${d.effects.length} access changes for ${people} people\n`,
  );
  rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(
  `\nApprovals by effect: ${PEOPLE} people (base and merged head loaded and validated)\n\n`,
);
const someone = readdirSync(path.join(base, 'people')).sort()[PEOPLE >> 1]!;
judge('a mover (one person file)', (dir) => {
  editYaml(dir, `people/${someone}`, (v) => {
    (v.roles as unknown[]).push({ role: (v.roles as { role: string }[])[0]!.role, from: '2027-03-01' });
    (v.roles as { role: string }[]).at(-1)!.role = 'role-1';
  });
  return [{ path: `people/${someone}`, status: 'modified' }];
});
judge('a role template (everyone holding it)', (dir) => {
  editYaml(dir, 'roles/role-7.yaml', (v) => {
    (v.entitlements as string[]).push('ent-989');
  });
  return [{ path: 'roles/role-7.yaml', status: 'modified' }];
});
process.stdout.write(
  `${'peak memory (max RSS)'.padEnd(44)}${`${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`.padStart(9)}\n`,
);
