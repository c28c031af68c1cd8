/**
 * A plan file read back for `jml apply --plan` (src/plan/plan-schema.ts): every plan the engine
 * writes is read back as it was written, and anything else is refused with the file, the field
 * and what to do, before anything is applied.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePlanFile } from '../../src/plan/plan-schema.js';
import type { Plan } from '../../src/plan/plan-types.js';
import { cleanTempDirs, copyFixture, FIXTURES, jml, readRecords, snapshotDirectories } from './helpers.js';

const AT = '2026-11-25T17:00:00Z';
const SCENARIOS = path.join(FIXTURES, 'scenarios');
const FINGERPRINT = `sha256:${'0'.repeat(64)}`;

/** A scenario's expected plan, with a commit and a fingerprint where the fixture has placeholders. */
function scenarioPlan(name: string): Plan {
  const text = readFileSync(path.join(SCENARIOS, name, 'expected-plan.json'), 'utf8');
  return { ...(JSON.parse(text) as Plan), commit: 'a'.repeat(40), fingerprint: FINGERPRINT };
}

afterAll(cleanTempDirs);

describe('parsePlanFile', () => {
  it.each(readdirSync(SCENARIOS).sort())('reads back the plan of scenario %s as written', (name) => {
    const plan = scenarioPlan(name);
    expect(parsePlanFile(JSON.stringify(plan, null, 2), 'plan.json')).toEqual({ ok: true, plan });
  });

  it('reads a plan made outside git (commit null)', () => {
    const plan = { ...scenarioPlan('protected-account'), commit: null };
    expect(parsePlanFile(JSON.stringify(plan), 'plan.json')).toEqual({ ok: true, plan });
  });

  const base = scenarioPlan('mover-with-exceptions');
  const edit = (f: (p: Record<string, unknown> & { changes: Record<string, unknown>[] }) => void) => {
    const copy = structuredClone(base) as unknown as Record<string, unknown> & {
      changes: Record<string, unknown>[];
    };
    f(copy);
    return JSON.stringify(copy);
  };
  const refusals: { name: string; text: string; says: (string | RegExp)[] }[] = [
    {
      name: 'a file that is not JSON',
      text: 'changes:\n  - revoke everything\n',
      says: ['review.json is not JSON', 'give the file jml plan --out wrote'],
    },
    {
      name: 'JSON that is not a plan (an array)',
      text: '[1, 2, 3]',
      says: ['review.json is not a jml plan (it has no schemaVersion)'],
    },
    {
      name: 'another kind of jml file (an apply record)',
      text: JSON.stringify({ schema: 'jml-apply-record/1', result: 'success', changes: [] }),
      says: ['review.json is not a jml plan (it has no schemaVersion)'],
    },
    {
      name: 'a plan of another schema version',
      text: edit((p) => {
        p.schemaVersion = 2;
      }),
      says: [
        'review.json is a plan of schema version 2, and this engine applies version 1',
        'jml plan --out',
      ],
    },
    {
      name: 'a change with an action the engine does not have',
      text: edit((p) => {
        p.changes[1]!.action = 'deleteEverything';
      }),
      says: ['review.json is not a plan jml writes', 'changes[1].action', 'edited after review'],
    },
    {
      name: 'a change on a provider that does not exist',
      text: edit((p) => {
        p.changes[0]!.provider = 'ldap';
      }),
      says: ['changes[0].provider'],
    },
    {
      name: 'a field the engine never writes',
      text: edit((p) => {
        p.changes[0]!.password = 'hunter2';
      }),
      says: [/changes\[0\].*password/],
    },
    {
      name: 'a missing list of changes',
      text: edit((p) => {
        delete (p as Partial<typeof p>).changes;
      }),
      says: ['changes: '],
    },
    {
      name: 'a fingerprint that is not a sha256',
      text: edit((p) => {
        p.fingerprint = 'anything';
      }),
      says: ['fingerprint: expected sha256: and 64 hex digits'],
    },
    {
      name: 'a time that is not an instant',
      text: edit((p) => {
        p.at = 'next Tuesday';
      }),
      says: ['at: '],
    },
  ];
  it.each(refusals.map((r) => [r.name, r] as const))('refuses %s, naming the file and the field', (_, r) => {
    const result = parsePlanFile(r.text, 'review.json');
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.message;
    for (const s of r.says) expect(message).toMatch(s);
  });
});

describe('jml apply --plan with a file that is not a plan jml wrote', () => {
  it('exits 1 with the reason, and writes nothing', async () => {
    const dir = copyFixture('org');
    const planFile = path.join(dir, 'plan.json');
    expect((await jml(dir, 'plan', '--at', AT, '--out', planFile)).code).toBe(0);
    const plan = JSON.parse(readFileSync(planFile, 'utf8')) as Plan;
    writeFileSync(planFile, JSON.stringify({ ...plan, changes: [{ ...plan.changes[0], action: 'nuke' }] }));
    const files = snapshotDirectories(dir);
    const r = await jml(dir, 'apply', '--plan', planFile, '--confirm');
    expect(r.code).toBe(1);
    expect(r.err).toContain('changes[0].action');
    expect(r.err).toContain(planFile);
    expect(snapshotDirectories(dir)).toEqual(files);
    expect(readRecords(dir)).toEqual([]);
  });
});
