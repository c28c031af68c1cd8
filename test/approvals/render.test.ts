/**
 * Rendering the decision: a checklist, one line per requirement, missing first, that says who
 * can meet each and what is missing and why (the author's own approval plainly); rosters once;
 * only the people who could unblock the merge are mentioned; never over what GitHub accepts.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkPullRequestData, PullRequestDataError } from '../../src/approvals/pull-request.js';
import {
  headline,
  readPeople,
  renderApprovalsMarkdown,
  renderApprovalsText,
} from '../../src/approvals/render.js';
import type { Decision, Requirement } from '../../src/approvals/types.js';
import { cleanTempDirs } from '../engine/helpers.js';
import { approve, decideScenario, editYaml, scenario } from './helpers.js';

afterAll(cleanTempDirs);

const req = (i: number, status: Requirement['status']): Requirement => ({
  rule: 'manager-approval',
  file: `people/p${i}.yaml`,
  line: 3,
  change: 'mover: roles changed | with a pipe',
  description: `needs approval from the manager of record m${i} (GitHub @m-${i}) as of the base branch`,
  status,
  satisfiedBy: status === 'met' ? `m-${i}` : null,
  why:
    status === 'met'
      ? `@m-${i} (m${i}) approved the head commit aaaaaaa`
      : `m${i} (GitHub @m-${i}) has not reviewed`,
});

const decision = (over: Partial<Decision>): Decision => ({
  approved: false,
  headSha: 'a'.repeat(40),
  author: 'pat-p',
  requirements: [],
  reviewers: [],
  effects: [],
  notes: [],
  ...over,
});

/** The checklist item of a rule and file, continuation lines included. */
function itemOf(md: string, rule: string, file: string): string {
  const lines = md.split('\n');
  const start = lines.findIndex((l) => l.includes(`**${rule}**`) && l.includes(file));
  expect(start, `no item for ${rule} ${file}`).toBeGreaterThanOrEqual(0);
  const out = [lines[start]!];
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('  '); i++) out.push(lines[i]!);
  return out.join('\n');
}

describe('jml approvals (rendering)', () => {
  it('cuts a long checklist under the comment limit and says how many requirements are not shown', () => {
    const d = decision({
      requirements: Array.from({ length: 1000 }, (_, i) => req(i, i % 2 ? 'met' : 'missing')),
    });
    const md = renderApprovalsMarkdown(d);
    expect(md.length).toBeLessThan(65_536);
    expect(md).toMatch(/\d+ more requirements are not shown/);
    expect(md).toContain('Not approved: 500 of 1000 approval requirements missing.');
    // Missing requirements come first, so what blocks the merge is what is shown.
    expect(md.split('\n').find((l) => l.startsWith('- [x]'))).toBeUndefined();
    expect(md).toContain('mover: roles changed \\| with a pipe');
  });

  it('is a checklist, one item per requirement, with no table', () => {
    const md = renderApprovalsMarkdown(decision({ requirements: [req(0, 'missing'), req(1, 'met')] }));
    expect(md).not.toMatch(/^\|/m);
    expect(md.match(/^- \[ \] /gm)).toHaveLength(1);
    expect(md.match(/^- \[x\] /gm)).toHaveLength(1);
    expect(itemOf(md, 'manager-approval', 'people/p0.yaml')).toBe(
      [
        '- [ ] **manager-approval** · `people/p0.yaml:3` · mover: roles changed \\| with a pipe\\',
        '  needs approval from the manager of record m0\\',
        '  Can approve: @m-0 (m0)\\',
        '  Missing: m0 has not reviewed.',
      ].join('\n'),
    );
    expect(itemOf(md, 'manager-approval', 'people/p1.yaml')).toBe(
      [
        '- [x] **manager-approval** · `people/p1.yaml:3` · mover: roles changed \\| with a pipe\\',
        '  Met: `@m-1` (m1) approved the head commit aaaaaaa',
      ].join('\n'),
    );
  });

  it('mentions only who could unblock a missing requirement: an approved pull request pings nobody', () => {
    const missing = renderApprovalsMarkdown(decision({ requirements: [req(0, 'missing'), req(1, 'met')] }));
    const bare = (md: string) => [...md.matchAll(/(?<![`\w])@([\w-]+)/g)].map((m) => m[1]);
    expect(bare(missing)).toEqual(['m-0']);
    const approved = renderApprovalsMarkdown(
      decision({ approved: true, requirements: [req(0, 'met'), req(1, 'met')] }),
    );
    expect(bare(approved)).toEqual([]);
  });

  it('says plainly when no access file changed', () => {
    const d = decision({ approved: true, author: 'x' });
    expect(headline(d)).toBe(
      'Approved: nothing in this pull request changes access, code or policy, so no approval rule of jml applies.',
    );
    expect(renderApprovalsText(d)).toContain('Approved: nothing in this pull request changes');
  });

  it('gives the check run the same verdict as the comment: its title is the comment headline', () => {
    const d = decision({ requirements: [req(0, 'missing')] });
    expect(renderApprovalsMarkdown(d).split('\n')[2]).toBe(headline(d));
  });

  it('shows what the change does to access as a diff after the checklist, times in the zone', () => {
    const d = decision({
      requirements: [req(1, 'missing')],
      effects: [
        { person: 'alice.nguyen', what: 'aws-prod-admin', change: 'gained', when: 'from now onwards' },
        {
          person: 'bob.smith',
          what: 'account',
          change: 'lost',
          when: 'from 2027-03-31T21:00:00.000Z onwards',
        },
      ],
      notes: ['people/README.md: not read by jml, no effect on access'],
    });
    const md = renderApprovalsMarkdown(d, { zone: 'America/New_York' });
    expect(md).toContain(
      '```diff\n+ alice.nguyen: aws-prod-admin from now onwards\n- bob.smith: account from 2027-03-31 17:00 onwards\n```',
    );
    expect(md).toContain('over the coming year (times in America/New_York)');
    expect(md.indexOf('- [ ]')).toBeLessThan(md.indexOf('```diff'));
    expect(md).toContain('people/README.md: not read by jml');
    expect(renderApprovalsText(d)).toContain('alice.nguyen: + aws-prod-admin from now onwards');
  });

  it('reads the people and teams a requirement names back from its text', () => {
    const rosters = new Map();
    const named = readPeople(
      'a leaver needs approval from the manager of record grace.lin (GitHub @grace-l) as of the base branch, or from the HR team (named in policy/jml.yaml on the base branch: hana.hr @hana-h, ida.nologin without a GitHub login) (HR alone suffices)',
      rosters,
    );
    expect(named.text).toBe(
      'a leaver needs approval from the manager of record grace.lin, or from the HR team (HR alone suffices)',
    );
    expect(named.people).toEqual([{ id: 'grace.lin', login: 'grace-l' }]);
    expect(named.teams).toEqual(['HR']);
    expect(rosters.get('HR')).toEqual([
      { id: 'hana.hr', login: 'hana-h' },
      { id: 'ida.nologin', login: null },
    ]);
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

describe('an HR-authored leaver (the author is the only HR member)', () => {
  const s = scenario((head) => {
    editYaml(head, 'people/alice.nguyen.yaml', (v) => {
      (v.employment as Record<string, unknown>).end = '2026-12-04T17:00:00-05:00';
    });
  });
  const d = decideScenario(s, { author: 'hana-h', reviews: [] });
  const md = renderApprovalsMarkdown(d, { zone: 'America/New_York' });

  it("says the author's own approval does not count, and who else can approve", () => {
    const leaver = itemOf(md, 'leaver-manager-or-hr', 'people/alice.nguyen.yaml');
    expect(leaver).toMatch(/^- \[ \] /);
    expect(leaver).toContain('Can approve: @grace-l (grace.lin)\\');
    expect(leaver).toContain(
      "`@hana-h` opened this pull request, and the author's own approval does not count: someone else listed here must approve.",
    );
    // The HR part is met by her authorship: that line says so, without contradicting the other.
    expect(itemOf(md, 'hr-team', 'people/alice.nguyen.yaml')).toContain(
      '- [x] **hr-team** · `people/alice.nguyen.yaml:9` · leaver: employment.end set to 2026-12-04 17:00',
    );
    expect(renderApprovalsText(d)).toContain(
      "@hana-h opened the pull request: the author's own approval does not count",
    );
  });

  it('prints each team roster once, at the end, and never mentions the author', () => {
    expect(md.match(/hana\.hr @hana-h/g)).toBeNull();
    expect(md.match(/^- the HR team: /gm)).toHaveLength(1);
    expect(md).toContain('- the HR team: `@hana-h` (hana.hr)');
    expect(md.indexOf('**Teams**')).toBeGreaterThan(md.lastIndexOf('- [x]'));
  });

  it('becomes approved, and mentions nobody, once the manager approves', () => {
    const ok = decideScenario(s, { author: 'hana-h', reviews: [approve('grace-l')] });
    const text = renderApprovalsMarkdown(ok);
    expect(ok.approved).toBe(true);
    expect(text).not.toContain('- [ ]');
    expect(text).not.toMatch(/(?<![`\w])@[\w-]+/);
  });
});
