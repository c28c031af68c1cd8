/**
 * engine: `jml schemas`, the JSON Schemas editors use (schemas/*.schema.json), generated from the
 * model (src/report/json-schemas.ts) and written into the repository, or compared with the
 * committed ones.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildJsonSchemas, SCHEMA_DIR } from '../report/json-schemas.js';

/** Files whose generated schema differs from the committed one (a missing one counts). */
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

/** Writes every schema into the repository's schemas/; returns the directory, relative to `root`. */
export function writeSchemas(root: string): string {
  mkdirSync(path.join(root, SCHEMA_DIR), { recursive: true });
  for (const [name, text] of buildJsonSchemas()) writeFileSync(path.join(root, SCHEMA_DIR, name), text);
  return SCHEMA_DIR;
}
