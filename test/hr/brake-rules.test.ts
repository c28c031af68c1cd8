/**
 * The HR brake's rules, pure: how the cuts are counted against the limits, and which people/ a
 * snapshot speaks for. The example organisation's index (50 people active on 2026-12-01) with
 * the policy varied per case, and leaver events built by hand.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkHrBrake, namedIds, scopesOf } from '../../src/hr/brake.js';
import type { HrRecord } from '../../src/hr/snapshot.js';
import type { HrEvent } from '../../src/hr/types.js';
import type { Policy } from '../../src/model/schema.js';
import type { RepoIndex } from '../../src/resolve/repo-index.js';
import { checkRepository } from '../../src/validate/validate.js';
import { cleanTempDirs } from '../engine/helpers.js';
import { baseline, hrExample, NOW, newHire } from '../fixtures/hr/northwind.js';

afterAll(cleanTempDirs);

const example = checkRepository(hrExample(), NOW).index!;
const people = [...example.people.values()].map((p) => p.value.id).filter((id) => id !== 'kevin.obrien');

function indexWith(safety: Partial<Policy['safety']>): RepoIndex {
  return { ...example, policy: { ...example.policy, safety: { ...example.policy.safety, ...safety } } };
}

/** An overdue leaver of `person`, ended an hour before the sync. */
function leaver(person: string, over: Partial<HrEvent> = {}): HrEvent {
  return {
    event: 'leaver',
    person,
    effective: '2026-11-30',
    endInstant: '2026-12-01T09:00:00-05:00',
    record: { source: 'bamboohr', sourceId: example.people.get(person)!.value.hrId!, asOf: '' },
    file: { path: `people/${person}.yaml`, content: '' },
    changes: [],
    managers: [],
    overdue: true,
    backdated: true,
    highRisk: false,
    dependsOn: [],
    notes: [],
    idempotencyKey: person,
    ...over,
  };
}

const everyoneNamed = new Set(baseline().map((r) => r.sourceId));
const scopes = [{ source: 'bamboohr', idPrefix: 'BHR-' }];
const brake = (index: RepoIndex, events: HrEvent[], held: string[] = []) =>
  checkHrBrake({ index, now: NOW, events, held: new Set(held), named: everyoneNamed, scopes });

describe('the cuts against the limits', () => {
  const cases: [string, Partial<Policy['safety']>, number, string[], number][] = [
    ['at maxDisables and at 10% of 50, it is not over', {}, 5, [], 5],
    ['one over maxDisables is over both', {}, 6, ['safety.maxDisables', 'safety.maxDisableShare'], 5],
    ['under maxDisables, over a smaller share', { maxDisableShare: 0.05 }, 3, ['safety.maxDisableShare'], 2],
    ['a share that rounds below one person still lets one cut through', { maxDisableShare: 0.01 }, 1, [], 1],
    ['…but never two', { maxDisableShare: 0.01 }, 2, ['safety.maxDisableShare'], 1],
    ['maxDisables: 0 stops even one cut', { maxDisables: 0 }, 1, ['safety.maxDisables'], 5],
    [
      '58% of 50 is 29 people, not the 28 floating point gives',
      { maxDisables: 100, maxDisableShare: 0.58 },
      29,
      [],
      29,
    ],
  ];
  it.each(cases)('%s', (_name, safety, cuts, over, shareLimit) => {
    const verdict = brake(
      indexWith(safety),
      people.slice(0, cuts).map((p) => leaver(p)),
    );
    expect(verdict.activeWorkforce).toBe(50);
    expect(verdict.cuts).toHaveLength(cuts);
    expect(verdict.over).toEqual(over);
    expect(verdict.limits.shareLimit).toBe(shareLimit);
  });

  it('counts only the cuts it would make: not a leaver already held, nor one who is not overdue, nor other events', () => {
    const verdict = brake(
      example,
      [
        leaver('priya.raman'),
        leaver('ravi.patel'),
        leaver('chloe.dubois', { overdue: false }),
        leaver('grace.lin', { event: 'mover' }),
      ],
      ['ravi.patel'],
    );
    expect(verdict.cuts).toEqual([
      {
        person: 'priya.raman',
        record: { source: 'bamboohr', sourceId: 'BHR-1039' },
        endInstant: '2026-12-01T09:00:00-05:00',
        why: 'the end has passed',
      },
    ]);
  });

  it('tells an end inside the SLA window from one that has passed', () => {
    const verdict = brake(example, [leaver('priya.raman', { endInstant: '2026-12-01T10:30:00-05:00' })]);
    expect(verdict.cuts[0]!.why).toBe('the end is inside the leaver SLA window');
  });
});

describe('which people/ a snapshot speaks for', () => {
  const policy = {
    ...example.policy,
    hr: {
      ...example.policy.hr!,
      sources: {
        bamboohr: example.policy.hr!.sources.bamboohr!,
        export: {
          kind: 'csv' as const,
          file: 'hr/x.csv',
          source: 'acme-hris',
          idPrefix: 'AH-',
          columns: {},
          values: {},
        },
      },
    },
  };
  const record = (source: string): HrRecord => newHire({ source });
  const cases: [string, string | undefined, HrRecord[], { source: string; idPrefix: string }[]][] = [
    ['--source NAME: that source and its prefix', 'export', [], [{ source: 'export', idPrefix: 'AH-' }]],
    [
      'a file: the sources its records name',
      undefined,
      [record('bamboohr')],
      [{ source: 'bamboohr', idPrefix: 'BHR-' }],
    ],
    [
      'a file from a CSV source: the source written on its records',
      undefined,
      [record('acme-hris')],
      [{ source: 'acme-hris', idPrefix: 'AH-' }],
    ],
    [
      'a source policy does not know: every hrId',
      undefined,
      [record('paychex')],
      [{ source: 'paychex', idPrefix: '' }],
    ],
    [
      'an empty file: every source policy lists',
      undefined,
      [],
      [
        { source: 'bamboohr', idPrefix: 'BHR-' },
        { source: 'export', idPrefix: 'AH-' },
      ],
    ],
  ];
  it.each(cases)('%s', (_name, source, records, expected) => {
    expect(scopesOf(policy, source, records)).toEqual(expected);
  });

  it('a record that is a problem is present, not missing', () => {
    const named = namedIds([], [{ line: 3, sourceId: 'BHR-1039', message: 'bad' }, { message: 'no id' }]);
    expect([...named]).toEqual(['BHR-1039']);
  });
});
