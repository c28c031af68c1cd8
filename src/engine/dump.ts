/**
 * engine: `jml dump`, a provider's live state written as repository YAML into a directory the
 * user names, to onboard an existing tenant. The documents are rendered by src/report/dump.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDump } from '../report/dump.js';
import type { EngineContext } from './context.js';
import { type EngineOutcome, type PrepareRequest, withPrepared } from './prepare.js';

export interface DumpRequest extends PrepareRequest {
  /** The directory to write people/, roles/ and policy/entitlements.<provider>.yaml into. */
  outDir: string;
}

/** The files written, relative to `outDir`, in the order written (a path twice if rewritten). */
export type DumpOutcome = EngineOutcome<{ written: string[] }>;

/**
 * Reads the whole state of each prepared provider (not only the managed scope) and writes it.
 * A provider that cannot list its whole state fails the dump.
 */
export function dumpState(ctx: EngineContext, req: DumpRequest): Promise<DumpOutcome> {
  return withPrepared(ctx, req, async (p) => {
    const outDir = path.resolve(req.outDir);
    const written: string[] = [];
    const today = p.index.clock.dateOf(p.at);
    for (const provider of p.providers) {
      if (!provider.readAll) throw new Error(`provider ${provider.name} cannot list its whole state`);
      for (const file of renderDump(provider.name, await provider.readAll(), today)) {
        const abs = path.join(outDir, file.path);
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, file.text);
        written.push(file.path);
      }
    }
    return { written };
  });
}
