/**
 * engine: day one (`jml github day-one`, `day-one-status`). After an apply created a joiner's
 * accounts, ONE issue per joiner asks their manager to confirm (or flag) what was granted and IT
 * to review it; later, those issues' answers are read back and judged against policy
 * sla.dayOneHours. The rules and texts are pure (src/report/day-one.ts); here are the reads and
 * writes: the apply record, GitHub through its port, the status file the user names, and the
 * observation record that keeps what was read as evidence.
 */
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { GitHubClient } from '../github/client.js';
import { applyRecord, type Trigger } from '../records/schema.js';
import { readRecordsIn, writeObservationRecord } from '../records/store.js';
import {
  changedDayOneStates,
  type DayOneStatus,
  dayOneItems,
  dayOneMarkdown,
  dayOneStateOf,
  dayOneStatus,
  newestDayOneStates,
  parseDayOneMarker,
} from '../report/day-one.js';
import { readDayOneIssues } from '../report/evidence/github-reads.js';
import { indexCheckout } from './checkout.js';
import type { EngineContext } from './context.js';
import type { OpenGitHub } from './github-steps.js';
import { recordToWorkFrom } from './work-record.js';

/**
 * What day one asks of GitHub: Octokit itself, for the day-one issues with their comments
 * (src/report/evidence/github-reads.ts) and for opening one.
 */
export type DayOneGitHub = Pick<GitHubClient, 'octokit'>;

/** One joiner's day-one issue: found from an earlier run, or opened now. */
export interface DayOneIssueOpened {
  action: 'existing' | 'opened';
  url: string;
  title: string;
  person: string;
  /** The joiner's manager has no GitHub login in people/, so the issue is unassigned. */
  unassigned: boolean;
}

export type DayOneResult =
  | { kind: 'no-record' }
  | { kind: 'no-joiner'; recordName: string }
  | {
      kind: 'opened';
      issues: DayOneIssueOpened[];
      /** A GitHub call that failed after `issues`: the CLI lists them, then reports this. */
      failed?: unknown;
    };

/**
 * Opens ONE issue per joiner whose accounts the apply record (`record`, else the newest) created,
 * unless one with the same joiner and start date exists. Never closes anything.
 */
export async function openDayOneIssues(
  req: { root: string; record?: string },
  github: OpenGitHub<DayOneGitHub>,
): Promise<DayOneResult> {
  const found = recordToWorkFrom(req.root, req.record);
  if (!found) return { kind: 'no-record' };
  const { index, file, record } = found;
  const items = dayOneItems(record, index, path.basename(file));
  if (items.length === 0) return { kind: 'no-joiner', recordName: path.basename(file) };
  const issues: DayOneIssueOpened[] = [];
  try {
    const { client, owner, repo } = await github();
    const existing = await readDayOneIssues(client, owner, repo);
    for (const item of items) {
      const same = existing.find((i) => {
        const m = parseDayOneMarker(i.body);
        return m?.person === item.person && m.start === item.start;
      });
      const unassigned = !item.managerLogin;
      if (same) {
        issues.push({
          action: 'existing',
          url: same.url,
          title: item.title,
          person: item.person,
          unassigned,
        });
        continue;
      }
      const res = await client.octokit.rest.issues.create({
        owner,
        repo,
        title: item.title,
        body: `${item.marker}\n${item.body}`,
        labels: item.labels,
        assignees: item.assignees,
      });
      issues.push({
        action: 'opened',
        url: res.data.html_url,
        title: item.title,
        person: item.person,
        unassigned,
      });
    }
  } catch (failed) {
    return { kind: 'opened', issues, failed };
  }
  return { kind: 'opened', issues };
}

export interface DayOneStatusRequest {
  root: string;
  /**
   * The instant to judge at, as a function of the organisation's time zone (`--at` a date).
   * Absent: now, by the context's clock.
   */
  at?: (zone: string) => number;
  /** Also write every joiner's status (confirmed at, reviewed at, within SLA) as JSON here. */
  out?: string;
  /** Who and what ran it, for the observation record. */
  trigger: Trigger;
  /**
   * More directories of records to read the newest observations from (a copy of the evidence
   * branch's records/), at any depth, besides the records directory of policy/jml.yaml.
   */
  evidence?: string[];
}

/** Whether the run kept what it read in the records, and if not, why. */
export type DayOneObservation =
  | { kind: 'recorded'; file: string; states: number; changed: number }
  | { kind: 'unchanged' }
  | { kind: 'not-recorded'; why: string };

export interface DayOneStatusResult {
  at: number;
  /** policy sla.dayOneHours. */
  slaHours: number;
  /** Every day-one issue's status, open or closed. */
  statuses: DayOneStatus[];
  /** The open issues unconfirmed or unreviewed past the SLA, and every /wrong flag, as Markdown; empty when none. */
  text: string;
  observation: DayOneObservation;
}

/**
 * Reads the day-one issues' answers and judges them at `at`. Judged as of now (or later), what
 * was read is kept as evidence: an observation record (`dayOne`) in the records directory of
 * policy/jml.yaml holding every issue's state, written when one is new or changed since the newest
 * recorded there (any layout, `restored/` included) or in the `evidence` directories, so the evidence pack has the confirmations
 * without GitHub. Nothing changed: no record. Judged at a past instant (`--at`), comments made since are
 * hidden, so nothing is recorded.
 */
export async function readDayOneStatus(
  ctx: EngineContext,
  req: DayOneStatusRequest,
  github: OpenGitHub<DayOneGitHub>,
): Promise<DayOneStatusResult> {
  const root = path.resolve(req.root);
  const index = indexCheckout(root);
  const now = ctx.clock.now();
  const at = req.at ? req.at(index.policy.timezone) : now;
  const { client, owner, repo } = await github();
  const issues = await readDayOneIssues(client, owner, repo);
  const statuses = dayOneStatus(issues, index, at);
  if (req.out)
    writeFileAtomic.sync(
      path.resolve(req.out),
      `${JSON.stringify({ at: new Date(at).toISOString(), statuses }, null, 2)}\n`,
    );
  let observation: DayOneObservation;
  if (at < now) {
    observation = {
      kind: 'not-recorded',
      why: `judged at ${new Date(at).toISOString()}, before now: comments made since are not counted`,
    };
  } else {
    const dir = path.resolve(root, index.policy.records.dir);
    const view = applyRecord.pick({ startedAt: true, dayOne: true });
    const { records } = readRecordsIn([dir, ...(req.evidence ?? []).map((d) => path.resolve(d))], { view });
    const observedAt = new Date(now);
    const states = statuses.map((s) => dayOneStateOf(s, observedAt.toISOString()));
    const changed = changedDayOneStates(states, newestDayOneStates(records));
    // Like ticket-status: one record with every state read, so the newest stands by itself.
    observation = changed.length
      ? {
          kind: 'recorded',
          file: writeObservationRecord(dir, req.trigger, observedAt, { dayOne: states }),
          states: states.length,
          changed: changed.length,
        }
      : { kind: 'unchanged' };
  }
  const live = statuses.filter((s) => s.state === 'open');
  return {
    at,
    slaHours: index.policy.sla.dayOneHours,
    statuses,
    text: dayOneMarkdown(live, at),
    observation,
  };
}
