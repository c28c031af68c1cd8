/**
 * The pure parts of leavers on time: which leavers a run takes (dueLeavers), how a record's
 * changes become each leaver's timing and SLA verdict (leaverTimings), and how offboarding
 * records become holds (readHolds, withHolds). Table cases, named as sentences.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dueLeavers } from '../../src/apply/leaver-schedule.js';
import { leaverTimings } from '../../src/apply/leaver-timing.js';
import { loadRepository } from '../../src/load/load-repo.js';
import { policy as policySchema } from '../../src/model/schema.js';
import { readHolds } from '../../src/records/holds.js';
import type { ApplyRecord, ChangeResult } from '../../src/records/schema.js';
import { withHolds } from '../../src/resolve/holds.js';
import { indexRepository } from '../../src/resolve/repo-index.js';
import { cleanTempDirs, copyExample, tempDir } from './helpers.js';

afterAll(cleanTempDirs);

const policy = policySchema.parse({
  organisation: { name: 'T', domain: 'example.com' },
  timezone: 'UTC',
  providers: { local: { directory: '.jml/directory.json' } },
  teams: { hr: ['h'], security: ['s'] },
  sla: { leaverMinutes: 60, highRiskLeaverMinutes: 15 },
});
const END = '2026-12-11T21:00:00.000Z';
const at = (minutes: number, seconds = 0) =>
  new Date(Date.parse(END) + minutes * 60_000 + seconds * 1000).toISOString();

function change(over: Partial<ChangeResult> & Pick<ChangeResult, 'action' | 'provider'>): ChangeResult {
  return {
    id: `${over.provider}/p@example.com/${over.action}`,
    person: 'p',
    login: 'p@example.com',
    event: { kind: 'leaver', date: END },
    startedAt: at(0),
    finishedAt: at(0, 2),
    status: 'applied',
    ...over,
  };
}

describe('leaverTimings', () => {
  const now = Date.parse(at(5));
  const cases: [
    string,
    ChangeResult[],
    Partial<ReturnType<typeof leaverTimings>[number]> | undefined,
    number?,
  ][] = [
    [
      'a disable confirmed two seconds after the instant is within the hour',
      [change({ action: 'disableUser', provider: 'okta' })],
      { lagSeconds: 2, withinSla: true, confirmedAt: at(0, 2), deadline: at(60), slaMinutes: 60 },
    ],
    [
      'the last provider to confirm sets the lag',
      [
        change({ action: 'disableUser', provider: 'okta' }),
        change({ action: 'revokeSessions', provider: 'entra', finishedAt: at(0, 9) }),
      ],
      { lagSeconds: 9, withinSla: true },
    ],
    [
      'an account found already disabled counts as confirmed',
      [change({ action: 'disableUser', provider: 'okta', status: 'unchanged' })],
      { withinSla: true, lagSeconds: 2 },
    ],
    [
      'a high-risk leaver confirmed after 20 minutes breaches the 15-minute SLA',
      [
        change({
          action: 'disableUser',
          provider: 'okta',
          finishedAt: at(20),
          event: { kind: 'leaver', date: END, highRisk: true },
        }),
      ],
      { withinSla: false, slaMinutes: 15, deadline: at(15), lagSeconds: 1200 },
    ],
    [
      'a failed disable before the deadline is not yet a breach',
      [change({ action: 'disableUser', provider: 'okta', status: 'failed', error: 'HTTP 500' })],
      { confirmedAt: null, lagSeconds: null, withinSla: null },
    ],
    [
      'a failed disable after the deadline is a breach',
      [change({ action: 'disableUser', provider: 'okta', status: 'failed', error: 'HTTP 500' })],
      { withinSla: false },
      Date.parse(at(61)),
    ],
    [
      "the provider's own sign-in-off time counts, not the end of its best-effort steps",
      [
        change({
          action: 'disableUser',
          provider: 'entra',
          finishedAt: at(0, 30),
          steps: [
            { step: 'disable-sign-in', status: 'applied', at: at(0, 1) },
            { step: 'mailbox-forwarding', status: 'applied', at: at(0, 29) },
          ],
        }),
      ],
      { lagSeconds: 1 },
    ],
    [
      "a step time from another clock (outside the change's span) is ignored",
      [
        change({
          action: 'disableUser',
          provider: 'entra',
          steps: [{ step: 'disable-sign-in', status: 'applied', at: '2020-01-01T00:00:00.000Z' }],
        }),
      ],
      { lagSeconds: 2 },
    ],
    [
      'a disable that failed in a later step (a device wipe) still confirms sign-in off at its step',
      [
        change({
          action: 'disableUser',
          provider: 'entra',
          status: 'failed',
          error: 'devices: 1 failed',
          finishedAt: at(0, 20),
          steps: [
            { step: 'disable-sign-in', status: 'applied', at: at(0, 1) },
            { step: 'wipe-devices', status: 'failed', at: at(0, 19) },
          ],
        }),
      ],
      {
        lagSeconds: 1,
        withinSla: true,
        providers: [expect.objectContaining({ failed: ['entra/p@example.com/disableUser'] })],
      },
    ],
    [
      'a confirmation before the end instant is lag 0, never negative, and says how early',
      [
        change({ action: 'disableUser', provider: 'okta', startedAt: at(-30), finishedAt: at(-20) }),
        change({ action: 'revokeSessions', provider: 'okta', startedAt: at(-30), finishedAt: at(-19, -30) }),
      ],
      { lagSeconds: 0, confirmedEarlySeconds: 1170, confirmedAt: at(-19, -30), withinSla: true },
    ],
    [
      'a record with only group removals for the leaver has no timing',
      [change({ action: 'revoke', provider: 'okta' })],
      undefined,
    ],
  ];
  it.each(cases)('%s', (_, changes, expected, when) => {
    const [t] = leaverTimings(changes, policy, when ?? now);
    if (expected === undefined) expect(t).toBeUndefined();
    else expect(t).toMatchObject(expected);
  });

  it('a confirmation after the end instant says nothing about coming early', () => {
    const [t] = leaverTimings([change({ action: 'disableUser', provider: 'okta' })], policy, now);
    expect(t!.lagSeconds).toBe(2);
    expect(t).not.toHaveProperty('confirmedEarlySeconds');
  });

  it('a termination merged late is judged from the merge and marked backdated', () => {
    const [t] = leaverTimings(
      [change({ action: 'disableUser', provider: 'okta', finishedAt: at(90) })],
      policy,
      now,
      new Map([['p', at(80)]]),
    );
    expect(t).toMatchObject({
      backdated: true,
      knownAt: at(80),
      deadline: at(140),
      withinSla: true,
      lagSeconds: 5400,
    });
  });
});

describe('dueLeavers and holds on the example organisation', () => {
  const dir = copyExample('jml-due-');
  const load = () => {
    const { repo } = loadRepository(dir);
    return indexRepository(repo, repo.policy!.value);
  };
  const ben = Date.parse('2026-12-11T21:00:00Z'); // high risk
  const emma = Date.parse('2026-12-18T22:00:00Z');

  it('takes the leavers due in the window, grouped by instant, and one already due at once', () => {
    const index = load();
    expect(dueLeavers(index, ben - 10 * 60_000, 20 * 60_000, 86_400_000)).toEqual([
      { at: ben, people: ['ben.carter'], highRisk: true },
    ]);
    expect(dueLeavers(index, ben - 30 * 60_000, 20 * 60_000, 86_400_000)).toEqual([]);
    // Past the instant but within the lookback: due now.
    expect(dueLeavers(index, ben + 60_000, 20 * 60_000, 86_400_000)).toEqual([
      { at: ben + 60_000, people: ['ben.carter'], highRisk: true },
    ]);
    expect(dueLeavers(index, ben + 2 * 86_400_000, 20 * 60_000, 86_400_000)).toEqual([]);
    expect(dueLeavers(index, emma - 60_000, 20 * 60_000, 0)).toEqual([
      { at: emma, people: ['emma.schultz'], highRisk: false },
    ]);
  });

  it('a standing offboarding ends access at its instant; a cancelled or empty one holds nothing', () => {
    const records = tempDir('jml-holds-');
    const write = (name: string, r: Partial<ApplyRecord>) => {
      mkdirSync(path.join(records, 'restored'), { recursive: true });
      writeFileSync(path.join(records, name), JSON.stringify(r));
    };
    const applied = [change({ action: 'disableUser', provider: 'okta' })];
    const entry = (person: string, when: string) => ({
      person,
      at: when,
      reason: 'SEC-1',
      requestedBy: 'x',
      operator: 'erin.mcbride',
    });
    write('restored/2026-12-01T15-00-00-000Z-offboard-emma.schultz-aa-applied.json', {
      startedAt: '2026-12-01T15:00:00.000Z',
      changes: applied,
      offboard: entry('emma.schultz', '2026-12-01T15:00:00.000Z'),
    });
    write('2026-12-01T16-00-00-000Z-offboard-tomas.novak-bb-applied.json', {
      startedAt: '2026-12-01T16:00:00.000Z',
      changes: applied,
      offboard: entry('tomas.novak', '2026-12-01T16:00:00.000Z'),
    });
    write('2026-12-01T17-00-00-000Z-offboard-tomas.novak-cc-no-changes.json', {
      startedAt: '2026-12-01T17:00:00.000Z',
      changes: [],
      offboard: { ...entry('tomas.novak', '2026-12-01T17:00:00.000Z'), cancelled: true },
    });
    write('2026-12-01T18-00-00-000Z-offboard-ben.carter-dd-refused.json', {
      startedAt: '2026-12-01T18:00:00.000Z',
      changes: [],
      offboard: entry('ben.carter', '2026-12-01T18:00:00.000Z'),
    });
    const { holds } = readHolds(records);
    expect([...holds.keys()]).toEqual(['emma.schultz']);

    const held = withHolds(load(), holds);
    const index = held.index;
    expect(held.applied.map((h) => h.person)).toEqual(['emma.schultz']);
    expect(index.people.get('emma.schultz')!.value.employment).toMatchObject({
      end: '2026-12-01T15:00:00.000Z',
      highRisk: true,
    });

    // A hold made during an earlier employment does not hold a rehire (a later start).
    const rehired = load();
    const emmaFile = rehired.people.get('emma.schultz')!;
    rehired.people.set('emma.schultz', {
      ...emmaFile,
      value: {
        ...emmaFile.value,
        employment: { ...emmaFile.value.employment, start: '2027-03-01', end: undefined },
      },
    });
    const earlierEmployment = { ...holds.get('emma.schultz')!, employmentStart: '2022-03-14' };
    expect(withHolds(rehired, new Map([['emma.schultz', earlierEmployment]])).applied).toEqual([]);
    expect(
      withHolds(load(), new Map([['emma.schultz', earlierEmployment]])).applied.map((h) => h.person),
    ).toEqual(['emma.schultz']);

    // A hold never extends access: an earlier end in the file is kept.
    const hold = holds.get('emma.schultz')!;
    const earlier = withHolds(
      load(),
      new Map([['emma.schultz', { ...hold, at: '2027-01-31T00:00:00.000Z' }]]),
    ).index;
    expect(earlier.people.get('emma.schultz')!.value.employment.end).toBe('2026-12-18T17:00:00-05:00');
  });
});
