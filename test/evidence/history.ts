/**
 * A policy repository with a history, made for the evidence tests: the example organisation in
 * a fresh git repository whose commits carry fixed dates (a policy change, a joiner, a mover, two
 * leavers, exceptions added and one deleted), apply records written by really running
 * `jml apply --confirm --at` on the embedded providers with the clock set to each run's instant,
 * one record written by hand whose leaver missed the SLA, and the GitHub fake seeded with the pull
 * request of each commit (merge commit, merge time, APPROVED reviews) and two manual-work issues.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { leaverTimings } from '../../src/apply/leaver-timing.js';
import type { Policy } from '../../src/model/schema.js';
import type { ApplyRecord, ChangeResult } from '../../src/records/schema.js';
import { copyExample, editDirectory, jml, readRepoFile, writeRepoFile } from '../engine/helpers.js';
import { type GitHubHarness, OWNER, REPO } from '../fakes/github/harness.js';

export const AT = '2026-11-10T12:00:00Z';

export interface History {
  dir: string;
  /** Commit sha by name. */
  sha: Record<string, string>;
  /** Pull request number by commit name. */
  pr: Record<string, number>;
  /** The hand-written record's file name. */
  breachRecord: string;
  /** Manual-work issue urls: one left open, one closed. */
  issues: { open: string; closed: string };
}

function git(dir: string, args: string[], date?: string): string {
  return execFileSync('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Laura Jensen',
      GIT_AUTHOR_EMAIL: 'laura.jensen@example.com',
      GIT_COMMITTER_NAME: 'GitHub',
      GIT_COMMITTER_EMAIL: 'noreply@github.com',
      ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
    .toString()
    .trim();
}

function commit(dir: string, message: string, date: string): string {
  git(dir, ['add', '-A', '--', 'people', 'roles', 'exceptions', 'policy']);
  git(dir, ['commit', '-q', '-m', message], date);
  return git(dir, ['rev-parse', 'HEAD']);
}

/**
 * Writes exceptions/<id>.yaml from `id person entitlement approver from expires` and commits it;
 * returns the commit.
 */
function addException(dir: string, fields: string, date: string): string {
  const [id, person, entitlement, approver, from, expires] = fields.split(' ') as [string, ...string[]];
  const yaml = [
    '# yaml-language-server: $schema=../schemas/exception.schema.json',
    `id: ${id}`,
    `person: ${person}`,
    `entitlements: [${entitlement}]`,
    `justification: Quarter-end reconciliation, with Finance, for ${id} (FIN-${id.slice(4)}).`,
    `approvers: [${approver}]`,
    `from: ${from}`,
    `expires: ${expires}`,
    '',
  ];
  writeRepoFile(dir, `exceptions/${id}.yaml`, yaml.join('\n'));
  return commit(dir, `${id}: ${entitlement} for ${person}`, date);
}

/**
 * Runs `jml apply --confirm --at T` with the clock at T (Date only; timers stay real). A run that
 * confirms a leaver past the SLA exits 3 (it still applies and writes its record).
 */
async function applyAt(dir: string, at: string): Promise<void> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(at));
  try {
    const r = await jml(dir, 'apply', '--confirm', '--at', at);
    if (r.code !== 0 && !(r.code === 3 && /SLA BREACH/.test(r.err)))
      throw new Error(`jml apply at ${at} exited ${r.code}: ${r.err}${r.out}`);
  } finally {
    vi.useRealTimers();
  }
}

export async function makeHistory(h: GitHubHarness): Promise<History> {
  const dir = copyExample('jml-evidence-');
  rmSync(path.join(dir, '.github'), { recursive: true, force: true });
  const sha: Record<string, string> = {};
  git(dir, ['init', '-q', '-b', 'main']);

  // The organisation as imported: noah.fischer not hired yet, kevin.obrien not leaving yet.
  const noah = readRepoFile(dir, 'people/noah.fischer.yaml');
  const kevin = readRepoFile(dir, 'people/kevin.obrien.yaml');
  rmSync(path.join(dir, 'people/noah.fischer.yaml'));
  writeRepoFile(dir, 'people/kevin.obrien.yaml', kevin.replace(/^ {2}end: .*\n/m, ''));
  sha.import = commit(dir, 'Import the organisation', '2026-06-01T12:00:00Z');
  await applyAt(dir, '2026-06-02T13:00:00Z');

  const policyText = readRepoFile(dir, 'policy/JML-POLICY.md');
  writeRepoFile(
    dir,
    'policy/JML-POLICY.md',
    `${policyText}\nLeaver access ends within the SLA of policy/jml.yaml.\n`,
  );
  sha.policy = commit(dir, 'Policy: state the leaver SLA', '2026-07-01T15:00:00Z');

  sha.exc7 = addException(
    dir,
    'EXC-0007 zoe.anders drive-finance ethan.cole 2026-08-20 2026-10-01',
    '2026-08-20T14:00:00Z',
  );

  writeRepoFile(dir, 'people/noah.fischer.yaml', noah);
  sha.joiner = commit(dir, 'Joiner: Noah Fischer starts 2026-09-08', '2026-08-25T16:00:00Z');

  sha.exc6 = addException(
    dir,
    'EXC-0006 amelia.wright looker-users carlos.mendez 2026-09-01 2026-11-20',
    '2026-09-01T14:00:00Z',
  );
  await applyAt(dir, '2026-09-08T13:05:00Z');

  const arjun = readRepoFile(dir, 'people/arjun.mehta.yaml');
  writeRepoFile(
    dir,
    'people/arjun.mehta.yaml',
    `${arjun.trimEnd()}\n  - { role: customer-success, from: 2026-10-01 }\n`,
  );
  sha.mover = commit(dir, 'Mover: Arjun Mehta to Customer Success on 2026-10-01', '2026-09-20T15:00:00Z');
  await applyAt(dir, '2026-10-01T13:00:00Z');

  rmSync(path.join(dir, 'exceptions/EXC-0007.yaml'));
  sha.exc7removed = commit(dir, 'Remove expired EXC-0007', '2026-10-02T09:00:00Z');
  sha.exc8 = addException(
    dir,
    'EXC-0008 ravi.patel looker-users ethan.cole 2026-10-05 2026-11-01',
    '2026-10-05T14:00:00Z',
  );

  const liam = readRepoFile(dir, 'people/liam.walsh.yaml');
  writeRepoFile(
    dir,
    'people/liam.walsh.yaml',
    liam.replace(/^( {2}start: .*\n)/m, '$1  end: 2026-10-15T17:00:00-04:00\n'),
  );
  sha.liam = commit(dir, 'Leaver: Liam Walsh leaves 2026-10-15 17:00', '2026-10-10T15:00:00Z');
  writeRepoFile(dir, 'people/kevin.obrien.yaml', kevin);
  sha.kevin = commit(dir, 'Leaver: Kevin O’Brien leaves 2026-10-30 17:00', '2026-10-20T15:00:00Z');

  // Manual work of the first (late) leaver run, as `jml github work-issues` would link it.
  const open = await h.client.octokit.rest.issues.create({
    owner: OWNER,
    repo: REPO,
    title: 'Remove NetSuite access: Liam Walsh',
  });
  const closed = await h.client.octokit.rest.issues.create({
    owner: OWNER,
    repo: REPO,
    title: 'Offboarding steps no API can do: Liam Walsh',
  });
  await h.client.octokit.rest.issues.update({
    owner: OWNER,
    repo: REPO,
    issue_number: closed.data.number,
    state: 'closed',
  });
  const breachRecord = writeBreachRecord(dir, sha.kevin, [
    { person: 'liam.walsh', app: 'netsuite', url: open.data.html_url },
    { person: 'liam.walsh', app: 'offboarding', url: closed.data.html_url },
  ]);
  await applyAt(dir, '2026-10-30T21:05:00Z');

  // Afterwards an administrator turns Kevin's Okta account back on: the pack must find it.
  editDirectory(dir, 'okta', (d) => {
    d.users['kevin.obrien@example.com']!.enabled = true;
  });

  // GitHub holds every commit pushed to main; each but the import came from a merged pull
  // request with approvals.
  const log = git(dir, ['log', '--reverse', '--format=%H %cI %s']).split('\n');
  for (const line of log) {
    const [commitSha, date, ...subject] = line.split(' ');
    h.fake.addCommit(OWNER, REPO, {
      sha: commitSha!,
      date: new Date(date!).toISOString(),
      message: subject.join(' '),
      author: 'ljensen',
    });
  }
  const pr: Record<string, number> = {};
  const approvals: Record<string, [string, string][]> = {
    policy: [['emcbride-sec', '2026-07-01T14:00:00Z']],
    exc7: [['ethancole', '2026-08-20T13:30:00Z']],
    joiner: [
      ['tnovak', '2026-08-25T15:00:00Z'],
      ['mpark-hr', '2026-08-25T15:30:00Z'],
    ],
    exc6: [['cmendez', '2026-09-01T13:00:00Z']],
    mover: [['ethancole', '2026-09-20T14:00:00Z']],
    exc7removed: [['emcbride-sec', '2026-10-02T08:30:00Z']],
    exc8: [['ethancole', '2026-10-05T13:00:00Z']],
    liam: [['cmendez', '2026-10-10T14:00:00Z']],
    kevin: [['tnovak', '2026-10-20T14:00:00Z']],
  };
  let n = 1;
  for (const [name, reviews] of Object.entries(approvals)) {
    const head = `${n}`.repeat(40).slice(0, 40);
    const mergedAt = new Date(Date.parse(reviews.at(-1)![1]) + 20 * 60_000).toISOString();
    const pull = h.fake.addPullRequest({
      number: 100 + n,
      author: 'ljensen',
      title: name,
      baseSha: sha.import!,
      headSha: head,
      mergeCommitSha: sha[name]!,
      mergedAt,
      createdAt: '2026-06-01T00:00:00Z',
      // Noah's file came from HR: the pull request jml hr sync opened carries the record.
      ...(name === 'joiner'
        ? {
            body: `<!-- jml:files -->\n<!-- jml:hr key=${'a'.repeat(64)} record=bamboohr:BHR-1051 -->\n**Joiner** of Noah Fischer`,
          }
        : {}),
      reviews: [
        // A review that asked for changes is not an approval.
        ...(name === 'joiner'
          ? [
              {
                login: 'emcbride-sec',
                state: 'CHANGES_REQUESTED' as const,
                submittedAt: '2026-08-25T14:00:00Z',
              },
              // An approval of an earlier push is stale: it did not approve what merged.
              {
                login: 'saraholm',
                state: 'APPROVED' as const,
                submittedAt: '2026-08-25T14:30:00Z',
                commitId: 'f'.repeat(40),
              },
            ]
          : []),
        ...reviews.map(([login, submittedAt]) => ({
          login,
          state: 'APPROVED' as const,
          submittedAt,
          commitId: head,
        })),
      ],
    });
    pr[name] = pull.number;
    n++;
  }
  return { dir, sha, pr, breachRecord, issues: { open: open.data.html_url, closed: closed.data.html_url } };
}

/**
 * The record of a leaver run that confirmed Liam's disable 90 minutes after his end instant (the
 * SLA is 60): its `leavers` entry is computed by the engine's own leaverTimings.
 */
function writeBreachRecord(dir: string, commitSha: string, workIssues: ApplyRecord['workIssues']): string {
  const at = '2026-10-15T22:30:00.000Z';
  const event = { kind: 'leaver' as const, date: '2026-10-15T21:00:00.000Z' };
  const changes: ChangeResult[] = (['disableUser', 'revokeSessions'] as const).map((action) => ({
    id: `local/liam.walsh@example.com/${action}`,
    action,
    provider: 'local',
    person: 'liam.walsh',
    login: 'liam.walsh@example.com',
    event,
    startedAt: at,
    finishedAt: at,
    status: 'applied',
  }));
  const policy = { sla: { leaverMinutes: 60, highRiskLeaverMinutes: 15 } } as Policy;
  const record: ApplyRecord = {
    schema: 'jml-apply-record/v1',
    startedAt: '2026-10-15T22:29:00.000Z',
    finishedAt: at,
    trigger: { actor: 'kofi.asante', command: 'jml apply --confirm', ci: false },
    commit: commitSha,
    at: '2026-10-15T22:29:00.000Z',
    planFingerprint: null,
    result: 'applied',
    guards: [],
    counts: { applied: 2, unchanged: 0, failed: 0, skipped: 0 },
    changes,
    workIssues,
    leavers: leaverTimings(changes, policy, Date.parse(at)),
  };
  const file = '2026-10-15T22-29-00-000Z-late-applied.json';
  writeFileSync(path.join(dir, '.jml/records', file), `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** A CSV's text. */
export function readPackFile(dir: string, name: string): string {
  return readFileSync(path.join(dir, name), 'utf8');
}
