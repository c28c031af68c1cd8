/**
 * engine: `jml evidence`, the evidence pack an auditor samples for the access-management control
 * (src/report/evidence). Reads the repository and its git history, the apply records, GitHub
 * (when configured) and the providers live, and writes the pack into the directory the user names.
 */
import path from 'node:path';
import type { GitHubAccess } from '../github/client.js';
import type { EvidenceReads } from '../report/evidence/gather.js';
import type { PackResult } from '../report/evidence/pack.js';
import type { EvidenceInput } from '../report/evidence/types.js';
import type { EngineContext } from './context.js';
import { type EngineOutcome, type PrepareRequest, readActual, recordsDir, withPrepared } from './prepare.js';

/** GitHub for the pack: the port, or why it is not read (its columns then stay empty). */
export type EvidenceGitHub = { access: GitHubAccess<EvidenceReads> } | { missing: string };

export interface EvidenceRequest extends PrepareRequest {
  /** The directory to write the pack to. */
  out: string;
  /** The period before the prepared instant (`--since`), in ms. */
  windowMs: number;
  /** Apply records, read recursively (default: policy records.dir). */
  records?: string;
  /** Opened after the repository is prepared. */
  github: () => Promise<EvidenceGitHub>;
}

export type EvidenceOutcome = EngineOutcome<{
  /** The pack's directory, absolute. */
  out: string;
  /** The records directory read, absolute. */
  recordsDir: string;
  pack: PackResult;
  /** Records left out of the pack, with why (their files relative to `recordsDir`). */
  recordProblems: EvidenceInput['recordProblems'];
  /** Why GitHub columns are empty, when they are. */
  githubGaps: string[];
}>;

/** Gathers the evidence as of the prepared instant and writes the pack. */
export function writeEvidencePack(ctx: EngineContext, req: EvidenceRequest): Promise<EvidenceOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const { gatherEvidence } = await import('../report/evidence/gather.js');
    const { writePack } = await import('../report/evidence/pack.js');
    const github = await req.github();
    const records = req.records ? path.resolve(req.records) : recordsDir(p.root, p.index);
    const input = await gatherEvidence({
      root: p.root,
      index: p.index,
      commit: p.commit,
      at: p.at,
      since: p.at - req.windowMs,
      recordsDir: records,
      actual: await readActual(p),
      ...('access' in github ? { github: github.access } : { missingGitHub: github.missing }),
    });
    const out = path.resolve(req.out);
    const pack = writePack(out, input, new Date(ctx.clock.now()));
    return {
      out,
      recordsDir: records,
      pack,
      recordProblems: input.recordProblems,
      githubGaps: input.githubGaps,
    };
  });
}
