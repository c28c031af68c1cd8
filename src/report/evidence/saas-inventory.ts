/**
 * Artifact 6, the SaaS inventory: every app in policy/apps.yaml with its owner, how people sign
 * in (SSO or not) and how a leaver loses access; then the manual-work tickets (apps without SSO
 * or SCIM, a leaver's offboarding steps) with their state.
 *
 * Tickets come from the records, so they never vanish without GitHub: each ticket the period's
 * apply records linked (`workIssues`, with when it was opened), then the newest state jml recorded
 * of it (`tickets`, observed by `jml github ticket-status`). GitHub, when read, fills what no
 * record holds (tickets from before state was recorded), and a closing it reports after the
 * newest observation.
 *
 * The SLA of a removal ticket (operation revoke, or a leaver's offboarding steps): closed within
 * sla.manualWorkHours of its opening; for the removal of a high-risk leaver's access in an app,
 * the high-risk leaver SLA instead (sla.highRiskLeaverMinutes from the leaver's end instant, the
 * deadline the apply record computed for the leaver; without it, from the ticket's opening). Open
 * past its deadline at the pack's instant, or closed after it, is a finding with both times.
 */
import { byCodePoint } from '../../model/order.js';
import type { ApplyRecord, TicketState } from '../../records/schema.js';
import type { RecordFile } from '../../records/store.js';
import type { RepoIndex } from '../../resolve/repo-index.js';
import { columns, githubNotes, iso } from './common.js';
import { recordsInPeriod } from './jml-events.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

/** The newest recorded state of each ticket (by url), observed at or before `at`. */
function newestTicketStates(
  records: readonly RecordFile[],
  at: number,
): Map<string, { state: TicketState; file: string }> {
  const out = new Map<string, { state: TicketState; file: string }>();
  for (const r of records)
    for (const t of r.record.tickets ?? []) {
      if (Date.parse(t.observedAt) > at) continue;
      const seen = out.get(t.url);
      if (!seen || Date.parse(t.observedAt) >= Date.parse(seen.state.observedAt))
        out.set(t.url, { state: t, file: r.file });
    }
  return out;
}

/** What a ticket removes, read from the apply record that left it. */
interface TicketKind {
  removal: boolean;
  /** The removal of a high-risk leaver's access in an app (not their offboarding checklist). */
  highRiskRemoval: boolean;
  /** The high-risk leaver's SLA deadline as that record computed it. */
  leaverDeadline: string | null;
}

function kindOf(
  record: ApplyRecord | undefined,
  index: RepoIndex,
  person: string,
  app: string,
  operation: TicketState['operation'],
): TicketKind {
  const changes = (record?.changes ?? []).filter(
    (c) =>
      c.action === 'openTicket' &&
      c.person === person &&
      (index.entitlements.get(c.entitlement ?? '')?.value.app ?? c.entitlement) === app,
  );
  const offboarding = app === 'offboarding';
  const removal = offboarding || operation === 'revoke' || changes.some((c) => c.operation === 'revoke');
  const timing = record?.leavers?.find((t) => t.person === person);
  const highRiskLeaver =
    changes.some((c) => c.event.kind === 'leaver' && c.event.highRisk === true) || timing?.highRisk === true;
  return {
    removal,
    highRiskRemoval: removal && !offboarding && highRiskLeaver,
    leaverDeadline: timing?.highRisk ? timing.deadline : null,
  };
}

interface Ticket {
  person: string;
  app: string;
  url: string;
  /** The apply record that linked it (null: known only from a ticket-status observation). */
  record: RecordFile | null;
  openedAt: string | null;
  openedSource: string;
}

const COLUMNS = columns([
  ['kind', 'Row'],
  ['app', 'App'],
  ['appName', 'Name'],
  ['owner', 'Owner'],
  ['sso', 'SSO'],
  ['deprovisioning', 'Deprovisioning'],
  ['dataClassification', 'Data'],
  ['entitlements', 'Entitlements'],
  ['person', 'Person'],
  ['ticket', 'Ticket'],
  ['operation', 'Operation'],
  ['openedAt', 'Opened at'],
  ['openedFrom', 'Opened at, from'],
  ['ticketState', 'Ticket state'],
  ['closedAt', 'Closed at'],
  ['closedBy', 'Closed by'],
  ['stateFrom', 'State read from'],
  ['sla', 'SLA'],
  ['dueAt', 'Due'],
  ['result', 'Result'],
  ['record', 'Apply record'],
]);

export function buildSaasInventory(input: EvidenceInput): Artifact {
  const { index } = input;
  const name = (id: string) => index.people.get(id)?.value.name ?? id;
  const rows: Row[] = [];
  const findings: Finding[] = [];
  for (const app of [...index.apps.values()].map((a) => a.value).sort((a, b) => byCodePoint(a.id, b.id))) {
    const ents = [...index.entitlements.values()].map((e) => e.value).filter((e) => e.app === app.id);
    rows.push({
      kind: 'app',
      app: app.id,
      appName: app.name,
      owner: `${name(app.owner)} (${app.owner})`,
      sso: app.sso,
      deprovisioning: app.deprovisioning,
      dataClassification: app.dataClassification ?? null,
      entitlements: ents.map((e) => e.id).join('; '),
    });
  }

  // Every ticket: linked by the period's records, then any other recorded one open in the period.
  const observed = newestTicketStates(input.records, input.at);
  const tickets = new Map<string, Ticket>();
  for (const r of recordsInPeriod(input))
    for (const w of r.record.workIssues ?? []) {
      if (tickets.has(w.url)) continue;
      tickets.set(w.url, {
        person: w.person,
        app: w.app,
        url: w.url,
        record: r,
        openedAt: w.openedAt ?? null,
        openedSource: 'apply record',
      });
    }
  for (const [url, { state }] of observed) {
    if (tickets.has(url) || Date.parse(state.openedAt) > input.at) continue;
    const touches =
      Date.parse(state.openedAt) >= input.since ||
      state.closedAt === null ||
      Date.parse(state.closedAt) >= input.since;
    if (!touches) continue;
    const record = input.records.find((r) => r.record.workIssues?.some((w) => w.url === url)) ?? null;
    tickets.set(url, {
      person: state.person,
      app: state.app,
      url,
      record,
      openedAt: null,
      openedSource: 'apply record',
    });
  }

  const hours = index.policy.sla.manualWorkHours;
  const hrMinutes = index.policy.sla.highRiskLeaverMinutes;
  for (const t of tickets.values()) {
    const seen = observed.get(t.url);
    const live = input.issues.get(t.url);
    const app = index.apps.get(t.app)?.value;
    // Opened: as linked, else as observed, else (tickets before openedAt was kept) the apply's end.
    let openedAt = t.openedAt;
    let openedSource = t.openedSource;
    if (!openedAt && seen) [openedAt, openedSource] = [seen.state.openedAt, 'ticket-status record'];
    if (!openedAt && t.record)
      [openedAt, openedSource] = [t.record.record.finishedAt, 'apply record finished (opened just after)'];
    // State: recorded first; GitHub fills a ticket with no recorded state, or a closing it saw later.
    let state: 'open' | 'closed' | null = seen?.state.state ?? null;
    let closedAt = seen?.state.closedAt ?? null;
    let closedBy = seen?.state.closedBy ?? null;
    let source = seen ? `record ${seen.file} (observed ${seen.state.observedAt})` : null;
    if (live && (!seen || (state === 'open' && live.state === 'closed'))) {
      state = live.state;
      closedAt = live.closedAt;
      closedBy = null;
      source = seen ? `${source}; closed per GitHub` : 'GitHub';
    }
    // A pack for a past instant: a closing after it had not happened yet.
    if (state === 'closed' && closedAt && Date.parse(closedAt) > input.at) {
      state = 'open';
      closedAt = null;
      closedBy = null;
    }
    const kind = kindOf(t.record?.record, index, t.person, t.app, seen?.state.operation);
    let deadline: number | null = null;
    let rule: string | null = null;
    if (kind.removal && openedAt) {
      if (kind.highRiskRemoval) {
        deadline = kind.leaverDeadline
          ? Date.parse(kind.leaverDeadline)
          : Date.parse(openedAt) + hrMinutes * 60_000;
        rule = `${hrMinutes} min, high-risk leaver (sla.highRiskLeaverMinutes, from ${kind.leaverDeadline ? 'the end instant' : 'the opening'})`;
      } else {
        deadline = Date.parse(openedAt) + hours * 3_600_000;
        rule = `${hours} h (sla.manualWorkHours)`;
      }
    }
    let result: string | null = null;
    const who = `${t.person}'s ${t.app === 'offboarding' ? 'offboarding steps' : `${app?.name ?? t.app} access removal`}`;
    const finding = (text: string) =>
      findings.push({ artifact: 'saas-inventory', text: `Ticket for ${who} (${t.url}) ${text}` });
    if (deadline !== null && state !== null) {
      const closedMs = closedAt ? Date.parse(closedAt) : null;
      const late = state === 'open' ? input.at > deadline : closedMs !== null && closedMs > deadline;
      result = late ? 'FINDING' : state === 'open' ? 'open' : 'pass';
      if (late)
        finding(
          state === 'open'
            ? `is open past its SLA of ${rule}: opened ${openedAt}, due ${iso(deadline)}, still open at ${iso(input.at)}.`
            : `was closed after its SLA of ${rule}: opened ${openedAt}, due ${iso(deadline)}, closed ${closedAt}.`,
        );
    } else if (kind.removal && state === null) {
      // Nobody recorded its state and GitHub did not say: its closing is not evidenced.
      const late = deadline !== null && input.at > deadline;
      result = late ? 'FINDING' : 'not evidenced';
      if (late)
        finding(
          `has no recorded state (no ticket-status observation${input.githubGaps.length ? ', GitHub not read' : ', none on GitHub'}): its closing within the SLA of ${rule} is not evidenced (opened ${openedAt}, due ${iso(deadline!)}).`,
        );
    }
    rows.push({
      kind: 'ticket',
      app: t.app,
      appName: app?.name ?? null,
      owner: app ? `${name(app.owner)} (${app.owner})` : null,
      sso: app?.sso ?? null,
      deprovisioning: app?.deprovisioning ?? null,
      dataClassification: app?.dataClassification ?? null,
      person: t.person,
      ticket: t.url,
      operation: kind.removal ? 'revoke' : (seen?.state.operation ?? 'grant'),
      openedAt,
      openedFrom: openedAt ? openedSource : null,
      ticketState: state,
      closedAt,
      closedBy,
      stateFrom: source,
      sla: rule,
      dueAt: deadline === null ? null : iso(deadline),
      result,
      record: t.record?.file ?? null,
    });
  }
  const notes = [
    `Tickets are read from the records (the apply records that linked them, and the state jml github ticket-status recorded); GitHub fills only what no record holds. A removal ticket (operation revoke, or a leaver's offboarding steps) is due ${hours} h after it was opened (policy/jml.yaml sla.manualWorkHours); one removing a high-risk leaver's access in an app is due within ${hrMinutes} min of the leaver's end instant (sla.highRiskLeaverMinutes, the same deadline as the leaver's disable). Open past its due time at the pack's instant, or closed after it, is a finding; so is one whose state nobody recorded once its due time has passed (not evidenced).`,
    ...githubNotes(input, 'Ticket states not in the records (GitHub)'),
  ];
  // Each row has every column (an app row no ticket's, a ticket row no app list).
  for (const row of rows) for (const c of COLUMNS) row[c.key] ??= null;
  return {
    id: 'saas-inventory',
    title: 'SaaS inventory and manual work',
    proves:
      'Every application is owned and has a known way to remove access; work no API can do was ticketed to its owner and closed, a removal within its SLA (manual work hours, or the high-risk leaver SLA for a high-risk leaver).',
    columns: COLUMNS,
    rows,
    notes,
    findings,
    summary: [
      'kind',
      'app',
      'owner',
      'sso',
      'person',
      'ticket',
      'openedAt',
      'ticketState',
      'closedAt',
      'dueAt',
      'result',
    ],
  };
}
