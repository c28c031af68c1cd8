/**
 * The record store: one writer, one amend, one reader for every layout records live in. Table
 * cases, named as sentences.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApplyRecord, RECORD_SCHEMA } from '../../src/records/schema.js';
import {
  amendRecord,
  distinctRecords,
  isOffboardRecordName,
  newestRecordFile,
  RecordError,
  readRecordFile,
  readRecords,
  readRecordsIn,
  recordFileName,
  writeRecord,
} from '../../src/records/store.js';
import { cleanTempDirs, tempDir } from '../engine/helpers.js';

afterAll(cleanTempDirs);

const START = '2026-12-01T15:00:00.000Z';

/** A record as runApply builds it: its fields in the order they are set, `error` after `changes`. */
function record(over: Partial<ApplyRecord> = {}): ApplyRecord {
  return {
    schema: RECORD_SCHEMA,
    startedAt: START,
    finishedAt: '2026-12-01T15:00:02.000Z',
    trigger: { actor: 'erin-it', command: 'jml apply --confirm', ci: false },
    commit: 'a'.repeat(40),
    at: START,
    planFingerprint: `sha256:${'ab12cd34'.repeat(8)}`,
    result: 'applied',
    guards: [],
    counts: { applied: 1, unchanged: 0, failed: 0, skipped: 0 },
    changes: [
      {
        id: 'okta/emma.schultz@example.com/disableUser',
        action: 'disableUser',
        provider: 'okta',
        person: 'emma.schultz',
        login: 'emma.schultz@example.com',
        event: { kind: 'leaver', date: START, highRisk: true },
        startedAt: START,
        finishedAt: '2026-12-01T15:00:01.000Z',
        status: 'applied',
        steps: [{ step: 'disable-sign-in', status: 'applied', at: '2026-12-01T15:00:01.000Z' }],
      },
    ],
    ...over,
  };
}

const text = (r: unknown) => `${JSON.stringify(r, null, 2)}\n`;

describe('writeRecord', () => {
  it('writes a record under its name, as JSON, and reads it back the same', () => {
    const dir = tempDir('jml-records-');
    const r = record();
    const file = writeRecord(path.join(dir, 'new'), r);
    expect(path.basename(file)).toBe('2026-12-01T15-00-00-000Z-ab12cd34-applied.json');
    expect(readFileSync(file, 'utf8')).toBe(text(r));
    expect(readRecordFile(file)).toEqual({ file, record: r });
    expect(readRecords(path.join(dir, 'new'))).toEqual({
      records: [{ file: path.basename(file), record: r }],
      problems: [],
    });
  });

  it.each([
    ['a run', record(), '2026-12-01T15-00-00-000Z-ab12cd34-applied.json', false],
    [
      'a run without a plan',
      record({ planFingerprint: null, result: 'error' }),
      '2026-12-01T15-00-00-000Z-none-error.json',
      false,
    ],
    [
      'an emergency offboarding',
      record({
        offboard: {
          person: 'emma.schultz',
          at: START,
          reason: 'SEC-1',
          requestedBy: 'sam-sec',
          operator: 'sam.sec',
        },
      }),
      '2026-12-01T15-00-00-000Z-offboard-emma.schultz-ab12cd34-applied.json',
      true,
    ],
  ])('names the record of %s by its start, fingerprint and result', (_, r, name, hold) => {
    expect(recordFileName(r)).toBe(name);
    expect(isOffboardRecordName(name)).toBe(hold);
  });
});

describe('amendRecord', () => {
  it('adds to a record in place, its name and the order of its fields kept', () => {
    const dir = tempDir('jml-records-');
    const offboard = {
      person: 'emma.schultz',
      at: START,
      reason: 'SEC-1',
      requestedBy: 'sam-sec',
      operator: 'sam.sec',
    };
    // As runApply leaves it: offboard set up front, error and leavers added at the end.
    const r: ApplyRecord = { ...record({ offboard }), error: 'one change failed' };
    const file = writeRecord(dir, r);
    const pullRequest = { number: 7, url: 'https://github.com/acme/access/pull/7' };

    const amended = amendRecord(file, (x) => ({ ...x, offboard: { ...x.offboard!, pullRequest } }));
    expect(readFileSync(file, 'utf8')).toBe(text({ ...r, offboard: { ...offboard, pullRequest } }));
    expect(amended.offboard?.pullRequest).toEqual(pullRequest);

    const links = [{ person: 'emma.schultz', app: 'figma', url: 'https://github.com/acme/access/issues/9' }];
    amendRecord(file, (x) => ({ ...x, workIssues: links }));
    expect(readFileSync(file, 'utf8')).toBe(
      text({ ...r, offboard: { ...offboard, pullRequest }, workIssues: links }),
    );
  });

  it('keeps the fields a later jml wrote that this one does not know', () => {
    const dir = tempDir('jml-records-');
    const file = path.join(dir, recordFileName(record()));
    const written = { ...record(), trigger: { ...record().trigger, shard: 3 }, signature: 'x' };
    writeFileSync(file, text(written));
    amendRecord(file, (x) => ({ ...x, workIssues: [] }));
    expect(readFileSync(file, 'utf8')).toBe(text({ ...written, workIssues: [] }));
  });

  it.each([
    ['is not JSON', '{"schema": "jml-apply-record/v1",'],
    ['is not an apply record', text({ ...record(), counts: undefined })],
  ])('refuses a file that %s and leaves it as it was', (_, content) => {
    const dir = tempDir('jml-records-');
    const file = path.join(dir, 'broken-applied.json');
    writeFileSync(file, content);
    expect(() => amendRecord(file, (x) => ({ ...x, workIssues: [] }))).toThrow(RecordError);
    expect(() => amendRecord(file, (x) => x)).toThrow(file);
    expect(readFileSync(file, 'utf8')).toBe(content);
  });

  it.each<[string, (r: ApplyRecord) => ApplyRecord]>([
    ['changes what its name says', (r) => ({ ...r, result: 'partial' })],
    ['breaks the record', (r) => ({ ...r, counts: { ...r.counts, applied: 'one' as unknown as number } })],
  ])('refuses a change that %s, the file left as it was', (_, change) => {
    const dir = tempDir('jml-records-');
    const file = writeRecord(dir, record());
    expect(() => amendRecord(file, change)).toThrow(/amending/);
    expect(readFileSync(file, 'utf8')).toBe(text(record()));
  });
});

describe('readRecords', () => {
  it.each([
    ['flat in the records directory (.jml/records/)', ''],
    ['on the evidence branch (records/YYYY/MM/)', 'records/2026/12/'],
    ['restored from the evidence branch (restored/)', 'restored/'],
  ])('reads records %s', (_, where) => {
    const dir = tempDir('jml-records-');
    const r = record();
    writeRecord(path.join(dir, where), r);
    expect(readRecords(dir)).toEqual({
      records: [{ file: `${where}${recordFileName(r)}`, record: r }],
      problems: [],
    });
  });

  it('reads every layout at once, oldest first whatever the folder', () => {
    const dir = tempDir('jml-records-');
    const at = (h: number) => `2026-12-0${h}T15:00:00.000Z`;
    writeRecord(path.join(dir, 'restored'), record({ startedAt: at(3) }));
    writeRecord(dir, record({ startedAt: at(4) }));
    writeRecord(path.join(dir, 'records/2026/12'), record({ startedAt: at(1) }));
    writeRecord(path.join(dir, 'records/2026/12'), record({ startedAt: at(2) }));
    const read = readRecords(dir);
    expect(read.problems).toEqual([]);
    expect(read.records.map((r) => [r.file.split('/')[0], r.record.startedAt])).toEqual([
      ['records', at(1)],
      ['records', at(2)],
      ['restored', at(3)],
      [recordFileName(record({ startedAt: at(4) })), at(4)],
    ]);
  });

  it('reports each file that is not a record with its file and why, and reads the others', () => {
    const dir = tempDir('jml-records-');
    const good = writeRecord(dir, record());
    mkdirSync(path.join(dir, 'restored'), { recursive: true });
    writeFileSync(path.join(dir, 'cut-short.json'), '{"schema": "jml-apply-record/v1", "startedAt": "2026-');
    writeFileSync(path.join(dir, 'restored/plan.json'), text({ schemaVersion: 1, changes: [] }));
    writeFileSync(path.join(dir, 'no-counts.json'), text({ ...record(), counts: undefined }));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a record, not JSON by name');

    const read = readRecords(dir);
    expect(read.records).toEqual([{ file: path.basename(good), record: record() }]);
    expect(read.problems).toEqual([
      { file: 'cut-short.json', problem: expect.stringMatching(/^is not JSON/) },
      { file: 'no-counts.json', problem: expect.stringMatching(/^is not an apply record \(counts: /) },
      { file: 'restored/plan.json', problem: expect.stringMatching(/^is not an apply record \(schema: /) },
    ]);
    expect(readRecordFile(path.join(dir, 'no-counts.json'))).toEqual({
      file: path.join(dir, 'no-counts.json'),
      problem: expect.stringMatching(/counts/),
    });
  });

  it('finds no records in a directory that does not exist', () => {
    expect(readRecords(path.join(tempDir('jml-records-'), 'none'))).toEqual({ records: [], problems: [] });
  });

  it('opens only the files whose name it accepts', () => {
    const dir = tempDir('jml-records-');
    writeFileSync(path.join(dir, 'broken.json'), '{');
    const kept = record({
      offboard: { person: 'p', at: START, reason: 'r', requestedBy: 'q', operator: 'o' },
    });
    writeRecord(dir, kept);
    expect(readRecords(dir, { accept: isOffboardRecordName })).toEqual({
      records: [{ file: recordFileName(kept), record: kept }],
      problems: [],
    });
  });
});

describe('readRecordsIn', () => {
  it("reads the records directory and the evidence branch's copy as one list, oldest first, each problem with its directory", () => {
    const dir = tempDir('jml-records-');
    const evidence = tempDir('jml-evidence-');
    const at = (d: number) => `2026-12-0${d}T15:00:00.000Z`;
    writeRecord(dir, record({ startedAt: at(3) }));
    writeRecord(path.join(evidence, '2026/12'), record({ startedAt: at(1) }));
    writeRecord(dir, record({ startedAt: at(2) }));
    writeFileSync(path.join(evidence, 'broken.json'), '{');
    const read = readRecordsIn([dir, evidence]);
    expect(read.records.map((r) => r.record.startedAt)).toEqual([at(1), at(2), at(3)]);
    expect(read.records[0]!.file).toBe(`2026/12/${recordFileName(record({ startedAt: at(1) }))}`);
    expect(read.problems).toEqual([
      { file: path.join(evidence, 'broken.json'), problem: expect.stringMatching(/^is not JSON/) },
    ]);
  });
});

describe('newestRecordFile', () => {
  it("is the newest by name in the directory itself, never an earlier run's restored below it", () => {
    const dir = tempDir('jml-records-');
    expect(newestRecordFile(dir)).toBeUndefined();
    writeRecord(path.join(dir, 'restored'), record({ startedAt: '2026-12-09T00:00:00.000Z' }));
    expect(newestRecordFile(dir)).toBeUndefined();
    const older = writeRecord(dir, record({ startedAt: '2026-12-01T00:00:00.000Z' }));
    const newer = writeRecord(dir, record({ startedAt: '2026-12-02T00:00:00.000Z' }));
    expect(newestRecordFile(dir)).toBe(newer);
    expect(older < newer).toBe(true);
  });
});

describe('distinctRecords', () => {
  it('a run read from this run and from the evidence branch counts once, the amended copy kept', () => {
    const dir = tempDir('jml-distinct-');
    const mine = writeRecord(dir, record());
    amendRecord(mine, (r) => ({
      ...r,
      workIssues: [{ person: 'emma.schultz', app: 'netsuite', url: 'https://github.com/o/r/issues/7' }],
    }));
    writeRecord(path.join(dir, 'restored'), record());
    writeRecord(path.join(dir, 'records/2026/12'), record());
    writeRecord(dir, record({ startedAt: '2026-12-02T15:00:00.000Z' }));
    const { records } = readRecords(dir);
    expect(records).toHaveLength(4);
    const one = distinctRecords(records);
    expect(one).toHaveLength(2);
    expect(one[0]!.file).toBe(path.basename(mine));
    expect(one[0]!.record.workIssues).toHaveLength(1);
  });
});
