/**
 * The plan comment beside an Atlantis plan comment, as a reviewer sees them on GitHub: both
 * Markdown files rendered by the same GitHub-flavoured renderer (marked, GFM), wrapped in
 * GitHub's own comment styles (github-markdown-css, with the `diff` colours GitHub's highlighter
 * gives `+` and `-` lines), in headless Chromium (Debian's, driven by playwright-core).
 *
 * The pull request is the example organisation's five-file change: roles/backend-engineer.yaml
 * gains prod-bastion (five people), Liam Walsh moves to sales, Marta Diaz joins in February,
 * Tomas Novak leaves on 2026-12-04, and Zoe Anders gets exception EXC-0006. The Atlantis comment
 * is the same change planned by Terraform (test/fixtures/atlantis/README.md).
 *
 * Readability, measured: with every fold opened (all a reviewer must read to judge), the plan
 * comment is no taller than Atlantis'; as posted (folds closed), it names every person whose
 * access changes without a click, where Atlantis names none. The screenshot, as posted, is
 * docs/images/plan-comment.png; it is rewritten only with UPDATE_SCREENSHOTS=1.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Marked, type Tokens } from 'marked';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skippingClock } from '../../src/apply/leaver-schedule.js';
import { indexCheckout } from '../../src/engine/checkout.js';
import { planRepository } from '../../src/engine/plan.js';
import { personNames } from '../../src/engine/prepare.js';
import { planCommentContext, renderPlanMarkdown } from '../../src/report/render-plan.js';
import { cleanTempDirs, copyExample, jml, REPO_ROOT, tempDir } from '../engine/helpers.js';
import { chromiumInstalled, launchChromium } from '../support/chromium.js';

const haveChromium = chromiumInstalled('the plan comment screenshot test');

const ATLANTIS = path.join(REPO_ROOT, 'test/fixtures/atlantis/plan-comment.md');
const SCREENSHOT = path.join(REPO_ROOT, 'docs/images/plan-comment.png');
const APPLIED = '2026-11-25T09:00:00-05:00';
const AT = Date.parse('2026-11-25T10:00:00-05:00');

/** Everyone whose access the pull request changes, as [person id, name]. */
const PEOPLE = [
  ['alice.nguyen', 'Alice Nguyen'],
  ['grace.lin', 'Grace Lin'],
  ['hannah.kim', 'Hannah Kim'],
  ['priya.raman', 'Priya Raman'],
  ['ravi.patel', 'Ravi Patel'],
  ['liam.walsh', 'Liam Walsh'],
  ['marta.diaz', 'Marta Diaz'],
  ['tomas.novak', 'Tomas Novak'],
  ['zoe.anders', 'Zoe Anders'],
] as const;

/** The five files of the pull request, written into a copy of the example organisation. */
function openPullRequest(dir: string): void {
  const file = (rel: string) => path.join(dir, rel);
  appendFileSync(file('roles/backend-engineer.yaml'), '  - prod-bastion\n');
  appendFileSync(file('people/liam.walsh.yaml'), '  - { role: account-executive, from: 2026-11-25 }\n');
  writeFileSync(
    file('people/marta.diaz.yaml'),
    [
      'id: marta.diaz',
      'name: Marta Diaz',
      'email: marta.diaz@example.com',
      'github: mdiaz',
      'hrId: BHR-1101',
      'manager: grace.lin',
      'department: Engineering',
      'title: Backend Engineer',
      'location: New York, NY',
      'employment:',
      '  type: employee',
      '  start: 2027-02-15',
      'roles:',
      '  - { role: backend-engineer, from: 2027-02-15 }',
      '',
    ].join('\n'),
  );
  const tomas = readFileSync(file('people/tomas.novak.yaml'), 'utf8');
  writeFileSync(
    file('people/tomas.novak.yaml'),
    tomas.replace(/^( {2}start: .*\n)/m, '$1  end: 2026-12-04T17:00:00-05:00\n'),
  );
  writeFileSync(
    file('exceptions/EXC-0006.yaml'),
    [
      'id: EXC-0006',
      'person: zoe.anders',
      'entitlements:',
      '  - netsuite-gl-viewer',
      'justification: Reconciles the Q4 revenue dashboards against the ledger (DATA-530).',
      'approvers:',
      '  - ethan.cole',
      'from: 2026-11-25',
      'expires: 2027-01-29',
      'retainOnMove: false',
      'ticket: DATA-530',
      '',
    ].join('\n'),
  );
}

/**
 * The shortcodes Atlantis writes, replaced as GitHub replaces them by emoji; drawn here as a
 * symbol of the same width that the machine's only fonts (DejaVu) have, since a missing emoji
 * font would draw an empty box.
 */
const EMOJI: Record<string, string> = {
  arrow_forward: '▶',
  fast_forward: '»',
  put_litter_in_its_place: '✖',
  repeat: '↻',
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * GitHub-flavoured Markdown to HTML as GitHub shows a comment: a `diff` block's lines coloured by
 * their first character as GitHub's highlighter does (pl-mi1 inserted, pl-md deleted, pl-mc
 * changed), other blocks plain, emoji shortcodes replaced.
 */
function renderGithub(markdown: string): string {
  const marked = new Marked({
    gfm: true,
    renderer: {
      code(token: Tokens.Code): string {
        if (token.lang !== 'diff')
          return `<div class="highlight"><pre><code>${escapeHtml(token.text)}</code></pre></div>`;
        const lines = token.text.split('\n').map((line) => {
          const cls = line.startsWith('+')
            ? 'pl-mi1'
            : line.startsWith('-')
              ? 'pl-md'
              : line.startsWith('!')
                ? 'pl-mc'
                : '';
          return cls ? `<span class="${cls}">${escapeHtml(line)}</span>` : escapeHtml(line);
        });
        return `<div class="highlight highlight-source-diff"><pre>${lines.join('\n')}</pre></div>`;
      },
    },
  });
  const withEmoji = markdown.replace(/:([a-z_]+):/g, (m, name: string) => EMOJI[name] ?? m);
  return marked.parse(withEmoji, { async: false });
}

/** Two comments side by side, each in a box like GitHub's timeline comment, 780 px of text wide. */
function page(jmlHtml: string, atlantisHtml: string): string {
  const css = readFileSync(
    path.join(REPO_ROOT, 'node_modules/github-markdown-css/github-markdown-light.css'),
    'utf8',
  );
  const box = (id: string, who: string, body: string) => `
    <section class="comment" id="${id}">
      <header><b>${who}</b> commented</header>
      <article class="markdown-body">${body}</article>
    </section>`;
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    ${css}
    body { margin: 0; padding: 16px; background: #f6f8fa; display: flex; gap: 16px; align-items: flex-start; }
    .comment { width: 812px; border: 1px solid #d1d9e0; border-radius: 6px; background: #fff; }
    .comment header { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d1d9e0;
      border-radius: 6px 6px 0 0; font: 14px -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #59636e; }
    .comment article { padding: 16px; }
  </style></head><body>
    ${box('jml', 'github-actions (jml plan)', jmlHtml)}
    ${box('atlantis', 'atlantis (Terraform)', atlantisHtml)}
  </body></html>`;
}

let browser: BrowserContext;
let planMarkdown: string;
let html: string;

beforeAll(async () => {
  // --- the pull request, planned as the trusted workflow plans it (--base) -----------------
  const head = copyExample('jml-plan-comment-head-');
  const base = copyExample('jml-plan-comment-base-');
  const applied = await jml(head, 'apply', '--confirm', '--at', APPLIED, '--allow-mass-disable');
  expect(applied.code, applied.err).toBe(0);
  openPullRequest(head);
  const r = await planRepository({ clock: skippingClock(AT), env: {} }, { root: head, at: AT });
  if (!r.ok) throw new Error(`not planned: ${JSON.stringify(r.refusal)}`);
  planMarkdown = renderPlanMarkdown(
    r.plan,
    personNames(r.prepared.index),
    planCommentContext(r.prepared.index, AT, { base: indexCheckout(base) }),
  );
  html = page(renderGithub(planMarkdown), renderGithub(readFileSync(ATLANTIS, 'utf8')));
  if (!haveChromium) return;
  browser = await launchChromium({ width: 1700, height: 900 });
});

afterAll(async () => {
  await browser?.close();
  cleanTempDirs();
});

describe('the example pull request, planned for its comment', () => {
  it('summarises the role template line once, with the five people it touches, before the people', () => {
    expect(planMarkdown).toContain(
      '- `roles/backend-engineer.yaml:11`: +1 entitlement → **5 people gain** `local:prod-bastion`: Alice Nguyen, Grace Lin, Hannah Kim, Priya Raman and Ravi Patel',
    );
    expect(planMarkdown.indexOf('5 people gain')).toBeLessThan(planMarkdown.indexOf('**Liam Walsh**'));
  });

  it('says what merge does and when, in New York time, and which check decides', () => {
    expect(planMarkdown).toContain(
      "**On merge:** Tomas Novak's access ends 2026-12-04 17:00 America/New_York; Zoe Anders loses netsuite-gl-viewer at 2027-01-29 00:00 America/New_York; Marta Diaz's access starts 2027-02-15 00:00 America/New_York; the rest applies at once.",
    );
    expect(planMarkdown).toContain('the check `jml/approvals`');
    expect(planMarkdown).not.toMatch(/\d\d:\d\d:\d\d\.\d{3}Z/);
  });
});

describe.skipIf(!haveChromium)('the plan comment beside an Atlantis plan comment, in Chromium', () => {
  it('is no taller than Atlantis when every fold is open, and names everyone without a click', async () => {
    const file = path.join(tempDir('jml-plan-comment-'), 'comments.html');
    writeFileSync(file, html);
    const p = await browser.newPage();
    await p.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const measure = async () => {
      const out: Record<string, { height: number; text: string }> = {};
      for (const id of ['jml', 'atlantis']) {
        const box = p.locator(`#${id}`);
        // innerText on purpose: the text as rendered, without what a closed fold hides.
        // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is measured
        out[id] = { height: (await box.boundingBox())!.height, text: await box.innerText() };
      }
      return out;
    };
    // As posted: folds closed.
    const posted = await measure();
    if (process.env.UPDATE_SCREENSHOTS === '1') await p.screenshot({ path: SCREENSHOT, fullPage: true });
    const named = (text: string) => PEOPLE.filter(([id, name]) => text.includes(id) || text.includes(name));
    // Tomas Novak and Marta Diaz change later: the footer names them; everyone else is on a line.
    expect(named(posted.jml!.text).map(([id]) => id)).toEqual(PEOPLE.map(([id]) => id));
    expect(named(posted.atlantis!.text)).toEqual([]);
    // Everything a reviewer must read: every fold open.
    await p.evaluate('for (const d of document.querySelectorAll("details")) d.open = true');
    const expanded = await measure();
    console.info(
      `plan comment height (px): jml ${Math.round(posted.jml!.height)} as posted, ${Math.round(expanded.jml!.height)} expanded; ` +
        `Atlantis ${Math.round(posted.atlantis!.height)} as posted, ${Math.round(expanded.atlantis!.height)} expanded`,
    );
    expect(expanded.jml!.height).toBeLessThanOrEqual(expanded.atlantis!.height);
    await p.close();
  });

  it('keeps the screenshot in the docs (rewritten with UPDATE_SCREENSHOTS=1)', () => {
    const png = readFileSync(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
