/**
 * engine: `jml github ticket-status`, the state of the manual-work tickets kept as evidence.
 *
 * Every work issue an apply record links (`workIssues`, from `jml github work-issues`) is a ticket
 * someone must act on: a grant or removal in an app without single sign-on, a leaver's steps no
 * API can do. This reads the records (the records directory of policy/jml.yaml at any depth, so
 * the copies restored from the evidence branch count, and any directory named as `evidence`, such
 * as a copy of that branch's records/), asks GitHub the state of each ticket not yet seen closed,
 * and, when any ticket changed since the last observation the records hold (opened, closed,
 * reopened, or never observed), writes ONE observation record with the state of every ticket it
 * read (records/store.ts `writeObservationRecord`). A run that sees nothing new writes nothing.
 *
 * A ticket last seen closed is not read again: the number of GitHub calls stays the number of
 * open tickets, whatever the history's length (the workflow's token has 1,000 requests an hour).
 * Its closing stays in the record that saw it; a reopened ticket is not noticed.
 */
import path from 'node:path';
import type { GitHubClient } from '../github/client.js';
import { byCodePoint } from '../model/order.js';
import type { ApplyRecord, TicketState, Trigger } from '../records/schema.js';
import { type RecordProblem, readRecordsIn, writeObservationRecord } from '../records/store.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { indexCheckout } from './checkout.js';
import type { OpenGitHub } from './github-steps.js';

/** What ticket status asks of GitHub: one issue's state. */
export type TicketStatusGitHub = Pick<GitHubClient, 'issueState'>;

export interface TicketStatusRequest {
  root: string;
  /** More directories of records to read (a copy of the evidence branch's records/), at any depth. */
  evidence?: string[];
  /** Now (epoch ms): the observation's instant. */
  now: number;
  /** Who started the run, for the record. */
  trigger: Trigger;
}

/** A ticket whose state differs from its last observation. */
export interface TicketChange {
  ticket: TicketState;
  /** Its last observed state; absent when never observed. */
  before?: Pick<TicketState, 'state' | 'closedAt' | 'closedBy'>;
}

export type TicketStatusResult =
  /** No record links a ticket jml may still need to read. */
  | { kind: 'no-tickets'; closed: number; problems: RecordProblem[] }
  /** Every ticket read is as last observed: no record written. */
  | { kind: 'unchanged'; read: number; closed: number; gone: string[]; problems: RecordProblem[] }
  /** One observation record written to `file`. */
  | {
      kind: 'recorded';
      file: string;
      tickets: TicketState[];
      changed: TicketChange[];
      closed: number;
      gone: string[];
      problems: RecordProblem[];
    }
  /** GitHub failed before every ticket was read: nothing written. */
  | { kind: 'failed'; message: string; problems: RecordProblem[] };

type Link = Omit<TicketState, 'state' | 'openedAt' | 'closedAt' | 'closedBy' | 'observedAt'>;

const ISSUE_URL = /\/([^/]+)\/([^/]+)\/issues\/(\d+)$/;

/** Reads each ticket's state and records it when anything changed. */
export async function recordTicketStatus(
  req: TicketStatusRequest,
  github: OpenGitHub<TicketStatusGitHub>,
): Promise<TicketStatusResult> {
  // --- the records: links and last observations ----------------------------------------------
  const root = path.resolve(req.root);
  const index = indexCheckout(root);
  const dir = path.resolve(root, index.policy.records.dir);
  const { records, problems } = readRecordsIn([dir, ...(req.evidence ?? []).map((d) => path.resolve(d))]);
  const links = new Map<string, Link>();
  const last = new Map<string, TicketState>();
  for (const { record } of records) {
    for (const w of record.workIssues ?? []) {
      if (links.has(w.url)) continue;
      const operation = operationOf(record, w, index);
      links.set(w.url, { person: w.person, app: w.app, url: w.url, ...(operation ? { operation } : {}) });
    }
    for (const t of record.tickets ?? []) {
      const seen = last.get(t.url);
      if (!seen || byCodePoint(seen.observedAt, t.observedAt) <= 0) last.set(t.url, t);
    }
  }
  const toRead = [...links.values()].filter((l) => last.get(l.url)?.state !== 'closed');
  const closed = links.size - toRead.length;
  if (toRead.length === 0) return { kind: 'no-tickets', closed, problems };

  // --- GitHub: each ticket's state -------------------------------------------------------------
  const observedAt = new Date(req.now).toISOString();
  const tickets: TicketState[] = [];
  const gone: string[] = [];
  try {
    const { client } = await github();
    for (const link of toRead) {
      const m = ISSUE_URL.exec(link.url);
      if (!m) {
        gone.push(link.url);
        continue;
      }
      try {
        const issue = await client.issueState(m[1]!, m[2]!, Number(m[3]));
        tickets.push({
          ...link,
          state: issue.state,
          openedAt: issue.createdAt,
          closedAt: issue.closedAt,
          closedBy: issue.closedBy,
          observedAt,
        });
      } catch (e) {
        // Deleted (410) or moved out of reach (404): nothing left to observe.
        if (isGone(e)) gone.push(link.url);
        else throw e;
      }
    }
  } catch (e) {
    return { kind: 'failed', message: e instanceof Error ? e.message : String(e), problems };
  }

  // --- what changed, and the one record ---------------------------------------------------------
  tickets.sort(
    (a, b) => byCodePoint(a.person, b.person) || byCodePoint(a.app, b.app) || byCodePoint(a.url, b.url),
  );
  const changed: TicketChange[] = [];
  for (const t of tickets) {
    const before = last.get(t.url);
    if (
      before &&
      before.state === t.state &&
      before.closedAt === t.closedAt &&
      before.closedBy === t.closedBy
    )
      continue;
    changed.push({
      ticket: t,
      ...(before
        ? { before: { state: before.state, closedAt: before.closedAt, closedBy: before.closedBy } }
        : {}),
    });
  }
  if (changed.length === 0) return { kind: 'unchanged', read: tickets.length, closed, gone, problems };
  const file = writeObservationRecord(dir, req.trigger, new Date(req.now), { tickets });
  return { kind: 'recorded', file, tickets, changed, closed, gone, problems };
}

/**
 * Whether a linked ticket grants or removes access, as the work item that opened it knew: a
 * leaver's offboarding steps remove; an app ticket removes when any of the record's tickets for
 * that person and app is a revoke (src/report/work-items.ts titles it so), else grants.
 */
function operationOf(
  record: ApplyRecord,
  link: { person: string; app: string },
  index: RepoIndex,
): TicketState['operation'] {
  if (link.app === 'offboarding') return 'revoke';
  const ops = record.changes
    .filter(
      (c) =>
        c.action === 'openTicket' &&
        c.person === link.person &&
        c.entitlement !== undefined &&
        (c.entitlement === link.app || index.entitlements.get(c.entitlement)?.value.app === link.app),
    )
    .map((c) => c.operation);
  if (ops.includes('revoke')) return 'revoke';
  if (ops.includes('grant')) return 'grant';
  return undefined;
}

/**
 * A GitHubError (src/github/client.ts, told by its name so that Octokit is loaded only when GitHub
 * is used) saying the issue is deleted (410) or out of reach (404).
 */
function isGone(e: unknown): boolean {
  if (!(e instanceof Error) || e.name !== 'GitHubError') return false;
  const status = (e as Error & { status?: number }).status;
  return status === 404 || status === 410;
}
