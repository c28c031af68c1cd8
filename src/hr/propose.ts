/**
 * Each HR event becomes ONE pull request, through `proposeFileChanges`: on a branch named after
 * the event (`jml/hr/<event>/<person>/<effective>`), with a hidden marker carrying the
 * idempotency key and the HR record it came from, so that a re-run with the same snapshot finds
 * the same branch and the same pull request and changes nothing. Everything here is derived from
 * the event alone (never the time of the run), which is what keeps re-runs quiet.
 */
import type { FileChangesResult, GitHubClient } from '../github/client.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import type { HrEvent, HrEventKind } from './types.js';

const MARKER = /<!-- jml:hr key=([0-9a-f]{64}) record=([^ ]+) -->/;

/** The hidden marker: the idempotency key and the HR record (`source:sourceId`, each URI-encoded). */
export function hrMarker(e: HrEvent): string {
  return `<!-- jml:hr key=${e.idempotencyKey} record=${hrRecordRef(e.record)} -->`;
}

export function hrRecordRef(r: { source: string; sourceId: string }): string {
  return `${encodeURIComponent(r.source)}:${encodeURIComponent(r.sourceId)}`;
}

/** The marker read back from a pull request's body (the evidence pack links a PR to its HR record). */
export function parseHrMarker(body: string | null | undefined): { key: string; record: string } | undefined {
  const m = body ? MARKER.exec(body) : null;
  if (!m) return undefined;
  const [source, sourceId] = m[2]!.split(':') as [string, string | undefined];
  return {
    key: m[1]!,
    record: `${decodeURIComponent(source)}:${decodeURIComponent(sourceId ?? '')}`,
  };
}

/**
 * The branch of an event, named after the HR record, not the person id chosen for it: a joiner's
 * id depends on the name and on other joiners, so a rename or a namesake must never move an
 * event to another branch, nor let one worker's file overwrite another's pull request.
 */
export function branchOf(e: Pick<HrEvent, 'event' | 'record' | 'effective'>): string {
  return `jml/hr/${e.event}/${refSafe(e.record.sourceId)}/${e.effective}`;
}

/** A git ref component: letters, digits, dot, dash and underscore; anything else becomes a dash. */
function refSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '_');
}

/**
 * The branch to write: the event's own, or the open one of the same event and HR record. An
 * event's date can move while its pull request waits (a start HR moves, a leaver's end moved
 * again, a move dated by the sync because a CSV export has no change time): the waiting pull
 * request is updated in place rather than joined by a second one.
 */
export function branchFor(e: HrEvent, openBranches: readonly string[] = []): string {
  const own = branchOf(e);
  if (openBranches.includes(own)) return own;
  const prefix = branchOf({ ...e, effective: '' });
  return openBranches.filter((b) => b.startsWith(prefix)).sort()[0] ?? own;
}

export function labelsOf(e: HrEvent): string[] {
  return [
    'jml',
    `jml:${e.event}`,
    `effective:${e.effective}`,
    ...(e.backdated || e.overdue ? ['backdated'] : []),
    ...(e.highRisk ? ['high-risk'] : []),
  ];
}

const TITLES: Record<HrEventKind, string> = {
  joiner: 'Joiner',
  mover: 'Mover',
  leaver: 'Leaver',
  rehire: 'Rehire',
  'cancelled-termination': 'Cancelled termination',
  correction: 'Correction',
};

/**
 * Who is asked to review: the managers (a mover's old and new one), the HR team, and for a
 * leaver the security team; by their GitHub logins in people/. Never the person the change is
 * about, never a bot (GitHub refuses a review request to the pull request's own author).
 */
export function reviewersOf(e: HrEvent, index: RepoIndex): string[] {
  const teams = index.policy.teams;
  // Security reviews what ends access and what gives it back after an end.
  const security = ['leaver', 'rehire', 'cancelled-termination'].includes(e.event) ? teams.security : [];
  const ids = [...e.managers, ...teams.hr, ...security];
  const out: string[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (id === e.person) continue;
    const login = index.people.get(id)?.value.github;
    if (!login || /\[bot\]$/i.test(login) || seen.has(login.toLowerCase())) continue;
    seen.add(login.toLowerCase());
    out.push(login);
  }
  return out;
}

/** An overdue leaver's cut, as the pull request reports it. */
export interface CutReport {
  /** The instant access was cut (UTC ISO). */
  at: string;
  /** `applied`, `no-changes`, ...: the apply record's result; absent when an earlier run cut. */
  result?: string;
}

export function titleOf(e: HrEvent, name: string): string {
  return `HR ${TITLES[e.event].toLowerCase()}: ${name} (${e.person}), effective ${e.effective}`;
}

/**
 * The body: the marker, what changes, what to merge first, notes, and for an overdue leaver that
 * access was already cut. `dependencies` gives the branch of each new manager's own pull request.
 */
export function bodyOf(
  e: HrEvent,
  name: string,
  dependencies: ReadonlyMap<string, string>,
  cut?: CutReport | 'failed',
  notAsked: readonly string[] = [],
): string {
  const record = `${e.record.source}:${e.record.sourceId}`;
  const lines = [
    hrMarker(e),
    `**${TITLES[e.event]}** of ${name} (\`${e.person}\`), effective **${e.effective}**, from HR record \`${record}\`.`,
    '',
    `What changes in \`${e.file.path}\`${e.file.previous === undefined ? ' (a new file)' : ''}:`,
    '',
    ...e.changes.map((c) => `- ${c}`),
  ];
  if (e.endInstant) lines.push('', `Access ends at **${e.endInstant}** (the worker's own time zone).`);
  if (e.dependsOn.length)
    lines.push(
      '',
      '**Merge first:** this file names people who are new in the same HR snapshot:',
      '',
      ...e.dependsOn.map(
        (d) => `- \`${d}\`${dependencies.has(d) ? `, pull request from \`${dependencies.get(d)}\`` : ''}`,
      ),
    );
  if (cut === 'failed')
    lines.push(
      '',
      '**Access could not be cut at once** (see the log of the sync): the end is past or inside the leaver SLA. ' +
        'Merge this now, or run the offboard workflow; labelled `backdated` for review after the fact.',
    );
  else if (cut)
    lines.push(
      '',
      `**Access was already cut** on every provider at ${cut.at}, before this pull request existed: the end is past or inside the leaver SLA. ` +
        'Labelled `backdated` for review after the fact; until this merges, an offboarding hold keeps the access cut.',
    );
  const notes = [
    ...e.notes,
    ...(notAsked.length
      ? [
          `Not asked to review, as GitHub allows only collaborators of this repository: ${notAsked.join(', ')}.`,
        ]
      : []),
  ];
  if (notes.length) lines.push('', '**Notes:**', '', ...notes.map((n) => `- ${n}`));
  lines.push(
    '',
    '---',
    'Opened by `jml hr sync`. HR is the source of truth: if this is wrong, correct the record in HR and the next sync follows it; close this pull request if HR withdraws the change.',
  );
  return lines.join('\n');
}

export interface ProposeOptions {
  /** All a proposal asks of GitHub: one pull request kept from one branch. */
  client: Pick<GitHubClient, 'proposeFileChanges'>;
  owner: string;
  repo: string;
  base: string;
  index: RepoIndex;
  /** Every event of the sync (a new manager's branch is named in their reports' bodies). */
  events: readonly HrEvent[];
  cut?: CutReport;
  /**
   * Whether GitHub lets a login be asked to review (a collaborator of the repository): GitHub
   * refuses the whole request otherwise. Those left out are named in the body instead.
   */
  canReview?: (login: string) => Promise<boolean>;
  /** An overdue leaver whose cut failed: the body says so. */
  cutFailed?: boolean;
  /** Head branches of the open pull requests: a waiting one of the same event is updated. */
  openBranches?: readonly string[];
}

/** Opens (or finds, or updates) the one pull request of an event. */
export async function proposeEvent(e: HrEvent, o: ProposeOptions): Promise<FileChangesResult> {
  const name = nameOf(e, o.index);
  const wanted = reviewersOf(e, o.index);
  const reviewers: string[] = [];
  const outside: string[] = [];
  for (const login of wanted) ((await (o.canReview?.(login) ?? true)) ? reviewers : outside).push(login);
  const dependencies = new Map(
    o.events
      .filter((x) => x.event === 'joiner' && e.dependsOn.includes(x.person))
      .map((x) => [x.person, branchOf(x)]),
  );
  return o.client.proposeFileChanges(o.owner, o.repo, {
    branch: branchFor(e, o.openBranches),
    base: o.base,
    title: titleOf(e, name),
    body: bodyOf(e, name, dependencies, o.cutFailed ? 'failed' : o.cut, outside),
    message: `HR ${e.event}: ${e.person}, effective ${e.effective} (${e.record.source}:${e.record.sourceId})`,
    labels: labelsOf(e),
    reviewers,
    files: [{ path: e.file.path, content: e.file.content }],
  });
}

/** The person's name: from people/, or from the new file. */
export function nameOf(e: HrEvent, index: RepoIndex): string {
  const known = index.people.get(e.person)?.value.name;
  if (known) return known;
  const m = /^name: (.+)$/m.exec(e.file.content);
  return m ? m[1]!.replace(/^"(.*)"$/, '$1') : e.person;
}
