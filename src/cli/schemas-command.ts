import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { buildJsonSchemas, SCHEMA_DIR } from '../report/json-schemas.js';
import type { GlobalOptions, Io } from './io.js';

/** Files whose generated schema differs from the committed one. */
export function staleSchemas(root: string): string[] {
  const stale: string[] = [];
  for (const [name, text] of buildJsonSchemas()) {
    let current = '';
    try {
      current = readFileSync(path.join(root, SCHEMA_DIR, name), 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current !== text) stale.push(`${SCHEMA_DIR}/${name}`);
  }
  return stale;
}

export function registerSchemas(program: Command, io: Io, setExit: (code: number) => void): void {
  program
    .command('schemas')
    .description('Generate the JSON Schemas editors use (schemas/*.schema.json) from the model.')
    .option('--write', 'write them to schemas/')
    .option('--check', 'exit 1 when the committed schemas are stale')
    .action((opts: { write?: boolean; check?: boolean }, cmd: Command) => {
      const { root } = cmd.optsWithGlobals<GlobalOptions>();
      if (opts.write === opts.check) {
        io.err('jml schemas: give exactly one of --write or --check\n');
        setExit(1);
        return;
      }
      if (opts.check) {
        const stale = staleSchemas(root);
        if (stale.length) io.err(`Stale schemas (run npm run schemas): ${stale.join(', ')}\n`);
        else io.out('Schemas are up to date.\n');
        setExit(stale.length ? 1 : 0);
        return;
      }
      mkdirSync(path.join(root, SCHEMA_DIR), { recursive: true });
      for (const [name, text] of buildJsonSchemas()) writeFileSync(path.join(root, SCHEMA_DIR, name), text);
      io.out(`Wrote ${SCHEMA_DIR}/*.schema.json\n`);
    });
}
