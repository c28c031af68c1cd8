/**
 * `jml offboard`, end to end with frozen time, the embedded providers and the GitHub fake: a
 * security engineer cuts Emma Schultz off every provider at 15:00Z on 1 December, before any
 * pull request exists; then one pull request writes the termination into people/ for review
 * after the fact. Until it merges, the hold keeps the scheduled apply from giving access back.
 * Anyone outside the security team is refused and nothing changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { skippingClock } from '../../src/apply/leaver-schedule.js';
import type { DirectoryFile } from '../../src/providers/embedded/embedded-directory.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import {
  cleanTempDirs,
  copyExample,
  jml,
  jmlWithClock,
  readRepoFile,
  repoFiles,
  tickingClock,
  writeRepoFile,
} from '../engine/helpers.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';

const NOW = Date.parse('2026-12-01T15:00:00Z');
const DIRECTORIES = ['.jml/directory.json', '.jml/entra.json', '.jml/google.json', '.jml/okta.json'];
const EMMA = 'people/emma.schultz.yaml';

let h: GitHubHarness;
let dir: string;
const savedEnv = { actions: process.env.GITHUB_ACTIONS, actor: process.env.GITHUB_ACTOR };

githubForEachTest((x) => {
  h = x;
});

function emmaAccounts(): { file: string; enabled: boolean }[] {
  return DIRECTORIES.flatMap((rel) => {
    const data = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')) as DirectoryFile;
    const u = data.users['emma.schultz@example.com'];
    return u ? [{ file: rel, enabled: u.enabled }] : [];
  });
}

function actAs(login: string): void {
  process.env.GITHUB_ACTIONS = 'true';
  process.env.GITHUB_ACTOR = login;
}

beforeEach(async () => {
  dir = copyExample('jml-offboard-');
  const r = await jml(dir, 'apply', '--confirm', '--at', '2026-12-01T14:00:00Z', '--allow-mass-disable');
  expect(r.code, r.err).toBe(0);
  h.fake.addBranch(OWNER, REPO, 'main', 'b'.repeat(40), repoFiles(dir));
  for (const login of ['emcbride-sec', 'saraholm', 'tnovak']) h.fake.addCollaborator(OWNER, REPO, login);
});
afterEach(() => {
  for (const [key, value] of [
    ['GITHUB_ACTIONS', savedEnv.actions],
    ['GITHUB_ACTOR', savedEnv.actor],
  ] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
});
afterAll(cleanTempDirs);

const offboard = (...args: string[]) =>
  jmlWithClock(tickingClock(NOW), dir, 'offboard', 'emma.schultz', '--now', '--reason', 'SEC-4242', ...args);

describe('jml offboard --now by the security team', () => {
  it('cuts access on every provider first, then opens one pull request recording the termination', async () => {
    expect(emmaAccounts().every((a) => a.enabled)).toBe(true);
    actAs('emcbride-sec');
    const r = await offboard();
    expect(r.code, r.err + r.out).toBe(0);
    expect(emmaAccounts().length).toBeGreaterThan(1);
    expect(emmaAccounts().every((a) => !a.enabled)).toBe(true);

    const recordFile = readdirSync(path.join(dir, '.jml/records')).find((f) =>
      f.includes('-offboard-emma.schultz-'),
    )!;
    const record = JSON.parse(
      readFileSync(path.join(dir, '.jml/records', recordFile), 'utf8'),
    ) as ApplyRecord;
    expect(record.result).toBe('applied');
    expect(record.trigger).toMatchObject({ actor: 'emcbride-sec', reason: 'SEC-4242' });
    expect(record.offboard).toMatchObject({
      person: 'emma.schultz',
      at: '2026-12-01T15:00:00.000Z',
      requestedBy: 'emcbride-sec',
      operator: 'erin.mcbride',
    });
    // Within a minute of the order, on every provider.
    for (const c of record.changes) {
      expect(c.person).toBe('emma.schultz');
      expect(Date.parse(c.finishedAt) - NOW).toBeLessThan(60_000);
    }
    expect(record.leavers![0]).toMatchObject({ person: 'emma.schultz', highRisk: true, withinSla: true });

    // The pull request: its body lists the changes already applied (so it was opened after them).
    const pulls = h.fake.pullsOf(OWNER, REPO);
    expect(pulls).toHaveLength(1);
    const pr = pulls[0]!;
    expect(pr.headRef).toBe('jml/offboard/emma.schultz');
    expect(record.offboard!.pullRequest!.number).toBe(pr.number);
    const issue = h.fake.repo(OWNER, REPO).issues.get(pr.number)!;
    expect(issue.labels).toEqual(
      expect.arrayContaining(['jml', 'jml:leaver', 'emergency-offboarding', 'review-after-the-fact']),
    );
    expect(issue.body).toContain('Reason: SEC-4242');
    expect(issue.body).toMatch(/\| okta \| disableUser \| applied \|/);
    expect(pr.requestedReviewers).toEqual(['saraholm']);
    const proposed = h.fake.filesAt(OWNER, REPO, 'jml/offboard/emma.schultz').get(EMMA)!;
    expect(proposed).toContain('end: 2026-12-01T10:00:00-05:00');
    expect(proposed).toContain('highRisk: true');
    expect(proposed).toContain('# Pending leaver'); // the file's comments are kept

    // Until the pull request merges, the scheduled apply keeps her cut off.
    const later = await jmlWithClock(skippingClock(NOW + 20 * 60_000), dir, 'plan', '--format', 'json');
    expect(later.err).toContain('emma.schultz was offboarded at 2026-12-01T15:00:00.000Z by emcbride-sec');
    const plan = JSON.parse(later.out) as { changes: { person: string; action: string }[] };
    expect(plan.changes.filter((c) => c.person === 'emma.schultz')).toEqual([]);

    // Merged: people/ now says the same, and the hold is silent.
    writeRepoFile(dir, EMMA, proposed);
    const merged = await jmlWithClock(skippingClock(NOW + 60 * 60_000), dir, 'validate');
    expect(merged.code, merged.out + merged.err).toBe(0);
    const afterMerge = await jmlWithClock(skippingClock(NOW + 60 * 60_000), dir, 'plan', '--format', 'json');
    expect(afterMerge.err).not.toContain('was offboarded');
    expect(
      (JSON.parse(afterMerge.out) as { changes: { person: string }[] }).changes.filter(
        (c) => c.person === 'emma.schultz',
      ),
    ).toEqual([]);
  });

  it('--hold-only records the hold before the cut: any plan from then on takes the access away', async () => {
    actAs('emcbride-sec');
    const before = DIRECTORIES.map((rel) => readRepoFile(dir, rel));
    const r = await offboard('--hold-only');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Hold on emma.schultz recorded');
    expect(DIRECTORIES.map((rel) => readRepoFile(dir, rel))).toEqual(before);
    const plan = await jmlWithClock(skippingClock(NOW + 30_000), dir, 'plan', '--format', 'json');
    expect(plan.err).toContain('emma.schultz was offboarded at 2026-12-01T15:00:00.000Z');
    const emma = (JSON.parse(plan.out) as { changes: { person: string; action: string }[] }).changes.filter(
      (c) => c.person === 'emma.schultz',
    );
    expect(emma.map((c) => c.action)).toContain('disableUser');
    expect(h.fake.pullsOf(OWNER, REPO)).toEqual([]);
  });

  it('is lifted by --cancel: the next plan gives back what people/ grants', async () => {
    actAs('emcbride-sec');
    expect((await offboard()).code).toBe(0);
    actAs('saraholm');
    const cancel = await jmlWithClock(
      skippingClock(NOW + 5 * 60_000),
      dir,
      'offboard',
      'emma.schultz',
      '--cancel',
      '--reason',
      'SEC-4242 wrong person',
    );
    expect(cancel.code, cancel.err).toBe(0);
    const plan = JSON.parse(
      (await jmlWithClock(skippingClock(NOW + 6 * 60_000), dir, 'plan', '--format', 'json')).out,
    ) as { changes: { person: string; action: string }[] };
    expect(plan.changes.filter((c) => c.person === 'emma.schultz').map((c) => c.action)).toContain(
      'enableUser',
    );
  });
});

describe('jml offboard refuses', () => {
  const snapshot = () => DIRECTORIES.map((rel) => readRepoFile(dir, rel));

  it('a re-run by someone outside the security team, although the first run was by security', async () => {
    actAs('emcbride-sec');
    process.env.GITHUB_TRIGGERING_ACTOR = 'tnovak';
    try {
      const before = snapshot();
      const r = await offboard();
      expect(r.code).toBe(1);
      expect(r.err).toContain('tnovak (tomas.novak) is not on the security team');
      expect(snapshot()).toEqual(before);
    } finally {
      delete process.env.GITHUB_TRIGGERING_ACTOR;
    }
  });

  it('anyone outside the security team, and changes nothing', async () => {
    actAs('tnovak');
    const before = snapshot();
    const r = await offboard();
    expect(r.code).toBe(1);
    expect(r.err).toContain('tnovak (tomas.novak) is not on the security team');
    expect(snapshot()).toEqual(before);
    expect(h.fake.pullsOf(OWNER, REPO)).toEqual([]);
  });

  it.each([
    [
      'a login nobody in people/ has',
      'mallory',
      ['emma.schultz', '--now'],
      'mallory is not the GitHub login of anyone in people/',
    ],
    ['a run without --now', 'emcbride-sec', ['emma.schultz'], 'add --now'],
    ['offboarding oneself', 'emcbride-sec', ['erin.mcbride', '--now'], 'nobody offboards themselves'],
    [
      'a reason that says nothing',
      'emcbride-sec',
      ['emma.schultz', '--now', '--reason', '-'],
      '--reason must say why',
    ],
  ])('%s', async (_, login, args, message) => {
    actAs(login);
    const before = snapshot();
    const r = await jmlWithClock(
      skippingClock(NOW),
      dir,
      'offboard',
      ...args,
      ...(args.includes('--reason') ? [] : ['--reason', 'SEC-1']),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
    expect(snapshot()).toEqual(before);
  });
});
