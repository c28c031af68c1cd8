/**
 * Positions of plain files (src/load/plain-positions.ts): the table the quick reader builds is
 * the careful reader's, offset for offset and line for line, on every plain file of the
 * repository and on generated ones; where it cannot be sure it builds nothing and the careful
 * reader does. A line shown for a value never depends on which reader built the table.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePlainFile, parseYaml } from '../../src/load/parse-yaml.js';
import { plainPositions } from '../../src/load/plain-positions.js';
import { locate, releaseDocument, type SourceFile } from '../../src/load/source.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Both tables of `text`: built by the careful reader, and by the quick reader (or undefined). */
function tables(text: string) {
  const careful: SourceFile = { path: 'f.yaml', text };
  locate(careful, []);
  const quick = plainPositions(text);
  return { careful, quick };
}

/** The two readers agree: the same offsets for the same paths, on the same lines and columns. */
function expectSameTables(text: string, name: string): boolean {
  const { careful, quick } = tables(text);
  if (!quick) return false;
  expect(quick.positions, name).toEqual(careful.positions);
  for (const offset of [...quick.positions.values.values(), ...quick.positions.keys.values()])
    expect(quick.lineCounter.linePos(offset), `${name} @${offset}`).toEqual(
      careful.lineCounter!.linePos(offset),
    );
  return true;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return n.endsWith('.yaml') ? [p] : [];
  });
}

/** A small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A plain YAML file in the styles people write: comments, blank lines, flow maps, block text. */
function plainYaml(seed: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const word = () => pick(['alice', 'bob.smith', 'eng-1', 'x', 'New York, NY', '2026-12-01', 'a b c']);
  const scalar = () =>
    pick([
      word(),
      word(),
      `'${word()}'`,
      `"${word()}"`,
      `${word()} # note`,
      'true',
      `${word()}\n${'    '}${word()}`,
    ]);
  const lines: string[] = [];
  const noise = (indent: string) => {
    const x = r();
    if (x < 0.1) lines.push('');
    else if (x < 0.2) lines.push(`${indent}# ${word()}`);
    else if (x < 0.25) lines.push(`# ${word()}`);
  };
  const mapping = (indent: string, depth: number, first = '') => {
    const n = 1 + Math.floor(r() * 4);
    for (let i = 0; i < n; i++) {
      const lead = i === 0 && first ? first : indent;
      if (!(i === 0 && first)) noise(indent);
      const key = `k${i}${pick(['', 'x', '_y'])}`;
      const x = r();
      if (depth > 2 || x < 0.45)
        lines.push(`${lead}${key}: ${scalar()}`.replace(/\n {4}/, `\n${indent}    `));
      else if (x < 0.5) lines.push(`${lead}${key}:`);
      else if (x < 0.55) lines.push(`${lead}${key}: |\n${indent}  ${word()}\n${indent}  ${word()}`);
      else if (x < 0.6) lines.push(`${lead}${key}: ${pick(['[]', '{}'])}`);
      else if (x < 0.75) {
        lines.push(`${lead}${key}:${pick(['', ' # list'])}`);
        sequence(`${indent}${pick(['', '  '])}`, depth + 1);
      } else {
        lines.push(`${lead}${key}:`);
        mapping(`${indent}  `, depth + 1);
      }
    }
  };
  const sequence = (indent: string, depth: number) => {
    const n = 1 + Math.floor(r() * 3);
    for (let i = 0; i < n; i++) {
      noise(indent);
      const x = r();
      if (depth > 2 || x < 0.4) lines.push(`${indent}- ${scalar()}`.replace(/\n {4}/, `\n${indent}    `));
      else if (x < 0.6) lines.push(`${indent}- { role: ${pick(['sre', 'eng'])}, from: 2026-01-0${i + 1} }`);
      else mapping(`${indent}  `, depth + 1, `${indent}- `);
    }
  };
  noise('');
  if (r() < 0.2) sequence('', 0);
  else mapping('', 0);
  noise('');
  return `${lines.join('\n')}\n`;
}

describe('positions of plain files', () => {
  it("are the careful reader's on every plain file of the repository", () => {
    const files = ['people', 'roles', 'exceptions', 'policy', 'test/fixtures'].flatMap((d) =>
      yamlFiles(path.join(ROOT, d)),
    );
    let plain = 0;
    let quick = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      if (parsePlainFile(text) === undefined) continue;
      plain++;
      if (expectSameTables(text, path.relative(ROOT, f))) quick++;
    }
    expect(plain).toBeGreaterThan(200);
    // Every plain file of the example organisation and the fixtures is read quickly.
    expect(quick).toBe(plain);
  });

  it("are the careful reader's on generated plain files, or left to the careful reader", () => {
    let compared = 0;
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const text = plainYaml(seed);
        if (parsePlainFile(text) === undefined) return;
        if (expectSameTables(text, text)) compared++;
      }),
      { numRuns: 400 },
    );
    expect(compared).toBeGreaterThan(100);
  });

  const fallbacks: { name: string; text: string }[] = [
    { name: 'a null sequence entry', text: 'items:\n  -\n  - b\n' },
    { name: 'a carriage return', text: 'a: b\r\nc: d\r\n' },
  ];
  it.each(fallbacks.map((f) => [f.name, f] as const))(
    'leave %s to the careful reader, whose lines are the same',
    (_, f) => {
      expect(plainPositions(f.text)).toBeUndefined();
      const src: SourceFile = { path: 'f.yaml', text: f.text, plain: true };
      expect(locate(src, ['c'])).toEqual(locate({ path: 'f.yaml', text: f.text }, ['c']));
    },
  );

  it('come from the quick reader only for a file the quick path read', () => {
    const quick = parseYaml('people/a.yaml', new TextEncoder().encode('id: a\nroles:\n  - role: x\n'));
    const careful = parseYaml('people/b.yaml', new TextEncoder().encode('id: b\nroles: [x, z]\n'));
    if (!quick.ok || !careful.ok) throw new Error('both files are valid YAML');
    releaseDocument(quick.src);
    releaseDocument(careful.src);
    expect(quick.src.plain).toBe(true);
    expect(careful.src.plain).toBeUndefined();
    expect(locate(quick.src, ['roles', 0, 'role']).line).toBe(3);
    expect(locate(careful.src, ['roles', 1]).line).toBe(2);
  });
});
