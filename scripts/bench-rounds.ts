/**
 * One process of the plan benchmark (scripts/bench-plan.ts runs it): times each step of the
 * pipeline in this process on bench-out/org-<N>, next to a bare parse of the same files, twice
 * (cold: what one `jml plan` pays; warm: the same code once the JIT has optimised it). The first
 * round's desired state, with 1% drift, becomes the embedded directories that `jml plan` reads
 * (writeActualState). Prints one line of JSON: the rounds and this process's peak memory.
 *
 * Usage: node --import tsx scripts/bench-rounds.ts <people> [<root>, default bench-out/org-<people>]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import jsyaml from 'js-yaml';
import { parse } from 'yaml';
import { loadRepository } from '../src/load/load-repo.ts';
import { buildPlan } from '../src/plan/build-plan.ts';
import { resolveAll } from '../src/resolve/resolve.ts';
import { validateRepository } from '../src/validate/validate.ts';
import { AT, actualFrom, orgRoot, writeActualState } from './bench-org.ts';

export interface Round {
  /** Read and parse every file with `yaml`, the careful reader, and nothing else. */
  parseMs: number;
  /** The same with js-yaml, the loader's quick reader for plain files (src/load/parse-yaml.ts). */
  quickParseMs: number;
  loadMs: number;
  validateMs: number;
  resolveMs: number;
  planMs: number;
  /** load + validate + resolve + plan: the computation of `jml plan`, providers' read aside. */
  totalMs: number;
  changes: number;
  errors: number;
  firstError?: string;
}

export interface RoundsResult {
  people: number;
  files: number;
  cold: Round;
  warm: Round;
  peakRssMb: number;
}

function time<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

const people = Number(process.argv[2]);
const root = process.argv[3] ?? orgRoot(people);
const files: string[] = [];
for (const d of ['policy', 'people', 'roles', 'exceptions'])
  for (const f of readdirSync(path.join(root, d))) files.push(path.join(root, d, f));

function round(writeState: boolean): Round {
  const [, parseMs] = time(() => {
    for (const f of files) parse(readFileSync(f, 'utf8'));
  });
  const [, quickParseMs] = time(() => {
    for (const f of files) jsyaml.load(readFileSync(f, 'utf8'), { schema: jsyaml.CORE_SCHEMA });
  });
  const [loaded, loadMs] = time(() => loadRepository(root));
  const [validated, validateMs] = time(() => validateRepository(loaded.repo, AT));
  const errors = [...loaded.diagnostics, ...validated.diagnostics].filter((d) => d.severity === 'error');
  if (!validated.index) throw new Error(`bench: ${root} did not validate: ${JSON.stringify(errors[0])}`);
  const index = validated.index;
  const [desired, resolveMs] = time(() => resolveAll(index, AT));
  const actual = actualFrom(index, desired);
  if (writeState) writeActualState(root, actual);
  const [plan, planMs] = time(() => buildPlan({ index, desired, actual, commit: null }));
  return {
    parseMs,
    quickParseMs,
    loadMs,
    validateMs,
    resolveMs,
    planMs,
    totalMs: loadMs + validateMs + resolveMs + planMs,
    changes: plan.changes.length,
    errors: errors.length,
    ...(errors[0] ? { firstError: `${errors[0].file}:${errors[0].line} ${errors[0].rule}` } : {}),
  };
}

const cold = round(true);
const warm = round(false);
const result: RoundsResult = {
  people,
  files: files.length,
  cold,
  warm,
  peakRssMb: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
