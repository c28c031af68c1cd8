/**
 * `jml evidence --out DIR [--since 90d] [--at T] [--records DIR]`: the evidence pack an auditor
 * samples for the access-management control (src/report/evidence). Reads the repository and its
 * git history, the apply records, GitHub (when GITHUB_TOKEN and GITHUB_REPOSITORY are set) and
 * the providers live. Exit 0: generated, no finding; 2: generated, with findings (enabled
 * terminated accounts, SLA breaches, expired exceptions still present); 1: error.
 *
 * `jml evidence verify DIR [--digest SHA256]`: checks a pack against its manifest (every file's
 * hash, files missing or added, the manifest's own digest) and, with --digest, against the digest
 * kept outside the pack. Exit 0: intact; 2: tampered; 1: cannot be checked. Needs no repository.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { type EvidenceGitHub, writeEvidencePack } from '../engine/evidence.js';
import { verifyEvidencePack } from '../engine/evidence-verify.js';
import { contextOf, type Exit, type GlobalOptions, type Io } from './io.js';
import { parseDuration } from './options.js';
import { githubAccess, prepareRequest, reportOutcome } from './run-support.js';

interface EvidenceOptions {
  out?: string;
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

function registerVerify(evidence: Command, io: Io, setExit: Exit): void {
  evidence
    .command('verify')
    .description(
      "Check an evidence pack: every file's SHA-256 against manifest.json, files missing or added, the manifest's own digest, and with --digest the digest kept outside the pack. Exit 0 intact, 2 tampered, 1 cannot be checked.",
    )
    .argument('<dir>', 'the directory the pack is in')
    .option(
      '--digest <sha256>',
      "the manifest digest kept outside the pack (the evidence branch's evidence/<date>-<run id>.json), as sha256:<hex> or <hex>",
    )
    .action(async (dir: string, opts: { digest?: string }) => {
      const { parseDigest, problemText } = await import('../report/evidence/verify.js');
      let digest: string | undefined;
      if (opts.digest !== undefined) {
        const parsed = parseDigest(opts.digest);
        if (parsed === null) {
          io.err(
            `jml evidence verify: --digest ${JSON.stringify(opts.digest)} is not a SHA-256: give the 64 hex digits of the digest kept on the evidence branch (evidence/<date>-<run id>.json "digest"), with or without "sha256:".\n`,
          );
          return setExit(1);
        }
        digest = parsed;
      }
      const r = verifyEvidencePack({ dir, ...(digest !== undefined ? { digest } : {}) });
      if (!r.ok) {
        io.err(`jml evidence verify: ${r.message}\n`);
        return setExit(1);
      }
      for (const p of r.problems) io.out(`${problemText(p)}\n`);
      if (r.problems.length) {
        io.out(
          `TAMPERED: ${r.dir} is not the pack its manifest describes (${r.problems.length} ${r.problems.length === 1 ? 'problem' : 'problems'}; ${r.verified} files match).\n`,
        );
        return setExit(2);
      }
      io.out(
        `OK: ${r.dir}: ${r.verified} files match manifest.json; manifest digest sha256:${r.digest}${r.anchored ? ', the digest kept outside the pack' : ''}.\n`,
      );
      if (!r.anchored)
        io.out(
          'Without --digest this checks the pack against its own manifest only: compare the digest above with the one on the evidence branch (evidence/<date>-<run id>.json), or pass it with --digest.\n',
        );
      setExit(0);
    });
}

export function registerEvidence(program: Command, io: Io, setExit: Exit): void {
  const evidence = program
    .command('evidence')
    .description(
      'Write the evidence pack (policy approval, role templates, JML events, exceptions, terminated accounts, SaaS inventory) as Markdown, CSV and one HTML page. Exit 0 no finding, 2 findings, 1 error.',
    )
    // Required, but checked in the action: a required option of its own would be asked of
    // `jml evidence verify` too (commander checks a command's options before its subcommand's).
    .option('--out <dir>', 'the directory to write the pack to (required)')
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
      if (opts.out === undefined) cmd.error("error: required option '--out <dir>' not specified");
      const started = performance.now();
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      const window = parseDuration('--since', opts.since);
      const r = await writeEvidencePack(contextOf(io), {
        ...prepareRequest(io, root, opts.at),
        out: opts.out!,
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
      io.out(
        `Manifest digest: sha256:${pack.digest} (keep it outside the pack; jml evidence verify --digest checks it).\n`,
      );
      setExit(pack.findings.length ? 2 : 0);
    });
  registerVerify(evidence, io, setExit);
}
