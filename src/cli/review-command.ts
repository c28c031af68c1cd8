/**
 * `jml review start --quarter 2027-Q1 [--at T] [--due DATE] [--dry-run] [--base B]`: a quarter's
 * access review campaign from the providers' real state (src/review/start.ts).
 *
 * Without GitHub (GITHUB_TOKEN, GITHUB_REPOSITORY) the files are written into the checkout (and
 * .github/CODEOWNERS regenerated when it exists). With GitHub, nothing is written locally: the
 * campaign file and the regenerated CODEOWNERS go in ONE pull request for the security team
 * (merged first: it sets the terms and makes each reviewer the code owner of their file), and
 * each reviewer file in ONE pull request of its own, its reviewer asked to review. A file that
 * already exists with other text (decisions may have been made) is never overwritten. `--dry-run`
 * prints what would be written and changes nothing.
 *
 * Exit 0 done (or nothing to do), 1 error.
 *
 * `jml review check` (the required check on a review pull request, src/review/check.ts),
 * `jml review apply` (after merge, each revoke becomes a change, src/review/apply.ts) and
 * `jml review due` (reminders before the due date, the no-response policy at it,
 * src/review/due.ts) follow below.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Command, Option } from 'commander';
import writeFileAtomic from 'write-file-atomic';
import { parse } from 'yaml';
import { runApply } from '../apply/apply.js';
import {
  checkPullRequestData,
  PullRequestDataError,
  type PullRequestFacts,
  parsePullRequestData,
} from '../approvals/pull-request.js';
import type { ChangedFile } from '../approvals/types.js';
import { CheckoutError, indexCheckout } from '../engine/checkout.js';
import { type Prepared, personNames, planFrom, readActual, recordsDir } from '../engine/prepare.js';
import type { GitHubAccess, GitHubClient } from '../github/client.js';
import { type Located, locate, type SourceFile } from '../load/source.js';
import { byCodePoint } from '../model/order.js';
import { type ReviewCampaign, reviewCampaign } from '../model/schema.js';
import { toIso } from '../model/time.js';
import { type ApplyRecord, RECORD_SCHEMA } from '../records/schema.js';
import { amendRecord, readRecords, writeRecord } from '../records/store.js';
import { CODEOWNERS_FILE, generateCodeowners } from '../report/codeowners.js';
import { renderApplyText } from '../report/render-apply.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import {
  decidedRevocations,
  exceptionsBody,
  planRemediation,
  type Revocation,
  reviewFilesOf,
  reviewRecords,
  revokeChangeId,
  settledItems,
  templateBody,
  withoutEntitlements,
} from '../review/apply.js';
import {
  checkReview,
  isReviewerFile,
  quartersOf,
  readReviewText,
  renderReviewCheck,
} from '../review/check.js';
import { daysLeft, type FileAtDue, noResponse, REMINDER_MARKER, reminderBody } from '../review/due.js';
import { buildCampaign, type Campaign } from '../review/start.js';
import type { GlobalOptions, Io } from './io.js';
import { parseQuarter } from './options.js';
import { registerReviewReport } from './review-report.js';
import {
  baseBranch,
  githubAccess,
  githubConfigured,
  githubIfConfigured,
  prepareOrReport as prepare,
  triggerFromEnv,
} from './run-support.js';

type Exit = (code: number) => void;

interface StartOptions {
  quarter: string;
  at?: string;
  due?: string;
  dryRun?: boolean;
  base?: string;
}

export const REVIEW_LABELS = (quarter: string) => ['jml', 'access-review', `quarter:${quarter}`];

export function registerReview(program: Command, io: Io, setExit: Exit): void {
  const review = program
    .command('review')
    .description('Quarterly access reviews: a file per reviewer, decided by pull request.');
  registerReviewReport(review, io, setExit);
  review
    .command('start')
    .description(
      'Read every provider and write reviews/<quarter>/: the campaign and one file per reviewer; with GitHub, one pull request per file. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--at <instant>', 'the instant the state is read as of (default now)')
    .option('--due <date>', 'the due date, YYYY-MM-DD (default: reviews.dueDays from --at)')
    .option('--dry-run', 'print what would be written; change nothing')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: StartOptions, cmd: Command) => {
      setExit(await start(opts, cmd, io));
    });
  registerDecide(review, io, setExit);
}

async function start(opts: StartOptions, cmd: Command, io: Io): Promise<number> {
  const { root: rootOpt } = cmd.optsWithGlobals<GlobalOptions>();
  if (opts.due !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.due)) {
    io.err(`jml review start: --due must be a date YYYY-MM-DD (got ${opts.due}).\n`);
    return 1;
  }
  const p = await prepare(rootOpt, opts.at, io);
  if (!p) return 1;
  const actual = await readActual(p);
  const c = buildCampaign({
    index: p.index,
    actual,
    at: p.at,
    quarter: opts.quarter,
    ...(opts.due ? { due: opts.due } : {}),
    commit: p.commit,
  });
  if (c.errors.length) {
    for (const e of c.errors) io.err(`jml review start: ${e}\n`);
    return 1;
  }
  if (opts.due && p.index.clock.dayStart(opts.due) <= p.at) {
    io.err(`jml review start: the due date ${opts.due} is not after the start.\n`);
    return 1;
  }
  const existing = readText(path.join(p.root, c.campaignPath));
  if (existing !== undefined && existing !== c.campaignText) {
    io.err(
      `jml review start: ${c.campaignPath} already exists with other terms (another start time or state); ` +
        'a campaign is started once. Nothing was changed.\n',
    );
    return 1;
  }
  const codeowners = codeownersWith(p.index, c);
  const summary = summaryOf(c);
  if (opts.dryRun) {
    io.out(`${summary}Dry run: nothing was written.\n`);
    return 0;
  }

  // --- GitHub: one pull request per file -------------------------------------------------------
  if (githubConfigured()) {
    const { client, owner, repo } = await githubAccess();
    const base = baseBranch(opts.base);
    const out: string[] = [];
    let failed = false;
    const permissions = new Map<string, Promise<boolean>>();
    const canReview = (login: string) => {
      let known = permissions.get(login.toLowerCase());
      if (!known) {
        known = client.permissionOf(owner, repo, login).then((x) => x !== 'none');
        permissions.set(login.toLowerCase(), known);
      }
      return known;
    };
    const propose = async (
      branch: string,
      files: { path: string; content: string }[],
      title: string,
      body: string,
      reviewers: string[],
    ) => {
      try {
        // GitHub refuses a review request to anyone who is not a collaborator: those are named
        // in the body instead.
        const asked: string[] = [];
        const outside: string[] = [];
        for (const login of reviewers) ((await canReview(login)) ? asked : outside).push(login);
        const text = outside.length
          ? `${body}\n\nNot asked to review, as GitHub allows only collaborators of this repository: ${outside.join(', ')}.`
          : body;
        const kept = await differingOnBranch(client, owner, repo, branch, files[0]!);
        if (kept) {
          out.push(`  ${branch}: ${files[0]!.path} already there with other text (decisions?); left as is`);
          return;
        }
        const r = await client.proposeFileChanges(owner, repo, {
          branch,
          base,
          title,
          body: text,
          message: title,
          labels: REVIEW_LABELS(c.campaign.quarter),
          reviewers: asked,
          files,
        });
        out.push(`  ${branch}: pull request #${r.pullRequest.number} ${r.action}: ${r.pullRequest.url}`);
      } catch (e) {
        failed = true;
        out.push(`  ${branch}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      }
    };
    const q = c.campaign.quarter;
    const loginOf = (id: string) => p.index.people.get(id)?.value.github;
    if (existing === undefined) {
      const files = [{ path: c.campaignPath, content: c.campaignText }];
      if (codeowners) files.push({ path: CODEOWNERS_FILE, content: codeowners });
      const security = p.index.policy.teams.security.map(loginOf).filter((l): l is string => Boolean(l));
      await propose(
        `jml/review/${q}/campaign`,
        files,
        `Access review ${q}: the campaign`,
        campaignBody(c),
        security,
      );
    }
    for (const f of c.files) {
      const login = loginOf(f.reviewer);
      await propose(
        `jml/review/${q}/${f.name}`,
        [{ path: f.path, content: f.text }],
        `Access review ${q}: ${f.file.items.length} item${f.file.items.length === 1 ? '' : 's'} for ${f.reviewer}`,
        reviewerBody(c, f.path, f.reviewer, f.file.items.length),
        login ? [login] : [],
      );
    }
    io.out(`${summary}${out.join('\n')}\n`);
    return failed ? 1 : 0;
  }

  // --- no GitHub: the files in this checkout ---------------------------------------------------
  const written: string[] = [];
  const write = (rel: string, text: string, overwrite: boolean) => {
    const abs = path.join(p.root, rel);
    const now = readText(abs);
    if (now === text || (now !== undefined && !overwrite)) return;
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileAtomic.sync(abs, text);
    written.push(rel);
  };
  write(c.campaignPath, c.campaignText, false);
  for (const f of c.files) write(f.path, f.text, false);
  if (codeowners) write(CODEOWNERS_FILE, codeowners, true);
  io.out(
    `${summary}${written.length ? `Wrote ${written.join(', ')}.` : 'Nothing to write: the campaign is already there.'}\n`,
  );
  return 0;
}

function readText(abs: string): string | undefined {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return undefined;
  }
}

/** A file on a branch whose text differs from `file` (undefined when absent or equal). */
async function differingOnBranch(
  client: Pick<GitHubClient, 'octokit'>,
  owner: string,
  repo: string,
  branch: string,
  file: { path: string; content: string },
): Promise<boolean> {
  try {
    const res = await client.octokit.rest.repos.getContent({ owner, repo, path: file.path, ref: branch });
    const data = res.data as { content?: string; encoding?: string };
    if (typeof data.content !== 'string') return false;
    const text = Buffer.from(data.content, (data.encoding as BufferEncoding) ?? 'base64').toString('utf8');
    return text !== file.content;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return false;
    throw e;
  }
}

/**
 * .github/CODEOWNERS with this campaign's reviewer lines, when the repository has the file
 * (undefined otherwise): the campaign's pull request carries it, so that once merged each
 * reviewer owns their file and `jml codeowners --check` stays green.
 */
function codeownersWith(index: RepoIndex, c: Campaign): string | undefined {
  if (readText(path.join(index.repo.root, CODEOWNERS_FILE)) === undefined) return undefined;
  const src: SourceFile = { path: c.campaignPath, text: c.campaignText };
  const located: Located<ReviewCampaign> = { value: c.campaign, src, at: [] };
  const others = index.repo.reviews.campaigns.filter((x) => x.src.path !== c.campaignPath);
  const repo = { ...index.repo, reviews: { ...index.repo.reviews, campaigns: [...others, located] } };
  const result = generateCodeowners({ ...index, repo });
  return result.diagnostics.some((d) => d.severity === 'error') ? undefined : result.text;
}

function summaryOf(c: Campaign): string {
  const lines = [
    `Access review ${c.campaign.quarter}: ${c.campaign.items} items for ${c.files.length} reviewers, due ${c.campaign.due} ` +
      `(state read at ${c.campaign.startedAt}, ${c.campaign.exportFingerprint.plan}).`,
  ];
  for (const f of c.files) {
    const orphaned = f.file.items.filter((i) => i.source.kind === 'orphaned').length;
    const inactive = f.file.items.filter((i) => i.inactive).length;
    lines.push(
      `  ${f.path}: ${f.file.items.length} items for ${f.reviewer}` +
        `${orphaned ? `, ${orphaned} orphaned` : ''}${inactive ? `, ${inactive} inactive` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function campaignBody(c: Campaign): string {
  const k = c.campaign;
  return [
    `The access review of **${k.quarter}**: ${k.items} items for ${c.files.length} reviewers, due **${k.due}**.`,
    '',
    `State read at ${k.startedAt} from ${k.scope.map((s) => `${s.provider}${s.simulated ? ' (simulated)' : ''}`).join(', ')} (${k.exportFingerprint.plan}).`,
    `Undecided at the due date: ${k.noResponse} (high-risk: ${k.highRiskNoResponse}).`,
    '',
    'Merge this first: it sets the terms and makes each reviewer the code owner of their file (.github/CODEOWNERS).',
    '',
    '| file | reviewer | items |',
    '|---|---|---|',
    ...k.reviewers.map((r) => `| ${r.file} | ${r.reviewer} | ${r.items} |`),
    '',
    '---',
    'Opened by `jml review start`.',
  ].join('\n');
}

function reviewerBody(c: Campaign, file: string, reviewer: string, items: number): string {
  return [
    `**${reviewer}**, please review ${items} item${items === 1 ? '' : 's'} of access in \`${file}\` before **${c.campaign.due}**.`,
    '',
    'For each item set `decision:` to `keep`, `revoke` or `dont-know` (revoke and dont-know need a `justification:`), push, then approve this pull request. Change nothing else.',
    '',
    `Undecided at the due date: ${c.campaign.noResponse} (high-risk: ${c.campaign.highRiskNoResponse}). The campaign's pull request (branch jml/review/${c.campaign.quarter}/campaign) merges first.`,
    '',
    '---',
    'Opened by `jml review start`.',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// jml review check | apply | due

/** Exit codes of `jml review check`. */
export const REVIEW_CHECK_EXIT = { passed: 0, error: 1, refused: 3 } as const;
/** The marker of the one verdict comment `jml review check --comment` keeps on a pull request. */
export const REVIEW_CHECK_MARKER = '<!-- jml:review-check -->';

interface CheckOptions {
  quarter?: string;
  pr?: string;
  comment?: boolean;
  base?: string;
  head?: string;
  changes?: string;
  format: 'text' | 'markdown' | 'json';
}

function registerDecide(review: Command, io: Io, setExit: Exit): void {
  review
    .command('check')
    .description(
      'The required check on a review pull request: only decisions and justifications changed, every item decided, revoke and dont-know justified, no self-review, the reviewer approving the head commit. Exit 0 passed, 3 refused, 1 error.',
    )
    .option(
      '--quarter <quarter>',
      'the quarter (default: the one of the reviewer file the pull request changes)',
      parseQuarter,
    )
    .option(
      '--pr <number>',
      'read pull request N of GITHUB_REPOSITORY through the GitHub API (-C: a checkout of its base, for people)',
    )
    .option('--comment', 'with --pr: keep one verdict comment on the pull request')
    .option('--base <dir>', 'without --pr: a checkout of the base')
    .option('--head <dir>', "without --pr: a checkout of the pull request's head")
    .option(
      '--changes <file>',
      'without --pr: the pull request and its reviews as JSON, as jml approvals --changes reads it',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'markdown', 'json']).default('text'),
    )
    .action(async (opts: CheckOptions, cmd: Command) => {
      try {
        setExit(await check(opts, cmd, io));
      } catch (e) {
        if (
          e instanceof CheckoutError ||
          e instanceof PullRequestDataError ||
          (e as Error).name === 'GitHubError'
        ) {
          io.err(`jml review check: ${(e as Error).message}\n`);
          return setExit(REVIEW_CHECK_EXIT.error);
        }
        throw e;
      }
    });
  review
    .command('apply')
    .description(
      'After review pull requests merge: each revoke becomes a change (an orphaned grant is revoked on its provider; an exception ends and a role template changes by pull request). Without --confirm, says what it would do. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--at <instant>', 'as of this instant (default now)')
    .option('--confirm', 'really write to the providers and open the pull requests')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: RunOptions, cmd: Command) => {
      setExit(await applyReview(opts, cmd, io));
    });
  review
    .command('due')
    .description(
      'Before the due date: one reminder comment per open review pull request. At or after it: the no-response policy on every undecided item (keep with a finding, or revoke). Without --confirm, says what it would do. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1', parseQuarter)
    .option('--at <instant>', 'as of this instant (default now)')
    .option('--confirm', 'really comment, write to the providers and open the pull requests')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: RunOptions, cmd: Command) => {
      setExit(await due(opts, cmd, io));
    });
}

async function check(opts: CheckOptions, cmd: Command, io: Io): Promise<number> {
  const { root } = cmd.optsWithGlobals<GlobalOptions>();
  const fail = (m: string) => {
    io.err(`jml review check: ${m}\n`);
    return REVIEW_CHECK_EXIT.error;
  };
  const local = opts.base !== undefined || opts.head !== undefined;
  if (Boolean(opts.pr) === local) return fail('give either --pr <number>, or --base <dir> and --head <dir>.');
  if (local && !(opts.base && opts.head)) return fail('--base and --head go together.');
  if (opts.comment && !opts.pr) return fail('--comment needs --pr.');
  if (opts.changes && !local) return fail('--changes goes with --base and --head.');

  let facts: PullRequestFacts;
  let baseIndex: RepoIndex;
  let textAt: (side: 'base' | 'head' | 'first', file: string) => Promise<string | undefined>;
  let github:
    | (GitHubAccess<Pick<GitHubClient, 'pullRequestData' | 'fileAt' | 'octokit' | 'upsertStickyComment'>> & {
        number: number;
      })
    | undefined;
  if (opts.pr) {
    const number = Number(opts.pr);
    if (!Number.isInteger(number) || number < 1)
      return fail(`--pr ${opts.pr}: expected a pull request number.`);
    const { clientFromEnv, repositoryFromEnv } = await import('../github/event.js');
    const client = clientFromEnv();
    const { owner, repo } = repositoryFromEnv();
    github = { client, owner, repo, number };
    facts = checkPullRequestData(
      await client.pullRequestData(owner, repo, number),
      `GitHub ${owner}/${repo}#${number}`,
    );
    baseIndex = indexCheckout(path.resolve(root), undefined, ' (-C is a checkout of the base)');
    let commits: string[] | undefined;
    textAt = async (side, file) => {
      if (side === 'base') return facts.baseSha ? client.fileAt(owner, repo, file, facts.baseSha) : undefined;
      if (side === 'head') return client.fileAt(owner, repo, file, facts.headSha);
      // The file as the pull request first had it: at the oldest of its commits that holds it.
      commits ??= (
        await client.octokit.paginate(client.octokit.rest.pulls.listCommits, {
          owner,
          repo,
          pull_number: number,
          per_page: 100,
        })
      ).map((c) => c.sha);
      for (const sha of commits) {
        const text = await client.fileAt(owner, repo, file, sha);
        if (text !== undefined) return text;
      }
      return undefined;
    };
  } else {
    const baseDir = path.resolve(opts.base!);
    const headDir = path.resolve(opts.head!);
    baseIndex = indexCheckout(baseDir, undefined, ' on the base side');
    const given = opts.changes
      ? parsePullRequestData(readFileSync(path.resolve(opts.changes), 'utf8'), opts.changes)
      : undefined;
    facts = {
      number: given?.number ?? 0,
      author: given?.author ?? '(local)',
      headSha: given?.headSha ?? '0'.repeat(40),
      baseSha: given?.baseSha,
      files: diffCheckouts(baseDir, headDir),
      reviews: given?.reviews ?? [],
    };
    textAt = async (side, file) => readText(path.join(side === 'head' ? headDir : baseDir, file));
  }

  const quarters = quartersOf(facts.files);
  const q = opts.quarter ?? quarters[0];
  if (!q) {
    io.out('No reviewer file changed: not a review pull request, nothing to check.\n');
    return REVIEW_CHECK_EXIT.passed;
  }
  const campaignText = await textAt('base', `reviews/${q}/campaign.yaml`);
  const campaignParsed =
    campaignText === undefined ? undefined : reviewCampaign.safeParse(parse(campaignText));
  const original = new Map<string, string | undefined>();
  const head = new Map<string, string | undefined>();
  for (const f of facts.files) {
    if (!isReviewerFile(f.path, q)) continue;
    original.set(
      f.path,
      (await textAt('base', f.path)) ?? (github ? await textAt('first', f.path) : undefined),
    );
    head.set(f.path, f.status === 'removed' ? undefined : await textAt('head', f.path));
  }
  const byLogin = new Map<string, string>();
  for (const p of baseIndex.people.values())
    if (p.value.github && !byLogin.has(p.value.github.toLowerCase()))
      byLogin.set(p.value.github.toLowerCase(), p.value.id);
  const result = checkReview({
    quarter: q,
    files: facts.files,
    campaign: campaignParsed?.success ? campaignParsed.data : undefined,
    original,
    head,
    author: facts.author,
    headSha: facts.headSha,
    reviews: facts.reviews,
    loginOf: (id) => baseIndex.people.get(id)?.value.github,
    personOfLogin: (login) => byLogin.get(login.toLowerCase()),
  });
  if (opts.format === 'json') io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(renderReviewCheck(result, opts.format === 'markdown'));
  if (github && opts.comment)
    await github.client.upsertStickyComment(
      github.owner,
      github.repo,
      github.number,
      REVIEW_CHECK_MARKER,
      renderReviewCheck(result, true),
    );
  return result.passed ? REVIEW_CHECK_EXIT.passed : REVIEW_CHECK_EXIT.refused;
}

/** The files that differ between two checkouts (the repository's data and reviews/ only). */
function diffCheckouts(baseDir: string, headDir: string): ChangedFile[] {
  const list = (dir: string) => {
    const out = new Map<string, string>();
    const walk = (rel: string) => {
      let names: string[];
      try {
        names = readdirSync(path.join(dir, rel));
      } catch {
        return;
      }
      for (const name of names) {
        const p = `${rel}/${name}`;
        if (statSync(path.join(dir, p)).isDirectory()) walk(p);
        else out.set(p, readFileSync(path.join(dir, p), 'utf8'));
      }
    };
    for (const sub of ['people', 'roles', 'exceptions', 'policy', 'reviews', '.github']) walk(sub);
    return out;
  };
  const a = list(baseDir);
  const b = list(headDir);
  const out: ChangedFile[] = [];
  for (const [p, t] of b) {
    const was = a.get(p);
    if (was === undefined) out.push({ path: p, status: 'added' });
    else if (was !== t) out.push({ path: p, status: 'modified' });
  }
  for (const p of a.keys()) if (!b.has(p)) out.push({ path: p, status: 'removed' });
  return out.sort((x, y) => byCodePoint(x.path, y.path));
}

interface RunOptions {
  quarter: string;
  at?: string;
  confirm?: boolean;
  base?: string;
}

async function applyReview(opts: RunOptions, cmd: Command, io: Io): Promise<number> {
  const { root } = cmd.optsWithGlobals<GlobalOptions>();
  const p = await prepare(root, opts.at, io);
  if (!p) return 1;
  const revocations = decidedRevocations(p.index, opts.quarter);
  io.out(
    `Access review ${opts.quarter}: ${revocations.length} item${revocations.length === 1 ? '' : 's'} decided revoke in the merged files.\n`,
  );
  return remediate(p, opts, cmd, io, 'decided', revocations, []);
}

async function due(opts: RunOptions, cmd: Command, io: Io): Promise<number> {
  const { root } = cmd.optsWithGlobals<GlobalOptions>();
  const p = await prepare(root, opts.at, io);
  if (!p) return 1;
  const campaign = p.index.repo.reviews.campaigns.find((c) => c.value.quarter === opts.quarter)?.value;
  if (!campaign) {
    io.err(`jml review due: no campaign reviews/${opts.quarter}/campaign.yaml on this branch.\n`);
    return 1;
  }
  const gh = await githubIfConfigured();
  const merged = reviewFilesOf(p.index, opts.quarter);
  const files: (FileAtDue & { pr?: number })[] = [];
  const missing: string[] = [];
  for (const r of campaign.reviewers) {
    const m = merged.find((f) => f.path === r.file);
    const name = path.basename(r.file, '.yaml');
    const pr = gh ? await openPullRequest(gh, `jml/review/${opts.quarter}/${name}`) : undefined;
    if (m && !pr) {
      files.push({ ...m, merged: true });
      continue;
    }
    const text = gh && pr ? await gh.client.fileAt(gh.owner, gh.repo, r.file, pr.headSha) : undefined;
    const parsed = text === undefined ? undefined : readReviewText(r.file, text);
    if (!parsed?.value || text === undefined) {
      if (m) files.push({ ...m, merged: true });
      else missing.push(r.file);
      continue;
    }
    files.push({
      path: r.file,
      file: parsed.value,
      merged: false,
      lineOf: (i) => locate({ path: r.file, text }, ['items', i]).line,
      ...(pr ? { pr: pr.number } : {}),
    });
  }
  const dueStart = p.index.clock.dayStart(campaign.due);
  const loginOf = (id: string) => p.index.people.get(id)?.value.github;

  // --- before the due date: reminders ----------------------------------------------------------
  if (p.at < dueStart) {
    const left = daysLeft(p.at, dueStart);
    io.out(`Access review ${opts.quarter}: due ${campaign.due}, ${left} day${left === 1 ? '' : 's'} left.\n`);
    let failed = false;
    for (const f of files) {
      const body = reminderBody(campaign, f, left, loginOf(f.file.reviewer));
      const pending = f.file.items.filter((i) => i.decision === 'pending').length;
      if (f.merged || f.pr === undefined || !body) {
        io.out(`  ${f.path}: ${f.merged ? 'merged' : `${pending} pending, no open pull request found`}\n`);
        continue;
      }
      if (!opts.confirm || !gh) {
        io.out(`  ${f.path}: ${pending} pending; would remind on #${f.pr}\n`);
        continue;
      }
      try {
        const r = await gh.client.upsertStickyComment(gh.owner, gh.repo, f.pr!, REMINDER_MARKER, body);
        io.out(`  ${f.path}: ${pending} pending; reminder ${r.action} on #${f.pr}\n`);
      } catch (e) {
        failed = true;
        io.out(`  ${f.path}: reminder on #${f.pr} FAILED: ${(e as Error).message}\n`);
      }
    }
    for (const m of missing) io.out(`  ${m}: neither merged nor in an open pull request\n`);
    if (!opts.confirm) io.out('Dry run: add --confirm to comment.\n');
    return failed ? 1 : 0;
  }

  // --- at or after the due date: the no-response policy ----------------------------------------
  if (missing.length) {
    for (const m of missing)
      io.err(
        `jml review due: ${m} is neither merged nor readable from an open pull request; its items cannot be handled.\n`,
      );
  }
  const nr = noResponse(campaign, files);
  io.out(
    `Access review ${opts.quarter}: due ${campaign.due} has passed; ${nr.revoke.length + nr.keep.length} undecided item(s): ` +
      `${nr.revoke.length} to revoke, ${nr.keep.length} kept with a finding (noResponse ${campaign.noResponse}, high-risk ${campaign.highRiskNoResponse}).\n`,
  );
  const code = await remediate(
    p,
    opts,
    cmd,
    io,
    'no-response',
    nr.revoke,
    nr.keep.map((k) => k.item.id),
  );
  return missing.length ? 1 : code;
}

/** The oldest open pull request from `branch`, with its head. */
async function openPullRequest(gh: GitHubAccess<Pick<GitHubClient, 'octokit'>>, branch: string) {
  const res = await gh.client.octokit.rest.pulls.list({
    owner: gh.owner,
    repo: gh.repo,
    head: `${gh.owner}:${branch}`,
    state: 'open',
    per_page: 100,
  });
  const pr = res.data.sort((a, b) => a.number - b.number)[0];
  return pr ? { number: pr.number, headSha: pr.head.sha } : undefined;
}

/**
 * Makes the revocations happen (orphaned grants on the providers, exceptions and role templates
 * by pull request), records what was settled, and skips what an earlier record settled.
 */
async function remediate(
  p: Prepared,
  opts: RunOptions,
  cmd: Command,
  io: Io,
  reason: 'decided' | 'no-response',
  revocations: Revocation[],
  keep: string[],
): Promise<number> {
  const q = opts.quarter;
  const recordDir = recordsDir(p.root, p.index);
  const read = readRecords(recordDir);
  for (const bad of read.problems)
    io.err(`Note: ${path.relative(p.root, path.join(recordDir, bad.file))} ${bad.problem}; left out.\n`);
  const settled = settledItems(reviewRecords(read.records, q));
  const rem = planRemediation(p.index, q, revocations, await readActual(p), settled);
  const kept = keep.filter((id) => !settled.has(id));
  const lines: string[] = [];
  for (const c of rem.changes)
    lines.push(`  revoke on ${c.provider}: ${c.login} ${c.entitlement} (orphaned grant)`);
  for (const e of rem.exceptions)
    lines.push(
      `  end exception ${e.id}: delete ${e.path} by pull request (${e.items.map((r) => r.item.id).join(', ')})`,
    );
  for (const t of rem.templates)
    lines.push(
      `  role template ${t.role}: remove ${t.entitlements.join(', ')} from ${t.path} by pull request for ${t.owner} (${t.items.map((r) => r.item.id).join(', ')})`,
    );
  for (const id of kept) lines.push(`  keep ${id}: nobody decided it (a finding)`);
  for (const s of rem.skipped) lines.push(`  skip ${s.item.id}: ${s.why}`);
  io.out(lines.length ? `${lines.join('\n')}\n` : '  Nothing to do.\n');
  if (!opts.confirm) {
    io.out('Dry run: add --confirm to apply.\n');
    return 0;
  }
  const settledNow: NonNullable<ApplyRecord['review']>['items'] = kept.map((id) => ({ id, outcome: 'kept' }));
  let failed = false;

  // --- git: exceptions end, role templates change, by pull request ------------------------------
  const gh = await githubIfConfigured();
  if ((rem.exceptions.length || rem.templates.length) && !gh) {
    io.out(
      '  No GitHub (GITHUB_TOKEN, GITHUB_REPOSITORY): open these pull requests by hand; not recorded.\n',
    );
  }
  if (gh) {
    const base = baseBranch(opts.base);
    const labels = REVIEW_LABELS(q);
    if (rem.exceptions.length) {
      try {
        const r = await gh.client.proposeDeletion(gh.owner, gh.repo, {
          branch: `jml/review/${q}/exceptions`,
          base,
          paths: rem.exceptions.map((e) => e.path),
          title: `Access review ${q}: end ${rem.exceptions.map((e) => e.id).join(', ')}`,
          body: exceptionsBody(q, rem.exceptions),
          labels,
        });
        if (r.pullRequest) {
          for (const e of rem.exceptions)
            for (const x of e.items)
              settledNow.push({ id: x.item.id, outcome: 'proposed', pullRequest: r.pullRequest.url });
          io.out(`  exceptions: pull request #${r.pullRequest.number} ${r.action}: ${r.pullRequest.url}\n`);
        }
      } catch (e) {
        failed = true;
        io.out(`  exceptions: FAILED: ${(e as Error).message}\n`);
      }
    }
    for (const t of rem.templates) {
      const owner = p.index.people.get(t.owner)?.value.github;
      const branch = `jml/review/${q}/role-${t.role}`;
      try {
        // A pull request already open for this template keeps what it removes: more is removed on top.
        const onBranch = await gh.client.fileAt(gh.owner, gh.repo, t.path, branch);
        const content = onBranch === undefined ? t.text : withoutEntitlements(onBranch, t.entitlements);
        const reviewers =
          owner && (await gh.client.permissionOf(gh.owner, gh.repo, owner)) !== 'none' ? [owner] : [];
        const r = await gh.client.proposeFileChanges(gh.owner, gh.repo, {
          branch,
          base,
          title: `Access review ${q}: should ${t.role} grant ${t.entitlements.join(', ')}?`,
          body: templateBody(q, t, t.owner),
          message: `Access review ${q}: remove ${t.entitlements.join(', ')} from role ${t.role}`,
          labels,
          reviewers,
          files: [{ path: t.path, content }],
        });
        for (const x of t.items)
          settledNow.push({ id: x.item.id, outcome: 'proposed', pullRequest: r.pullRequest.url });
        io.out(`  role ${t.role}: pull request #${r.pullRequest.number} ${r.action}: ${r.pullRequest.url}\n`);
      } catch (e) {
        failed = true;
        io.out(`  role ${t.role}: FAILED: ${(e as Error).message}\n`);
      }
    }
  }

  // --- providers: orphaned grants revoked now, with the guards ----------------------------------
  let recordFile: string | undefined;
  let record: ApplyRecord | undefined;
  if (rem.changes.length) {
    const outcome = await runApply({
      providers: p.providers,
      policy: p.index.policy,
      flags: { allowMassRemoval: false, allowMassDisable: false, allowDelete: false },
      readActual: () => readActual(p),
      plan: (actual) => {
        const changes = planRemediation(p.index, q, revocations, actual, settled).changes;
        return { ...planFrom(p, actual), changes, reported: [], summary: { revoke: changes.length } };
      },
      recordDir,
      trigger: triggerFromEnv(cmd),
      ...(io.clock ? { now: () => new Date(io.clock!.now()) } : {}),
    });
    record = outcome.record;
    recordFile = outcome.recordFile;
    const done = new Set(
      record.changes.filter((c) => c.status === 'applied' || c.status === 'unchanged').map((c) => c.id),
    );
    for (const r of rem.revoked)
      if (done.has(revokeChangeId(r.item))) settledNow.push({ id: r.item.id, outcome: 'revoked' });
    io.out(renderApplyText(outcome, personNames(p.index), io.isTty));
    if (!['applied', 'no-changes'].includes(record.result)) failed = true;
  }
  if (settledNow.length) {
    const review = { quarter: q, reason, items: settledNow };
    if (record && recordFile) {
      // The record runApply wrote, with what it settled of the review.
      amendRecord(recordFile, (r) => ({ ...r, review }));
    } else {
      const now = toIso(io.clock ? io.clock.now() : Date.now());
      recordFile = writeRecord(recordDir, {
        schema: RECORD_SCHEMA,
        startedAt: now,
        finishedAt: now,
        trigger: triggerFromEnv(cmd),
        commit: p.commit,
        at: toIso(p.at),
        planFingerprint: null,
        result: 'no-changes',
        guards: [],
        counts: { applied: 0, unchanged: 0, failed: 0, skipped: 0 },
        changes: [],
        review,
      });
    }
    io.out(`Recorded ${settledNow.length} item(s) in ${path.relative(p.root, recordFile)}.\n`);
  }
  return failed ? 1 : 0;
}
