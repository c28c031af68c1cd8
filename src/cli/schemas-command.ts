/**
 * `jml schemas`: the JSON Schemas editors use, written into schemas/ or checked (src/engine/schemas.ts).
 */
import type { Command } from 'commander';
import { staleSchemas, writeSchemas } from '../engine/schemas.js';
import type { Exit, GlobalOptions, Io } from './io.js';

/** test/validate/roundtrip.test.ts checks the committed schemas through this name. */

export function registerSchemas(program: Command, io: Io, setExit: Exit): void {
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
      io.out(`Wrote ${writeSchemas(root)}/*.schema.json\n`);
    });
}
