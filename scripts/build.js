/**
 * `npm run build` (and `prepare`, so `npm ci` runs it): compiles src/ to dist/ with tsc
 * (tsconfig.build.json), which bin/jml.js runs instead of compiling the TypeScript at every
 * start. It emits without type checking (`noCheck`), as tsx runs src/ in development: type
 * errors are `npm run typecheck`'s to report, and a build never differs from what tsx runs. It does nothing when dist/ is already current (bin/build-stamp.js); `--force` builds
 * anyway. The inputs are read before compiling, so an edit during the build leaves dist/ stale,
 * never wrongly current. The new build is made beside dist/ and swapped in at the end, so a jml
 * starting meanwhile finds either the old build with its stamp or the new one with its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readInputs, STAMP, staleReason } from '../bin/build-stamp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const force = process.argv.includes('--force');

const reason = staleReason(root);
if (!force && reason === undefined) {
  process.stdout.write('dist/ is current: nothing to build.\n');
  process.exit(0);
}

const next = path.join(root, `dist-next-${process.pid}`);
const old = path.join(root, `dist-old-${process.pid}`);
try {
  const inputs = readInputs(root);
  const manifest = createRequire(import.meta.url).resolve('typescript/package.json');
  const tsc = path.join(path.dirname(manifest), 'bin', 'tsc');
  const compiled = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', next],
    { cwd: root, stdio: 'inherit' },
  );
  if (compiled.status !== 0) {
    // tsc printed the file and line; dist/ stays as it was (and bin/jml.js runs src/ when stale).
    process.stderr.write('npm run build: tsc could not compile src/ (above); dist/ is unchanged.\n');
    process.exitCode = 1;
  } else {
    writeFileSync(path.join(next, STAMP), `${JSON.stringify(inputs, null, 1)}\n`);
    if (existsSync(dist)) renameSync(dist, old);
    renameSync(next, dist);
    process.stdout.write(`Built dist/ from src/ (${force ? 'forced' : reason}).\n`);
  }
} finally {
  rmSync(next, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
}
