/**
 * engine: `jml schemas`, the JSON Schemas editors use (schemas/*.schema.json), generated from the
 * model (src/report/json-schemas.ts) and written into the repository, or compared with the
 * committed ones.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRepository } from '../load/load-repo.js';
import { byCodePoint } from '../model/order.js';
import {
  buildJsonSchemas,
  buildLocalSchemas,
  LOCAL_SCHEMA_DIR,
  type OrganisationIds,
  SCHEMA_DIR,
} from '../report/json-schemas.js';

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

/**
 * Writes the local schemas (the organisation's ids as completions, src/report/json-schemas.ts)
 * into `.jml/schemas/` of the repository. Whatever loads is used: a repository with errors still
 * gets schemas, with the ids that could be read, so an editor keeps helping while it is fixed.
 */
export function writeLocalSchemas(root: string): { dir: string; ids: Record<keyof OrganisationIds, number> } {
  const { repo } = loadRepository(root);
  const sorted = (xs: { value: { id: string } }[]) =>
    [...new Set(xs.map((x) => x.value.id))].sort(byCodePoint);
  const ids: OrganisationIds = {
    people: sorted(repo.people),
    roles: sorted(repo.roles),
    entitlements: sorted(repo.entitlements),
    exceptions: sorted(repo.exceptions),
    apps: sorted(repo.apps),
  };
  const dir = path.join(root, LOCAL_SCHEMA_DIR);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of buildLocalSchemas(ids)) writeFileSync(path.join(dir, name), text);
  return {
    dir: LOCAL_SCHEMA_DIR,
    ids: {
      people: ids.people.length,
      roles: ids.roles.length,
      entitlements: ids.entitlements.length,
      exceptions: ids.exceptions.length,
      apps: ids.apps.length,
    },
  };
}
