/**
 * JSON Schemas for editors, generated from the zod model (never edited by hand). The YAML
 * extension of VS Code reads them through the `# yaml-language-server: $schema=` first line of
 * each file; `jml schemas --check` (run by the tests) fails when the committed copies are stale.
 */
import { z } from 'zod';
import { hrSnapshotJsonSchema } from '../hr/snapshot.js';
import { fileKinds, ID_REF_KEY, type IdKind } from '../model/schema.js';

const TITLES: Record<keyof typeof fileKinds, string> = {
  policy: 'JML organisation settings (policy/jml.yaml)',
  entitlements: 'Entitlement catalog (policy/entitlements.yaml)',
  apps: 'SaaS app inventory (policy/apps.yaml)',
  sod: 'Separation-of-duties rules (policy/sod.yaml)',
  person: 'A person (people/<id>.yaml)',
  role: 'A role template (roles/<id>.yaml)',
  exception: 'An approved exception (exceptions/<id>.yaml)',
  'review-campaign': 'An access review campaign (reviews/<quarter>/campaign.yaml)',
  review: "A reviewer's access review file (reviews/<quarter>/<reviewer>.yaml)",
};

/** File name -> schema text, in a stable order and format. */
export function buildJsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [kind, def] of Object.entries(fileKinds) as [
    keyof typeof fileKinds,
    (typeof fileKinds)[keyof typeof fileKinds],
  ][]) {
    const schema = z.toJSONSchema(def.schema, { io: 'input', unrepresentable: 'throw' });
    const doc = { ...schema, $id: `https://jml.local/schemas/${kind}.schema.json`, title: TITLES[kind] };
    out.set(`${kind}.schema.json`, `${JSON.stringify(doc, null, 2)}\n`);
  }
  // Not a repository file: one record of an HR snapshot (jml hr sync --snapshot), for relays and
  // adapters of one's own.
  out.set('hr-snapshot.schema.json', `${JSON.stringify(hrSnapshotJsonSchema(), null, 2)}\n`);
  return out;
}

export const SCHEMA_DIR = 'schemas';

/**
 * Where the local schemas live (git-ignored, named by the first line of every data file, so a
 * joiner's pull request never touches a generated file while the editor knows the ids).
 */
export { LOCAL_SCHEMA_DIR } from '../model/schema.js';

/** The organisation's ids by kind, as the local schemas list them. */
export type OrganisationIds = Record<IdKind, readonly string[]>;

/**
 * The schemas of `buildJsonSchemas` with the organisation's own ids: every reference (a field
 * marked `x-jml-ids`) lists the ids of its kind as an `enum`, so an editor completes them and flags
 * one that does not exist. A kind with no id keeps the plain pattern.
 */
export function buildLocalSchemas(ids: OrganisationIds): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, text] of buildJsonSchemas()) {
    const doc = JSON.parse(text) as unknown;
    withIds(doc, ids);
    out.set(name, `${JSON.stringify(doc, null, 2)}\n`);
  }
  return out;
}

function withIds(node: unknown, ids: OrganisationIds): void {
  if (Array.isArray(node)) {
    for (const n of node) withIds(n, ids);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  const kind = obj[ID_REF_KEY] as IdKind | undefined;
  const list = kind ? ids[kind] : undefined;
  if (list && list.length > 0) obj.enum = [...list];
  for (const v of Object.values(obj)) withIds(v, ids);
}
