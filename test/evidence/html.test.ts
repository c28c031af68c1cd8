/**
 * The evidence page as an auditor sees it: index.html opened from disk in headless Chromium
 * (Debian's, driven by playwright-core). Every chart has its marks, every table its rows, the
 * index links resolve, nothing is logged to the console and nothing is fetched. Made for working
 * papers: the events table fits the window (it wraps, it does not scroll), the page printed to PDF
 * holds every events row (its text read back from the PDF, test/evidence/pdf-text.ts), and a
 * leaver's page renders and is linked from the leaver's row.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REAL_CLOCK } from '../../src/apply/leaver-schedule.js';
import { githubAccess } from '../../src/cli/run-support.js';
import { writeEvidencePack } from '../../src/engine/evidence.js';
import { decisiveLeavers } from '../../src/report/evidence/jml-events.js';
import { ARTIFACT_IDS, type DetailPage, type EvidenceInput } from '../../src/report/evidence/types.js';
import { cleanTempDirs, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, pointCliAt, startGitHub } from '../fakes/github/harness.js';
import { AT, makeHistory } from './history.js';
import { pdfText } from './pdf-text.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(
    '\n\n*** chromium not found: install it with `apt-get install -y chromium` (Debian) to run the evidence page test ***\n\n',
  );
}

let h: GitHubHarness;
let restore: () => void;
let browser: BrowserContext;
let out: string;
let findings: number;

/**
 * A page per departure, as types.ts's DetailPage describes them (the pack's own builder,
 * leaver-pages.ts, fills the same shape with the whole story).
 */
function leaverPages(input: EvidenceInput): DetailPage[] {
  return [...decisiveLeavers(input).values()].map(({ file, timing: t }) => ({
    name: `leavers/${t.person}-${t.scheduledAt.slice(0, 10)}`,
    title: `Leaver: ${t.person}`,
    summary: `${t.person}: access ends ${t.scheduledAt}; ${t.withinSla ? 'within' : 'not within'} the SLA.`,
    sections: [
      {
        heading: 'The instant',
        columns: [
          { key: 'scheduledAt', header: 'Access ends' },
          { key: 'confirmedAt', header: 'Confirmed removed' },
          { key: 'slaMinutes', header: 'SLA (min)' },
          { key: 'record', header: 'Apply record' },
        ],
        rows: [
          { scheduledAt: t.scheduledAt, confirmedAt: t.confirmedAt, slaMinutes: t.slaMinutes, record: file },
        ],
      },
      { heading: 'Tickets', columns: [{ key: 'ticket', header: 'Ticket' }], rows: [], notes: ['No ticket.'] },
    ],
    findings: t.withinSla === false ? [{ artifact: 'jml-events', text: `${t.person}: SLA breach.` }] : [],
  }));
}

beforeAll(async () => {
  if (!haveChromium) return;
  h = await startGitHub();
  restore = pointCliAt(h);
  const history = await makeHistory(h);
  out = path.join(tempDir('jml-evidence-page-'), 'pack');
  const r = await writeEvidencePack(
    { clock: REAL_CLOCK, env: process.env },
    {
      root: history.dir,
      at: Date.parse(AT),
      out,
      windowMs: 90 * 86_400_000,
      github: async () => ({ access: await githubAccess() }),
      pages: leaverPages,
    },
  );
  if (!r.ok) throw new Error(`the pack was not written: ${JSON.stringify(r.refusal)}`);
  findings = r.pack.findings.length;
  // A fresh profile (--user-data-dir) for each run.
  browser = await chromium.launchPersistentContext(tempDir('jml-chromium-'), {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  restore?.();
  await h?.close();
  cleanTempDirs();
});

/** Opens a page of the pack from disk, recording console messages and every request but its own. */
async function open(file: string): Promise<{ page: Page; console: string[]; requests: string[] }> {
  const page = await browser.newPage();
  const console: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  const url = pathToFileURL(path.join(out, file)).href;
  await page.route('**/*', (route) => {
    const u = route.request().url();
    if (u === url) return route.continue();
    requests.push(u);
    return route.abort();
  });
  page.on('request', (r) => {
    if (r.url() !== url && !requests.includes(r.url())) requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, console, requests };
}

const csvRows = (id: string) =>
  parse(readFileSync(path.join(out, `${id}.csv`), 'utf8'), { columns: true }) as Record<string, string>[];

/** Text compared as printed: ligatures unfolded (NFKC), no whitespace (a cell may wrap anywhere). */
const squeeze = (s: string) => s.normalize('NFKC').replace(/\s+/g, '');

describe.skipIf(!haveChromium)('the evidence page in Chromium', () => {
  it('renders both charts with their marks and every table with its rows, offline and without errors', async () => {
    expect(findings).toBeGreaterThan(0);
    const { page, console, requests } = await open('index.html');

    // Leaver lag: one mark per leaver, the 60-minute SLA line; Liam breached, Kevin did not.
    const marks = await page.$$eval('#leaver-lag circle.mark', (els) =>
      els.map((e) => [e.getAttribute('data-person'), e.getAttribute('data-lag-minutes')]),
    );
    expect(marks).toEqual([
      ['liam.walsh', '90'],
      ['kevin.obrien', '5'],
    ]);
    expect(await page.$$eval('#leaver-lag circle.mark.breach', (els) => els.length)).toBe(1);
    expect(
      await page.$$eval('#leaver-lag line.sla', (els) => els.map((e) => e.getAttribute('data-minutes'))),
    ).toEqual(['60']);
    // Events per month: September's joiner, October's mover and two leavers.
    const bars = await page.$$eval('#events-per-month rect.bar', (els) =>
      els.map(
        (e) => `${e.getAttribute('data-month')} ${e.getAttribute('class')} ${e.getAttribute('data-count')}`,
      ),
    );
    expect(bars).toEqual(['2026-09 bar joiner 1', '2026-10 bar mover 1', '2026-10 bar leaver 2']);
    for (const id of ['leaver-lag', 'events-per-month']) {
      const box = await page.locator(`#${id}`).boundingBox();
      expect(box!.width, id).toBeGreaterThan(300);
      expect(box!.height, id).toBeGreaterThan(150);
    }

    // Every table has the rows of its CSV, and the index links every section.
    for (const id of ARTIFACT_IDS) {
      const rows = csvRows(id);
      expect(await page.locator(`#${id}-table tbody tr`).count(), id).toBe(rows.length);
      // This history has no day-one issue: that section is empty.
      if (id !== 'day-one' && id !== 'access-reviews') expect(rows.length, id).toBeGreaterThan(0);
      await expect(page.locator(`nav a[href="#${id}"]`).count()).resolves.toBe(1);
      expect(await page.locator(`section#${id} h2`).isVisible(), id).toBe(true);
    }
    expect(await page.locator('#terminated-accounts-table tr.finding').count()).toBe(1);

    // The findings come first: every one of them, before the index and the charts.
    expect(await page.locator('#findings li').count()).toBe(findings);
    const order = await page.$$eval('#findings, nav, #charts', (els) => els.map((e) => e.id || e.tagName));
    expect(order).toEqual(['findings', 'NAV', 'charts']);

    expect(console).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });

  it('the events table wraps instead of scrolling: it fits a 1024-pixel window, one row per event', async () => {
    const { page } = await open('index.html');
    await page.setViewportSize({ width: 1024, height: 768 });
    const fit = await page.evaluate(() => {
      const table = document.querySelector('#jml-events-table') as HTMLTableElement;
      const scrollers = [...document.querySelectorAll('*')].filter((e) => {
        const s = getComputedStyle(e);
        return /auto|scroll/.test(s.overflowX + s.overflowY) && e !== document.documentElement;
      });
      return {
        table: table.getBoundingClientRect().right,
        page: document.documentElement.scrollWidth,
        window: document.documentElement.clientWidth,
        scrollers: scrollers.map((e) => e.tagName),
      };
    });
    expect(fit.table).toBeLessThanOrEqual(fit.window);
    expect(fit.page).toBeLessThanOrEqual(fit.window);
    expect(fit.scrollers).toEqual([]);
    // One <tr> per event; with summary columns the rest is folded into the row's <details>.
    const summary = await page.locator('#jml-events-table thead th').allTextContents();
    const rows = csvRows('jml-events');
    expect(await page.locator('#jml-events-table > tbody > tr').count()).toBe(rows.length);
    if (summary.at(-1) === 'Details')
      expect(await page.locator('#jml-events-table > tbody > tr > td > details').count()).toBe(rows.length);
    await page.close();
  });

  it("printed to PDF, the page holds every events row's person and date", async () => {
    const { page } = await open('index.html');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    const pages = pdfText(pdf);
    expect(pages.length).toBeGreaterThan(ARTIFACT_IDS.length);
    const text = squeeze(pages.join('\n'));
    const rows = csvRows('jml-events');
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const r of rows) {
      const label = `${r.Person} ${r['Event date']}`;
      expect(text, label).toContain(squeeze(r.Person!));
      expect(r['Event date'], label).toMatch(/^\d{4}-\d\d-\d\d/);
      expect(text, label).toContain(squeeze(r['Event date']!));
      // Its apply instant too, as the CSV writes it (UTC).
      expect(text, label).toContain(squeeze(r['Applied at']!));
    }
    // Printed with each artifact on a page of its own, the links written out.
    expect(text).toContain(squeeze('jml-events.csv <jml-events.csv>'));
    await page.close();
  });

  it("a leaver's page renders, offline and without errors, and the leaver's row links to it", async () => {
    const { page: index } = await open('index.html');
    const links = await index.$$eval('#jml-events-table tbody tr td:first-child a', (els) =>
      els.map((e) => e.getAttribute('href')),
    );
    expect(links).toEqual([
      'leavers/liam.walsh-2026-10-15.html',
      'leavers/kevin.obrien-2026-10-30.html',
      'leavers/liam.walsh-2026-10-15.html',
    ]);
    expect(await index.$$eval('#leavers a', (els) => els.map((e) => e.getAttribute('href')))).toEqual([
      'leavers/liam.walsh-2026-10-15.html',
      'leavers/kevin.obrien-2026-10-30.html',
    ]);
    await index.close();
    const { page, console, requests } = await open('leavers/kevin.obrien-2026-10-30.html');
    expect(await page.locator('h1').textContent()).toBe('Leaver: kevin.obrien');
    expect(await page.locator('main h2').allTextContents()).toEqual(['The instant', 'Tickets']);
    expect(await page.locator('#section-1-table tbody tr').count()).toBe(1);
    expect(await page.locator('a[href="../index.html"]').count()).toBe(1);
    expect(existsSync(path.join(out, 'leavers/kevin.obrien-2026-10-30.md'))).toBe(true);
    const pdf = pdfText(await page.pdf({ format: 'A4' })).join('\n');
    expect(squeeze(pdf)).toContain(squeeze('2026-10-30T21:00:00Z'));
    expect(console).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain(
      'leavers/kevin.obrien-2026-10-30.html',
    );
  });
});
