/**
 * Artifact 8, day one: every joiner whose access was granted in the period, the manager's
 * confirmation and IT's review of it (src/report/day-one.ts), and whether both came within
 * sla.dayOneHours. Late or missing past the SLA is a finding; so is a `/wrong` flag on an issue
 * still open (IT has yet to turn it into an exception request or a removal).
 */
import { dayOneStatus } from '../day-one.js';
import { columns, githubNotes } from './common.js';
import type { Artifact, EvidenceInput, Finding, Row } from './types.js';

export function buildDayOne(input: EvidenceInput): Artifact {
  const issues = input.dayOne ?? [];
  const open = new Set(issues.filter((i) => i.state === 'open').map((i) => i.number));
  const statuses = dayOneStatus(issues, input.index, input.at).filter((s) => {
    const t = Date.parse(s.grantedAt);
    return t >= input.since && t <= input.at;
  });
  const rows: Row[] = [];
  const findings: Finding[] = [];
  for (const s of statuses) {
    const late = s.withinSla === false;
    if (late) {
      const missing = [
        s.confirmedAt && Date.parse(s.confirmedAt) <= Date.parse(s.dueAt) ? null : 'confirmed by the manager',
        s.reviewedAt && Date.parse(s.reviewedAt) <= Date.parse(s.dueAt) ? null : 'reviewed by IT',
      ].filter(Boolean);
      findings.push({
        artifact: 'day-one',
        text: `${s.person}'s day-one access was not ${missing.join(' or ')} within ${s.slaHours} h (due ${s.dueAt}, #${s.issue}).`,
      });
    }
    if (open.has(s.issue))
      for (const f of s.flags)
        findings.push({
          artifact: 'day-one',
          text: `${s.person}: the manager flagged ${f.entitlement || 'their access'} as wrong${f.why ? ` (${f.why})` : ''} and #${s.issue} is still open.`,
        });
    rows.push({
      person: s.person,
      name: s.name,
      manager: s.manager,
      managerLogin: s.managerLogin,
      issue: `#${s.issue}`,
      issueUrl: s.url,
      grantedAt: s.grantedAt,
      dueAt: s.dueAt,
      confirmedAt: s.confirmedAt,
      reviewedAt: s.reviewedAt,
      flags: s.flags.map((f) => `${f.entitlement}${f.why ? `: ${f.why}` : ''}`).join('; ') || null,
      withinSla: s.withinSla,
      result: late ? 'FINDING' : s.withinSla === null ? 'open' : 'pass',
    });
  }
  const notes = input.dayOne === undefined ? githubNotes(input, 'Day-one confirmations') : [];
  if (input.dayOne !== undefined && rows.length === 0)
    notes.push('No day-one confirmation was opened in the period.');
  return {
    id: 'day-one',
    title: 'Day-one access confirmations',
    proves:
      "Each joiner's access was confirmed by their manager and reviewed by IT within the SLA, both times recorded from the issue's comments.",
    columns: columns([
      ['person', 'Joiner'],
      ['name', 'Name'],
      ['manager', 'Manager'],
      ['managerLogin', 'Manager login'],
      ['issue', 'Issue'],
      ['issueUrl', 'Issue URL'],
      ['grantedAt', 'Granted at'],
      ['dueAt', 'Due'],
      ['confirmedAt', 'Confirmed at'],
      ['reviewedAt', 'Reviewed at'],
      ['flags', 'Flagged as wrong'],
      ['withinSla', 'Within SLA'],
      ['result', 'Result'],
    ]),
    rows,
    notes,
    findings,
  };
}
