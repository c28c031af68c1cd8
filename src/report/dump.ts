/**
 * dump: a provider's live state as repository YAML, to onboard an existing tenant. Every
 * account becomes a person, every group, app or license an entitlement, and each distinct set
 * of access a role (`imported-N`), so that the first plan after copying the files is empty.
 * Fields the provider cannot know (owner, manager, department, start date) are marked to fill in:
 * the validator then points at each of them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Prepared } from '../engine/prepare.js';

const FILL_IN = 'fill-in';

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'unnamed'
  );
}

export async function dumpState(p: Prepared, outDir: string): Promise<string[]> {
  const written: string[] = [];
  const write = (rel: string, doc: unknown, schema?: string) => {
    const file = path.join(outDir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    const head = schema ? `# yaml-language-server: $schema=../schemas/${schema}.schema.json\n` : '';
    writeFileSync(file, head + stringify(doc, { lineWidth: 0 }));
    written.push(rel);
  };
  const today = p.index.clock.dateOf(p.at);
  for (const provider of p.providers) {
    if (!provider.readAll) throw new Error(`provider ${provider.name} cannot list its whole state`);
    const state = await provider.readAll();
    const entIds = new Map<string, string>();
    const entitlements = state.memberships.map((m) => {
      const id = slug(`${provider.name}-${m.target}`);
      entIds.set(`${m.kind}:${m.target}`, id);
      return { id, provider: provider.name, kind: m.kind, target: m.target, owner: FILL_IN, risk: 'low' };
    });
    write(`policy/entitlements.${provider.name}.yaml`, entitlements);
    const held = new Map<string, string[]>();
    for (const m of state.memberships) {
      for (const login of m.members)
        held.set(login, [...(held.get(login) ?? []), entIds.get(`${m.kind}:${m.target}`)!]);
    }
    const roles = new Map<string, string>();
    for (const u of state.users) {
      const set = [...(held.get(u.login) ?? [])].sort();
      const key = set.join(',');
      let role = roles.get(key);
      if (!role) {
        role = `imported-${provider.name}-${roles.size + 1}`;
        roles.set(key, role);
        write(
          `roles/${role}.yaml`,
          {
            id: role,
            title: `Imported from ${provider.name} (${set.length} entitlements)`,
            owner: FILL_IN,
            includes: [],
            entitlements: set,
          },
          'role',
        );
      }
      const id = slug(u.login.split('@')[0]!).replace(/-/g, '.');
      write(
        `people/${id}.yaml`,
        {
          id,
          name: u.displayName ?? u.login,
          email: u.login,
          department: FILL_IN,
          employment: { start: today },
          roles: [{ role, from: today }],
        },
        'person',
      );
    }
  }
  return written;
}
