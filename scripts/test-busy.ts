/**
 * `npm run test:busy`: the suite's slowest and most timing-sensitive files on a busy machine. Two
 * CPU-bound processes run alongside for the whole run (on a 2-core machine, as many as there are
 * cores: a CI runner or a laptop with a build going), and the files must stay green: no test may
 * depend on how fast the machine is. Prints how long it took; exits with vitest's code.
 *
 * Not part of `npm test`: it takes several minutes on its own. Extra arguments go to vitest
 * (`npm run test:busy -- --reporter=verbose`), and files named there replace the list below.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The files that spawn the CLI many times, wait on lock timers or rate-limit windows, or simply
 * take longest; each once failed or crawled on a loaded machine.
 */
const FILES = [
  'test/engine/crash.test.ts', // fifteen SIGKILLed applies, two racing ones
  'test/providers/embedded-lock.test.ts', // a lock holder starved of CPU
  'test/engine/lock-lost.test.ts',
  'test/engine/leavers.test.ts', // leavers on a clock, person locks
  'test/engine/offboard.test.ts', // its set-up hooks once hit vitest's 10 s default
  'test/hr/sync.test.ts',
  'test/hr/brake.test.ts',
  'test/review/quarter.test.ts', // a whole quarter: once past its 180 s limit
  'test/review/start.test.ts',
  'test/review/report.test.ts',
  'test/evidence/evidence.test.ts',
  'test/providers/okta.test.ts', // rate-limit windows
  'test/providers/google.test.ts',
  'test/providers/timeouts.test.ts', // hung answers
  'test/conformance/conformance.test.ts',
];

/** A process that keeps one core busy until it is killed, or its parent is gone. */
function burner(): ChildProcess {
  const parent = process.pid;
  const script = `for (let i = 1; ; i++) if (i % 5e7 === 0) { try { process.kill(${parent}, 0); } catch { process.exit(0); } }`;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.ts')) ? [] : FILES;
const burners = [burner(), burner()];
const stop = () => {
  for (const b of burners) b.kill('SIGKILL');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const started = process.hrtime.bigint();
const vitest = spawn(
  process.execPath,
  [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', ...files, ...args],
  {
    cwd: ROOT,
    stdio: 'inherit',
  },
);
const code = await new Promise<number>((resolve) =>
  vitest.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
);
stop();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(
  `\ntest:busy: ${files.length || 'the named'} files beside ${burners.length} CPU-bound processes in ${seconds.toFixed(0)} s: ${code === 0 ? 'green' : `exit ${code}`}`,
);
process.exitCode = code;
