/**
 * `jml hr sync --source NAME | --snapshot FILE [--dry-run] [--format text|json] [--base BRANCH]`:
 * the HR system as the source of truth. The snapshot (from an adapter, or a file in
 * hr-snapshot/v1) is compared with people/ and each joiner, mover, leaver, rehire, cancelled
 * termination and correction becomes ONE pull request, idempotently. A leaver whose end has
 * passed or falls inside the SLA window is cut off every provider first (the emergency
 * offboarding path, whose record is the hold), then their pull request is opened, labelled
 * backdated. `--dry-run` stops after the classification: it prints what it would do and changes
 * nothing.
 *
 * The HR brake (src/hr/brake.ts): all the run's overdue cuts are counted before the first one,
 * against safety.maxDisables and safety.maxDisableShare of the active workforce. Over either, the
 * run cuts nobody, writes no hold and proposes no leaver at all (the snapshot's terminations are
 * suspect), proposes the other events as usual, and opens or updates one issue for the security
 * team. `--allow-mass-disable` lets a real mass departure through, and only for a current member
 * of the security team (operatorOf, as `jml offboard`). A snapshot lacking more than
 * hr.maxMissingShare of the active workers people/ holds for its source is reported the same way.
 *
 * Exit 0: done; 2: some records were skipped as problems (the rest went through); 1: an error
 * (the repository does not validate, a cut or a pull request failed, --allow-mass-disable
 * refused); 4 (EXIT_HR_BRAKE): the brake held or the snapshot lacks workers: security must look.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import type { ApplyOutcome } from '../apply/apply.js';
import { REAL_CLOCK } from '../apply/leaver-schedule.js';
import { cutAccessNow, operatorOf, recordHold } from '../engine/offboard.js';
import { type Prepared, recordsDir } from '../engine/prepare.js';
import {
  brakeMarker,
  checkHrBrake,
  employedAt,
  type HrBrake,
  namedIds,
  renderBrakeIssue,
  scopesOf,
} from '../hr/brake.js';
import { noteOverride, raiseBrakeIssue } from '../hr/brake-issue.js';
import { type Classification, classify } from '../hr/classify.js';
import { branchOf, type CutReport, labelsOf, proposeEvent } from '../hr/propose.js';
import {
  type HrRecord,
  parseSnapshot,
  type RawRecord,
  type SnapshotProblem,
  validateRecords,
} from '../hr/snapshot.js';
import type { HrEvent } from '../hr/types.js';
import { byCodePoint } from '../model/order.js';
import { toIso } from '../model/time.js';
import { readHolds } from '../records/holds.js';
import type { OffboardEntry } from '../records/schema.js';
import { amendRecord } from '../records/store.js';
import { renderDiagnosticsText } from '../report/diagnostics.js';
import { withHolds } from '../resolve/holds.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { checkRepository, TIME_DEPENDENT_RULES } from '../validate/validate.js';
import type { GlobalOptions, Io } from './io.js';
import {
  baseBranch,
  githubAccess,
  githubConfigured,
  prepareOrReport as prepare,
  triggerFromEnv,
} from './run-support.js';

type Exit = (code: number) => void;

/** Exit code of a sync the HR brake stopped (or whose snapshot lacks workers): security decides. */
export const EXIT_HR_BRAKE = 4;

interface SyncOptions {
  source?: string;
  snapshot?: string;
  dryRun?: boolean;
  base?: string;
  format: 'text' | 'json';
  allowMassDisable?: boolean;
  operator?: string;
}

/** The brake as a run reports it. */
interface BrakeReport {
  verdict: HrBrake;
  /** The cuts were over a limit and held back, with every leaver of the run. */
  stopped: boolean;
  /** Over a limit, and let through with --allow-mass-disable by this login. */
  allowedBy?: string;
  heldBack: HrEvent[];
  issue?: { number: number; url: string; action: string };
  error?: string;
}

/** What happened to one event in a real run. */
interface EventOutcome {
  event: HrEvent;
  cut?: CutReport & { record?: string };
  pullRequest?: { number: number; url: string; action: string };
  error?: string;
}

export function registerHr(program: Command, io: Io, setExit: Exit): void {
  const hr = program.command('hr').description('The HR system as the source of truth for people/.');
  hr.command('sync')
    .description(
      'Compare an HR snapshot with people/ and open one pull request per joiner, mover, leaver, rehire, cancelled termination or correction; ' +
        'an overdue leaver is cut off first, unless the run would cut more than policy safety allows. ' +
        `Exit 0 done, 2 some records skipped as problems, 1 error, ${EXIT_HR_BRAKE} stopped by the HR brake (see the security issue).`,
    )
    .option('--source <name>', 'an HR system of policy/jml.yaml hr.sources')
    .option('--snapshot <file>', 'an hr-snapshot/v1 file (JSON Lines or CSV) instead of a source')
    .option('--dry-run', 'print the events and the pull requests it would open; change nothing')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .option(
      '--allow-mass-disable',
      'cut every overdue leaver even over safety.maxDisables / maxDisableShare (a real mass departure); security team only',
    )
    .option(
      '--operator <login>',
      'with --allow-mass-disable, your GitHub login outside GitHub Actions (in Actions, GITHUB_ACTOR is used)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts: SyncOptions, cmd: Command) => {
      setExit(await sync(opts, cmd, io));
    });
}

async function sync(opts: SyncOptions, cmd: Command, io: Io): Promise<number> {
  const { root: rootOpt } = cmd.optsWithGlobals<GlobalOptions>();
  const root = path.resolve(rootOpt);
  if (Boolean(opts.source) === Boolean(opts.snapshot)) {
    io.err('jml hr sync: give either --source NAME or --snapshot FILE.\n');
    return 1;
  }
  const clock = io.clock ?? REAL_CLOCK;
  const now = clock.now();

  // --- the repository, as it is: produced files must validate against it ----------------------
  const checked = checkRepository(root, now);
  const blocking = checked.diagnostics.filter(
    (d) => d.severity === 'error' && !TIME_DEPENDENT_RULES.has(d.rule),
  );
  if (blocking.length > 0 || !checked.index) {
    io.err(renderDiagnosticsText(checked.diagnostics, io.isTty));
    io.err('jml hr sync: nothing was synced: fix the errors above first.\n');
    return 1;
  }
  const index = checked.index;
  const heldDir = recordsDir(root, index);
  const { holds, problems: unreadHolds } = readHolds(heldDir);
  for (const p of unreadHolds)
    io.err(
      `Note: ${path.relative(root, path.join(heldDir, p.file))} ${p.problem}; an offboarding hold in it is not in force.\n`,
    );

  // --- who may release the brake: refused before anything is read or written -------------------
  let allowedBy: string | undefined;
  if (opts.allowMassDisable) {
    // The same rule as jml offboard, on the people as the holds leave them (a security member
    // offboarded in an emergency is not employed, whatever their file still says).
    const asHeld = withHolds(index, holds).index;
    const operator = operatorOf(asHeld, opts.operator, now, 'use --allow-mass-disable');
    if (typeof operator === 'string') {
      io.err(`jml hr sync refused: ${operator} Nothing was changed.\n`);
      return 1;
    }
    allowedBy = operator.vouched ? operator.login : `${operator.login} (claimed with --operator)`;
  }

  // --- the snapshot ------------------------------------------------------------------------------
  let snapshot: LoadedSnapshot;
  try {
    snapshot = opts.snapshot
      ? readSnapshotFile(opts.snapshot)
      : await fetchFromSource(opts.source!, index, root, now);
  } catch (e) {
    io.err(`jml hr sync: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }

  // --- classify ----------------------------------------------------------------------------------
  const result = classify({
    index,
    records: snapshot.records,
    policy: index.policy,
    now,
    lines: snapshot.lines,
  });
  const problems = [...snapshot.problems, ...result.problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || byCodePoint(a.sourceId ?? '', b.sourceId ?? ''),
  );
  const problemExit = problems.length ? 2 : 0;

  // --- the brake: every cut of this run counted before the first ------------------------------
  const scopes = scopesOf(index.policy, opts.source, snapshot.records);
  const verdict = checkHrBrake({
    index,
    now,
    events: result.events,
    held: holds,
    named: namedIds(snapshot.records, problems),
    scopes,
  });
  const over = verdict.over.length > 0;
  // Over a limit, the snapshot's terminations are suspect: no leaver of it goes further (an
  // overdue one would be cut, a later one would queue a pull request of the same suspect data).
  // The other events are pull requests that need their own approvals, so they still go.
  const stopped = over && !allowedBy;
  const heldBack = stopped ? result.events.filter((e) => e.event === 'leaver') : [];
  const events = stopped ? result.events.filter((e) => e.event !== 'leaver') : result.events;
  const brake: BrakeReport = {
    verdict,
    stopped,
    ...(over && allowedBy ? { allowedBy } : {}),
    heldBack,
  };
  const finding = stopped || verdict.missing.length > 0;
  const brakeExit = finding ? EXIT_HR_BRAKE : 0;

  if (opts.dryRun) {
    if (opts.format === 'json')
      io.out(
        `${JSON.stringify(
          {
            events: events.map(eventJson),
            problems,
            untouched: result.untouched,
            brake: brakeJson(brake),
          },
          null,
          2,
        )}\n`,
      );
    else io.out(renderText(result, events, problems, snapshot.records.length, undefined, brake));
    return brakeExit || problemExit;
  }

  // --- a real run: GitHub is where the pull requests and the security issue go -----------------
  if ((events.length || finding) && !githubConfigured()) {
    io.err(
      'jml hr sync opens pull requests (and, when the HR brake holds, an issue): set GITHUB_TOKEN and GITHUB_REPOSITORY (or look first with --dry-run). Nothing was changed.\n',
    );
    return 1;
  }
  const outcomes: EventOutcome[] = [];
  if (events.length || finding || brake.allowedBy) {
    const { client, owner, repo } = await githubAccess();
    const base = baseBranch(opts.base);
    // GitHub refuses a review request to anyone who is not a collaborator: ask each login once.
    const permissions = new Map<string, Promise<boolean>>();
    const canReview = (login: string) => {
      let known = permissions.get(login.toLowerCase());
      if (!known) {
        known = client.permissionOf(owner, repo, login).then((p) => p !== 'none');
        permissions.set(login.toLowerCase(), known);
      }
      return known;
    };
    // The security team hears first: before any pull request of the run, so that GitHub failing
    // halfway never leaves the brake unreported.
    const marker = brakeMarker(scopes);
    if (finding) {
      try {
        const security = securityLogins(index, now);
        const assignees: string[] = [];
        for (const login of security) if (await canReview(login)) assignees.push(login);
        const { title, body } = renderBrakeIssue(verdict, { scopes, stopped, heldBack, security });
        const raised = await raiseBrakeIssue(client, owner, repo, { marker, title, body, assignees });
        brake.issue = { ...raised.issue, action: raised.action };
      } catch (err) {
        brake.error = `the security issue could not be opened: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    if (brake.allowedBy) {
      try {
        const noted = await noteOverride(
          client,
          owner,
          repo,
          marker,
          `Let through by @${brake.allowedBy.split(' ')[0]} with \`--allow-mass-disable\`${brake.allowedBy.includes(' ') ? ' (claimed with --operator)' : ''}: ` +
            `${verdict.cuts.length} overdue leavers cut off at once (${listed(verdict.cuts.map((c) => `\`${c.person}\``))}), each with their pull request.`,
        );
        if (noted) brake.issue = { ...noted, action: 'commented' };
      } catch (err) {
        brake.error = `the override could not be noted on the security issue: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    // A waiting pull request of the same move, correction or leaver is updated, never doubled.
    const openBranches = await client.openPullRequestBranches(owner, repo);
    let prepared: Prepared | undefined;
    for (const e of events) {
      const outcome: EventOutcome = { event: e };
      outcomes.push(outcome);
      // Overdue leavers: access is cut before the pull request exists (once: a standing hold
      // means an earlier run, or the security team, already did). A cut that fails still gets
      // its pull request: merged, the leaver is applied like any other.
      let cut: ApplyOutcome | undefined;
      let cutFailed = false;
      if (e.overdue) {
        const held = holds.get(e.person);
        if (held) outcome.cut = { at: held.at };
        else {
          const reason = `HR ${e.record.source}:${e.record.sourceId} terminated at ${e.endInstant}`;
          const entry: OffboardEntry = {
            person: e.person,
            at: toIso(Math.floor(clock.now() / 1000) * 1000),
            reason,
            requestedBy: brake.allowedBy
              ? `jml hr sync (--allow-mass-disable by ${brake.allowedBy})`
              : 'jml hr sync',
            operator: 'jml-hr-sync',
          };
          try {
            prepared ??= await prepare(root, toIso(clock.now()), io);
            if (!prepared) throw new Error('the repository could not be prepared for the cut');
            const trigger = { ...triggerFromEnv(cmd), reason };
            // The hold first: it stands even if the cut finds nothing left to do (IT was faster)
            // or fails halfway, so no apply gives the access back before the pull request merges.
            recordHold(prepared, { ...entry, intent: true }, trigger, clock);
            cut = await cutAccessNow(prepared, entry, trigger, clock);
            outcome.cut = {
              at: entry.at,
              result: cut.record.result,
              record: path.relative(root, cut.recordFile),
            };
            if (!['applied', 'no-changes'].includes(cut.record.result)) {
              cutFailed = true;
              outcome.error = `access of ${e.person} was not fully cut (${cut.record.result}): see ${outcome.cut.record}`;
            }
          } catch (err) {
            cutFailed = true;
            outcome.error = `access of ${e.person} was not cut: ${err instanceof Error ? err.message : String(err)}`;
          }
        }
      }
      try {
        const pr = await proposeEvent(e, {
          client,
          owner,
          repo,
          base,
          index,
          events,
          canReview,
          openBranches,
          ...(outcome.cut && !cutFailed ? { cut: { at: outcome.cut.at } } : {}),
          ...(cutFailed ? { cutFailed } : {}),
        });
        outcome.pullRequest = { ...pr.pullRequest, action: pr.action };
        // The hold names its pull request, as an emergency offboarding's does.
        if (cut?.record.offboard) {
          const pullRequest = pr.pullRequest;
          cut.record = amendRecord(cut.recordFile, (r) => ({
            ...r,
            ...(r.offboard ? { offboard: { ...r.offboard, pullRequest } } : {}),
          }));
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        outcome.error = outcome.error ? `${outcome.error}; ${message}` : message;
      }
    }
  }
  const failed = outcomes.some((o) => o.error) || Boolean(brake.error);
  if (opts.format === 'json')
    io.out(
      `${JSON.stringify(
        {
          events: outcomes.map((o) => ({
            ...eventJson(o.event),
            ...(o.cut ? { cut: o.cut } : {}),
            ...(o.pullRequest ? { pullRequest: o.pullRequest } : {}),
            ...(o.error ? { error: o.error } : {}),
          })),
          problems,
          untouched: result.untouched,
          brake: brakeJson(brake),
        },
        null,
        2,
      )}\n`,
    );
  else io.out(renderText(result, events, problems, snapshot.records.length, outcomes, brake));
  if (brake.error) io.err(`jml hr sync: ${brake.error}\n`);
  if (finding)
    io.err(
      `jml hr sync: stopped by the HR brake${brake.issue ? ` (${brake.issue.url})` : ''}: ${brakeSummary(brake)}\n`,
    );
  for (const o of outcomes)
    if (o.error) io.err(`jml hr sync: ${o.event.event} ${o.event.person}: ${o.error}\n`);
  // The brake is the loudest: whatever else happened, security must look.
  return brakeExit || (failed ? 1 : problemExit);
}

/** GitHub logins of the security team's members employed now, bots left out. */
function securityLogins(index: RepoIndex, now: number): string[] {
  const out: string[] = [];
  for (const id of index.policy.teams.security) {
    const p = index.people.get(id)?.value;
    if (!p?.github || /\[bot\]$/i.test(p.github) || !employedAt(index, p, now)) continue;
    if (!out.some((l) => l.toLowerCase() === p.github!.toLowerCase())) out.push(p.github);
  }
  return out;
}

/** One line: why the brake held. */
function brakeSummary(brake: BrakeReport): string {
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

function renderText(
  result: Classification,
  events: readonly HrEvent[],
  problems: readonly SnapshotProblem[],
  records: number,
  outcomes: EventOutcome[] | undefined,
  brake: BrakeReport,
): string {
  const out: string[] = [];
  const n = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  out.push(
    `${n(records, 'record')}: ${n(events.length, 'event')}, ${n(problems.length, 'problem')}, ` +
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

/** Up to 100 names, then how many more. */
function listed(names: readonly string[]): string {
  return names.length > 100
    ? `${names.slice(0, 100).join(', ')} and ${names.length - 100} more`
    : names.join(', ');
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
        `${brake.heldBack.length} leavers held back (${listed(brake.heldBack.map((e) => e.person))}).`,
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
      `  Not in the snapshot: ${listed(m.missing)}.`,
    );
  if (brake.issue)
    out.push(`  security issue #${brake.issue.number} ${brake.issue.action}: ${brake.issue.url}`);
  if (brake.error) out.push(`  FAILED: ${brake.error}`);
  return out;
}

// --- snapshot sources ------------------------------------------------------------------------

interface LoadedSnapshot {
  records: HrRecord[];
  problems: SnapshotProblem[];
  /** The line of each record, by sourceId (problems found later name it). */
  lines: Map<string, number>;
}

function readSnapshotFile(file: string): LoadedSnapshot {
  let text: string;
  try {
    text = readFileSync(path.resolve(file), 'utf8');
  } catch (e) {
    throw new Error(`cannot read the snapshot ${file}: ${(e as Error).message}`);
  }
  const { records, problems } = parseSnapshot(text, file);
  return { records, problems, lines: linesOf(text, file) };
}

/** sourceId -> line of a snapshot file, the way parseSnapshot numbers lines. */
function linesOf(text: string, file: string): Map<string, number> {
  const lines = new Map<string, number>();
  if (/\.csv$/i.test(file)) {
    try {
      const rows = parseCsv(text, { columns: true, skip_empty_lines: true, bom: true, trim: true }) as Record<
        string,
        string
      >[];
      rows.forEach((row, i) => {
        if (row.sourceId && !lines.has(row.sourceId)) lines.set(row.sourceId, i + 2);
      });
    } catch {
      // parseSnapshot already reports a file that is not CSV.
    }
    return lines;
  }
  text.split(/\r?\n/).forEach((lineText, i) => {
    try {
      const id = (JSON.parse(lineText) as { sourceId?: unknown }).sourceId;
      if (typeof id === 'string' && !lines.has(id)) lines.set(id, i + 1);
    } catch {
      // Not JSON: parseSnapshot reports it.
    }
  });
  return lines;
}

async function fetchFromSource(
  name: string,
  index: RepoIndex,
  root: string,
  now: number,
): Promise<LoadedSnapshot> {
  const source = index.policy.hr?.sources[name];
  if (!source) {
    const known = Object.keys(index.policy.hr?.sources ?? {});
    throw new Error(
      `no HR source "${name}" in policy/jml.yaml hr.sources${known.length ? ` (there are: ${known.join(', ')})` : ''}`,
    );
  }
  // The adapters load only when a source is read (each may pull in a vendor client).
  const { fetchSnapshot } = await import('../hr/adapters/index.js');
  const fetched = await fetchSnapshot({
    name,
    source,
    env: process.env,
    root,
    orgTimeZone: index.policy.timezone,
    now: new Date(now),
  });
  const checked = validateRecords(fetched.records);
  return {
    records: checked.records,
    problems: [...fetched.problems, ...checked.problems],
    lines: linesOfRaw(fetched.records),
  };
}

function linesOfRaw(raw: readonly RawRecord[]): Map<string, number> {
  const lines = new Map<string, number>();
  for (const r of raw) {
    const id = (r.value as { sourceId?: unknown } | null)?.sourceId;
    if (r.line !== undefined && typeof id === 'string' && !lines.has(id)) lines.set(id, r.line);
  }
  return lines;
}
