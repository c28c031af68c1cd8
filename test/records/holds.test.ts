/**
 * Offboarding holds: read from the records by name (src/records/holds.ts), put in force on a new
 * index without touching the one given (src/resolve/holds.ts). Table cases, named as sentences.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRepository } from '../../src/load/load-repo.js';
import { readHolds } from '../../src/records/holds.js';
import { type ApplyRecord, type OffboardEntry, RECORD_SCHEMA } from '../../src/records/schema.js';
import { recordFileName, writeRecord } from '../../src/records/store.js';
import { withHolds } from '../../src/resolve/holds.js';
import { indexRepository } from '../../src/resolve/repo-index.js';
import { cleanTempDirs, copyExample, tempDir } from '../engine/helpers.js';

afterAll(cleanTempDirs);

const AT = '2026-12-01T15:00:00.000Z';

function offboarding(entry: Partial<OffboardEntry> = {}, over: Partial<ApplyRecord> = {}): ApplyRecord {
  return {
    schema: RECORD_SCHEMA,
    startedAt: AT,
    finishedAt: AT,
    trigger: { actor: 'sam-sec', command: 'jml offboard --now --reason', ci: true, reason: 'SEC-1' },
    commit: null,
    at: AT,
    planFingerprint: null,
    result: 'applied',
    guards: [],
    counts: { applied: 1, unchanged: 0, failed: 0, skipped: 0 },
    changes: [
      {
        id: 'local/emma.schultz@example.com/disableUser',
        action: 'disableUser',
        provider: 'local',
        person: 'emma.schultz',
        login: 'emma.schultz@example.com',
        event: { kind: 'leaver', date: AT, highRisk: true },
        startedAt: AT,
        finishedAt: AT,
        status: 'applied',
      },
    ],
    offboard: {
      person: 'emma.schultz',
      at: AT,
      reason: 'SEC-1',
      requestedBy: 'sam-sec',
      operator: 'sam.sec',
      employmentStart: '2022-03-14',
      ...entry,
    },
    ...over,
  };
}

describe('readHolds', () => {
  it.each([
    ['the records directory', ''],
    ['restored/', 'restored'],
    ['records/YYYY/MM/', 'records/2026/12'],
  ])('finds the hold of an offboarding record the store wrote in %s, by its name', (_, where) => {
    const dir = tempDir('jml-holds-');
    const file = writeRecord(path.join(dir, where), offboarding());
    expect(path.basename(file)).toContain('-offboard-emma.schultz-');
    expect(readHolds(dir)).toEqual({
      holds: new Map([
        [
          'emma.schultz',
          {
            person: 'emma.schultz',
            at: AT,
            reason: 'SEC-1',
            requestedBy: 'sam-sec',
            employmentStart: '2022-03-14',
            record: path.posix.join(where, path.basename(file)),
          },
        ],
      ]),
      problems: [],
    });
  });

  it('opens only offboarding records: a broken other record is none of its business', () => {
    const dir = tempDir('jml-holds-');
    writeFileSync(path.join(dir, '2026-12-01T16-00-00-000Z-ab12cd34-applied.json'), '{');
    const broken = '2026-12-01T17-00-00-000Z-offboard-tomas.novak-none-applied.json';
    writeFileSync(path.join(dir, broken), '{');
    writeRecord(dir, offboarding());
    const read = readHolds(dir);
    expect([...read.holds.keys()].sort()).toEqual(['emma.schultz', 'tomas.novak']);
    expect(read.problems).toEqual([{ file: broken, problem: expect.stringMatching(/^is not JSON/) }]);
  });

  it('an offboarding record that cannot be read fails closed: its person stays held from the instant its name gives', () => {
    const dir = tempDir('jml-holds-');
    const broken = '2026-12-01T17-00-00-000Z-offboard-tomas.novak-none-applied.json';
    writeFileSync(path.join(dir, broken), '{"schema": "jml/apply-record/v1", "offboard": ');
    const hold = readHolds(dir).holds.get('tomas.novak');
    expect(hold).toMatchObject({ person: 'tomas.novak', at: '2026-12-01T17:00:00.000Z', record: broken });
    expect(hold?.reason).toMatch(/cannot be read .* held until it is repaired/);
    // A later readable record of theirs decides: here a cancellation lifts it.
    writeRecord(
      dir,
      offboarding(
        { person: 'tomas.novak', cancelled: true },
        { startedAt: '2026-12-02T09:00:00.000Z', changes: [], result: 'no-changes' },
      ),
    );
    expect(readHolds(dir).holds.has('tomas.novak')).toBe(false);
  });

  it('a hold stands when fields of its record it does not use are damaged', () => {
    const dir = tempDir('jml-holds-');
    const { trigger: _, counts: __, ...damaged } = offboarding();
    writeFileSync(path.join(dir, recordFileName(offboarding())), JSON.stringify(damaged));
    expect([...readHolds(dir).holds.keys()]).toEqual(['emma.schultz']);
  });

  it('the latest offboarding record of a person decides: a cancellation lifts the hold', () => {
    const dir = tempDir('jml-holds-');
    writeRecord(dir, offboarding());
    writeRecord(
      path.join(dir, 'restored'),
      offboarding(
        { cancelled: true },
        { startedAt: '2026-12-02T09:00:00.000Z', changes: [], result: 'no-changes' },
      ),
    );
    expect(readHolds(dir).holds.size).toBe(0);
  });
});

describe('withHolds', () => {
  const dir = copyExample('jml-holds-');
  const load = () => {
    const { repo } = loadRepository(dir);
    return indexRepository(repo, repo.policy!.value);
  };
  const hold = {
    person: 'emma.schultz',
    at: AT,
    reason: 'SEC-1',
    requestedBy: 'sam-sec',
    record: 'x.json',
  };

  it('puts the holds in force on a new index and leaves the one given as it was', () => {
    const index = load();
    const before = index.people.get('emma.schultz');
    const held = withHolds(index, new Map([['emma.schultz', hold]]));
    expect(held.applied).toEqual([hold]);
    expect(held.index).not.toBe(index);
    expect(held.index.people.get('emma.schultz')!.value.employment).toMatchObject({
      end: AT,
      highRisk: true,
    });
    expect(index.people.get('emma.schultz')).toBe(before);
    expect(index.people.get('emma.schultz')!.value.employment.end).not.toBe(AT);
    // Everyone else is the same value in both.
    for (const [id, p] of index.people) if (id !== 'emma.schultz') expect(held.index.people.get(id)).toBe(p);
  });

  it('a hold on someone not in people/ changes nothing', () => {
    const index = load();
    const held = withHolds(index, new Map([['nobody', { ...hold, person: 'nobody' }]]));
    expect(held.applied).toEqual([]);
    expect([...held.index.people.keys()]).toEqual([...index.people.keys()]);
  });
});
