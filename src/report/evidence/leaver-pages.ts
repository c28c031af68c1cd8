/**
 * A page per leaver: one per departure (person and end instant) acted on in the period, with
 * everything an auditor sampling that leaver asks, so the sample closes from the pack alone:
 *
 * - the request: the commit that set the termination, its pull request, the requester and the
 *   HR record it came from;
 * - the approvals: every review at merge and whether it counted, the manager of record and the
 *   verdict (from the record captured at merge, else GitHub at pack time, else not evidenced);
 * - the instant: the end instant, when the request reached the repository, the SLA deadline, the
 *   confirmation and the lag, with the verdict (a request after the end instant is its own);
 * - each provider's confirmation: sign-in disabled, sessions revoked, access removed;
 * - each step of the checklist the providers took, run by run;
 * - the tickets for work no API can do: opened, and their state as jml last recorded it (else
 *   as GitHub says at pack time).
 *
 * Pure: built from the gathered input, rendered by render.ts and html.ts.
 */
import { byCodePoint } from '../../model/order.js';
import type { LeaverTiming, TicketState } from '../../records/schema.js';
import type { RecordFile } from '../../records/store.js';
import { approvalOf, verdictText } from './approval-evidence.js';
import { columns, duration, leaverPageName, personChangeKey, utc } from './common.js';
import {
  clockText,
  decisiveLeavers,
  departureKey,
  notSlaEvidence,
  policyVersionText,
  recordsInPeriod,
  slaVerdict,
} from './jml-events.js';
import type { DetailPage, EvidenceInput, Finding, Row } from './types.js';

interface Departure {
  person: string;
  scheduledAt: string;
  /** Every run of the period that acted on it, with its timing, oldest first. */
  runs: { record: RecordFile; timing: LeaverTiming }[];
}

function departures(input: EvidenceInput): Departure[] {
  const out = new Map<string, Departure>();
  for (const r of recordsInPeriod(input)) {
    for (const t of r.record.leavers ?? []) {
      const key = departureKey(t.person, t.scheduledAt);
      const d = out.get(key) ?? { person: t.person, scheduledAt: t.scheduledAt, runs: [] };
      d.runs.push({ record: r, timing: t });
      out.set(key, d);
    }
  }
  return [...out.values()].sort(
    (a, b) => byCodePoint(a.scheduledAt, b.scheduledAt) || byCodePoint(a.person, b.person),
  );
}

const FIELD_COLUMNS = columns([
  ['field', 'Field'],
  ['value', 'Value'],
]);
const fields = (pairs: [string, string | number | boolean | null][]): Row[] =>
  pairs.map(([field, value]) => ({ field, value }));

/** The latest observation of each ticket url across the records (jml github ticket-status). */
function observedTickets(input: EvidenceInput): Map<string, TicketState> {
  const out = new Map<string, TicketState>();
  for (const r of input.records)
    for (const t of r.record.tickets ?? []) {
      const seen = out.get(t.url);
      if (!seen || Date.parse(t.observedAt) >= Date.parse(seen.observedAt)) out.set(t.url, t);
    }
  return out;
}

export function buildLeaverPages(input: EvidenceInput): DetailPage[] {
  const decisive = decisiveLeavers(input);
  const observed = observedTickets(input);
  const pages: DetailPage[] = [];
  for (const d of departures(input)) {
    const { person } = d;
    const who = input.index.people.get(person)?.value;
    const counted = decisive.get(departureKey(person, d.scheduledAt));
    // The run that counts for the SLA; with none (replays only), the latest.
    const main = d.runs.find((x) => x.record.file === counted?.file) ?? d.runs.at(-1)!;
    const t = main.timing;
    const notEvidence = notSlaEvidence(main.record, t);
    const sla = slaVerdict(t, notEvidence);
    const change = input.personHistory.get(personChangeKey(person, main.record))?.[0];
    const ev = approvalOf(input, {
      sha: change?.sha,
      person,
      need: 'leaver',
      subject: `${person}'s leaver (people/${person}.yaml at ${change?.sha.slice(0, 7) ?? 'no commit'})`,
    });
    const pr = ev.pullRequest;
    const findings: Finding[] = [];
    if (ev.problem) findings.push({ artifact: 'jml-events', text: ev.problem.text });
    if (sla.cls === 'late')
      findings.push({
        artifact: 'jml-events',
        text: `Request after the end instant: ${sla.text.replace(/^request after the end instant: /, '')}.`,
      });
    if (t.withinSla === false && !notEvidence)
      findings.push({
        artifact: 'jml-events',
        text: `SLA breach: ${t.breach ?? `not removed within ${t.slaMinutes} minutes`}.`,
      });

    const request = fields([
      ['Person', `${who?.name ?? person} (${person})`],
      ['HR id', who?.hrId ?? null],
      ['Access ends (employment.end)', utc(d.scheduledAt)],
      ['High risk', t.highRisk],
      ['Person file commit', change ? `${change.sha} (${change.committedAt}): ${change.subject}` : null],
      [
        'Pull request',
        pr ? `#${pr.number} ${pr.url}` : pr === null ? `no pull request: ${ev.noPullRequest}` : null,
      ],
      ['Requester (PR author)', pr?.author ?? null],
      ['HR record', pr?.hrRecord ?? null],
      ['Merged at', pr?.mergedAt ?? null],
      ['Merged by', pr?.mergedBy ?? null],
      [
        'Approval evidence',
        ev.source === 'record'
          ? `record ${ev.record} (captured at merge, ${ev.capturedAt})`
          : ev.source === 'github'
            ? 'from GitHub at pack time'
            : 'approval not evidenced',
      ],
      ['Policy version in force', policyVersionText(input, Date.parse(main.record.record.startedAt))],
    ]);

    const reviews: Row[] = ev.reviews.map((r) => ({
      reviewer: r.login,
      state: r.state,
      commit: r.commitId,
      submittedAt: r.submittedAt,
      counts: r.counts,
      why: r.why,
    }));
    const manager = ev.manager?.person
      ? `${ev.manager.person}${ev.manager.login ? ` (@${ev.manager.login})` : ''}${ev.manager.fromBase ? ' on the base branch' : ''}`
      : 'none named';
    const requirements: Row[] = (ev.verdict?.requirements ?? []).map((r) => ({
      rule: r.rule,
      status: r.status,
      satisfiedBy: r.satisfiedBy,
      description: r.description,
      why: r.why,
    }));

    const instant = fields([
      ['End instant', utc(t.scheduledAt)],
      ['Request reached the repository', t.knownAt ? utc(t.knownAt) : 'before the end instant'],
      ['Request delay', sla.requestDelaySeconds === null ? null : duration(sla.requestDelaySeconds)],
      ['SLA (minutes)', t.slaMinutes],
      ['SLA deadline', utc(t.deadline)],
      ['Confirmed removed', t.confirmedAt ? utc(t.confirmedAt) : 'not confirmed'],
      ['Lag from the end instant', sla.lagSeconds === null ? null : duration(sla.lagSeconds)],
      ['Engine lag', sla.engineLagSeconds === null ? null : duration(sla.engineLagSeconds)],
      ['SLA verdict', sla.text],
      ['Clock', clockText(main.record)],
      ['Apply record', main.record.file],
      [
        'Other runs for this departure',
        d.runs
          .filter((x) => x !== main)
          .map((x) => `${x.record.file} (${clockText(x.record)})`)
          .join('; ') || null,
      ],
    ]);

    const confirmations: Row[] = t.providers.map((p) => ({
      provider: p.provider,
      disabledAt: p.disabledAt ? utc(p.disabledAt) : null,
      sessionsRevokedAt: p.sessionsRevokedAt ? utc(p.sessionsRevokedAt) : null,
      accessRemovedAt: p.accessRemovedAt ? utc(p.accessRemovedAt) : null,
      failed: p.failed.join('; ') || null,
    }));

    const checklist: Row[] = [];
    for (const run of d.runs)
      for (const c of run.record.record.changes) {
        if (c.person !== person || c.event.kind !== 'leaver') continue;
        const base = {
          run: run.record.file,
          provider: c.provider,
          action: `${c.action}${c.entitlement ? ` ${c.entitlement}` : ''}`,
        };
        if (c.steps?.length)
          for (const s of c.steps)
            checklist.push({
              ...base,
              step: s.step,
              status: s.status,
              at: utc(s.at),
              detail: s.detail ?? null,
            });
        else
          checklist.push({
            ...base,
            step: '(the change itself)',
            status: c.status,
            at: utc(c.finishedAt),
            detail: c.error ?? c.detail ?? null,
          });
      }

    const urls = new Map<string, { app: string; openedAt: string | null; record: string | null }>();
    for (const run of d.runs)
      for (const w of run.record.record.workIssues ?? [])
        if (w.person === person)
          urls.set(w.url, { app: w.app, openedAt: w.openedAt ?? null, record: run.record.file });
    for (const o of observed.values())
      if (
        o.person === person &&
        Date.parse(o.openedAt) >= Date.parse(d.scheduledAt) - 86_400_000 &&
        !urls.has(o.url)
      )
        urls.set(o.url, { app: o.app, openedAt: o.openedAt, record: null });
    const tickets: Row[] = [...urls].map(([url, w]) => {
      const o = observed.get(url);
      const gh = input.issues.get(url);
      return {
        app: w.app,
        ticket: url,
        openedAt: o?.openedAt ? utc(o.openedAt) : w.openedAt ? utc(w.openedAt) : null,
        state: o?.state ?? gh?.state ?? null,
        closedAt: o ? (o.closedAt ? utc(o.closedAt) : null) : gh?.closedAt ? utc(gh.closedAt) : null,
        closedBy: o?.closedBy ?? null,
        observedAt: o ? utc(o.observedAt) : null,
        source: o ? 'recorded by jml' : gh ? 'from GitHub at pack time' : 'not observed',
        record: w.record,
      };
    });
    // Work handed to a person by the manual provider (its ledger's tickets), unless linked above.
    for (const run of d.runs)
      for (const c of run.record.record.changes) {
        if (c.person !== person || c.action !== 'openTicket' || c.event.kind !== 'leaver') continue;
        const app =
          (c.entitlement && input.index.entitlements.get(c.entitlement)?.value.app) ??
          c.entitlement ??
          c.provider;
        if (tickets.some((x) => x.app === app)) continue;
        const o = [...observed.values()].find((x) => x.person === person && x.app === app);
        tickets.push({
          app,
          ticket: `${c.provider} ${c.entitlement ?? ''}: ${c.detail ?? c.status}`.trim(),
          openedAt: utc(c.finishedAt),
          state: o?.state ?? null,
          closedAt: o?.closedAt ? utc(o.closedAt) : null,
          closedBy: o?.closedBy ?? null,
          observedAt: o ? utc(o.observedAt) : null,
          source: o ? 'recorded by jml' : 'opened by the apply run; state not observed',
          record: run.record.file,
        });
      }
    const open = tickets.filter((x) => x.state === 'open').length;

    pages.push({
      name: leaverPageName(person, d.scheduledAt),
      title: `Leaver ${who?.name ?? person} (${person}), access ended ${utc(d.scheduledAt)}`,
      summary: `${sla.text}; ${verdictText(ev)}${pr ? `, requested by @${pr.author} in #${pr.number}` : ''}; ${tickets.length} ticket(s), ${open} open.`,
      sections: [
        { heading: 'The request', columns: FIELD_COLUMNS, rows: request },
        {
          heading: 'Approvals',
          columns: columns([
            ['reviewer', 'Reviewer'],
            ['state', 'State'],
            ['commit', 'Commit'],
            ['submittedAt', 'Submitted at'],
            ['counts', 'Counts'],
            ['why', 'Why'],
          ]),
          rows: reviews,
          notes: [
            `Manager of record: ${manager}.`,
            `Verdict: ${verdictText(ev)}.`,
            ...(reviews.length ? [] : ['No review is evidenced.']),
          ],
        },
        {
          heading: 'Approval requirements',
          columns: columns([
            ['rule', 'Requirement'],
            ['status', 'Status'],
            ['satisfiedBy', 'Satisfied by'],
            ['description', 'What it needs'],
            ['why', 'Why'],
          ]),
          rows: requirements,
          ...(requirements.length ? {} : { notes: ['No verdict is evidenced.'] }),
        },
        { heading: 'The instant', columns: FIELD_COLUMNS, rows: instant },
        {
          heading: "Each provider's confirmation",
          columns: columns([
            ['provider', 'Provider'],
            ['disabledAt', 'Sign-in disabled'],
            ['sessionsRevokedAt', 'Sessions revoked'],
            ['accessRemovedAt', 'Access removed'],
            ['failed', 'Failed or skipped changes'],
          ]),
          rows: confirmations,
        },
        {
          heading: 'The checklist, step by step',
          columns: columns([
            ['run', 'Apply record'],
            ['provider', 'Provider'],
            ['action', 'Change'],
            ['step', 'Step'],
            ['status', 'Status'],
            ['at', 'At'],
            ['detail', 'Detail'],
          ]),
          rows: checklist,
        },
        {
          heading: 'Tickets',
          columns: columns([
            ['app', 'App'],
            ['ticket', 'Ticket'],
            ['openedAt', 'Opened at'],
            ['state', 'State'],
            ['closedAt', 'Closed at'],
            ['closedBy', 'Closed by'],
            ['observedAt', 'Observed at'],
            ['source', 'Source'],
            ['record', 'Apply record'],
          ]),
          rows: tickets,
          ...(tickets.length
            ? {}
            : { notes: ['No ticket: every provider removed access by API, and no manual work was linked.'] }),
        },
      ],
      findings,
    });
  }
  return pages;
}
