/**
 * dump: a provider's live state as repository YAML, to onboard an existing tenant. Every
 * account becomes a person, every group, app or license an entitlement, and each distinct set
 * of access a role (`imported-N`), so that the first plan after copying the files is empty.
 * Fields the provider cannot know (owner, manager, department, start date) are marked to fill in:
 * the validator then points at each of them. Pure: src/engine/dump.ts reads the provider and
 * writes the files.
 */
import { stringify } from 'yaml';
import { type FileKind, type ProviderName, schemaLine } from '../model/schema.js';
import type { ActualState } from '../model/state.js';

const FILL_IN = 'fill-in';

/** One file of a dump: its path in the repository layout, and its text. */
export interface DumpFile {
  path: string;
  text: string;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'unnamed'
  );
}

/**
 * The files that describe one provider's whole state, in the order they are to be written (a
 * later file of the same path, two accounts with one person id, replaces the earlier). `today`
 * (a date in the organisation's time zone) is every imported person's start and role date.
 */
export function renderDump(provider: ProviderName, state: ActualState, today: string): DumpFile[] {
  const files: DumpFile[] = [];
  const add = (path: string, doc: unknown, schema?: FileKind) => {
    const head = schema ? `# ${schemaLine(schema, 1)}\n` : '';
    files.push({ path, text: head + stringify(doc, { lineWidth: 0 }) });
  };
  const entIds = new Map<string, string>();
  const entitlements = state.memberships.map((m) => {
    const id = slug(`${provider}-${m.target}`);
    entIds.set(`${m.kind}:${m.target}`, id);
    return { id, provider, kind: m.kind, target: m.target, owner: FILL_IN, risk: 'low' };
  });
  add(`policy/entitlements.${provider}.yaml`, entitlements);
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
      role = `imported-${provider}-${roles.size + 1}`;
      roles.set(key, role);
      add(
        `roles/${role}.yaml`,
        {
          id: role,
          title: `Imported from ${provider} (${set.length} entitlements)`,
          owner: FILL_IN,
          includes: [],
          entitlements: set,
        },
        'role',
      );
    }
    const id = slug(u.login.split('@')[0]!).replace(/-/g, '.');
    add(
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
  return files;
}
