/**
 * Artifact 7, access reviews: every item of every quarterly campaign in the period, as
 * `jml review report` shows it (src/review/report.ts): decision, reviewer and their standing
 * approval, merge commit, remediation applied and the live check that each revoke took effect.
 */
import { buildReviewReport, REVIEW_COLUMNS } from '../../review/report.js';
import type { Artifact, EvidenceInput } from './types.js';

export function buildAccessReviews(input: EvidenceInput): Artifact {
  const reports = (input.reviews ?? []).map((r) => buildReviewReport(r));
  const notes = reports.flatMap((r) => r.artifact.notes.map((n) => `${r.quarter}: ${n}`));
  if (reports.length === 0)
    notes.push('No access review campaign (reviews/<quarter>/campaign.yaml) overlaps the period.');
  return {
    id: 'access-reviews',
    title: 'Quarterly access reviews',
    proves:
      'Every entitlement held was reviewed by the manager of its holder (signed by their pull request approval), each revoke was applied, and the providers no longer show it.',
    columns: REVIEW_COLUMNS,
    rows: reports.flatMap((r) => r.artifact.rows),
    notes,
    findings: reports.flatMap((r) => r.artifact.findings),
  };
}
