/**
 * Artifact 1, the policy: policy/JML-POLICY.md as it stands, and every commit that changed it (in
 * the period and before), each a version with its effective date (when it landed on the branch:
 * the commit date on the branch, which for a merged pull request is its merge) and its approval: from the apply record that captured it at merge
 * first, else from GitHub at pack time. A version never approved (the first included) is a
 * finding: the written policy in force must have been reviewed and approved. Every JML event
 * names the version in force at its run (jml-events.ts, `policyVersionAt`).
 */
import { APPROVAL_COLUMNS, approvalCells, approvalOf } from './approval-evidence.js';
import { COMMIT_COLUMNS, columns, commitCells, githubNotes } from './common.js';
import type { Artifact, EvidenceInput, Finding } from './types.js';

export const POLICY_FILE = 'policy/JML-POLICY.md';

export function buildPolicy(input: EvidenceInput): Artifact {
  const history = input.policyHistory;
  const findings: Finding[] = [];
  const rows = history.map((c, i) => {
    const version = history.length - i;
    const ev = approvalOf(input, {
      sha: c.sha,
      need: 'any',
      subject: `policy version ${version} (${POLICY_FILE} at ${c.sha.slice(0, 7)})`,
    });
    const approved = ev.problem === null && ev.approvers.length > 0;
    if (!approved)
      findings.push({
        artifact: 'policy',
        text: `Policy version ${version} was never approved (in force from ${c.committedAt}${i === 0 ? ', the current version' : ''}). ${ev.problem?.text ?? 'No approval of it counted.'}`,
      });
    return {
      version,
      current: i === 0,
      inPeriod: Date.parse(c.committedAt) >= input.since && Date.parse(c.committedAt) <= input.at,
      effectiveAt: c.committedAt,
      supersededAt: i === 0 ? null : (history[i - 1]!.committedAt ?? null),
      approved,
      ...commitCells(c),
      ...approvalCells(ev),
    };
  });
  const current = history[0];
  const notes = githubNotes(input, 'Approval columns read from GitHub');
  if (!current)
    notes.push(`${POLICY_FILE} has no git history here (not a checkout, or the file is missing).`);
  notes.push(
    'Effective from: when the version landed on the branch (the commit date of the commit on the branch, which for a merged pull request is its merge). Each JML event names the version in force at its run.',
  );
  return {
    id: 'policy',
    title: 'JML policy and its approval',
    proves: `The written policy (${POLICY_FILE}) in force, each version of it with the date it took effect, and who approved each by pull request review and when.`,
    columns: columns([
      ['version', 'Version'],
      ['current', 'Current'],
      ['inPeriod', 'In period'],
      ['effectiveAt', 'Effective from'],
      ['supersededAt', 'Superseded at'],
      ['approved', 'Approved'],
      ...COMMIT_COLUMNS,
      ...APPROVAL_COLUMNS,
    ]),
    summary: ['version', 'current', 'effectiveAt', 'requester', 'approvers', 'verdict', 'approvalFinding'],
    rows,
    notes,
    findings,
  };
}
