/**
 * Missing controls are findings (issue 15): a quarter that ended without a completed access
 * review, a joiner the records granted with no day-one confirmation within its SLA, a removal
 * ticket open or closed past its SLA (the high-risk leaver SLA for a high-risk leaver's access),
 * an exception approved by its own subject. Ticket and day-one state come from the records, so
 * none of it vanishes without GitHub. The pack's builders are run on inputs built here
 * (test/evidence/controls-fixture.ts); day-one-status and the pack run as the CLI against the
 * GitHub fake.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { indexCheckout } from '../../src/engine/checkout.js';
import { readRecords } from '../../src/records/store.js';
import { buildAccessReviews } from '../../src/report/evidence/access-reviews.js';
import { buildDayOne } from '../../src/report/evidence/day-one.js';
import { buildExceptions } from '../../src/report/evidence/exceptions.js';
import { campaignsInPeriod, gatherReview } from '../../src/report/evidence/review-gather.js';
import { buildSaasInventory } from '../../src/report/evidence/saas-inventory.js';
import type { Artifact, Row } from '../../src/report/evidence/types.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { OWNER, pointCliAt, REPO, specMismatches, startGitHub } from '../fakes/github/harness.js';
import { dayOneIssue, fixtureWithGitHubLogins } from '../github/helpers.js';
import {
  applyRecordAt,
  change,
  evidenceInput,
  exampleIndex,
  HOUR,
  plus,
  RecordsDir,
} from './controls-fixture.js';

afterAll(cleanTempDirs);

const texts = (a: Artifact) => a.findings.map((f) => f.text);
const tickets = (a: Artifact) => a.rows.filter((r) => r.kind === 'ticket');
const SINCE = '2026-08-12T12:00:00Z';

/** reviews/<q>/campaign.yaml and one reviewer file whose items are `decisions`, due on `due`. */
function writeCampaign(dir: string, q: string, due: string, decisions: string[]): void {
  const folder = path.join(dir, 'reviews', q);
  mkdirSync(folder, { recursive: true });
  const file = `reviews/${q}/tomas.novak.yaml`;
  writeFileSync(
    path.join(folder, 'campaign.yaml'),
    [
      `quarter: ${q}`,
      'startedAt: 2026-09-01T13:00:00Z',
      `due: ${due}`,
      'commit: null',
      'exportFingerprint:',
      `  plan: sha256:${'a'.repeat(64)}`,
      `  sha256: ${'b'.repeat(64)}`,
      'scope: [{ provider: okta, simulated: true }]',
      'noResponse: keep',
      'highRiskNoResponse: revoke',
      'inactivityDays: 90',
      `reviewers: [{ file: ${file}, reviewer: tomas.novak, items: ${decisions.length} }]`,
      `items: ${decisions.length}`,
      '',
    ].join('\n'),
  );
  const items = decisions.map((decision, i) =>
    [
      `  - id: noah.fischer/okta/slack-members-${i}`,
      '    person: noah.fischer',
      '    account: noah.fischer@example.com',
      '    provider: okta',
      '    entitlement: slack-members',
      '    target: Slack',
      '    risk: low',
      '    source: { kind: role, id: employee, at: people/noah.fischer.yaml:13 }',
      '    accountEnabled: true',
      '    lastSignIn: null',
      '    inactive: null',
      '    exceptionExpiresSoon: false',
      `    decision: ${decision}`,
      `    justification: ''`,
    ].join('\n'),
  );
  writeFileSync(
    path.join(folder, 'tomas.novak.yaml'),
    [`quarter: ${q}`, 'reviewer: tomas.novak', 'items:', ...items, ''].join('\n'),
  );
}

describe('access reviews', () => {
  it('no access review in a quarter that ended is a finding', async () => {
    const { dir, index } = exampleIndex();
    // 03:00Z on 1 October is still 30 September in New York (the policy's zone): Q3 has not ended.
    const before = buildAccessReviews(evidenceInput(index, [], { since: SINCE, at: '2026-10-01T03:00:00Z' }));
    expect(before.findings).toEqual([]);
    expect(before.notes[0]).toContain('No quarter ended in the period (boundaries in America/New_York)');

    const after = buildAccessReviews(evidenceInput(index, [], { since: SINCE, at: '2026-10-01T05:00:00Z' }));
    expect(texts(after)).toEqual([
      'No access review for 2026-Q3: the quarter ended at the start of 2026-10-01 (America/New_York) and reviews/2026-Q3/campaign.yaml does not exist.',
    ]);
    expect(after.rows).toEqual([
      expect.objectContaining({
        quarter: '2026-Q3',
        outcome: 'no access review campaign',
        result: 'FINDING',
      }),
    ]);

    // A campaign with an item still pending after its due date is not a completed review.
    writeCampaign(dir, '2026-Q3', '2026-09-22', ['keep', 'pending']);
    const started = indexCheckout(dir);
    const at = '2026-10-05T12:00:00Z';
    const gathered = await gatherReview({
      root: dir,
      index: started,
      quarter: '2026-Q3',
      records: [],
      actual: [],
      at: Date.parse(at),
      missingGitHub: 'not read in this test',
    });
    const input = { ...evidenceInput(started, [], { since: SINCE, at }), reviews: [gathered!] };
    expect(texts(buildAccessReviews(input))).toContain(
      'The access review for 2026-Q3 is not completed (the quarter ended at the start of 2026-10-01 (America/New_York); due 2026-09-22): 1 of 2 item(s) undecided with no policy outcome recorded.',
    );

    // The pack gathers that campaign even when it was due before the period began: Q3 ended in it.
    expect(campaignsInPeriod(started, Date.parse('2026-09-25T00:00:00Z'), Date.parse(at))).toEqual([
      '2026-Q3',
    ]);
    expect(campaignsInPeriod(started, Date.parse('2026-10-02T00:00:00Z'), Date.parse(at))).toEqual([]);

    // Every item decided: the quarter was reviewed, no finding about it.
    writeCampaign(dir, '2026-Q3', '2026-09-22', ['keep', 'keep']);
    const done = indexCheckout(dir);
    const complete = await gatherReview({
      root: dir,
      index: done,
      quarter: '2026-Q3',
      records: [],
      actual: [],
      at: Date.parse(at),
      missingGitHub: 'not read in this test',
    });
    const reviewed = buildAccessReviews({
      ...evidenceInput(done, [], { since: SINCE, at }),
      reviews: [complete!],
    });
    expect(texts(reviewed).filter((t) => t.includes('2026-Q3'))).toEqual([]);
    expect(reviewed.notes).toContain(
      '2026-Q3: completed: every item of the population decided or settled at the due date.',
    );
  });
});

describe('day one', () => {
  const GRANTED = '2026-09-08T13:05:00.000Z';
  const joinerRecord = () =>
    applyRecordAt(GRANTED, [
      change(
        {
          action: 'createUser',
          person: 'noah.fischer',
          provider: 'local',
          event: { kind: 'joiner', date: '2026-09-08' },
        },
        GRANTED,
      ),
      change(
        {
          action: 'grant',
          person: 'noah.fischer',
          provider: 'okta',
          entitlement: 'slack-members',
          event: { kind: 'joiner', date: '2026-09-08' },
        },
        GRANTED,
      ),
    ]);

  it('joiner without day-one confirmation within SLA is a finding without GitHub', () => {
    const { index } = exampleIndex();
    const records = new RecordsDir().write(joinerRecord()).read();
    // Within the 24 h: open, no finding yet.
    const early = buildDayOne(evidenceInput(index, records, { since: SINCE, at: plus(GRANTED, 20) }));
    expect(early.rows).toEqual([
      expect.objectContaining({ person: 'noah.fischer', source: 'not evidenced', result: 'open' }),
    ]);
    expect(early.findings).toEqual([]);
    // Past it, with no issue and no observation: a finding, though GitHub was not read.
    const late = buildDayOne(evidenceInput(index, records, { since: SINCE, at: plus(GRANTED, 48) }));
    expect(late.rows[0]).toMatchObject({ grantedAt: GRANTED, dueAt: plus(GRANTED, 24), result: 'FINDING' });
    expect(texts(late)).toEqual([
      expect.stringMatching(
        /^noah\.fischer's day-one access \(granted 2026-09-08T13:05:00\.000Z, .*\) has no day-one confirmation on record: .*GitHub was not read\.$/,
      ),
    ]);

    // Recorded answers: the manager confirmed after 30 h (late), IT reviewed in time.
    const url = 'https://github.com/acme/access/issues/7';
    const observed = new RecordsDir()
      .write(joinerRecord())
      .observe(plus(GRANTED, 31), {
        dayOne: [
          {
            person: 'noah.fischer',
            url,
            grantedAt: GRANTED,
            dueAt: plus(GRANTED, 24),
            confirmedAt: plus(GRANTED, 30),
            confirmedBy: 'tnovak',
            reviewedAt: plus(GRANTED, 2),
            reviewedBy: 'kasante',
            flagged: [],
            state: 'closed',
            observedAt: plus(GRANTED, 31),
          },
        ],
      })
      .read();
    const judged = buildDayOne(evidenceInput(index, observed, { since: SINCE, at: plus(GRANTED, 48) }));
    expect(judged.rows[0]).toMatchObject({
      issue: '#7',
      confirmedAt: plus(GRANTED, 30),
      confirmedBy: 'tnovak',
      reviewedBy: 'kasante',
      withinSla: false,
      result: 'FINDING',
    });
    expect(texts(judged)).toEqual([
      expect.stringContaining("noah.fischer's day-one access was not confirmed by the manager within 24 h"),
    ]);
  });

  it("the first import's people and a replay's joiners are not judged for day one", () => {
    const { index } = exampleIndex();
    const IMPORT = '2026-06-02T13:00:00.000Z';
    const onboarding = applyRecordAt(IMPORT, [
      change(
        {
          action: 'createUser',
          person: 'zoe.anders',
          provider: 'local',
          event: { kind: 'joiner', date: '2021-03-08' },
        },
        IMPORT,
      ),
    ]);
    const replay = applyRecordAt(
      plus(GRANTED, 1),
      [
        change(
          {
            action: 'createUser',
            person: 'noah.fischer',
            provider: 'local',
            event: { kind: 'joiner', date: '2026-09-08' },
          },
          GRANTED,
        ),
      ],
      { simulated: { startedAt: GRANTED, finishedAt: GRANTED, offsetMs: -HOUR } },
    );
    const records = new RecordsDir().write(onboarding).write(replay).read();
    const a = buildDayOne(
      evidenceInput(index, records, { since: '2026-05-01T00:00:00Z', at: plus(GRANTED, 72) }),
    );
    expect(a.rows.map((r) => [r.person, r.result])).toEqual([
      ['noah.fischer', 'simulated: not SLA evidence'],
    ]);
    expect(a.findings).toEqual([]);
  });

  it('day-one-status records the confirmation and the pack reads it without GitHub', async () => {
    const AT = '2027-02-02T14:00:00Z';
    const h = await startGitHub();
    const restore = pointCliAt(h);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date(AT));
      const dir = fixtureWithGitHubLogins(h);
      const applied = await jml(dir, 'apply', '--confirm', '--at', AT);
      // The fixture's leaver is applied late at AT (exit 3, SLA breach): the joiner is what counts here.
      expect([0, 3], applied.err).toContain(applied.code);
      expect((await jml(dir, 'github', 'day-one')).code).toBe(0);
      const { issue, granted, at, say } = dayOneIssue(h);
      say('hana-h', '/confirm', 2);
      say('sam-s', '/reviewed', 3);

      const recordsDir = path.join(dir, '.jml/records');
      const observations = () => readRecords(recordsDir).records.filter((r) => r.record.dayOne !== undefined);
      vi.setSystemTime(new Date(at(4)));
      const first = await jml(dir, 'github', 'day-one-status');
      expect(first.code, first.out + first.err).toBe(0);
      expect(first.err).toMatch(/^Recorded 1 day-one state\(s\) \(1 new or changed\) in \.jml\/records\//);
      expect(observations()).toHaveLength(1);
      expect(observations()[0]!.record.dayOne).toEqual([
        {
          person: 'jo.joiner',
          url: `https://github.com/${OWNER}/${REPO}/issues/${issue.number}`,
          grantedAt: at(0),
          dueAt: at(24),
          confirmedAt: at(2),
          confirmedBy: 'hana-h',
          reviewedAt: at(3),
          reviewedBy: 'sam-s',
          flagged: [],
          state: 'open',
          observedAt: at(4),
        },
      ]);
      // Nothing changed since: nothing more is written. A judgement of the past records nothing.
      vi.setSystemTime(new Date(at(5)));
      expect((await jml(dir, 'github', 'day-one-status')).code).toBe(0);
      const past = await jml(dir, 'github', 'day-one-status', '--at', at(1));
      expect(past.err).toMatch(/^Nothing recorded: judged at .* before now/);
      expect(observations()).toHaveLength(1);
      // The last observation kept only on the evidence branch (a copy of its records/, --evidence):
      // still nothing new to record.
      const kept = path.join(recordsDir, observations()[0]!.file);
      const branch = path.join(tempDir('jml-controls-branch-'), 'records/2027/02');
      mkdirSync(branch, { recursive: true });
      renameSync(kept, path.join(branch, path.basename(kept)));
      const viaBranch = await jml(
        dir,
        'github',
        'day-one-status',
        '--evidence',
        path.dirname(path.dirname(branch)),
      );
      expect(viaBranch.code, viaBranch.err).toBe(0);
      expect(viaBranch.err).not.toContain('Recorded');
      expect(observations()).toHaveLength(0);
      renameSync(path.join(branch, path.basename(kept)), kept);

      // The pack without GitHub: the confirmation comes from the record.
      restore();
      delete process.env.GITHUB_TOKEN;
      delete process.env.GITHUB_REPOSITORY;
      vi.setSystemTime(new Date(at(30)));
      const out = path.join(tempDir('jml-controls-pack-'), 'pack');
      const pack = await jml(dir, 'evidence', '--out', out, '--at', at(30));
      expect(pack.err).toContain('GITHUB_TOKEN and GITHUB_REPOSITORY are not set');
      const rows = parse(readFileSync(path.join(out, 'day-one.csv'), 'utf8'), {
        columns: true,
        bom: true,
      }) as Record<string, string>[];
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row).toMatchObject({
        Joiner: 'jo.joiner',
        'Confirmed by': 'hana-h',
        'Reviewed by': 'sam-s',
        'Within SLA': 'yes',
      });
      expect(Date.parse(row['Confirmed at']!)).toBe(granted + 2 * HOUR);
      expect(Date.parse(row['Reviewed at']!)).toBe(granted + 3 * HOUR);
      expect(row['Read from']).toMatch(/^record .*no-changes\.json \(observed /);
      expect(pack.out).not.toMatch(/FINDING day-one/);
    } finally {
      vi.useRealTimers();
      restore();
      const mismatches = specMismatches(h.fake);
      await h.close();
      expect(mismatches).toEqual([]);
    }
  });
});

describe('tickets', () => {
  const END = '2026-10-15T21:00:00.000Z';
  const NETSUITE = 'https://github.com/acme/access/issues/41';
  const OFFBOARDING = 'https://github.com/acme/access/issues/42';
  const GRANT = 'https://github.com/acme/access/issues/43';

  /** Liam leaves at END; his NetSuite access is removed by ticket, and a joiner's Figma seat granted by one. */
  const leaverRecord = () =>
    applyRecordAt(
      plus(END, 0.05),
      [
        change(
          {
            action: 'disableUser',
            person: 'liam.walsh',
            provider: 'local',
            event: { kind: 'leaver', date: END },
          },
          END,
        ),
        change(
          {
            action: 'openTicket',
            person: 'liam.walsh',
            provider: 'manual',
            entitlement: 'netsuite-gl-viewer',
            operation: 'revoke',
            event: { kind: 'leaver', date: END },
          },
          END,
        ),
        change(
          {
            action: 'openTicket',
            person: 'noah.fischer',
            provider: 'manual',
            entitlement: 'figma-editor',
            operation: 'grant',
            event: { kind: 'joiner', date: '2026-10-15' },
          },
          END,
        ),
      ],
      {
        workIssues: [
          { person: 'liam.walsh', app: 'netsuite', url: NETSUITE, openedAt: plus(END, 0.1) },
          { person: 'liam.walsh', app: 'offboarding', url: OFFBOARDING, openedAt: plus(END, 0.1) },
          { person: 'noah.fischer', app: 'figma', url: GRANT, openedAt: plus(END, 0.1) },
        ],
      },
    );
  const observedOpen = (url: string, person: string, app: string, operation: 'grant' | 'revoke') => ({
    person,
    app,
    url,
    operation,
    state: 'open' as const,
    openedAt: plus(END, 0.1),
    closedAt: null,
    closedBy: null,
    observedAt: plus(END, 1),
  });

  it('leaver ticket open past its SLA is a finding', () => {
    const { index } = exampleIndex();
    const records = new RecordsDir()
      .write(leaverRecord())
      .observe(plus(END, 1), {
        tickets: [
          observedOpen(NETSUITE, 'liam.walsh', 'netsuite', 'revoke'),
          observedOpen(OFFBOARDING, 'liam.walsh', 'offboarding', 'revoke'),
          observedOpen(GRANT, 'noah.fischer', 'figma', 'grant'),
        ],
      })
      .read();
    // Three weeks later, all three still open: the two removals are findings, the grant is not.
    const at = plus(END, 21 * 24);
    const a = buildSaasInventory(evidenceInput(index, records, { since: SINCE, at }));
    expect(texts(a)).toEqual([
      `Ticket for liam.walsh's NetSuite access removal (${NETSUITE}) is open past its SLA of 24 h (sla.manualWorkHours): opened ${plus(END, 0.1)}, due ${plus(END, 24.1)}, still open at ${at}.`,
      `Ticket for liam.walsh's offboarding steps (${OFFBOARDING}) is open past its SLA of 24 h (sla.manualWorkHours): opened ${plus(END, 0.1)}, due ${plus(END, 24.1)}, still open at ${at}.`,
    ]);
    expect(tickets(a).map((r) => [r.ticket, r.operation, r.result])).toEqual([
      [NETSUITE, 'revoke', 'FINDING'],
      [OFFBOARDING, 'revoke', 'FINDING'],
      [GRANT, 'grant', null],
    ]);
    // Within the SLA it is only open.
    const early = buildSaasInventory(evidenceInput(index, records, { since: SINCE, at: plus(END, 20) }));
    expect(early.findings).toEqual([]);
    expect(tickets(early)[0]!.result).toBe('open');
    // Nobody recorded its state and GitHub was not read: its closing is not evidenced, a finding too.
    const unseen = buildSaasInventory(
      evidenceInput(index, new RecordsDir().write(leaverRecord()).read(), { since: SINCE, at }),
    );
    expect(texts(unseen)[0]).toBe(
      `Ticket for liam.walsh's NetSuite access removal (${NETSUITE}) has no recorded state (no ticket-status observation, GitHub not read): its closing within the SLA of 24 h (sla.manualWorkHours) is not evidenced (opened ${plus(END, 0.1)}, due ${plus(END, 24.1)}).`,
    );
  });

  it('high-risk leaver ticket closed after 30 hours is a finding', () => {
    const { index } = exampleIndex();
    const end = '2026-12-11T21:00:00.000Z'; // Ben Carter, high-risk: a 15-minute cut-off
    const docusign = 'https://github.com/acme/access/issues/51';
    const changes = [
      change(
        {
          action: 'disableUser',
          person: 'ben.carter',
          provider: 'local',
          event: { kind: 'leaver', date: end, highRisk: true },
        },
        end,
      ),
      change(
        {
          action: 'openTicket',
          person: 'ben.carter',
          provider: 'manual',
          entitlement: 'docusign-sender',
          operation: 'revoke',
          event: { kind: 'leaver', date: end, highRisk: true },
        },
        end,
      ),
    ];
    const leavers = [
      {
        person: 'ben.carter',
        highRisk: true,
        scheduledAt: end,
        backdated: false,
        slaMinutes: 15,
        deadline: plus(end, 0.25),
        providers: [{ provider: 'local', disabledAt: end, sessionsRevokedAt: end, failed: [] }],
        confirmedAt: end,
        lagSeconds: 0,
        withinSla: true,
      },
    ];
    const closedAfter = (hours: number) =>
      new RecordsDir()
        .write(
          applyRecordAt(end, changes, {
            leavers,
            workIssues: [{ person: 'ben.carter', app: 'docusign', url: docusign, openedAt: plus(end, 0.05) }],
          }),
        )
        .observe(plus(end, hours + 0.1), {
          tickets: [
            {
              person: 'ben.carter',
              app: 'docusign',
              url: docusign,
              operation: 'revoke',
              state: 'closed',
              openedAt: plus(end, 0.05),
              closedAt: plus(end, hours),
              closedBy: 'dokafor',
              observedAt: plus(end, hours + 0.1),
            },
          ],
        })
        .read();
    const window = { since: '2026-11-01T00:00:00Z', at: plus(end, 48) };
    const late = buildSaasInventory(evidenceInput(index, closedAfter(30), window));
    expect(texts(late)).toEqual([
      `Ticket for ben.carter's DocuSign access removal (${docusign}) was closed after its SLA of 15 min, high-risk leaver (sla.highRiskLeaverMinutes, from the end instant): opened ${plus(end, 0.05)}, due ${plus(end, 0.25)}, closed ${plus(end, 30)}.`,
    ]);
    expect(tickets(late)[0]).toMatchObject({ closedBy: 'dokafor', result: 'FINDING' });
    // Two hours is within the manual-work SLA of 24 h, but not within a high-risk leaver's 15 minutes.
    expect(texts(buildSaasInventory(evidenceInput(index, closedAfter(2), window)))).toHaveLength(1);
  });

  it('tickets survive without GitHub', () => {
    const { index } = exampleIndex();
    const records = new RecordsDir()
      .write(leaverRecord())
      .observe(plus(END, 1), {
        tickets: [
          observedOpen(NETSUITE, 'liam.walsh', 'netsuite', 'revoke'),
          observedOpen(OFFBOARDING, 'liam.walsh', 'offboarding', 'revoke'),
        ],
      })
      .observe(plus(END, 6), {
        tickets: [
          {
            ...observedOpen(NETSUITE, 'liam.walsh', 'netsuite', 'revoke'),
            state: 'closed',
            closedAt: plus(END, 5),
            closedBy: 'plindqvist',
            observedAt: plus(END, 6),
          },
        ],
      })
      .read();
    const a = buildSaasInventory(evidenceInput(index, records, { since: SINCE, at: plus(END, 20) }));
    const byUrl = new Map(tickets(a).map((r) => [r.ticket, r] as [unknown, Row]));
    expect(byUrl.get(NETSUITE)).toMatchObject({
      person: 'liam.walsh',
      openedAt: plus(END, 0.1),
      ticketState: 'closed',
      closedAt: plus(END, 5),
      closedBy: 'plindqvist',
      result: 'pass',
    });
    expect(String(byUrl.get(NETSUITE)!.stateFrom)).toMatch(
      /^record .*\(observed 2026-10-16T03:00:00\.000Z\)$/,
    );
    expect(byUrl.get(OFFBOARDING)).toMatchObject({ ticketState: 'open', result: 'open' });
    // The grant ticket was never observed: still listed, with when it was opened.
    expect(byUrl.get(GRANT)).toMatchObject({ openedAt: plus(END, 0.1), ticketState: null });
    expect(a.findings).toEqual([]);
  });
});

describe('exceptions', () => {
  it('an exception approved by its own subject is a finding', () => {
    const { dir } = exampleIndex();
    writeFileSync(
      path.join(dir, 'exceptions/EXC-0099.yaml'),
      [
        'id: EXC-0099',
        'person: zoe.anders',
        'entitlements: [slack-members]',
        'justification: Shared channel with a customer (OPS-99).',
        'approvers: [zoe.anders]',
        'from: 2026-09-01',
        'expires: 2026-12-01',
        '',
      ].join('\n'),
    );
    const index = indexCheckout(dir);
    const a = buildExceptions(evidenceInput(index, [], { since: SINCE, at: '2026-10-01T12:00:00Z' }));
    expect(texts(a)).toContain(
      'EXC-0099 (zoe.anders: slack-members) lists its own subject zoe.anders as an approver (exceptions/EXC-0099.yaml): nobody approves access for themselves.',
    );
    expect(readdirSync(path.join(dir, 'exceptions'))).toContain('EXC-0099.yaml');
  });
});
