/** `jml validate`: every file of the repository checked (src/engine/validate.ts); errors point at file:line. */
import { type Command, Option } from 'commander';
import { validateCheckout } from '../engine/validate.js';
import {
  emitGithubAnnotations,
  renderDiagnosticsJson,
  renderDiagnosticsText,
} from '../report/diagnostics.js';
import type { Exit, GlobalOptions, Io } from './io.js';
import { parseAtOption } from './options.js';

export function registerValidate(program: Command, io: Io, setExit: Exit): void {
  program
    .command('validate')
    .description('Check every file in the repository; errors point at file:line. Exit 0 ok, 1 errors.')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'github']).default('text'),
    )
    .option('--at <time>', 'check as of this instant (ISO with offset) or date; default now')
    .action((opts: { format: 'text' | 'json' | 'github'; at?: string }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const at = parseAtOption(opts.at);
      const result = validateCheckout(root, at);
      if (opts.format === 'json') io.out(renderDiagnosticsJson(result.diagnostics));
      else {
        if (opts.format === 'github') emitGithubAnnotations(result.diagnostics);
        io.out(renderDiagnosticsText(result.diagnostics, io.isTty && opts.format === 'text'));
      }
      setExit(result.ok ? 0 : 1);
    });
}
