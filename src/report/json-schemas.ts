/**
 * JSON Schemas for editors, generated from the zod model (never edited by hand). The YAML
 * extension of VS Code reads them through the `# yaml-language-server: $schema=` first line of
 * each file; `jml schemas --check` (run by the tests) fails when the committed copies are stale.
 */
import { z } from 'zod';
import { hrSnapshotJsonSchema } from '../hr/snapshot.js';
import { fileKinds } from '../model/schema.js';

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
