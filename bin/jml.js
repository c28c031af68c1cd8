#!/usr/bin/env node
// The jml command. It runs the compiled engine in dist/ (`npm run build`; `npm ci` builds it)
// when that was built from the src/ on disk, and otherwise src/ itself through tsx, which
// compiles the TypeScript as it loads: a developer who edits src/ gets src/'s behaviour at once,
// and a stale build never runs (bin/build-stamp.js decides, in a few milliseconds).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { staleReason } from './build-stamp.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let engine;
if (staleReason(root) === undefined) {
  // Errors then point at src/*.ts lines, as they do under tsx.
  process.setSourceMapsEnabled(true);
  engine = await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  engine = await import('../src/cli/main.ts');
}
// `jml plan | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await engine.main(process.argv);
