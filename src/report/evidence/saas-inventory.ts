/**
 * Artifact 6, the SaaS inventory: every app in policy/apps.yaml with its owner, how people sign
 * in (SSO or not) and how a leaver loses access; then the manual work tickets the period's apply
 * records opened (apps without SSO or SCIM) with their state on GitHub: open, or closed and when.
 */
import { byCodePoint } from '../../model/order.js';
import { columns, githubNotes } from './common.js';
import { recordsInPeriod } from './jml-events.js';
import type { Artifact, EvidenceInput, Row } from './types.js';

export function buildSaasInventory(input: EvidenceInput): Artifact {
  const { index } = input;
  const name = (id: string) => index.people.get(id)?.value.name ?? id;
  const rows: Row[] = [];
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
      person: null,
      ticket: null,
      ticketState: null,
      closedAt: null,
      record: null,
    });
  }
  for (const r of recordsInPeriod(input)) {
    for (const w of r.record.workIssues ?? []) {
      const issue = input.issues.get(w.url);
      const app = index.apps.get(w.app)?.value;
      rows.push({
        kind: 'ticket',
        app: w.app,
        appName: app?.name ?? null,
        owner: app ? `${name(app.owner)} (${app.owner})` : null,
        sso: app?.sso ?? null,
        deprovisioning: app?.deprovisioning ?? null,
        dataClassification: app?.dataClassification ?? null,
        entitlements: null,
        person: w.person,
        ticket: w.url,
        ticketState: issue?.state ?? null,
        closedAt: issue?.closedAt ?? null,
        record: r.file,
      });
    }
  }
  return {
    id: 'saas-inventory',
    title: 'SaaS inventory and manual work',
    proves:
      'Every application is owned and has a known way to remove access; work no API can do was ticketed to its owner and closed.',
    columns: columns([
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
      ['ticketState', 'Ticket state'],
      ['closedAt', 'Closed at'],
      ['record', 'Apply record'],
    ]),
    rows,
    notes: githubNotes(input, 'Ticket state columns'),
    findings: [],
  };
}
