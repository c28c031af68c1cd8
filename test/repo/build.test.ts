/**
 * The precompiled build: `npm run build` (run by `npm ci` through `prepare`, and by `npm test`
 * first) compiles src/ to dist/, and bin/jml.js runs dist/ only while it is the build of the
 * src/ on disk. Otherwise it runs src/ through tsx, so an edit takes effect at once and a stale
 * build never runs. The engine a run used is observed from outside, by a module hook that logs
 * every module the process loads: no flag or variable of the product says it.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAMP, staleReason } from '../../bin/build-stamp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function temp(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** A preload that registers a resolve hook appending every module URL the process loads to a log. */
function moduleLog(): { args: string[]; loaded: () => string[] } {
  const dir = temp('jml-build-hook-');
  const log = path.join(dir, 'loaded.log');
  writeFileSync(log, '');
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  appendFileSync(log, found.url + '\\n');
  return found;
}
`,
  );
  writeFileSync(
    path.join(dir, 'preload.mjs'),
    `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)}, import.meta.url, { data: { log: ${JSON.stringify(log)} } });
`,
  );
  return {
    args: ['--import', pathToFileURL(path.join(dir, 'preload.mjs')).href],
    loaded: () => readFileSync(log, 'utf8').split('\n').filter(Boolean),
  };
}

describe('the build of this repository', () => {
  it('dist/ is the build of src/ as it is (npm test builds first; else run npm run build)', () => {
    expect(staleReason(ROOT)).toBeUndefined();
  });

  it('bin/jml.js runs dist/, and neither src/ nor tsx, when dist/ is current', () => {
    expect(staleReason(ROOT), 'run npm run build first').toBeUndefined();
    const hook = moduleLog();
    const run = spawnSync(process.execPath, [...hook.args, path.join(ROOT, 'bin/jml.js'), '--version'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const ours = hook
      .loaded()
      .filter((u) => u.startsWith(pathToFileURL(ROOT).href))
      .map((u) => u.slice(pathToFileURL(ROOT).href.length + 1));
    expect(ours).toContain('dist/cli/main.js');
    expect(ours.filter((u) => u.startsWith('src/'))).toEqual([]);
    expect(ours.filter((u) => u.includes('node_modules/tsx/'))).toEqual([]);
  });
});

/**
 * A repository of its own, with the real bin/, build script and tsconfig files and an engine of
 * one file that prints where it runs from and a version written in it, built by the real build.
 */
describe('bin/jml.js runs the build only while it is current', () => {
  let repo: string;
  const engine = (version: string) =>
    `export async function main(_argv: string[]): Promise<number> {\n  process.stdout.write(\`${version} \${new URL(import.meta.url).pathname.split('/').slice(-3).join('/')}\\n\`);\n  return 0;\n}\n`;
  const jml = () => {
    const run = spawnSync(process.execPath, [path.join(repo, 'bin/jml.js')], { cwd: repo, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.trim();
  };
  const build = () => {
    const run = spawnSync(process.execPath, [path.join(repo, 'scripts/build.js')], {
      cwd: repo,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  };
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), text);
  };

  beforeAll(() => {
    repo = temp('jml-build-repo-');
    for (const rel of [
      'bin/jml.js',
      'bin/build-stamp.js',
      'scripts/build.js',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      copyFileSync(path.join(ROOT, rel), path.join(repo, rel));
    }
    write('package.json', '{ "type": "module" }\n');
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules'), 'dir');
    write('src/cli/main.ts', engine('v1'));
    write('src/model/extra.ts', 'export const extra = 1;\n');
  }, 60_000);

  const cases: { name: string; change: () => void; runs: 'dist' | 'src'; says?: string }[] = [
    { name: 'a fresh build runs from dist/', change: () => undefined, runs: 'dist' },
    {
      name: 'a source file edited after the build runs from src/, with the edit',
      change: () => write('src/cli/main.ts', engine('v2')),
      runs: 'src',
      says: 'v2',
    },
    {
      name: 'a source file touched but unchanged still runs the build',
      change: () => utimesSync(path.join(repo, 'src/cli/main.ts'), new Date(), new Date(Date.now() + 5_000)),
      runs: 'dist',
    },
    {
      name: 'a source file added after the build runs from src/',
      change: () => write('src/model/added.ts', 'export const added = 1;\n'),
      runs: 'src',
    },
    {
      name: 'a source file removed after the build runs from src/',
      change: () => unlinkSync(path.join(repo, 'src/model/extra.ts')),
      runs: 'src',
    },
    {
      name: 'tsconfig.build.json edited after the build runs from src/',
      change: () =>
        write('tsconfig.build.json', `${readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')}\n`),
      runs: 'src',
    },
    {
      name: 'a build without its stamp runs from src/',
      change: () => unlinkSync(path.join(repo, 'dist', STAMP)),
      runs: 'src',
    },
    {
      name: 'a build whose stamp is not readable runs from src/',
      change: () => writeFileSync(path.join(repo, 'dist', STAMP), '{ not json'),
      runs: 'src',
    },
  ];
  for (const c of cases) {
    it(c.name, { timeout: 60_000 }, () => {
      rmSync(path.join(repo, 'dist'), { recursive: true, force: true });
      write('src/cli/main.ts', engine('v1'));
      write('src/model/extra.ts', 'export const extra = 1;\n');
      rmSync(path.join(repo, 'src/model/added.ts'), { force: true });
      copyFileSync(path.join(ROOT, 'tsconfig.build.json'), path.join(repo, 'tsconfig.build.json'));
      expect(build()).toMatch(/^Built dist\//);
      expect(jml()).toBe('v1 dist/cli/main.js');
      c.change();
      expect(jml()).toBe(`${c.says ?? 'v1'} ${c.runs === 'dist' ? 'dist/cli/main.js' : 'src/cli/main.ts'}`);
    });
  }

  it('the build does nothing when dist/ is current, and rebuilds after an edit', { timeout: 60_000 }, () => {
    rmSync(path.join(repo, 'dist'), { recursive: true, force: true });
    write('src/cli/main.ts', engine('v1'));
    expect(build()).toMatch(/^Built dist\//);
    expect(build()).toBe('dist/ is current: nothing to build.\n');
    write('src/cli/main.ts', engine('v3'));
    expect(build()).toBe('Built dist/ from src/ (src/cli/main.ts changed since the build).\n');
    expect(jml()).toBe('v3 dist/cli/main.js');
  });
});
