/**
 * A whole quarter against the GitHub fake: start, managers decide (a self-review refused, an
 * approval before the last push refused), merge, apply (an orphaned grant removed from the
 * directory, an exception ended by pull request, a role template changed by pull request),
 * reminders before the due date, the no-response policy at it (kept with a finding, high-risk
 * revoked), the remaining files merged as they stand, and `jml review report` accounting for
 * every item of the campaign. Twice: with the example's providers embedded, and with its Okta
 * the real Okta connector on the Okta fake (an orphaned Okta grant revoked through it).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GitHubClient } from '../../src/github/client.js';
import type { ReviewCampaign, ReviewFile } from '../../src/model/schema.js';
import type { ApplyRecord } from '../../src/records/schema.js';
import { REMINDER_MARKER } from '../../src/review/due.js';
import {
  cleanTempDirs,
  jml,
  readDirectory,
  readRecords,
  readRepoFile,
  repoFiles,
  tempDir,
  writeRepoFile,
} from '../engine/helpers.js';
import type { PullState } from '../fakes/github/github-fake.js';
import { type GitHubHarness, githubForEachTest, OWNER, REPO } from '../fakes/github/harness.js';
import { AT, driftedExample, type OktaOnFake, oktaOnFake, Q, STRANGER } from './helpers.js';

let h: GitHubHarness;
githubForEachTest((x) => {
  h = x;
});

const MAIN = (n: number) => n.toString(16).padStart(40, 'c');
const branchOf = (name: string) => `jml/review/${Q}/${name}`;
const fileOf = (name: string) => `reviews/${Q}/${name}.yaml`;

describe('a quarter of access review', () => {
  let okta: OktaOnFake | undefined;
  afterEach(async () => {
    await okta?.close();
    okta = undefined;
    cleanTempDirs();
  });

  it.each(['embedded', 'fake'] as const)(
    'runs from start to due date with every item accounted for (Okta %s)',
    async (variant) => {
      const dir = await driftedExample();
      if (variant === 'fake') okta = await oktaOnFake(dir);
      /** Who holds what on Okta: the embedded directory, or the fake as its console shows it. */
      const oktaTargets = async () => (okta ? okta.targets() : readDirectory(dir, 'okta').targets);
      let mainFiles: Record<string, string> = repoFiles(dir);
      let mainCount = 1;
      h.fake.addBranch(OWNER, REPO, 'main', MAIN(mainCount), mainFiles);
      for (const login of ['gracelin-dev', 'jweiss-sre', 'emcbride-sec', 'ethancole'])
        h.fake.addCollaborator(OWNER, REPO, login);

      // --- start: one pull request per file ----------------------------------------------------
      const started = await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT);
      expect(started.code, started.out + started.err).toBe(0);
      const pullOf = (name: string) => h.fake.pullsOf(OWNER, REPO).find((p) => p.headRef === branchOf(name))!;
      const onBranch = (name: string, file: string) => h.fake.filesAt(OWNER, REPO, branchOf(name)).get(file)!;

      /** Merges: the files land on main in the checkout and in the fake; the pull request closes. */
      const merge = (files: Record<string, string>, pull?: PullState) => {
        for (const [p, t] of Object.entries(files)) writeRepoFile(dir, p, t);
        mainFiles = { ...mainFiles, ...files };
        mainCount++;
        h.fake.addBranch(OWNER, REPO, 'main', MAIN(mainCount), mainFiles);
        if (pull) {
          pull.mergeCommitSha = MAIN(mainCount);
          pull.mergedAt = new Date().toISOString();
          const issue = h.fake.repo(OWNER, REPO).issues.get(pull.number)!;
          issue.state = 'closed';
          issue.closedAt = pull.mergedAt;
        }
        for (const p of h.fake.pullsOf(OWNER, REPO)) if (!p.mergeCommitSha) p.baseSha = MAIN(mainCount);
      };
      // The campaign merges first: it sets the terms and the code owners.
      const campaignText = onBranch('campaign', `reviews/${Q}/campaign.yaml`);
      const campaign = parse(campaignText) as ReviewCampaign;
      merge({ [`reviews/${Q}/campaign.yaml`]: campaignText }, pullOf('campaign'));

      /** A reviewer pushes their decisions to the pull request's branch, as themselves. */
      const push = async (login: string, name: string, edit: (f: ReviewFile) => void) => {
        const token = `ghp_${login.replace(/[^a-z]/g, '')}0123456789`;
        h.fake.addToken(token, login);
        const as = new GitHubClient({ token, baseUrl: h.fake.url });
        const file = fileOf(name);
        const now = await as.octokit.rest.repos.getContent({
          owner: OWNER,
          repo: REPO,
          path: file,
          ref: branchOf(name),
        });
        const doc = parse(onBranch(name, file)) as ReviewFile;
        edit(doc);
        const text = toYaml(onBranch(name, file), doc);
        const res = await as.octokit.rest.repos.createOrUpdateFileContents({
          owner: OWNER,
          repo: REPO,
          path: file,
          branch: branchOf(name),
          message: `Decide ${file}`,
          content: Buffer.from(text).toString('base64'),
          sha: (now.data as { sha: string }).sha,
        });
        const pull = pullOf(name);
        pull.headSha = res.data.commit.sha!;
        pull.commits.push(pull.headSha);
        return text;
      };
      const approve = (name: string, login: string, state: 'APPROVED' | 'DISMISSED' = 'APPROVED') =>
        h.fake.addReview(pullOf(name), { login, state });
      const check = (name: string) =>
        jml(dir, 'review', 'check', '--pr', String(pullOf(name).number), '--comment');

      // --- grace.lin decides: revoke an orphaned grant, an exception and a role grant --------------
      const REVOKED = {
        orphaned: 'alice.nguyen/local/prod-bastion',
        exception: 'alice.nguyen/google/bigquery-analysts',
        role: 'hannah.kim/okta/pagerduty-responders',
      };
      // With Okta on its fake, alice.nguyen's orphaned Okta grant is revoked too: through the connector.
      const oktaOrphan = okta
        ? (parse(onBranch('grace.lin', fileOf('grace.lin'))) as ReviewFile).items.find(
            (i) =>
              i.provider === 'okta' &&
              i.source.kind === 'orphaned' &&
              i.account === 'alice.nguyen@example.com' &&
              `group:${i.target}` === okta!.orphanTarget,
          )
        : undefined;
      if (okta) expect(oktaOrphan, "the orphaned Okta grant is in grace.lin's file").toBeDefined();
      const revokedIds = [...Object.values(REVOKED), ...(oktaOrphan ? [oktaOrphan.id] : [])];
      const DONT_KNOW_HIGH = 'ravi.patel/okta/aws-prod-admin';
      const graceText = await push('gracelin-dev', 'grace.lin', (f) => {
        for (const i of f.items) {
          i.decision = 'keep';
          if (revokedIds.includes(i.id)) {
            i.decision = 'revoke';
            i.justification = 'Not needed for the role any more (INC-4411).';
          }
          if (i.id === DONT_KNOW_HIGH) {
            i.decision = 'dont-know';
            i.justification = 'Granted before my time: security to judge.';
          }
        }
      });
      // alice.nguyen, whose access is in the file, approves too: a self-review, refused.
      approve('grace.lin', 'gracelin-dev');
      approve('grace.lin', 'alice-ng');
      const self = await check('grace.lin');
      expect(self.code, self.out + self.err).toBe(3);
      expect(self.out).toContain('[self-review]');
      approve('grace.lin', 'alice-ng', 'DISMISSED');
      const graceOk = await check('grace.lin');
      expect(graceOk.code, graceOk.out + graceOk.err).toBe(0);
      const verdicts = h.fake
        .commentsOn(OWNER, REPO, pullOf('grace.lin').number)
        .filter((c) => c.body.includes('<!-- jml:review-check -->'));
      expect(verdicts).toHaveLength(1);
      expect(verdicts[0]!.body).toContain('Review check passed');

      // --- jonah.weiss decides, approves, pushes again: the approval before the push is refused ----
      const DONT_KNOW_LOW = 'fatima.haddad/google/drive-engineering';
      await push('jweiss-sre', 'jonah.weiss', (f) => {
        for (const i of f.items) i.decision = 'keep';
      });
      approve('jonah.weiss', 'jweiss-sre');
      expect((await check('jonah.weiss')).code).toBe(0);
      const jonahText = await push('jweiss-sre', 'jonah.weiss', (f) => {
        const i = f.items.find((x) => x.id === DONT_KNOW_LOW)!;
        i.decision = 'dont-know';
        i.justification = 'Fatima moved teams: ask her new lead.';
      });
      const stale = await check('jonah.weiss');
      expect(stale.code, stale.out).toBe(3);
      expect(stale.out).toContain('[reviewer-approval]');
      expect(stale.out).toContain('before the latest push');
      approve('jonah.weiss', 'jweiss-sre');
      expect((await check('jonah.weiss')).code).toBe(0);

      // --- ethan.cole leaves items pending: refused, and never merged ------------------------------
      await push('ethancole', 'ethan.cole', (f) => {
        f.items[0]!.decision = 'keep';
      });
      approve('ethan.cole', 'ethancole');
      const pending = await check('ethan.cole');
      expect(pending.code).toBe(3);
      expect(pending.out).toContain('[pending]');

      // --- merge the two passed files ------------------------------------------------------------
      merge({ [fileOf('grace.lin')]: graceText }, pullOf('grace.lin'));
      merge({ [fileOf('jonah.weiss')]: jonahText }, pullOf('jonah.weiss'));

      // --- apply: each revoke becomes a change -----------------------------------------------------
      const APPLY_AT = '2027-01-12T15:00:00Z';
      const aliceHeld = () =>
        Object.entries(readDirectory(dir, 'local').targets)
          .filter(([, m]) => m.includes('alice.nguyen@example.com'))
          .map(([t]) => t);
      expect(aliceHeld()).toContain('group:prod-bastion');
      const aliceOnOkta = async () =>
        ((await oktaTargets())[okta?.orphanTarget ?? ''] ?? []).includes('alice.nguyen@example.com');
      if (okta) expect(await aliceOnOkta()).toBe(true);
      const dry = await jml(dir, 'review', 'apply', '--quarter', Q, '--at', APPLY_AT);
      expect(dry.code, dry.err).toBe(0);
      expect(dry.out).toContain('Dry run');
      expect(aliceHeld()).toContain('group:prod-bastion');
      const applied = await jml(dir, 'review', 'apply', '--quarter', Q, '--at', APPLY_AT, '--confirm');
      expect(applied.code, applied.out + applied.err).toBe(0);
      expect(aliceHeld()).not.toContain('group:prod-bastion');
      // The orphaned Okta grant went through the Okta connector: the fake no longer has the membership.
      if (okta) expect(await aliceOnOkta()).toBe(false);
      const exceptionsPr = pullOf('exceptions');
      expect(exceptionsPr.files.map((f) => [f.path, f.status])).toEqual([
        ['exceptions/EXC-0001.yaml', 'removed'],
      ]);
      const rolePr = pullOf('role-backend-engineer');
      const template = h.fake.filesAt(OWNER, REPO, rolePr.headRef).get('roles/backend-engineer.yaml')!;
      expect(template).not.toContain('pagerduty-responders');
      expect(readRepoFile(dir, 'roles/backend-engineer.yaml')).toContain('pagerduty-responders');
      expect(h.fake.repo(OWNER, REPO).issues.get(rolePr.number)!.body).toContain('hannah.kim');
      const records = () => readRecords(dir).map((r) => r.record as unknown as ApplyRecord);
      const first = records().filter((r) => r.review);
      expect(first).toHaveLength(1);
      expect(first[0]!.review).toMatchObject({ quarter: Q, reason: 'decided' });
      expect(first[0]!.review!.items.map((i) => [i.id, i.outcome]).sort()).toEqual(
        [
          [REVOKED.exception, 'proposed'],
          [REVOKED.orphaned, 'revoked'],
          [REVOKED.role, 'proposed'],
          ...(oktaOrphan ? [[oktaOrphan.id, 'revoked']] : []),
        ].sort(),
      );
      expect(first[0]!.changes.map((c) => [c.id, c.status]).sort()).toEqual(
        [
          ['local/alice.nguyen@example.com/revoke/prod-bastion', 'applied'],
          ...(oktaOrphan
            ? [[`okta/alice.nguyen@example.com/revoke/${oktaOrphan.entitlement}`, 'applied']]
            : []),
        ].sort(),
      );

      // Again: nothing new (records say what is done), no new pull request.
      const pulls = h.fake.pullsOf(OWNER, REPO).length;
      const again = await jml(dir, 'review', 'apply', '--quarter', Q, '--at', APPLY_AT, '--confirm');
      expect(again.code, again.err).toBe(0);
      expect(again.out).toContain('already done');
      expect(records().filter((r) => r.review)).toHaveLength(1);
      expect(h.fake.pullsOf(OWNER, REPO)).toHaveLength(pulls);

      // --- reminders before the due date: one comment per open review pull request -----------------
      const remind = async () => {
        const r = await jml(
          dir,
          'review',
          'due',
          '--quarter',
          Q,
          '--at',
          '2027-01-20T15:00:00Z',
          '--confirm',
        );
        expect(r.code, r.out + r.err).toBe(0);
        return r;
      };
      const reminded = await remind();
      expect(reminded.out).toContain('5 days left');
      await remind();
      const open = campaign.reviewers
        .map((r) => path.basename(r.file, '.yaml'))
        .filter((n) => !['grace.lin', 'jonah.weiss'].includes(n));
      for (const name of open) {
        const mine = h.fake
          .commentsOn(OWNER, REPO, pullOf(name).number)
          .filter((c) => c.body.includes(REMINDER_MARKER));
        expect(mine, name).toHaveLength(1);
        expect(mine[0]!.body).toContain('pending');
      }
      const ethanReminder = h.fake
        .commentsOn(OWNER, REPO, pullOf('ethan.cole').number)
        .find((c) => c.body.includes(REMINDER_MARKER))!;
      const ethanItems = (parse(onBranch('ethan.cole', fileOf('ethan.cole'))) as ReviewFile).items.length;
      expect(ethanReminder.body).toContain(`${ethanItems - 1} of ${ethanItems}`);
      expect(ethanReminder.body).toContain('@ethancole');
      for (const name of ['grace.lin', 'jonah.weiss'])
        expect(
          h.fake.commentsOn(OWNER, REPO, pullOf(name).number).some((c) => c.body.includes(REMINDER_MARKER)),
        ).toBe(false);
      expect(records().filter((r) => r.review)).toHaveLength(1);

      // --- the due date: undecided items kept with a finding, high-risk ones revoked -------------
      const oktaHeld = async (login: string, target: string) =>
        ((await oktaTargets())[target] ?? []).includes(login);
      const bastion = () => readDirectory(dir, 'local').targets['group:prod-bastion'] ?? [];
      expect(bastion()).toContain(STRANGER);
      const dueRun = await jml(
        dir,
        'review',
        'due',
        '--quarter',
        Q,
        '--at',
        '2027-01-25T15:00:00Z',
        '--confirm',
      );
      expect(dueRun.code, dueRun.out + dueRun.err).toBe(0);
      expect(bastion()).not.toContain(STRANGER);
      const ravi = records()
        .filter((r) => r.review?.reason === 'no-response')
        .flatMap((r) => r.review!.items);
      expect(ravi.find((i) => i.id === DONT_KNOW_HIGH)?.outcome).toBe('revoked');
      expect(ravi.find((i) => i.id === DONT_KNOW_LOW)?.outcome).toBe('kept');
      const awsProdAdmin = Object.keys(await oktaTargets()).find((t) => /aws.*prod/i.test(t));
      if (awsProdAdmin) expect(await oktaHeld('ravi.patel@example.com', awsProdAdmin)).toBe(false);

      // --- every item of the campaign accounted for --------------------------------------------------
      const settled = new Map<string, string>();
      for (const r of records()) for (const i of r.review?.items ?? []) settled.set(i.id, i.outcome);
      const all: { id: string; decision: string; merged: boolean; risk: string }[] = [];
      for (const r of campaign.reviewers) {
        const name = path.basename(r.file, '.yaml');
        const merged = ['grace.lin', 'jonah.weiss'].includes(name);
        const text = merged ? readRepoFile(dir, r.file) : onBranch(name, r.file);
        for (const i of (parse(text) as ReviewFile).items)
          all.push({ id: i.id, decision: i.decision, merged, risk: i.risk });
      }
      expect(all).toHaveLength(campaign.items);
      for (const i of all) {
        const outcome = settled.get(i.id);
        if (i.merged && i.decision === 'keep') expect(outcome, i.id).toBeUndefined();
        else if (i.merged && i.decision === 'revoke')
          expect(['revoked', 'proposed'], i.id).toContain(outcome);
        else if (i.risk === 'high') expect(['revoked', 'proposed'], i.id).toContain(outcome);
        else expect(outcome, i.id).toBe('kept');
      }
      // The due date run is idempotent too.
      const count = records().length;
      const dueAgain = await jml(
        dir,
        'review',
        'due',
        '--quarter',
        Q,
        '--at',
        '2027-01-25T16:00:00Z',
        '--confirm',
      );
      expect(dueAgain.code, dueAgain.err).toBe(0);
      expect(records()).toHaveLength(count);

      // --- the quarter closes: the remaining files merge as they stand, and the report -------------
      for (const name of open) merge({ [fileOf(name)]: onBranch(name, fileOf(name)) }, pullOf(name));
      const out = tempDir('jml-quarter-report-');
      const report = await jml(
        dir,
        'review',
        'report',
        '--quarter',
        Q,
        '--out',
        out,
        '--at',
        '2027-01-26T12:00:00Z',
      );
      // Exit 2: the revokes proposed by pull request (a role, an exception) or by ticket (manual)
      // are not done yet, and the live check says so; every other item passes.
      expect(report.code, report.out + report.err).toBe(2);
      expect(report.out).toContain(
        `population ${campaign.items}, ${campaign.items} items in the files, ${all.filter((i) => ['keep', 'revoke'].includes(i.decision)).length} decided`,
      );
      const rows = parseCsv(readFileSync(path.join(out, `access-review-${Q}.csv`), 'utf8'), {
        columns: true,
      }) as Record<string, string>[];
      expect(rows).toHaveLength(campaign.items);
      expect(new Set(rows.map((r) => r.Item)).size).toBe(campaign.items);
      expect(rows.map((r) => r.Item).sort()).toEqual(all.map((i) => i.id).sort());
      for (const r of rows) {
        if (['keep', 'revoke'].includes(r.Decision!)) expect(r.Outcome, r.Item).toBe(r.Decision);
        else expect(r.Outcome, r.Item).toMatch(/^no response: (keep|revoke) /);
        if (r.Result === 'pass') continue;
        expect(r['Post-remediation check'], r.Item).toBe('STILL HELD');
        expect(
          settled.get(r.Item!) === 'proposed' || r.Provider === 'manual',
          `${r.Item}: ${settled.get(r.Item!)}`,
        ).toBe(true);
        expect(report.out).toContain(`FINDING ${r.Item} was revoked (`);
      }
      expect(report.out.split('\n').filter((l) => l.startsWith('FINDING'))).toHaveLength(
        rows.filter((r) => r.Result !== 'pass').length,
      );
      for (const id of [REVOKED.orphaned, ...(oktaOrphan ? [oktaOrphan.id] : [])])
        expect(
          rows.find((r) => r.Item === id),
          id,
        ).toMatchObject({
          Decision: 'revoke',
          'Post-remediation check': 'gone',
        });
      expect(rows.find((r) => r.Item === DONT_KNOW_HIGH)).toMatchObject({
        Outcome: expect.stringMatching(/^no response: revoke /),
        'Post-remediation check': 'gone',
      });

      // The real Okta connector asked the fake nothing it does not understand.
      if (okta) expect(okta.harness.server!.unknownRequests).toEqual([]);
    },
  );
});

/** The reviewer's edit as text: the file as written with only decisions and justifications set. */
function toYaml(original: string, doc: ReviewFile): string {
  const lines = original.split('\n');
  let item = -1;
  return lines
    .map((line) => {
      if (/^ {2}- id: /.test(line)) item++;
      const i = doc.items[item];
      if (!i) return line;
      if (/^ {4}decision: /.test(line)) return `    decision: ${i.decision}`;
      if (/^ {4}justification: /.test(line)) return `    justification: ${JSON.stringify(i.justification)}`;
      return line;
    })
    .join('\n');
}
