/**
 * Rendering the decision: a markdown comment never exceeds what GitHub accepts and says what it
 * left out; logins do not notify; pipes in text do not break the table.
 */
import { describe, expect, it } from 'vitest';
import { checkPullRequestData, PullRequestDataError } from '../../src/approvals/pull-request.js';
import { headline, renderApprovalsMarkdown, renderApprovalsText } from '../../src/approvals/render.js';
import type { Decision, Requirement } from '../../src/approvals/types.js';

const req = (i: number, status: Requirement['status']): Requirement => ({
  rule: 'manager-approval',
  file: `people/p${i}.yaml`,
  line: 3,
  change: 'mover: roles changed | with a pipe',
  description: `needs approval from the manager of record m${i} (GitHub @m-${i}) as of the base branch`,
  status,
  satisfiedBy: status === 'met' ? `m-${i}` : null,
  why: 'x'.repeat(300),
});

describe('jml approvals (rendering)', () => {
  it('cuts a long markdown table under the comment limit and says how many rows are not shown', () => {
    const d: Decision = {
      approved: false,
      headSha: 'a'.repeat(40),
      author: 'pat-p',
      requirements: Array.from({ length: 1000 }, (_, i) => req(i, i % 2 ? 'met' : 'missing')),
      reviewers: [],
      effects: [],
      notes: [],
    };
    const md = renderApprovalsMarkdown(d);
    expect(md.length).toBeLessThan(65_536);
    expect(md).toMatch(/\d+ more requirements are not shown/);
    expect(md).toContain('Not approved: 500 of 1000 approval requirements missing.');
    // Missing requirements come first, so what blocks the merge is what is shown.
    expect(md.split('\n').find((l) => l.startsWith('| ✅'))).toBeUndefined();
    expect(md).toContain('mover: roles changed \\| with a pipe');
    expect(md).toContain('`@m-0`');
    expect(md).not.toMatch(/[^`]@m-0/);
  });

  it('says plainly when no access file changed', () => {
    const d: Decision = {
      approved: true,
      headSha: 'a'.repeat(40),
      author: 'x',
      requirements: [],
      reviewers: [],
      effects: [],
      notes: [],
    };
    expect(headline(d)).toBe(
      'Approved: nothing in this pull request changes access, code or policy, so no approval rule of jml applies.',
    );
    expect(renderApprovalsText(d)).toContain('Approved: nothing in this pull request changes');
  });

  it('shows what the change does to access as a diff, person by person, before the requirements', () => {
    const d: Decision = {
      approved: false,
      headSha: 'a'.repeat(40),
      author: 'pat-p',
      requirements: [req(1, 'missing')],
      reviewers: [],
      effects: [
        { person: 'alice.nguyen', what: 'aws-prod-admin', change: 'gained', when: 'from now onwards' },
        { person: 'bob.smith', what: 'account', change: 'lost', when: 'from 2027-02-01 onwards' },
      ],
      notes: ['people/README.md: not read by jml, no effect on access'],
    };
    const md = renderApprovalsMarkdown(d);
    expect(md).toContain(
      '```diff\n+ alice.nguyen: aws-prod-admin from now onwards\n- bob.smith: account from 2027-02-01 onwards\n```',
    );
    expect(md.indexOf('```diff')).toBeLessThan(md.indexOf('| Requirement |'));
    expect(md).toContain('people/README.md: not read by jml');
    expect(renderApprovalsText(d)).toContain('alice.nguyen: + aws-prod-admin from now onwards');
  });

  it('names the field of a malformed API answer when there is no file text', () => {
    expect(() => checkPullRequestData({ pull: { number: 1 }, files: [], reviews: [] }, 'GitHub API')).toThrow(
      PullRequestDataError,
    );
    expect(() => checkPullRequestData({ pull: { number: 1 }, files: [], reviews: [] }, 'GitHub API')).toThrow(
      /GitHub API: pull\.user: /,
    );
  });
});
