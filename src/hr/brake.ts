/**
 * The HR brake: automation has brakes (docs: "The trust model"). One `jml hr sync` counts ALL
 * the overdue cuts it would make, before it cuts anyone, against `safety.maxDisables` and
 * `safety.maxDisableShare` of the active workforce; and it notices a snapshot that lacks a large
 * share (`hr.maxMissingShare`) of the active workers people/ holds for its source. Either is a
 * finding for the security team, never silence: a snapshot marking everyone terminated
 * yesterday, or one cut short by a failed page, must not become forty-eight cuts or nothing.
 *
 * Each overdue cut is its own one-person apply, so the apply guard (src/apply/guards.ts) never
 * sees more than one disable: the count has to be made here, over the whole run. Pure: the
 * index, the events and the holds in, a verdict and the issue's text out.
 */
import { byCodePoint } from '../model/order.js';
import type { Person, Policy } from '../model/schema.js';
import { instantMs } from '../model/time.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import type { HrRecord, SnapshotProblem } from './snapshot.js';
import type { HrEvent } from './types.js';

/** Labels of the security issue (the label also guards the marker: only collaborators can label). */
export const BRAKE_LABELS = ['jml', 'hr-brake'];

/** One overdue leaver the sync would cut off at once, were it not over the limits. */
export interface OverdueCut {
  person: string;
  record: { source: string; sourceId: string };
  /** When access ends, per HR (RFC 3339 with the worker's offset). */
  endInstant: string;
  /** Why it would be cut now rather than at its instant. */
  why: 'the end has passed' | 'the end is inside the leaver SLA window';
}

/** Which people/ a snapshot speaks for: a source and the prefix of its workers' hrId. */
export interface SnapshotScope {
  source: string;
  idPrefix: string;
}

/** A snapshot that lacks too many of the active workers people/ holds for its source. */
export interface MissingFinding extends SnapshotScope {
  /** Active people in people/ with an hrId of this source. */
  expected: number;
  /** Those of them no record of the snapshot names (person ids, sorted). */
  missing: string[];
  share: number;
  /** `hr.maxMissingShare`. */
  limit: number;
}

export interface HrBrake {
  /** People active now per people/ (started, not ended): the share's denominator. */
  activeWorkforce: number;
  /** The cuts this run would make: overdue leavers without a standing hold, by person. */
  cuts: OverdueCut[];
  limits: {
    maxDisables: number;
    maxDisableShare: number;
    /** The most people the share lets one sync cut: the share of the workforce, at least one. */
    shareLimit: number;
  };
  /** The limits the cuts are over (empty: under both). */
  over: ('safety.maxDisables' | 'safety.maxDisableShare')[];
  missing: MissingFinding[];
}

/** Started and not ended at `now`, as resolve sees it (a pre-hire or a leaver gone is not active). */
export function employedAt(index: RepoIndex, person: Person, now: number): boolean {
  const { start, end } = person.employment;
  return index.clock.dayStart(start) <= now && (end === undefined || instantMs(end) > now);
}

/**
 * GitHub logins of the security team's members employed at `now`, bots left out, each once: who
 * the brake's issue is assigned to and @-mentions.
 */
export function securityLogins(index: RepoIndex, now: number): string[] {
  const out: string[] = [];
  for (const id of index.policy.teams.security) {
    const p = index.people.get(id)?.value;
    if (!p?.github || /\[bot\]$/i.test(p.github) || !employedAt(index, p, now)) continue;
    if (!out.some((l) => l.toLowerCase() === p.github!.toLowerCase())) out.push(p.github);
  }
  return out;
}

/**
 * The sources a run's snapshot speaks for. `--source NAME`: that source. A snapshot file: each
 * source its records name, with the idPrefix policy gives it (a CSV source writes its `source`
 * override); a source policy does not know speaks for every hrId. A file with no usable record
 * at all speaks for every source policy lists: an empty snapshot lacks everyone.
 */
export function scopesOf(
  policy: Policy,
  sourceName: string | undefined,
  records: readonly HrRecord[],
): SnapshotScope[] {
  const sources = Object.entries(policy.hr?.sources ?? {});
  if (sourceName) {
    const s = policy.hr?.sources[sourceName];
    return [{ source: sourceName, idPrefix: s?.idPrefix ?? '' }];
  }
  const named = [...new Set(records.map((r) => r.source))].sort();
  if (named.length === 0)
    return sources.length
      ? sources.map(([name, s]) => ({ source: name, idPrefix: s.idPrefix }))
      : [{ source: 'snapshot', idPrefix: '' }];
  return named.map((source) => {
    const match = sources.find(([name, s]) => (s.kind === 'csv' && s.source ? s.source : name) === source);
    return { source, idPrefix: match?.[1].idPrefix ?? '' };
  });
}

/** Every sourceId a snapshot names, its unusable records included (those are problems, not absences). */
export function namedIds(records: readonly HrRecord[], problems: readonly SnapshotProblem[]): Set<string> {
  const ids = new Set(records.map((r) => r.sourceId));
  for (const p of problems) if (p.sourceId) ids.add(p.sourceId);
  return ids;
}

export interface BrakeInput {
  index: RepoIndex;
  /** The instant of the sync (epoch ms). */
  now: number;
  events: readonly HrEvent[];
  /** People with a standing offboarding hold: already cut, so not a cut of this run. */
  held: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  /** Every sourceId the snapshot names (namedIds). */
  named: ReadonlySet<string>;
  scopes: readonly SnapshotScope[];
}

/** Counts the run's cuts against the limits and looks for the workers the snapshot lacks. */
export function checkHrBrake(input: BrakeInput): HrBrake {
  const { index, now } = input;
  const { safety } = index.policy;
  const active = [...index.people.values()].filter((p) => employedAt(index, p.value, now));

  // --- the cuts: every overdue leaver not already held, counted before anyone is cut -----------
  const cuts = input.events
    .filter((e) => e.event === 'leaver' && e.overdue && !input.held.has(e.person))
    .map(
      (e): OverdueCut => ({
        person: e.person,
        record: { source: e.record.source, sourceId: e.record.sourceId },
        endInstant: e.endInstant!,
        why:
          instantMs(e.endInstant!) <= now ? 'the end has passed' : 'the end is inside the leaver SLA window',
      }),
    )
    .sort((a, b) => byCodePoint(a.person, b.person));
  // One overdue leaver is never a mass event, however small the organisation: the share's limit
  // is at least one person (maxDisables: 0 still stops every cut). The epsilon keeps 0.29 x 100
  // at 29 people, not 28.
  const shareLimit = Math.max(1, Math.floor(safety.maxDisableShare * active.length + 1e-9));
  const over: HrBrake['over'] = [];
  if (cuts.length > safety.maxDisables) over.push('safety.maxDisables');
  if (cuts.length > shareLimit) over.push('safety.maxDisableShare');

  // --- the workers the snapshot lacks, per source ------------------------------------------------
  const limit = index.policy.hr?.maxMissingShare ?? 0.1;
  const missing: MissingFinding[] = [];
  for (const scope of input.scopes) {
    const expected = active.filter((p) => p.value.hrId?.startsWith(scope.idPrefix));
    const lacking = expected
      .filter((p) => !input.named.has(p.value.hrId!))
      .map((p) => p.value.id)
      .sort();
    const share = expected.length ? lacking.length / expected.length : 0;
    if (share > limit) missing.push({ ...scope, expected: expected.length, missing: lacking, share, limit });
  }

  return {
    activeWorkforce: active.length,
    cuts,
    limits: { maxDisables: safety.maxDisables, maxDisableShare: safety.maxDisableShare, shareLimit },
    over,
    missing,
  };
}

// --- the security issue ------------------------------------------------------------------------

/** The hidden marker that finds a run's issue again: one per source the snapshot speaks for. */
export function brakeMarker(scopes: readonly SnapshotScope[]): string {
  return `<!-- jml:hr-brake source=${scopes.map((s) => encodeURIComponent(s.source)).join(',')} -->`;
}

export interface BrakeIssueContext {
  scopes: readonly SnapshotScope[];
  /** Whether the cuts were held back (over a limit, and no security member let them through). */
  stopped: boolean;
  /** Every leaver event held back with the cuts (their pull requests were not opened). */
  heldBack: readonly HrEvent[];
  /** GitHub logins of the security team, @-mentioned. */
  security: readonly string[];
}

/** Up to 100 names, then how many more: a run's lists of people, in its output and its notes. */
export function listNames(names: readonly string[]): string {
  return names.length > 100
    ? `${names.slice(0, 100).join(', ')} and ${names.length - 100} more`
    : names.join(', ');
}

/**
 * The comment left on the open brake issue when a security member let the cuts through with
 * `--allow-mass-disable`: who (`allowedBy` is `login`, or `login (claimed with --operator)`)
 * and which cuts, so the decision is recorded where security was asked.
 */
export function renderOverrideNote(brake: HrBrake, allowedBy: string): string {
  const [login] = allowedBy.split(' ');
  return (
    `Let through by @${login} with \`--allow-mass-disable\`${allowedBy.includes(' ') ? ' (claimed with --operator)' : ''}: ` +
    `${brake.cuts.length} overdue leavers cut off at once (${listNames(brake.cuts.map((c) => `\`${c.person}\``))}), each with their pull request.`
  );
}

/** Rows listed in the issue before the rest is only counted (the run's log has them all). */
const LISTED = 200;

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** The issue's title and body, from the verdict alone (never the time of the run), so a re-run changes nothing. */
export function renderBrakeIssue(brake: HrBrake, ctx: BrakeIssueContext): { title: string; body: string } {
  const label = ctx.scopes.map((s) => s.source).join(', ');
  const what: string[] = [];
  if (ctx.stopped) what.push(`${brake.cuts.length} overdue leavers held back, nobody cut`);
  for (const m of brake.missing)
    what.push(`the ${m.source} snapshot lacks ${m.missing.length} of ${m.expected} active workers`);
  const title = `HR brake: jml hr sync from ${label} needs the security team (${what.join('; ')})`;

  const out: string[] = [
    `**\`jml hr sync\` from \`${label}\` stopped short and asks the security team to decide**${
      ctx.security.length ? `: ${ctx.security.map((l) => `@${l}`).join(' ')}` : ''
    }.`,
  ];
  if (ctx.stopped) {
    const { limits } = brake;
    out.push(
      '',
      '### Overdue leavers over the safety limits: nobody was cut',
      '',
      `The snapshot ends the employment of ${brake.cuts.length} people at an instant that has passed or falls inside the leaver SLA window. ` +
        'One sync may cut off at once only as many as both limits allow, counted together before the first cut:',
      '',
      '| limit | policy | this run |',
      '|---|---|---|',
      `| people cut off by one sync | \`safety.maxDisables\`: ${limits.maxDisables} | ${brake.cuts.length}${
        brake.over.includes('safety.maxDisables') ? ' (over)' : ''
      } |`,
      `| share of the active workforce (${brake.activeWorkforce} people in people/) | \`safety.maxDisableShare\`: ${percent(
        limits.maxDisableShare,
      )}, at most ${limits.shareLimit} | ${percent(brake.activeWorkforce ? brake.cuts.length / brake.activeWorkforce : 1)}${
        brake.over.includes('safety.maxDisableShare') ? ' (over)' : ''
      } |`,
      '',
      `Nobody was cut, no offboarding hold was written, and no leaver pull request was opened or updated: ${ctx.heldBack.length} leaver${
        ctx.heldBack.length === 1 ? '' : 's'
      } of this snapshot held back in all. Joiners, movers and the other events still became pull requests (each needs its own approval).`,
      '',
      '| person | HR record | access ends | why at once |',
      '|---|---|---|---|',
      ...brake.cuts
        .slice(0, LISTED)
        .map(
          (c) =>
            `| \`${c.person}\` | \`${c.record.source}:${c.record.sourceId}\` | ${c.endInstant} | ${c.why} |`,
        ),
      ...(brake.cuts.length > LISTED
        ? [`| and ${brake.cuts.length - LISTED} more | (in the workflow run's log) | | |`]
        : []),
    );
  }
  for (const m of brake.missing) {
    out.push(
      '',
      `### The snapshot lacks ${m.missing.length} of the ${m.expected} active workers of \`${m.source}\``,
      '',
      `people/ holds ${m.expected} active people with an hrId of this source${m.idPrefix ? ` (\`${m.idPrefix}…\`)` : ''}; ` +
        `no record of the snapshot names ${m.missing.length} of them (${percent(m.share)}, over \`hr.maxMissingShare\`: ${percent(m.limit)}). ` +
        'jml never turns an absence into a leaver: nothing was proposed for them, and their access is unchanged.',
      '',
      `${m.missing
        .slice(0, LISTED)
        .map((p) => `\`${p}\``)
        .join(', ')}${m.missing.length > LISTED ? `, and ${m.missing.length - LISTED} more` : ''}.`,
    );
  }
  out.push('', '### What to do', '');
  if (ctx.stopped)
    out.push(
      '- **Not a real mass departure?** Find out who changed HR (its audit log) and correct the records there: the next sync follows HR. Nothing needs undoing here: nothing was cut.',
      '- **A real one (a layoff)?** A member of the security team, employed and listed in `teams.security`, runs **Actions → hr-sync → Run workflow** with `allow-mass-disable` ticked (`jml hr sync --allow-mass-disable`; jml refuses it from anyone else). The cuts then go through and each leaver gets their pull request.',
    );
  if (brake.missing.length)
    out.push(
      '- **Workers missing:** a truncated export or API answer is fixed at the source; workers who left are recorded by a leaver pull request (or HR marks them terminated); workers moved to another HR system get their new hrId in people/. Until then each sync says so here.',
    );
  out.push(
    '',
    '---',
    'Opened by `jml hr sync`, which updates this issue while the condition lasts and never closes it: a person closes it once it is understood.',
  );
  return { title, body: out.join('\n') };
}
