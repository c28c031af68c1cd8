/**
 * Artifact 1, the policy: policy/JML-POLICY.md as it stands, and every commit that changed it (in
 * the period and before), each with the pull request that merged it and who approved it when.
 * An auditor checks that the written policy in force was reviewed and approved.
 */
import {
  COMMIT_COLUMNS,
  columns,
  commitCells,
  githubNotes,
  PULL_REQUEST_COLUMNS,
  pullRequestCells,
} from './common.js';
import type { Artifact, EvidenceInput } from './types.js';

export const POLICY_FILE = 'policy/JML-POLICY.md';

export function buildPolicy(input: EvidenceInput): Artifact {
  const history = input.policyHistory;
  const rows = history.map((c, i) => ({
    version: history.length - i,
    current: i === 0,
    inPeriod: Date.parse(c.committedAt) >= input.since && Date.parse(c.committedAt) <= input.at,
    ...commitCells(c),
    ...pullRequestCells(input, c.sha),
  }));
  const current = history[0];
  const notes = githubNotes(input, 'Pull request and approval columns');
  if (!current)
    notes.push(`${POLICY_FILE} has no git history here (not a checkout, or the file is missing).`);
  const pr = current ? input.pullRequests.get(current.sha) : undefined;
  if (current && input.githubGaps.length === 0 && !pr?.approvals.length)
    notes.push(
      `The current version (${current.sha.slice(0, 7)}) has no approving pull request review on GitHub.`,
    );
  return {
    id: 'policy',
    title: 'JML policy and its approval',
    proves: `The written policy (${POLICY_FILE}) in force, each change to it, and who approved each change by pull request review and when.`,
    columns: columns([
      ['version', 'Version'],
      ['current', 'Current'],
      ['inPeriod', 'In period'],
      ...COMMIT_COLUMNS,
      ...PULL_REQUEST_COLUMNS,
    ]),
    rows,
    notes,
    findings: [],
  };
}
