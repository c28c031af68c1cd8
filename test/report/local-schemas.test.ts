/**
 * Editors complete and flag the organisation's own ids: every data file's first line names its
 * local schema (.jml/schemas/, git-ignored), `jml schemas --local` writes those with the ids of
 * people, roles, entitlements, exceptions and apps as enums, and a joiner's pull request never
 * touches a generated file.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { writeLocalSchemas } from '../../src/engine/schemas.js';
import { type FileKind, schemaLine } from '../../src/model/schema.js';
import { buildLocalSchemas } from '../../src/report/json-schemas.js';

const ROOT = path.resolve(__dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataFiles(): { file: string; kind: FileKind; depth: number }[] {
  const out: { file: string; kind: FileKind; depth: number }[] = [];
  for (const [dir, kind] of [
    ['people', 'person'],
    ['roles', 'role'],
    ['exceptions', 'exception'],
  ] as const)
    for (const f of readdirSync(path.join(ROOT, dir)).filter((n) => n.endsWith('.yaml')))
      out.push({ file: `${dir}/${f}`, kind, depth: 1 });
  for (const [file, kind] of [
    ['policy/jml.yaml', 'policy'],
    ['policy/entitlements.yaml', 'entitlements'],
    ['policy/apps.yaml', 'apps'],
    ['policy/sod.yaml', 'sod'],
  ] as const)
    out.push({ file, kind, depth: 1 });
  return out;
}

function validator(kind: FileKind, schemas: Map<string, string>) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return ajv.compile(JSON.parse(schemas.get(`${kind}.schema.json`)!));
}

describe('local schemas', () => {
  it('every data file names its local schema on its first line', () => {
    const wrong = dataFiles()
      .filter(
        ({ file, kind, depth }) =>
          readFileSync(path.join(ROOT, file), 'utf8').split('\n')[0] !== `# ${schemaLine(kind, depth)}`,
      )
      .map((f) => f.file);
    expect(wrong).toEqual([]);
  });

  it('list the ids: a manager who does not exist is flagged, one who does is not', () => {
    const schemas = buildLocalSchemas({
      people: ['grace.lin', 'nora.lind'],
      roles: ['backend-engineer'],
      entitlements: ['slack-members'],
      exceptions: [],
      apps: [],
    });
    const check = validator('person', schemas);
    const nora = parse(readFileSync(path.join(ROOT, 'people/alice.nguyen.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    const person = {
      ...nora,
      id: 'nora.lind',
      manager: 'grace.lin',
      roles: [{ role: 'backend-engineer', from: '2027-01-11' }],
    };
    expect(check(person)).toBe(true);
    expect(check({ ...person, manager: 'grace.linn' })).toBe(false);
    expect(check({ ...person, roles: [{ role: 'backend-engineeer', from: '2027-01-11' }] })).toBe(false);
    // A kind with no ids keeps the plain pattern: an exception id is not refused for want of a list.
    expect(
      check({ ...person, roles: [{ role: 'backend-engineer', from: '2027-01-11', retain: ['EXC-0009'] }] }),
    ).toBe(true);
  });

  it('jml schemas --local writes them from the repository, and still does when it has errors', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jml-local-schemas-'));
    dirs.push(dir);
    for (const d of ['people', 'roles', 'exceptions', 'policy'])
      cpSync(path.join(ROOT, d), path.join(dir, d), { recursive: true });
    writeFileSync(path.join(dir, 'people/broken.yaml'), 'id: [unclosed\n');
    const r = writeLocalSchemas(dir);
    expect(r.dir).toBe('.jml/schemas');
    expect(r.ids.people).toBe(
      readdirSync(path.join(ROOT, 'people')).filter((f) => f.endsWith('.yaml')).length,
    );
    const role = JSON.parse(readFileSync(path.join(dir, '.jml/schemas/role.schema.json'), 'utf8'));
    expect(role.properties.owner.enum).toContain('grace.lin');
    expect(role.properties.entitlements.items.enum).toContain('slack-members');
  });

  it('the folder is git-ignored, so no pull request carries it', () => {
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^\/?\.jml\/?$/m);
  });
});
