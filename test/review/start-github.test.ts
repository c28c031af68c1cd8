/**
 * jml review start against the GitHub fake: one pull request per reviewer file plus the
 * campaign's, reviewers asked, labels set, and nothing more on a second run.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ReviewCampaign } from '../../src/model/schema.js';
import { cleanTempDirs, jml, repoFiles } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { AT, driftedExample, Q } from './helpers.js';

let h: GitHubHarness;
githubForEachTest((x) => {
  h = x;
});

describe('jml review start with GitHub', () => {
  afterEach(cleanTempDirs);
  it('opens one pull request per reviewer file and one for the campaign, and nothing more when run again', async () => {
    const dir = await driftedExample();
    h.fake.addBranch(OWNER, REPO, 'main', 'c'.repeat(40), repoFiles(dir));
    for (const login of ['jweiss-sre', 'emcbride-sec', 'saraholm'])
      h.fake.addCollaborator(OWNER, REPO, login);
    const r = await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT);
    expect(r.code, r.out + r.err).toBe(0);
    expect(() => readdirSync(path.join(dir, 'reviews'))).toThrow(); // nothing written locally
    const pulls = h.fake.pullsOf(OWNER, REPO);
    const branches = pulls.map((p) => p.headRef).sort();
    expect(branches).toContain(`jml/review/${Q}/campaign`);
    expect(branches).toContain(`jml/review/${Q}/jonah.weiss`);
    expect(branches).toContain(`jml/review/${Q}/security`);
    const jonah = pulls.find((p) => p.headRef === `jml/review/${Q}/jonah.weiss`)!;
    const files = h.fake.filesAt(OWNER, REPO, jonah.headRef);
    expect(files.get(`reviews/${Q}/jonah.weiss.yaml`)).toContain('reviewer: jonah.weiss');
    expect(files.has(`reviews/${Q}/campaign.yaml`)).toBe(false);
    const campaignFiles = h.fake.filesAt(OWNER, REPO, `jml/review/${Q}/campaign`);
    const campaign = parse(campaignFiles.get(`reviews/${Q}/campaign.yaml`)!) as ReviewCampaign;
    expect(pulls).toHaveLength(campaign.reviewers.length + 1);
    expect(jonah.requestedReviewers).toEqual(['jweiss-sre']);
    expect(h.fake.repo(OWNER, REPO).issues.get(jonah.number)!.labels).toEqual(
      expect.arrayContaining(['jml', 'access-review', `quarter:${Q}`]),
    );
    const seen = h.fake.requests.length;
    const again = await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT);
    expect(again.code, again.err).toBe(0);
    expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(pulls.length);
    const writes = h.fake.requests.slice(seen).filter((q) => q.method !== 'GET' && q.status < 300);
    expect(writes).toEqual([]);
  });
});
