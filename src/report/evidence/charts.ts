/**
 * The evidence page's two charts as inline SVG, drawn here so the page needs no script: leaver
 * lag against the SLA (one mark per leaver, a line per SLA) and JML events per month. Each has a
 * legend and a value label on every mark and bar, so a printed page reads without hovering.
 * Styling is by class (the page's one stylesheet) with presentation attributes as the fallback
 * (`fill`, `stroke`: not style attributes, so the page's CSP still forbids inline styles).
 */

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** How a leaver's mark is drawn: its verdict (a request after the end instant is its own). */
export type LeaverMarkVerdict = 'within' | 'breach' | 'late' | 'pending';

export interface LeaverMark {
  person: string;
  scheduledAt: string;
  /** Minutes from the end instant to the last confirmation (never negative); null: never confirmed. */
  lagMinutes: number | null;
  slaMinutes: number;
  withinSla: boolean | null;
  /** Absent: from `withinSla` (false: breach, true: within, null: pending). */
  verdict?: LeaverMarkVerdict;
  /** For a request after the end instant: how late it reached the repository, and the engine's lag after. */
  requestDelayMinutes?: number;
  engineLagMinutes?: number | null;
}

const W = 720;
const H = 300;
const M = { top: 30, right: 210, bottom: 60, left: 60 };
const TICKS = [0, 1, 5, 15, 60, 240, 1440, 10_080, 43_200];
const TICK_LABEL: Record<number, string> = { 1440: '1 d', 10080: '7 d', 43200: '30 d' };

/** The colours, as presentation attributes; the page's stylesheet may override them by class. */
const COLOUR: Record<string, string> = {
  within: '#2f855a',
  breach: '#c53030',
  late: '#dd6b20',
  pending: '#718096',
  joiner: '#2b6cb0',
  mover: '#d69e2e',
  leaver: '#805ad5',
  onboarding: '#4fd1c5',
  'exception-ended': '#b83280',
  simulated: '#4a5568',
};

const LAG_LEGEND: [LeaverMarkVerdict, string][] = [
  ['within', 'within SLA'],
  ['breach', 'SLA breach'],
  ['late', 'request after the end instant'],
  ['pending', 'pending'],
];

/** `42 min`, `3.5 h`, `4.2 d`: a value label. */
function minutesLabel(min: number): string {
  if (min < 180) return `${Math.round(min * 10) / 10} min`;
  if (min < 2880) return `${Math.round((min / 60) * 10) / 10} h`;
  return `${Math.round((min / 1440) * 10) / 10} d`;
}

function verdictOf(m: LeaverMark): LeaverMarkVerdict {
  return m.verdict ?? (m.withinSla === false ? 'breach' : m.withinSla === true ? 'within' : 'pending');
}

function legend(x: number, y0: number, items: [string, string][], shape: 'circle' | 'rect'): string[] {
  // Not `legend`: the page's stylesheet styles that class's text.
  const parts: string[] = [`<g class="chart-legend">`];
  items.forEach(([cls, label], j) => {
    const y = y0 + j * 18;
    parts.push(
      shape === 'circle'
        ? `<circle class="swatch ${cls}" cx="${x + 6}" cy="${y}" r="5" fill="${COLOUR[cls]}"/>`
        : `<rect class="swatch ${cls}" x="${x}" y="${y - 6}" width="12" height="12" fill="${COLOUR[cls]}"/>`,
      `<text class="tick legend-label" x="${x + 18}" y="${y}" dominant-baseline="middle">${escapeXml(label)}</text>`,
    );
  });
  parts.push('</g>');
  return parts;
}

/** Lag in minutes on a log scale (log10(1 + minutes)): a few minutes and a few days both show. */
export function leaverLagChart(marks: LeaverMark[]): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  // Headroom above the longest lag for its value label (the scale is logarithmic).
  const top = Math.max(60, ...marks.map((m) => m.lagMinutes ?? 0), ...marks.map((m) => m.slaMinutes)) * 3;
  const scale = (min: number) =>
    M.top + plotH - (Math.log10(1 + Math.max(0, min)) / Math.log10(1 + top)) * plotH;
  const parts: string[] = [];
  parts.push(
    `<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="#4a5568"/>`,
  );
  parts.push(
    `<line class="axis" x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}" stroke="#4a5568"/>`,
  );
  for (const t of TICKS.filter((t) => t <= top)) {
    const y = scale(t).toFixed(1);
    parts.push(
      `<line class="grid" x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}" stroke="#edf2f7"/>`,
    );
    parts.push(
      `<text class="tick" x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${TICK_LABEL[t] ?? `${t} min`}</text>`,
    );
  }
  const slas = [...new Set(marks.map((m) => m.slaMinutes))].sort((a, b) => a - b);
  for (const s of slas) {
    const y = scale(s).toFixed(1);
    parts.push(
      `<line class="sla" data-minutes="${s}" x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}" stroke="#c53030" stroke-dasharray="6 4"/>`,
    );
    parts.push(
      `<text class="sla-label" x="${M.left + plotW - 4}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end">SLA ${s} min</text>`,
    );
  }
  const step = plotW / Math.max(1, marks.length);
  marks.forEach((m, i) => {
    const x = (M.left + step * (i + 0.5)).toFixed(1);
    const verdict = verdictOf(m);
    // A mark never confirmed is hollow, at the top: no lag to plot.
    const cls = m.lagMinutes === null ? `${verdict} unconfirmed` : verdict;
    const y = m.lagMinutes === null ? M.top : scale(m.lagMinutes);
    const lag = m.lagMinutes === null ? 'not confirmed' : minutesLabel(m.lagMinutes);
    const late =
      verdict === 'late' && m.requestDelayMinutes !== undefined
        ? `; request after the end instant by ${minutesLabel(m.requestDelayMinutes)}, engine lag ${m.engineLagMinutes == null ? 'not confirmed' : minutesLabel(m.engineLagMinutes)}`
        : '';
    const label = `${m.person}: ${lag} after ${m.scheduledAt} (SLA ${m.slaMinutes} min${late})`;
    const paint =
      m.lagMinutes === null
        ? `fill="#fff" stroke="${COLOUR[verdict]}" stroke-width="2"`
        : `fill="${COLOUR[verdict]}"`;
    parts.push(
      `<circle class="mark ${cls}" data-person="${escapeXml(m.person)}" data-lag-minutes="${m.lagMinutes ?? ''}" data-verdict="${verdict}" cx="${x}" cy="${y.toFixed(1)}" r="6" ${paint}><title>${escapeXml(label)}</title></circle>`,
    );
    const value =
      verdict === 'late' && m.engineLagMinutes != null
        ? `${lag} (engine ${minutesLabel(m.engineLagMinutes)})`
        : lag;
    parts.push(
      `<text class="value-label" x="${x}" y="${Math.max(12, y - 10).toFixed(1)}" text-anchor="middle" font-size="11">${escapeXml(value)}</text>`,
    );
    parts.push(
      `<text class="tick" x="${x}" y="${M.top + plotH + 14}" text-anchor="end" transform="rotate(-30 ${x} ${M.top + plotH + 14})">${escapeXml(m.person)}</text>`,
    );
  });
  if (marks.length === 0)
    parts.push(
      `<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">No leaver in the period</text>`,
    );
  parts.push(...legend(M.left + plotW + 14, M.top + 10, LAG_LEGEND, 'circle'));
  return svg('leaver-lag', 'Leaver lag against the SLA (minutes, log scale)', parts);
}

/** The series of the events chart: the pack's event kinds, and a replay's events apart. */
export const EVENT_SERIES = [
  'joiner',
  'mover',
  'leaver',
  'onboarding',
  'exception-ended',
  'simulated',
] as const;
export type EventSeries = (typeof EVENT_SERIES)[number];

/** One month of the events chart. */
export type EventCount = { month: string } & Record<EventSeries, number>;

const SERIES_LABEL: Record<EventSeries, string> = {
  joiner: 'joiner',
  mover: 'mover',
  leaver: 'leaver',
  onboarding: 'onboarding (first import)',
  'exception-ended': 'exception ended',
  simulated: 'simulated replay',
};

/**
 * Bars per month: joiners, movers and leavers always, and each other series (onboarding,
 * exception ended, simulated replay) when the period has one; the legend lists those shown. Each
 * bar carries its count, so an onboarding of fifty people that flattens the rest still reads.
 */
export function eventsPerMonthChart(months: EventCount[]): string {
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const shown = EVENT_SERIES.filter((k, i) => i < 3 || months.some((m) => (m[k] ?? 0) > 0));
  const max = Math.max(1, ...months.flatMap((m) => shown.map((k) => m[k] ?? 0)));
  const parts: string[] = [];
  parts.push(
    `<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + plotH}" stroke="#4a5568"/>`,
  );
  parts.push(
    `<line class="axis" x1="${M.left}" y1="${M.top + plotH}" x2="${M.left + plotW}" y2="${M.top + plotH}" stroke="#4a5568"/>`,
  );
  const tickStep = Math.max(1, Math.ceil(max / 5));
  for (let t = 0; t <= max; t += tickStep) {
    const y = (M.top + plotH - (t / max) * plotH).toFixed(1);
    parts.push(
      `<line class="grid" x1="${M.left}" y1="${y}" x2="${M.left + plotW}" y2="${y}" stroke="#edf2f7"/>`,
    );
    parts.push(
      `<text class="tick" x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  const group = plotW / Math.max(1, months.length);
  const bar = Math.min(28, (group * 0.8) / shown.length);
  months.forEach((m, i) => {
    const x0 = M.left + group * i + (group - bar * shown.length) / 2;
    shown.forEach((k, j) => {
      const n = m[k] ?? 0;
      if (n === 0) return;
      const h = (n / max) * plotH;
      const x = x0 + j * bar;
      const y = M.top + plotH - h;
      parts.push(
        `<rect class="bar ${k}" data-month="${m.month}" data-count="${n}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLOUR[k]}"><title>${m.month}: ${n} ${SERIES_LABEL[k]}</title></rect>`,
      );
      parts.push(
        `<text class="value-label" x="${(x + (bar - 2) / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" font-size="${bar < 12 ? 9 : 11}">${n}</text>`,
      );
    });
    parts.push(
      `<text class="tick" x="${(M.left + group * (i + 0.5)).toFixed(1)}" y="${M.top + plotH + 16}" text-anchor="middle">${m.month}</text>`,
    );
  });
  parts.push(
    ...legend(
      M.left + plotW + 14,
      M.top + 10,
      shown.map((k) => [k, SERIES_LABEL[k]]),
      'rect',
    ),
  );
  return svg('events-per-month', 'JML events per month', parts);
}

function svg(id: string, title: string, parts: string[]): string {
  return `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="${id}-title"><title id="${id}-title">${escapeXml(title)}</title>${parts.join('')}</svg>`;
}
