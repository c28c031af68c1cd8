/**
 * cli: the `jml` command. Each subcommand parses its flags, refuses contradictory ones before
 * anything runs, calls the engine (src/engine/), renders what comes back and returns an exit
 * code (never calls process.exit, so records written in `finally` blocks are always flushed).
 */
import { Command, CommanderError, Option } from 'commander';
import { registerApprovals } from './approvals-command.js';
import { registerCodeowners } from './codeowners-command.js';
import { registerDoctor } from './doctor-command.js';
import { registerEngineCommands } from './engine-commands.js';
import { registerEvidence } from './evidence-command.js';
import { examplesHelp } from './examples.js';
import { registerGitHub } from './github-commands.js';
import { registerHr } from './hr-command.js';
import { defaultIo, type Io } from './io.js';
import { registerLeavers } from './leavers-command.js';
import { registerOffboard } from './offboard-command.js';
import { registerReview } from './review-command.js';
import { registerSchemas } from './schemas-command.js';
import { registerValidate } from './validate-command.js';

/** main's callers (bin/jml.js, scripts, tests) pass an Io: its type and the process's own. */
export { defaultIo, type Io } from './io.js';

export function buildProgram(
  io: Io,
  setExit: (code: number) => void,
  /** Told when commander itself reports an error (so main does not report it twice). */
  onReported: () => void = () => {},
): Command {
  const program = new Command('jml')
    .description('Joiner / mover / leaver access as code: validate, plan and apply the policy repository.')
    .version('0.1.0')
    .addOption(
      new Option('-C, --root <dir>', 'the policy repository').default(process.cwd(), 'current directory'),
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (text, write) => {
        onReported();
        write(text);
      },
    });
  registerValidate(program, io, setExit);
  registerSchemas(program, io, setExit);
  registerEngineCommands(program, io, setExit);
  registerApprovals(program, io, setExit);
  registerCodeowners(program, io, setExit);
  registerGitHub(program, io, setExit);
  registerDoctor(program, io, setExit);
  registerEvidence(program, io, setExit);
  registerLeavers(program, io, setExit);
  registerOffboard(program, io, setExit);
  registerHr(program, io, setExit);
  registerReview(program, io, setExit);
  addExamples(program);
  return program;
}

/** Every command's --help ends with its examples (src/cli/examples.ts). */
function addExamples(cmd: Command, prefix: string[] = []): void {
  for (const sub of cmd.commands) {
    const path = [...prefix, sub.name()];
    const help = examplesHelp(path.join(' '));
    if (help) sub.addHelpText('after', help);
    addExamples(sub, path);
  }
}

/**
 * The exit code of a usage error: an unknown option or command, a missing or malformed option
 * value. 64 is EX_USAGE of sysexits(3), apart from 1 (the run itself failed), so a workflow can
 * tell a typo in its own step from a failure of the access change.
 */
export const EXIT_USAGE = 64;

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let code = 0;
  let reported = false;
  const program = buildProgram(
    io,
    (c) => {
      code = c;
    },
    () => {
      reported = true;
    },
  );
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      // A usage error an action found (a bad --at, say) is not printed by commander: say it here.
      if (!reported) io.err(`jml: ${e.message.replace(/^error: /, '')}\n`);
      return EXIT_USAGE;
    }
    io.err(`jml: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return code;
}
