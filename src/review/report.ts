/**
 * review report (pure): a quarter's access review, item by item, as the auditor samples it.
 *
 * For every item of every reviewer file (the population the campaign counted): its decision and
 * justification; who signed it (the file's reviewer, through their `github` login) with the
 * approval that stood on the pull request's head when it merged, its time and the commit it
 * approved; the commit that merged the file (git log); what was done about it (the apply records
 * that carry `review: { quarter, items }`: `jml review apply` and `jml review due`); and, read
 * live, whether each revoked item is really gone from its provider.
 *
 * Findings (exit 2): the files do not hold the population the campaign counted; an item still
 * undecided (pending or dont-know) past the due date with no recorded policy outcome; a revoke
 * (decided, or the no-response policy's) whose access the provider still shows; a file with
 * decisions whose pull request has no standing approval by its reviewer (only when GitHub was
 * read; otherwise a note says the approval columns are empty).
 */
import { byCodePoint } from '../model/order.js';
import type { ReviewItem } from '../model/schema.js';
import { targetKey } from '../plan/build-plan.js';
import type { ApplyRecord } from '../records/schema.js';
import { columns, count, iso } from '../report/evidence/common.js';
import type {
  Artifact,
  Finding,
  ReviewFileEvidence,
  ReviewReportInput,
  Row,
} from '../report/evidence/types.js';

/**
 * The `review` field `jml review apply` and `jml review due` add to their apply records, read
 * defensively: `items` may be item ids or objects with an `id` (and an `outcome` or `decision`
 * saying what the due date did).
 */
export interface ReviewRecordField {
  quarter: string;
  /** `decided` (jml review apply) or `no-response` (jml review due), when the record says. */
  reason?: string;
  items: { id: string; outcome?: string; pullRequest?: string }[];
}

export function reviewFieldOf(record: ApplyRecord): ReviewRecordField | undefined {
  const raw = (record as unknown as { review?: unknown }).review as
    | { quarter?: unknown; reason?: unknown; items?: unknown }
    | undefined;
  if (!raw || typeof raw.quarter !== 'string' || !Array.isArray(raw.items)) return undefined;
  const items: ReviewRecordField['items'] = [];
  for (const x of raw.items as unknown[]) {
    if (typeof x === 'string') items.push({ id: x });
    else if (x && typeof x === 'object' && typeof (x as { id?: unknown }).id === 'string') {
      const o = x as { id: string; outcome?: unknown; decision?: unknown; pullRequest?: unknown };
      const outcome =
        typeof o.outcome === 'string' ? o.outcome : typeof o.decision === 'string' ? o.decision : undefined;
      items.push({
        id: o.id,
        ...(outcome ? { outcome } : {}),
        ...(typeof o.pullRequest === 'string' ? { pullRequest: o.pullRequest } : {}),
      });
    }
  }
  return { quarter: raw.quarter, ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}), items };
}

/** A recorded outcome as keep or revoke (`revoked` and `proposed` are revokes; `kept` a keep). */
function effectOf(outcome: string | undefined): 'keep' | 'revoke' | undefined {
  if (outcome === 'revoke' || outcome === 'revoked' || outcome === 'proposed') return 'revoke';
  if (outcome === 'keep' || outcome === 'kept') return 'keep';
  return undefined;
}

export interface ReviewReport {
  quarter: string;
  artifact: Artifact;
  summary: {
    population: number;
    items: number;
    decided: number;
    keep: number;
    revoke: number;
    undecided: number;
    policyOutcome: number;
    revokedGone: number;
    revokedStillHeld: number;
  };
}

const UNDECIDED = new Set(['pending', 'dont-know']);

interface Remediation {
  file: string;
  startedAt: string;
  outcome?: string;
  changes: string[];
}

export function buildReviewReport(input: ReviewReportInput): ReviewReport {
  const { campaign, index } = input;
  const q = campaign.quarter;
  const dueMs = index.clock.dayStart(campaign.due);
  const pastDue = input.at >= dueMs;
  const findings: Finding[] = [];
  const find = (text: string) => findings.push({ artifact: 'access-reviews', text });
  const notes: string[] = input.githubGaps.map(
    (g) =>
      `Reviewer approval, review time, approved commit and pull request columns are empty or partial: ${g}`,
  );

  // --- remediation: apply records of this quarter's reviews, by item id ------------------------
  const remediation = new Map<string, Remediation[]>();
  for (const r of input.records) {
    const rec = r.record;
    const review = reviewFieldOf(rec);
    if (review?.quarter !== q) continue;
    for (const entry of review.items) {
      const item = itemById(input.files, entry.id);
      const changes = item
        ? rec.changes
            .filter(
              (c) =>
                c.provider === item.provider &&
                c.login.toLowerCase() === item.account.toLowerCase() &&
                c.entitlement === item.entitlement,
            )
            .map(
              (c) =>
                `${c.action}${c.operation ? ` (${c.operation})` : ''}: ${c.status}${c.error ? ` (${c.error})` : ''}`,
            )
        : [];
      if (entry.pullRequest) changes.push(`pull request ${entry.pullRequest}`);
      const outcome = entry.outcome;
      const list = remediation.get(entry.id) ?? [];
      list.push({ file: r.file, startedAt: rec.startedAt, ...(outcome ? { outcome } : {}), changes });
      remediation.set(entry.id, list);
    }
  }

  // --- post-remediation: what the providers hold now -------------------------------------------
  const held = new Map<string, Set<string>>(); // provider|kind:target -> members (lower-case)
  const read = new Set(input.actual.map((s) => s.provider));
  for (const s of input.actual)
    for (const m of s.memberships)
      held.set(
        `${s.provider}|${targetKey(m.kind, m.target)}`,
        new Set(m.members.map((x) => x.toLowerCase())),
      );
  const stillHeld = (item: ReviewItem): boolean | null => {
    if (!read.has(item.provider)) return null;
    const ent = index.entitlements.get(item.entitlement)?.value;
    const key = ent ? targetKey(ent.kind, ent.target) : undefined;
    const members = key ? held.get(`${item.provider}|${key}`) : undefined;
    return members?.has(item.account.toLowerCase()) ?? false;
  };

  // --- every item --------------------------------------------------------------------------------
  const rows: Row[] = [];
  const summary = {
    population: campaign.items,
    items: 0,
    decided: 0,
    keep: 0,
    revoke: 0,
    undecided: 0,
    policyOutcome: 0,
    revokedGone: 0,
    revokedStillHeld: 0,
  };
  const files = [...input.files].sort((a, b) => byCodePoint(a.path, b.path));
  for (const f of files) {
    const reviewer = f.file.reviewer;
    const login = index.people.get(reviewer)?.value.github ?? null;
    const pr = f.pullRequest;
    const approval =
      pr && login ? pr.approvals.find((a) => a.login.toLowerCase() === login.toLowerCase()) : undefined;
    const merge = f.commits[0];
    const decidedHere = f.file.items.some((i) => !UNDECIDED.has(i.decision));
    if (f.file.items.length && pr !== undefined) {
      if (pr === null)
        find(
          `${f.path}: no pull request found (branch jml/review/${q}/${f.name}, or the commit that merged the file), so nobody's approval is on record.`,
        );
      else if (!login)
        find(
          `${f.path}: the reviewer ${reviewer} has no github login in people/, so their approval of #${pr.number} cannot be shown.`,
        );
      else if (!approval && decidedHere)
        find(
          `${f.path}: #${pr.number} has no approval by its reviewer ${reviewer} (@${login}) standing on its head commit.`,
        );
    }
    for (const item of f.file.items) {
      summary.items++;
      const done = remediation.get(item.id) ?? [];
      const undecided = UNDECIDED.has(item.decision);
      let effective: 'keep' | 'revoke' | null = undecided ? null : (item.decision as 'keep' | 'revoke');
      let outcome: string | null = null;
      if (undecided) {
        summary.undecided++;
        if (done.length) {
          summary.policyOutcome++;
          const policy = item.risk === 'high' ? campaign.highRiskNoResponse : campaign.noResponse;
          effective = effectOf(done.find((d) => d.outcome)?.outcome) ?? policy;
          outcome = `no response: ${effective} (${item.risk === 'high' ? 'highRiskNoResponse' : 'noResponse'}, ${done[0]!.file})`;
        } else if (pastDue) {
          find(
            `${item.id} (${f.path}) is ${item.decision} past the due date ${campaign.due} and no policy outcome was recorded (run jml review due).`,
          );
        }
      } else {
        summary.decided++;
        if (item.decision === 'keep') summary.keep++;
        else summary.revoke++;
      }
      let post: string | null = null;
      let finding = false;
      if (effective === 'revoke') {
        const h = stillHeld(item);
        if (h === null) post = `not read (${item.provider} not connected)`;
        else if (h) {
          summary.revokedStillHeld++;
          post = 'STILL HELD';
          finding = true;
          find(
            `${item.id} was revoked (${f.path}) but ${item.provider} still shows ${item.account} in ${item.target} as of ${iso(input.at)}.`,
          );
        } else {
          summary.revokedGone++;
          post = 'gone';
        }
      } else if (effective === 'keep') {
        const h = stillHeld(item);
        post = h === null ? null : h ? 'held (kept)' : 'no longer held';
      }
      if (undecided && !done.length && pastDue) finding = true;
      rows.push({
        quarter: q,
        file: f.path,
        item: item.id,
        person: item.person,
        account: item.account,
        provider: item.provider,
        entitlement: item.entitlement,
        target: item.target,
        risk: item.risk,
        source: sourceText(item),
        lastSignIn: item.lastSignIn,
        inactive: item.inactive,
        decision: item.decision,
        justification: item.justification || null,
        reviewer,
        reviewerLogin: login,
        reviewedAt: approval?.submittedAt ?? null,
        approvedCommit: approval?.commitId ?? null,
        pullRequest: pr ? `#${pr.number}` : pr === null ? 'none found' : null,
        pullRequestUrl: pr?.url ?? null,
        mergedAt: pr?.mergedAt ?? null,
        mergeCommit: merge?.sha ?? null,
        mergeCommittedAt: merge?.committedAt ?? null,
        outcome: outcome ?? (undecided ? (pastDue ? 'none recorded' : 'not due yet') : item.decision),
        remediation: done.length
          ? done
              .map(
                (d) =>
                  `${d.file}${d.outcome ? ` ${d.outcome}` : ''}${d.changes.length ? `: ${d.changes.join(', ')}` : ''}`,
              )
              .join('; ')
          : effective === 'revoke'
            ? 'none recorded'
            : null,
        postCheck: post,
        result: finding ? 'FINDING' : 'pass',
      });
    }
  }
  if (summary.items !== campaign.items)
    find(
      `The reviewer files hold ${summary.items} items but the campaign counted ${campaign.items}: the population is not accounted for.`,
    );
  const simulated = input.actual.filter((s) => s.simulated).map((s) => s.provider);
  notes.unshift(
    `Population ${campaign.items} (campaign started ${campaign.startedAt}, due ${campaign.due}): ${summary.decided} decided (${summary.keep} keep, ${summary.revoke} revoke), ${summary.undecided} undecided of which ${summary.policyOutcome} with a policy outcome; revoked items read live at ${iso(input.at)}: ${summary.revokedGone} gone, ${summary.revokedStillHeld} still held.`,
  );
  if (simulated.length)
    notes.push(`Simulated (embedded directories standing in for the provider): ${simulated.join(', ')}.`);
  return {
    quarter: q,
    summary,
    artifact: {
      id: 'access-reviews',
      title: `Access review ${q}`,
      proves:
        'Every entitlement held was reviewed by the manager of its holder (signed by their pull request approval), each revoke was applied, and the providers no longer show it.',
      columns: REVIEW_COLUMNS,
      rows,
      notes,
      findings,
    },
  };
}

export const REVIEW_COLUMNS = columns([
  ['quarter', 'Quarter'],
  ['file', 'Review file'],
  ['item', 'Item'],
  ['person', 'Person'],
  ['account', 'Account'],
  ['provider', 'Provider'],
  ['entitlement', 'Entitlement'],
  ['target', 'Target'],
  ['risk', 'Risk'],
  ['source', 'Source'],
  ['lastSignIn', 'Last sign-in'],
  ['inactive', 'Inactive'],
  ['decision', 'Decision'],
  ['justification', 'Justification'],
  ['reviewer', 'Reviewer'],
  ['reviewerLogin', 'Reviewer login'],
  ['reviewedAt', 'Approved at'],
  ['approvedCommit', 'Approved commit'],
  ['pullRequest', 'Pull request'],
  ['pullRequestUrl', 'Pull request URL'],
  ['mergedAt', 'Merged at'],
  ['mergeCommit', 'Merge commit'],
  ['mergeCommittedAt', 'Merge committed at'],
  ['outcome', 'Outcome'],
  ['remediation', 'Remediation applied'],
  ['postCheck', 'Post-remediation check'],
  ['result', 'Result'],
]);

function sourceText(item: ReviewItem): string {
  const s = item.source;
  if (s.kind === 'role') return `role ${s.id}`;
  if (s.kind === 'exception') return `exception ${s.id} (expires ${s.expires})`;
  return 'orphaned';
}

function itemById(files: readonly ReviewFileEvidence[], id: string): ReviewItem | undefined {
  for (const f of files) {
    const found = f.file.items.find((i) => i.id === id);
    if (found) return found;
  }
  return undefined;
}

/** A one-paragraph summary for the terminal and the Markdown's head. */
export function reviewSummaryText(r: ReviewReport): string {
  const s = r.summary;
  return `Access review ${r.quarter}: population ${s.population}, ${s.items} items in the files, ${s.decided} decided (${s.keep} keep, ${s.revoke} revoke), ${s.undecided} undecided (${s.policyOutcome} with a policy outcome); revoked: ${s.revokedGone} gone, ${s.revokedStillHeld} still held; ${count(r.artifact.findings.length, 'finding')}.`;
}
