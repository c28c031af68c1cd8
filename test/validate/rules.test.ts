/**
 * The table of validation rules (src/validate/rules/index.ts), run against the bad-input corpus
 * (test/fixtures/validate/cases): each rule reports only the rule ids it declares, every id it
 * declares is reported by some case, and validateRepository is the table run in order.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadRepository } from '../../src/load/load-repo.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import { isValidTimeZone } from '../../src/model/time.js';
import { indexRepository } from '../../src/resolve/repo-index.js';
import { emitter } from '../../src/validate/emit.js';
import { ruleContext } from '../../src/validate/rules/context.js';
import { VALIDATION_RULES } from '../../src/validate/rules/index.js';
import { validateRepository } from '../../src/validate/validate.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/validate');
const AT = Date.parse('2026-11-25T12:00:00Z');
const work = mkdtempSync(path.join(os.tmpdir(), 'jml-rules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The corpus cases that need no file-system setup, each built as base + overlay. */
const cases = readdirSync(path.join(FIXTURES, 'cases'))
  .sort()
  .flatMap((name) => {
    const meta = parse(readFileSync(path.join(FIXTURES, 'cases', name, 'case.yaml'), 'utf8')) as {
      remove?: string[];
      setup?: unknown;
    };
    return meta.setup ? [] : [{ name, remove: meta.remove ?? [] }];
  });

interface Run {
  name: string;
  /** Diagnostics of each rule, by rule name, run one by one. */
  byRule: Map<string, Diagnostic[]>;
  /** What validateRepository reports after unsafe text (which runs before the table). */
  driven: Diagnostic[];
}

function run(c: { name: string; remove: string[] }): Run | undefined {
  const root = path.join(work, c.name);
  cpSync(path.join(FIXTURES, 'base'), root, { recursive: true });
  for (const rel of c.remove) rmSync(path.join(root, rel), { recursive: true, force: true });
  cpSync(path.join(FIXTURES, 'cases', c.name), root, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'case.yaml',
  });
  const { repo } = loadRepository(root);
  if (!repo.policy || !isValidTimeZone(repo.policy.value.timezone)) return undefined;
  const byRule = new Map<string, Diagnostic[]>();
  for (const rule of VALIDATION_RULES) {
    const out: Diagnostic[] = [];
    const index = indexRepository(repo, repo.policy.value);
    rule.check(ruleContext(repo, repo.policy, index, AT, emitter(out)));
    byRule.set(rule.name, out);
  }
  const driven = validateRepository(repo, AT).diagnostics.filter((d) => d.rule !== 'unsafe-character');
  return { name: c.name, byRule, driven };
}

const runs = cases.map(run).filter((r): r is Run => r !== undefined);

describe('the validation rules table', () => {
  it('names each rule once', () => {
    const names = VALIDATION_RULES.map((r) => r.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('runs on most of the corpus (cases with a loadable policy)', () => {
    expect(runs.length).toBeGreaterThan(80);
  });

  it('each rule reports only the rule ids it declares', () => {
    const stray: string[] = [];
    for (const r of runs)
      for (const rule of VALIDATION_RULES)
        for (const d of r.byRule.get(rule.name)!)
          if (!rule.rules.includes(d.rule)) stray.push(`${r.name}: ${rule.name} reported ${d.rule}`);
    expect(stray).toEqual([]);
  });

  it('every rule id a rule declares is reported by some case of the corpus', () => {
    const reported = new Set(runs.flatMap((r) => [...r.byRule.values()].flat().map((d) => d.rule)));
    const declared = [...new Set(VALIDATION_RULES.flatMap((r) => r.rules))];
    expect(declared.filter((id) => !reported.has(id))).toEqual([]);
  });

  it('validateRepository reports what the rules report, in the table order', () => {
    for (const r of runs) {
      const inOrder = VALIDATION_RULES.flatMap((rule) => r.byRule.get(rule.name)!);
      expect(r.driven, r.name).toEqual(inOrder);
    }
  });
});
