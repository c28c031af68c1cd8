#!/usr/bin/env node
// The jml command. The engine is TypeScript run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
// `jml plan | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
