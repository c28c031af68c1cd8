/**
 * Access review files through the approval gate: a campaign's terms are security's, and a
 * reviewer file's decisions are its reviewer's (jml review check judges the file itself). A new
 * quarter is a folder the base branch does not have yet, read through the merged view.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanTempDirs } from '../engine/helpers.js';
import { approve, decideScenario, scenario, writeYaml } from './helpers.js';

afterAll(cleanTempDirs);

const campaign = (reviewers: { file: string; reviewer: string; items: number }[]) => ({
  quarter: '2027-Q1',
  startedAt: '2026-11-19T14:00:00Z',
  due: '2026-12-10',
  commit: null,
  exportFingerprint: { plan: `sha256:${'0'.repeat(64)}`, sha256: '0'.repeat(64) },
  scope: [{ provider: 'local', simulated: false }],
  noResponse: 'keep',
  highRiskNoResponse: 'revoke',
  inactivityDays: 90,
  reviewers,
  items: reviewers.reduce((n, r) => n + r.items, 0),
});

const GRACE_FILE = 'reviews/2027-Q1/grace.lin.yaml';
const reviewerFile = (decision: 'pending' | 'keep' | 'revoke') => ({
  quarter: '2027-Q1',
  reviewer: 'grace.lin',
  items: [
    {
      id: 'alice.nguyen/local/github-engineering',
      person: 'alice.nguyen',
      account: 'alice.nguyen@example.com',
      provider: 'local',
      entitlement: 'github-engineering',
      target: 'github-engineering',
      risk: 'low',
      source: { kind: 'role', id: 'engineer', at: 'people/alice.nguyen.yaml:10' },
      accountEnabled: true,
      lastSignIn: null,
      inactive: null,
      exceptionExpiresSoon: false,
      decision,
      justification: decision === 'revoke' ? 'Moved off the team (OPS-7).' : '',
    },
  ],
});

describe('access reviews through the approval gate', () => {
  it('a campaign for a new quarter (a folder the base lacks) needs the security team', () => {
    const s = scenario((head) => writeYaml(head, 'reviews/2027-Q1/campaign.yaml', campaign([])));
    const d = decideScenario(s, { author: 'pat-p', reviews: [] });
    expect(d.approved).toBe(false);
    expect(d.requirements.find((r) => r.file === 'reviews/2027-Q1/campaign.yaml')?.rule).toBe(
      'security-team',
    );
    expect(decideScenario(s, { author: 'pat-p', reviews: [approve('sam-s')] }).approved).toBe(true);
  });

  it("a reviewer's decisions need the reviewer the base campaign names, and nobody else's approval counts", () => {
    const s = scenario((head, base) => {
      for (const dir of [head, base]) {
        writeYaml(
          dir,
          'reviews/2027-Q1/campaign.yaml',
          campaign([{ file: GRACE_FILE, reviewer: 'grace.lin', items: 1 }]),
        );
        writeYaml(dir, GRACE_FILE, reviewerFile('pending'));
      }
      writeYaml(head, GRACE_FILE, reviewerFile('revoke'));
    });
    const bySecurity = decideScenario(s, { author: 'pat-p', reviews: [approve('sam-s')] });
    expect(bySecurity.approved, JSON.stringify(bySecurity.requirements, null, 1)).toBe(false);
    expect(bySecurity.requirements.map((r) => `${r.rule} ${r.status}`)).toEqual(['access-review missing']);
    expect(decideScenario(s, { author: 'pat-p', reviews: [approve('grace-l')] }).approved).toBe(true);
  });
});
