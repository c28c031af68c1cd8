/**
 * The evidence page's two charts as inline SVG, drawn here so the page needs no script: leaver
 * lag against the SLA (one mark per leaver, a line per SLA) and JML events per month. Styling is
 * by class (the page's one stylesheet), so the page's CSP can forbid inline style attributes.
 */
import type { EventCount } from './jml-events.js';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface LeaverMark {
  person: string;
  scheduledAt: string;
  /** null: never confirmed. */
  lagMinutes: number | null;
  slaMinutes: number;
  withinSla: boolean | null;
}

const W = 720;
const H = 280;
const M = { top: 20, right: 120, bottom: 60, left: 60 };
const TICKS = [0, 1, 5, 15, 60, 240, 1440, 10_080, 43_200];
const TICK_LABEL: Record<number, string> = { 1440: '1 d', 10080: '7 d', 43200: '30 d' };

/** Lag in minutes on a log scale (log10(1 + minutes)): a few minutes and a few days both show. */
export function leaverLagChart(marks: LeaverMark[]): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const top = Math.max(60, ...marks.map((m) => m.lagMinutes ?? 0), ...marks.map((m) => m.slaMinutes)) * 1.5;
  const scale = (min: number) =>
    M.top + plotH - (Math.log10(1 + Math.max(0, min)) / Math.log10(1 + top)) * plotH;
  const parts: string[] = [];
  parts.push(`<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}"/>`);
  parts.push(
    `<line class="axis" x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}"/>`,
  );
  for (const t of TICKS.filter((t) => t <= top)) {
    const y = scale(t).toFixed(1);
    parts.push(`<line class="grid" x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}"/>`);
    parts.push(
      `<text class="tick" x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${TICK_LABEL[t] ?? `${t} min`}</text>`,
    );
  }
  const slas = [...new Set(marks.map((m) => m.slaMinutes))].sort((a, b) => a - b);
  for (const s of slas) {
    const y = scale(s).toFixed(1);
    parts.push(
      `<line class="sla" data-minutes="${s}" x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}"/>`,
    );
    parts.push(
      `<text class="sla-label" x="${M.left + plotW + 6}" y="${y}" dominant-baseline="middle">SLA ${s} min</text>`,
    );
  }
  const step = plotW / Math.max(1, marks.length);
  marks.forEach((m, i) => {
    const x = (M.left + step * (i + 0.5)).toFixed(1);
    const cls = m.lagMinutes === null ? 'unconfirmed' : m.withinSla === false ? 'breach' : 'within';
    const y = (m.lagMinutes === null ? M.top : scale(m.lagMinutes)).toFixed(1);
    const lag = m.lagMinutes === null ? 'not confirmed' : `${m.lagMinutes} min`;
    const label = `${m.person}: ${lag} after ${m.scheduledAt} (SLA ${m.slaMinutes} min)`;
    parts.push(
      `<circle class="mark ${cls}" data-person="${escapeXml(m.person)}" data-lag-minutes="${m.lagMinutes ?? ''}" cx="${x}" cy="${y}" r="6"><title>${escapeXml(label)}</title></circle>`,
    );
    parts.push(
      `<text class="tick" x="${x}" y="${M.top + plotH + 14}" text-anchor="end" transform="rotate(-30 ${x} ${M.top + plotH + 14})">${escapeXml(m.person)}</text>`,
    );
  });
  if (marks.length === 0)
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">No leaver in the period</text>`,
    );
  return svg('leaver-lag', 'Leaver lag against the SLA (minutes, log scale)', parts);
}

const KINDS = ['joiner', 'mover', 'leaver'] as const;

export function eventsPerMonthChart(months: EventCount[]): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const max = Math.max(1, ...months.flatMap((m) => KINDS.map((k) => m[k])));
  const parts: string[] = [];
  parts.push(`<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}"/>`);
  parts.push(
    `<line class="axis" x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}"/>`,
  );
  const tickStep = Math.max(1, Math.ceil(max / 5));
  for (let t = 0; t <= max; t += tickStep) {
    const y = (M.top + plotH - (t / max) * plotH).toFixed(1);
    parts.push(`<line class="grid" x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}"/>`);
    parts.push(
      `<text class="tick" x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  const group = plotW / Math.max(1, months.length);
  const bar = Math.min(28, (group * 0.8) / KINDS.length);
  months.forEach((m, i) => {
    const x0 = M.left + group * i + (group - bar * KINDS.length) / 2;
    KINDS.forEach((k, j) => {
      if (m[k] === 0) return;
      const h = (m[k] / max) * plotH;
      parts.push(
        `<rect class="bar ${k}" data-month="${m.month}" data-count="${m[k]}" x="${(x0 + j * bar).toFixed(1)}" y="${(M.top + plotH - h).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}"><title>${m.month}: ${m[k]} ${k}${m[k] === 1 ? '' : 's'}</title></rect>`,
      );
    });
    parts.push(
      `<text class="tick" x="${(M.left + group * (i + 0.5)).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle">${m.month}</text>`,
    );
  });
  KINDS.forEach((k, j) => {
    const y = M.top + 10 + j * 18;
    parts.push(`<rect class="legend ${k}" x="${M.left + plotW + 10}" y="${y - 6}" width="12" height="12"/>`);
    parts.push(
      `<text class="tick" x="${M.left + plotW + 28}" y="${y}" dominant-baseline="middle">${k}</text>`,
    );
  });
  return svg('events-per-month', 'JML events per month', parts);
}

function svg(id: string, title: string, parts: string[]): string {
  return `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">${escapeXml(title)}</title>${parts.join('')}</svg>`;
}
