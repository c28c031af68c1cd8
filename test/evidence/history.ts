/**
 * A policy repository with a history, made for the evidence tests: the example organisation in
 * a fresh git repository whose commits carry fixed dates, apply records written by really running
 * `jml apply --confirm --at` on the embedded providers with the clock set to each run's instant,
 * records written or completed by hand where the engine's writer is not the point, and the GitHub
 * fake seeded with the pull request of each commit (merge commit, merge time, reviews) and two
 * manual-work issues. Every case an auditor's sample must close on is in it:
 *
 * - the first import of an existing organisation (50 people, an onboarding, not joiners), with
 *   the first policy version, which no pull request approved;
 * - a policy change whose approval the apply on merge captured in its record;
 * - a joiner from HR, a mover, two leavers (one past the SLA), an exception that ended for a
 *   person who once moved (the plan calls it a mover), exceptions added and removed;
 * - a self-approved pull request (GitHub only), a stale-only approval and a wrong-person approval
 *   (evidence captured at merge in the records), a direct push without a pull request;
 * - a termination merged 4 days after its end instant (a request after the end instant);
 * - a replay (`simulated` in its record) and an older replay recorded on the wall clock, whose
 *   lag would be negative.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { leaverTimings } from '../../src/apply/leaver-timing.js';
import type { Policy } from '../../src/model/schema.js';
import {
  type ApplyRecord,
  applyRecord,
  type ChangeResult,
  type MergeEvidence,
} from '../../src/records/schema.js';
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
  /** Record file names by what they hold (`import`, `yusuf`, `replay`, `wallReplay`, `policy`, ...). */
  records: Record<string, string>;
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
  const id = writeException(dir, fields);
  const [, person, entitlement] = fields.split(' ');
  return commit(dir, `${id}: ${entitlement} for ${person}`, date);
}

/** Writes exceptions/<id>.yaml from `id person entitlement approver from expires`; returns the id. */
function writeException(dir: string, fields: string): string {
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
  return id;
}

/**
 * Runs `jml apply --confirm --at T` with the clock at T (Date only; timers stay real). A run that
 * confirms a leaver past the SLA exits 3 (it still applies and writes its record).
 */
async function applyAt(dir: string, at: string): Promise<string> {
  const records = path.join(dir, '.jml/records');
  const before = new Set(existsSync(records) ? readdirSync(records) : []);
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(at));
  try {
    const r = await jml(dir, 'apply', '--confirm', '--at', at);
    if (r.code !== 0 && !(r.code === 3 && /SLA BREACH/.test(r.err)))
      throw new Error(`jml apply at ${at} exited ${r.code}: ${r.err}${r.out}`);
  } finally {
    vi.useRealTimers();
  }
  const written = readdirSync(records).filter((f) => !before.has(f));
  if (written.length !== 1) throw new Error(`jml apply at ${at} wrote ${written.length} records`);
  return written[0]!;
}

/** Adds what `jml github merge-evidence` captures at merge to a record (H1's writer, by hand). */
function addApproval(dir: string, file: string, approval: MergeEvidence): void {
  const p = path.join(dir, '.jml/records', file);
  const record = applyRecord.parse(JSON.parse(readFileSync(p, 'utf8')));
  writeFileSync(p, `${JSON.stringify({ ...record, approval }, null, 2)}\n`);
}

/** Writes a hand-made record into .jml/records after checking it against the schema. */
function writeRecord(dir: string, file: string, record: ApplyRecord): string {
  writeFileSync(
    path.join(dir, '.jml/records', file),
    `${JSON.stringify(applyRecord.parse(record), null, 2)}\n`,
  );
  return file;
}

const review = (
  login: string,
  person: string | null,
  commitId: string,
  submittedAt: string,
  counts: boolean,
  why: string,
): MergeEvidence['reviews'][number] => ({
  login,
  state: 'APPROVED',
  commitId,
  submittedAt,
  person,
  counts,
  why,
});

/** A mover's manager-approval requirement as the approvals verdict writes it. */
const managerRequirement = (
  person: string,
  manager: string,
  login: string,
  satisfiedBy: string | null,
  why: string,
) => ({
  rule: 'manager-approval',
  file: `people/${person}.yaml`,
  line: 14,
  change: 'mover: roles changed',
  description: `needs approval from the manager of record ${manager} (GitHub @${login}) as of the base branch`,
  status: satisfiedBy ? ('met' as const) : ('missing' as const),
  satisfiedBy,
  why,
});

export async function makeHistory(h: GitHubHarness): Promise<History> {
  const dir = copyExample('jml-evidence-');
  rmSync(path.join(dir, '.github'), { recursive: true, force: true });
  const sha: Record<string, string> = {};
  const records: Record<string, string> = {};
  git(dir, ['init', '-q', '-b', 'main']);

  // The organisation as imported: noah.fischer not hired yet, kevin.obrien not leaving yet, and
  // an exception of jonah.weiss (who moved to SRE in 2022) that expires in August.
  const noah = readRepoFile(dir, 'people/noah.fischer.yaml');
  const kevin = readRepoFile(dir, 'people/kevin.obrien.yaml');
  rmSync(path.join(dir, 'people/noah.fischer.yaml'));
  writeRepoFile(dir, 'people/kevin.obrien.yaml', kevin.replace(/^ {2}end: .*\n/m, ''));
  writeException(dir, 'EXC-0009 jonah.weiss drive-sales grace.lin 2026-05-20 2026-08-15');
  sha.import = commit(dir, 'Import the organisation', '2026-06-01T12:00:00Z');
  records.import = await applyAt(dir, '2026-06-02T13:00:00Z');

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
  rmSync(path.join(dir, 'exceptions/EXC-0009.yaml'));
  sha.exc9removed = commit(dir, 'Remove expired EXC-0009', '2026-08-21T09:00:00Z');

  writeRepoFile(dir, 'people/noah.fischer.yaml', noah);
  sha.joiner = commit(dir, 'Joiner: Noah Fischer starts 2026-09-08', '2026-08-25T16:00:00Z');

  sha.exc6 = addException(
    dir,
    'EXC-0006 amelia.wright looker-users carlos.mendez 2026-09-01 2026-11-20',
    '2026-09-01T14:00:00Z',
  );
  // Noah joins; jonah.weiss loses drive-sales, which only EXC-0009 granted: the plan calls it
  // a mover (his last move was in 2022), the pack an exception that ended.
  records.joiner = await applyAt(dir, '2026-09-08T13:05:00Z');

  const arjun = readRepoFile(dir, 'people/arjun.mehta.yaml');
  writeRepoFile(
    dir,
    'people/arjun.mehta.yaml',
    `${arjun.trimEnd()}\n  - { role: customer-success, from: 2026-10-01 }\n`,
  );
  sha.mover = commit(dir, 'Mover: Arjun Mehta to Customer Success on 2026-10-01', '2026-09-20T15:00:00Z');
  records.mover = await applyAt(dir, '2026-10-01T13:00:00Z');

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
    { person: 'liam.walsh', app: 'netsuite', url: open.data.html_url, openedAt: '2026-10-15T22:31:00.000Z' },
    {
      person: 'liam.walsh',
      app: 'offboarding',
      url: closed.data.html_url,
      openedAt: '2026-10-15T22:31:00.000Z',
    },
  ]);
  records.kevin = await applyAt(dir, '2026-10-30T21:05:00Z');

  // November: four movers, each merged and applied on its own, and a late termination.
  const move = (person: string, role: string, from: string) => {
    const text = readRepoFile(dir, `people/${person}.yaml`);
    writeRepoFile(dir, `people/${person}.yaml`, `${text.trimEnd()}\n  - { role: ${role}, from: ${from} }\n`);
  };
  move('hana.sato', 'account-executive', '2026-11-02');
  sha.hana = commit(dir, 'Mover: Hana Sato to Account Executive on 2026-11-02', '2026-11-01T15:00:00Z');
  records.hana = await applyAt(dir, '2026-11-02T14:00:00Z');
  move('yusuf.demir', 'account-executive', '2026-11-03');
  sha.yusuf = commit(dir, 'Mover: Yusuf Demir to Account Executive on 2026-11-03', '2026-11-02T16:00:00Z');
  records.yusuf = await applyAt(dir, '2026-11-03T15:05:00Z');
  move('tara.quinn', 'account-executive', '2026-11-04');
  sha.tara = commit(dir, 'Mover: Tara Quinn to Account Executive on 2026-11-04', '2026-11-03T16:00:00Z');
  records.tara = await applyAt(dir, '2026-11-04T15:05:00Z');
  move('owen.barrett', 'customer-success', '2026-11-05');
  sha.owen = commit(dir, 'Mover: Owen Barrett to Customer Success (pushed to main)', '2026-11-04T16:00:00Z');
  records.owen = await applyAt(dir, '2026-11-05T15:05:00Z');
  // Jack left on 2 November at 17:00 New York time; HR's pull request merged 4 days later.
  const jack = readRepoFile(dir, 'people/jack.sullivan.yaml');
  writeRepoFile(
    dir,
    'people/jack.sullivan.yaml',
    jack.replace(/^( {2}start: .*\n)/m, '$1  end: 2026-11-02T17:00:00-05:00\n'),
  );
  sha.jack = commit(dir, 'Leaver: Jack Sullivan left 2026-11-02 17:00', '2026-11-06T22:00:00Z');
  records.jack = await applyAt(dir, '2026-11-06T22:10:00Z');

  // What jml github ticket-status saw of Liam's tickets: the NetSuite one still open.
  records.tickets = writeRecord(dir, '2026-11-09T12-00-00-000Z-none-no-changes.json', {
    schema: 'jml-apply-record/v1',
    startedAt: '2026-11-09T12:00:00.000Z',
    finishedAt: '2026-11-09T12:00:01.000Z',
    trigger: { actor: 'github-actions', command: 'jml github ticket-status', ci: true },
    commit: sha.jack,
    at: null,
    planFingerprint: null,
    result: 'no-changes',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    tickets: [
      {
        person: 'liam.walsh',
        app: 'netsuite',
        url: open.data.html_url,
        operation: 'revoke',
        state: 'open',
        openedAt: '2026-10-15T22:31:00.000Z',
        closedAt: null,
        closedBy: null,
        observedAt: '2026-11-09T12:00:00.000Z',
      },
      {
        person: 'liam.walsh',
        app: 'offboarding',
        url: closed.data.html_url,
        operation: 'revoke',
        state: 'closed',
        openedAt: '2026-10-15T22:31:00.000Z',
        closedAt: '2026-10-16T14:00:00.000Z',
        closedBy: 'kasante',
        observedAt: '2026-11-09T12:00:00.000Z',
      },
    ],
  });

  // Afterwards an administrator turns Kevin's Okta account back on: the pack must find it.
  editDirectory(dir, 'okta', (d) => {
    d.users['kevin.obrien@example.com']!.enabled = true;
  });

  // Replays of December's leavers on today's state: one marked simulated, one older replay
  // recorded on the wall clock (before `simulated` existed), whose lag would be negative.
  records.replay = writeReplayRecord(dir, sha.jack, 'ben.carter', '2026-11-07T10:00:00.000Z', {
    at: '2026-12-11T21:05:00.000Z',
    end: '2026-12-11T21:00:00.000Z',
    highRisk: true,
  });
  records.wallReplay = writeReplayRecord(dir, sha.jack, 'emma.schultz', '2026-11-08T10:00:00.000Z', {
    at: '2026-12-18T22:05:00.000Z',
    end: '2026-12-18T22:00:00.000Z',
    highRisk: false,
    wallClock: true,
  });

  // GitHub holds every commit pushed to main; each but the import and Owen's move came from a
  // merged pull request.
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
  type Seeded = {
    login: string;
    state: 'APPROVED' | 'CHANGES_REQUESTED';
    submittedAt: string;
    commitId?: string;
  };
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
    exc9removed: [['emcbride-sec', '2026-08-21T08:30:00Z']],
    // Carlos opened Hana's move and approved it himself: the only approval is the author's.
    hana: [['cmendez', '2026-11-01T14:00:00Z']],
    // Carlos approved Yusuf's move, then the branch was pushed again: his approval is stale.
    yusuf: [['cmendez', '2026-11-02T15:00:00Z']],
    // Tomás approved Tara's move: he is not her manager.
    tara: [['tnovak', '2026-11-03T15:00:00Z']],
    jack: [['rmoreno', '2026-11-06T21:20:00Z']],
  };
  const authors: Record<string, string> = { hana: 'cmendez' };
  const staleOn: Record<string, string> = { yusuf: 'd'.repeat(40) };
  const heads: Record<string, string> = {};
  let n = 1;
  for (const [name, reviews] of Object.entries(approvals)) {
    const head = n.toString(16).padStart(2, '0').repeat(20);
    heads[name] = head;
    const mergedAt = new Date(Date.parse(reviews.at(-1)![1]) + 20 * 60_000).toISOString();
    const seeded: Seeded[] = [
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
        commitId: staleOn[name] ?? head,
      })),
    ];
    const pull = h.fake.addPullRequest({
      number: 100 + n,
      author: authors[name] ?? 'ljensen',
      title: name,
      baseSha: sha.import!,
      headSha: head,
      mergeCommitSha: sha[name]!,
      mergedAt,
      mergedBy: 'ljensen',
      createdAt: '2026-06-01T00:00:00Z',
      // Noah's file came from HR: the pull request jml hr sync opened carries the record.
      ...(name === 'joiner'
        ? {
            body: `<!-- jml:files -->\n<!-- jml:hr key=${'a'.repeat(64)} record=bamboohr:BHR-1051 -->\n**Joiner** of Noah Fischer`,
          }
        : {}),
      reviews: seeded,
    });
    pr[name] = pull.number;
    n++;
  }

  // The approval evidence the apply on merge captured (jml github merge-evidence).
  const url = (name: string) => `https://github.com/${OWNER}/${REPO}/pull/${pr[name]}`;
  const pullOf = (name: string, title: string, author: string, headSha: string, mergedAt: string) => ({
    number: pr[name]!,
    url: url(name),
    title,
    author,
    headSha,
    createdAt: '2026-06-01T00:00:00Z',
    mergedAt,
    mergedBy: 'ljensen',
  });
  const headOf = (name: string) => heads[name]!;
  addApproval(dir, records.yusuf, {
    commit: sha.yusuf,
    commits: [sha.yusuf],
    baseCommit: sha.hana,
    capturedAt: '2026-11-03T15:06:00Z',
    pullRequest: pullOf('yusuf', 'Mover: Yusuf Demir', 'ljensen', headOf('yusuf'), '2026-11-02T15:20:00Z'),
    reviews: [
      review(
        'cmendez',
        'carlos.mendez',
        'd'.repeat(40),
        '2026-11-02T15:00:00Z',
        false,
        `@cmendez approved ddddddd, before the latest push (${headOf('yusuf').slice(0, 7)}): the approval is stale`,
      ),
    ],
    managers: [{ person: 'yusuf.demir', manager: 'carlos.mendez', managerLogin: 'cmendez' }],
    verdict: {
      approved: false,
      requirements: [
        managerRequirement(
          'yusuf.demir',
          'carlos.mendez',
          'cmendez',
          null,
          'no approval of the head commit from @cmendez',
        ),
      ],
    },
  });
  addApproval(dir, records.tara, {
    commit: sha.tara,
    commits: [sha.tara],
    baseCommit: sha.yusuf,
    capturedAt: '2026-11-04T15:06:00Z',
    pullRequest: pullOf('tara', 'Mover: Tara Quinn', 'ljensen', headOf('tara'), '2026-11-03T15:20:00Z'),
    reviews: [
      review(
        'tnovak',
        'tomas.novak',
        headOf('tara'),
        '2026-11-03T15:00:00Z',
        true,
        `@tnovak (tomas.novak) approved the head commit ${headOf('tara').slice(0, 7)}`,
      ),
    ],
    managers: [{ person: 'tara.quinn', manager: 'carlos.mendez', managerLogin: 'cmendez' }],
    verdict: {
      approved: false,
      requirements: [
        managerRequirement(
          'tara.quinn',
          'carlos.mendez',
          'cmendez',
          null,
          '@tnovak approved; @cmendez did not',
        ),
      ],
    },
  });
  addApproval(dir, records.owen, {
    commit: sha.owen,
    commits: [sha.owen],
    baseCommit: sha.tara,
    capturedAt: '2026-11-05T15:06:00Z',
    pullRequest: null,
    noPullRequest: 'pushed to main by ljensen without a pull request',
    reviews: [],
    managers: [{ person: 'owen.barrett', manager: 'rachel.moreno', managerLogin: 'rmoreno' }],
    verdict: null,
    verdictError: 'no pull request to judge',
  });
  // The policy's merge: an apply on merge that had nothing to do, and kept the evidence.
  records.policy = writeRecord(dir, '2026-07-01T15-01-00-000Z-00000000-no-changes.json', {
    schema: 'jml-apply-record/v1',
    startedAt: '2026-07-01T15:01:00.000Z',
    finishedAt: '2026-07-01T15:01:02.000Z',
    trigger: { actor: 'github-actions', command: 'jml apply --confirm', ci: true },
    commit: sha.policy,
    at: '2026-07-01T15:01:00.000Z',
    planFingerprint: null,
    result: 'no-changes',
    guards: [],
    counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
    changes: [],
    approval: {
      commit: sha.policy,
      commits: [sha.policy],
      baseCommit: sha.import,
      capturedAt: '2026-07-01T15:01:01Z',
      pullRequest: pullOf(
        'policy',
        'Policy: state the leaver SLA',
        'ljensen',
        headOf('policy'),
        '2026-07-01T14:20:00Z',
      ),
      reviews: [
        review(
          'emcbride-sec',
          'erin.mcbride',
          headOf('policy'),
          '2026-07-01T14:00:00Z',
          true,
          `@emcbride-sec (erin.mcbride) approved the head commit ${headOf('policy').slice(0, 7)}`,
        ),
      ],
      managers: [],
      verdict: {
        approved: true,
        requirements: [
          {
            rule: 'security-team',
            file: 'policy/JML-POLICY.md',
            line: 1,
            change: 'policy changed',
            description: 'needs approval from the security team',
            status: 'met',
            satisfiedBy: 'emcbride-sec',
            why: '@emcbride-sec approved the head commit',
          },
        ],
      },
    },
  });
  return {
    dir,
    sha,
    pr,
    breachRecord,
    records,
    issues: { open: open.data.html_url, closed: closed.data.html_url },
  };
}

/**
 * A replay's record (`jml apply --confirm --at` on a later instant than the wall clock): the
 * leaver's disable and session revocation, confirmed 5 minutes after the end instant on the
 * replay's clock. With `wallClock`, written as jml did before records kept the simulated clock:
 * wall-clock stamps, so the lag comes out negative.
 */
function writeReplayRecord(
  dir: string,
  commitSha: string,
  person: string,
  wall: string,
  o: { at: string; end: string; highRisk: boolean; wallClock?: boolean },
): string {
  const offsetMs = Date.parse(o.at) - Date.parse(wall);
  const stamp = (simulated: string) =>
    o.wallClock ? new Date(Date.parse(simulated) - offsetMs).toISOString() : simulated;
  const event = { kind: 'leaver' as const, date: o.end, ...(o.highRisk ? { highRisk: true as const } : {}) };
  const changes: ChangeResult[] = (['disableUser', 'revokeSessions'] as const).map((action) => ({
    id: `local/${person}@example.com/${action}`,
    action,
    provider: 'local',
    person,
    login: `${person}@example.com`,
    event,
    startedAt: stamp(o.at),
    finishedAt: stamp(o.at),
    status: 'applied',
  }));
  const policy = { sla: { leaverMinutes: 60, highRiskLeaverMinutes: 15 } } as Policy;
  const finished = new Date(Date.parse(wall) + 2000).toISOString();
  const record: ApplyRecord = {
    schema: 'jml-apply-record/v1',
    startedAt: wall,
    finishedAt: finished,
    trigger: { actor: 'kofi.asante', command: `jml apply --confirm --at ${o.at}`, ci: false },
    commit: commitSha,
    at: o.at,
    planFingerprint: null,
    result: 'applied',
    guards: [],
    counts: { applied: 2, unchanged: 0, failed: 0, skipped: 0 },
    changes,
    leavers: leaverTimings(changes, policy, Date.parse(stamp(o.at))).map((t) =>
      // As jml wrote it then: the lag from the end instant to a wall-clock confirmation, negative.
      o.wallClock && t.confirmedAt
        ? {
            ...t,
            lagSeconds: (Date.parse(t.confirmedAt) - Date.parse(t.scheduledAt)) / 1000,
            withinSla: true,
          }
        : t,
    ),
    ...(o.wallClock
      ? {}
      : {
          simulated: {
            startedAt: o.at,
            finishedAt: new Date(Date.parse(o.at) + 2000).toISOString(),
            offsetMs,
          },
        }),
  };
  return writeRecord(
    dir,
    `${wall.replace(/[:.]/g, '-')}-replay${o.wallClock ? '-wall' : ''}-applied.json`,
    record,
  );
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
