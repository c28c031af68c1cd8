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
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import writeFileAtomic from 'write-file-atomic';
import type { GitHubClient } from '../github/client.js';
import type { Located, SourceFile } from '../load/source.js';
import type { ReviewCampaign } from '../model/schema.js';
import { CODEOWNERS_FILE, generateCodeowners } from '../report/codeowners.js';
import type { RepoIndex } from '../resolve/repo-index.js';
import { buildCampaign, type Campaign, isQuarter } from '../review/start.js';
import type { GlobalOptions, Io } from './main.js';
import { prepare, readActual } from './pipeline.js';

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
  review
    .command('start')
    .description(
      'Read every provider and write reviews/<quarter>/: the campaign and one file per reviewer; with GitHub, one pull request per file. Exit 0 done, 1 error.',
    )
    .requiredOption('--quarter <quarter>', 'the quarter, like 2027-Q1')
    .option('--at <instant>', 'the instant the state is read as of (default now)')
    .option('--due <date>', 'the due date, YYYY-MM-DD (default: reviews.dueDays from --at)')
    .option('--dry-run', 'print what would be written; change nothing')
    .option('--base <branch>', 'branch the pull requests target (default: GITHUB_REF_NAME, else main)')
    .action(async (opts: StartOptions, cmd: Command) => {
      setExit(await start(opts, cmd, io));
    });
}

async function start(opts: StartOptions, cmd: Command, io: Io): Promise<number> {
  const { root: rootOpt } = cmd.optsWithGlobals<GlobalOptions>();
  if (!isQuarter(opts.quarter)) {
    io.err(`jml review start: --quarter must be written YYYY-Qn, like 2027-Q1 (got ${opts.quarter}).\n`);
    return 1;
  }
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
  if (process.env.GITHUB_TOKEN && process.env.GITHUB_REPOSITORY) {
    const { clientFromEnv, repositoryFromEnv } = await import('../github/event.js');
    const client = clientFromEnv();
    const { owner, repo } = repositoryFromEnv();
    const base = opts.base ?? (process.env.GITHUB_REF_NAME || 'main');
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
  client: GitHubClient,
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
