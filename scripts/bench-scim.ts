/**
 * `npm run bench` (SCIM part): the SCIM connector against SCIMMY (test/fakes/scim) holding 5,000
 * users and 500 managed groups of 100 members each. Prints the requests one full read of the
 * managed scope costs next to the minimum for the page size (ceil(users/page) + ceil(groups/page):
 * SCIM returns a group's members with the group). Figures are printed, never asserted. The time
 * is mostly SCIMMY's: it builds every matching resource for each page it serves (about 70 s
 * here), so one run only; the other dialects cost the same calls (filter: false lists, which is
 * what the connector chooses here anyway) or scale with the page size (maxPageSize: 50 doubles them).
 */
import type { ScimQuirks } from '../src/model/providers.ts';
import { DEFAULT_PAGE_SIZE } from '../src/providers/scim/scim-provider.ts';
import type { Scope } from '../src/providers/types.ts';
import { createScimHarness, SCIM_CONNECTION } from '../test/fakes/scim/harness.ts';

const USERS = 5_000;
const GROUPS = 500;
const PER_GROUP = 100;

const login = (i: number) => `user${String(i).padStart(5, '0')}@example.com`;

async function measure(label: string, quirks: Partial<ScimQuirks>): Promise<void> {
  const h = await createScimHarness({ quirks });
  try {
    const { store } = h.fake;
    const ids: string[] = [];
    for (let i = 0; i < USERS; i++)
      ids.push(store.addUser({ userName: login(i), displayName: `User ${i}`, active: true }).id);
    const names: string[] = [];
    for (let g = 0; g < GROUPS; g++) {
      const members = new Set<string>();
      for (let k = 0; k < PER_GROUP; k++) members.add(ids[(g * 37 + k * 53) % USERS]!);
      names.push(`group-${g}`);
      store.addGroup(`group-${g}`, [...members]);
    }
    const scope: Scope = {
      logins: new Set(Array.from({ length: USERS }, (_, i) => login(i))),
      targets: names.map((n) => ({ kind: 'group' as const, target: `${SCIM_CONNECTION}/${n}` })),
    };
    const from = h.server!.requests.length;
    const started = performance.now();
    const state = await h.provider.read(scope);
    const ms = performance.now() - started;
    const calls = h.server!.requests.length - from;
    const page = quirks.maxPageSize ?? DEFAULT_PAGE_SIZE;
    const minimum = Math.ceil(USERS / page) + Math.ceil(GROUPS / page);
    const read = state.memberships.reduce((n, m) => n + m.members.length, 0);
    console.log(
      [
        label,
        `${calls}`,
        `${minimum}`,
        `${(calls / minimum).toFixed(2)} x`,
        `${ms.toFixed(0)} ms; ${state.users.length} users, ${read} memberships`,
      ]
        .map((c, i) => c.padEnd([30, 7, 8, 8, 0][i]!))
        .join(' '),
    );
  } finally {
    await h.close();
  }
}

console.log(`SCIM read of ${USERS} users and ${GROUPS} groups (SCIMMY on loopback)`);
console.log(
  ['dialect', 'calls', 'minimum', 'vs min', 'notes'].map((c, i) => c.padEnd([30, 7, 8, 8, 0][i]!)).join(' '),
);
await measure('scim (filters, page 100)', {});
