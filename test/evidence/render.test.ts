/**
 * The pack's renderings (render.ts, html.ts): a CSV cell a spreadsheet would run as a formula is
 * neutralised (OWASP), every instant in every format is written in UTC with the zone stated once
 * per artifact, and a page per leaver is written, listed and linked.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderIndexHtml, renderPageHtml } from '../../src/report/evidence/html.js';
import { pageOfRow } from '../../src/report/evidence/pack.js';
import {
  cellText,
  csvCell,
  renderCsv,
  renderMarkdown,
  renderPageMarkdown,
  utcInstants,
} from '../../src/report/evidence/render.js';
import type { Artifact, DetailPage } from '../../src/report/evidence/types.js';
import { cleanTempDirs } from '../engine/helpers.js';
import { makeFixturePack, withoutGitHubEnv } from './fixture-pack.js';

const FORMULA = '=HYPERLINK("http://x","y")';
let pack: string;

withoutGitHubEnv();
beforeAll(async () => {
  const made = await makeFixturePack('jml-evidence-render-', (repo) => {
    const file = path.join(repo, 'exceptions/EXC-0003.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(/^justification: .*$/m, `justification: ${JSON.stringify(FORMULA)}`),
    );
  });
  pack = made.out;
});
afterAll(cleanTempDirs);

const artifact = (rows: Artifact['rows'], extra: Partial<Artifact> = {}): Artifact => ({
  id: 'jml-events',
  title: 'Joiner, mover and leaver events',
  proves: 'Proves.',
  columns: Object.keys(rows[0] ?? { a: 1 }).map((key) => ({ key, header: key })),
  rows,
  notes: [],
  findings: [],
  ...extra,
});

describe('CSV formula neutralisation (OWASP CSV injection)', () => {
  it('a justification =HYPERLINK(...) comes out neutralised in exceptions.csv', () => {
    const text = readFileSync(path.join(pack, 'exceptions.csv'), 'utf8');
    expect(text).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(text).not.toMatch(/(^|,)=HYPERLINK/m);
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.find((r) => r.Exception === 'EXC-0003')!.Justification).toBe(`'${FORMULA}`);
    // Markdown and HTML show the text as it is, escaped as they escape everything.
    expect(readFileSync(path.join(pack, 'exceptions.md'), 'utf8')).toContain(`| ${FORMULA} |`);
    expect(readFileSync(path.join(pack, 'index.html'), 'utf8')).toContain(
      '=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)',
    );
  });

  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1+cmd|x', "'-1+cmd|x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tx', "'\tx"],
    ['\rx', "'\rx"],
    ['plain', 'plain'],
    ['a=b', 'a=b'],
  ])('a text cell %j is written as %j', (cell, written) => {
    expect(csvCell(cell)).toBe(written);
  });

  it('a negative number stays a number, unquoted; the same characters as text are neutralised', () => {
    const csv = renderCsv(artifact([{ lag: -5, note: '-5' }]));
    expect(csv).toBe(`lag,note\n-5,"'-5"\n`);
  });
});

describe('one zone convention', () => {
  it.each([
    ['2026-10-30T21:00:00-05:00', '2026-10-31T02:00:00Z'],
    ['2026-10-30T21:00:00.000Z', '2026-10-30T21:00:00Z'],
    ['2026-10-30T21:00:00.999Z', '2026-10-30T21:00:00Z'],
    ['2026-10-30T21:00-04:00', '2026-10-31T01:00:00Z'],
    ['2026-10-30T21:00:00+0530', '2026-10-30T15:30:00Z'],
    ['confirmed at 2026-10-15T22:30:00.000Z.', 'confirmed at 2026-10-15T22:30:00Z.'],
    ['2026-08-25T15:00:00Z; 2026-08-25T10:30:00-05:00', '2026-08-25T15:00:00Z; 2026-08-25T15:30:00Z'],
    // Not instants: a date, a date-time with no zone, a record's file name, an impossible time.
    ['2026-09-08', '2026-09-08'],
    ['2026-09-08T09:00:00', '2026-09-08T09:00:00'],
    ['2026-10-15T22-29-00-000Z-late-applied.json', '2026-10-15T22-29-00-000Z-late-applied.json'],
    ['2026-02-30T10:00:00Z', '2026-02-30T10:00:00Z'],
  ])('%j is written %j', (text, written) => {
    expect(utcInstants(text)).toBe(written);
  });

  it('event rows that mix -05:00 and Z come out alike in CSV, Markdown and HTML', () => {
    const a = artifact([
      {
        person: 'emma',
        appliedAt: '2026-10-30T21:05:00.000Z',
        endsAt: '2026-10-30T17:00:00-04:00',
        day: '2026-10-30',
      },
    ]);
    const csv = renderCsv(a);
    const md = renderMarkdown(a, { zone: 'America/New_York' });
    const html = renderIndexHtml(
      {
        organisation: 'Acme',
        commit: null,
        since: '2026-08-01T00:00:00.000Z',
        at: '2026-11-01T00:00:00.000Z',
        generatedAt: '2026-11-01T00:00:01.123Z',
        zone: 'America/New_York',
      },
      [a],
      { lag: '', events: '' },
    );
    // (HTML lets an instant break between its date and its time: a <wbr>, no text.)
    for (const text of [csv, md, html.replaceAll('<wbr>', '')]) {
      expect(text).toContain('2026-10-30T21:05:00Z');
      expect(text).toContain('2026-10-30T21:00:00Z');
      expect(text).toContain('2026-10-30');
      expect(text).not.toMatch(/T\d\d:\d\d:\d\d(\.\d+|[+-]\d\d:\d\d)/);
    }
    expect(md).toContain('_Dates are in America/New_York; instants in UTC (YYYY-MM-DDTHH:MM:SSZ)._');
    expect(html).toContain('Dates are in America/New_York; instants in UTC');
    expect(cellText('2026-10-30T17:00:00-04:00')).toBe('2026-10-30T21:00:00Z');
  });

  it('every file of a real pack writes its instants in UTC and each artifact states the zone', () => {
    for (const f of readdirSync(pack)) {
      const text = readFileSync(path.join(pack, f), 'utf8');
      if (f === 'manifest.json') continue;
      expect(text, f).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?([+-]\d\d:?\d\d)/);
      expect(text, f).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/);
      if (f.endsWith('.md') || f.endsWith('.html'))
        expect(text, f).toContain('Dates are in America/New_York; instants in UTC');
    }
    const manifest = JSON.parse(readFileSync(path.join(pack, 'manifest.json'), 'utf8'));
    expect(manifest.window).toEqual({ since: '2026-09-02T12:00:00Z', until: '2026-12-01T12:00:00Z' });
    expect(manifest.time.statement).toBe(
      'Dates are in America/New_York; instants in UTC (YYYY-MM-DDTHH:MM:SSZ).',
    );
  });
});

/** A leaver's page as H3's builder makes them (types.ts DetailPage). */
function leaverPage(person: string, day: string): DetailPage {
  return {
    name: `leavers/${person}-${day}`,
    title: `Leaver ${person}`,
    summary: `${person} left at ${day}T17:00:00-05:00: access removed within the SLA.`,
    sections: [
      {
        heading: 'The request',
        columns: [
          { key: 'pullRequest', header: 'Pull request' },
          { key: 'mergedAt', header: 'Merged at' },
        ],
        rows: [{ pullRequest: '#12', mergedAt: `${day}T10:00:00.000Z` }],
      },
      {
        heading: 'Tickets',
        columns: [{ key: 'ticket', header: 'Ticket' }],
        rows: [],
        notes: ['No ticket: every app is SSO.'],
      },
    ],
    findings: [],
  };
}

describe('the page per leaver', () => {
  it('renders as Markdown and HTML with its sections, the zone and the way back to the index', () => {
    const page = leaverPage('kevin.obrien', '2026-10-30');
    const md = renderPageMarkdown(page, { zone: 'America/New_York', index: '../index.html' });
    expect(md).toContain('# Leaver kevin.obrien');
    expect(md).toContain('kevin.obrien left at 2026-10-30T22:00:00Z');
    expect(md).toContain('## The request');
    expect(md).toContain('| #12 | 2026-10-30T10:00:00Z |');
    expect(md).toContain('> No ticket: every app is SSO.');
    expect(md).toContain('[evidence pack](../index.html)');
    const html = renderPageHtml(page, {
      organisation: 'Acme',
      zone: 'America/New_York',
      index: '../index.html',
    });
    expect(html).toContain('<h2>The request</h2>');
    expect(html).toContain('<a href="../index.html">index</a>');
    expect(html).toContain('Content-Security-Policy');
    expect(html).not.toContain('<script');
  });

  it("an events row finds its leaver's page by person, and by the end day when the person left twice", () => {
    const pages = [
      leaverPage('liam.walsh', '2026-10-15'),
      leaverPage('liam.walsh', '2027-02-01'),
      leaverPage('kevin.obrien', '2026-10-30'),
    ];
    expect(pageOfRow({ person: 'kevin.obrien', event: 'leaver' }, pages)?.name).toBe(
      'leavers/kevin.obrien-2026-10-30',
    );
    expect(
      pageOfRow({ person: 'liam.walsh', event: 'leaver', scheduledAt: '2027-02-01T17:00:00.000Z' }, pages)
        ?.name,
    ).toBe('leavers/liam.walsh-2027-02-01');
    expect(pageOfRow({ person: 'kevin.obrien', event: 'joiner' }, pages)).toBeUndefined();
    expect(
      pageOfRow({ person: 'x', event: 'joiner', page: 'leavers/kevin.obrien-2026-10-30' }, pages)?.name,
    ).toBe('leavers/kevin.obrien-2026-10-30');
  });

  it('the index folds the columns outside summary into the row, and links the leaver page from the row', () => {
    const a = artifact(
      [
        {
          person: 'kevin.obrien',
          event: 'leaver',
          date: '2026-10-30',
          approvers: 'cmendez',
          record: 'r.json',
        },
        {
          person: 'noah.fischer',
          event: 'joiner',
          date: '2026-09-08',
          approvers: 'tnovak',
          record: 's.json',
        },
      ],
      { summary: ['person', 'event', 'date'] },
    );
    const pages = [leaverPage('kevin.obrien', '2026-10-30')];
    const html = renderIndexHtml(
      {
        organisation: 'Acme',
        commit: 'abc',
        since: '2026-08-01T00:00:00Z',
        at: '2026-11-01T00:00:00Z',
        generatedAt: '2026-11-01T00:00:00Z',
        zone: 'UTC',
      },
      [a],
      { lag: '', events: '' },
      {
        leavers: [
          { href: 'leavers/kevin.obrien-2026-10-30.html', title: 'Leaver kevin.obrien', summary: 'left' },
        ],
        rowPage: (_a, r) => {
          const p = pageOfRow(r, pages);
          return p ? `${p.name}.html` : undefined;
        },
      },
    );
    expect(html).toContain(
      // Each summary column as wide as its longest word (kevin.obrien: 12), and the details.
      '<thead><tr><th scope="col" class="m12">person</th><th scope="col" class="m6">event</th><th scope="col" class="m10">date</th><th scope="col" class="more m7">Details</th></tr></thead>',
    );
    expect(html).toContain('<td><a href="leavers/kevin.obrien-2026-10-30.html">kevin.obrien</a></td>');
    expect(html).toContain('<td>noah.fischer</td>');
    expect(html).toContain(
      '<td class="more"><details><summary>2 more fields</summary><dl class="fields"><dt>approvers</dt><dd>cmendez</dd>',
    );
    expect(html).toMatch(
      /<section id="leavers">[\s\S]*<a href="leavers\/kevin\.obrien-2026-10-30\.html">Leaver kevin\.obrien<\/a>/,
    );
    expect(html).not.toMatch(/overflow(-[xy])?:(auto|scroll)/);
  });
});
