/**
 * The classification of an HR snapshot against people/, as a table of sentences: the example
 * organisation (Northwind, BambooHR ids BHR-10xx) and its snapshot in
 * test/fixtures/hr/northwind-bamboohr.jsonl, which says exactly what people/ says, so each case
 * changes one thing. Time is frozen at 2026-12-01T15:00Z (10:00 in New York).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Classification, classify } from '../../src/hr/classify.js';
import { type HrRecord, parseSnapshot } from '../../src/hr/snapshot.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { checkRepository } from '../../src/validate/validate.js';
import { cleanTempDirs } from '../engine/helpers.js';
import { baseline, hrExample, NOW, newHire } from '../fixtures/hr/northwind.js';

let dir: string;
let index: RepoIndex;
beforeAll(() => {
  dir = hrExample();
  const checked = checkRepository(dir, NOW);
  expect(checked.ok).toBe(true);
  index = checked.index!;
});
afterAll(cleanTempDirs);

/** The baseline with `edit` applied to the record of `sourceId` (or records added). */
function run(edit: (records: HrRecord[]) => HrRecord[], now = NOW): Classification {
  return classify({ index, records: edit(baseline()), policy: index.policy, now });
}
const change = (sourceId: string, over: Partial<HrRecord>) => (rs: HrRecord[]) =>
  rs.map((r) => (r.sourceId === sourceId ? { ...r, ...over } : r));
const add =
  (...more: HrRecord[]) =>
  (rs: HrRecord[]) => [...rs, ...more];

describe('classifying a snapshot against people/', () => {
  it('a snapshot that says what people/ says asks for nothing', () => {
    const r = run((rs) => rs);
    expect(r).toEqual({ events: [], problems: [], untouched: [], ignored: 0 });
  });

  it('a worker no file carries the HR id of is a joiner: a new file named first.last from the preferred name', () => {
    const { events, problems } = run(add(newHire()));
    expect(problems).toEqual([]);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({
      event: 'joiner',
      person: 'jo.muller',
      effective: '2026-12-07',
      record: { source: 'bamboohr', sourceId: 'BHR-2001' },
      managers: ['tomas.novak'],
      overdue: false,
      backdated: false,
      dependsOn: [],
    });
    expect(e.file.path).toBe('people/jo.muller.yaml');
    expect(e.file.previous).toBeUndefined();
    expect(e.file.content).toBe(
      [
        '# yaml-language-server: $schema=../.jml/schemas/person.schema.json',
        '# Created by jml hr sync from bamboohr:BHR-2001.',
        '',
        'id: jo.muller',
        'name: Jo Müller',
        'email: jo.muller@example.com',
        'hrId: BHR-2001',
        'manager: tomas.novak',
        'department: Engineering',
        'title: Software Engineer',
        'employment:',
        '  type: employee',
        '  start: 2026-12-07',
        '  highRisk: false',
        'roles:',
        '  - { role: engineer, from: 2026-12-07 }',
        '',
      ].join('\n'),
    );
    expect(e.notes).toEqual(['HR gives no work email: jo.muller@example.com was chosen.']);
  });

  it('a joiner whose first.last is taken gets a number, and the work email HR gives', () => {
    const { events } = run(
      add(
        newHire({ preferredName: null, legalName: 'Alice Nguyen', workEmail: 'alice.nguyen2@example.com' }),
      ),
    );
    expect(events[0]).toMatchObject({ event: 'joiner', person: 'alice.nguyen2' });
    expect(events[0]!.file.content).toContain('email: alice.nguyen2@example.com');
  });

  it('a new manager in the same snapshot: the report depends on them and their file names the id chosen for them', () => {
    const { events } = run(
      add(
        newHire({
          sourceId: 'BHR-2003',
          legalName: 'Wen Li',
          preferredName: null,
          managerSourceId: 'BHR-2002',
        }),
        newHire({
          sourceId: 'BHR-2002',
          legalName: 'Ingrid Berg',
          preferredName: null,
          jobTitle: 'Engineering Manager',
        }),
      ),
    );
    expect(events.map((e) => [e.event, e.person, e.dependsOn])).toEqual([
      ['joiner', 'ingrid.berg', []],
      ['joiner', 'wen.li', ['ingrid.berg']],
    ]);
    expect(events[1]!.file.content).toContain('manager: ingrid.berg');
    expect(events[1]!.managers).toEqual(['ingrid.berg']);
  });

  it('a manager HR names who is nowhere is noted; a joiner gets no manager, an existing person keeps theirs', () => {
    const { events, problems } = run((rs) =>
      add(newHire({ managerSourceId: 'BHR-9999' }))(
        change('BHR-1019', { managerSourceId: 'BHR-9999', department: 'Platform' })(rs),
      ),
    );
    expect(problems).toEqual([]);
    const joiner = events.find((e) => e.event === 'joiner')!;
    expect(joiner.file.content).not.toContain('manager:');
    expect(joiner.notes[0]).toContain('HR names manager BHR-9999, who is neither in people/ nor a joiner');
    const mover = events.find((e) => e.person === 'alice.nguyen')!;
    expect(mover.event).toBe('mover');
    expect(mover.file.content).toContain('manager: grace.lin');
    expect(mover.notes[0]).toContain('the file keeps grace.lin');
  });

  it('a new manager is a mover, reviewed by the old and the new manager, effective on the date of the record', () => {
    const { events } = run(
      change('BHR-1024', { managerSourceId: 'BHR-1003', asOf: '2026-12-02T08:00:00-05:00' }),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'mover',
      person: 'chloe.dubois',
      effective: '2026-12-02',
      changes: ['manager: tomas.novak -> grace.lin'],
      managers: ['tomas.novak', 'grace.lin'],
    });
    expect(events[0]!.file.content).toBe(
      readFileSync(path.join(dir, 'people/chloe.dubois.yaml'), 'utf8').replace(
        'manager: tomas.novak',
        'manager: grace.lin',
      ),
    );
  });

  it('a new job family is a mover: a role entry from the effective date is appended, comments kept', () => {
    const { events } = run(change('BHR-1027', { jobFamily: 'Site Reliability Engineering' }));
    expect(events[0]).toMatchObject({
      event: 'mover',
      person: 'ravi.patel',
      effective: '2026-12-01',
      changes: ['role: backend-engineer -> sre from 2026-12-01'],
    });
    expect(events[0]!.file.content).toMatch(
      /roles:\n {2}- \{ role: backend-engineer, from: [0-9-]+ \}\n {2}- \{ role: sre, from: 2026-12-01 \}\n$/,
    );
  });

  it("HR's job family replaces a planned role that it contradicts, and says so", () => {
    // Alice is planned to move to SRE on 2027-02-01; HR now says she stays a backend engineer.
    const { events } = run(change('BHR-1019', { jobFamily: 'Backend Engineering' }));
    expect(events.map((e) => [e.event, e.person, e.changes])).toEqual([
      [
        'mover',
        'alice.nguyen',
        ['role: stays backend-engineer; the planned sre from 2027-02-01 is withdrawn'],
      ],
    ]);
    expect(events[0]!.file.content).toMatch(
      /roles:\n {2}- \{ role: backend-engineer, from: 2021-05-17 \}\n$/,
    );
    // And to data analysis instead: the planned move is replaced by HR's, from the record's date.
    const other = run(change('BHR-1019', { jobFamily: 'Data & Analytics' })).events[0]!;
    expect(other.changes).toEqual(['role: backend-engineer -> data-analyst from 2026-12-01']);
    expect(other.notes).toContain(
      "Replaces the planned sre from 2027-02-01: HR's job family now maps to data-analyst.",
    );
  });

  it('a department change alone is a mover', () => {
    const { events } = run(change('BHR-1039', { department: 'Platform' }));
    expect(events.map((e) => [e.event, e.changes])).toEqual([
      ['mover', ['department: Engineering -> Platform']],
    ]);
  });

  it('a last day of work set is a leaver: access ends at midnight after it, in the worker’s zone, with their offset', () => {
    const { events } = run(change('BHR-1039', { lastDayOfWork: '2027-01-15' }));
    expect(events[0]).toMatchObject({
      event: 'leaver',
      person: 'priya.raman',
      effective: '2027-01-15',
      endInstant: '2027-01-16T00:00:00-05:00',
      changes: ['employment.end: (none) -> 2027-01-16T00:00:00-05:00'],
      managers: ['grace.lin'],
      overdue: false,
      backdated: false,
    });
    expect(events[0]!.file.content).toContain('  end: 2027-01-16T00:00:00-05:00\n');
  });

  it('an end HR moves is a leaver again, at the new instant', () => {
    const { events } = run(change('BHR-1025', { lastDayOfWork: '2026-12-23', endInstant: null }));
    expect(events.map((e) => [e.event, e.person, e.effective, e.endInstant])).toEqual([
      ['leaver', 'emma.schultz', '2026-12-23', '2026-12-24T00:00:00-05:00'],
    ]);
    expect(events[0]!.changes).toEqual([
      'employment.end: 2026-12-18T17:00:00-05:00 -> 2026-12-24T00:00:00-05:00',
    ]);
    expect(events[0]!.file.content).toContain('# Pending leaver'); // the comment stays
  });

  it('a leaver whose end has passed is overdue and backdated; inside the SLA window only overdue', () => {
    const past = run(change('BHR-1039', { status: 'terminated', lastDayOfWork: '2026-11-27' })).events[0]!;
    expect(past).toMatchObject({ endInstant: '2026-11-28T00:00:00-05:00', overdue: true, backdated: true });
    const soon = run(change('BHR-1039', { endInstant: '2026-12-01T15:45:00Z' })).events[0]!;
    expect(soon).toMatchObject({ endInstant: '2026-12-01T10:45:00-05:00', overdue: true, backdated: false });
    const later = run(change('BHR-1039', { endInstant: '2026-12-01T16:30:00Z' })).events[0]!;
    expect(later).toMatchObject({ overdue: false, backdated: false });
    // A high-risk leaver's SLA is shorter: 45 minutes ahead is not yet overdue for Ben Carter.
    const ben = run(change('BHR-1017', { endInstant: '2026-12-01T15:45:00Z' })).events[0]!;
    expect(ben).toMatchObject({ person: 'ben.carter', highRisk: true, overdue: false });
  });

  it('someone who has left is left alone, whatever time of their last day HR keeps', () => {
    // Kevin's file ends at 17:00 on 30 October; HR keeps the date only, or no date at all.
    const dateOnly = run(change('BHR-1014', { endInstant: null }));
    const noDate = run(change('BHR-1014', { endInstant: null, lastDayOfWork: null }));
    expect([dateOnly, noDate].map((r) => [r.events, r.problems])).toEqual([
      [[], []],
      [[], []],
    ]);
  });

  it('terminated without a date, for someone still here, is a problem: jml cannot tell when', () => {
    const r = run(change('BHR-1039', { status: 'terminated' }));
    expect(r.events).toEqual([]);
    expect(r.problems).toEqual([
      {
        sourceId: 'BHR-1039',
        message: 'status terminated without lastDayOfWork or endInstant: jml cannot tell when access ends',
      },
    ]);
  });

  it('a termination HR withdraws is a cancelled termination: the end is removed', () => {
    const { events } = run(change('BHR-1025', { lastDayOfWork: null, endInstant: null }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      event: 'cancelled-termination',
      person: 'emma.schultz',
      effective: '2026-12-01',
      changes: ['employment.end: 2026-12-18T17:00:00-05:00 -> (none)'],
    });
    expect(events[0]!.file.content).not.toContain('end:');
    expect(events[0]!.file.content).toContain('highRisk: false');
  });

  it('a rename is a correction of the same file, never a new person', () => {
    const { events } = run(
      change('BHR-1043', { preferredName: 'May Chen-Walker', workEmail: 'mei.chen@example.com' }),
    );
    expect(events.map((e) => [e.event, e.person, e.changes])).toEqual([
      ['correction', 'mei.chen', ['name: Mei Chen -> May Chen-Walker']],
    ]);
  });

  it('matching is by HR id only: a new id with a known email is a problem, not a match', () => {
    const { events, problems } = run(
      add(newHire({ sourceId: 'BHR-2050', workEmail: 'mei.chen@example.com' })),
    );
    expect(events).toEqual([]);
    expect(problems).toEqual([
      {
        sourceId: 'BHR-2050',
        message:
          "workEmail mei.chen@example.com is already mei.chen's (people/mei.chen.yaml has no hrId BHR-2050): jml never matches by email; add hrId: BHR-2050 to that file if it is the same person",
      },
    ]);
  });

  it('a contractor who becomes an employee under the same id is a correction of the worker type', () => {
    const { events } = run(change('BHR-1050', { workerType: 'employee', jobTitle: 'Data Analyst' }));
    expect(events[0]).toMatchObject({
      event: 'correction',
      person: 'arjun.mehta',
      changes: [
        'title: Data Analyst (contractor) -> Data Analyst',
        'employment.type: contractor -> employee',
      ],
    });
    expect(events[0]!.notes).toContain(
      'arjun.mehta converts from contractor to employee under the same HR id.',
    );
    expect(events[0]!.file.content).toContain('  type: employee\n');
  });

  it('a worker who left and is rehired under a new id (rehireOf) gets the old file back', () => {
    const { events, untouched } = run(
      add(
        newHire({
          sourceId: 'BHR-2100',
          rehireOf: 'BHR-1014',
          legalName: 'Kevin OBrien',
          preferredName: null,
          workEmail: 'kevin.obrien@example.com',
          startDate: '2027-01-04',
        }),
      ),
    );
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({ event: 'rehire', person: 'kevin.obrien', effective: '2027-01-04' });
    expect(e.file.path).toBe('people/kevin.obrien.yaml');
    expect(e.file.content).toContain('hrId: BHR-2100');
    expect(e.file.content).toContain('  start: 2027-01-04\n');
    expect(e.file.content).not.toContain('end:');
    expect(e.file.content).toMatch(/roles:\n {2}- \{ role: engineer, from: 2027-01-04 \}\n$/);
    expect(untouched).toEqual([]);
  });

  it('a worker who comes back active under the same id with a later start is a rehire', () => {
    const { events } = run(
      change('BHR-1014', {
        status: 'pre_hire',
        startDate: '2027-02-01',
        lastDayOfWork: null,
        endInstant: null,
      }),
    );
    expect(events.map((e) => [e.event, e.person, e.effective])).toEqual([
      ['rehire', 'kevin.obrien', '2027-02-01'],
    ]);
  });

  it('a worker who comes back under the same id for a fixed term (a last day already set) is a rehire too', () => {
    const { events } = run(
      change('BHR-1014', {
        status: 'pre_hire',
        workerType: 'contractor',
        startDate: '2027-02-01',
        lastDayOfWork: '2027-04-30',
        endInstant: null,
      }),
    );
    expect(events.map((e) => [e.event, e.person, e.effective])).toEqual([
      ['rehire', 'kevin.obrien', '2027-02-01'],
    ]);
    expect(events[0]!.file.content).toContain('  start: 2027-02-01\n');
    expect(events[0]!.file.content).toContain('  end: 2027-05-01T00:00:00-04:00\n');
  });

  it.each([
    ['earlier, with a new job family', '2026-12-14', 'Site Reliability Engineering', 'sre'],
    ['later, with a new job family', '2027-02-01', 'Site Reliability Engineering', 'sre'],
    ['earlier, same job family', '2026-12-14', 'Backend Engineering', 'backend-engineer'],
  ])(
    'a pre-hire whose start HR moves %s starts then, with their one role from that day',
    (_, start, family, role) => {
      const { events } = run(change('BHR-1052', { startDate: start, jobFamily: family }));
      expect(events).toHaveLength(1);
      const content = events[0]!.file.content;
      expect(content).toContain(`  start: ${start}\n`);
      expect(content).toMatch(new RegExp(`roles:\\n {2}- \\{ role: ${role}, from: ${start} \\}\\n$`));
    },
  );

  it('a terminated record of someone never in people/ is ignored and counted', () => {
    const r = run(
      add(
        newHire({
          sourceId: 'BHR-0007',
          status: 'terminated',
          lastDayOfWork: '2019-03-01',
          startDate: '2018-01-02',
        }),
      ),
    );
    expect(r.events).toEqual([]);
    expect(r.ignored).toBe(1);
  });

  it('people the snapshot does not mention are never touched, and reported (unless long gone)', () => {
    const r = run((rs) => rs.filter((x) => !['BHR-1039', 'BHR-1014'].includes(x.sourceId)));
    expect(r.events).toEqual([]);
    expect(r.untouched).toEqual(['priya.raman']);
  });

  it('an unmapped job family is a problem naming the record and its family, and no event', () => {
    const r = classify({
      index,
      records: [...baseline(), newHire({ jobFamily: 'Quantum Research', jobTitle: 'Researcher' })],
      policy: index.policy,
      now: NOW,
      lines: new Map([['BHR-2001', 53]]),
    });
    expect(r.events).toEqual([]);
    expect(r.problems).toEqual([
      {
        line: 53,
        sourceId: 'BHR-2001',
        message:
          'job family "Quantum Research" (title "Researcher") is not mapped to a role in policy/jml.yaml hr.jobFamilies or hr.titles; no pull request for this joiner',
      },
    ]);
  });

  it('a title in hr.titles wins over the job family', () => {
    const { events } = run(
      add(newHire({ jobTitle: 'Financial Controller', jobFamily: 'Finance', department: 'Finance' })),
    );
    expect(events[0]!.file.content).toContain('{ role: finance-controller, from: 2026-12-07 }');
  });

  it('duplicate records are problems from the snapshot, and neither becomes an event', () => {
    const text = [...baseline(), newHire(), newHire({ legalName: 'Someone Else' })]
      .map((r) => JSON.stringify(r))
      .join('\n');
    const snap = parseSnapshot(text, 'dup.jsonl');
    expect(snap.problems.map((p) => [p.line, p.sourceId])).toEqual([
      [53, 'BHR-2001'],
      [54, 'BHR-2001'],
    ]);
    expect(classify({ index, records: snap.records, policy: index.policy, now: NOW }).events).toEqual([]);
  });

  it('the same snapshot gives the same events, byte for byte, in any record order', () => {
    const edit = (rs: HrRecord[]) =>
      add(
        newHire(),
        newHire({ sourceId: 'BHR-2002', legalName: 'Jo Muller', preferredName: null }),
      )(change('BHR-1027', { department: 'Platform' })(rs));
    const a = run(edit);
    const b = run((rs) => edit(rs).reverse());
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.events.map((e) => e.person)).toEqual(['jo.muller', 'jo.muller2', 'ravi.patel']);
  });
});

describe('time zones: a last day ends in the worker’s own zone, a start date is their local date', () => {
  const leaver = (timeZone: string, lastDayOfWork: string) =>
    run(change('BHR-1039', { timeZone, lastDayOfWork })).events[0]!;

  it('a last day in Asia/Tokyo ends at midnight Tokyo time, written +09:00', () => {
    expect(leaver('Asia/Tokyo', '2027-01-15').endInstant).toBe('2027-01-16T00:00:00+09:00');
  });
  it('a last day in Europe/Berlin ends at midnight Berlin time, written +01:00 in winter', () => {
    expect(leaver('Europe/Berlin', '2027-01-15').endInstant).toBe('2027-01-16T00:00:00+01:00');
  });
  it('a last day in America/Los_Angeles ends at midnight Pacific time, written -08:00', () => {
    expect(leaver('America/Los_Angeles', '2027-01-15').endInstant).toBe('2027-01-16T00:00:00-08:00');
  });
  it('a last day in Pacific/Auckland ends at midnight there, written +13:00 in their summer', () => {
    const e = leaver('Pacific/Auckland', '2027-01-15');
    expect(e.endInstant).toBe('2027-01-16T00:00:00+13:00');
    expect(Date.parse(e.endInstant!)).toBe(Date.parse('2027-01-15T11:00:00Z'));
  });
  it('a last day just before a DST change ends at the next midnight with the offset of that midnight', () => {
    // Berlin springs forward at 02:00 on 28 March 2027: the day after the 27th starts at +01:00,
    // the day after the 28th at +02:00; New York springs forward on 14 March.
    expect(leaver('Europe/Berlin', '2027-03-27').endInstant).toBe('2027-03-28T00:00:00+01:00');
    expect(leaver('Europe/Berlin', '2027-03-28').endInstant).toBe('2027-03-29T00:00:00+02:00');
    expect(leaver('America/New_York', '2027-03-14').endInstant).toBe('2027-03-15T00:00:00-04:00');
  });
  it('a last day that ends at 17:00 by policy ends at 17:00 local on both sides of a DST change', () => {
    const at1700 = structuredClone(index.policy);
    at1700.hr!.lastDayEndsAt = '17:00';
    const end = (lastDayOfWork: string) =>
      classify({
        index,
        records: change('BHR-1039', { timeZone: 'America/New_York', lastDayOfWork })(baseline()),
        policy: at1700,
        now: NOW,
      }).events[0]!.endInstant;
    expect(end('2027-03-12')).toBe('2027-03-12T17:00:00-05:00');
    expect(end('2027-03-15')).toBe('2027-03-15T17:00:00-04:00');
  });
  it('an instant HR gives wins over the last day, and is written with the worker’s offset', () => {
    const e = run(
      change('BHR-1039', {
        timeZone: 'Asia/Tokyo',
        lastDayOfWork: '2027-01-15',
        endInstant: '2027-01-15T08:00:00Z',
      }),
    ).events[0]!;
    expect(e).toMatchObject({ endInstant: '2027-01-15T17:00:00+09:00', effective: '2027-01-15' });
  });
  it('a hire in Pacific/Auckland starts on the local date HR gives, not the UTC one', () => {
    // Monday 7 December in Auckland begins on Sunday the 6th in UTC: the file still says the 7th.
    const { events } = run(add(newHire({ timeZone: 'Pacific/Auckland', startDate: '2026-12-07' })));
    expect(events[0]!.effective).toBe('2026-12-07');
    expect(events[0]!.file.content).toContain('  start: 2026-12-07\n');
    expect(events[0]!.file.content).toContain('{ role: engineer, from: 2026-12-07 }');
  });
  it('a hire whose local start date has already come is backdated, judged in their own zone', () => {
    // At 15:00Z on 1 December it is already 2 December in Auckland, still 1 December in New York.
    const auckland = run(add(newHire({ timeZone: 'Pacific/Auckland', startDate: '2026-12-01' }))).events[0]!;
    const newYork = run(add(newHire({ timeZone: 'America/New_York', startDate: '2026-12-01' }))).events[0]!;
    expect([auckland.backdated, newYork.backdated]).toEqual([true, false]);
  });
});
