/**
 * `jml doctor`: checks the GitHub settings the approval gate relies on and the repository's files
 * cannot enforce (branch protection or rulesets and where the `jml/approvals` check must come
 * from, who may bypass them, environments and secrets, whether Actions may open pull requests,
 * and that only the approvals app may push to the evidence branch the offboarding holds are read
 * from).
 * The checks are the engine's (src/engine/doctor.ts); this file renders the report.
 * Exit 0 no finding, 2 findings, 1 error (a token that may not read the settings says which
 * permission it lacks). Octokit is loaded only when the command runs.
 */
import { type Command, Option } from 'commander';
import { checkGate } from '../engine/doctor.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { githubAccess, githubConfigured } from './run-support.js';

export function registerDoctor(program: Command, io: Io, setExit: Exit): void {
  program
    .command('doctor')
    .description(
      'Check the GitHub settings the approval gate relies on: branch protection or rulesets requiring jml/approvals from the right app, code-owner review, no bypass, environments with credentials deploying from the branch only, no repository secrets, Actions may open pull requests, only the approvals app may push to the evidence branch. Exit 0 none, 2 findings, 1 error. Needs a token that may read them (docs/doctor.md).',
    )
    .option('--branch <name>', 'the branch pull requests merge into', 'main')
    .option(
      '--evidence-branch <name>',
      'the branch the workflows keep the apply records on (default: $JML_EVIDENCE_BRANCH, else jml-evidence)',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .action(
      async (
        opts: { branch: string; evidenceBranch?: string; format: 'text' | 'markdown' | 'json' },
        cmd: Command,
      ) => {
        const { root } = cmd.optsWithGlobals<GlobalOptions>();
        const report = await checkGate(
          contextOf(io),
          {
            root,
            branch: opts.branch,
            ...(opts.evidenceBranch ? { evidenceBranch: opts.evidenceBranch } : {}),
          },
          githubConfigured() ? githubAccess : undefined,
        );
        const { renderDoctor } = await import('../github/doctor/render.js');
        io.out(renderDoctor(report, opts.format));
        setExit(report.findings.length ? 2 : 0);
      },
    );
}
