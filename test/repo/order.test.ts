/**
 * One order for output (src/model/order.ts): byCodePoint, never the machine's locale. The lint
 * rule (lint/no-locale-compare.grit, a Biome plugin enabled in biome.json for src/) is proved
 * to fire on a probe file, and to hold on the engine's own source.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byCodePoint } from '../../src/model/order.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIOME = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');

/** Runs Biome's linter in `cwd` on `files`; returns `file:line` of every plugin diagnostic. */
function pluginFindings(cwd: string, files: string[]): string[] {
  const r = spawnSync(process.execPath, [BIOME, 'lint', '--colors=off', '--max-diagnostics=none', ...files], {
    cwd,
    encoding: 'utf8',
  });
  const text = `${r.stdout}\n${r.stderr}`;
  return [...text.matchAll(/^(\S+?):(\d+):\d+ plugin\b/gm)].map((m) => `${m[1]}:${m[2]}`);
}

describe('byCodePoint', () => {
  const cases: { name: string; input: string[]; sorted: string[] }[] = [
    {
      name: 'puts upper case before lower case, unlike a locale',
      input: ['b', 'a', 'B'],
      sorted: ['B', 'a', 'b'],
    },
    {
      name: 'puts ~ after letters (accounts nobody owns last)',
      input: ['~x', 'zed', 'Ann'],
      sorted: ['Ann', 'zed', '~x'],
    },
    { name: 'compares digits as text, not numbers', input: ['a10', 'a9', 'a1'], sorted: ['a1', 'a10', 'a9'] },
    {
      name: 'does not ignore punctuation or accents',
      input: ['é', 'e-b', 'eb', 'e'],
      sorted: ['e', 'e-b', 'eb', 'é'],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      expect([...c.input].sort(byCodePoint)).toEqual(c.sorted);
    });

  it('says equal only for equal strings', () => {
    expect(byCodePoint('same', 'same')).toBe(0);
    expect(byCodePoint('a', 'ab')).toBeLessThan(0);
    expect(byCodePoint('ab', 'a')).toBeGreaterThan(0);
  });
});

describe('the lint rule against localeCompare', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jml-lint-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fires on localeCompare and Intl.Collator in src/, and only there', () => {
    cpSync(path.join(ROOT, 'biome.json'), path.join(dir, 'biome.json'));
    cpSync(path.join(ROOT, 'lint'), path.join(dir, 'lint'), { recursive: true });
    const probe = [
      'export const a = (x: string, y: string) => x.localeCompare(y);',
      "export const b = (xs: { k?: string }[]) => xs.sort((x, y) => x.k?.localeCompare(y.k ?? '') ?? 0);",
      "export const c = new Intl.Collator('en').compare;",
      "export const d = 'localeCompare is only named here';",
      '',
    ].join('\n');
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/probe.ts'), probe);
    writeFileSync(path.join(dir, 'elsewhere.ts'), probe);
    expect(pluginFindings(dir, ['src/probe.ts', 'elsewhere.ts'])).toEqual([
      'src/probe.ts:1',
      'src/probe.ts:2',
      'src/probe.ts:3',
    ]);
  });

  it('holds on the engine: nothing in src/ sorts by locale', () => {
    expect(pluginFindings(ROOT, ['src'])).toEqual([]);
  });
});
