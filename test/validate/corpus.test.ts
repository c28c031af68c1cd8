/**
 * The bad-input corpus: one small repository per case, each an overlay on a valid base
 * organisation (test/fixtures/validate/base). Every case names the one rule, file and line the
 * validator must report; the table is the directory listing, so adding a case is adding a folder.
 *
 * case.yaml fields:
 *   description  the test name, as a sentence
 *   rule, file, line, severity (default error)   the diagnostic that must be reported
 *   total        optional: the exact number of diagnostics (no follow-on errors)
 *   remove       base files to delete
 *   setup        what git cannot hold well:
 *                  symlinkOutside: path     a link to a file outside the repository
 *                  symlinkDirOutside: dir   the base folder moved outside the repository, linked back
 *                  symlinkInside: {path, target}   a link to another path in the repository
 *                  brokenSymlink: path      a link to nothing
 *                  hardLink: {path, target} a second name for another file of the repository
 *                  gitFile: path            a `.git` file (what a submodule checks out)
 *                  hugeFile: path           a file over one mebibyte
 *                  rawBytes: {file, base64} exact bytes (not UTF-8)
 */
import {
  cpSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/main.js';
import type { Diagnostic } from '../../src/model/diagnostic.js';
import { checkRepository } from '../../src/validate/validate.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/validate/', import.meta.url));
const BASE = path.join(FIXTURES, 'base');
const CASES = path.join(FIXTURES, 'cases');
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AT_ISO = '2026-11-25T12:00:00Z';
const AT = Date.parse(AT_ISO);

/**
 * Every rule the loader and validator can report. A rule added to the engine must be added here
 * (the source scan below fails otherwise), and a rule listed here must have a case.
 */
const RULES = [
  // reading files
  'file-too-large',
  'not-utf8',
  'symlink-outside-repo',
  'broken-symlink',
  'symlink',
  'hard-link',
  'case-collision',
  'nested-repository',
  'unexpected-directory',
  'unexpected-file',
  'wrong-extension',
  'wrong-folder',
  'empty-file',
  'missing-file',
  // YAML
  'yaml-syntax',
  'yaml-too-deep',
  'duplicate-key',
  'tab-indentation',
  'yaml-alias',
  'yaml-tag',
  'yaml-complex-key',
  'forbidden-key',
  'ambiguous-boolean',
  // shapes
  'wrong-type',
  'unknown-field',
  'missing-field',
  'bad-date',
  'instant-without-offset',
  'bad-instant',
  'invalid-value',
  'bad-timezone',
  // identity
  'id-mismatch',
  'duplicate-id',
  'duplicate-target',
  'duplicate-email',
  'duplicate-github',
  'duplicate-hr-id',
  'email-plus-alias',
  'email-plus-address',
  'email-outside-domain',
  'email-protected',
  'unsafe-character',
  'padded-name',
  // references
  'unknown-role',
  'unknown-manager',
  'unknown-entitlement',
  'unknown-person',
  'unknown-approver',
  'unknown-owner',
  'unknown-app',
  'unknown-provider',
  'unknown-exception',
  // structure and dates
  'self-manager',
  'manager-cycle',
  'role-include-cycle',
  'roles-out-of-order',
  'role-before-start',
  'end-before-start',
  'no-role-at-start',
  'manager-left',
  // exceptions
  'exception-no-justification',
  'exception-no-expiry',
  'exception-too-long',
  'exception-expired',
  'exception-expiring-soon',
  'exception-bad-dates',
  'exception-self-approved',
  'exception-redundant',
  // exceptions across moves
  'retain-not-a-move',
  'retain-other-person',
  'retain-not-allowed',
  'retain-no-effect',
  'exception-ends-on-move',
  // access
  'sod-conflict',
  'entitlement-unreachable',
  // access reviews
  'review-quarter-mismatch',
  'review-wrong-reviewer',
  'review-not-in-campaign',
  'review-self',
] as const;

/** Kebab-case string literals in the engine's source that are not rule ids. */
const NOT_RULES = new Set(['utf-8']);

interface CaseSetup {
  symlinkOutside?: string;
  symlinkDirOutside?: string;
  symlinkInside?: { path: string; target: string };
  brokenSymlink?: string;
  hardLink?: { path: string; target: string };
  gitFile?: string;
  hugeFile?: string;
  rawBytes?: { file: string; base64: string };
}

interface Case {
  name: string;
  description: string;
  rule: string;
  file: string;
  line: number;
  severity: 'error' | 'warning';
  total?: number;
  remove: string[];
  setup: CaseSetup;
}

function readCases(): Case[] {
  return readdirSync(CASES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const spec = parse(readFileSync(path.join(CASES, name, 'case.yaml'), 'utf8')) as Omit<
        Case,
        'name' | 'severity' | 'remove' | 'setup'
      > &
        Partial<Pick<Case, 'severity' | 'remove' | 'setup'>>;
      return { name, severity: 'error', remove: [], setup: {}, ...spec };
    });
}

const cases = readCases();
const tempDirs: string[] = [];

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Copies the base organisation and applies one case: overlay files, removals, then setup. */
function buildCase(c: Case): string {
  const root = tempDir(`jml-case-${c.name}-`);
  cpSync(BASE, root, { recursive: true });
  for (const rel of c.remove) rmSync(path.join(root, rel), { recursive: true, force: true });
  cpSync(path.join(CASES, c.name), root, {
    recursive: true,
    filter: (src) => path.basename(src) !== 'case.yaml',
  });
  const { symlinkOutside, symlinkDirOutside, symlinkInside, brokenSymlink, hugeFile, rawBytes } = c.setup;
  const { hardLink, gitFile } = c.setup;
  if (symlinkOutside) {
    const outside = path.join(tempDir('jml-outside-'), 'secret.yaml');
    writeFileSync(outside, 'id: secret\n');
    symlinkSync(outside, path.join(root, symlinkOutside));
  }
  if (symlinkDirOutside) {
    const outside = path.join(tempDir('jml-outside-'), path.basename(symlinkDirOutside));
    cpSync(path.join(root, symlinkDirOutside), outside, { recursive: true });
    rmSync(path.join(root, symlinkDirOutside), { recursive: true });
    symlinkSync(outside, path.join(root, symlinkDirOutside));
  }
  if (symlinkInside) symlinkSync(path.join(root, symlinkInside.target), path.join(root, symlinkInside.path));
  if (brokenSymlink) symlinkSync(path.join(root, 'does-not-exist.yaml'), path.join(root, brokenSymlink));
  if (hardLink) {
    rmSync(path.join(root, hardLink.path), { force: true });
    linkSync(path.join(root, hardLink.target), path.join(root, hardLink.path));
  }
  if (gitFile) writeFileSync(path.join(root, gitFile), 'gitdir: ../.git/modules/elsewhere\n');
  if (hugeFile) {
    const line = '# padding padding padding padding padding padding padding padding padding padding\n';
    writeFileSync(path.join(root, hugeFile), line.repeat(Math.ceil((1.5 * 1024 * 1024) / line.length)));
  }
  if (rawBytes) writeFileSync(path.join(root, rawBytes.file), Buffer.from(rawBytes.base64, 'base64'));
  return root;
}

function show(diagnostics: readonly Diagnostic[]): string {
  return diagnostics
    .map((d) => `${d.severity} ${d.rule} ${d.file}:${d.line}:${d.column} ${d.message}`)
    .join('\n');
}

describe('the base organisation', () => {
  it('validates with no errors and no warnings', () => {
    const result = checkRepository(BASE, AT);
    expect(show(result.diagnostics)).toBe('');
    expect(result.ok).toBe(true);
  });
});

describe('the bad-input corpus', () => {
  it('has at least 45 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases.map((c) => [c.description, c] as const))('%s', (_description, c) => {
    const result = checkRepository(buildCase(c), AT);
    const match = result.diagnostics.find(
      (d) => d.rule === c.rule && d.file === c.file && d.line === c.line && d.severity === c.severity,
    );
    expect(
      match,
      `expected ${c.severity} ${c.rule} at ${c.file}:${c.line}, got:\n${show(result.diagnostics)}`,
    ).toBeDefined();
    // An error fails the check; a warning case holds only warnings, so it passes.
    expect(result.ok, show(result.diagnostics)).toBe(c.severity === 'warning');
    if (c.total !== undefined) expect(result.diagnostics, show(result.diagnostics)).toHaveLength(c.total);
    for (const d of result.diagnostics) {
      expect(d.file, show([d])).not.toBe('');
      expect(path.isAbsolute(d.file) || d.file.includes('\\'), show([d])).toBe(false);
      expect(d.line, show([d])).toBeGreaterThanOrEqual(1);
      expect(d.column, show([d])).toBeGreaterThanOrEqual(1);
      expect(d.message.trim(), show([d])).not.toBe('');
      expect(d.hint.trim(), show([d])).not.toBe('');
    }
  });

  it('covers every rule the engine reports', () => {
    const covered = new Set(cases.map((c) => c.rule));
    expect(RULES.filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !(RULES as readonly string[]).includes(r))).toEqual([]);
  });

  it('lists every rule id that appears in the loader and validator source', () => {
    const dirs = ['src/load', 'src/validate', 'src/validate/rules'].map((d) => path.join(REPO_ROOT, d));
    const found = new Set<string>();
    for (const dir of dirs) {
      for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
        const text = readFileSync(path.join(dir, f), 'utf8');
        // Only files that build diagnostics hold rule ids.
        if (!/\bDiagnostic\b/.test(text)) continue;
        for (const m of text.replace(/^import .*$/gm, '').matchAll(/'([a-z0-9]+(?:-[a-z0-9]+)+)'/g))
          found.add(m[1]!);
      }
    }
    const unlisted = [...found].filter((r) => !NOT_RULES.has(r) && !(RULES as readonly string[]).includes(r));
    expect(unlisted).toEqual([]);
  });
});

/** Runs the CLI with captured output. */
async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'jml', ...args], {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    isTty: false,
  });
  return { code, out, err };
}

describe('jml validate on a bad case', () => {
  const c = cases.find((x) => x.name === 'unknown-manager');
  if (!c) throw new Error('the unknown-manager case is missing');

  it('exits 1 and names file:line in text output', async () => {
    const root = buildCase(c);
    const { code, out } = await runCli(['-C', root, 'validate', '--at', AT_ISO]);
    expect(code).toBe(1);
    expect(out).toContain(c.file);
    expect(out).toMatch(new RegExp(`\\b${c.line}:\\d+\\s+error\\s.*\\[${c.rule}\\]`));
  });

  it('prints parseable JSON with --format json', async () => {
    const root = buildCase(c);
    const { code, out } = await runCli(['-C', root, 'validate', '--at', AT_ISO, '--format', 'json']);
    expect(code).toBe(1);
    const json = JSON.parse(out) as { errors: number; warnings: number; diagnostics: Diagnostic[] };
    expect(json.errors).toBeGreaterThan(0);
    expect(json.diagnostics).toContainEqual(
      expect.objectContaining({ rule: c.rule, file: c.file, line: c.line, severity: 'error' }),
    );
  });

  it('writes GitHub annotations with file and line with --format github', async () => {
    const root = buildCase(c);
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let code: number;
    try {
      ({ code } = await runCli(['-C', root, 'validate', '--at', AT_ISO, '--format', 'github']));
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(1);
    const annotations = written
      .join('')
      .split(/\r?\n/)
      .filter((l) => l.startsWith('::error '));
    expect(annotations.length).toBeGreaterThan(0);
    // ::error title=jml unknown-manager,file=people/x.yaml,line=6,col=10::message
    const props = annotations.map((l) =>
      Object.fromEntries(
        l
          .slice('::error '.length, l.indexOf('::', 2))
          .split(',')
          .map((kv) => kv.split('=') as [string, string]),
      ),
    );
    expect(props).toContainEqual(
      expect.objectContaining({ title: `jml ${c.rule}`, file: c.file, line: String(c.line) }),
    );
  });

  it('exits 0 on the base organisation', async () => {
    const { code, out } = await runCli(['-C', BASE, 'validate', '--at', AT_ISO]);
    expect(code).toBe(0);
    expect(out).toContain('0 errors, 0 warnings');
  });
});

describe("the repository's own example organisation", () => {
  const hasExample = existsSync(path.join(REPO_ROOT, 'policy', 'jml.yaml'));
  it.runIf(hasExample)('validates with no errors', () => {
    const result = checkRepository(REPO_ROOT, AT);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(show(errors)).toBe('');
  });
});
