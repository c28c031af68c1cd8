/**
 * jml review check: the rules a review pull request must meet before it merges, one table row
 * per refusal, plus the command on two checkouts (--base, --head, --changes).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ChangedFile, Review } from '../../src/approvals/types.js';
import type { ReviewCampaign, ReviewFile } from '../../src/model/schema.js';
import { checkReview, type ReviewCheckInput } from '../../src/review/check.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { AT, driftedExample, reviewItem as item, Q } from './helpers.js';

const FILE = `reviews/${Q}/jonah.weiss.yaml`;
const HEAD = 'b'.repeat(40);
const OLD = 'a'.repeat(40);
const LOGINS: Record<string, string> = {
  'jonah.weiss': 'jweiss-sre',
  'fatima.haddad': 'fhaddad',
  'leo.martins': 'leo-m',
};

const ORIGINAL: ReviewFile = {
  quarter: Q,
  reviewer: 'jonah.weiss',
  items: [
    item('fatima.haddad/local/build-servers', 'fatima.haddad'),
    item('leo.martins/local/prod-db', 'leo.martins', {
      risk: 'high',
      source: { kind: 'exception', id: 'EXC-0002', at: 'exceptions/EXC-0002.yaml:1', expires: '2027-03-01' },
    }),
    item('leo.martins/okta/github-admin', 'leo.martins', { source: { kind: 'orphaned' } }),
  ],
};

const CAMPAIGN = {
  quarter: Q,
  reviewers: [{ file: FILE, reviewer: 'jonah.weiss', items: 3 }],
} as unknown as ReviewCampaign;

const text = (f: ReviewFile) => stringify(f, { aliasDuplicateObjects: false });

/** Every item decided well, approved by the reviewer on the head commit. */
function decided(): ReviewFile {
  const f = structuredClone(ORIGINAL);
  f.items[0]!.decision = 'keep';
  f.items[1]!.decision = 'revoke';
  f.items[1]!.justification = 'The migration ended in December.';
  f.items[2]!.decision = 'dont-know';
  f.items[2]!.justification = 'Not mine to judge: ask security.';
  return f;
}

const approve = (login: string, commitId = HEAD, at = '2027-01-10T10:00:00Z'): Review => ({
  login,
  state: 'APPROVED',
  commitId,
  submittedAt: at,
});

function input(head: ReviewFile | string, over: Partial<ReviewCheckInput> = {}): ReviewCheckInput {
  const people = new Map(Object.entries(LOGINS).map(([id, l]) => [l.toLowerCase(), id]));
  return {
    quarter: Q,
    files: [{ path: FILE, status: 'added' }],
    campaign: CAMPAIGN,
    original: new Map([[FILE, text(ORIGINAL)]]),
    head: new Map([[FILE, typeof head === 'string' ? head : text(head)]]),
    author: 'github-actions[bot]',
    headSha: HEAD,
    reviews: [approve('jweiss-sre')],
    loginOf: (id) => LOGINS[id],
    personOfLogin: (l) => people.get(l.toLowerCase()),
    ...over,
  };
}

const rules = (i: ReviewCheckInput) => checkReview(i).refusals.map((r) => r.rule);

describe('jml review check: the rules', () => {
  it('passes a file with every item decided, justified, and approved by its reviewer on the head commit', () => {
    const c = checkReview(input(decided()));
    expect(c.refusals).toEqual([]);
    expect(c).toMatchObject({
      passed: true,
      approvedBy: 'jweiss-sre',
      decided: 3,
      items: 3,
      reviewer: 'jonah.weiss',
    });
  });

  const table: [string, () => ReviewCheckInput, string[]][] = [
    [
      'another file touched besides the reviewer file is refused',
      () =>
        input(decided(), {
          files: [
            { path: FILE, status: 'modified' },
            { path: 'people/leo.martins.yaml', status: 'modified' },
          ] as ChangedFile[],
        }),
      ['other-file'],
    ],
    [
      'an item added is refused',
      () => {
        const f = decided();
        f.items.push({ ...f.items[0]!, id: 'fatima.haddad/local/extra' });
        return input(f);
      },
      ['items-changed'],
    ],
    [
      'an item removed is refused',
      () => {
        const f = decided();
        f.items.pop();
        return input(f);
      },
      ['items-changed'],
    ],
    [
      'items reordered are refused',
      () => {
        const f = decided();
        f.items.reverse();
        return input(f);
      },
      ['items-changed'],
    ],
    [
      'another field of an item edited is refused',
      () => {
        const f = decided();
        f.items[0]!.risk = 'high';
        return input(f);
      },
      ['field-changed'],
    ],
    [
      'the reviewer field edited is refused',
      () => {
        const f = decided();
        f.reviewer = 'leo.martins';
        return input(f);
      },
      ['field-changed'],
    ],
    [
      'an item still pending is refused',
      () => {
        const f = decided();
        f.items[0]!.decision = 'pending';
        return input(f);
      },
      ['pending'],
    ],
    [
      'a revoke without a justification is refused',
      () => {
        const f = decided();
        f.items[1]!.justification = '  ';
        return input(f);
      },
      ['justification-missing'],
    ],
    [
      "a don't-know without a justification is refused",
      () => {
        const f = decided();
        f.items[2]!.justification = '';
        return input(f);
      },
      ['justification-missing'],
    ],
    [
      'an approval from a person whose own access is an item is a self-review, refused',
      () => input(decided(), { reviews: [approve('jweiss-sre'), approve('leo-m')] }),
      ['self-review'],
    ],
    [
      'an approval given before the last push does not count',
      () => input(decided(), { reviews: [approve('jweiss-sre', OLD)] }),
      ['reviewer-approval'],
    ],
    [
      'an approval withdrawn by a later request for changes does not count',
      () =>
        input(decided(), {
          reviews: [
            approve('jweiss-sre'),
            {
              login: 'jweiss-sre',
              state: 'CHANGES_REQUESTED',
              commitId: HEAD,
              submittedAt: '2027-01-11T00:00:00Z',
            },
          ],
        }),
      ['reviewer-approval'],
    ],
    [
      "the author's own approval never counts",
      () => input(decided(), { author: 'jweiss-sre' }),
      ['reviewer-approval'],
    ],
    [
      "an approval from anyone but the file's reviewer does not count",
      () => input(decided(), { reviews: [approve('someone-else')] }),
      ['reviewer-approval'],
    ],
    [
      'a file the campaign on the base branch does not list is refused',
      () => input(decided(), { campaign: undefined }),
      ['not-in-campaign'],
    ],
    [
      'a file that is not a review file on the head is refused',
      () => input('quarter: 2027-Q1\nreviewer: jonah.weiss\nitems: [ {id: 1} ]\n'),
      ['unreadable'],
    ],
    [
      'an invalid decision is refused',
      () => {
        const f = decided();
        f.items[0]!.decision = 'maybe' as never;
        return input(f);
      },
      ['unreadable'],
    ],
  ];

  it.each(table)('%s', (_name, make, expected) => {
    const c = checkReview(make());
    expect(c.passed).toBe(false);
    expect([...new Set(c.refusals.map((r) => r.rule))]).toEqual(expected);
    for (const r of c.refusals) {
      expect(r.line).toBeGreaterThan(0);
      expect(r.message).toMatch(/\.$/);
      expect(r.fix.length).toBeGreaterThan(0);
    }
  });

  it('names the line of the item refused', () => {
    const f = decided();
    f.items[2]!.decision = 'pending';
    const head = text(f);
    const [r] = checkReview(input(head)).refusals;
    expect(r).toMatchObject({ rule: 'pending', file: FILE });
    expect(head.split('\n')[r!.line - 1]).toContain('decision: pending');
  });

  it('says why the approval is missing: stale, before the latest push', () => {
    const r = checkReview(input(decided(), { reviews: [approve('jweiss-sre', OLD)] })).refusals[0]!;
    expect(r.message).toContain('before the latest push');
  });

  it('passes a pull request that changes no reviewer file (the campaign pull request)', () => {
    expect(rules(input(decided(), { files: [] }))).toEqual([]);
  });
});

describe('jml review check on two checkouts', () => {
  afterEach(cleanTempDirs);
  it('refuses while items are pending and passes once decided and approved (exit 3, then 0)', async () => {
    const base = await driftedExample();
    expect((await jml(base, 'review', 'start', '--quarter', Q, '--at', AT)).code).toBe(0);
    const head = tempDir();
    cpSync(base, head, { recursive: true });
    const file = path.join(head, FILE);
    const changes = path.join(tempDir(), 'changes.json');
    const pr = (reviews: Review[]) =>
      writeFileSync(
        changes,
        JSON.stringify({
          pull: { number: 7, user: { login: 'github-actions[bot]' }, head: { sha: HEAD } },
          files: [],
          reviews: reviews.map((r) => ({
            user: { login: r.login },
            state: r.state,
            commit_id: r.commitId,
            submitted_at: r.submittedAt,
          })),
        }),
      );
    pr([approve('jweiss-sre')]);
    // One item decided, the others still pending.
    writeFileSync(file, readFileSync(file, 'utf8').replace('decision: pending', 'decision: keep'));
    const refused = await jml(base, 'review', 'check', '--base', base, '--head', head, '--changes', changes);
    expect(refused.code, refused.err).toBe(3);
    expect(refused.out).toContain('[pending]');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/decision: pending/g, 'decision: keep'));
    const passed = await jml(base, 'review', 'check', '--base', base, '--head', head, '--changes', changes);
    expect(passed.code, passed.out + passed.err).toBe(0);
    expect(passed.out).toContain('approved by @jweiss-sre');
    pr([]);
    expect(
      (await jml(base, 'review', 'check', '--base', base, '--head', head, '--changes', changes)).code,
    ).toBe(3);
  });
});
