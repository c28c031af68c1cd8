/**
 * `jml evidence --out DIR [--since 90d] [--at T] [--records DIR]`: the evidence pack an auditor
 * samples for the access-management control (src/report/evidence). Reads the repository and its
 * git history, the apply records, GitHub (when GITHUB_TOKEN and GITHUB_REPOSITORY are set) and
 * the providers live. Exit 0: generated, no finding; 2: generated, with findings (enabled
 * terminated accounts, SLA breaches, expired exceptions still present); 1: error.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { type EvidenceGitHub, writeEvidencePack } from '../engine/evidence.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseDuration } from './options.js';
import { githubAccess, prepareRequest, reportOutcome } from './run-support.js';

interface EvidenceOptions {
  out: string;
  since: string;
  at?: string;
  records?: string;
}

/** The GitHub client from the environment, or why there is none. */
async function githubFromEnv(): Promise<EvidenceGitHub> {
  const missing = ['GITHUB_TOKEN', 'GITHUB_REPOSITORY'].filter(
    (k) => !process.env[k] && !(k === 'GITHUB_TOKEN' && process.env.GH_TOKEN),
  );
  if (missing.length)
    return {
      missing: `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set, so GitHub was not read.`,
    };
  return { access: await githubAccess() };
}

export function registerEvidence(program: Command, io: Io, setExit: Exit): void {
  program
    .command('evidence')
    .description(
      'Write the evidence pack (policy approval, role templates, JML events, exceptions, terminated accounts, SaaS inventory) as Markdown, CSV and one HTML page. Exit 0 no finding, 2 findings, 1 error.',
    )
    .requiredOption('--out <dir>', 'the directory to write the pack to')
    .option(
      '--since <duration>',
      'the period before --at, for example 90d',
      (v: string) => {
        parseDuration('--since', v);
        return v;
      },
      '90d',
    )
    .option('--at <time>', 'the instant the pack is for (ISO with offset, or a date); default now')
    .option('--records <dir>', 'apply records, read recursively (default: policy records.dir)')
    .action(async (opts: EvidenceOptions, cmd: Command) => {
      const started = performance.now();
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const window = parseDuration('--since', opts.since);
      const r = await writeEvidencePack(contextOf(io), {
        ...prepareRequest(io, root, opts.at),
        out: opts.out,
        windowMs: window,
        ...(opts.records ? { records: opts.records } : {}),
        github: githubFromEnv,
      });
      if (!reportOutcome(r, io)) return setExit(1);
      const { count } = await import('../report/evidence/common.js');
      const { pack } = r;
      for (const a of pack.artifacts)
        io.out(`${a.id}: ${a.rows.length} rows, ${count(a.findings.length, 'finding')}\n`);
      for (const bad of r.recordProblems)
        io.err(`Note: ${path.join(r.recordsDir, bad.file)} ${bad.problem}; left out of the pack.\n`);
      for (const gap of r.githubGaps)
        io.err(`Note: ${gap} Pull request, approval and ticket columns are empty.\n`);
      for (const f of pack.findings) io.out(`FINDING ${f.artifact}: ${f.text}\n`);
      io.out(
        `Evidence pack: ${r.out} (${pack.files.length + 1} files, ${Math.round(performance.now() - started)} ms): ${count(pack.findings.length, 'finding')}.\n`,
      );
      setExit(pack.findings.length ? 2 : 0);
    });
}
