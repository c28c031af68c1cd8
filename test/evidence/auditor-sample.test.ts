/**
 * An auditor's sample closes from the evidence pack alone (issue 15): on the fixture history of
 * test/evidence/history.ts, which holds every case the sample tripped on, the pack says what an
 * auditor needs of each without a follow-up question. One test per case, named after it. The
 * pack is written twice over the whole history (`--since 200d`, so the first import is in it):
 * with GitHub answering, and with GitHub absent, when only git and the records speak.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRepository } from '../../src/load/load-repo.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import { gatherEvidence } from '../../src/report/evidence/gather.js';
import { buildJmlEvents } from '../../src/report/evidence/jml-events.js';
import type { Artifact } from '../../src/report/evidence/types.js';
import { indexRepository } from '../../src/resolve/repo-index.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, pointCliAt, startGitHub } from '../fakes/github/harness.js';
import { AT, type History, makeHistory } from './history.js';

type CsvRow = Record<string, string>;
type Run = { code: number; out: string; err: string; dir: string };

let h: GitHubHarness;
let restore: () => void;
let history: History;
/** The pack with GitHub answering, and the one without. */
let online: Run;
let offline: Run;
/** The events artifact as built (before rendering), GitHub absent. */
let events: Artifact;

async function pack(): Promise<Run> {
  const dir = path.join(tempDir('jml-auditor-pack-'), 'pack');
  const r = await jml(history.dir, 'evidence', '--out', dir, '--at', AT, '--since', '200d');
  return { ...r, dir };
}

const file = (run: Run, name: string) => readFileSync(path.join(run.dir, name), 'utf8');
const csv = (run: Run, name: string): CsvRow[] =>
  parse(file(run, `${name}.csv`), { columns: true, bom: true });
const row = (run: Run, person: string, event?: string): CsvRow => {
  const found = csv(run, 'jml-events').filter((r) => r.Person === person && (!event || r.Event === event));
  expect(found, `${person} ${event ?? ''}`).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  h = await startGitHub();
  restore = pointCliAt(h);
  history = await makeHistory(h);
  online = await pack();
  const saved = { token: process.env.GITHUB_TOKEN, repo: process.env.GITHUB_REPOSITORY };
  delete process.env.GITHUB_TOKEN;
  delete process.env.GITHUB_REPOSITORY;
  try {
    offline = await pack();
  } finally {
    process.env.GITHUB_TOKEN = saved.token;
    process.env.GITHUB_REPOSITORY = saved.repo;
  }
  const { repo } = loadRepository(history.dir);
  const at = Date.parse(AT);
  const input = await gatherEvidence({
    root: history.dir,
    index: indexRepository(repo, repo.policy!.value),
    commit: history.sha.jack!,
    at,
    since: at - 200 * 86_400_000,
    recordsDir: path.join(history.dir, '.jml/records'),
    actual: [],
    missingGitHub: 'GitHub was not asked.',
  });
  events = buildJmlEvents(input);
});

afterAll(async () => {
  restore();
  await h.close();
  cleanTempDirs();
});

describe("an auditor's sample closes from the evidence pack alone", () => {
  it('both packs were written, with their findings (exit 2)', () => {
    expect(online.code, online.err).toBe(2);
    expect(offline.code, offline.err).toBe(2);
  });

  it("self-approved pull request: its only approval is its author's, and that is a finding", () => {
    const hana = row(online, 'hana.sato', 'mover');
    expect(hana).toMatchObject({
      'Approval source': 'github',
      'Pull request': `#${history.pr.hana}`,
      'Requester (PR author)': 'cmendez',
      'Approved by': '',
      'Manager of record': 'carlos.mendez (@cmendez)',
    });
    expect(hana['Reviews at merge']).toMatch(
      /@cmendez APPROVED .*does not count \(@cmendez is the pull request's author/,
    );
    expect(hana['Approval finding']).toMatch(
      new RegExp(`^Self-approval: the only approval of #${history.pr.hana}, hana\\.sato's mover`),
    );
    expect(online.out).toMatch(/FINDING jml-events: Self-approval: .*hana\.sato/);
  });

  it('stale-only approval: approved only on an older commit than the merged head, a finding, as captured at merge', () => {
    for (const run of [online, offline]) {
      const yusuf = row(run, 'yusuf.demir', 'mover');
      expect(yusuf).toMatchObject({
        'Approval source': 'record',
        'Approved by': '',
        'Requester (PR author)': 'ljensen',
      });
      expect(yusuf['Reviews at merge']).toMatch(/@cmendez APPROVED on ddddddd .*does not count .*stale/);
      expect(yusuf['Approvals verdict']).toMatch(/^not approved at merge \(manager-approval missing\)/);
      expect(yusuf['Approval finding']).toMatch(
        /^Stale-only approval: .*yusuf\.demir's mover.*older commit than the merged head/,
      );
      expect(run.out).toMatch(/FINDING jml-events: Stale-only approval: .*yusuf\.demir/);
    }
  });

  it('wrong-person approval: approved by someone who is not the manager of record, a finding', () => {
    for (const run of [online, offline]) {
      const tara = row(run, 'tara.quinn', 'mover');
      expect(tara).toMatchObject({
        'Approval source': 'record',
        'Approved by': 'tnovak',
        'Manager of record': 'carlos.mendez (@cmendez)',
      });
      expect(tara['Approval finding']).toMatch(
        /^Wrong-person approval: .*tara\.quinn's mover.* approved by @tnovak, who is not the manager of record carlos\.mendez \(@cmendez\)/,
      );
    }
  });

  it('direct push without a pull request: "no pull request", a finding, never a 422 note', () => {
    for (const run of [online, offline]) {
      const owen = row(run, 'owen.barrett', 'mover');
      expect(owen).toMatchObject({
        'Pull request': 'no pull request',
        'Requester (PR author)': 'no pull request',
        'Approvals verdict': 'no pull request',
      });
      expect(owen['Approval finding']).toMatch(
        /^No pull request: owen\.barrett's mover .* reached the branch without one: pushed to main by ljensen without a pull request/,
      );
      expect(file(run, 'jml-events.md')).not.toMatch(/\b422\b/);
    }
    // What GitHub alone says of a commit no pull request merged is the same finding.
    expect(row(online, 'ben.carter', 'leaver')['Approval finding']).toMatch(
      /^No pull request: .*GitHub lists no pull request that merged the commit/,
    );
  });

  it('late termination merged 4 days after its end instant: its own verdict with both delays, never "within SLA"', () => {
    const jack = row(online, 'jack.sullivan', 'leaver');
    expect(jack).toMatchObject({
      'Access ends': '2026-11-02T22:00:00Z',
      'Request reached the repository': '2026-11-06T22:00:00Z',
      'Confirmed at': '2026-11-06T22:10:00Z',
      'Request delay (min)': '5760',
      'Engine lag (min)': '10',
      'Within SLA': '',
      'Counts for SLA': 'yes',
    });
    expect(jack['SLA verdict']).toMatch(
      /^request after the end instant: .*4 d after the end instant.*10 min after it reached the repository/,
    );
    expect(online.out).toMatch(
      /FINDING jml-events: Request after the end instant: jack\.sullivan's termination/,
    );
    // Counted apart from the engine's own lag, and drawn in a colour of its own.
    expect(file(online, 'jml-events.md')).toMatch(
      /1 within SLA, 1 SLA breach, 1 request after the end instant/,
    );
    expect(file(online, 'index.html')).toMatch(/<circle class="mark late" data-person="jack\.sullivan"/);
  });

  it('replay record (simulated): marked, never SLA evidence, and no lag in the pack is negative', () => {
    const ben = row(online, 'ben.carter', 'leaver');
    expect(ben).toMatchObject({
      Clock: 'simulated replay at 2026-12-11T21:05:00Z',
      'Within SLA': '',
      'Counts for SLA': 'no',
    });
    expect(ben['SLA verdict']).toMatch(/^not SLA evidence: simulated replay/);
    // The older replay, stamped with the wall clock: confirmed 40 days "before" the end instant.
    const emma = row(online, 'emma.schultz', 'leaver');
    expect(emma).toMatchObject({ 'Lag (s)': '', 'Within SLA': '', 'Counts for SLA': 'no' });
    expect(emma['SLA verdict']).toMatch(
      /^not SLA evidence: the record's clock confirmed the disable .* before the end instant/,
    );
    const lagged = csv(online, 'jml-events').filter((r) => r['Lag (s)'] !== '');
    expect(lagged.length, 'rows with a lag to check').toBeGreaterThan(0);
    for (const r of lagged) expect(Number(r['Lag (s)']), r.Person).toBeGreaterThanOrEqual(0);
    expect(file(online, 'jml-events.md')).toMatch(
      /2 leaver timings left out of the SLA evidence: ben\.carter .*emma\.schultz/,
    );
    const html = file(online, 'index.html');
    expect(html).not.toMatch(/data-person="ben\.carter"/);
    expect(html).not.toMatch(/data-person="emma\.schultz"/);
  });

  it('initial import: an onboarding of 50 people, not 50 joiners, and charted apart', () => {
    const rows = csv(online, 'jml-events');
    const june = rows.filter((r) => r['Applied at']!.startsWith('2026-06-02'));
    expect(june).toHaveLength(50);
    expect(new Set(june.map((r) => r.Event))).toEqual(new Set(['onboarding']));
    expect(rows.filter((r) => r.Event === 'joiner').map((r) => r.Person)).toEqual(['noah.fischer']);
    // One finding for the import, not fifty.
    expect(online.out.match(/FINDING jml-events: Onboarding: the first import/g)).toHaveLength(1);
    const html = file(online, 'index.html');
    expect(html).toMatch(/<rect class="bar onboarding" data-month="2026-06" data-count="50"/);
    expect(html).not.toMatch(/<rect class="bar joiner" data-month="2026-06"/);
  });

  it('exception expiry: labelled exception-ended, not a second mover', () => {
    // The plan files Jonah's loss of drive-sales under his last move (2022).
    const record = JSON.parse(
      readFileSync(path.join(history.dir, '.jml/records', history.records.joiner!), 'utf8'),
    ) as ApplyRecord;
    expect(
      record.changes
        .filter((c) => c.person === 'jonah.weiss')
        .map((c) => [c.action, c.entitlement, c.event.kind]),
    ).toEqual([['revoke', 'drive-sales', 'mover']]);
    const jonah = csv(online, 'jml-events').filter(
      (r) => r.Person === 'jonah.weiss' && r.Event !== 'onboarding',
    );
    expect(jonah.map((r) => r.Event)).toEqual(['exception-ended']);
    expect(jonah[0]!['Approvals verdict']).toMatch(/EXC-0009/);
    expect(jonah[0]!['Approval finding']).toBe('');
    expect(row(online, 'ravi.patel', 'exception-ended')['Approvals verdict']).toMatch(/EXC-0008/);
    expect(file(online, 'index.html')).toMatch(
      /<rect class="bar exception-ended" data-month="2026-09" data-count="1"/,
    );
  });

  it('unapproved first policy version: a finding, and every event names the policy version in force', () => {
    const policy = csv(online, 'policy');
    expect(policy.map((r) => [r.Version, r.Approved, r['Effective from']])).toEqual([
      ['2', 'yes', '2026-07-01T15:00:00Z'],
      ['1', 'no', '2026-06-01T12:00:00Z'],
    ]);
    expect(online.out).toMatch(/FINDING policy: Policy version 1 was never approved/);
    expect(offline.out).toMatch(/FINDING policy: Policy version 1 was never approved/);
    const v1 = `v1 (${history.sha.import!.slice(0, 7)}, in force from 2026-06-01T12:00:00Z)`;
    const v2 = `v2 (${history.sha.policy!.slice(0, 7)}, in force from 2026-07-01T15:00:00Z)`;
    const rows = csv(online, 'jml-events');
    expect(row(online, 'alice.nguyen', 'onboarding')['Policy version in force']).toBe(v1);
    expect(
      rows.filter((r) => r.Event !== 'onboarding').every((r) => r['Policy version in force'] === v2),
    ).toBe(true);
  });

  it('records carrying approval: the evidence captured at merge is read before GitHub', () => {
    // GitHub also answers for the policy's pull request; the record is what the pack shows.
    const v2 = csv(online, 'policy')[0]!;
    expect(v2).toMatchObject({
      'Approval source': 'record',
      'Approval evidence': `record ${history.records.policy} (captured at merge, 2026-07-01T15:01:01Z)`,
      'Requester (PR author)': 'ljensen',
      'Approved by': 'emcbride-sec',
      'Merged by': 'ljensen',
    });
    expect(v2['Approvals verdict']).toBe('approved at merge (security-team met by @emcbride-sec)');
    for (const person of ['yusuf.demir', 'tara.quinn', 'owen.barrett'])
      expect(row(online, person, 'mover')['Approval evidence'], person).toMatch(
        /^record .* \(captured at merge, /,
      );
  });

  it('a run with GitHub absent: the records still evidence their approvals; the rest say "approval not evidenced", each a finding', () => {
    const rows = csv(offline, 'jml-events');
    expect(rows.filter((r) => r['Approval source'] === 'record').map((r) => r.Person)).toEqual([
      'yusuf.demir',
      'tara.quinn',
      'owen.barrett',
    ]);
    expect(csv(offline, 'policy')[0]).toMatchObject({ Approved: 'yes', 'Approval source': 'record' });
    const noah = row(offline, 'noah.fischer', 'joiner');
    expect(noah).toMatchObject({ 'Approval source': 'none', 'Approvals verdict': 'approval not evidenced' });
    expect(noah['Approval finding']).toMatch(
      /^Approval not evidenced: noah\.fischer's joiner .*GitHub was not read/,
    );
    expect(offline.out).toMatch(/FINDING jml-events: Approval not evidenced: noah\.fischer's joiner/);
    // No row is silent: an event without evidence of its approval always says so.
    for (const r of rows.filter((r) => r.Event !== 'exception-ended' && r['Approval finding'] === ''))
      expect(r['Approval source'], r.Person).not.toBe('none');
  });

  it('charts: a legend and value labels on both, inline SVG and no script', () => {
    const html = file(online, 'index.html');
    const lag = html.slice(
      html.indexOf('<svg id="leaver-lag"'),
      html.indexOf('</svg>', html.indexOf('<svg id="leaver-lag"')),
    );
    for (const label of ['within SLA', 'SLA breach', 'request after the end instant', 'pending'])
      expect(lag, label).toContain(`>${label}</text>`);
    expect(lag).toMatch(/<text class="value-label"[^>]*>90 min<\/text>/);
    expect(lag).toMatch(/<text class="value-label"[^>]*>4 d \(engine 10 min\)<\/text>/);
    const start = html.indexOf('<svg id="events-per-month"');
    const bars = html.slice(start, html.indexOf('</svg>', start));
    for (const label of [
      'joiner',
      'mover',
      'leaver',
      'onboarding (first import)',
      'exception ended',
      'simulated replay',
    ])
      expect(bars, label).toContain(`>${label}</text>`);
    expect(bars).toMatch(/<text class="value-label"[^>]*>50<\/text>/);
    expect(html).not.toMatch(/<script/i);
  });

  it("a page per leaver: the request, the approvals, the instant, each provider's confirmation, the checklist and the tickets", () => {
    const manifest = JSON.parse(file(offline, 'manifest.json')) as { files: { path: string }[] };
    expect(
      manifest.files.map((f) => f.path).filter((p) => p.endsWith('.md') && p.startsWith('leavers/')),
    ).toEqual([
      'leavers/ben.carter-2026-12-11.md',
      'leavers/emma.schultz-2026-12-18.md',
      'leavers/jack.sullivan-2026-11-02.md',
      'leavers/kevin.obrien-2026-10-30.md',
      'leavers/liam.walsh-2026-10-15.md',
    ]);
    const liam = file(online, 'leavers/liam.walsh-2026-10-15.md');
    for (const heading of [
      'The request',
      'Approvals',
      'Approval requirements',
      'The instant',
      "Each provider's confirmation",
      'The checklist, step by step',
      'Tickets',
    ])
      expect(liam, heading).toContain(`## ${heading}`);
    expect(liam).toMatch(/\| Requester \(PR author\) \| ljensen \|/);
    expect(liam).toMatch(/\| cmendez \| APPROVED \| .* \| yes \|/);
    expect(liam).toMatch(/Manager of record: carlos\.mendez \(@cmendez\)/);
    expect(liam).toMatch(/\| SLA verdict \| SLA breach \|/);
    expect(liam).toMatch(/\| local \| 2026-10-15T22:30:00Z \| 2026-10-15T22:30:00Z \|/);
    expect(liam).toMatch(/\| okta \| disableUser \| disable-sign-in \| applied \|/);
    // Without GitHub, the tickets' state is what jml recorded when it read them.
    const offlineLiam = file(offline, 'leavers/liam.walsh-2026-10-15.md');
    expect(offlineLiam).toMatch(
      /\| netsuite \| https:\/\/\S+\/issues\/1 \| 2026-10-15T22:31:00Z \| open \|.*\| recorded by jml \|/,
    );
    expect(offlineLiam).toMatch(
      /\| offboarding \| \S+ \| 2026-10-15T22:31:00Z \| closed \| 2026-10-16T14:00:00Z \| kasante \|/,
    );
    // The manual provider's ticket of a leaver is a ticket too.
    expect(file(online, 'leavers/jack.sullivan-2026-11-02.md')).toMatch(
      /\| docusign \| manual docusign-sender: ticket MANUAL-\d+ \|/,
    );
    // The late request's page says so first.
    expect(file(online, 'leavers/jack.sullivan-2026-11-02.md')).toMatch(
      /FINDING: Request after the end instant/,
    );
  });

  it('every event row: requester, approvers, manager of record, verdict, policy version, merged, applied and confirmed, instants in UTC', () => {
    expect(events.summary).toEqual([
      'person',
      'event',
      'eventDate',
      'requester',
      'approvers',
      'verdict',
      'appliedAt',
      'confirmedAt',
      'slaVerdict',
    ]);
    const keys = [
      'requester',
      'approvers',
      'managerOfRecord',
      'verdict',
      'policyVersion',
      'mergedAt',
      'appliedAt',
      'confirmedAt',
    ];
    for (const r of events.rows)
      for (const k of keys) expect(r, `${r.person} ${r.event} ${k}`).toHaveProperty(k);
    expect(events.rows.find((r) => r.person === 'kevin.obrien' && r.event === 'leaver')).toMatchObject({
      confirmedAt: '2026-10-30T21:05:00Z',
      eventDate: '2026-10-30T21:00:00Z', // written 2026-10-30T17:00:00-04:00 in people/
    });
    // A mover's changes were confirmed when the last of them went through.
    expect(events.rows.find((r) => r.person === 'arjun.mehta' && r.event === 'mover')).toMatchObject({
      appliedAt: '2026-10-01T13:00:00Z',
      confirmedAt: '2026-10-01T13:00:00Z',
    });
    const offsets = events.rows.flatMap((r) =>
      Object.values(r).filter(
        (v) => typeof v === 'string' && /\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?[+-]\d\d:?\d\d/.test(v),
      ),
    );
    expect(offsets).toEqual([]);
  });
});
