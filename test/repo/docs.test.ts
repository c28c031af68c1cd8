/**
 * The docs are the reference a user reads instead of the source: README stays the front door
 * (under 250 lines), every relative link in README.md and docs/ resolves (to a file, and to a
 * heading when it names one), every command and subcommand of `jml` is documented, and every rule
 * id a user can meet (validation, approvals, jml doctor) is explained somewhere in docs/.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/main.js';
import { CHECKS } from '../../src/github/doctor/rules.js';

const ROOT = path.resolve(__dirname, '../..');

function markdownFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return markdownFiles(rel);
    return e.name.endsWith('.md') ? [rel] : [];
  });
}

const DOCS = ['README.md', ...markdownFiles('docs')];
const text = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const ALL_DOCS = DOCS.map(text).join('\n');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = fence ? null : /^#{1,6} (.+)$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function links(markdown: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    if (fence) continue;
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) out.push(m[1]!);
  }
  return out.filter((l) => !/^[a-z]+:/i.test(l));
}

function commandPaths(cmd: Command, prefix: string[] = []): string[] {
  return cmd.commands.flatMap((c) => {
    const here = [...prefix, c.name()];
    return [here.join(' '), ...commandPaths(c, here)];
  });
}

describe('docs', () => {
  it('README is the front door: under 250 lines', () => {
    expect(text('README.md').split('\n').length).toBeLessThan(250);
  });

  it('every relative link resolves, to the heading when it names one', () => {
    const broken: string[] = [];
    for (const rel of DOCS) {
      for (const link of links(text(rel))) {
        const [file, anchor] = link.split('#') as [string, string | undefined];
        const target = file ? path.join(path.dirname(path.join(ROOT, rel)), file) : path.join(ROOT, rel);
        if (!existsSync(target)) {
          broken.push(`${rel}: ${link} (no such file)`);
          continue;
        }
        if (anchor && statSync(target).isFile() && target.endsWith('.md')) {
          if (!anchors(readFileSync(target, 'utf8')).has(anchor))
            broken.push(`${rel}: ${link} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('every page of docs/ is reachable from README', () => {
    const reachable = new Set<string>(['README.md']);
    const queue = ['README.md'];
    while (queue.length) {
      const rel = queue.shift()!;
      for (const link of links(text(rel))) {
        const file = link.split('#')[0];
        if (!file?.endsWith('.md')) continue;
        const target = path.relative(ROOT, path.join(path.dirname(path.join(ROOT, rel)), file));
        if (!reachable.has(target) && existsSync(path.join(ROOT, target))) {
          reachable.add(target);
          queue.push(target);
        }
      }
    }
    expect(DOCS.filter((d) => !reachable.has(d))).toEqual([]);
  });

  it('every command and subcommand is documented', () => {
    const program = buildProgram({ out: () => {}, err: () => {}, isTty: false }, () => {});
    const missing = commandPaths(program).filter((c) => !ALL_DOCS.includes(`jml ${c}`));
    expect(missing).toEqual([]);
  });

  it('every validation rule id is documented', () => {
    const cases = path.join(ROOT, 'test/fixtures/validate/cases');
    const rules = new Set(
      readdirSync(cases).map(
        (c) => (parse(readFileSync(path.join(cases, c, 'case.yaml'), 'utf8')) as { rule: string }).rule,
      ),
    );
    expect(rules.size).toBeGreaterThan(50);
    expect([...rules].filter((r) => !ALL_DOCS.includes(r)).sort()).toEqual([]);
  });

  it('every approvals rule id is documented', () => {
    const dir = path.join(ROOT, 'src/approvals/rules');
    const ids = new Set<string>();
    for (const f of readdirSync(dir))
      for (const m of readFileSync(path.join(dir, f), 'utf8').matchAll(/rule(?::| =) '([a-z0-9-]+)'/g))
        ids.add(m[1]!);
    expect(ids.size).toBeGreaterThan(10);
    expect([...ids].filter((r) => !ALL_DOCS.includes(r)).sort()).toEqual([]);
  });

  it('every jml doctor check is documented', () => {
    const doctor = text('docs/doctor.md');
    expect(CHECKS.map((c) => c.id).filter((id) => !doctor.includes(id))).toEqual([]);
  });
});
