/**
 * `jml github ticket-status` after a real apply of the engine's fixture organisation and
 * `jml github work-issues`: the state of every manual-work ticket the records link, written as ONE
 * observation record only when something changed since the last one, with when and by whom each
 * ticket was closed, so that ticket state survives without the GitHub API.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApplyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, jml, readRecords, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { fixtureWithGitHubLogins } from './helpers.js';

const AT = '2027-02-02T14:00:00Z';
const CLOSED_AT = '2027-02-03T10:00:00.000Z';
let h: GitHubHarness;

githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

/** The fixture organisation applied, its manual work opened as issues and linked from the record. */
async function appliedWithTickets(): Promise<string> {
  const dir = fixtureWithGitHubLogins(h);
  const applied = await jml(dir, 'apply', '--confirm', '--at', AT);
  // Every change applies; a replay this long after the leaver's instant also reports the SLA (3).
  expect([0, 3], applied.err).toContain(applied.code);
  const linked = await jml(dir, 'github', 'work-issues');
  expect(linked.code, linked.err).toBe(0);
  return dir;
}

const records = (dir: string) => readRecords(dir).map((r) => r.record as unknown as ApplyRecord);
const observations = (dir: string) => records(dir).filter((r) => r.tickets);
const issueNumber = (url: string) => Number(/\/issues\/(\d+)$/.exec(url)![1]);

describe('jml github ticket-status', () => {
  it('writes a record only on change, with closedAt and closedBy from the issue', async () => {
    const dir = await appliedWithTickets();
    // work-issues keeps when each issue was opened, beside its link.
    const links = records(dir).at(-1)!.workIssues!;
    const issues = h.fake.issuesOf(OWNER, REPO);
    for (const l of links)
      expect(l.openedAt).toBe(issues.find((i) => i.number === issueNumber(l.url))!.createdAt);
    const netsuite = links.find((l) => l.app === 'netsuite')!;
    const offboarding = links.find((l) => l.app === 'offboarding')!;

    // First look: every ticket is new to the records, so one observation is written.
    const first = await jml(dir, 'github', 'ticket-status');
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('first seen open');
    const [seen] = observations(dir);
    expect(seen).toMatchObject({
      result: 'no-changes',
      trigger: { command: 'jml github ticket-status' },
      changes: [],
    });
    expect(seen!.tickets).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          url: netsuite.url,
          person: 'jo.joiner',
          app: 'netsuite',
          operation: 'grant',
          state: 'open',
          openedAt: netsuite.openedAt,
          closedAt: null,
          closedBy: null,
        }),
        expect.objectContaining({
          url: offboarding.url,
          app: 'offboarding',
          operation: 'revoke',
          state: 'open',
        }),
      ]),
    );
    expect(seen!.tickets).toHaveLength(links.length);

    // Nothing changed: nothing written.
    const again = await jml(dir, 'github', 'ticket-status');
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('none changed');
    expect(observations(dir)).toHaveLength(1);

    // Hana closes the NetSuite ticket: the next run records when and by whom.
    h.fake.closeIssue(OWNER, REPO, issueNumber(netsuite.url), 'hana-h', { at: CLOSED_AT });
    const closed = await jml(dir, 'github', 'ticket-status');
    expect(closed.code, closed.err).toBe(0);
    expect(closed.out).toContain(
      `${netsuite.url} (jo.joiner, netsuite): open -> closed at ${CLOSED_AT} by @hana-h`,
    );
    const after = observations(dir);
    expect(after).toHaveLength(2);
    expect(after[1]!.tickets!.find((t) => t.url === netsuite.url)).toMatchObject({
      state: 'closed',
      closedAt: CLOSED_AT,
      closedBy: 'hana-h',
    });

    // A ticket seen closed is not asked about again; nothing else changed, so nothing is written.
    const reads = () =>
      h.fake.requests.filter((r) => r.path.endsWith(`/issues/${issueNumber(netsuite.url)}`)).length;
    const before = reads();
    expect((await jml(dir, 'github', 'ticket-status')).code).toBe(0);
    expect(reads()).toBe(before);
    expect(observations(dir)).toHaveLength(2);
  });

  it("counts the evidence branch's copies: links and observations read from --evidence and restored/", async () => {
    const dir = await appliedWithTickets();
    expect((await jml(dir, 'github', 'ticket-status')).code).toBe(0);
    // The records move to a copy of the evidence branch (records/YYYY/MM/), as a later runner sees them.
    const recordsDir = path.join(dir, '.jml/records');
    const branch = tempDir('jml-evidence-branch-');
    mkdirSync(path.join(branch, 'records/2027/02'), { recursive: true });
    for (const f of readdirSync(recordsDir).filter((n) => n.endsWith('.json')))
      renameSync(path.join(recordsDir, f), path.join(branch, 'records/2027/02', f));

    const blind = await jml(dir, 'github', 'ticket-status');
    expect(blind.code, blind.err).toBe(0);
    expect(blind.out).toContain('No open manual-work ticket');

    const withBranch = await jml(dir, 'github', 'ticket-status', '--evidence', path.join(branch, 'records'));
    expect(withBranch.code, withBranch.err).toBe(0);
    expect(withBranch.out).toContain('none changed');
    expect(readdirSync(recordsDir).filter((n) => n.endsWith('.json'))).toEqual([]);

    // Restored under the records directory, at any depth, they count the same.
    renameSync(path.join(branch, 'records'), path.join(recordsDir, 'restored'));
    const offboarding = readRecordsDeep(path.join(recordsDir, 'restored'))
      .flatMap((r) => r.workIssues ?? [])
      .find((l) => l.app === 'offboarding')!;
    h.fake.closeIssue(OWNER, REPO, issueNumber(offboarding.url), 'sam-s', { at: CLOSED_AT });
    const restored = await jml(dir, 'github', 'ticket-status');
    expect(restored.code, restored.err).toBe(0);
    const written = readdirSync(recordsDir).filter((n) => n.endsWith('.json'));
    expect(written).toHaveLength(1);
    const record = JSON.parse(readFileSync(path.join(recordsDir, written[0]!), 'utf8')) as ApplyRecord;
    expect(record.tickets!.find((t) => t.app === 'offboarding')).toMatchObject({
      operation: 'revoke',
      state: 'closed',
      closedBy: 'sam-s',
    });
  });

  it('GitHub down: exit 1 with why, and no record written', async () => {
    const dir = await appliedWithTickets();
    const count = records(dir).length;
    h.fake.server.inject({ kind: 'reset', times: 100 });
    const r = await jml(dir, 'github', 'ticket-status');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Ticket state not recorded: GitHub read acme\/access#\d+ failed/);
    expect(records(dir)).toHaveLength(count);
  });
});

function readRecordsDeep(dir: string): ApplyRecord[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => JSON.parse(readFileSync(path.join(e.parentPath, e.name), 'utf8')) as ApplyRecord);
}
