/**
 * cli: how a `jml hr sync` report reads (src/engine/hr-sync.ts): the text for a person, the JSON
 * for a workflow, and the one-line reasons on stderr. Pure: a report in, strings out.
 */
import type { BrakeReport, HrSyncReport } from '../engine/hr-sync.js';
import { listNames } from '../hr/brake.js';
import { branchOf, labelsOf } from '../hr/propose.js';
import type { HrEvent } from '../hr/types.js';

/** One line: why the brake held. */
export function brakeSummary(brake: BrakeReport): string {
  const v = brake.verdict;
  const parts: string[] = [];
  if (brake.stopped)
    parts.push(
      `${v.cuts.length} overdue leavers, over ${v.over
        .map((o) =>
          o === 'safety.maxDisables'
            ? `safety.maxDisables (${v.limits.maxDisables})`
            : `safety.maxDisableShare (${v.limits.maxDisableShare} of ${v.activeWorkforce} active: at most ${v.limits.shareLimit})`,
        )
        .join(' and ')}: nobody was cut, ${brake.heldBack.length} leavers held back`,
    );
  for (const m of v.missing)
    parts.push(
      `the ${m.source} snapshot lacks ${m.missing.length} of ${m.expected} active workers (over hr.maxMissingShare ${m.limit}); no leaver is proposed from an absence`,
    );
  return parts.join('; ');
}

/** The report as --format json prints it. */
export function renderSyncJson(report: HrSyncReport): string {
  const events = report.outcomes
    ? report.outcomes.map((o) => ({
        ...eventJson(o.event),
        ...(o.cut ? { cut: o.cut } : {}),
        ...(o.pullRequest ? { pullRequest: o.pullRequest } : {}),
        ...(o.error ? { error: o.error } : {}),
      }))
    : report.events.map(eventJson);
  const { problems } = report;
  const { untouched } = report.classification;
  return `${JSON.stringify({ events, problems, untouched, brake: brakeJson(report.brake) }, null, 2)}\n`;
}

/** The brake as --format json prints it. */
function brakeJson(brake: BrakeReport) {
  const v = brake.verdict;
  return {
    held: brake.stopped,
    ...(brake.allowedBy ? { allowedBy: brake.allowedBy } : {}),
    activeWorkforce: v.activeWorkforce,
    cuts: v.cuts,
    limits: v.limits,
    over: v.over,
    heldBack: brake.heldBack.map((e) => ({ person: e.person, record: e.record, overdue: e.overdue })),
    missing: v.missing,
    ...(brake.issue ? { issue: brake.issue } : {}),
    ...(brake.error ? { error: brake.error } : {}),
  };
}

/** An event as --format json prints it. */
function eventJson(e: HrEvent) {
  return {
    event: e.event,
    person: e.person,
    effective: e.effective,
    ...(e.endInstant ? { endInstant: e.endInstant } : {}),
    record: e.record,
    labels: labelsOf(e),
    branch: branchOf(e),
    changes: e.changes,
    overdue: e.overdue,
  };
}

/** The report as text: the counts, the brake, each event (and what happened to it), the problems. */
export function renderSyncText(report: HrSyncReport): string {
  const { classification: result, events, problems, outcomes, brake } = report;
  const out: string[] = [];
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  out.push(
    `${n(report.records, 'record')}: ${n(events.length, 'event')}, ${n(problems.length, 'problem')}, ` +
      `${result.ignored} terminated record${result.ignored === 1 ? '' : 's'} of people never in people/ ignored, ` +
      `${result.untouched.length} in people/ not in the snapshot (untouched).${outcomes ? '' : ' Dry run: nothing was changed.'}`,
  );
  out.push(...renderBrakeText(brake, outcomes !== undefined));
  events.forEach((e, i) => {
    const o = outcomes?.[i];
    out.push(
      '',
      `${e.event} ${e.person}, effective ${e.effective}${e.endInstant ? `, access ends ${e.endInstant}` : ''}` +
        ` (${e.record.source}:${e.record.sourceId})${e.overdue ? ' OVERDUE' : ''}`,
      ...e.changes.map((c) => `  ${c}`),
      ...e.notes.map((c) => `  note: ${c}`),
      ...(e.dependsOn.length ? [`  merge first: ${e.dependsOn.join(', ')}`] : []),
      `  branch ${branchOf(e)}, labels ${labelsOf(e).join(', ')}`,
    );
    if (o?.cut)
      out.push(
        `  access cut at ${o.cut.at}${o.cut.result ? ` (${o.cut.result}, ${o.cut.record})` : ' (by an earlier run)'}`,
      );
    if (o?.pullRequest)
      out.push(`  pull request #${o.pullRequest.number} ${o.pullRequest.action}: ${o.pullRequest.url}`);
    if (o?.error) out.push(`  FAILED: ${o.error}`);
  });
  if (problems.length) {
    out.push('', 'Problems (these records were skipped):');
    for (const p of problems)
      out.push(
        `  ${p.line !== undefined ? `line ${p.line}` : '(no line)'}${p.sourceId ? `, ${p.sourceId}` : ''}: ${p.message}`,
      );
  }
  if (result.untouched.length)
    out.push('', `Not in the snapshot, left as they are: ${result.untouched.join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** The brake's lines of the text output: nothing when it found nothing. */
function renderBrakeText(brake: BrakeReport, real: boolean): string[] {
  const v = brake.verdict;
  const out: string[] = [];
  const limits = `safety.maxDisables ${v.limits.maxDisables}; safety.maxDisableShare ${v.limits.maxDisableShare} of ${v.activeWorkforce} active people: at most ${v.limits.shareLimit}`;
  if (brake.stopped) {
    out.push(
      '',
      `HR BRAKE: ${v.cuts.length} overdue leavers would be cut off at once, over ${v.over.join(' and ')} (${limits}).`,
      `  ${real ? 'Nobody was cut, no hold was written and no leaver pull request was opened' : 'A real run cuts nobody, writes no hold and opens no leaver pull request'}: ` +
        `${brake.heldBack.length} leavers held back (${listNames(brake.heldBack.map((e) => e.person))}).`,
      '  Security decides: a real mass departure goes through with --allow-mass-disable, run by a member of teams.security.',
    );
  } else if (brake.allowedBy)
    out.push(
      '',
      `HR brake released: ${v.cuts.length} overdue leavers are over ${v.over.join(' and ')} (${limits}), let through with --allow-mass-disable by ${brake.allowedBy}.`,
    );
  for (const m of v.missing)
    out.push(
      '',
      `HR BRAKE: the ${m.source} snapshot lacks ${m.missing.length} of the ${m.expected} active workers people/ holds for it ` +
        `(${Math.round(m.share * 100)}%, over hr.maxMissingShare ${m.limit}). No leaver is proposed from an absence; they are left as they are.`,
      `  Not in the snapshot: ${listNames(m.missing)}.`,
    );
  if (brake.issue)
    out.push(`  security issue #${brake.issue.number} ${brake.issue.action}: ${brake.issue.url}`);
  if (brake.error) out.push(`  FAILED: ${brake.error}`);
  return out;
}
