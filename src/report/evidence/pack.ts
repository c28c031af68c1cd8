/**
 * The pack: builds the artifacts from the gathered input, renders each as Markdown and CSV, the
 * page (index.html), one page per sampled leaver (leavers/<name>.md and .html), and manifest.json:
 * every file with its SHA-256, the repository commit, the window, the zone convention, the
 * generation time, and `digest`, the SHA-256 of the manifest itself (verify.ts), which the evidence
 * workflow keeps outside the pack so that an edited file with a regenerated manifest is caught.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { byCodePoint } from '../../model/order.js';
import { buildAccessReviews } from './access-reviews.js';
import { eventsPerMonthChart, leaverLagChart } from './charts.js';
import { iso } from './common.js';
import { buildDayOne } from './day-one.js';
import { buildExceptions } from './exceptions.js';
import { type PageLink, renderIndexHtml, renderPageHtml } from './html.js';
import { buildJmlEvents, eventsPerMonth, leaverMarks } from './jml-events.js';
import { buildPages } from './pages.js';
import { buildPolicy } from './policy.js';
import { renderCsv, renderMarkdown, renderPageMarkdown, utcInstants, zoneStatement } from './render.js';
import { buildRoles } from './roles.js';
import { buildSaasInventory } from './saas-inventory.js';
import { buildTerminatedAccounts } from './terminated-accounts.js';
import type { Artifact, DetailPage, EvidenceInput, Finding, Row } from './types.js';
import { isPackPath, MANIFEST_FILE, MANIFEST_SCHEMA, manifestDigest, sha256 } from './verify.js';

export function buildArtifacts(input: EvidenceInput): Artifact[] {
  return [
    buildPolicy(input),
    buildRoles(input),
    buildJmlEvents(input),
    buildExceptions(input),
    buildTerminatedAccounts(input),
    buildSaasInventory(input),
    buildAccessReviews(input),
    buildDayOne(input),
  ];
}

/** `../` as many times as `name` has folders: the way back to the pack's root from its page. */
function up(name: string): string {
  return '../'.repeat(name.split('/').length - 1);
}

/**
 * The page of an events row, when it has one: the row's own `page` (a page name) when a builder
 * set it, else the leaver's page by person, and by the day of its end instant when the person
 * left more than once.
 */
export function pageOfRow(r: Row, pages: DetailPage[]): DetailPage | undefined {
  if (typeof r.page === 'string') return pages.find((p) => p.name === r.page);
  if (r.event !== 'leaver' || typeof r.person !== 'string') return undefined;
  const mine = pages.filter((p) => p.name.startsWith(`leavers/${r.person}-`));
  if (mine.length <= 1) return mine[0];
  const days = [r.scheduledAt, r.eventDate]
    .filter((v): v is string => typeof v === 'string')
    .map((v) => utcInstants(v).slice(0, 10));
  return mine.find((p) => days.some((d) => p.name.endsWith(`-${d}`)));
}

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface PackResult {
  files: ManifestFile[];
  findings: Finding[];
  artifacts: Artifact[];
  pages: DetailPage[];
  /** The manifest's digest (sha256 hex): what the evidence workflow keeps on the evidence branch. */
  digest: string;
}

/** Every file of the pack but the manifest, by path, and what the pack holds. */
function renderPack(
  input: EvidenceInput,
  generatedAt: Date,
  pages: DetailPage[] = [],
): { files: Map<string, string>; artifacts: Artifact[] } {
  const artifacts = buildArtifacts(input);
  const zone = input.index.policy.timezone;
  const organisation = input.index.policy.organisation.name;
  const names = new Set<string>();
  for (const p of pages) {
    if (!isPackPath(`${p.name}.md`) || !p.name.includes('/'))
      throw new Error(
        `A detail page is named ${JSON.stringify(p.name)}: it must be a path like leavers/<name>.`,
      );
    if (names.has(p.name)) throw new Error(`Two detail pages are named ${p.name}.`);
    names.add(p.name);
  }
  const leaverPages = pages.filter((p) => p.name.startsWith('leavers/'));
  const out = new Map<string, string>();
  for (const a of artifacts) {
    const events = a.id === 'jml-events';
    out.set(
      `${a.id}.md`,
      renderMarkdown(a, {
        zone,
        ...(events
          ? {
              rowPage: (r: Row) => {
                const p = pageOfRow(r, pages);
                return p ? `${p.name}.md` : undefined;
              },
              pages: {
                heading: 'Leaver pages',
                list: leaverPages.map((p) => ({ href: `${p.name}.md`, title: p.title, summary: p.summary })),
              },
            }
          : {}),
      }),
    );
    out.set(`${a.id}.csv`, renderCsv(a));
  }
  for (const p of pages) {
    out.set(`${p.name}.md`, renderPageMarkdown(p, { zone, index: `${up(p.name)}index.html` }));
    out.set(`${p.name}.html`, renderPageHtml(p, { organisation, zone, index: `${up(p.name)}index.html` }));
  }
  const leavers: PageLink[] = leaverPages.map((p) => ({
    href: `${p.name}.html`,
    title: p.title,
    summary: p.summary,
  }));
  out.set(
    'index.html',
    renderIndexHtml(
      {
        organisation,
        commit: input.commit,
        since: iso(input.since),
        at: iso(input.at),
        generatedAt: generatedAt.toISOString(),
        zone,
      },
      artifacts,
      { lag: leaverLagChart(leaverMarks(input)), events: eventsPerMonthChart(eventsPerMonth(input)) },
      {
        leavers,
        rowPage: (a, r) => {
          if (a.id !== 'jml-events') return undefined;
          const p = pageOfRow(r, pages);
          return p ? `${p.name}.html` : undefined;
        },
      },
    ),
  );
  return { files: out, artifacts };
}

/** The manifest for the files written, with its digest. */
function buildManifest(
  input: EvidenceInput,
  generatedAt: Date,
  files: ManifestFile[],
  findings: Finding[],
  pages: number,
): Record<string, unknown> & { digest: string } {
  const zone = input.index.policy.timezone;
  const manifest: Record<string, unknown> = {
    schema: MANIFEST_SCHEMA,
    organisation: input.index.policy.organisation.name,
    commit: input.commit,
    window: { since: utcInstants(iso(input.since)), until: utcInstants(iso(input.at)) },
    generatedAt: utcInstants(generatedAt.toISOString()),
    time: { dates: zone, instants: 'UTC', statement: zoneStatement(zone) },
    github: input.githubGaps.length === 0 ? 'read' : input.githubGaps,
    providers: input.actual.map((s) => ({ provider: s.provider, simulated: s.simulated })),
    records: input.records.length,
    findings: findings.map((f) => `${f.artifact}: ${utcInstants(f.text)}`),
    pages,
    files,
  };
  return { ...manifest, digest: manifestDigest(manifest) };
}

/**
 * The files an earlier pack in `dir` listed (its manifest.json), removed so that a pack written
 * over it holds no stale page: nothing else in `dir` is touched.
 */
function removeEarlierPack(dir: string): void {
  const manifest = path.join(dir, MANIFEST_FILE);
  if (!existsSync(manifest)) return;
  let listed: unknown;
  try {
    listed = (JSON.parse(readFileSync(manifest, 'utf8')) as { files?: unknown }).files;
  } catch {
    return;
  }
  if (!Array.isArray(listed)) return;
  for (const f of listed) {
    const p = (f as { path?: unknown } | null)?.path;
    if (typeof p !== 'string' || !isPackPath(p) || p === MANIFEST_FILE) continue;
    try {
      rmSync(path.join(dir, ...p.split('/')), { force: true });
    } catch {
      // A directory where a file was: left for the verifier to report.
    }
  }
}

/** Writes the pack into `dir`: the artifacts, the pages (default: a page per leaver), the manifest. */
export function writePack(
  dir: string,
  input: EvidenceInput,
  generatedAt: Date,
  pages: DetailPage[] = buildPages(input),
): PackResult {
  const { files: out, artifacts } = renderPack(input, generatedAt, pages);
  const findings = artifacts.flatMap((a) => a.findings).map((f) => ({ ...f, text: utcInstants(f.text) }));
  mkdirSync(dir, { recursive: true });
  removeEarlierPack(dir);
  const files: ManifestFile[] = [];
  for (const [name, text] of [...out].sort(([a], [b]) => byCodePoint(a, b))) {
    const file = path.join(dir, ...name.split('/'));
    mkdirSync(path.dirname(file), { recursive: true });
    const bytes = Buffer.from(text, 'utf8');
    writeFileSync(file, bytes);
    files.push({ path: name, sha256: sha256(bytes), bytes: bytes.length });
  }
  const manifest = buildManifest(input, generatedAt, files, findings, pages.length);
  writeFileSync(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return { files, findings, artifacts, pages, digest: manifest.digest };
}
