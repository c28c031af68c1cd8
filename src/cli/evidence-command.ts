/**
 * `jml evidence --out DIR [--since 90d] [--at T] [--records DIR]`: the evidence pack an auditor
 * samples for the access-management control (src/report/evidence). Reads the repository and its
 * git history, the apply records, GitHub (when GITHUB_TOKEN and GITHUB_REPOSITORY are set) and
 * the providers live. Exit 0: generated, no finding; 2: generated, with findings (enabled
 * terminated accounts, SLA breaches, expired exceptions still present); 1: error.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { readActual, recordsDir } from '../engine/prepare.js';
import type { GitHubAccess } from '../github/client.js';
import type { GlobalOptions, Io } from './io.js';
import { parseDuration } from './options.js';
import { githubAccess, prepareOrReport as prepare } from './run-support.js';

interface EvidenceOptions {
  out: string;
  since: string;
  at?: string;
  records?: string;
}

/** The GitHub client from the environment, or why there is none. */
async function githubFromEnv(): Promise<{ access?: GitHubAccess; missing?: string }> {
  const missing = ['GITHUB_TOKEN', 'GITHUB_REPOSITORY'].filter(
    (k) => !process.env[k] && !(k === 'GITHUB_TOKEN' && process.env.GH_TOKEN),
  );
  if (missing.length)
    return {
      missing: `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set, so GitHub was not read.`,
    };
  return { access: await githubAccess() };
}

export function registerEvidence(program: Command, io: Io, setExit: (code: number) => void): void {
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
      const p = await prepare(root, opts.at, io);
      if (!p) return setExit(1);
      const { gatherEvidence } = await import('../report/evidence/gather.js');
      const { writePack } = await import('../report/evidence/pack.js');
      const { count } = await import('../report/evidence/common.js');
      const github = await githubFromEnv();
      const records = opts.records ? path.resolve(opts.records) : recordsDir(p.root, p.index);
      const input = await gatherEvidence({
        root: p.root,
        index: p.index,
        commit: p.commit,
        at: p.at,
        since: p.at - window,
        recordsDir: records,
        actual: await readActual(p),
        ...(github.access ? { github: github.access } : {}),
        ...(github.missing ? { missingGitHub: github.missing } : {}),
      });
      const out = path.resolve(opts.out);
      const pack = writePack(out, input, new Date());
      for (const a of pack.artifacts)
        io.out(`${a.id}: ${a.rows.length} rows, ${count(a.findings.length, 'finding')}\n`);
      for (const bad of input.recordProblems)
        io.err(`Note: ${path.join(records, bad.file)} ${bad.problem}; left out of the pack.\n`);
      for (const gap of input.githubGaps)
        io.err(`Note: ${gap} Pull request, approval and ticket columns are empty.\n`);
      for (const f of pack.findings) io.out(`FINDING ${f.artifact}: ${f.text}\n`);
      io.out(
        `Evidence pack: ${out} (${pack.files.length + 1} files, ${Math.round(performance.now() - started)} ms): ${count(pack.findings.length, 'finding')}.\n`,
      );
      setExit(pack.findings.length ? 2 : 0);
    });
}
