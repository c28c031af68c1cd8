/**
 * The pull request that merged a commit, as the evidence pack and merge-evidence both choose it:
 * never one that was not merged (its approvals did not put the commit on the branch).
 */
import { describe, expect, it } from 'vitest';
import { mergingPullRequest } from '../../src/approvals/pull-request.js';

const pr = (n: number, mergedAt: string | null, mergeCommitSha: string | null) => ({
  n,
  mergedAt,
  mergeCommitSha,
});

describe('mergingPullRequest', () => {
  it('picks the merged pull request whose merge commit it is, whatever the case of the SHA', () => {
    const listed = [pr(1, '2026-11-01T00:00:00Z', 'aaa'), pr(2, '2026-11-02T00:00:00Z', 'ABC')];
    expect(mergingPullRequest(listed, 'abc')?.n).toBe(2);
  });

  it('falls back to a merged pull request that carried the commit', () => {
    expect(mergingPullRequest([pr(1, null, null), pr(2, '2026-11-02T00:00:00Z', 'fff')], 'abc')?.n).toBe(2);
  });

  it('never credits an open or closed-unmerged pull request', () => {
    expect(mergingPullRequest([pr(1, null, 'abc'), pr(2, null, null)], 'abc')).toBeUndefined();
  });
});
