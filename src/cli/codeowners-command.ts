/**
 * `jml codeowners`: write .github/CODEOWNERS from the data, `--check` that the committed one is
 * current (CI), or `--stdout` to print it. Generated, compared and written by the engine
 * (src/engine/codeowners.ts); rendered here.
 */
import { type Command, Option } from 'commander';
import { generateCodeownersFile } from '../engine/codeowners.js';
import { CODEOWNERS_FILE, renderCodeownersDiff } from '../report/codeowners.js';
import { emitGithubAnnotations, renderDiagnosticsText } from '../report/diagnostics.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';

interface CodeownersOptions {
  check?: boolean;
  stdout?: boolean;
  format: 'text' | 'github';
}

export function registerCodeowners(program: Command, io: Io, setExit: Exit): void {
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
      const color = io.isTty && opts.format === 'text';
      const mode = opts.check ? 'check' : opts.stdout ? 'print' : 'write';
      const r = generateCodeownersFile(contextOf(io), { root: rootOpt, mode });
      if (r.kind === 'invalid') {
        io.err(renderDiagnosticsText(r.diagnostics, color));
        io.err(`${CODEOWNERS_FILE} was not generated: fix the errors above first (jml validate).\n`);
        return setExit(1);
      }
      if (r.diagnostics.length) {
        if (opts.format === 'github') emitGithubAnnotations(r.diagnostics);
        io.err(renderDiagnosticsText(r.diagnostics, color));
      }
      if (r.kind === 'not-generated') {
        io.err(`${CODEOWNERS_FILE} was not generated: fix the errors above first.\n`);
        return setExit(1);
      }
      if (mode === 'print') {
        io.out(r.text);
        return setExit(0);
      }
      if (mode === 'check') {
        if (r.committed === 'current') {
          io.out(`${CODEOWNERS_FILE} is up to date (${r.rules} rules).\n`);
          return setExit(0);
        }
        if (r.committed === 'missing') io.err(`${CODEOWNERS_FILE} is missing.\n`);
        else {
          io.err(
            `${CODEOWNERS_FILE} is stale: it does not match people/, roles/ and the teams in policy/jml.yaml.\n`,
          );
          if (r.diff) io.err(renderCodeownersDiff(r.diff));
        }
        io.err(`Run \`npx jml codeowners\` and commit ${CODEOWNERS_FILE}.\n`);
        return setExit(1);
      }
      io.out(
        r.written
          ? `Wrote ${CODEOWNERS_FILE} (${r.rules} rules).\n`
          : `${CODEOWNERS_FILE} is already up to date (${r.rules} rules).\n`,
      );
      setExit(0);
    });
}
