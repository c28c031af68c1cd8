/**
 * The organisation `npm run bench` plans (bench-out/org-N, git-ignored): N people, 1,000 roles,
 * 5,000 entitlements on five providers and one exception for every tenth person, generated
 * deterministically (a seeded PRNG) in time linear in N: every file is written once from a
 * template, every reference (manager, approver, exception holder, role, entitlement owner) is
 * computed from an index that exists, never looked up. At 100,000 people that is the issue's
 * enterprise scale: 100,000 people, 1,000 roles, 5,000 entitlements, 10,000 exceptions.
 *
 * Also here: the providers' state after the last apply, with 1% drift, written as the embedded
 * directories `jml plan` reads (`writeActualState`).
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActualState } from '../src/model/state.ts';
import type { RepoIndex } from '../src/resolve/repo-index.ts';
import type { DesiredState } from '../src/resolve/resolve.ts';

export const ROLES = 1_000;
export const ENTITLEMENTS = 5_000;
/** The smallest organisation the generator makes: owners and approvers are among the first 50 people. */
export const MIN_PEOPLE = 100;
/** The instant every part of the bench plans at. */
export const AT = Date.parse('2026-11-25T17:00:00Z');
export const PROVIDERS = ['local', 'okta', 'entra', 'google', 'manual'] as const;
/** Entitlements only exceptions grant: the last ten, the last two of them a separation-of-duties pair. */
const EXCEPTION_ONLY = 10;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const orgRoot = (people: number) => path.join(REPO_ROOT, 'bench-out', `org-${people}`);
export const exceptionsFor = (people: number) => Math.floor(people / 10);

/** A small seeded PRNG (mulberry32), so every run generates the same organisation. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const person = (i: number) => `person.${String(i).padStart(6, '0')}`;
/** Everyone but person 1 reports to someone with a smaller number: a tree eight wide. */
const managerOf = (i: number) => Math.floor((i - 2) / 8) + 1;

export interface GeneratedOrg {
  root: string;
  people: number;
  roles: number;
  entitlements: number;
  exceptions: number;
  files: number;
  /**
   * Removes the organisation this one replaced, moved aside rather than deleted first: deleting
   * 100,000 files takes twice as long as writing them, and would be timed as generation.
   */
  removeReplaced(): void;
}

/** Writes the organisation of `people` people into `root` (bench-out/org-<people>), replacing what was there. */
export function generateOrg(people: number, root = orgRoot(people)): GeneratedOrg {
  if (!Number.isInteger(people) || people < MIN_PEOPLE)
    throw new Error(`bench: ${people} people is too few; the generator needs at least ${MIN_PEOPLE}`);
  const rand = rng(42);
  const replaced = `${root}.replaced-${process.pid}`;
  if (existsSync(root)) renameSync(root, replaced);
  for (const d of ['policy', 'people', 'roles', 'exceptions'])
    mkdirSync(path.join(root, d), { recursive: true });
  const write = (rel: string, text: string) => writeFileSync(path.join(root, rel), text);
  let files = 0;

  write(
    'policy/jml.yaml',
    `organisation:
  name: Bench Corp
  domain: bench.example.com
timezone: America/New_York
providers:
  local:
    directory: .jml/directory.json
  okta:
    embedded: true
  entra:
    embedded: true
  google:
    embedded: true
  manual: {}
teams:
  hr: [${person(1)}]
  security: [${person(2)}]
`,
  );
  const catalog: string[] = [];
  for (let i = 0; i < ENTITLEMENTS; i++) {
    const provider = PROVIDERS[i % PROVIDERS.length]!;
    const kind =
      provider === 'manual'
        ? 'manual'
        : i % 7 === 0 && (provider === 'okta' || provider === 'local')
          ? 'app'
          : 'group';
    catalog.push(
      `- id: ent-${i}\n  provider: ${provider}\n  kind: ${kind}\n  target: Target ${i}\n  owner: ${person(1 + (i % 50))}\n  risk: ${i % 10 === 0 ? 'high' : 'low'}\n${i % 13 === 0 ? '  management: additive\n' : ''}`,
    );
  }
  write('policy/entitlements.yaml', catalog.join(''));
  // Separation of duties over two entitlements no one is granted, so the organisation is clean.
  write(
    'policy/sod.yaml',
    `- id: sod-one\n  title: Never both\n  conflicting:\n    - ent-${ENTITLEMENTS - 2}\n    - ent-${ENTITLEMENTS - 1}\n`,
  );
  files += 3;

  const granted = ENTITLEMENTS - EXCEPTION_ONLY;
  for (let r = 0; r < ROLES; r++) {
    const id = r === 0 ? 'employee' : `role-${r}`;
    const own = [...new Set(Array.from({ length: 8 }, (_, k) => `ent-${(r * 5 + k * 37) % granted}`))];
    write(
      `roles/${id}.yaml`,
      `id: ${id}\ntitle: Role ${r}\nowner: ${person(1 + (r % 40))}\nincludes:${r === 0 ? ' []' : '\n  - employee'}\nentitlements:\n${own.map((e) => `  - ${e}\n`).join('')}`,
    );
    files++;
  }

  const departments = ['Engineering', 'Sales', 'Finance', 'People', 'IT'];
  for (let i = 1; i <= people; i++) {
    const id = person(i);
    const start = `20${18 + Math.floor(rand() * 8)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`;
    const role = `role-${1 + Math.floor(rand() * (ROLES - 1))}`;
    let roles = `  - role: ${role}\n    from: ${start}\n`;
    if (rand() < 0.05) {
      const next = `role-${1 + Math.floor(rand() * (ROLES - 1))}`;
      if (next !== role) roles += `  - role: ${next}\n    from: 2027-02-01\n`;
    }
    const end = i > 100 && rand() < 0.03 ? '  end: 2026-12-18T17:00:00-05:00\n' : '';
    const department = departments[Math.floor(rand() * departments.length)]!;
    write(
      `people/${id}.yaml`,
      `id: ${id}\nname: Person ${i}\nemail: ${id}@bench.example.com\ngithub: gh-${i}\nhrId: HR-${i}\n${i > 1 ? `manager: ${person(managerOf(i))}\n` : ''}department: ${department}\nemployment:\n  start: ${start}\n${end}roles:\n${roles}`,
    );
    files++;
  }

  // Holders spread over everyone from person 2 on by a prime stride that does not divide
  // people - 1, so no two of the (fewer than people - 1) exceptions share a holder, and each holder
  // exists. Approved by the holder's manager. Each grants one of the last ten entitlements, so every
  // entitlement is reachable and the separation-of-duties pair is held, never by one person.
  const exceptions = exceptionsFor(people);
  const stride = (people - 1) % 7919 === 0 ? 7927 : 7919;
  for (let e = 1; e <= exceptions; e++) {
    const holder = 2 + ((e * stride) % (people - 1));
    const id = `EXC-${String(e).padStart(5, '0')}`;
    write(
      `exceptions/${id}.yaml`,
      `id: ${id}\nperson: ${person(holder)}\nentitlements:\n  - ent-${granted + (e % EXCEPTION_ONLY)}\njustification: Project access, ticket OPS-${e}\napprovers:\n  - ${person(managerOf(holder))}\nfrom: 2026-11-01\nexpires: 2027-01-15\n`,
    );
    files++;
  }
  return {
    root,
    people,
    roles: ROLES,
    entitlements: ENTITLEMENTS,
    exceptions,
    files,
    removeReplaced: () => rmSync(replaced, { recursive: true, force: true }),
  };
}

/**
 * The providers' state after the last apply: everyone active holds what they should, except
 * that 1% of the memberships are missing (drift the plan must repair). Built with one pass over
 * the desired state and one list per target (members are appended, never copied).
 */
export function actualFrom(index: RepoIndex, desired: DesiredState): ActualState[] {
  const rand = rng(7);
  return PROVIDERS.map((provider) => {
    const members = new Map<string, string[]>();
    const users = [];
    for (const p of desired.people) {
      const mine = p.grants.filter((g) => g.provider === provider);
      if (mine.length && provider !== 'manual') users.push({ login: p.login, enabled: true, sessions: 1 });
      for (const g of mine) {
        if (rand() < 0.01) continue;
        const e = index.entitlements.get(g.entitlement)!.value;
        const key = `${e.kind}\u0000${e.target}`;
        const list = members.get(key);
        if (list) list.push(p.login);
        else members.set(key, [p.login]);
      }
    }
    return {
      provider,
      simulated: provider !== 'local',
      users,
      memberships: [...members].map(([k, m]) => {
        const [kind, target] = k.split('\u0000') as ['group', string];
        return { kind, target, members: m.sort() };
      }),
      outOfScopeAccounts: 0,
    };
  });
}

/** Writes `actual` as the embedded directories and the manual ledger that policy/jml.yaml names. */
export function writeActualState(root: string, actual: readonly ActualState[]): void {
  const files: Record<string, string> = {
    local: '.jml/directory.json',
    okta: '.jml/okta.json',
    entra: '.jml/entra.json',
    google: '.jml/google.json',
    manual: '.jml/manual-tickets.json',
  };
  mkdirSync(path.join(root, '.jml'), { recursive: true });
  for (const state of actual) {
    const users: Record<string, unknown> = {};
    for (const u of state.users)
      users[u.login] = {
        displayName: u.login,
        enabled: u.enabled,
        sessions: [{ id: 's1', startedAt: '2026-11-24T09:00:00.000Z' }],
        createdAt: '2026-01-05T09:00:00.000Z',
        lastSignIn: '2026-11-24T09:00:00.000Z',
      };
    const targets: Record<string, string[]> = {};
    for (const m of state.memberships) targets[`${m.kind}:${m.target}`] = m.members;
    writeFileSync(
      path.join(root, files[state.provider]!),
      JSON.stringify({
        schema: 'jml-embedded-directory/v1',
        provider: state.provider,
        users,
        targets,
        tickets: [],
      }),
    );
  }
}
