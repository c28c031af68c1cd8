/**
 * The floors of docs/architecture.md, checked on the code's own imports: no import circles;
 * nothing below the engine floor imports engine/ or cli/; the pure core (model, resolve, plan,
 * validate) imports no provider, record, report or GitHub code and touches no file; load is the
 * core's only reader. A move that breaks a rule fails here with the import that breaks it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sources(dir = SRC): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Each file's imports: relative ones resolved to files, and the node: modules it names. */
function importsOf(file: string): { local: string[]; node: string[] } {
  const text = readFileSync(file, 'utf8');
  const local: string[] = [];
  const node: string[] = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
  )) {
    const spec = (m[1] ?? m[2])!;
    if (spec.startsWith('.')) local.push(path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
    else if (spec.startsWith('node:')) node.push(spec);
  }
  return { local, node };
}

const rel = (f: string) => path.relative(SRC, f).split(path.sep).join('/');
const floorOf = (f: string) => rel(f).split('/')[0]!;

const graph = new Map(sources().map((f) => [f, importsOf(f)] as const));

/** Strongly connected components of more than one file (Tarjan). */
function circles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.local ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(rel(w));
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

const CORE = new Set(['model', 'resolve', 'plan', 'validate', 'load']);
const PURE = new Set(['model', 'resolve', 'plan', 'validate']);
const TOP = new Set(['engine', 'cli']);

describe('the floors (docs/architecture.md)', () => {
  it('has no import circles', () => {
    expect(circles()).toEqual([]);
  });

  it('nothing below the engine floor imports engine/ or cli/', () => {
    const found: string[] = [];
    for (const [f, { local }] of graph)
      for (const d of local)
        if (!TOP.has(floorOf(f)) && TOP.has(floorOf(d))) found.push(`${rel(f)} -> ${rel(d)}`);
        else if (floorOf(f) === 'engine' && floorOf(d) === 'cli') found.push(`${rel(f)} -> ${rel(d)}`);
    expect(found).toEqual([]);
  });

  it('the core (model, load, resolve, plan, validate) imports only the core', () => {
    const found: string[] = [];
    for (const [f, { local }] of graph)
      if (CORE.has(floorOf(f)))
        for (const d of local) if (!CORE.has(floorOf(d))) found.push(`${rel(f)} -> ${rel(d)}`);
    expect(found).toEqual([]);
  });

  it('the pure core (model, resolve, plan, validate) reads no files and runs nothing', () => {
    const found: string[] = [];
    for (const [f, { node }] of graph)
      if (PURE.has(floorOf(f)))
        for (const n of node)
          if (['node:fs', 'node:fs/promises', 'node:child_process', 'node:net', 'node:http'].includes(n))
            found.push(`${rel(f)} imports ${n}`);
    expect(found).toEqual([]);
  });

  it('the engine prints nothing: it returns values, and the CLI renders them', () => {
    const found = [...graph.keys()]
      .filter((f) => floorOf(f) === 'engine')
      .filter((f) =>
        /\bconsole\.|\bprocess\.(stdout|stderr)\b|'@actions\/core'/.test(readFileSync(f, 'utf8')),
      )
      .map(rel);
    expect(found).toEqual([]);
  });

  it('the engine reads its environment from its context, never from process.env', () => {
    const found = [...graph.keys()]
      .filter((f) => floorOf(f) === 'engine')
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .flatMap((line, i) =>
            /\bprocess\.env\b/.test(line) && !/^\s*(\*|\/\/)/.test(line) ? [`${rel(f)}:${i + 1}`] : [],
          ),
      );
    expect(found).toEqual([]);
  });

  it('the checks can fail: a circle and a floor violation are found in a made-up graph', () => {
    const a = path.join(SRC, 'plan/a.ts');
    const b = path.join(SRC, 'plan/b.ts');
    graph.set(a, { local: [b, path.join(SRC, 'cli/main.ts')], node: [] });
    graph.set(b, { local: [a], node: ['node:fs'] });
    try {
      expect(circles()).toContainEqual(['plan/a.ts', 'plan/b.ts']);
    } finally {
      graph.delete(a);
      graph.delete(b);
    }
  });
});
