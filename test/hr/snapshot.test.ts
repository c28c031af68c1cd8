/**
 * hr-snapshot/v1 files: each bad record is reported with its line and skipped whole; the good
 * ones come through. JSON Lines and CSV alike, with the JSON Schema checked by ajv.
 */
import { describe, expect, it } from 'vitest';
import { hrSnapshotJsonSchema, parseSnapshot } from '../../src/hr/snapshot.js';
import { snapshotFromText } from '../../src/hr/snapshot-input.js';

const good = {
  source: 'bamboohr',
  sourceId: 'BHR-1',
  workerType: 'employee',
  status: 'active',
  legalName: 'Ada Lovelace',
  timeZone: 'Europe/London',
  startDate: '2026-12-01',
  asOf: '2026-11-26T10:00:00Z',
};

describe('reading an HR snapshot', () => {
  it('JSON Lines: a line that is not JSON, a record off the schema, a bad zone and a duplicate are skipped with their lines', () => {
    const lines = [
      JSON.stringify(good),
      '{ not json',
      JSON.stringify({ ...good, sourceId: 'BHR-2', workerType: 'robot', extra: 1 }),
      '',
      JSON.stringify({ ...good, sourceId: 'BHR-3', timeZone: 'Mars/Olympus' }),
      JSON.stringify({ ...good, sourceId: 'BHR-4' }),
      JSON.stringify({ ...good, sourceId: 'BHR-4', legalName: 'Someone Else' }),
      JSON.stringify({ ...good, sourceId: 'BHR-5', startDate: '2026-12-10', lastDayOfWork: '2026-12-01' }),
      JSON.stringify({ ...good, sourceId: 'BHR-6', endInstant: '2027-01-31T17:00:00' }),
    ];
    const { records, problems } = parseSnapshot(`${lines.join('\n')}\n`, 'hr.jsonl');
    expect(records.map((r) => r.sourceId)).toEqual(['BHR-1']);
    expect(problems.map((p) => [p.line, p.sourceId ?? null])).toEqual([
      [2, null],
      [3, 'BHR-2'],
      [5, 'BHR-3'],
      [6, 'BHR-4'],
      [7, 'BHR-4'],
      [8, 'BHR-5'],
      [9, 'BHR-6'],
    ]);
    expect(problems[1]!.message).toMatch(/workerType/);
    expect(problems[1]!.message).toMatch(/extra/);
    expect(problems[2]!.message).toContain('Mars/Olympus is not an IANA time zone');
    expect(problems[3]!.message).toContain('appears more than once');
    expect(problems[6]!.message).toMatch(/endInstant/);
  });

  it('CSV: the line of a record is where it starts, even after a cell spanning two lines', () => {
    const csv =
      'source,sourceId,workerType,status,legalName,timeZone,startDate,asOf,jobTitle\n' +
      'bamboohr,BHR-1,employee,active,Ada,Europe/London,2026-12-01,2026-11-26T10:00:00Z,"Analyst,\nFP&A"\n' +
      'bamboohr,BHR-2,employee,active,Bo,Nowhere/Town,2026-12-01,2026-11-26T10:00:00Z,\n';
    const { records, problems } = parseSnapshot(csv, 'hr.csv');
    expect(records.map((r) => [r.sourceId, r.jobTitle])).toEqual([['BHR-1', 'Analyst,\nFP&A']]);
    expect(problems).toEqual([
      {
        line: 4,
        sourceId: 'BHR-2',
        message: 'timeZone Nowhere/Town is not an IANA time zone (like Europe/Berlin)',
      },
    ]);
  });

  it('CSV: the lines a sync names for later problems are those same lines (read once, not counted again)', () => {
    const csv =
      'source,sourceId,workerType,status,legalName,timeZone,startDate,asOf,jobTitle\n' +
      'bamboohr,BHR-1,employee,active,Ada,Europe/London,2026-12-01,2026-11-26T10:00:00Z,"Analyst,\nFP&A"\n' +
      'bamboohr,BHR-2,employee,active,Bo,Europe/London,2026-12-01,2026-11-26T10:00:00Z,\n';
    const { records, lines } = snapshotFromText(csv, 'hr.csv');
    expect(records.map((r) => r.sourceId)).toEqual(['BHR-1', 'BHR-2']);
    expect([...lines]).toEqual([
      ['BHR-1', 2],
      ['BHR-2', 4],
    ]);
  });

  it('the published JSON Schema is draft 2020-12 and closed to unknown fields', () => {
    const schema = hrSnapshotJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(
      expect.arrayContaining([
        'source',
        'sourceId',
        'workerType',
        'status',
        'legalName',
        'timeZone',
        'startDate',
        'asOf',
      ]),
    );
  });
});
