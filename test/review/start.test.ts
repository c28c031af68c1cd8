/**
 * jml review start: the example organisation applied to the embedded providers, drift made by
 * hand, then the campaign: who reviews what, every held item accounted for, byte-identical on a
 * re-run, valid files, and one pull request per reviewer file against the GitHub fake.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ReviewCampaign, ReviewFile } from '../../src/model/schema.js';
import { cleanTempDirs, type FixtureProvider, jml, readDirectory } from '../engine/helpers.js';
import { AT, driftedExample, Q, STRANGER } from './helpers.js';

const PROVIDERS: FixtureProvider[] = ['local', 'okta'];

function reviewFiles(dir: string): Map<string, string> {
  const folder = path.join(dir, 'reviews', Q);
  return new Map(
    readdirSync(folder)
      .sort()
      .map((f) => [f, readFileSync(path.join(folder, f), 'utf8')]),
  );
}

describe('jml review start', () => {
  let dir: string;
  let files: Map<string, string>;
  let items: (ReviewFile['items'][number] & { file: string; reviewer: string })[];
  let campaign: ReviewCampaign;

  beforeAll(async () => {
    dir = await driftedExample();
    const r = await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT);
    expect(r.code, r.err).toBe(0);
    files = reviewFiles(dir);
    campaign = parse(files.get('campaign.yaml')!) as ReviewCampaign;
    items = [...files]
      .filter(([f]) => f !== 'campaign.yaml')
      .flatMap(([f, text]) => {
        const file = parse(text) as ReviewFile;
        return file.items.map((i) => ({ ...i, file: f, reviewer: file.reviewer }));
      });
  });

  it('writes the campaign and one file per reviewer, the population being every managed membership', () => {
    expect(campaign.quarter).toBe(Q);
    expect(campaign.due).toBe('2027-01-25');
    expect(campaign.reviewers.map((r) => r.file)).toEqual(
      [...files.keys()].filter((f) => f !== 'campaign.yaml').map((f) => `reviews/${Q}/${f}`),
    );
    expect(campaign.items).toBe(items.length);
    expect(campaign.reviewers.reduce((n, r) => n + r.items, 0)).toBe(items.length);
    // Population: every member of every managed target on the embedded providers read here.
    let population = 0;
    for (const p of PROVIDERS) {
      const d = readDirectory(dir, p);
      population += items.filter((i) => i.provider === p).length;
      const members = Object.values(d.targets).reduce((n, m) => n + m.length, 0);
      // Every member of a managed target is an item (targets outside the catalog are not read).
      expect(items.filter((i) => i.provider === p).length).toBeLessThanOrEqual(members);
    }
    expect(population).toBeGreaterThan(0);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });

  it('marks the orphaned grant, the exception and the unknown account', () => {
    const alice = items.filter((i) => i.person === 'alice.nguyen');
    expect(alice.some((i) => i.source.kind === 'orphaned' && i.provider === 'local')).toBe(true);
    expect(alice.find((i) => i.source.kind === 'exception')?.source).toMatchObject({
      id: 'EXC-0001',
      expires: '2027-02-12',
    });
    expect(alice.find((i) => i.source.kind === 'role')?.source).toMatchObject({
      at: expect.stringMatching(/^people\/alice.nguyen.yaml:\d+$/),
    });
    const stranger = items.filter((i) => i.account === STRANGER);
    expect(stranger).toHaveLength(1);
    expect(stranger[0]).toMatchObject({ person: null, source: { kind: 'orphaned' }, file: 'security.yaml' });
  });

  it("sends a manager's own access to their manager, never to themselves; the top to security", () => {
    for (const i of items) expect(i.reviewer).not.toBe(i.person);
    const grace = items.filter((i) => i.person === 'grace.lin');
    expect(grace.length).toBeGreaterThan(0);
    const boss = (parse(readFileSync(path.join(dir, 'people/grace.lin.yaml'), 'utf8')) as { manager: string })
      .manager;
    expect(new Set(grace.map((i) => i.file))).toEqual(new Set([`${boss}.yaml`]));
    expect(items.some((i) => i.reviewer === 'grace.lin')).toBe(true);
    const top = items.filter((i) => i.person === 'olivia.bennett');
    expect(new Set(top.map((i) => i.file))).toEqual(new Set(['security.yaml']));
    expect(parse(files.get('security.yaml')!).reviewer).toBe('erin.mcbride');
  });

  it('flags inactivity from the last sign-in the provider reports', () => {
    const ben = items.find((i) => i.person === 'ben.carter' && i.provider === 'local')!;
    expect(ben).toMatchObject({ lastSignIn: '2026-06-01T12:00:00.000Z', inactive: true });
    const grace = items.find((i) => i.person === 'grace.lin' && i.provider === 'local')!;
    expect(grace).toMatchObject({ lastSignIn: '2027-01-03T12:00:00.000Z', inactive: false });
  });

  it("snapshots one reviewer's file", () => {
    expect(files.get('jonah.weiss.yaml')).toMatchSnapshot();
  });

  it('validates, keeps CODEOWNERS green, and changes nothing when run again', async () => {
    const v = await jml(dir, 'validate', '--at', AT, '--format', 'json');
    const inReviews = (JSON.parse(v.out) as { diagnostics: { file: string }[] }).diagnostics.filter((d) =>
      d.file.startsWith('reviews/'),
    );
    expect(inReviews).toEqual([]);
    const c = await jml(dir, 'codeowners', '--check');
    expect(c.code, c.err).toBe(0);
    expect(readFileSync(path.join(dir, '.github/CODEOWNERS'), 'utf8')).toContain(
      `/reviews/${Q}/jonah.weiss.yaml @`,
    );
    const again = await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toContain('Nothing to write');
    expect(reviewFiles(dir)).toEqual(files);
    // Another start time would change the terms: refused, nothing overwritten.
    const later = await jml(dir, 'review', 'start', '--quarter', Q, '--at', '2027-01-05');
    expect(later.code).toBe(1);
    expect(reviewFiles(dir)).toEqual(files);
  });
});

describe('jml review start: the same state and T give the same bytes', () => {
  afterEach(cleanTempDirs);
  it('in two copies', async () => {
    const a = await driftedExample();
    const b = await driftedExample();
    for (const d of [a, b])
      expect((await jml(d, 'review', 'start', '--quarter', Q, '--at', AT)).code).toBe(0);
    expect(reviewFiles(a)).toEqual(reviewFiles(b));
    const dry = await driftedExample();
    const r = await jml(dry, 'review', 'start', '--quarter', Q, '--at', AT, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Dry run');
    expect(() => readdirSync(path.join(dry, 'reviews'))).toThrow();
  });
});

describe('the validator on review files', () => {
  afterEach(cleanTempDirs);
  it('reports a wrong quarter, a self-review, a duplicate id, an unknown person and a bad decision', async () => {
    const dir = await driftedExample();
    expect((await jml(dir, 'review', 'start', '--quarter', Q, '--at', AT)).code).toBe(0);
    const file = path.join(dir, 'reviews', Q, 'jonah.weiss.yaml');
    const doc = parse(readFileSync(file, 'utf8')) as ReviewFile;
    doc.quarter = '2027-Q2';
    doc.items[0]!.decision = 'maybe' as never;
    doc.items[1]!.person = 'jonah.weiss';
    doc.items[2]!.person = 'no.body';
    doc.items.push({ ...doc.items[3]! });
    const { stringify } = await import('yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, stringify(doc, { aliasDuplicateObjects: false }));
    const v = await jml(dir, 'validate', '--at', AT, '--format', 'json');
    const rules = (JSON.parse(v.out) as { diagnostics: { rule: string; file: string }[] }).diagnostics
      .filter((d) => d.file === `reviews/${Q}/jonah.weiss.yaml`)
      .map((d) => d.rule);
    expect(rules).toEqual(expect.arrayContaining(['invalid-value']));
    doc.items[0]!.decision = 'pending';
    writeFileSync(file, stringify(doc, { aliasDuplicateObjects: false }));
    const v2 = await jml(dir, 'validate', '--at', AT, '--format', 'json');
    const rules2 = (JSON.parse(v2.out) as { diagnostics: { rule: string; file: string }[] }).diagnostics
      .filter((d) => d.file === `reviews/${Q}/jonah.weiss.yaml`)
      .map((d) => d.rule)
      .sort();
    expect(rules2).toEqual(['duplicate-id', 'review-quarter-mismatch', 'review-self', 'unknown-person']);
  });
});
