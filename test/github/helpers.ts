/**
 * Shared by the tests that run `jml github …` after a real apply of the engine's fixture
 * organisation (work-issues, ticket-status, day-one, and the evidence pack's controls).
 */
import { expect } from 'vitest';
import { parseDayOneMarker } from '../../src/report/day-one.js';
import { editYaml } from '../approvals/helpers.js';
import { copyFixture } from '../engine/helpers.js';
import type { IssueState } from '../fakes/github/github-fake.js';
import { type GitHubHarness, OWNER, REPO } from '../fakes/github/harness.js';

const HOUR = 3_600_000;

/**
 * A copy of the fixture organisation whose HR manager (hana.hr, @hana-h: the joiner's manager and
 * NetSuite's owner) and IT (sam.sec, @sam-s) have GitHub logins, both collaborators on the fake's
 * repository so that issues can be assigned to them.
 */
export function fixtureWithGitHubLogins(h: GitHubHarness): string {
  const dir = copyFixture('org');
  editYaml(dir, 'people/hana.hr.yaml', (p) => {
    p.github = 'hana-h';
  });
  editYaml(dir, 'people/sam.sec.yaml', (p) => {
    p.github = 'sam-s';
  });
  for (const login of ['hana-h', 'sam-s']) h.fake.addCollaborator(OWNER, REPO, login);
  return dir;
}

/** The one day-one issue `jml github day-one` opened, and answers to it at hours after the grant. */
export function dayOneIssue(h: GitHubHarness): {
  issue: IssueState;
  granted: number;
  /** The instant `hours` after the grant. */
  at: (hours: number) => string;
  /** A comment by `user` at grant + `hours`, frozen there. */
  say: (user: string, body: string, hours: number) => void;
} {
  const issues = h.fake.issuesOf(OWNER, REPO).filter((i) => i.labels.includes('day-one'));
  expect(issues).toHaveLength(1);
  const issue = issues[0]!;
  const granted = Date.parse(parseDayOneMarker(issue.body)!.grantedAt);
  const at = (hours: number) => new Date(granted + hours * HOUR).toISOString();
  const say = (user: string, body: string, hours: number) => {
    const c = h.fake.addComment(OWNER, REPO, issue.number, user, body);
    c.createdAt = at(hours);
    c.updatedAt = c.createdAt;
  };
  return { issue, granted, at, say };
}
