/**
 * Artifact 4, the exceptions: access outside the role templates that was in force at `at`, or
 * expired or was removed in the period (from git history of exceptions/, deleted files
 * included). Each with its justification, entitlements, the approvers the file lists, the real
 * approving reviewers of the pull request that added or last changed it, and its dates.
 *
 * Findings: an exception whose expiry has passed while its file is still present (the file should
 * have been deleted: jml github prune-exceptions proposes it); one that lists its own subject as
 * an approver; and, when its pull request is known, one whose listed approvers did not all approve
 * it, or that the subject approved themselves.
 */
import { parse } from 'yaml';
import { byCodePoint } from '../../model/order.js';
import type { Exception } from '../../model/schema.js';
import { columns, githubNotes, PULL_REQUEST_COLUMNS, pullRequestCells } from './common.js';
import type { CommitInfo } from './git-history.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

interface ExceptionHistory {
  path: string;
  created?: CommitInfo;
  /** The newest commit that added or changed the file: its pull request approved the current text. */
  approved?: CommitInfo;
  removed?: CommitInfo;
}

function histories(input: EvidenceInput): Map<string, ExceptionHistory> {
  const out = new Map<string, ExceptionHistory>();
  // Oldest first, so later commits overwrite.
  for (const c of [...input.exceptionHistory].reverse()) {
    for (const f of c.files) {
      if (!/^exceptions\/[^/]+\.yaml$/.test(f.path)) continue;
      const h = out.get(f.path) ?? { path: f.path };
      if (f.status === 'A') {
        h.created ??= c;
        h.approved = c;
        delete h.removed;
      } else if (f.status === 'M') h.approved = c;
      else h.removed = c;
      out.set(f.path, h);
    }
  }
  return out;
}

export function buildExceptions(input: EvidenceInput): Artifact {
  const { index } = input;
  const present = new Map(index.repo.exceptions.map((e) => [e.src.path, e.value]));
  const found = histories(input);
  for (const p of present.keys()) if (!found.has(p)) found.set(p, { path: p });
  const login = (id: string) => index.people.get(id)?.value.github ?? null;
  const rows: Row[] = [];
  const findings: Finding[] = [];
  for (const h of [...found.values()].sort((a, b) => byCodePoint(a.path, b.path))) {
    const current = present.get(h.path);
    let exc: Exception | undefined = current;
    if (!exc && h.removed) {
      const text = input.exceptionTexts.get(`${h.removed.sha}:${h.path}`);
      try {
        exc = text ? (parse(text) as Exception) : undefined;
      } catch {
        exc = undefined;
      }
    }
    if (!exc?.id) continue;
    const fromMs = index.clock.dayStart(exc.from);
    const expiresMs = index.clock.dayStart(exc.expires);
    let status: string;
    if (current) {
      if (expiresMs <= input.at) status = 'expired, file still present';
      else if (fromMs <= input.at) status = 'in force';
      else continue; // pending: not yet in force
    } else {
      const removedMs = Date.parse(h.removed!.committedAt);
      if (removedMs < input.since || removedMs > input.at) continue;
      status = expiresMs <= removedMs ? 'expired, removed' : 'removed before expiry';
    }
    if (status === 'expired, file still present')
      findings.push({
        artifact: 'exceptions',
        text: `${exc.id} (${exc.person}: ${exc.entitlements.join(', ')}) expired on ${exc.expires} and ${h.path} is still present.`,
      });
    const pr = pullRequestCells(input, h.approved?.sha);
    const listed = exc.approvers ?? [];
    const logins = listed.map(login);
    const approvedBy = String(pr.approvers ?? '')
      .split('; ')
      .filter(Boolean)
      .map((x) => x.toLowerCase());
    const prKnown = Boolean(pr.pullRequest) && pr.pullRequest !== 'none found';
    const what = `${exc.id} (${exc.person}: ${exc.entitlements.join(', ')})`;
    // What an auditor checks of the approval: a second person's, and by the people the file names.
    if (listed.includes(exc.person))
      findings.push({
        artifact: 'exceptions',
        text: `${what} lists its own subject ${exc.person} as an approver (${h.path}): nobody approves access for themselves.`,
      });
    const subjectLogin = login(exc.person)?.toLowerCase();
    if (prKnown && subjectLogin && approvedBy.includes(subjectLogin))
      findings.push({
        artifact: 'exceptions',
        text: `${what}: ${pr.pullRequest} was approved by ${exc.person} (@${login(exc.person)}), the person the access is for.`,
      });
    const notApproved = listed.filter((_, i) => !logins[i] || !approvedBy.includes(logins[i]!.toLowerCase()));
    if (prKnown && notApproved.length)
      findings.push({
        artifact: 'exceptions',
        text: `${what}: the listed approver(s) ${notApproved.map((a) => `${a} (${login(a) ? `@${login(a)}` : 'no github login'})`).join(', ')} did not approve ${pr.pullRequest} (approved by: ${approvedBy.join(', ') || 'nobody'}).`,
      });
    rows.push({
      id: exc.id,
      status,
      person: exc.person,
      name: index.people.get(exc.person)?.value.name ?? null,
      entitlements: exc.entitlements.join('; '),
      justification: exc.justification,
      listedApprovers: listed.join('; '),
      listedApproverLogins: logins.map((l) => l ?? '?').join('; '),
      listedApproversApproved: prKnown ? notApproved.length === 0 : null,
      from: exc.from,
      expires: exc.expires,
      createdAt: h.created?.committedAt ?? null,
      createdCommit: h.created?.sha ?? null,
      removedAt: current ? null : (h.removed?.committedAt ?? null),
      removedCommit: current ? null : (h.removed?.sha ?? null),
      approvalCommit: h.approved?.sha ?? null,
      ...pr,
      file: h.path,
    });
  }
  return {
    id: 'exceptions',
    title: 'Access exceptions',
    proves:
      'Every grant outside the role templates was justified, time-limited and approved by the people it names, and ended on time.',
    columns: columns([
      ['id', 'Exception'],
      ['status', 'Status'],
      ['person', 'Person'],
      ['name', 'Name'],
      ['entitlements', 'Entitlements'],
      ['justification', 'Justification'],
      ['listedApprovers', 'Listed approvers'],
      ['listedApproverLogins', 'Their GitHub logins'],
      ['listedApproversApproved', 'Listed approvers approved the PR'],
      ['from', 'From'],
      ['expires', 'Expires'],
      ['createdAt', 'Created at'],
      ['createdCommit', 'Created in'],
      ['removedAt', 'Removed at'],
      ['removedCommit', 'Removed in'],
      ['approvalCommit', 'Approved commit (file)'],
      ...PULL_REQUEST_COLUMNS,
      ['file', 'File'],
    ]),
    rows,
    notes: githubNotes(input, 'Pull request and approval columns'),
    findings,
  };
}
