/**
 * report: the outcome of an apply for people.
 */
import pc from 'picocolors';
import type { ApplyOutcome } from '../apply/apply.js';

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
        const what = `${ch.provider}: ${ch.action}${ch.entitlement ? ` ${ch.entitlement}` : ''} for ${who}`;
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
  const n = record.counts;
  lines.push(
    c.bold(
      `Apply ${record.result}: ${n.applied} applied, ${n.unchanged} already done, ${n.failed} failed, ${n.skipped} skipped.`,
    ),
    `Apply record: ${outcome.recordFile}`,
  );
  return `${lines.join('\n')}\n`;
}
