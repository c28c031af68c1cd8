/**
 * `jml github work-issues` after a real apply of the engine's fixture organisation: one issue per
 * person and app without SSO, assigned to the app owner, one offboarding issue per leaver for
 * the IT (here security) team, labelled, linked from the apply record, never duplicated.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { indexCheckout } from '../../src/engine/checkout.js';
import { openWorkIssues, type WorkIssuesGitHub } from '../../src/engine/github-steps.js';
import type { ApplyRecord, ChangeResult } from '../../src/records/schema.js';
import { workItems } from '../../src/report/work-items.js';
import { cleanTempDirs, copyFixture, jml, readRecords } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { fixtureWithGitHubLogins } from './helpers.js';

const AT = '2027-02-02T14:00:00Z';
let h: GitHubHarness;

githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

describe('jml github work-issues', () => {
  it('opens one issue per person and manual app for its owner, and one offboarding issue per leaver', async () => {
    const dir = fixtureWithGitHubLogins(h);
    const applied = await jml(dir, 'apply', '--confirm', '--at', AT);
    expect(applied.code, applied.err).toBe(0);

    const first = await jml(dir, 'github', 'work-issues');
    expect(first.code, first.err).toBe(0);
    const issues = h.fake.issuesOf(OWNER, REPO);
    const titles = issues.map((i) => i.title).sort();
    expect(titles).toContain('Grant NetSuite access: Jo Joiner');
    expect(titles.some((t) => t.startsWith('Offboarding steps no API can do: '))).toBe(true);
    const netsuite = issues.find((i) => i.title === 'Grant NetSuite access: Jo Joiner')!;
    expect(netsuite.assignees).toEqual(['hana-h']);
    expect(netsuite.labels).toEqual(expect.arrayContaining(['jml', 'manual-work', 'grant-access']));
    const offboarding = issues.find((i) => i.title.startsWith('Offboarding'))!;
    expect(offboarding.assignees).toEqual(['sam-s']);
    // The steps the connectors handed over are listed, read from the record's changes: here the
    // manual ledger's ticket for the leaver's app without SSO.
    expect(offboarding.body).toContain('Left by the connectors (manual, or failed), from the apply record:');
    expect(offboarding.body).toMatch(
      /- \[ \] \*\*manual\*\*: manual-ticket of legacy-crm-user \(manual\): ticket MANUAL-\d{5}/,
    );
    expect(offboarding.body).not.toMatch(/disable-sign-in|revoke-sessions|remove-access/);

    // The record links each issue; a second run opens nothing new and closes nothing.
    const record = readRecords(dir).at(-1)!.record as unknown as ApplyRecord;
    expect(record.workIssues?.map((w) => w.app).sort()).toEqual(
      expect.arrayContaining(['netsuite', 'offboarding']),
    );
    expect((await jml(dir, 'github', 'work-issues')).code).toBe(0);
    expect(h.fake.issuesOf(OWNER, REPO)).toHaveLength(issues.length);
    expect(h.fake.issuesOf(OWNER, REPO).every((i) => i.state === 'open')).toBe(true);

    // Drift reports manual work left open past policy sla.manualWorkHours (24 h by default).
    const now = await jml(dir, 'github', 'overdue-work');
    expect(now.code, now.err).toBe(0);
    const later = new Date(Date.now() + 25 * 3_600_000).toISOString();
    const overdue = await jml(dir, 'github', 'overdue-work', '--at', later);
    expect(overdue.code, overdue.err).toBe(2);
    expect(overdue.out).toContain('Grant NetSuite access: Jo Joiner');
    expect(overdue.out).toMatch(/open 2[45] h, @hana-h/);
  });

  it("lists a leaver's manual and failed steps with provider, step and detail, and nothing else", () => {
    const index = indexCheckout(copyFixture('org'));
    const at = '2027-02-01T22:00:05.000Z';
    const leaver = { kind: 'leaver' as const, date: '2027-02-01T17:00:00-05:00' };
    const result = (over: Partial<ChangeResult>): ChangeResult => ({
      id: 'x',
      action: 'disableUser',
      provider: 'entra',
      person: 'lee.leaver',
      login: 'lee.leaver@example.com',
      event: leaver,
      startedAt: at,
      finishedAt: at,
      status: 'applied',
      ...over,
    });
    const record = {
      changes: [
        result({
          status: 'failed',
          error: 'entra: disableUser lee.leaver@example.com failed: devices: 0 wiped, 0 retired, 1 failed',
          steps: [
            { step: 'disable-sign-in', status: 'applied', at },
            { step: 'wipe-devices', status: 'failed', at, detail: 'devices: 0 wiped, 0 retired, 1 failed' },
            {
              step: 'mailbox-forwarding',
              status: 'failed',
              at,
              detail: 'creating the inbox rule: 403 ErrorAccessDenied: Access is denied.',
            },
          ],
        }),
        result({
          provider: 'google',
          steps: [
            { step: 'disable-sign-in', status: 'unchanged', at },
            { step: 'mailbox-forwarding', status: 'manual', at, detail: 'add a Default routing rule' },
          ],
        }),
        // Someone else's change never lands in this leaver's issue.
        result({
          person: 'jo.joiner',
          event: { kind: 'joiner' },
          action: 'createUser',
          steps: [{ step: 'manual-ticket', status: 'manual', at }],
        }),
      ],
    } as unknown as ApplyRecord;
    const items = workItems(record, index, 'r.json');
    expect(items.map((i) => `${i.person} ${i.app}`)).toEqual(['lee.leaver offboarding']);
    const lines = items[0]!.body.split('\n').filter((l) => l.startsWith('- [ ] **'));
    expect(lines).toEqual([
      '- [ ] **entra**: wipe-devices (failed): devices: 0 wiped, 0 retired, 1 failed',
      '- [ ] **entra**: mailbox-forwarding (failed): creating the inbox rule: 403 ErrorAccessDenied: Access is denied.',
      '- [ ] **google**: mailbox-forwarding (manual): add a Default routing rule',
    ]);
    // The sign-in is off (the change failed on its devices): the issue says so, not the opposite.
    expect(items[0]!.body).toContain('their accounts are disabled and sessions revoked');
  });

  it('returns the issues opened before a GitHub call failed, and leaves the record unlinked', async () => {
    const dir = copyFixture('org');
    expect((await jml(dir, 'apply', '--confirm', '--at', AT)).code).toBe(0);
    const failure = new Error('GitHub create issue failed: 502 Bad Gateway');
    let calls = 0;
    const client: WorkIssuesGitHub = {
      async openWorkIssue(_owner, _repo, item) {
        if (++calls > 1) throw failure;
        return {
          action: 'created',
          issue: {
            number: 1,
            url: `https://github.example/issues/1#${item.app}`,
            createdAt: '2027-02-02T14:00:01Z',
          },
        };
      },
    };
    const r = await openWorkIssues({ root: dir }, async () => ({ client, owner: OWNER, repo: REPO }));
    expect(r).toEqual({
      kind: 'opened',
      issues: [expect.objectContaining({ action: 'created' })],
      failed: failure,
    });
    expect((readRecords(dir).at(-1)!.record as unknown as ApplyRecord).workIssues).toBeUndefined();
    // It stopped at the failure: nothing after it was asked for.
    expect(calls).toBe(2);
  });

  it('says there is nothing to do without a record', async () => {
    const dir = copyFixture('org');
    const r = await jml(dir, 'github', 'work-issues');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/No apply record/);
    expect(h.fake.issuesOf(OWNER, REPO)).toEqual([]);
  });
});
