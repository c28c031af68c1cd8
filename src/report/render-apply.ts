/**
 * report: the outcome of an apply for people.
 */
import pc from 'picocolors';
import type { ApplyOutcome } from '../apply/apply.js';
import { ACTION_WORDS } from '../plan/plan-types.js';
import type { ApplyRecord, LeaverTiming } from '../records/schema.js';

/** How a run ended, in words (the record keeps the machine word, `result`). */
const RESULT_WORDS: Record<ApplyRecord['result'], string> = {
  applied: 'Done',
  partial: 'Partly done',
  'no-changes': 'Nothing to change',
  refused: 'Refused, nothing written',
  stale: 'Refused as stale, nothing written',
  error: 'Stopped by an error',
};

/** Above this many changes, successful ones are counted rather than listed. */
const DETAIL_LIMIT = 60;

export function renderApplyText(
  outcome: ApplyOutcome,
  names: ReadonlyMap<string, string>,
  color: boolean,
): string {
  const c = pc.createColors(color);
  const { record } = outcome;
  const lines: string[] = [];
  switch (record.result) {
    case 'stale':
      lines.push(c.red(`Refused: ${record.error}`));
      break;
    case 'refused':
      lines.push(c.red('Refused by the safety guards; nothing was written:'));
      for (const g of record.guards) {
        lines.push(
          `  - ${g.message}${g.flag ? ` If this is intended, re-run with ${g.flag}.` : ' No flag overrides this.'}`,
        );
      }
      break;
    case 'error':
      lines.push(c.red(`Apply stopped: ${record.error}`));
      break;
    case 'no-changes':
      lines.push('Nothing to apply: the providers already match the repository.');
      break;
    default:
      for (const ch of record.changes) {
        // Long applies list only what needs attention; the record holds every change.
        if (record.changes.length > DETAIL_LIMIT && (ch.status === 'applied' || ch.status === 'unchanged'))
          continue;
        const who = ch.person ? (names.get(ch.person) ?? ch.person) : ch.login;
        const what = `${ch.provider}: ${ACTION_WORDS[ch.action]}${ch.entitlement ? ` ${ch.entitlement}` : ''} for ${who}`;
        const tail = ch.error ? ` — ${ch.error}` : ch.detail ? ` — ${ch.detail}` : '';
        const mark =
          ch.status === 'failed'
            ? c.red('✖')
            : ch.status === 'skipped'
              ? c.yellow('↷')
              : ch.status === 'unchanged'
                ? c.dim('=')
                : c.green('✔');
        lines.push(`  ${mark} ${what}${tail}`);
      }
  }
  for (const t of record.leavers ?? []) lines.push(renderLeaverTiming(t, names, c));
  const n = record.counts;
  lines.push(
    c.bold(
      `${RESULT_WORDS[record.result]}: ${n.applied} applied, ${n.unchanged} already done, ${n.failed} failed, ${n.skipped} skipped.`,
    ),
    `Apply record: ${outcome.recordFile}`,
  );
  return `${lines.join('\n')}\n`;
}

/** Seconds as people read a lag: 0.8 s, 42 s, 3 min 5 s, 2 h 10 min. */
export function formatLag(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) {
    const whole = Math.round(s);
    return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  }
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** One leaver's timing: due when, confirmed when on each provider, the lag and the SLA verdict. */
export function renderLeaverTiming(
  t: LeaverTiming,
  names: ReadonlyMap<string, string>,
  c: ReturnType<typeof pc.createColors>,
): string {
  const who = names.get(t.person) ?? t.person;
  const confirmations = t.providers
    .map((p) => {
      if (p.failed.length) return `${p.provider} ${c.red(`failed (${p.failed.join(', ')})`)}`;
      if (p.disabledAt) return `${p.provider} disabled at ${p.disabledAt}`;
      if (p.sessionsRevokedAt) return `${p.provider} signed out at ${p.sessionsRevokedAt}`;
      return `${p.provider} access removed at ${p.accessRemovedAt}`;
    })
    .join('; ');
  const verdict =
    t.withinSla === true
      ? c.green(`within the ${t.slaMinutes}-minute SLA`)
      : t.withinSla === false
        ? c.red(`SLA BREACHED: ${t.breach}`)
        : c.yellow(`not confirmed yet; deadline ${t.deadline}`);
  const lag = t.lagSeconds === null ? '' : `, lag ${formatLag(t.lagSeconds)}`;
  const backdated = t.knownAt ? ` (termination reached the repository at ${t.knownAt})` : '';
  return `Leaver ${who}${t.highRisk ? ' (high risk)' : ''}: due ${t.scheduledAt}${backdated}; ${confirmations}${lag}; ${verdict}`;
}
