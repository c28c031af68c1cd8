/**
 * The repository carries everything its code, tests and scripts read: a user's clone (or their
 * CI) has nothing outside it. A file that names a machine path outside the repository (this
 * workplace's work folder, a sibling shared folder, a home directory) fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCANNED = ['src', 'test', 'scripts', 'bin', '.ci', '.github', 'package.json', 'vitest.config.ts'];
/** Vendor data copied in (their text names no path of ours) and this file's own patterns. */
const SKIPPED = new Set(['test/fakes/vendor-specs', 'test/repo/self-contained.test.ts']);
const OUTSIDE = [
  /(?<![\w$.-])\/work\//,
  /\.\.\/shared\b/,
  /(?<![\w$.-])\/home\/[a-z]/,
  /(?<![\w$.-])\/Users\/[A-Za-z]/,
];

function files(rel: string): string[] {
  if (SKIPPED.has(rel)) return [];
  const abs = path.join(ROOT, rel);
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return [];
  if (!st.isDirectory()) return [rel];
  return readdirSync(abs).flatMap((n) => (n === 'node_modules' ? [] : files(`${rel}/${n}`)));
}

describe('the repository is self-contained', () => {
  it('no source, test, script or workflow names a path outside the repository', () => {
    const found: string[] = [];
    for (const f of SCANNED.flatMap((s) => files(s))) {
      const lines = readFileSync(path.join(ROOT, f), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (OUTSIDE.some((re) => re.test(line))) found.push(`${f}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });

  it('the check finds a path outside the repository (it can fail)', () => {
    const hit = (line: string) => OUTSIDE.some((re) => re.test(line));
    // Built from parts, so this file names no such path itself.
    const work = ['', 'work', ''].join('/');
    const shared = ['..', 'shared'].join('/');
    expect(hit(`const SPEC = '${work}shared/vendor-specs/x.yaml';`)).toBe(true);
    expect(hit(`readFileSync('${shared}/DESIGN.md')`)).toBe(true);
    expect(hit('cp "$work/records/$month/"')).toBe(false);
  });

  it('the vendor descriptions the fakes are held to are in the repository, with their licences', () => {
    for (const f of [
      'okta-management-openapi.yaml',
      'LICENSE-okta-management-openapi.txt',
      'github-rest-subset.json',
      'LICENSE-octokit-openapi.txt',
    ])
      expect(statSync(path.join(ROOT, 'test/fakes/vendor-specs', f)).size).toBeGreaterThan(500);
  });
});
