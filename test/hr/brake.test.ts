/**
 * The HR brake (issue 13 item 6): a snapshot marking everyone terminated yesterday made
 * `jml hr sync` cut 48 of 50 people on every provider at once, because each overdue cut was its
 * own one-person apply and `safety.maxDisables` never saw more than one. Now one sync counts all
 * its cuts first; over `safety.maxDisables` or `safety.maxDisableShare` of the active workforce
 * it cuts nobody and asks the security team in one issue; only a current security member can
 * let a real mass departure through. A snapshot that lacks many workers is a finding too.
 *
 * The example organisation (50 people active on 2026-12-01), the embedded providers and the
 * GitHub fake, with time frozen at 2026-12-01T15:00Z.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skippingClock } from '../../src/apply/leaver-schedule.js';
import { GitHubClient } from '../../src/github/client.js';
import type { HrRecord } from '../../src/hr/snapshot.js';
import { editPolicyYaml } from '../../src/load/write-yaml.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import { cleanTempDirs, jml, jmlWithClock, repoFiles, writeRepoFile } from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { baseline, hrExample, NOW, newHire } from '../fixtures/hr/northwind.js';
import { DIRECTORIES, seedGitHub, writeSnapshot } from './helpers.js';

/** The day before the sync: a last day that ended at midnight, fifteen hours ago. */
const YESTERDAY = '2026-11-30';

let h: GitHubHarness;
let dir: string;
githubForEachTest((x) => {
  h = x;
});
beforeEach(async () => {
  dir = hrExample();
  seedGitHub(h, dir);
  // Everyone's accounts exist and are enabled, so that a cut would show.
  const r = await jml(dir, 'apply', '--confirm', '--at', '2026-12-01T14:00:00Z', '--allow-mass-disable');
  expect(r.code, r.err).toBe(0);
});
afterAll(cleanTempDirs);

// --- the actor GitHub vouches for, as the workflow's environment gives it ------------------------
const ACTOR_ENV = ['GITHUB_ACTIONS', 'GITHUB_ACTOR', 'GITHUB_TRIGGERING_ACTOR'] as const;
let savedEnv: Record<string, string | undefined> = {};
beforeEach(() => {
  savedEnv = Object.fromEntries(ACTOR_ENV.map((k) => [k, process.env[k]]));
  for (const k of ACTOR_ENV) delete process.env[k];
});
afterEach(() => {
  for (const k of ACTOR_ENV)
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
});
/** As in a workflow run GitHub started for `login` (GITHUB_ACTOR and GITHUB_TRIGGERING_ACTOR). */
function actingAs(login: string): void {
  Object.assign(process.env, { GITHUB_ACTIONS: 'true', GITHUB_ACTOR: login, GITHUB_TRIGGERING_ACTOR: login });
}

// --- the snapshot and what the run left behind ---------------------------------------------------
const terminatedYesterday =
  (...ids: string[]) =>
  (rs: HrRecord[]) =>
    rs.map((r) =>
      ids.length === 0 || ids.includes(r.sourceId)
        ? { ...r, status: 'terminated' as const, lastDayOfWork: YESTERDAY, endInstant: null }
        : r,
    );

const snapshot = (...edits: ((rs: HrRecord[]) => HrRecord[])[]) => writeSnapshot(dir, ...edits);
const sync = (file: string, ...args: string[]) =>
  jmlWithClock(skippingClock(NOW), dir, 'hr', 'sync', '--snapshot', file, '--format', 'json', ...args);

function setPolicy(...edits: [string[], unknown][]): void {
  const file = path.join(dir, 'policy/jml.yaml');
  writeFileSync(file, editPolicyYaml(readFileSync(file, 'utf8'), edits));
}

/** Accounts disabled on any provider (the apply before each test enabled everyone's). */
function disabledAccounts(): string[] {
  return DIRECTORIES.flatMap((rel) => {
    const data = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')) as DirectoryFile;
    return Object.entries(data.users)
      .filter(([, u]) => !u.enabled)
      .map(([login]) => `${rel}:${login}`);
  });
}
/** Offboarding records: the holds and the cuts. */
function offboardRecords(): ApplyRecord[] {
  const records = path.join(dir, '.jml/records');
  return readdirSync(records)
    .filter((f) => f.includes('-offboard-'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(records, f), 'utf8')) as ApplyRecord);
}
const leaverPulls = () => h.fake.pullsOf(OWNER, REPO).filter((p) => p.headRef.startsWith('jml/hr/leaver/'));
const brakeIssues = () => h.fake.issuesOf(OWNER, REPO).filter((i) => i.labels.includes('hr-brake'));

interface BrakeJson {
  held: boolean;
  allowedBy?: string;
  activeWorkforce: number;
  cuts: { person: string; record: { sourceId: string }; endInstant: string; why: string }[];
  limits: { maxDisables: number; maxDisableShare: number; shareLimit: number };
  over: string[];
  heldBack: { person: string }[];
  missing: { source: string; expected: number; missing: string[]; share: number }[];
  issue?: { number: number; action: string };
}
const brakeOf = (out: string) => (JSON.parse(out) as { brake: BrakeJson }).brake;

describe('the HR brake: one sync counts all its overdue cuts before the first', () => {
  it('a snapshot marking everyone terminated yesterday cuts nobody', async () => {
    const file = snapshot(terminatedYesterday());
    const r = await sync(file);
    expect(r.code, r.err).toBe(4);
    expect(disabledAccounts()).toEqual([]);
    expect(offboardRecords()).toEqual([]);
    expect(leaverPulls()).toEqual([]);
    expect(h.fake.pullsOf(OWNER, REPO)).toEqual([]);

    const brake = brakeOf(r.out);
    expect(brake).toMatchObject({
      held: true,
      activeWorkforce: 50,
      limits: { maxDisables: 5, maxDisableShare: 0.1, shareLimit: 5 },
      over: ['safety.maxDisables', 'safety.maxDisableShare'],
    });
    // Everyone active, security and IT included; Isabel (not started) is a problem of her own.
    expect(brake.cuts).toHaveLength(50);
    expect(brake.cuts.map((c) => c.person)).toEqual(expect.arrayContaining(['erin.mcbride', 'sara.holm']));
    expect(brake.heldBack).toHaveLength(50);
    expect(r.err).toContain('stopped by the HR brake');

    // Exactly one issue, for the security team, saying what and why.
    const issues = h.fake.issuesOf(OWNER, REPO);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(brake.issue).toMatchObject({ number: issue!.number, action: 'created' });
    expect(issue!.labels).toEqual(['jml', 'hr-brake']);
    expect(issue!.assignees).toEqual(['emcbride-sec', 'saraholm']);
    expect(issue!.title).toBe(
      'HR brake: jml hr sync from bamboohr needs the security team (50 overdue leavers held back, nobody cut)',
    );
    const body = issue!.body!;
    expect(body.startsWith('<!-- jml:hr-brake source=bamboohr -->')).toBe(true);
    expect(body).toContain('@emcbride-sec @saraholm');
    expect(body).toContain('| people cut off by one sync | `safety.maxDisables`: 5 | 50 (over) |');
    expect(body).toContain(
      '| share of the active workforce (50 people in people/) | `safety.maxDisableShare`: 10%, at most 5 | 100% (over) |',
    );
    expect(body).toContain(
      '| `priya.raman` | `bamboohr:BHR-1039` | 2026-12-01T00:00:00-05:00 | the end has passed |',
    );
    expect(body).toContain('Nobody was cut, no offboarding hold was written');
    expect(body).toContain('`allow-mass-disable`');

    // The next hourly run: the same issue, unchanged; still nobody cut.
    const again = await jmlWithClock(
      skippingClock(NOW + 3_600_000),
      dir,
      'hr',
      'sync',
      '--snapshot',
      file,
      '--format',
      'json',
    );
    expect(again.code, again.err).toBe(4);
    expect(brakeOf(again.out).issue).toMatchObject({ number: issue!.number, action: 'unchanged' });
    expect(h.fake.issuesOf(OWNER, REPO)).toHaveLength(1);
    expect(disabledAccounts()).toEqual([]);
    expect(offboardRecords()).toEqual([]);

    // HR changes its mind about one of them: the same issue is updated, never a second one.
    const changed = await sync(
      snapshot(terminatedYesterday(), (rs) =>
        rs.map((x) =>
          x.sourceId === 'BHR-1039' ? { ...x, status: 'active' as const, lastDayOfWork: null } : x,
        ),
      ),
    );
    expect(changed.code, changed.err).toBe(4);
    expect(brakeOf(changed.out).issue).toMatchObject({ number: issue!.number, action: 'updated' });
    expect(h.fake.issuesOf(OWNER, REPO)).toHaveLength(1);
    expect(h.fake.issuesOf(OWNER, REPO)[0]!.body).not.toContain('`priya.raman`');
  });

  it('over the share of the workforce while under maxDisables, it cuts nobody either', async () => {
    // 5% of 50 active people: at most 2 cut by one sync; 3 is under maxDisables (5), over the share.
    setPolicy([['safety', 'maxDisableShare'], 0.05]);
    const file = snapshot(terminatedYesterday('BHR-1039', 'BHR-1027', 'BHR-1024'), (rs) => [
      ...rs.map((x) => (x.sourceId === 'BHR-1045' ? { ...x, lastDayOfWork: '2026-12-18' } : x)),
      newHire(),
    ]);
    const r = await sync(file);
    expect(r.code, r.err).toBe(4);
    const brake = brakeOf(r.out);
    expect(brake).toMatchObject({
      held: true,
      limits: { maxDisables: 5, maxDisableShare: 0.05, shareLimit: 2 },
      over: ['safety.maxDisableShare'],
    });
    expect(brake.cuts.map((c) => c.person)).toEqual(['chloe.dubois', 'priya.raman', 'ravi.patel']);
    expect(disabledAccounts()).toEqual([]);
    expect(offboardRecords()).toEqual([]);
    // The later leaver of the same suspect snapshot waits too; the joiner is proposed as usual.
    expect(brake.heldBack.map((e) => e.person)).toEqual([
      'chloe.dubois',
      'leo.martins',
      'priya.raman',
      'ravi.patel',
    ]);
    expect(h.fake.pullsOf(OWNER, REPO).map((p) => p.headRef)).toEqual(['jml/hr/joiner/BHR-2001/2026-12-07']);
    const [issue] = brakeIssues();
    expect(issue!.body).toContain('| people cut off by one sync | `safety.maxDisables`: 5 | 3 |');
    expect(issue!.body).toContain('`safety.maxDisableShare`: 5%, at most 2 | 6% (over) |');
  });

  it('under the limits the overdue cuts still happen, at the limit itself included', async () => {
    // Five of fifty: exactly maxDisables, exactly 10%.
    const five = ['BHR-1039', 'BHR-1027', 'BHR-1024', 'BHR-1045', 'BHR-1033'];
    const r = await sync(snapshot(terminatedYesterday(...five)));
    expect(r.code, r.err).toBe(0);
    expect(brakeOf(r.out)).toMatchObject({ held: false, over: [], heldBack: [] });
    expect(brakeOf(r.out).cuts).toHaveLength(5);
    const cut = offboardRecords().filter((x) => !x.offboard?.intent);
    expect(cut.map((x) => [x.offboard!.person, x.result]).sort()).toEqual([
      ['chloe.dubois', 'applied'],
      ['fatima.haddad', 'applied'],
      ['leo.martins', 'applied'],
      ['priya.raman', 'applied'],
      ['ravi.patel', 'applied'],
    ]);
    expect(leaverPulls()).toHaveLength(5);
    expect(h.fake.issuesOf(OWNER, REPO)).toEqual([]);
  });

  it('a cut already made (a standing hold) is not counted again', async () => {
    // Five cut by an earlier run, a sixth terminated since: one new cut, well under the limits.
    const five = ['BHR-1039', 'BHR-1027', 'BHR-1024', 'BHR-1045', 'BHR-1033'];
    expect((await sync(snapshot(terminatedYesterday(...five)))).code).toBe(0);
    const r = await sync(snapshot(terminatedYesterday(...five, 'BHR-1035')));
    expect(r.code, r.err).toBe(0);
    expect(brakeOf(r.out).cuts.map((c) => c.person)).toEqual(['mateo.silva']);
    expect(h.fake.issuesOf(OWNER, REPO)).toEqual([]);
  });

  it('an issue someone else planted with the marker is not the one it writes to', async () => {
    // Anyone may open an issue, but only collaborators can label one: the brake's issue is found
    // by its marker AND its hr-brake label, so a look-alike from outside is left alone.
    h.fake.addToken('ghp_mallory', 'mallory');
    const mallory = new GitHubClient({ token: 'ghp_mallory', baseUrl: h.fake.url });
    const planted = await mallory.octokit.rest.issues.create({
      owner: OWNER,
      repo: REPO,
      title: 'HR brake: false alarm, ignore',
      body: '<!-- jml:hr-brake source=bamboohr -->\nNothing to see.',
    });
    const r = await sync(snapshot(terminatedYesterday()));
    expect(r.code, r.err).toBe(4);
    const [issue] = brakeIssues();
    expect(issue!.number).not.toBe(planted.data.number);
    expect(issue!.user).toBe('github-actions[bot]');
    expect(h.fake.repo(OWNER, REPO).issues.get(planted.data.number)!.body).toContain('Nothing to see.');
  });

  it('a dry run shows the brake and exits 4, and changes nothing', async () => {
    const before = repoFiles(dir);
    const r = await sync(snapshot(terminatedYesterday()), '--dry-run');
    expect(r.code).toBe(4);
    expect(brakeOf(r.out)).toMatchObject({
      held: true,
      over: ['safety.maxDisables', 'safety.maxDisableShare'],
    });
    expect(repoFiles(dir)).toEqual(before);
    expect(h.fake.requests).toEqual([]);
  });
});

describe('--allow-mass-disable: a real mass departure, and only security may let it through', () => {
  // Six overdue leavers: over maxDisables (5) and over 10% of 50.
  const six = ['BHR-1039', 'BHR-1027', 'BHR-1024', 'BHR-1045', 'BHR-1033', 'BHR-1035'];

  it('by a member of the security team, the cuts go through and the security issue says who let them', async () => {
    const file = snapshot(terminatedYesterday(...six));
    const stopped = await sync(file);
    expect(stopped.code, stopped.err).toBe(4);
    expect(disabledAccounts()).toEqual([]);
    const [issue] = brakeIssues();

    actingAs('emcbride-sec');
    const r = await sync(file, '--allow-mass-disable');
    expect(r.code, r.err).toBe(0);
    expect(brakeOf(r.out)).toMatchObject({ held: false, allowedBy: 'emcbride-sec', heldBack: [] });
    const cuts = offboardRecords().filter((x) => !x.offboard?.intent);
    expect(cuts).toHaveLength(6);
    for (const c of cuts) {
      expect(c.result).toBe('applied');
      expect(c.offboard!.requestedBy).toBe('jml hr sync (--allow-mass-disable by emcbride-sec)');
    }
    expect(disabledAccounts().some((a) => a.endsWith(':priya.raman@example.com'))).toBe(true);
    expect(leaverPulls()).toHaveLength(6);
    // Recorded where security was asked; still one issue.
    expect(brakeIssues()).toHaveLength(1);
    const comments = h.fake.commentsOn(OWNER, REPO, issue!.number);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toMatch(
      /^Let through by @emcbride-sec with `--allow-mass-disable`: 6 overdue leavers cut/,
    );

    // The next hourly run, without the flag: those cuts are made, nothing is over any more.
    delete process.env.GITHUB_ACTIONS;
    const next = await jmlWithClock(
      skippingClock(NOW + 3_600_000),
      dir,
      'hr',
      'sync',
      '--snapshot',
      file,
      '--format',
      'json',
    );
    expect(next.code, next.err).toBe(0);
    expect(brakeOf(next.out).cuts).toEqual([]);
  });

  const refusals: [string, () => void, string][] = [
    [
      'a manager, vouched for by GitHub',
      () => actingAs('tnovak'),
      'tnovak (tomas.novak) is not on the security team (policy/jml.yaml teams.security): only the security team may use --allow-mass-disable.',
    ],
    [
      'a login nobody in people/ has',
      () => actingAs('mallory'),
      'mallory is not the GitHub login of anyone in people/: only the security team may use --allow-mass-disable.',
    ],
    [
      'a security member who has left',
      () => {
        writeRepoFile(
          dir,
          'people/sara.holm.yaml',
          readFileSync(path.join(dir, 'people/sara.holm.yaml'), 'utf8').replace(
            /^ {2}start: (.*)$/m,
            '  start: $1\n  end: 2026-11-20T17:00:00+01:00',
          ),
        );
        actingAs('saraholm');
      },
      'saraholm (sara.holm) is not employed now',
    ],
    [
      'a security member claimed with --operator while GitHub vouches for someone else',
      () => actingAs('tnovak'),
      'tnovak (tomas.novak) is not on the security team',
    ],
    [
      'nobody said who, outside GitHub Actions',
      () => undefined,
      'who is running this? Outside GitHub Actions give --operator',
    ],
  ];
  it.each(refusals)('by anyone else it is refused before anything runs: %s', async (name, setup, message) => {
    setup();
    const extra = name.includes('--operator') ? ['--operator', 'emcbride-sec'] : [];
    const r = await sync(snapshot(terminatedYesterday(...six)), '--allow-mass-disable', ...extra);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`jml hr sync refused: ${message}`);
    expect(r.err).toContain('Nothing was changed.');
    expect(disabledAccounts()).toEqual([]);
    expect(offboardRecords()).toEqual([]);
    expect(h.fake.requests).toEqual([]);
  });

  it('a security member held by an emergency offboarding cannot release the brake', async () => {
    actingAs('saraholm');
    const held = await jmlWithClock(
      skippingClock(NOW - 60_000),
      dir,
      'offboard',
      'sara.holm',
      '--now',
      '--hold-only',
      '--reason',
      'SEC-77',
    );
    // Sara cannot offboard herself: Erin records the hold.
    expect(held.code).toBe(1);
    actingAs('emcbride-sec');
    const hold = await jmlWithClock(
      skippingClock(NOW - 60_000),
      dir,
      'offboard',
      'sara.holm',
      '--now',
      '--hold-only',
      '--reason',
      'SEC-77',
    );
    expect(hold.code, hold.err).toBe(0);
    actingAs('saraholm');
    const r = await sync(snapshot(terminatedYesterday(...six)), '--allow-mass-disable');
    expect(r.code).toBe(1);
    expect(r.err).toContain('saraholm (sara.holm) is not employed now');
  });
});

describe('a snapshot that lacks many of the workers people/ holds for its source', () => {
  it('is a finding for security, not silence: no leaver from the absence, one issue, exit 4', async () => {
    // Twelve of the fifty active people are not in the snapshot (24%, over hr.maxMissingShare 10%).
    const gone = new Set(
      baseline()
        .slice(0, 12)
        .map((r) => r.sourceId),
    );
    const file = snapshot((rs) => rs.filter((x) => !gone.has(x.sourceId)));
    const r = await sync(file);
    expect(r.code, r.err).toBe(4);
    const brake = brakeOf(r.out);
    expect(brake.held).toBe(false);
    expect(brake.missing).toHaveLength(1);
    expect(brake.missing[0]).toMatchObject({
      source: 'bamboohr',
      idPrefix: 'BHR-',
      expected: 50,
      limit: 0.1,
    });
    const missing = brake.missing[0]!.missing;
    expect(missing).toHaveLength(12);
    expect(brake.missing[0]!.share).toBe(0.24);
    expect((JSON.parse(r.out) as { untouched: string[] }).untouched).toEqual(expect.arrayContaining(missing));
    // Nobody cut, no pull request at all: an absence is never a leaver.
    expect(disabledAccounts()).toEqual([]);
    expect(offboardRecords()).toEqual([]);
    expect(h.fake.pullsOf(OWNER, REPO)).toEqual([]);
    const issues = brakeIssues();
    expect(issues).toHaveLength(1);
    expect(issues[0]!.title).toContain(`the bamboohr snapshot lacks ${missing.length} of 50 active workers`);
    expect(issues[0]!.body).toContain('over `hr.maxMissingShare`: 10%');
    expect(issues[0]!.body).toContain('jml never turns an absence into a leaver');
    expect(issues[0]!.body).toContain(`\`${missing[0]}\``);
  });

  it('an empty snapshot lacks everyone', async () => {
    writeRepoFile(dir, 'hr/empty.jsonl', '');
    const r = await sync(path.join(dir, 'hr/empty.jsonl'));
    expect(r.code, r.err).toBe(4);
    expect(brakeOf(r.out).missing[0]).toMatchObject({ source: 'bamboohr', expected: 50 });
    expect(brakeOf(r.out).missing[0]!.missing).toHaveLength(50);
  });

  it('a few missing, within hr.maxMissingShare, stay untouched and quiet', async () => {
    const gone = new Set(['BHR-1039', 'BHR-1027']);
    const r = await sync(snapshot((rs) => rs.filter((x) => !gone.has(x.sourceId))));
    expect(r.code, r.err).toBe(0);
    expect(brakeOf(r.out).missing).toEqual([]);
    expect((JSON.parse(r.out) as { untouched: string[] }).untouched).toEqual(['priya.raman', 'ravi.patel']);
    expect(h.fake.issuesOf(OWNER, REPO)).toEqual([]);
  });
});
