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
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_IDS } from '../../src/report/evidence/types.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, pointCliAt, startGitHub } from '../fakes/github/harness.js';
import { chromiumInstalled, launchChromium } from '../support/chromium.js';
import { AT, makeHistory } from './history.js';
import { pdfText } from './pdf-text.js';

const haveChromium = chromiumInstalled('the evidence page test');

let h: GitHubHarness;
let restore: () => void;
let browser: BrowserContext;
let out: string;
let code: number;
let findings: number;

beforeAll(async () => {
  if (!haveChromium) return;
  h = await startGitHub();
  restore = pointCliAt(h);
  const history = await makeHistory(h);
  out = path.join(tempDir('jml-evidence-page-'), 'pack');
  const r = await jml(history.dir, 'evidence', '--out', out, '--at', AT);
  code = r.code;
  findings = (r.out.match(/^FINDING /gm) ?? []).length;
  browser = await launchChromium();
});

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
    expect(code).toBe(2);
    expect(findings).toBeGreaterThan(0);
    const { page, console, requests } = await open('index.html');

    // The charts (charts.ts draws them; their content is tested with the pack): a mark per
    // leaver of the events table, the SLA line, and a bar per kind and month with events.
    const leavers = new Set(
      csvRows('jml-events')
        .filter((r) => r.Event === 'leaver')
        .map((r) => r.Person),
    );
    const marks = await page.$$eval('#leaver-lag circle.mark', (els) =>
      els.map((e) => e.getAttribute('data-person')),
    );
    expect(marks.length).toBeGreaterThan(1);
    for (const m of marks) expect(leavers).toContain(m);
    expect(
      await page.$$eval('#leaver-lag line.sla', (els) => els.map((e) => e.getAttribute('data-minutes'))),
    ).toContain('60');
    expect(await page.locator('#events-per-month rect.bar').count()).toBeGreaterThan(2);
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
    // Evaluated in the page (a string, so this file needs no DOM types).
    const fit = (await page.evaluate(`(() => {
      const table = document.querySelector('#jml-events-table');
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
    })()`)) as { table: number; page: number; window: number; scrollers: string[] };
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
      // The person, the day of the event (or of the run, for an event without a date of its own),
      // and the run's instant as the CSV writes it (UTC).
      const day = r['Event date'] || r['Applied at']!.slice(0, 10);
      const label = `${r.Person} ${r.Event} ${day}`;
      expect(day, label).toMatch(/^\d{4}-\d\d-\d\d/);
      expect(text, label).toContain(squeeze(r.Person!));
      expect(text, label).toContain(squeeze(day));
      expect(text, label).toContain(squeeze(r['Applied at']!));
    }
    // Printed with each artifact on a page of its own, the links written out.
    expect(text).toContain(squeeze('jml-events.csv <jml-events.csv>'));
    const starts = (id: string) => pages.findIndex((p) => squeeze(p).includes(squeeze(`Files: ${id}.md`)));
    const first = starts('jml-events');
    const next = starts('exceptions');
    expect(first).toBeGreaterThan(0);
    expect(next).toBeGreaterThan(first);
    expect(squeeze(pages[next]!).startsWith(squeeze('Access exceptions'))).toBe(true);
    // Every page the events table runs over (this history's runs over more than one) repeats its
    // header (the summary columns; the folded details are not printed: the CSV and the leaver
    // pages hold them).
    expect(next - first).toBeGreaterThan(1);
    const headers = (await page.locator('#jml-events-table thead th').allTextContents()).filter(
      (t) => t !== 'Details',
    );
    for (let i = first; i < next; i++) {
      expect(squeeze(pages[i]!), `page ${i + 1}`).toContain(squeeze(headers.join('')));
      expect(squeeze(pages[i]!), `page ${i + 1}`).not.toContain('morefields');
    }
    await page.emulateMedia({ media: 'print' });
    const printed = (await page.evaluate(`(() => ({
      sections: [...document.querySelectorAll('section.artifact')].map((e) => getComputedStyle(e).breakBefore),
      thead: getComputedStyle(document.querySelector('#jml-events-table thead')).display,
    }))()`)) as { sections: string[]; thead: string };
    expect(new Set(printed.sections)).toEqual(new Set(['page']));
    expect(printed.thead).toBe('table-header-group');
    await page.close();
  });

  it("a leaver's page renders, offline and without errors, and the leaver's row links to it", async () => {
    const { page: index } = await open('index.html');
    const links = await index.$$eval('#jml-events-table tbody tr td:first-child a', (els) =>
      els.map((e) => e.getAttribute('href')),
    );
    // Every leaver row of the events table links to its leaver's page, and the list has each once.
    const leaverRows = csvRows('jml-events').filter((r) => r.Event === 'leaver');
    expect(links).toHaveLength(leaverRows.length);
    expect(links).toContain('leavers/kevin.obrien-2026-10-30.html');
    const listed = await index.$$eval('#leavers a', (els) => els.map((e) => e.getAttribute('href')));
    expect(new Set(listed)).toEqual(new Set(links));
    expect(listed).toHaveLength(new Set(links).size);
    await index.close();
    for (const href of listed) {
      expect(existsSync(path.join(out, href!)), href!).toBe(true);
      expect(existsSync(path.join(out, href!.replace(/\.html$/, '.md'))), href!).toBe(true);
    }
    const { page, console, requests } = await open('leavers/kevin.obrien-2026-10-30.html');
    expect(await page.locator('h1').textContent()).toContain('kevin.obrien');
    expect(await page.locator('main h2').count()).toBeGreaterThan(2);
    expect(await page.locator('main table tbody tr').count()).toBeGreaterThan(2);
    expect(await page.locator('a[href="../index.html"]').count()).toBe(1);
    // Its instant as the CSV writes it (UTC), in the page printed to PDF.
    const kevin = leaverRows.find((r) => r.Person === 'kevin.obrien')!;
    const pdf = squeeze(pdfText(await page.pdf({ format: 'A4' })).join('\n'));
    expect(pdf).toContain(squeeze('kevin.obrien'));
    expect(pdf).toContain(squeeze(kevin['Applied at']!));
    expect(console).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const files = manifest.files.map((f: { path: string }) => f.path);
    for (const href of listed) expect(files).toContain(href);
  });
});
