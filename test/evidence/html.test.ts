/**
 * The evidence page as an auditor sees it: index.html opened from disk in headless Chromium
 * (Debian's, driven by playwright-core). Every chart has its marks, every table its rows, the
 * index links resolve, nothing is logged to the console and nothing is fetched.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACT_IDS } from '../../src/report/evidence/types.js';
import { cleanTempDirs, jml, tempDir } from '../engine/helpers.js';
import { type GitHubHarness, pointCliAt, startGitHub } from '../fakes/github/harness.js';
import { AT, makeHistory } from './history.js';

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
let code: number;

beforeAll(async () => {
  if (!haveChromium) return;
  h = await startGitHub();
  restore = pointCliAt(h);
  const history = await makeHistory(h);
  out = path.join(tempDir('jml-evidence-page-'), 'pack');
  code = (await jml(history.dir, 'evidence', '--out', out, '--at', AT)).code;
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

describe.skipIf(!haveChromium)('the evidence page in Chromium', () => {
  it('renders both charts with their marks and every table with its rows, offline and without errors', async () => {
    expect(code).toBe(2);
    const page = await browser.newPage();
    const console: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    const url = pathToFileURL(path.join(out, 'index.html')).href;
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

    // Leaver lag: one mark per leaver, the 60-minute SLA line; Liam breached, Kevin did not.
    const marks = await page.$$eval('#leaver-lag circle.mark', (els) =>
      els.map((e) => [
        e.getAttribute('data-person'),
        e.getAttribute('class'),
        e.getAttribute('data-lag-minutes'),
      ]),
    );
    expect(marks).toEqual([
      ['liam.walsh', 'mark breach', '90'],
      ['kevin.obrien', 'mark within', '5'],
    ]);
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
      const rows = parse(readFileSync(path.join(out, `${id}.csv`), 'utf8'), { columns: true }) as unknown[];
      expect(await page.locator(`#${id}-table tbody tr`).count(), id).toBe(rows.length);
      // This history has no access review campaign and no day-one issue: those sections are empty.
      if (id !== 'access-reviews' && id !== 'day-one') expect(rows.length, id).toBeGreaterThan(0);
      await expect(page.locator(`nav a[href="#${id}"]`).count()).resolves.toBe(1);
      expect(await page.locator(`section#${id} h2`).isVisible(), id).toBe(true);
    }
    expect(await page.locator('#terminated-accounts-table tr.finding').count()).toBe(1);

    expect(console).toEqual([]);
    expect(requests).toEqual([]);
    await page.close();
  });
});
