/**
 * `jml codeowners`: write .github/CODEOWNERS from the data, `--check` that the committed one is
 * current (CI), or `--stdout` to print it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import {
  CODEOWNERS_FILE,
  diffCodeowners,
  generateCodeowners,
  renderCodeownersDiff,
} from '../report/codeowners.js';
import { emitGithubAnnotations, renderDiagnosticsText } from '../report/diagnostics.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../validate/validate.js';
import type { GlobalOptions, Io } from './io.js';

interface CodeownersOptions {
  check?: boolean;
  stdout?: boolean;
  format: 'text' | 'github';
}

/** The committed file, with Windows line endings read as Unix ones; undefined when missing. */
function readCommitted(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Written beside the target and renamed over it: a crash leaves the old file or the new one. */
function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export function registerCodeowners(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('codeowners')
    .description(
      `Generate ${CODEOWNERS_FILE} from the data: each person file owned by their manager and HR, roles by their owner, exceptions by security, policy by leadership. --check exits 1 when the committed file is stale.`,
    )
    .option('--check', `exit 1 (with what differs) when the committed ${CODEOWNERS_FILE} is stale`)
    .option('--stdout', 'print the file instead of writing it')
    .addOption(
      new Option('--format <format>', 'how warnings are shown: text, or github (also workflow annotations)')
        .choices(['text', 'github'])
        .default('text'),
    )
    .action((opts: CodeownersOptions, cmd: Command) => {
      const { root: rootOpt } = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.check && opts.stdout) {
        io.err('jml codeowners: give at most one of --check or --stdout\n');
        return setExit(1);
      }
      const root = path.resolve(rootOpt);
      const color = io.isTty && opts.format === 'text';
      const checked = checkRepository(root, Date.now());
      // Errors that appear only because time passed do not change who owns what.
      const blocking = checked.diagnostics.filter(
        (d) => d.severity === 'error' && !TIME_DEPENDENT_RULES.has(d.rule),
      );
      if (blocking.length > 0 || !checked.index) {
        io.err(renderDiagnosticsText(blocking, color));
        io.err(`${CODEOWNERS_FILE} was not generated: fix the errors above first (jml validate).\n`);
        return setExit(1);
      }
      const result = generateCodeowners(checked.index);
      if (result.diagnostics.length) {
        if (opts.format === 'github') emitGithubAnnotations(result.diagnostics);
        io.err(renderDiagnosticsText(result.diagnostics, color));
      }
      if (result.diagnostics.some((d) => d.severity === 'error')) {
        io.err(`${CODEOWNERS_FILE} was not generated: fix the errors above first.\n`);
        return setExit(1);
      }
      if (opts.stdout) {
        io.out(result.text);
        return setExit(0);
      }
      const file = path.join(root, CODEOWNERS_FILE);
      const committed = readCommitted(file);
      if (opts.check) {
        if (committed === result.text) {
          io.out(`${CODEOWNERS_FILE} is up to date (${result.rules.length} rules).\n`);
          return setExit(0);
        }
        if (committed === undefined) io.err(`${CODEOWNERS_FILE} is missing.\n`);
        else {
          io.err(
            `${CODEOWNERS_FILE} is stale: it does not match people/, roles/ and the teams in policy/jml.yaml.\n`,
          );
          io.err(renderCodeownersDiff(diffCodeowners(committed, result.text)));
        }
        io.err(`Run \`npx jml codeowners\` and commit ${CODEOWNERS_FILE}.\n`);
        return setExit(1);
      }
      if (committed === result.text) {
        io.out(`${CODEOWNERS_FILE} is already up to date (${result.rules.length} rules).\n`);
        return setExit(0);
      }
      writeAtomic(file, result.text);
      io.out(`Wrote ${CODEOWNERS_FILE} (${result.rules.length} rules).\n`);
      setExit(0);
    });
}
