/**
 * `jml github work-issues` after a real apply of the engine's fixture organisation: one issue per
 * person and app without SSO, assigned to the app owner, one offboarding issue per leaver for
 * the IT (here security) team, labelled, linked from the apply record, never duplicated.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ApplyRecord } from '../../src/apply/apply.js';
import { editYaml } from '../approvals/helpers.js';
import { cleanTempDirs, copyFixture, jml, readRecords } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';

const AT = '2027-02-02T14:00:00Z';
let h: GitHubHarness;

githubForEachTest((x) => {
  h = x;
});
afterAll(cleanTempDirs);

describe('jml github work-issues', () => {
  it('opens one issue per person and manual app for its owner, and one offboarding issue per leaver', async () => {
    const dir = copyFixture('org');
    editYaml(dir, 'people/hana.hr.yaml', (p) => {
      p.github = 'hana-h';
    });
    editYaml(dir, 'people/sam.sec.yaml', (p) => {
      p.github = 'sam-s';
    });
    for (const login of ['hana-h', 'sam-s']) h.fake.addCollaborator(OWNER, REPO, login);
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

  it('says there is nothing to do without a record', async () => {
    const dir = copyFixture('org');
    const r = await jml(dir, 'github', 'work-issues');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/No apply record/);
    expect(h.fake.issuesOf(OWNER, REPO)).toEqual([]);
  });
});
