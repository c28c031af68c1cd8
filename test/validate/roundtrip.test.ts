/**
 * Property-style: any valid organisation, written as YAML, loads back as exactly the data that
 * was written (after the model's defaults), validates with no errors, and every file it is made
 * of satisfies the JSON Schemas editors use. Organisations are random: managers form a tree,
 * role includes are acyclic, exceptions are in force at the check time.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { staleSchemas } from '../../src/engine/schemas.js';
import { toPolicyYaml } from '../../src/load/write-yaml.js';
import * as model from '../../src/model/schema.js';
import { buildJsonSchemas } from '../../src/report/json-schemas.js';
import { findUnsafeCharacter } from '../../src/validate/rules/unsafe-text.js';
import { checkRepository } from '../../src/validate/validate.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AT = Date.parse('2026-11-25T12:00:00Z');
const NUM_RUNS = Number(process.env.JML_NUM_RUNS ?? 25);

// --- generators ------------------------------------------------------------------------------

/**
 * Text people type on one line, including values YAML tools misread when written plainly. No
 * control, bidi or zero-width characters: `jml validate` refuses those (unsafe-character).
 */
const text = fc.oneof(
  fc.constantFrom(
    'no',
    'Yes',
    'on',
    'OFF',
    'y',
    'null',
    '~',
    'true',
    '123',
    '0o17',
    '0x1F',
    '1e3',
    '2026-12-01',
    'R&D: platform',
    '# not a comment',
    '- not a list',
    'Zoë Ünal',
    '  padded  ',
    "O'Brien",
    'say "hi"',
  ),
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 30 }),
      fc.string({ minLength: 1, maxLength: 30, unit: 'grapheme' }),
    )
    .filter((s) => s.trim().length > 0 && !/[\p{Cs}]/u.test(s) && !findUnsafeCharacter(s)),
);

/** Free text over several lines (a role's description): line breaks and tabs are allowed there. */
const freeText = fc.oneof(
  text,
  fc.constantFrom('two\nlines', 'line\n\tindented with a tab', '\ttab first', 'ends with a newline\n'),
);

const word = fc.stringMatching(/^[a-z][a-z0-9]{0,7}$/);
const kebab = fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join('-'));
const dotted = fc.array(word, { minLength: 1, maxLength: 2 }).map((w) => w.join('.'));

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dateBetween = (from: string, to: string) =>
  fc
    .integer({ min: Date.parse(`${from}T00:00:00Z`) / DAY, max: Date.parse(`${to}T00:00:00Z`) / DAY })
    .map((d) => isoDate(d * DAY));
const addDays = (date: string, days: number) => isoDate(Date.parse(`${date}T00:00:00Z`) + days * DAY);

const TIMEZONES = [
  'America/New_York',
  'Europe/London',
  'Asia/Kolkata',
  'Pacific/Kiritimati',
  'Pacific/Pago_Pago',
  'UTC',
];
const OFFSETS = ['Z', '-05:00', '+01:00', '+05:30', '-11:00', '+14:00'];

interface Org {
  policy: Record<string, unknown>;
  entitlements: Record<string, unknown>[];
  apps: Record<string, unknown>[];
  roles: Record<string, unknown>[];
  people: Record<string, unknown>[];
  exceptions: Record<string, unknown>[];
}

/** Picks from a non-empty list by a random number. */
const pick = <T>(list: readonly T[], n: number): T => list[n % list.length]!;
const subset = <T>(list: readonly T[], mask: number): T[] => list.filter((_, i) => (mask >> i) & 1);

const orgArb: fc.Arbitrary<Org> = fc
  .record({
    personIds: fc.uniqueArray(dotted, { minLength: 2, maxLength: 8 }),
    roleIds: fc.uniqueArray(kebab, { minLength: 1, maxLength: 5 }),
    entIds: fc.uniqueArray(kebab, { minLength: 1, maxLength: 8 }),
    appIds: fc.uniqueArray(kebab, { minLength: 0, maxLength: 3 }),
    numbers: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    texts: fc.array(text, { minLength: 32, maxLength: 32 }),
    freeTexts: fc.array(freeText, { minLength: 5, maxLength: 5 }),
    starts: fc.array(dateBetween('2019-01-01', '2027-06-30'), { minLength: 8, maxLength: 8 }),
    excFroms: fc.array(dateBetween('2026-09-01', '2026-12-31'), { minLength: 3, maxLength: 3 }),
    timezone: fc.constantFrom(...TIMEZONES),
    warnDays: fc.integer({ min: 0, max: 30 }),
    excCount: fc.integer({ min: 0, max: 3 }),
  })
  .map(
    ({
      personIds,
      roleIds,
      entIds,
      appIds,
      numbers,
      texts,
      freeTexts,
      starts,
      excFroms,
      timezone,
      warnDays,
      excCount,
    }) => {
      let k = 0;
      const n = () => numbers[k++ % numbers.length]!;
      let t = 0;
      const txt = () => texts[t++ % texts.length]!;
      // A name the providers show: no whitespace at either end (padded-name).
      const shown = () => txt().trim();

      const apps = appIds.map((id) => ({
        id,
        name: txt(),
        owner: pick(personIds, n()),
        sso: pick(['okta', 'entra', 'google', 'none'] as const, n()),
        deprovisioning: pick(['sso', 'scim', 'manual'] as const, n()),
        ...(n() % 2
          ? { dataClassification: pick(['public', 'internal', 'confidential', 'restricted'], n()) }
          : {}),
      }));
      const entitlements = entIds.map((id, k) => {
        const provider = pick(['local', 'okta', 'manual'] as const, n());
        return {
          id,
          ...(n() % 2 ? { title: txt() } : {}),
          provider,
          kind:
            provider === 'manual'
              ? 'manual'
              : provider === 'okta'
                ? pick(['group', 'app'], n())
                : pick(['group', 'app', 'license'], n()),
          // Awkward text, made unique: one catalog entry per provider-side object.
          target: `${shown()} #${k}`,
          ...(apps.length && n() % 2 ? { app: pick(appIds, n()) } : {}),
          owner: pick(personIds, n()),
          ...(n() % 2 ? { risk: pick(['low', 'medium', 'high'], n()) } : {}),
          ...(n() % 3 === 0 ? { management: 'additive' } : {}),
        };
      });
      // Includes only point at earlier roles, so they cannot form a cycle.
      const roles = roleIds.map((id, j) => ({
        id,
        title: txt(),
        ...(n() % 2 ? { description: freeTexts[j % freeTexts.length]! } : {}),
        owner: pick(personIds, n()),
        ...(j > 0 && n() % 2 ? { includes: subset(roleIds.slice(0, j), n() || 1) } : {}),
        entitlements: subset(entIds, n()),
      }));
      // Managers only point at earlier people: a tree with the first person on top. Only people
      // who manage no one may have left, so nobody reports to a leaver.
      const managers = personIds.map((_, i) => (i === 0 ? undefined : personIds[n() % i]));
      const people = personIds.map((id, i) => {
        const start = starts[i]!;
        const history = [start];
        for (let r = n() % 3; r > 0; r--)
          history.push(addDays(history[history.length - 1]!, 1 + (n() % 400)));
        const managesSomeone = managers.includes(id);
        const end =
          !managesSomeone && n() % 3 === 0
            ? `${addDays(start, 2 + (n() % 1500))}T${String(n() % 24).padStart(2, '0')}:${String(n() % 60).padStart(2, '0')}:00${pick(OFFSETS, n())}`
            : undefined;
        return {
          id,
          name: shown(),
          email: `${id}@example.com`,
          ...(n() % 2
            ? { github: `gh-${i}-${id.replace(/[._]/g, '-')}`.slice(0, 39).replace(/-+$/, '') }
            : {}),
          ...(n() % 2 ? { hrId: `HR-${1000 + i}` } : {}),
          ...(managers[i] ? { manager: managers[i] } : {}),
          department: txt(),
          ...(n() % 2 ? { title: txt() } : {}),
          employment: {
            ...(n() % 2 ? { type: pick(['employee', 'contractor', 'intern'], n()) } : {}),
            start,
            ...(end ? { end } : {}),
            ...(n() % 2 ? { highRisk: n() % 2 === 0 } : {}),
          },
          roles: history.map((from) => ({ role: pick(roleIds, n()), from })),
        };
      });
      // Exceptions in force at the check time, approved by someone else, within 90 days.
      const exceptions = excFroms.slice(0, excCount).map((from, x) => {
        const holder = n() % personIds.length;
        const approver = personIds[(holder + 1 + (n() % (personIds.length - 1))) % personIds.length]!;
        const minDays = Math.max(
          1,
          Math.ceil((Date.parse('2026-11-28T00:00:00Z') - Date.parse(`${from}T00:00:00Z`)) / DAY),
        );
        const days = minDays + (n() % (90 - minDays + 1));
        const granted = subset(entIds, n());
        return {
          id: `EXC-${String(x + 1).padStart(4, '0')}`,
          person: personIds[holder]!,
          entitlements: granted.length ? granted : [entIds[0]!],
          justification: `Temporary access for a project (TICKET-${n() % 10000}).`,
          approvers: [approver],
          from,
          expires: addDays(from, days),
          ...(n() % 2 ? { retainOnMove: n() % 2 === 0 } : {}),
          ...(n() % 2 ? { ticket: txt() } : {}),
        };
      });
      const policy = {
        organisation: { name: txt(), domain: 'example.com' },
        timezone,
        providers: { local: {}, okta: { embedded: true }, manual: {} },
        teams: { hr: [personIds[0]!], security: [pick(personIds, n())] },
        exceptions: { maxDays: 90, warnDays },
      };
      return { policy, entitlements, apps, roles, people, exceptions };
    },
  );

// --- writing and checking --------------------------------------------------------------------

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every file of the organisation: repository path, schema kind, value. */
function filesOf(org: Org): { rel: string; kind: model.FileKind; value: unknown }[] {
  return [
    { rel: 'policy/jml.yaml', kind: 'policy', value: org.policy },
    { rel: 'policy/entitlements.yaml', kind: 'entitlements', value: org.entitlements },
    { rel: 'policy/apps.yaml', kind: 'apps', value: org.apps },
    { rel: 'policy/sod.yaml', kind: 'sod', value: [] },
    ...org.roles.map((r) => ({ rel: `roles/${r.id}.yaml`, kind: 'role' as const, value: r })),
    ...org.people.map((p) => ({ rel: `people/${p.id}.yaml`, kind: 'person' as const, value: p })),
    ...org.exceptions.map((e) => ({ rel: `exceptions/${e.id}.yaml`, kind: 'exception' as const, value: e })),
  ];
}

function writeOrg(org: Org): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'jml-roundtrip-'));
  dirs.push(root);
  for (const dir of ['policy', 'roles', 'people', 'exceptions']) mkdirSync(path.join(root, dir));
  for (const f of filesOf(org))
    writeFileSync(path.join(root, f.rel), toPolicyYaml(f.value, 'generated by a test'));
  return root;
}

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : 1));

describe('a random valid organisation', () => {
  it('validates with no errors and loads back as the data written', () => {
    fc.assert(
      fc.property(orgArb, (org) => {
        const result = checkRepository(writeOrg(org), AT);
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        expect(errors.map((d) => `${d.rule} ${d.file}:${d.line} ${d.message}`)).toEqual([]);

        const { repo } = result;
        expect(repo.policy?.value).toEqual(model.policy.parse(org.policy));
        expect(repo.entitlements.map((e) => e.value)).toEqual(
          model.entitlementCatalog.parse(org.entitlements),
        );
        expect(repo.apps.map((a) => a.value)).toEqual(model.appCatalog.parse(org.apps));
        expect(byId(repo.roles.map((r) => r.value))).toEqual(byId(org.roles.map((r) => model.role.parse(r))));
        expect(byId(repo.people.map((p) => p.value))).toEqual(
          byId(org.people.map((p) => model.person.parse(p))),
        );
        expect(byId(repo.exceptions.map((e) => e.value))).toEqual(
          byId(org.exceptions.map((e) => model.exception.parse(e))),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('satisfies the generated JSON Schemas, file by file', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    // Our one annotation: what kind of id a reference names (the local schemas list them).
    ajv.addKeyword({ keyword: model.ID_REF_KEY, schemaType: 'string' });
    const validators = new Map(
      [...buildJsonSchemas()].map(([name, textOf]) => [
        name.replace('.schema.json', ''),
        ajv.compile(JSON.parse(textOf)),
      ]),
    );
    fc.assert(
      fc.property(orgArb, (org) => {
        for (const f of filesOf(org)) {
          const validate = validators.get(f.kind)!;
          const ok = validate(f.value);
          expect(ok, `${f.rel}: ${ajv.errorsText(validate.errors)}`).toBe(true);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('the JSON Schemas', () => {
  it('reject what the model rejects: an unknown field and a date without an offset', () => {
    const ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: false });
    // Our one annotation: what kind of id a reference names (the local schemas list them).
    ajv.addKeyword({ keyword: model.ID_REF_KEY, schemaType: 'string' });
    const person = ajv.compile(JSON.parse(buildJsonSchemas().get('person.schema.json')!));
    const valid = {
      id: 'eve.adams',
      name: 'Eve Adams',
      email: 'eve.adams@example.com',
      department: 'Engineering',
      employment: { start: '2026-12-01' },
      roles: [{ role: 'engineer', from: '2026-12-01' }],
    };
    expect(person(valid)).toBe(true);
    expect(person({ ...valid, managr: 'dana.cto' })).toBe(false);
    expect(person({ ...valid, employment: { start: '2026-12-01', end: '2027-03-31T17:00:00' } })).toBe(false);
  });

  it('committed under schemas/ are not stale', () => {
    expect(staleSchemas(REPO_ROOT)).toEqual([]);
  });
});
