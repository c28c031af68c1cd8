/**
 * Artifact 7, access reviews: every item of every quarterly campaign in the period, as
 * `jml review report` shows it (src/review/report.ts): decision, reviewer and their standing
 * approval, merge commit, remediation applied and the live check that each revoke took effect.
 *
 * A missing review is a finding, not an empty table: every calendar quarter that ended inside
 * the period (its boundaries in the organisation's time zone, policy/jml.yaml `timezone`) must have
 * a campaign (reviews/<quarter>/campaign.yaml, started by the pack's instant) that is completed:
 * every item decided, or settled by the no-response policy recorded at the due date. A campaign
 * still undecided before its due date is in progress (a note); past it, a finding.
 */
import type { Clock } from '../../model/time.js';
import { buildReviewReport, REVIEW_COLUMNS } from '../../review/report.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

/** A calendar quarter in the organisation's zone: `[start, end)` in epoch ms. */
export interface QuarterSpan {
  quarter: string;
  start: number;
  end: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The span of `YYYY-Qn` in the clock's zone. */
function quarterSpan(clock: Clock, quarter: string): QuarterSpan {
  const m = /^(\d{4})-Q([1-4])$/.exec(quarter);
  if (!m) throw new Error(`not a quarter: ${quarter} (YYYY-Qn)`);
  const year = Number(m[1]);
  const q = Number(m[2]);
  const firstMonth = (q - 1) * 3 + 1;
  const next = q === 4 ? `${year + 1}-01-01` : `${year}-${pad(firstMonth + 3)}-01`;
  return { quarter, start: clock.dayStart(`${year}-${pad(firstMonth)}-01`), end: clock.dayStart(next) };
}

/** The quarter `ms` falls in, in the clock's zone. */
function quarterOf(clock: Clock, ms: number): string {
  const [y, mo] = clock.dateOf(ms).split('-').map(Number) as [number, number];
  return `${y}-Q${Math.floor((mo - 1) / 3) + 1}`;
}

function nextQuarter(quarter: string): string {
  const [y, q] = quarter.split('-Q').map(Number) as [number, number];
  return q === 4 ? `${y + 1}-Q1` : `${y}-Q${q + 1}`;
}

/** Every quarter that ended inside `(since, at]` (its end, the next quarter's first instant). */
export function quartersEndedIn(clock: Clock, since: number, at: number): QuarterSpan[] {
  const out: QuarterSpan[] = [];
  for (let q = quarterOf(clock, since); ; q = nextQuarter(q)) {
    const span = quarterSpan(clock, q);
    if (span.end > at) break;
    if (span.end > since) out.push(span);
  }
  return out;
}

export function buildAccessReviews(input: EvidenceInput): Artifact {
  const { index } = input;
  const reports = (input.reviews ?? []).map((r) => buildReviewReport(r));
  const notes = reports.flatMap((r) => r.artifact.notes.map((n) => `${r.quarter}: ${n}`));
  const findings: Finding[] = reports.flatMap((r) => r.artifact.findings);
  const missingRows: Row[] = [];
  const find = (text: string) => findings.push({ artifact: 'access-reviews', text });
  const ended = quartersEndedIn(index.clock, input.since, input.at);
  const date = (ms: number) => index.clock.dateOf(ms);
  for (const span of ended) {
    const q = span.quarter;
    const when = `the quarter ended at the start of ${date(span.end)} (${index.clock.zone})`;
    const campaign = index.repo.reviews.campaigns.find(
      (c) => c.value.quarter === q && Date.parse(c.value.startedAt) <= input.at,
    )?.value;
    const report = reports.find((r) => r.quarter === q);
    let outcome: string | null = null;
    if (!campaign) {
      outcome = 'no access review campaign';
      find(`No access review for ${q}: ${when} and reviews/${q}/campaign.yaml does not exist.`);
    } else if (!report) {
      outcome = 'campaign not read';
      find(
        `The access review for ${q} could not be evidenced: reviews/${q}/campaign.yaml exists but was not gathered into the pack.`,
      );
    } else {
      const s = report.summary;
      const open = s.undecided - s.policyOutcome;
      const dueMs = index.clock.dayStart(campaign.due);
      if (open > 0 || s.items < s.population) {
        const what = `${open} of ${s.items} item(s) undecided with no policy outcome recorded${s.items < s.population ? `, ${s.population - s.items} item(s) of the population missing from the files` : ''}`;
        if (input.at >= dueMs) {
          outcome = 'campaign not completed';
          find(`The access review for ${q} is not completed (${when}; due ${campaign.due}): ${what}.`);
        } else notes.push(`${q}: in progress, due ${campaign.due}: ${what}.`);
      } else notes.push(`${q}: completed: every item of the population decided or settled at the due date.`);
    }
    if (outcome)
      missingRows.push({
        ...Object.fromEntries(REVIEW_COLUMNS.map((c) => [c.key, null])),
        quarter: q,
        file: `reviews/${q}/campaign.yaml`,
        outcome,
        result: 'FINDING',
      });
  }
  notes.unshift(
    ended.length
      ? `Quarters that ended in the period (boundaries in ${index.clock.zone}, policy/jml.yaml timezone): ${ended.map((e) => e.quarter).join(', ')}; each must have a completed campaign.`
      : `No quarter ended in the period (boundaries in ${index.clock.zone}).`,
  );
  if (reports.length === 0)
    notes.push('No access review campaign (reviews/<quarter>/campaign.yaml) overlaps the period.');
  return {
    id: 'access-reviews',
    title: 'Quarterly access reviews',
    proves:
      'Every quarter that ended in the period was reviewed: every entitlement held was reviewed by the manager of its holder (signed by their pull request approval), each revoke was applied, and the providers no longer show it. A quarter without a completed campaign is a finding.',
    columns: REVIEW_COLUMNS,
    rows: [...missingRows, ...reports.flatMap((r) => r.artifact.rows)],
    notes,
    findings,
  };
}
